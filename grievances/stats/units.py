"""The unit assessment (单位考核, docs/statistics.md "Unit assessment"): for each township intake
centre, department and service station of a region, over a month, a quarter or a year, its
rates, its counts against it, a composite score with the weights an administrator sets
(`AssessmentWeights`) and its rank among its peers (the same kind of unit at the same level).

Where the figures come from: the complete months the nightly rollup covered are read from
`UnitMonthlyStat` (one grouped query whatever the number of cases); the other months (the
current one) are counted live by the same functions the rollup uses
(`grievances.stats.unit_rollup`), and so are the cases registered for a rolled month after it
was rolled (a village entering last month's paper ledger). A fixed number of queries
whatever the number of units or cases.

Rates, in percent to one decimal, None ("—") when there is nothing to count:

- response rate (按时受理率) = decided in time ÷ decisions due;
- resolution rate (按期办结率) = closed in time ÷ closures due;
- on-time rate (按期答复率) = answered on time ÷ answered;
- satisfaction rate (满意率) = (satisfied + basically satisfied) ÷ rated; no response apart.

Composite (0–100) = Σ weight × rate ÷ Σ weight over the rates that are not None, less the
points off for each deadline missed, notice unanswered and referral reported late, never
below 0; None when no rate has a count. Ranks: best composite first, ties share a rank (1, 2,
2, 4, `config.ranking`), a unit without a composite has no rank.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.ranking import competition_ranks
from grievances.stats.models import AssessmentWeights, UnitMonthlyStat, UnitStatMonth
from grievances.stats.summary import COUNTY_LENGTH, month_bounds, stats_region_for
from grievances.stats.unit_rollup import (
    FIELDS,
    case_counts,
    deadline_counts,
    merge,
    month_instants,
)
from petitions.selectors import petitions_for_rollup
from stations.models import Region, Unit, User
from stations.selectors import scope_for, within_q

Kind = Unit.Kind
LEVEL_ORDER = {level: n for n, level in enumerate(("province", "city", "county", "township", "village"))}
KIND_ORDER = {Kind.INTAKE: 0, Kind.DEPARTMENT: 1, Kind.STATION: 2}
KIND_LABELS = {
    Kind.INTAKE: gettext_lazy("township intake centre"),
    Kind.DEPARTMENT: Kind.DEPARTMENT.label,
    Kind.STATION: Kind.STATION.label,
}
TWO = Decimal("0.01")
PAGE_SIZE = 100


def assessed_units_q() -> Q:
    """The units assessed: township intake centres (乡镇群众诉求中心), departments (职能部门)
    and service stations (基层站所) at every level; not the commissions, nor the county
    centre or the village stations (who take cases in and pass them on)."""
    return Q(is_active=True) & (
        Q(kind__in=[Kind.DEPARTMENT, Kind.STATION]) | Q(kind=Kind.INTAKE, region__level=Region.Level.TOWNSHIP)
    )


# --- The period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month, a quarter or a year of the assessment."""

    kind: str  # "month", "quarter", "year"
    first: date
    last: date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return str(self.first.year)

    @property
    def months(self) -> list[date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months

    def query(self) -> str:
        return f"{self.kind}={self.label}"


def month_period(month: date) -> Period:
    first, last = month_bounds(month)
    return Period("month", first, last)


def last_complete_month(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    return month_period(today.replace(day=1) - timedelta(days=1))


def parse_period(*, month: str = "", quarter: str = "", year: str = "", today: date | None = None) -> Period:
    """The period asked for: `month=YYYY-MM`, `quarter=YYYY-Qn` or `year=YYYY` (one of them);
    none: the last complete month. Raises ValueError with the message to show."""
    given = [(name, value.strip()) for name, value in (("month", month), ("quarter", quarter), ("year", year)) if value]
    if not given:
        return last_complete_month(today)
    if len(given) > 1:
        raise ValueError(_("Ask for one of month, quarter or year."))
    name, value = given[0]
    try:
        if name == "month":
            y, m = value.split("-")
            if len(y) != 4 or len(m) != 2:
                raise ValueError
            return month_period(date(int(y), int(m), 1))
        if name == "quarter":
            y, q = value.upper().split("-Q")
            if len(y) != 4 or q not in ("1", "2", "3", "4"):
                raise ValueError
            first = date(int(y), 3 * int(q) - 2, 1)
            return Period("quarter", first, month_bounds(first.replace(month=first.month + 2))[1])
        if len(value) != 4:
            raise ValueError
        return Period("year", date(int(value), 1, 1), date(int(value), 12, 31))
    except ValueError:
        messages = {
            "month": _("Give the month as YYYY-MM."),
            "quarter": _("Give the quarter as YYYY-Qn (n from 1 to 4)."),
            "year": _("Give the year as YYYY."),
        }
        raise ValueError(messages[name]) from None


# --- The rows -----------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    return Decimal(100) * part / whole if whole else None


def _shown(rate: Decimal | None) -> float | None:
    return None if rate is None else float(rate.quantize(Decimal("0.1"), ROUND_HALF_UP))


AT = {name: n for n, name in enumerate(FIELDS)}  # where each count sits in a row's `counts`
NOTHING = (0,) * len(FIELDS)


@dataclass(slots=True)
class UnitRow:
    """One unit's figures in the assessment. Slots and the counts as one tuple in `FIELDS`'
    order (not a dict): a province ranks some 13,000 of them per request, and a web worker's
    peak memory keeps what one request needed (bench/README.md, W6 and W7)."""

    unit_id: int
    name: str
    kind: str
    level: str
    region_code: str
    region_name: str
    counts: tuple[int, ...] = NOTHING
    composite: Decimal | None = None
    rank: int | None = None
    peers: int = 0

    def __getattr__(self, name: str):  # the counts, by name (row.received, row.misses …)
        if name in AT:
            return self.counts[AT[name]]
        raise AttributeError(name)

    def count_dict(self) -> dict[str, int]:
        return dict(zip(FIELDS, self.counts, strict=True))

    @property
    def unit(self) -> int:
        return self.unit_id

    @property
    def rates(self) -> dict[str, Decimal | None]:
        c = self.counts
        return {
            "response": _rate(c[AT["decided_on_time"]], c[AT["to_decide"]]),
            "resolution": _rate(c[AT["resolved_on_time"]], c[AT["to_resolve"]]),
            "on_time": _rate(c[AT["on_time"]], c[AT["answered"]]),
            "satisfaction": _rate(c[AT["satisfied"]], c[AT["rated"]]),
        }

    @property
    def response_rate(self) -> float | None:
        return _shown(self.rates["response"])

    @property
    def resolution_rate(self) -> float | None:
        return _shown(self.rates["resolution"])

    @property
    def on_time_rate(self) -> float | None:
        return _shown(self.rates["on_time"])

    @property
    def satisfaction_rate(self) -> float | None:
        return _shown(self.rates["satisfaction"])

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def level_label(self) -> str:
        return str(dict(Region.Level.choices).get(self.level, self.level))

    def as_dict(self, *, counts: bool = True) -> dict:
        """Plain values (the API, the monthly report and its export); `counts=False` keeps the
        rates and the rank only (the published ranking)."""
        row = {
            "unit": self.unit_id,
            "name": self.name,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "level": self.level,
            "level_label": self.level_label,
            "region": self.region_code,
            "region_name": self.region_name,
            "response_rate": self.response_rate,
            "resolution_rate": self.resolution_rate,
            "on_time_rate": self.on_time_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "composite": None if self.composite is None else float(self.composite),
            "rank": self.rank,
            "peers": self.peers,
        }
        if counts:
            row |= self.count_dict()
        return row


def composite_of(row: UnitRow, weights: AssessmentWeights) -> Decimal | None:
    """The composite score of one row (see the module docstring)."""
    c, rates = row.counts, row.rates
    parts = [
        (rates["response"], weights.weight_response),
        (rates["resolution"], weights.weight_resolution),
        (rates["on_time"], weights.weight_on_time),
        (rates["satisfaction"], weights.weight_satisfaction),
    ]
    parts = [(rate, weight) for rate, weight in parts if rate is not None and weight]
    if not parts:
        return None
    score = sum((rate * weight for rate, weight in parts), Decimal(0)) / sum(weight for _rate, weight in parts)
    score -= (
        weights.penalty_miss * c[AT["misses"]]
        + weights.penalty_notice * c[AT["notices_unanswered"]]
        + weights.penalty_referral * c[AT["referrals_late"]]
    )
    return max(score, Decimal(0)).quantize(TWO, ROUND_HALF_UP)


def rank_rows(rows: list[UnitRow], weights: AssessmentWeights) -> list[UnitRow]:
    """Score every row and rank it among its peers (same kind, same level); returns the rows
    by level, kind, rank and name (the unranked last in their group)."""
    groups: dict[tuple[str, str], list[UnitRow]] = {}
    for row in rows:
        row.composite = composite_of(row, weights)
        groups.setdefault((row.level, row.kind), []).append(row)
    out = []
    for key in sorted(groups, key=lambda k: (LEVEL_ORDER.get(k[0], 9), KIND_ORDER.get(k[1], 9))):
        group = groups[key]
        scored = sorted((r for r in group if r.composite is not None), key=lambda r: (-r.composite, r.name))
        for row, rank in zip(scored, competition_ranks(scored, lambda r: r.composite), strict=True):
            row.rank = rank
        unscored = sorted((r for r in group if r.composite is None), key=lambda r: r.name)
        for row in group:
            row.peers = len(group)
        out += scored + unscored
    return out


# --- Reading the figures ------------------------------------------------------------------------


def _case_prefixes(prefixes: list[str] | None) -> list[str] | None:
    """Where the cases of these units lie: a unit handles the cases of its county (or, above
    the county, of its region), so the live count reads the county's cases, not the province's."""
    if prefixes is None:
        return None
    return sorted({prefix[:COUNTY_LENGTH] for prefix in prefixes})


def unit_counts(
    prefixes: list[str] | None, period: Period, *, now: datetime | None = None
) -> dict[int, tuple[int, ...]]:
    """{unit id: its counts in `FIELDS`' order} of the units in the region subtrees `prefixes` (None: all) for the
    period: the rolled-up complete months from the rollup, the rest counted live."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    months = [month for month in period.months if month <= today]
    rolled = dict(
        UnitStatMonth.objects.filter(month__in=[m for m in months if month_bounds(m)[1] < today]).values_list(
            "month", "registered_before"
        )
    )
    counts: dict[int, tuple[int, ...]] = {}
    if rolled:
        stats = UnitMonthlyStat.objects.filter(month__in=list(rolled))
        if prefixes is not None:
            stats = stats.filter(within_q("region_code", prefixes))
        sums = stats.values("unit_id").annotate(**{name: Sum(name) for name in FIELDS}).order_by()
        for unit, *values in sums.values_list("unit_id", *FIELDS).iterator(chunk_size=2000):
            counts[unit] = tuple(values)
    more: dict[int, Counter] = {}
    live = [month for month in months if month not in rolled]
    received = []
    for month in live:
        start, end = month_instants(month)
        received.append(Q(received_at__gte=start, received_at__lt=min(end, now)))
    for month, cutoff in rolled.items():  # registered for a rolled month after it was rolled
        start, end = month_instants(month)
        received.append(Q(received_at__gte=start, received_at__lt=end, created_at__gte=cutoff))
    if received:
        cases = petitions_for_rollup().filter(Q(*received, _connector=Q.OR))
        if (where := _case_prefixes(prefixes)) is not None:
            cases = cases.filter(within_q("region_code", where))
        merge(more, case_counts(cases, as_of=now))
    if live:
        ranges = [month_instants(month) for month in live]
        merge(more, deadline_counts([(s, min(e, now)) for s, e in ranges], as_of=now, prefixes=prefixes))
    for unit, extra in more.items():
        base = counts.get(unit, NOTHING)
        counts[unit] = tuple(n + extra.get(name, 0) for n, name in zip(base, FIELDS, strict=True))
    return counts


def assess(
    prefixes: list[str] | None, period: Period, *, kind: str | None = None, weights: AssessmentWeights | None = None
) -> list[UnitRow]:
    """The ranked rows of the assessed units in the region subtrees `prefixes` (None: all)."""
    units = Unit.objects.filter(assessed_units_q())
    if prefixes is not None:
        units = units.filter(within_q("region__code", prefixes))
    counts = unit_counts(prefixes, period)
    # Plain tuples, not model instances: a province has some 13,000 units to rank.
    rows = [
        UnitRow(
            unit_id=pk,
            name=name,
            kind=kind,
            level=level,
            region_code=code,
            region_name=region_name,
            counts=counts.get(pk, NOTHING),
        )
        for pk, name, kind, level, code, region_name in units.values_list(
            "pk", "name", "kind", "region__level", "region__code", "region__name"
        )
        .order_by()
        .iterator(chunk_size=2000)
    ]
    ranked = rank_rows(rows, weights or AssessmentWeights.current())
    return [row for row in ranked if kind is None or row.kind == kind]


def assessment_region_for(user: User, code: str | None) -> Region | None:
    """The region an assessment is asked for, if the user watches it (supervisors, leaders,
    observers of the region, superusers); None: everything the user watches. Desk staff, who
    watch no region, and a region outside the user's view: 404."""
    scope = scope_for(user)
    if not (scope.everything or scope.stats_prefixes):
        raise Http404
    region = stats_region_for(user, code)
    if region is not None and not scope.covers(region.prefix, scope.stats_prefixes):
        raise Http404
    return region


def may_assess(user: User, region: Region | None) -> bool:
    """Whether the user may see the unit assessment of `region` (None: all the user watches)."""
    scope = scope_for(user)
    if scope.everything:
        return True
    return bool(scope.stats_prefixes) and (region is None or scope.covers(region.prefix, scope.stats_prefixes))


def _prefixes_for(user: User, region: Region | None) -> list[str] | None:
    if region is not None:
        return [region.prefix]
    scope = scope_for(user)
    return None if scope.everything else list(scope.stats_prefixes)


@dataclass
class Assessment:
    """The unit assessment of a region and period, for one viewer."""

    region: Region | None
    period: Period
    rows: list[UnitRow]
    weights: AssessmentWeights


def page_of(rows: list, page: int, size: int = PAGE_SIZE) -> tuple[list, int]:
    """One page of the rows (from 1) and the number of pages (at least 1); a page past the last
    is empty."""
    pages = max(1, -(-len(rows) // size))
    return rows[(page - 1) * size : page * size], pages


def unit_assessment(user: User, *, region: Region | None, period: Period, kind: str | None = None) -> Assessment:
    """The assessment the user may see (`assessment_region_for` gave `region`)."""
    weights = AssessmentWeights.current()
    rows = assess(_prefixes_for(user, region), period, kind=kind, weights=weights)
    return Assessment(region=region, period=period, rows=rows, weights=weights)


def monthly_unit_ranking(user: User, *, region: Region | None, month: date) -> list[dict]:
    """The unit ranking of one month as plain rows (the monthly report and its export): name,
    kind, level, the four rates, the counts against the unit, composite, rank and peers."""
    return [row.as_dict() for row in assess(_prefixes_for(user, region), month_period(month))]


def public_unit_ranking(county: Region, *, today: date | None = None) -> tuple[Period, list[dict]]:
    """The published ranking of a county's units for the last complete month: unit names,
    rates, composite and rank only (no count, no person; reports against officials are never
    counted)."""
    period = last_complete_month(today)
    return period, [row.as_dict(counts=False) for row in assess([county.prefix], period)]
