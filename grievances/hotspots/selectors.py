"""Hotspots (热点分析, 未诉先办, docs/statistics.md "Hotspots"): clusters of similar grievances
(one place, one category, alike in wording), the people who came back again and again, and
the cases open across years.

The clusters are found by the nightly job (`hotspots_refresh`) into `Hotspot` and
`HotspotCase`, because the wording's similarity needs jieba's dictionary and a pass over every
pair of a place's cases: a page or the API reads the tables (a few indexed queries). The
people and the cases open across years are counted live: they are a grouped query each.

Who sees what: the clusters' and the people's figures count the cases the viewer's
statistics count (`petitions_counted_for`); a case is listed and linked only when the viewer
may open it (`petitions_visible_to`); a cluster's keywords are shown only to a viewer who
counts every case of it, so they never carry the wording of a case the viewer cannot see.
Reports against officials (涉纪涉腐) never enter a cluster, a person's visits or the cases open
across years, for anyone: the commissions have their own figures (`commission.py`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from grievances.hotspots.models import Hotspot, HotspotCase
from petitions.masking import mask_name, mask_phone
from petitions.models import Category, Status
from petitions.selectors import petitions_counted_for, petitions_for_rollup, petitions_visible_to
from stations.models import Region, User
from stations.selectors import scope_for, within_q

NOT_COUNTED = (Status.REJECTED,)  # a grievance not accepted is no sign of a problem on the ground
LISTED = 50  # clusters, people and old cases a page lists at most


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


# --- What a viewer sees -------------------------------------------------------------------------


@dataclass
class CaseLink:
    """A case the viewer may open."""

    pk: int
    tracking_number: str
    title: str
    status: str
    received_at: datetime


@dataclass
class HotspotRow:
    pk: int
    place: str
    region_code: str
    category: str
    keywords: list[str]
    cases: int  # counted for the viewer, in the period
    first_received_at: datetime
    last_received_at: datetime
    alerted: bool
    linked: list[CaseLink] = field(default_factory=list)

    @property
    def not_linked(self) -> int:
        return self.cases - len(self.linked)


@dataclass
class PersonRow:
    """Someone who came back again and again: never their phone or ID number, nor a digest of
    them; their name and phone masked, and only to a viewer who may open one of their cases."""

    visits: int
    name: str
    phone: str
    open: int
    first_received_at: datetime
    last_received_at: datetime
    categories: list[str]
    linked: list[CaseLink] = field(default_factory=list)


@dataclass
class Hotspots:
    date_from: date
    date_to: date
    window_from: date  # the clusters are found among the cases received since
    clusters: list[HotspotRow]
    people: list[PersonRow]
    open_across_years: int
    open_across_years_linked: list[CaseLink]


def _period(date_from: date, date_to: date) -> Q:
    return Q(received_at__gte=_day_start(date_from), received_at__lt=_day_start(date_to + timedelta(days=1)))


@dataclass(frozen=True)
class _Reach:
    """The cases a viewer's hotspot figures count here (`petitions_counted_for`, in the region;
    no report against officials, none rejected) and whether the viewer may open every one of
    them (`petitions_visible_to`), so that no visibility check is needed case by case."""

    counted: QuerySet
    opens_all: bool


def _reach(user: User, region: Region | None) -> _Reach:
    """When the viewer watches the whole region (a supervisor, a leader, an observer of it),
    its cases are counted by one range of the region's codes instead of the union of rules of
    `petitions_counted_for`, which is the same set there; and a viewer who may open every
    ordinary case of the region (`Scope.case_prefixes`) opens every case counted. What it buys:
    the county's figures in a third of the queries' planning (docs/statistics.md, "Hotspots")."""
    scope = scope_for(user)

    def covered(prefixes) -> bool:
        return scope.everything or (region is not None and scope.covers(region.prefix, prefixes))

    whole = covered(scope.stats_prefixes) or covered(scope.case_prefixes)
    cases = petitions_for_rollup() if whole and not scope.everything else petitions_counted_for(user)
    if region is not None:
        cases = cases.filter(within_q("region_code", [region.prefix]))
    cases = cases.filter(category__confidential=False).exclude(status__in=NOT_COUNTED)
    return _Reach(cases, covered(scope.case_prefixes))


def _category_names() -> dict[int, str]:
    """Each category's name in the language of the request (a property of the row)."""
    return {category.pk: category.name for category in Category.objects.all()}


def _visible_ids(user: User, reach: _Reach, ids) -> set[int]:
    ids = list(ids)
    if reach.opens_all:
        return set(ids)
    return set(petitions_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def hotspots_for(user: User, *, region: Region | None, date_from: date, date_to: date) -> Hotspots:
    """What the hotspot panel and `GET /api/v1/stats/hotspots/` show this viewer (the region
    already checked by `summary.stats_region_for`): the clusters with at least
    SUQIU_HOTSPOT_MIN_CASES of their cases received in the period and counted by the viewer,
    largest first; the people with SUQIU_RETURNING_VISITS cases or more in the period; the
    cases received before this year and not closed. At most eleven queries whatever the
    numbers: the categories' names, four for the clusters, four for the people (three for a
    viewer who opens every case counted), two for the old cases (and the region's, asked by the
    caller)."""
    reach = _reach(user, region)
    counted = reach.counted
    today = timezone.localdate()
    names = _category_names()
    clusters = _clusters(user, reach, date_from, date_to, names)
    people = _returning_people(user, reach, counted.filter(_period(date_from, date_to)), names)
    old = counted.filter(received_at__lt=_day_start(today.replace(month=1, day=1))).exclude(status=Status.CLOSED)
    old_count = old.count()
    linked = old if reach.opens_all else petitions_visible_to(user).filter(pk__in=old.values("pk"))
    linked = linked.order_by("received_at", "id").values_list("pk", "tracking_number", "title", "status", "received_at")
    linked = linked[:LISTED] if old_count else []
    return Hotspots(
        date_from=date_from,
        date_to=date_to,
        window_from=today - timedelta(days=settings.SUQIU_HOTSPOT_DAYS),
        clusters=clusters,
        people=people,
        open_across_years=old_count,
        open_across_years_linked=[CaseLink(*row) for row in linked],
    )


def _clusters(
    user: User, reach: _Reach, date_from: date, date_to: date, categories: dict[int, str]
) -> list[HotspotRow]:
    members = HotspotCase.objects.filter(hotspot__active=True, petition__in=reach.counted.values("pk"))
    in_period = _period(date_from, date_to)
    sizes = list(
        members.values("hotspot_id")
        .annotate(cases=Count("pk", filter=in_period), counted=Count("pk"))
        .filter(cases__gte=settings.SUQIU_HOTSPOT_MIN_CASES)
        .order_by("-cases", "-hotspot_id")
        .values_list("hotspot_id", "cases", "counted")[:LISTED]
    )
    if not sizes:
        return []
    hotspots = Hotspot.objects.in_bulk([row[0] for row in sizes])
    names = dict(Region.objects.filter(code__in={h.region_code for h in hotspots.values()}).values_list("code", "name"))
    rows = {}
    for hotspot_id, cases, counted_all in sizes:
        hotspot = hotspots[hotspot_id]
        rows[hotspot_id] = HotspotRow(
            pk=hotspot_id,
            place=names.get(hotspot.region_code, hotspot.region_code),
            region_code=hotspot.region_code,
            category=categories.get(hotspot.category_id, ""),
            # Its words come from all its cases: shown only to who counts every one of them.
            keywords=hotspot.keywords.split() if counted_all == hotspot.size else [],
            cases=cases,
            first_received_at=hotspot.first_received_at,
            last_received_at=hotspot.last_received_at,
            alerted=hotspot.alerted_at is not None,
        )
    linked = members.filter(in_period, hotspot_id__in=list(rows))
    if not reach.opens_all:
        linked = linked.filter(petition__in=petitions_visible_to(user).values("pk"))
    linked = linked.order_by("received_at", "pk").values_list(
        "hotspot_id",
        "petition_id",
        "petition__tracking_number",
        "petition__title",
        "petition__status",
        "received_at",
    )
    for hotspot_id, *case in linked:
        rows[hotspot_id].linked.append(CaseLink(*case))
    return list(rows.values())


def _returning_people(user: User, reach: _Reach, cases, names: dict[int, str]) -> list[PersonRow]:
    """People with SUQIU_RETURNING_VISITS cases or more among `cases`, by the same phone or the
    same ID number (its keyed digest); someone known by both is one person. Anonymous cases
    are left out: counting them would tie an anonymous grievance to a named one."""
    visits = settings.SUQIU_RETURNING_VISITS
    named = cases.filter(anonymous=False)
    phones = list(
        named.exclude(complainant_phone="")
        .values("complainant_phone")
        .annotate(n=Count("pk"))
        .filter(n__gte=visits)
        .order_by("-n")
        .values_list("complainant_phone", flat=True)[:LISTED]
    )
    digests = list(
        named.exclude(complainant_id_digest="")
        .values("complainant_id_digest")
        .annotate(n=Count("pk"))
        .filter(n__gte=visits)
        .order_by("-n")
        .values_list("complainant_id_digest", flat=True)[:LISTED]
    )
    if not phones and not digests:
        return []
    rows = list(
        named.filter(Q(complainant_phone__in=phones) | Q(complainant_id_digest__in=digests))
        .order_by("received_at", "id")
        .values_list(
            "pk",
            "complainant_phone",
            "complainant_id_digest",
            "complainant_name",
            "received_at",
            "status",
            "category_id",
            "tracking_number",
            "title",
        )
    )
    visible = _visible_ids(user, reach, (row[0] for row in rows))
    # One person per group of keys that share a case (a phone and an ID number used together).
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    wanted_phones, wanted_digests = set(phones), set(digests)
    keyed = []
    for row in rows:
        keys = [f"p:{row[1]}"] if row[1] in wanted_phones else []
        keys += [f"i:{row[2]}"] if row[2] in wanted_digests else []
        for key in keys[1:]:
            parent[root(key)] = root(keys[0])
        keyed.append((keys[0], row))
    people: dict[str, list[tuple]] = defaultdict(list)
    for key, row in keyed:
        people[root(key)].append(row)
    found = []
    for person in people.values():
        opened = [row for row in person if row[0] in visible]
        found.append(
            PersonRow(
                visits=len(person),
                name=mask_name(opened[-1][3]) if opened else "",
                phone=mask_phone(next((row[1] for row in reversed(opened) if row[1]), "")),
                open=sum(1 for row in person if row[5] != Status.CLOSED),
                first_received_at=person[0][4],
                last_received_at=person[-1][4],
                categories=sorted({names.get(row[6], "") for row in person}),
                linked=[CaseLink(row[0], row[7], row[8], row[5], row[4]) for row in opened],
            )
        )
    found.sort(key=lambda p: (-p.visits, p.first_received_at))
    return found


def hotspot_get_for_user(user: User, pk: int) -> Hotspot:
    """A cluster the viewer's figures count at least one case of, or 404."""
    members = HotspotCase.objects.filter(
        hotspot_id=pk, hotspot__active=True, petition__in=_reach(user, None).counted.values("pk")
    )
    try:
        if not members.exists():
            raise Http404
        return Hotspot.objects.get(pk=pk)
    except (ValueError, TypeError, Hotspot.DoesNotExist):
        raise Http404 from None
