"""Statistics for the discipline commissions (纪委监委): reports against officials received,
how they were disposed of, the people sanctioned, and the time from report to disposition.

Aggregates only: no reporter, no accused, no title. Only commission staff (and superusers)
may ask, for the subtrees of the commissions they work in; anything else is a 404.
"""

from __future__ import annotations

import statistics as pystats
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.http import Http404

from grievances.stats.summary import child_prefix_length, day_range
from petitions.models import OPEN_STATUSES, Disposition, Status
from petitions.selectors import commission_prefixes_of, commission_reports_for
from stations import codes
from stations.models import Region, User

SECONDS_PER_DAY = 86400


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
    region: Region | None
    date_from: date
    date_to: date
    received: int = 0
    awaiting_acceptance: int = 0
    in_progress: int = 0  # accepted, no disposition yet
    disposed: int = 0  # at least one disposition recorded
    closed: int = 0
    sanctioned: int = 0  # people, from each case's current disposition
    by_disposition: dict[str, int] = field(default_factory=dict)
    by_sanction: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    days_to_disposition: dict[str, float | None] = field(default_factory=dict)
    by_child_region: list[dict] = field(default_factory=list)


def commission_summary(user: User, *, region: Region | None, date_from: date, date_to: date) -> CommissionSummary:
    """Reports against officials registered from `date_from` to `date_to` (China time) in the
    region (or all the user's commissions answer for). Three queries, whatever the size."""
    reports = commission_reports_for(user, region=region).filter(
        created_at__gte=day_range(date_from)[0], created_at__lt=day_range(date_to)[1]
    )
    rows = list(reports.values_list("pk", "created_at", "status", "channel", "region_code"))
    summary = CommissionSummary(region=region, date_from=date_from, date_to=date_to, received=len(rows))

    # Each case's first disposition (for the time taken) and current one (for the outcome).
    first: dict[int, Disposition] = {}
    current: dict[int, Disposition] = {}
    for disposition in Disposition.objects.filter(petition__in=reports).order_by("created_at", "pk"):
        first.setdefault(disposition.petition_id, disposition)
        current[disposition.petition_id] = disposition

    by_disposition: Counter = Counter()
    by_sanction: Counter = Counter()
    by_channel: Counter = Counter()
    by_month: Counter = Counter()
    days: list[float] = []
    child_length = child_prefix_length(region)
    children: dict[str, Counter] = {}
    for pk, created_at, status, channel, region_code in rows:
        by_channel[channel] += 1
        by_month[created_at.astimezone().strftime("%Y-%m")] += 1
        disposition = current.get(pk)
        if status == Status.CLOSED:
            summary.closed += 1
        if disposition is not None:
            summary.disposed += 1
            by_disposition[disposition.kind] += 1
            summary.sanctioned += disposition.sanctioned_count
            if disposition.sanction_kind:
                by_sanction[disposition.sanction_kind] += disposition.sanctioned_count
            days.append((first[pk].created_at - created_at).total_seconds() / SECONDS_PER_DAY)
        elif status == Status.REGISTERED:
            summary.awaiting_acceptance += 1
        elif status in OPEN_STATUSES:
            summary.in_progress += 1
        if child_length is not None:
            child = children.setdefault(region_code[:child_length], Counter())
            child["received"] += 1
            child["disposed"] += disposition is not None
            child["sanctioned"] += disposition.sanctioned_count if disposition is not None else 0

    summary.by_disposition = {kind: by_disposition[kind] for kind in Disposition.Kind.values}
    summary.by_sanction = {kind: by_sanction[kind] for kind in Disposition.Sanction.values}
    summary.by_channel = dict(sorted(by_channel.items()))
    summary.by_month = dict(sorted(by_month.items()))
    summary.days_to_disposition = {
        "median": round(pystats.median(days), 1) if days else None,
        "mean": round(pystats.fmean(days), 1) if days else None,
        "max": round(max(days), 1) if days else None,
    }
    if child_length is not None:
        summary.by_child_region = [
            {
                "code": child.code,
                "name": child.name,
                "received": children.get(child.prefix, Counter())["received"],
                "disposed": children.get(child.prefix, Counter())["disposed"],
                "sanctioned": children.get(child.prefix, Counter())["sanctioned"],
            }
            for child in Region.objects.filter(parent=region).order_by("code").only("code", "name", "level")
        ]
    return summary
