"""Statistics for the discipline commissions (纪委监委): reports against officials received,
where they came from, how far each is (closed, being handled, awaiting acceptance), how the
people they name were disposed of and sanctioned, and the time from report to disposition;
for a city, its counties side by side.

Aggregates only: no reporter, no accused, no title. Only commission staff (and superusers)
may ask, for the subtrees of the commissions they work in; anything else is a 404.

A report names several people and each gets their own outcome (`PersonOutcome`), so the
figures are read per person where the outcomes are recorded (docs/statistics.md):

- a person's outcome is their latest one (by the disposition's time, then its id);
- a report is *closed* (办结) when it has a disposition and every person it names has a
  latest outcome that is final (not in `Disposition.STILL_HANDLING`: preliminary verification
  is a step, not an end); a report naming nobody, or disposed of without people's outcomes,
  is closed when its latest disposition's kind is final;
- *being handled* (正在办理): accepted (neither registered nor rejected) and not closed;
- *people sanctioned*: the people whose latest outcome carries a sanction, by sanction (a
  report disposed of without people's outcomes counts its latest disposition's number).
"""

from __future__ import annotations

import statistics as pystats
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from grievances.stats.summary import child_prefix_length, day_range
from petitions.models import Disposition, PersonOutcome, Referral, Source, Status
from petitions.selectors import commission_prefixes_of, commission_reports_for
from stations import codes
from stations.models import Region, User

SECONDS_PER_DAY = 86400
# The levels above the counties, which hand cases down to them (上级交办).
ABOVE_COUNTY = (Region.Level.PROVINCE, Region.Level.CITY)
FROM_ABOVE = (Source.CITY, Source.PROVINCE)
# What each child region's row counts (`by_child_region`), and a city's county rows besides.
CHILD_FIGURES = ("received", "handed_down", "disposed", "closed", "being_handled", "awaiting_acceptance", "sanctioned")
REFERRAL_FIGURES = ("reports_on_time", "reports_late", "reports_not_due")


def has_commission_rights(user: User) -> bool:
    prefixes = commission_prefixes_of(user)
    return prefixes is None or bool(prefixes)


def commission_region_for(user: User, code: str | None) -> Region | None:
    """The region asked for, if it lies in the user's commissions' subtrees (404 otherwise);
    None with no code means "everything I answer for"."""
    prefixes = commission_prefixes_of(user)
    if prefixes is not None and not prefixes:
        raise Http404
    if not code:
        if prefixes is not None and len(prefixes) == 1:
            return Region.objects.get(code=codes.pad(prefixes[0]))
        return None
    region = Region.objects.filter(code=code).first() if codes.is_code(code) else None
    if region is None or (prefixes is not None and not any(region.prefix.startswith(p) for p in prefixes)):
        raise Http404
    return region


@dataclass
class CommissionSummary:
    """The commission's figures of one period, ready for the API and the page."""

    region: Region | None
    date_from: date
    date_to: date
    received: int = 0
    closed: int = 0  # 办结: see the module docstring
    being_handled: int = 0  # accepted, not closed
    awaiting_acceptance: int = 0
    rejected: int = 0  # not accepted (不予受理), not closed
    in_progress: int = 0  # accepted, no disposition yet (a part of being handled)
    disposed: int = 0  # at least one disposition recorded
    sanctioned: int = 0  # people, each by their latest outcome
    by_disposition: dict[str, int] = field(default_factory=dict)  # people, where outcomes exist
    by_sanction: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    handed_down_by: list[dict] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    days_to_disposition: dict[str, float | None] = field(default_factory=dict)
    by_child_region: list[dict] = field(default_factory=list)
    counties: list[dict] = field(default_factory=list)  # a city's counties side by side


@dataclass
class _Report:
    """What the figures need of one report: its row, its dispositions in order, and each
    named person's latest outcome `{accused id: (outcome, sanction)}`."""

    status: str
    accused: int
    dispositions: list[tuple] = field(default_factory=list)  # (created_at, kind, count, sanction)
    people: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        if self.people:
            return len(self.people) == self.accused and all(
                outcome not in Disposition.STILL_HANDLING for outcome, _sanction in self.people.values()
            )
        return bool(self.dispositions) and self.dispositions[-1][1] not in Disposition.STILL_HANDLING

    @property
    def stage(self) -> str:
        """closed, awaiting_acceptance, rejected or being_handled: each report is one of them."""
        if self.closed:
            return "closed"
        if self.status == Status.REGISTERED:
            return "awaiting_acceptance"
        if self.status == Status.REJECTED:
            return "rejected"
        return "being_handled"

    def outcomes(self) -> list[str]:
        """The outcomes counted: one per person where people's outcomes exist, else the case's."""
        if self.people:
            return [outcome for outcome, _sanction in self.people.values()]
        return [self.dispositions[-1][1]] if self.dispositions else []

    def sanctions(self) -> Counter:
        """People sanctioned, by sanction."""
        if self.people:
            return Counter(sanction for _outcome, sanction in self.people.values() if sanction)
        if self.dispositions and self.dispositions[-1][3]:
            return Counter({self.dispositions[-1][3]: self.dispositions[-1][2]})
        return Counter()


def _report_timing(referral_status: str, due: datetime, reported: datetime | None, now: datetime) -> str:
    """Whether a referral's report came in on time: reported by its due date, reported after
    it, or owed and past it (late both), or owed and not yet due."""
    if referral_status in Referral.OWING:
        return "reports_late" if due < now else "reports_not_due"
    return "reports_on_time" if reported is not None and reported <= due else "reports_late"


def commission_summary(user: User, *, region: Region | None, date_from: date, date_to: date) -> CommissionSummary:
    """Reports against officials received from `date_from` to `date_to` (China time, by
    `received_at`: the day the report reached a desk, not the day it was typed in) in the
    region (or all the user's commissions answer for). Five queries, whatever the size: the
    reports, their dispositions, the people's outcomes, the referrals, the child regions."""
    reports = commission_reports_for(user, region=region).filter(
        received_at__gte=day_range(date_from)[0], received_at__lt=day_range(date_to)[1]
    )
    rows = list(
        reports.annotate(accused_count=Count("accused", distinct=True))
        .values_list("pk", "received_at", "status", "channel", "region_code", "source", "accused_count")
        .order_by()
    )
    summary = CommissionSummary(region=region, date_from=date_from, date_to=date_to, received=len(rows))
    found = {pk: _Report(status=status, accused=count) for pk, _at, status, _ch, _code, _src, count in rows}
    # The reads below select the same reports again: one that came in between is left out.

    for petition_id, *disposition in (
        Disposition.objects.filter(petition__in=reports)
        .order_by("created_at", "pk")
        .values_list("petition_id", "created_at", "kind", "sanctioned_count", "sanction_kind")
    ):
        if petition_id in found:
            found[petition_id].dispositions.append(tuple(disposition))
    # In the order of their dispositions: a person's last outcome read is their latest.
    for petition_id, accused_id, outcome, sanction in (
        PersonOutcome.objects.filter(disposition__petition__in=reports)
        .order_by("disposition__created_at", "disposition_id")
        .values_list("disposition__petition_id", "accused_id", "outcome", "sanction")
    ):
        if petition_id in found:
            found[petition_id].people[accused_id] = (outcome, sanction)

    # The referrals from above the counties: who handed each case down first, and whether the
    # unit below (in a county) reported on time.
    now = timezone.now()
    first_from_above: dict[int, str] = {}
    timing: dict[int, Counter] = {}
    for petition_id, from_unit, to_level, status, due, reported in (
        Referral.objects.filter(petition__in=reports, from_unit__region__level__in=ABOVE_COUNTY)
        .order_by("created_at", "pk")
        .values_list(
            "petition_id", "from_unit__name", "to_unit__region__level", "status", "report_due_at", "reported_at"
        )
    ):
        first_from_above.setdefault(petition_id, from_unit)
        if to_level not in ABOVE_COUNTY:
            timing.setdefault(petition_id, Counter())[_report_timing(status, due, reported, now)] += 1

    stages: Counter = Counter()
    by_disposition: Counter = Counter()
    by_sanction: Counter = Counter()
    by_source: Counter = Counter()
    handed_down_by: Counter = Counter()
    by_channel: Counter = Counter()
    by_month: Counter = Counter()
    days: list[float] = []
    child_length = child_prefix_length(region)
    children: dict[str, Counter] = {}
    for pk, received_at, _status, channel, region_code, source, _count in rows:
        report = found[pk]
        stage = report.stage
        stages[stage] += 1
        by_channel[channel] += 1
        by_month[timezone.localtime(received_at).strftime("%Y-%m")] += 1
        by_source[source] += 1
        if source in FROM_ABOVE and pk in first_from_above:
            handed_down_by[first_from_above[pk]] += 1
        sanctions = report.sanctions()
        by_sanction.update(sanctions)
        by_disposition.update(report.outcomes())
        if report.dispositions:
            summary.disposed += 1
            days.append((report.dispositions[0][0] - received_at).total_seconds() / SECONDS_PER_DAY)
        elif stage == "being_handled":
            summary.in_progress += 1
        if child_length is not None:
            child = children.setdefault(region_code[:child_length], Counter())
            child["received"] += 1
            child["handed_down"] += source in FROM_ABOVE
            child["disposed"] += bool(report.dispositions)
            child[stage] += 1
            child["sanctioned"] += sum(sanctions.values())
            child.update(timing.get(pk, {}))

    summary.closed = stages["closed"]
    summary.being_handled = stages["being_handled"]
    summary.awaiting_acceptance = stages["awaiting_acceptance"]
    summary.rejected = stages["rejected"]
    summary.sanctioned = sum(by_sanction.values())
    summary.by_disposition = {kind: by_disposition[kind] for kind in Disposition.Kind.values}
    summary.by_sanction = {kind: by_sanction[kind] for kind in Disposition.Sanction.values}
    summary.by_source = {source: by_source[source] for source in Source.values}
    summary.handed_down_by = [
        {"unit": unit, "count": count} for unit, count in sorted(handed_down_by.items(), key=lambda u: (-u[1], u[0]))
    ]
    summary.by_channel = dict(sorted(by_channel.items()))
    summary.by_month = dict(sorted(by_month.items()))
    summary.days_to_disposition = {
        "median": round(pystats.median(days), 1) if days else None,
        "mean": round(pystats.fmean(days), 1) if days else None,
        "max": round(max(days), 1) if days else None,
    }
    if child_length is not None:
        for child in Region.objects.filter(parent=region).order_by("code").only("code", "name", "level"):
            counts = children.get(child.prefix, Counter())
            row = {"code": child.code, "name": child.name} | {name: counts[name] for name in CHILD_FIGURES}
            summary.by_child_region.append(row)
            if region.level == Region.Level.CITY:
                summary.counties.append(row | {name: counts[name] for name in REFERRAL_FIGURES})
    return summary
