"""Statistics for staff (统计): counts by level, category, channel, status, satisfaction and
source (来源: own intake, handed down by the city or the province, referred up), on-time and
closure rates, repeats, trends by month, how late cases were registered (迟录) and a
per-child-region drill-down.

Who sees what (DESIGN.md §4), from `stations.selectors.scope_for` (the cases counted live:
`petitions.selectors.petitions_counted_for`):

- superusers: everything;
- supervisors, leaders and observers: every case in their subtrees (`stats_prefixes`),
  aggregates only;
- desk staff (clerks, handlers): the cases their units took in or hold or held.

Where the figures come from (DESIGN.md §10): the days the nightly rollup has covered are
read from `DailyStat` (a few grouped queries whatever the number of cases) — for a city, the
province or everything (and no category asked for), the months lying wholly in the period
(the current month up to yesterday included) are read from the coarser `MonthlyCountyStat`
instead (per county, month and one dimension at a time), and only the partial months at the
edges from `DailyStat`; every other day of the period (today, and any day not rolled up
yet) is counted live from the case table through the `received_at` index, and so are the
cases registered for a rolled-up day after it was rolled (`DailyStatDay.registered_before`:
a village entering last week's paper ledger today), through the `created_at` index. Desk
staff's figures depend on units, which the rollup does not keep, so theirs are always live
(a unit's cases are few).

Definitions:

- *answered* (已答复): the case has a reply (`replied_at` set), settled-on-the-spot included;
- *on time* (按期): an answered case whose reply came by its handling deadline (`due_at`,
  which includes any approved extension) or, when it never got one (answered or settled
  before assignment), by its acceptance deadline (`acceptance_due_at`);
- *on-time reply rate* (按期答复率): on time ÷ answered, in percent (None when nothing was
  answered) — replies, closed or not: not a rate of cases closed on time (按期办结率);
- *closure rate* (办结率): cases with status `closed` ÷ cases received, in percent;
- *repeats* (重复件): cases linked to an earlier case of the same complainant (`repeat_of`);
- *by source* (按来源): `Petition.source` as the linkage services set it — own intake, handed
  down by the city, handed down by the province, referred up from below;
- *days late* (迟录天数): whole days from reaching a desk to being registered
  (`Petition.days_registered_late`); *registered late* (迟录): one day or more. A case brought
  in from the county's past (`imported_at`) was registered by no desk and is left out of them.

Every figure counts the cases *received* in the period (`received_at`, the day the grievance
reached a desk, not the day it was typed in), with their status as it stands now (for
rolled-up days: as it stood at the last rollup, which re-rolls a trailing window).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Case, Count, F, Func, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404
from django.utils import timezone

from grievances.stats.models import DailyStat, DailyStatDay, MonthlyCountyStat
from petitions.models import Category, Channel, Petition, Satisfaction, Source, Status
from petitions.selectors import petitions_counted_for, petitions_overdue_for
from stations import codes
from stations.models import Region, User
from stations.selectors import Scope, has_stats_rights, scope_for, within_q

LEVELS = ("county", "township", "village")
DIMENSIONS = ("level", "category_id", "channel", "status", "satisfaction", "source", "days_late")
COUNTY_LENGTH = codes.PREFIX_LENGTH["county"]
# The regions whose statistics read the monthly per-county rollup (None: everything seen).
MONTHLY_LEVELS = (Region.Level.PROVINCE, Region.Level.CITY)


def stats_region_for(user: User, code: str | None) -> Region | None:
    """The region a statistic is asked for, if the user may see it; None means "all I see".

    A region outside the user's view is a 404 (never a 403 that confirms it exists)."""
    scope = scope_for(user)
    if not has_stats_rights(user):
        raise Http404
    if not code:
        # One subtree watched: start there (the county for the county commission).
        prefixes = scope.stats_prefixes or (scope.region_prefixes if not scope.everything else ())
        if len(prefixes) == 1:
            return Region.objects.filter(code=codes.pad(prefixes[0])).first()
        return None
    region = Region.objects.filter(code=code).first() if codes.is_code(code) else None
    if region is None:
        raise Http404
    allowed = scope.stats_prefixes + (scope.region_prefixes if scope.unit_ids else ())
    if not scope.covers(region.prefix, allowed):
        raise Http404
    return region


def _uses_rollup(scope: Scope) -> bool:
    return scope.everything or not scope.unit_ids


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def day_range(day: date) -> tuple[datetime, datetime]:
    """The instants a local calendar day covers, [start, end)."""
    return _day_start(day), _day_start(day + timedelta(days=1))


def _ranges(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days folded into inclusive (first, last) ranges."""
    out: list[tuple[date, date]] = []
    for day in sorted(days):
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s calendar month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _uses_monthly(scope: Scope, region: Region | None) -> bool:
    """Whether the monthly per-county cells can answer: the region is above county level
    (or everything the user sees) and every subtree the user watches is a county or wider."""
    if region is not None and region.level not in MONTHLY_LEVELS:
        return False
    return scope.everything or all(len(prefix) <= COUNTY_LENGTH for prefix in scope.stats_prefixes)


def _monthly_months(rolled: list[date], date_from: date, date_to: date, today: date) -> list[date]:
    """The months (first days) whose monthly rows the period may read instead of daily ones:
    those with every rolled-up day in the period. A month's monthly rows sum all its daily
    cells, that is its rolled-up days, which all lie before today; so a month qualifies when
    it starts in the period and either ends in it or the period runs to yesterday or later
    (the current month so far). Its days not rolled up are still counted live."""
    months = sorted({day.replace(day=1) for day in rolled})
    runs_to_yesterday = date_to >= today - timedelta(days=1)
    return [
        month for month in months if month >= date_from and (runs_to_yesterday or month_bounds(month)[1] <= date_to)
    ]


class _WholeDaysBetween(Func):
    """Whole days from the second instant to the first, never below 0: `timedelta.days`
    clamped, as `Petition.days_registered_late` counts them."""

    arity = 2
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):  # SQLite keeps instants as UTC text
        return super().as_sql(
            compiler,
            connection,
            template="MAX(CAST(julianday(%(expressions)s) AS INTEGER), 0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="GREATEST(floor(extract(epoch FROM (%(expressions)s)) / 86400), 0)::integer",
            arg_joiner=" - ",
            **extra,
        )


def days_late_expression() -> Case:
    """A case's days registered late (the `days_late` dimension), NULL for an imported one."""
    return Case(
        When(imported_at__isnull=False, then=Value(None)),
        default=_WholeDaysBetween("created_at", "received_at"),
        output_field=IntegerField(),
    )


def late_figures(days: Counter) -> dict:
    """The late-registration figure (迟录) of a histogram {days late: cases} (None: imported,
    not counted): the cases counted, those registered a day or more late, their share (%), and
    the median and mean days late over every case counted."""
    counted = sorted((d, n) for d, n in days.items() if d is not None and n)
    total = sum(n for _d, n in counted)
    late = sum(n for d, n in counted if d >= 1)

    def nth(k: int) -> int:  # the k-th smallest value, from 0
        for d, n in counted:
            if k < n:
                return d
            k -= n
        raise IndexError(k)

    return {
        "cases": total,
        "late": late,
        "late_rate": round(100 * late / total, 1) if total else None,
        "median_days": (nth((total - 1) // 2) + nth(total // 2)) / 2 if total else None,
        "mean_days": round(sum(d * n for d, n in counted) / total, 1) if total else None,
    }


def _days_value(value: str) -> int | None:
    """A `days_late` marginal's value back to its number ('' for the imported cases)."""
    return int(value) if value not in ("", "None") else None


def answered_q() -> Q:
    return Q(replied_at__isnull=False)


def on_time_q() -> Q:
    """See the module docstring: replied by the handling deadline, or by the acceptance
    deadline when the case never had a handling deadline."""
    return Q(replied_at__isnull=False) & (
        Q(due_at__isnull=False, replied_at__lte=F("due_at"))
        | Q(due_at__isnull=True, replied_at__lte=F("acceptance_due_at"))
    )


@dataclass
class Summary:
    """The figures of one statistic, ready for the API and the dashboard."""

    region: Region | None
    date_from: date
    date_to: date
    total: int = 0
    answered: int = 0
    on_time: int = 0
    repeats: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_satisfaction: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    by_child_region: list[dict] = field(default_factory=list)
    days_late: Counter = field(default_factory=Counter)  # {whole days late: cases}, None: imported
    live_days: int = 0

    @property
    def late_registration(self) -> dict:
        return late_figures(self.days_late)

    @property
    def closed(self) -> int:
        return self.by_status.get(Status.CLOSED, 0)

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.answered, 1) if self.answered else None

    @property
    def closure_rate(self) -> float | None:
        return round(100 * self.closed / self.total, 1) if self.total else None


def _fold(summary: Summary, rows, counts: dict, category_codes: dict[int, str]) -> None:
    """Add grouped rows (one per combination of the dimensions) to the summary."""
    for row in rows:
        n = row["n"] or 0
        summary.total += n
        summary.answered += row["answered"] or 0
        summary.on_time += row["on_time"] or 0
        summary.repeats += row["repeats"] or 0
        counts["level"][row["level"]] += n
        counts["category"][category_codes.get(row["category_id"], "?")] += n
        counts["channel"][row["channel"]] += n
        counts["status"][row["status"]] += n
        counts["satisfaction"][row["satisfaction"] or ""] += n
        counts["source"][row["source"]] += n
        counts["days_late"][row["days_late"]] += n


def summary_for(
    user: User,
    *,
    region: Region | None,
    date_from: date,
    date_to: date,
    category: Category | None = None,
    monthly: bool = True,
) -> Summary:
    """The statistic of the cases received from `date_from` to `date_to` (inclusive) in
    `region`'s subtree (or everything the user sees), in a fixed number of queries.

    `monthly=False` reads rolled-up days from the daily cells only (the same figures)."""
    scope = scope_for(user)
    summary = Summary(region=region, date_from=date_from, date_to=date_to)
    counts: dict[str, Counter] = defaultdict(Counter)
    months: Counter = Counter()
    children: dict[str, Counter] = defaultdict(Counter)  # {child prefix: {days late: cases}}
    category_codes = dict(Category.objects.values_list("pk", "code"))
    child_length = child_prefix_length(region)

    rolled_before: dict[date, datetime] = {}
    today = timezone.localdate()
    if _uses_rollup(scope):
        rolled_before = dict(
            DailyStatDay.objects.filter(date__gte=date_from, date__lte=min(date_to, today - timedelta(days=1)))
            .order_by("date")
            .values_list("date", "registered_before")
        )
    rolled = list(rolled_before)
    rolled_set = set(rolled)
    live_days = [
        date_from + timedelta(days=n)
        for n in range((date_to - date_from).days + 1)
        if date_from + timedelta(days=n) not in rolled_set
    ]
    summary.live_days = len(live_days)

    whole_months = []
    if monthly and category is None and _uses_monthly(scope, region):
        whole_months = _monthly_months(rolled, date_from, date_to, today)
        in_months = set(whole_months)
        rolled = [day for day in rolled if day.replace(day=1) not in in_months]

    if whole_months:
        marginals = MonthlyCountyStat.objects.filter(month__in=whole_months)
        if not scope.everything:
            marginals = marginals.filter(within_q("region_code", scope.stats_prefixes))
        if region is not None:
            marginals = marginals.filter(within_q("region_code", [region.prefix]))
        _fold_marginals(summary, marginals, child_length, counts, months, children, category_codes)

    if rolled:
        stats = DailyStat.objects.filter(
            Q(*[Q(date__gte=low, date__lte=high) for low, high in _ranges(rolled)], _connector=Q.OR)
        )
        if not scope.everything:
            stats = stats.filter(within_q("region_code", scope.stats_prefixes))
        if region is not None:
            stats = stats.filter(within_q("region_code", [region.prefix]))
        if category is not None:
            stats = stats.filter(category=category)
        sums = {
            "n": Sum("cases"),
            "answered": Sum("answered"),
            "on_time": Sum("on_time"),
            "repeats": Sum("repeats"),
        }
        if connection.vendor == "postgresql":
            # A province's year is hundreds of thousands of cells: read them once, not three times.
            _fold_rollup_once(summary, stats, child_length, counts, months, children, category_codes)
        else:
            _fold(summary, stats.values(*DIMENSIONS).annotate(**sums).order_by(), counts, category_codes)
            for row in stats.annotate(month=TruncMonth("date")).values("month").annotate(n=Sum("cases")).order_by():
                months[row["month"].strftime("%Y-%m")] += row["n"] or 0
        if child_length and connection.vendor != "postgresql":
            for row in (
                stats.annotate(child=Substr("region_code", 1, child_length))
                .values("child", "days_late")
                .annotate(n=Sum("cases"))
                .order_by()
            ):
                children[row["child"]][row["days_late"]] += row["n"] or 0

    if live_days or rolled_before:
        cases = petitions_counted_for(user).filter(live_q(live_days, rolled_before))
        if region is not None:
            cases = cases.filter(within_q("region_code", [region.prefix]))
        if category is not None:
            cases = cases.filter(category=category)
        live = {
            "n": Count("id"),
            "answered": Count("id", filter=answered_q()),
            "on_time": Count("id", filter=on_time_q()),
            "repeats": Count("id", filter=Q(repeat_of__isnull=False)),
        }
        tz = timezone.get_current_timezone()
        cases = cases.annotate(days_late=days_late_expression())
        if connection.vendor == "postgresql":
            # The three groupings of today's cases in one scan, as for the rollup cells.
            _fold_live_once(summary, cases, child_length, counts, months, children, category_codes)
        else:
            _fold(summary, cases.values(*DIMENSIONS).annotate(**live).order_by(), counts, category_codes)
            for row in (
                cases.annotate(month=TruncMonth("received_at", tzinfo=tz)).values("month").annotate(n=Count("id"))
            ):
                months[row["month"].strftime("%Y-%m")] += row["n"]
        if child_length and connection.vendor != "postgresql":
            for row in (
                cases.annotate(child=Substr("region_code", 1, child_length))
                .values("child", "days_late")
                .annotate(n=Count("id"))
                .order_by()
            ):
                children[row["child"]][row["days_late"]] += row["n"]

    summary.by_level = {level: counts["level"].get(level, 0) for level in LEVELS} | {
        level: n for level, n in counts["level"].items() if level not in LEVELS
    }
    summary.by_category = {code: counts["category"].get(code, 0) for code in category_codes.values()}
    summary.by_channel = {value: counts["channel"].get(value, 0) for value in Channel.values}
    summary.by_status = {value: counts["status"].get(value, 0) for value in Status.values}
    summary.by_satisfaction = {value: counts["satisfaction"].get(value, 0) for value in Satisfaction.values}
    summary.by_satisfaction["unrated"] = counts["satisfaction"].get("", 0)
    summary.by_source = {value: counts["source"].get(value, 0) for value in Source.values}
    summary.by_month = dict(sorted(months.items()))
    summary.days_late = +counts["days_late"]
    if child_length:
        summary.by_child_region = _child_rows(region, child_length, children)
    return summary


# The dimensions of the monthly marginals, and the `_fold` counter each feeds.
MARGINALS = {
    "level": "level",
    "category": "category",
    "channel": "channel",
    "status": "status",
    "satisfaction": "satisfaction",
    "source": "source",
    "days_late": "days_late",
}


def live_q(live_days: list[date], rolled_before: dict[date, datetime]) -> Q:
    """The cases a statistic counts live: those received on a day not rolled up, and those
    received on a rolled-up day but registered at or after the moment its cells stop
    (`DailyStatDay.registered_before`), so the cells and the live count never overlap nor miss
    a case. The nightly job gives every rolled-up day the same moment, so that part is one
    range of `created_at` (the cases registered since midnight) over the rolled days."""
    parts = [
        Q(received_at__gte=day_range(low)[0], received_at__lt=day_range(high)[1]) for low, high in _ranges(live_days)
    ]
    by_cutoff: dict[datetime, list[date]] = defaultdict(list)
    for day, cutoff in rolled_before.items():
        by_cutoff[cutoff].append(day)
    for cutoff, days in sorted(by_cutoff.items()):
        received = Q(
            *[Q(received_at__gte=day_range(low)[0], received_at__lt=day_range(high)[1]) for low, high in _ranges(days)],
            _connector=Q.OR,
        )
        parts.append(Q(created_at__gte=cutoff) & received)
    return Q(*parts, _connector=Q.OR)


def _fold_marginals(
    summary: Summary,
    marginals: QuerySet[MonthlyCountyStat],
    child_length: int | None,
    counts: dict,
    months: Counter,
    children: dict[str, Counter],
    category_codes: dict[int, str],
) -> None:
    """Add the monthly marginals (one grouped query): every case counts once in each
    dimension, so the totals and the months come from one of them (the category), the child
    regions from another (the days late, which they need)."""
    child = Substr("region_code", 1, child_length) if child_length else Value("")
    rows = (
        marginals.annotate(child=child)
        .values("month", "child", "dimension", "value")
        .annotate(n=Sum("cases"), s_answered=Sum("answered"), s_on_time=Sum("on_time"), s_repeats=Sum("repeats"))
        .order_by()
    )
    for row in rows:
        n = row["n"] or 0
        if row["dimension"] == "category":
            counts["category"][category_codes.get(int(row["value"]), "?")] += n
            summary.total += n
            summary.answered += row["s_answered"] or 0
            summary.on_time += row["s_on_time"] or 0
            summary.repeats += row["s_repeats"] or 0
            months[row["month"].strftime("%Y-%m")] += n
        elif row["dimension"] == "days_late":
            days = _days_value(row["value"])
            counts["days_late"][days] += n
            if child_length:
                children[row["child"]][days] += n
        else:
            counts[MARGINALS[row["dimension"]]][row["value"]] += n


def _fold_rollup_once(
    summary: Summary,
    stats: QuerySet[DailyStat],
    child_length: int | None,
    counts: dict,
    months: Counter,
    children: dict[str, Counter],
    category_codes: dict[int, str],
) -> None:
    """The three groupings of the rollup cells (the dimensions, the month, the child
    region with the days late) in one scan with GROUPING SETS (PostgreSQL): the same figures as the three
    grouped queries of the generic path."""
    inner, params = (
        stats.values("date", "region_code", *DIMENSIONS, "cases", "answered", "on_time", "repeats")
        .order_by()
        .query.sql_with_params()
    )
    child = f"substr(region_code, 1, {int(child_length)})" if child_length else "NULL::text"
    dims = ", ".join(DIMENSIONS)
    sets = f"({dims}), (month)" + (", (child, days_late)" if child_length else "")
    sql = f"""
        SELECT {dims}, month, {"child" if child_length else "NULL"}, GROUPING({dims}) AS g_dims, GROUPING(month) AS g_month,
               sum(cases), sum(answered), sum(on_time), sum(repeats)
        FROM (SELECT s0.*, date_trunc('month', s0.date)::date AS month, {child} AS child FROM ({inner}) s0) s
        GROUP BY GROUPING SETS ({sets})
    """
    _fold_grouping_sets(summary, sql, params, counts, months, children, category_codes)


def _fold_live_once(
    summary: Summary,
    cases: QuerySet[Petition],
    child_length: int | None,
    counts: dict,
    months: Counter,
    children: dict[str, Counter],
    category_codes: dict[int, str],
) -> None:
    """The three groupings of the cases counted live (the dimensions, the month, the
    child region with the days late) in one scan with GROUPING SETS (PostgreSQL): the same figures as the three
    grouped queries of the generic path."""
    flag = {"default": Value(0), "output_field": IntegerField()}
    inner, params = (
        cases.annotate(
            s_month=TruncMonth("received_at", tzinfo=timezone.get_current_timezone()),
            s_child=Substr("region_code", 1, child_length) if child_length else Value(""),
            s_answered=Case(When(answered_q(), then=Value(1)), **flag),
            s_on_time=Case(When(on_time_q(), then=Value(1)), **flag),
            s_repeat=Case(When(repeat_of__isnull=False, then=Value(1)), **flag),
        )
        .values(*DIMENSIONS, "s_month", "s_child", "s_answered", "s_on_time", "s_repeat")
        .order_by()
        .query.sql_with_params()
    )
    dims = ", ".join(DIMENSIONS)
    sets = f"({dims}), (s_month)" + (", (s_child, days_late)" if child_length else "")
    sql = f"""
        SELECT {dims}, s_month, {"s_child" if child_length else "NULL"}, GROUPING({dims}) AS g_dims,
               GROUPING(s_month) AS g_month,
               count(*), sum(s_answered), sum(s_on_time), sum(s_repeat)
        FROM ({inner}) s
        GROUP BY GROUPING SETS ({sets})
    """
    _fold_grouping_sets(summary, sql, params, counts, months, children, category_codes)


def _fold_grouping_sets(
    summary: Summary,
    sql: str,
    params,
    counts: dict,
    months: Counter,
    children: dict[str, Counter],
    category_codes: dict[int, str],
) -> None:
    """Read the rows of a GROUPING SETS query over (the dimensions), (month), (child, days
    late): the dimension rows fold into the summary, the others count by month and child region."""
    rows = []
    days_at = DIMENSIONS.index("days_late")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        width = len(DIMENSIONS)
        for row in cursor:
            month, prefix, g_dims, g_month, n, answered, on_time, repeats = row[width:]
            if g_dims == 0:
                rows.append(
                    dict(zip(DIMENSIONS, row[:width], strict=True))
                    | {"n": n, "answered": answered, "on_time": on_time, "repeats": repeats}
                )
            elif g_month == 0:
                months[month.strftime("%Y-%m")] += n or 0
            else:
                children[prefix][row[days_at]] += n or 0
    _fold(summary, rows, counts, category_codes)


def child_prefix_length(region: Region | None) -> int | None:
    """The prefix length of the level below `region` (None at the village, or for "all")."""
    if region is None or region.level == Region.Level.VILLAGE:
        return None
    levels = codes.LEVELS
    return codes.PREFIX_LENGTH[levels[levels.index(region.level) + 1]]


def _child_rows(region: Region, length: int, children: dict[str, Counter]) -> list[dict]:
    """Per child region: its cases, and how late they were registered (which townships or
    villages are slow to enter their cases)."""
    rows = []
    for child in Region.objects.filter(parent=region).order_by("code").only("code", "name", "level"):
        days = children.get(child.prefix, Counter())
        rows.append(
            {
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "total": sum(days.values()),
                "late_registration": late_figures(days),
            }
        )
    return rows


def overdue_for(user: User, *, region: Region | None, limit: int = 20) -> list[Petition]:
    """The open cases past their deadline (most overdue first), bounded: the dashboard's list.
    Observers (aggregates only) get none."""
    cases = petitions_overdue_for(user)  # each row says whether it is a shell (no title shown)
    if region is not None:
        cases = cases.filter(within_q("region_code", [region.prefix]))
    return list(cases.select_related("category", "holder_unit").order_by("current_due_at", "id")[:limit])
