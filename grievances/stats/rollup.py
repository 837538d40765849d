"""The statistics rollup (每日统计汇总): each night the days of a trailing window are counted
again from the case table into `DailyStat`, so dashboards over millions of cases read a few
thousand rows. A day is replaced whole in one transaction: re-running it (or two workers
running it) leaves exactly one copy of its rows. In the same transaction the monthly
per-county cells (`MonthlyCountyStat`) of the day's month are rebuilt from its daily cells,
so the two rollups always agree. The nightly job is `grievances.stats.tasks.rollup_statistics`.

A day's cells are the cases *received* that day (`received_at`) and registered before a
moment (`DailyStatDay.registered_before`, the midnight that began the day of the run): a
case registered later for that day is counted live by the statistics until the day is rolled
again, and the nightly job rolls again every day outside its window that gained such cases
(`days_registered_late_since`). Midnight rather than the moment of the run: a registration
typed at 23:59 commits long before the job's 01:20, so no case falls between the cells and
the live count."""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from grievances.stats.models import DailyStat, DailyStatDay, MonthlyCountyStat
from grievances.stats.summary import (
    COUNTY_LENGTH,
    DIMENSIONS,
    MARGINALS,
    answered_q,
    day_range,
    days_late_expression,
    month_bounds,
    on_time_q,
)
from petitions.selectors import petitions_for_rollup
from stations import codes

# The first key of the PostgreSQL advisory locks that serialise the rebuilds of one month.
_MONTH_LOCK = 0x5355_5131


def cutoff_for(today: date) -> datetime:
    """The moment the cells rolled on `today` stop counting registrations: its midnight."""
    return day_range(today)[0]


def rollup_rows(day: date, registered_before: datetime) -> list[DailyStat]:
    """The rollup cells of one local day, computed from the case table (one grouped query):
    the cases received that day and registered before `registered_before`."""
    start, end = day_range(day)
    rows = (
        petitions_for_rollup()
        .filter(received_at__gte=start, received_at__lt=end, created_at__lt=registered_before)
        .annotate(days_late=days_late_expression())
        .values("region_code", *DIMENSIONS)
        .annotate(
            n=Count("id"),
            answered=Count("id", filter=answered_q()),
            on_time=Count("id", filter=on_time_q()),
            repeats=Count("id", filter=Q(repeat_of__isnull=False)),
        )
        .order_by()
    )
    return [
        DailyStat(
            date=day,
            region_code=row["region_code"],
            level=row["level"],
            category_id=row["category_id"],
            channel=row["channel"],
            status=row["status"],
            satisfaction=row["satisfaction"] or "",
            source=row["source"],
            days_late=row["days_late"],
            cases=row["n"],
            answered=row["answered"],
            on_time=row["on_time"],
            repeats=row["repeats"],
        )
        for row in rows
    ]


def monthly_rows(month: date) -> list[MonthlyCountyStat]:
    """The monthly per-county marginals of `month`'s calendar month, summed from its
    `DailyStat` cells (one grouped query per dimension)."""
    first, last = month_bounds(month)
    cells = DailyStat.objects.filter(date__gte=first, date__lte=last).annotate(
        county=Substr("region_code", 1, COUNTY_LENGTH)
    )
    out = []
    for dimension in MARGINALS:
        column = "category_id" if dimension == "category" else dimension
        rows = (
            cells.values("county", column)
            .annotate(n=Sum("cases"), s_answered=Sum("answered"), s_on_time=Sum("on_time"), s_repeats=Sum("repeats"))
            .order_by()
        )
        out += [
            MonthlyCountyStat(
                month=first,
                region_code=codes.pad(row["county"]),
                dimension=dimension,
                value="" if row[column] is None else str(row[column]),
                cases=row["n"],
                answered=row["s_answered"],
                on_time=row["s_on_time"],
                repeats=row["s_repeats"],
            )
            for row in rows
        ]
    return out


def rollup_day(day: date) -> int:
    """Replace the rollup of one local day (never today: today is always counted live), and
    rebuild its month's monthly cells. Returns the number of cases the day holds."""
    return rollup_days([day])


def rollup_days(days: list[date], *, registered_before: datetime | None = None) -> int:
    """Replace the rollup of the given past days of ONE calendar month in one transaction,
    then rebuild that month's monthly per-county cells once. The cells count the cases
    registered before `registered_before` (default: today's midnight, `cutoff_for`); those
    registered since are counted live. Returns the cases they hold."""
    if not days:
        return 0
    today = timezone.localdate()
    if max(days) >= today:
        raise ValueError("today is counted live; only past days are rolled up")
    registered_before = registered_before or cutoff_for(today)
    first = min(days).replace(day=1)
    if any(day.replace(day=1) != first for day in days):
        raise ValueError("the days must lie in one month")
    cases = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two workers rolling days of the same month rebuild its cells in turn.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_MONTH_LOCK, first.year * 100 + first.month])
        for day in sorted(set(days)):
            # Lock the day's marker first so two workers rolling the same day take turns.
            DailyStatDay.objects.get_or_create(date=day)
            DailyStatDay.objects.select_for_update().get(date=day)
            rows = rollup_rows(day, registered_before)
            DailyStat.objects.filter(date=day).delete()
            DailyStat.objects.bulk_create(rows, batch_size=1000)
            day_cases = sum(row.cases for row in rows)
            DailyStatDay.objects.filter(date=day).update(
                rolled_at=timezone.now(), registered_before=registered_before, cases=day_cases
            )
            cases += day_cases
        MonthlyCountyStat.objects.filter(month=first).delete()
        MonthlyCountyStat.objects.bulk_create(monthly_rows(first), batch_size=1000)
    return cases


def days_registered_late_since(registered_before: datetime, *, before: date) -> list[date]:
    """The rolled-up days before `before` that gained cases since they were rolled: a case
    received on one of them and registered at or after the day's `registered_before`, but
    before `registered_before` (the cutoff of this run). One query over the cases registered
    since the oldest cutoff of those days (the `created_at` index), which is the previous
    night's once the nightly job runs every night."""
    rolled = DailyStatDay.objects.filter(date__lt=before, registered_before__lt=registered_before)
    oldest = rolled.aggregate(oldest=Min("registered_before"))["oldest"]
    if oldest is None:
        return []
    tz = timezone.get_current_timezone()
    received_days = set(
        petitions_for_rollup()
        .filter(created_at__gte=oldest, created_at__lt=registered_before, received_at__lt=day_range(before)[0])
        .annotate(day=TruncDate("received_at", tzinfo=tz))
        .values_list("day", flat=True)
        .distinct()
    )
    if not received_days:
        return []
    return sorted(rolled.filter(date__in=received_days).values_list("date", flat=True))


def advance_cutoff(registered_before: datetime, *, before: date) -> int:
    """Move the cutoff of the rolled-up days before `before` still behind `registered_before`
    forward to it: called once the days that gained cases were rolled again, so every other
    one holds all its cases registered before it. The statistics then read the cases
    registered late for a rolled day as one range of `created_at`. Returns the days moved."""
    return DailyStatDay.objects.filter(date__lt=before, registered_before__lt=registered_before).update(
        registered_before=registered_before
    )


def days_by_month(days: list[date]) -> dict[date, list[date]]:
    """Days grouped by their calendar month (first day), as `rollup_days` takes them."""
    by_month: dict[date, list[date]] = {}
    for day in sorted(set(days)):
        by_month.setdefault(day.replace(day=1), []).append(day)
    return by_month
