"""What the walk-in desk offers the clerk so that they type only what is new: the returning
resident (a phone number typed on the form), the common phrases (常用语) of each category, and
the villages a desk registers for.

Think like the official a resident reported: the lookup must not tell whether a number filed
anything the clerk cannot see. It reads only cases the clerk sees (`petitions_visible_to`), in
the villages the clerk's desks register for, never a report against officials (涉纪涉腐, not
even the desk's own shell of one) and never an anonymous case. A number seen only elsewhere
answers exactly as a number never seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from petitions.models import OPEN_STATUSES, Category, CommonPhrase, Petition
from petitions.selectors import petitions_visible_to
from stations import codes
from stations.models import Region, Unit, User
from stations.selectors import within_q

OPEN_CASES_SHOWN = 5
# Shorter than any number the walk-in form takes (a landline without its area code is 7 digits).
SHORTEST_PHONE = 7


def intake_prefixes(units: Iterable[Unit]) -> set[str]:
    """The subtrees an intake unit registers for: a village desk its township (its villages),
    a township or county centre its own region."""
    prefixes = set()
    for unit in units:
        region = unit.region
        if region.level == Region.Level.VILLAGE:
            prefixes.add(region.code[: codes.PREFIX_LENGTH["township"]])
        else:
            prefixes.add(region.prefix)
    return prefixes


@dataclass(frozen=True)
class ReturningResident:
    """The person's name as last registered, and their open cases (the latest first)."""

    name: str
    open_cases: tuple[Petition, ...]


def _seen_cases(user: User, desks: Iterable[Unit], phone: str) -> QuerySet[Petition]:
    """The cases the desks may name the resident of: those they took in or hold, the two whose
    staff see the complainant's name in full (`personal_data_visible`). A case the user sees
    only as a co-handling unit shows the name masked, so it tells nothing here either."""
    desks = list(desks)
    return petitions_visible_to(user).filter(
        Q(intake_unit__in=desks) | Q(holder_unit__in=desks),
        within_q("region_code", intake_prefixes(desks)),
        complainant_phone=phone,
        anonymous=False,
        category__confidential=False,
    )


def returning_resident(user: User, desks: Iterable[Unit], phone: str) -> ReturningResident | None:
    """The resident behind `phone` as the user's desks know them, or None: unknown, or known
    only from cases the user may not be told about. Two queries when known, one when not."""
    phone = (phone or "").strip()
    if len(phone) < SHORTEST_PHONE:
        return None
    cases = _seen_cases(user, list(desks), phone)
    name = (
        cases.exclude(complainant_name="").order_by("-created_at", "-id").values_list("complainant_name", flat=True)
    ).first()
    if name is None:
        return None
    open_cases = (
        cases.filter(status__in=OPEN_STATUSES)
        .select_related("category", "region")
        .only(
            "id",
            "tracking_number",
            "title",
            "status",
            "created_at",
            "current_due_at",
            "repeat_of_id",
            "category__id",
            "category__code",
            "category__name_zh",
            "category__name_en",
            "category__is_active",
            "region__id",
            "region__name",
        )
        .order_by("-created_at", "-id")[:OPEN_CASES_SHOWN]
    )
    return ReturningResident(name=name, open_cases=tuple(open_cases))


def common_phrases() -> list[tuple[Category, list[CommonPhrase]]]:
    """The active phrases of each active category, the categories and phrases in their order."""
    groups: dict[int, tuple[Category, list[CommonPhrase]]] = {}
    rows = (
        CommonPhrase.objects.filter(active=True, category__is_active=True)
        .select_related("category")
        .order_by("category__sort_order", "category_id", "sort_order", "id")
    )
    for phrase in rows:
        groups.setdefault(phrase.category_id, (phrase.category, []))[1].append(phrase)
    return list(groups.values())
