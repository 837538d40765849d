"""Reads for the resident portal: the county it serves, the reception schedule, the case a
resident proves with the codes of the receipt, and the published statistics.

Nothing here depends on a signed-in user: a resident is anyone who holds the tracking number
and the query code (or the private link), and sees only what `public_case` puts together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.utils import timezone

from grievances.portal.models import LookupToken, token_hash
from petitions.deadlines import deadline_add
from petitions.models import Category, Petition, PetitionEvent, Satisfaction, Status
from petitions.selectors import NOTES_ANSWERING, NOTES_SHOWN_TO_RESIDENT, public_events
from petitions.tracking import normalize_tracking_number, query_code_matches
from stations import codes
from stations.models import ReceptionSlot, Region, Unit

Verb = PetitionEvent.Verb

# --- The county the portal serves -------------------------------------------------------------


def counties() -> list[Region]:
    return list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))


def portal_county(code: str | None) -> Region | None:
    """The county chosen by `?county=<code>`, or the only county when there is one."""
    if code:
        return Region.objects.filter(level=Region.Level.COUNTY, code=code).first() if codes.is_code(code) else None
    only = list(Region.objects.filter(level=Region.Level.COUNTY)[:2])
    return only[0] if len(only) == 1 else None


def townships_of(county: Region) -> list[Region]:
    return list(Region.objects.filter(parent=county, level=Region.Level.TOWNSHIP).order_by("code"))


def villages_of(township: Region | None) -> list[Region]:
    if township is None:
        return []
    return list(Region.objects.filter(parent=township, level=Region.Level.VILLAGE).order_by("code"))


def reception_schedule(county: Region) -> list[ReceptionSlot]:
    """Who receives residents where and when, in the county and its townships."""
    return list(
        ReceptionSlot.objects.filter(is_active=True)
        .filter(Q(region=county) | Q(region__parent=county))
        .select_related("region")
        .order_by("region__code", "sort_order", "id")
    )


def intake_centres(county: Region) -> list[Unit]:
    """The county's intake centre and the townships' (with their public phone and address)."""
    return list(
        Unit.objects.filter(kind=Unit.Kind.INTAKE, is_active=True)
        .filter(Q(region=county) | Q(region__parent=county))
        .select_related("region")
        .order_by("region__code")
    )


# --- The case a resident proves ---------------------------------------------------------------

_TRACKING_RE = re.compile(r"^\d{8}-[23456789A-Z]{6}$")


def petition_for_codes(tracking_number: str, query_code: str) -> Petition | None:
    """The case whose tracking number and query code both match, else None.

    "No such case" and "wrong code" do the same work (one query, then the HMAC comparisons
    against the stored hash or a dummy one), so neither the answer nor its timing tells them
    apart."""
    number = normalize_tracking_number(tracking_number or "")
    petition = None
    if _TRACKING_RE.match(number):
        petition = Petition.objects.select_related("category").filter(tracking_number=number).first()
    candidate = petition or Petition(tracking_number=number, query_code_hash="0" * 64)
    matches = query_code_matches(candidate, query_code or "")
    return petition if petition is not None and matches else None


def petition_for_token(token: str) -> Petition | None:
    """The case a private link opens, while the link is valid."""
    if not token or len(token) > 100:
        return None
    row = (
        LookupToken.objects.select_related("petition", "petition__category")
        .filter(token_hash=token_hash(token), expires_at__gt=timezone.now())
        .first()
    )
    return row.petition if row is not None else None


@dataclass(frozen=True)
class PublicStep:
    verb: str
    label: str
    at: datetime
    note: str


@dataclass(frozen=True)
class PublicCase:
    """Everything a resident sees of a case: no staff names, no internal notes, no units'
    internal data, not the complainant's phone or ID number."""

    tracking_number: str
    status: str
    status_label: str
    category: str
    title: str
    registered_at: datetime
    acceptance_due_at: datetime | None
    due_at: datetime | None
    replied_at: datetime | None
    reply: str
    rejection_reason: str
    rejection_guidance: str
    satisfaction: str
    satisfaction_label: str
    can_rate: bool
    can_request_review: bool
    review_window_ends: datetime | None
    steps: list[PublicStep] = field(default_factory=list)


def public_case(petition: Petition) -> PublicCase:
    now = timezone.now()
    # A confidential report (涉纪涉腐): the resident sees that it was handled and the answer
    # addressed to them (reply, or why not accepted) — no other notes, nothing of the inquiry.
    confidential = petition.category.confidential
    window_end = None
    if petition.status == Status.REPLIED and petition.replied_at is not None:
        window_end = deadline_add(
            petition.replied_at, petition.category.review_request_days, petition.category.day_type
        )
    steps = [
        PublicStep(
            verb=event.verb,
            label=str(event.get_verb_display()),
            at=event.created_at,
            note=event.note if event.verb in (NOTES_ANSWERING if confidential else NOTES_SHOWN_TO_RESIDENT) else "",
        )
        # petition_id too: the related manager reads it on every row (a query each if deferred).
        for event in public_events(petition).only("verb", "note", "created_at", "petition_id")
        # Staff notes on a report against officials stay inside, even those marked public.
        if not (confidential and event.verb == Verb.NOTE)
    ]
    return PublicCase(
        tracking_number=petition.tracking_number,
        status=petition.status,
        status_label=str(petition.get_status_display()),
        category=petition.category.name,
        title=petition.title,
        registered_at=petition.created_at,
        acceptance_due_at=petition.acceptance_due_at if petition.status == Status.REGISTERED else None,
        due_at=petition.current_due_at,
        replied_at=petition.replied_at,
        reply=petition.reply_text if petition.status in (Status.REPLIED, Status.CLOSED) else "",
        rejection_reason=petition.rejection_reason if petition.status == Status.REJECTED else "",
        rejection_guidance=petition.rejection_guidance if petition.status == Status.REJECTED else "",
        satisfaction=petition.satisfaction,
        satisfaction_label=str(petition.get_satisfaction_display()) if petition.satisfaction else "",
        can_rate=petition.status == Status.REPLIED and not petition.satisfaction,
        can_request_review=(
            petition.status == Status.REPLIED
            and petition.satisfaction == Satisfaction.UNSATISFIED
            and window_end is not None
            and now <= window_end
        ),
        review_window_ends=window_end,
        steps=steps,
    )


# --- Published statistics -----------------------------------------------------------------------


@dataclass(frozen=True)
class CountyStatistics:
    county: Region
    year: int
    total: int
    by_category: list[tuple[str, int]]
    by_township: list[tuple[str, int]]
    answered: int
    on_time: int
    rated: int
    satisfaction: list[tuple[str, str, int]]

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.answered, 1) if self.answered else None

    @property
    def satisfied_rate(self) -> float | None:
        """满意率: satisfied and basically satisfied among the rated replies."""
        if not self.rated:
            return None
        good = sum(n for code, _label, n in self.satisfaction if code != Satisfaction.UNSATISFIED)
        return round(100 * good / self.rated, 1)


def county_statistics(county: Region, year: int | None = None) -> CountyStatistics:
    """Aggregates only, over the cases received in the county in `year` (by `received_at`, the
    day they reached a desk): a fixed number of grouped queries whatever the number of cases
    (no personal data leaves the database)."""
    year = year or timezone.localdate().year
    low, high = codes.code_range(county.prefix)
    tz = timezone.get_current_timezone()
    cases = Petition.objects.filter(
        region_code__gte=low,
        region_code__lte=high,
        received_at__gte=datetime(year, 1, 1, tzinfo=tz),
        received_at__lt=datetime(year + 1, 1, 1, tzinfo=tz),
    )
    rated_values = [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED]
    totals = cases.aggregate(
        total=Count("id"),
        answered=Count("id", filter=Q(replied_at__isnull=False)),
        on_time=Count(
            "id", filter=Q(replied_at__isnull=False) & (Q(due_at__isnull=True) | Q(replied_at__lte=F("due_at")))
        ),
        **{value: Count("id", filter=Q(satisfaction=value)) for value in rated_values},
    )
    category_names = {category.pk: category.name for category in Category.objects.all()}
    by_category = [
        (category_names.get(row["category_id"], "—"), row["n"])
        for row in cases.values("category_id").annotate(n=Count("id")).order_by("-n", "category_id")
    ]
    township_length = codes.PREFIX_LENGTH["township"]
    per_township = {
        row["township"]: row["n"]
        for row in cases.annotate(township=Substr("region_code", 1, township_length))
        .values("township")
        .annotate(n=Count("id"))
        .order_by()
    }
    by_township = [
        (township.name, per_township.get(township.prefix, 0))
        for township in Region.objects.filter(parent=county, level=Region.Level.TOWNSHIP).order_by("code")
    ]
    satisfaction = [(value, str(Satisfaction(value).label), totals[value]) for value in rated_values]
    return CountyStatistics(
        county=county,
        year=year,
        total=totals["total"],
        by_category=by_category,
        by_township=by_township,
        answered=totals["answered"],
        on_time=totals["on_time"],
        rated=sum(totals[value] for value in rated_values),
        satisfaction=satisfaction,
    )


def statistics_years() -> list[int]:
    this_year = date.today().year
    return [this_year - n for n in range(3)]
