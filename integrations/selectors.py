"""Reads of the Open311 adapter: the services (our categories) and the public view of
service requests (our cases).

The public view (GeoReport v2 GET requests) is open to anyone, so it carries only what a
county would publish: no names, phones or ID numbers, not the resident's own words, the
place at township level, and nothing at all of a confidential report against officials
(涉纪涉腐): those are left out of every list and answer 404 by number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import QuerySet

from petitions.models import OPEN_STATUSES, Category, Petition
from stations import codes
from stations.models import Region
from stations.selectors import within_q

MAX_REQUESTS = 1000  # GeoReport v2: "no more than 1000 requests" per answer

# Only these columns leave the database for the public view (defence in depth: the
# serializer could not print a name or a phone even by mistake).
PUBLIC_FIELDS = (
    "id",
    "tracking_number",
    "status",
    "created_at",
    "received_at",
    "accepted_at",
    "replied_at",
    "closed_at",
    "rated_at",
    "review_requested_at",
    "current_due_at",
    "region_code",
    "category__code",
    "category__name_zh",
    "category__name_en",
    "category__confidential",
    "holder_unit__name",
    "region__parent__name",
    "region__parent__parent__name",
)


def services() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("sort_order", "code"))


def service_get(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).first()


def county_by_code(code: str) -> Region | None:
    if not codes.is_code(code):
        return None
    return Region.objects.filter(code=code, level=Region.Level.COUNTY).first()


def villages_in(region: Region) -> list[Region]:
    """Every village of a county or township, with its township (for the service definition)."""
    return list(
        Region.objects.within(region.prefix)
        .filter(level=Region.Level.VILLAGE)
        .select_related("parent")
        .only("code", "name", "parent__name")
        .order_by("code")
    )


def _public_cases() -> QuerySet[Petition]:
    return (
        Petition.objects.filter(category__confidential=False)
        .select_related("category", "holder_unit", "region__parent__parent")
        .only(*PUBLIC_FIELDS)
    )


def public_requests(
    *,
    numbers: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] = (),
    county: Region | None = None,
    limit: int = MAX_REQUESTS,
) -> list[Petition]:
    """The public service requests, newest first, bounded to `limit` (one query).

    `statuses`: GeoReport's "open" and "closed"; `numbers`: tracking numbers (the caller drops
    the date window then, as the spec says)."""
    cases = _public_cases()
    if numbers:
        cases = cases.filter(tracking_number__in=list(numbers))
    if service_codes:
        cases = cases.filter(category__code__in=list(service_codes))
    if start is not None:
        cases = cases.filter(received_at__gte=start)
    if end is not None:
        cases = cases.filter(received_at__lte=end)
    if set(statuses) == {"open"}:
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif set(statuses) == {"closed"}:
        cases = cases.exclude(status__in=OPEN_STATUSES)
    if county is not None:
        cases = cases.filter(within_q("region_code", [county.prefix]))
    return list(cases.order_by("-received_at", "-id")[:limit])


def public_request_get(number: str) -> Petition | None:
    """One public service request by tracking number; None when there is none or it is confidential."""
    return _public_cases().filter(tracking_number=number).first()
