"""The monthly report (月报) of one region and month: its title, its period, its figures and
its tables, worked out once from `summary_for` for the printable page and for the Word
document a county office files (`documents.monthly_report_docx`), so that the two always
show the same numbers (docs/statistics.md)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from django.http import Http404
from django.utils.translation import gettext as _

from grievances.stats import units
from grievances.stats.summary import Summary, summary_for
from petitions.models import Category, Channel, Satisfaction, Source, Status
from stations.models import Region, User


def level_label(level: str):
    return dict(Region.Level.choices).get(level, level)


def satisfaction_label(value: str):
    """A satisfaction row's label; "" (no rating yet) is `not rated`, which is another thing
    than `no_response` (closed because the resident did not rate in time)."""
    return Satisfaction(value).label if value in Satisfaction.values else _("Not rated")


def report_month(raw: str | None, today: date) -> tuple[date, date]:
    """The first and last day of ?month=YYYY-MM (this month by default); anything else is a
    404, as for a page that does not exist."""
    raw = raw or today.strftime("%Y-%m")
    try:
        year, month = (int(part) for part in raw.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def rate_text(count: int, rate: float | None) -> str:
    return f"{count} ({rate}%)" if rate is not None else str(count)


@dataclass
class ReportTable:
    """One table of the report: its heading, its header row and its rows of cells."""

    key: str
    heading: str
    headers: list[str]
    rows: list[list]


@dataclass
class MonthlyReport:
    """What the page and the document show, in their order."""

    region: Region | None
    first: date
    last: date
    summary: Summary
    levels: list[tuple] = field(default_factory=list)
    categories: list[tuple] = field(default_factory=list)
    statuses: list[tuple] = field(default_factory=list)
    satisfactions: list[tuple] = field(default_factory=list)
    channels: list[tuple] = field(default_factory=list)
    sources: list[tuple] = field(default_factory=list)
    # The month's unit ranking (`units.monthly_unit_ranking`), for those who watch the region;
    # None for the others.
    unit_ranking: list[dict] | None = None

    @property
    def title(self) -> str:
        name = f"{self.region.name} " if self.region else ""
        kind = _("Grievances monthly report")  # not inside the f-string: xgettext would not see it
        return f"{name}{kind} {self.first:%Y-%m}"

    @property
    def period(self) -> str:
        return _("Cases received from %(first)s to %(last)s.") % {
            "first": f"{self.first:%Y-%m-%d}",
            "last": f"{self.last:%Y-%m-%d}",
        }

    @property
    def figures(self) -> list[tuple[str, str, str]]:
        """(key, label, value) of the headline figures."""
        s, late = self.summary, self.summary.late_registration
        late_text = rate_text(late["late"], late["late_rate"])
        if late["median_days"] is not None:
            median, mean = _("Median days late"), _("Mean days late")
            late_text += f" · {median} {late['median_days']} · {mean} {late['mean_days']}"
        return [
            ("total", _("Cases received"), str(s.total)),
            ("closed", _("Closed"), rate_text(s.closed, s.closure_rate)),
            (
                "on-time",
                _("On-time reply rate"),
                f"{s.on_time}/{s.answered}" + (f" ({s.on_time_rate}%)" if s.on_time_rate is not None else ""),
            ),
            ("repeats", _("Repeat petitions"), str(s.repeats)),
            ("late", _("Registered late"), late_text),
        ]

    def tables(self) -> list[ReportTable]:
        """The tables below the figures, as the page lists them."""
        cases = _("Number of cases")
        tables = [
            ReportTable(
                "figures", "", [_("Figure"), _("Value")], [[label, value] for _k, label, value in self.figures]
            ),
            ReportTable("levels", _("By level"), [_("Level"), cases], [list(row) for row in self.levels]),
            ReportTable("categories", _("By category"), [_("Category"), cases], [list(row) for row in self.categories]),
            ReportTable("statuses", _("By status"), [_("Status"), cases], [list(row) for row in self.statuses]),
            ReportTable(
                "satisfactions", _("By satisfaction"), [_("Satisfaction"), cases], [list(r) for r in self.satisfactions]
            ),
            ReportTable("channels", _("By channel"), [_("Channel"), cases], [list(row) for row in self.channels]),
            ReportTable("sources", _("By source"), [_("Source"), cases], [list(row) for row in self.sources]),
        ]
        if self.summary.by_child_region:
            tables.append(
                ReportTable(
                    "regions",
                    _("By region"),
                    [_("Region"), _("Cases received"), _("Registered late"), _("Median days late")],
                    [
                        [
                            child["name"],
                            child["total"],
                            child["late_registration"]["late"],
                            child["late_registration"]["median_days"]
                            if child["late_registration"]["median_days"] is not None
                            else "—",
                        ]
                        for child in self.summary.by_child_region
                    ],
                )
            )
        if self.unit_ranking is not None:
            tables.append(self._ranking_table())
        return tables

    def _ranking_table(self) -> ReportTable:
        def rate(value, part, whole):
            return f"{value}% ({part}/{whole})" if value is not None else "—"

        headers = [_("Rank"), _("Unit"), _("Cases received"), _("Response rate"), _("Resolution rate")]
        headers += [_("On-time rate"), _("Satisfaction rate"), _("Deadlines missed"), _("Composite")]
        rows = [
            [
                f"{row['rank']}/{row['peers']}" if row["rank"] else "—",
                f"{row['name']}（{row['level_label']} · {row['kind_label']}）",
                row["received"],
                rate(row["response_rate"], row["decided_on_time"], row["to_decide"]),
                rate(row["resolution_rate"], row["resolved_on_time"], row["to_resolve"]),
                rate(row["on_time_rate"], row["on_time"], row["answered"]),
                rate(row["satisfaction_rate"], row["satisfied"], row["rated"]),
                row["misses"],
                "—" if row["composite"] is None else row["composite"],
            ]
            for row in self.unit_ranking
        ]
        return ReportTable("units", _("Unit assessment"), [str(h) for h in headers], rows)


def monthly_report_for(user: User, *, region: Region | None, first: date, last: date) -> MonthlyReport:
    """The report of the cases received from `first` to `last` that `user` may count, in
    `region` (None: all they see). The caller has checked the region (`stats_region_for`)."""
    summary = summary_for(user, region=region, date_from=first, date_to=last)
    names = {c.code: c.name for c in Category.objects.all()}
    return MonthlyReport(
        region=region,
        first=first,
        last=last,
        summary=summary,
        levels=[(str(level_label(k)), v) for k, v in summary.by_level.items()],
        categories=sorted(((names.get(k, k), v) for k, v in summary.by_category.items()), key=lambda r: -r[1]),
        statuses=[(str(Status(k).label), v) for k, v in summary.by_status.items() if v],
        satisfactions=[(str(satisfaction_label(k)), v) for k, v in summary.by_satisfaction.items()],
        channels=[(str(Channel(k).label), v) for k, v in summary.by_channel.items() if v],
        sources=[(str(Source(k).label), v) for k, v in summary.by_source.items()],
        unit_ranking=(
            units.monthly_unit_ranking(user, region=region, month=first) if units.may_assess(user, region) else None
        ),
    )
