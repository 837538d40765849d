"""The counts of the unit assessment (单位考核, docs/statistics.md "Unit assessment"), and their
monthly rollup (`UnitMonthlyStat`), rebuilt by the nightly job for the complete months of its
window in the same way as the daily cells: a month is replaced whole in one transaction, so a
re-run (or two workers at once) leaves exactly one copy of its rows.

One function counts (`case_counts`, `deadline_counts`); the rollup and the live count of the
current month both call it, so the two cannot drift apart.

Which cases count for a unit — two parts, each answered for by one unit:

- the *decision* (受理): by the unit that accepted, rejected or settled the case (the unit of
  its first `accepted` / `rejected` / `settled` event), or, while nobody has decided, the unit
  holding it (`holder_unit`), whose decision is due;
- the *handling* (办理): by the case's lead unit (主办: the unit of its latest lead
  `Assignment`, whether still active or not), or, for a case never assigned, by the unit that
  decided it (a centre that handled it itself, or rejected it).

A unit *received* the cases it decided or led (each once). Reports against officials (涉纪涉腐,
`Category.confidential`) are never counted: they are the commission's figures
(`grievances.stats.commission`), so no unit's row moves when a report against its head is filed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from grievances.stats.models import UnitMonthlyStat, UnitStatMonth
from grievances.stats.rollup import cutoff_for
from grievances.stats.summary import answered_q, day_range, month_bounds, on_time_q
from petitions.models import (
    Assignment,
    DeadlineMiss,
    Petition,
    PetitionEvent,
    Referral,
    Satisfaction,
    Status,
    SupervisionNotice,
)
from petitions.selectors import petitions_for_rollup
from stations.models import Unit
from stations.selectors import within_q

# The counts kept per unit and month: from the cases received in the month ...
CASE_FIELDS = (
    "received",
    "to_decide",
    "decided_on_time",
    "to_resolve",
    "resolved_on_time",
    "answered",
    "on_time",
    "rated",
    "satisfied",
    "no_response",
    "repeats",
)
# ... and from the deadlines that fell due in it.
DEADLINE_FIELDS = ("misses", "notices_unanswered", "referrals_late")
FIELDS = CASE_FIELDS + DEADLINE_FIELDS

# The first key of the PostgreSQL advisory locks that serialise the rebuilds of one month.
_UNIT_MONTH_LOCK = 0x5355_5132
_DECISIONS = (PetitionEvent.Verb.ACCEPTED, PetitionEvent.Verb.REJECTED, PetitionEvent.Verb.SETTLED)
_RATED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED)


def _with_units(cases: QuerySet[Petition]) -> QuerySet[Petition]:
    """The cases (reports against officials left out) with the unit answering for the decision
    (`u_decider`) and the one answering for the handling (`u_lead`), and the handling deadline
    (`h_due`: the handling deadline with any approved extension, or the acceptance deadline
    of a case settled on the spot, which never had one)."""
    decision = (
        PetitionEvent.objects.filter(petition=OuterRef("pk"), verb__in=_DECISIONS, actor_unit__isnull=False)
        .order_by("created_at", "id")
        .values("actor_unit")[:1]
    )
    lead = (
        Assignment.objects.filter(petition=OuterRef("pk"), role=Assignment.Role.LEAD)
        .order_by("-created_at", "-id")
        .values("unit")[:1]
    )
    return (
        cases.filter(category__confidential=False)
        .annotate(u_decider=Coalesce(Subquery(decision), F("holder_unit_id"), output_field=IntegerField()))
        .annotate(
            u_lead=Coalesce(Subquery(lead), F("u_decider"), output_field=IntegerField()),
            h_due=Coalesce("due_at", "acceptance_due_at"),
        )
        .order_by()
    )


def decision_q(as_of: datetime) -> tuple[Q, Q]:
    """(a decision due by `as_of`, a decision made in time): decided (accepted, not accepted,
    or settled on the spot) or past the acceptance deadline; decided by that deadline."""
    decided = Q(accepted_at__isnull=False) | Q(status=Status.REJECTED) | Q(settled_on_the_spot=True)
    in_time = (
        Q(accepted_at__lte=F("acceptance_due_at"))
        | Q(status=Status.REJECTED, closed_at__lte=F("acceptance_due_at"))
        | Q(settled_on_the_spot=True, replied_at__lte=F("acceptance_due_at"))
    )
    return decided | Q(acceptance_due_at__lt=as_of), in_time


def resolution_q(as_of: datetime) -> tuple[Q, Q]:
    """(a closure due by `as_of`, a closure in time): an accepted (or settled) case that is
    closed or past its handling deadline (`h_due`); closed by that deadline."""
    handled = (Q(accepted_at__isnull=False) | Q(settled_on_the_spot=True)) & ~Q(status=Status.REJECTED)
    due = handled & (Q(closed_at__isnull=False) | Q(h_due__lt=as_of))
    return due, due & Q(closed_at__lte=F("h_due"))


def case_counts(cases: QuerySet[Petition], *, as_of: datetime) -> dict[int, Counter]:
    """{unit id: counts of `CASE_FIELDS`} for these cases, the deadlines judged at `as_of`: two
    grouped queries (by the unit answering for the handling, and for the decision)."""
    cases = _with_units(cases)
    to_decide, decided = decision_q(as_of)
    to_resolve, resolved = resolution_q(as_of)
    out: dict[int, Counter] = {}
    by_lead = cases.values("u_lead").annotate(
        received=Count("id"),
        to_resolve=Count("id", filter=to_resolve),
        resolved_on_time=Count("id", filter=resolved),
        answered=Count("id", filter=answered_q()),
        on_time=Count("id", filter=on_time_q()),
        rated=Count("id", filter=Q(satisfaction__in=_RATED)),
        satisfied=Count("id", filter=Q(satisfaction__in=_RATED[:2])),
        no_response=Count("id", filter=Q(satisfaction=Satisfaction.NO_RESPONSE)),
        repeats=Count("id", filter=Q(repeat_of__isnull=False)),
    )
    for row in by_lead:
        unit = row.pop("u_lead")
        out.setdefault(unit, Counter()).update(row)
    by_decider = cases.values("u_decider").annotate(
        received=Count("id", filter=~Q(u_lead=F("u_decider"))),  # not counted as led already
        to_decide=Count("id", filter=to_decide),
        decided_on_time=Count("id", filter=to_decide & decided),
    )
    for row in by_decider:
        unit = row.pop("u_decider")
        out.setdefault(unit, Counter()).update(row)
    return out


def deadline_counts(
    ranges: list[tuple[datetime, datetime]], *, as_of: datetime, prefixes: list[str] | None = None
) -> dict[int, Counter]:
    """{unit id: counts of `DEADLINE_FIELDS`} for the deadlines that fell due in the ranges
    [start, end), as they stand at `as_of` (three grouped queries): the deadlines each unit
    missed (`DeadlineMiss`), the supervision notices it did not answer by their deadline, the
    referrals whose result it did not report by the date due. `prefixes`: only the units in
    these region subtrees (None: every unit)."""

    def due_in(column: str) -> Q:
        return Q(*[Q(**{f"{column}__gte": start, f"{column}__lt": end}) for start, end in ranges], _connector=Q.OR)

    queries = (
        ("misses", "unit", DeadlineMiss.objects.filter(due_in("due_at"))),
        (
            "notices_unanswered",
            "unit",
            SupervisionNotice.objects.filter(due_in("due_at"), due_at__lt=as_of).filter(
                Q(answered_at__isnull=True) | Q(answered_at__gt=F("due_at"))
            ),
        ),
        (
            "referrals_late",
            "to_unit",
            Referral.objects.filter(due_in("report_due_at"), report_due_at__lt=as_of).filter(
                Q(status__in=Referral.OWING) | Q(reported_at__gt=F("report_due_at"))
            ),
        ),
    )
    out: dict[int, Counter] = {}
    if not ranges:
        return out
    for name, column, rows in queries:
        scoped = Q() if prefixes is None else within_q(f"{column}__region__code", prefixes)
        rows = rows.filter(scoped, petition__category__confidential=False)
        for row in rows.values(column).annotate(n=Count("id")).order_by():
            out.setdefault(row[column], Counter())[name] += row["n"]
    return out


def merge(into: dict[int, Counter], more: dict[int, Counter]) -> dict[int, Counter]:
    for unit, counts in more.items():
        into.setdefault(unit, Counter()).update(counts)
    return into


def month_instants(month: date) -> tuple[datetime, datetime]:
    """The instants a calendar month covers, [start, end)."""
    first, last = month_bounds(month)
    return day_range(first)[0], day_range(last)[1]


def unit_month_rows(month: date, registered_before: datetime, *, as_of: datetime) -> list[UnitMonthlyStat]:
    """The rollup rows of one month: the cases received in it and registered before
    `registered_before`, and the deadlines that fell due in it, judged at `as_of`."""
    start, end = month_instants(month)
    cases = petitions_for_rollup().filter(received_at__gte=start, received_at__lt=end, created_at__lt=registered_before)
    counts = merge(case_counts(cases, as_of=as_of), deadline_counts([(start, end)], as_of=as_of))
    codes = dict(Unit.objects.filter(pk__in=list(counts)).values_list("pk", "region__code"))
    return [
        UnitMonthlyStat(month=month.replace(day=1), unit_id=unit, region_code=codes[unit], **dict(row))
        for unit, row in sorted(counts.items())
        if any(row.values())
    ]


def rollup_unit_month(month: date, *, registered_before: datetime | None = None) -> int:
    """Replace the unit rollup of one complete month (never the current one: it is counted
    live) in one transaction. Returns the number of unit rows written."""
    first, last = month_bounds(month)
    today = timezone.localdate()
    if last >= today:
        raise ValueError("the current month is counted live; only complete months are rolled up")
    registered_before = registered_before or cutoff_for(today)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [_UNIT_MONTH_LOCK, first.year * 100 + first.month]
                )
        rows = unit_month_rows(first, registered_before, as_of=timezone.now())
        UnitMonthlyStat.objects.filter(month=first).delete()
        UnitMonthlyStat.objects.bulk_create(rows, batch_size=1000)
        UnitStatMonth.objects.update_or_create(
            month=first, defaults={"rolled_at": timezone.now(), "registered_before": registered_before}
        )
    return len(rows)


def complete_months(months: list[date], *, today: date) -> list[date]:
    """Of these months (first days), those that ended before `today`."""
    return [month for month in sorted(set(months)) if month_bounds(month)[1] < today]
