"""What is done about hotspots (docs/statistics.md "Hotspots"): finding them, each night
(`hotspots_refresh`); one supervision notice (督办单)
for each of its cases, from the page or the API through the same function; and, once, telling
the township's leaders that a hotspot has grown past SUQIU_HOTSPOT_ALERT_CASES cases."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.errors import InvalidState, NotPermitted
from grievances.hotspots.models import Hotspot, HotspotCase
from grievances.hotspots.selectors import NOT_COUNTED, hotspot_get_for_user
from petitions.models import Notification, NotificationRoute, Status, SupervisionNotice
from petitions.selectors import can_issue_notice, petitions_for_rollup, petitions_visible_to
from petitions.services import notice_issue
from stations import codes
from stations.models import Membership, Region, User

ALERT_KIND = "hotspot"
# The first key of the PostgreSQL advisory locks that serialise the refresh of one township.
_TOWNSHIP_LOCK = 0x48535054  # "HSPT"


@transaction.atomic
def hotspot_issue_notices(
    *, hotspot_id: int, actor: User, text: str, days: int | None = None
) -> list[SupervisionNotice]:
    """A supervisor sends the hotspot as supervision notices (督办单): one to the unit holding
    each of its cases that the supervisor may open and supervise, that is still open and has
    had none through the hotspot yet (`notices.notice_issue`: each writes its case's event and
    tells the unit). The hotspot is locked while they are issued: two supervisors at once send
    each case one notice. A hotspot outside the supervisor's figures is a 404."""
    hotspot_get_for_user(actor, hotspot_id)
    Hotspot.objects.select_for_update().get(pk=hotspot_id)
    mine = list(
        HotspotCase.objects.filter(hotspot_id=hotspot_id, petition__in=petitions_visible_to(actor).values("pk"))
        .select_related("petition__category", "petition__holder_unit")
        .order_by("received_at", "pk")
    )
    if not mine:  # an observer: the figures, none of the cases
        raise NotPermitted(_("Only a supervisor of the cases' region can issue a supervision notice."))
    waiting = [m for m in mine if m.notice_id is None and m.petition.status not in (Status.CLOSED, Status.REJECTED)]
    if not waiting:
        raise InvalidState(_("Every open case of this hotspot you may see already has its supervision notice."))
    allowed = [member for member in waiting if can_issue_notice(actor, member.petition)]
    if not allowed:
        raise NotPermitted(_("Only a supervisor of the cases' region can issue a supervision notice."))
    notices = []
    for member in allowed:
        notice = notice_issue(petition_id=member.petition_id, actor=actor, text=text, days=days)
        member.notice = notice
        member.save(update_fields=["notice"])
        notices.append(notice)
    return notices


def hotspot_url(hotspot: Hotspot) -> str:
    return f"{reverse('grievances:hotspots')}?region={hotspot.township_code}#hotspot-{hotspot.pk}"


def hotspots_alert(*, now=None) -> int:
    """Tell the leaders of each township whose active hotspot has reached
    SUQIU_HOTSPOT_ALERT_CASES cases, once per hotspot: the hotspot is claimed by a conditional
    update (a second run, or a second worker, claims nothing), and the notification's unique
    key (`hotspot:<id>`) would refuse a second row anyway. Returns the notifications made."""
    now = now or timezone.now()
    made = 0
    due = Hotspot.objects.filter(active=True, alerted_at=None, size__gte=settings.SUQIU_HOTSPOT_ALERT_CASES)
    for hotspot_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Hotspot.objects.filter(pk=hotspot_id, alerted_at=None).update(alerted_at=now)
            if claimed:
                made += _alert_leaders(Hotspot.objects.select_related("category").get(pk=hotspot_id), now)
    return made


def _alert_leaders(hotspot: Hotspot, now) -> int:
    first = (
        HotspotCase.objects.filter(hotspot=hotspot).order_by("received_at", "pk").values_list("petition_id", flat=True)
    ).first()
    leaders = list(
        User.objects.filter(
            is_active=True,
            memberships__role=Membership.Role.LEADER,
            memberships__unit__is_active=True,
            memberships__unit__region__code=hotspot.township_code,
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    if first is None or not leaders:
        return 0
    place = Region.objects.filter(code=hotspot.region_code).values_list("name", flat=True).first() or ""
    with translation.override(settings.LANGUAGE_CODE):
        title = pgettext("notification", "Hotspot: %(count)s similar grievances in %(place)s") % {
            "count": hotspot.size,
            "place": place,
        }
        body = " · ".join(part for part in (hotspot.category.name, hotspot.keywords) if part)
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=ALERT_KIND,
                petition_id=first,
                dedupe_key=f"hotspot:{hotspot.pk}",
                channel=NotificationRoute.Channel.IN_APP,
                title=title[:200],
                body=body,
                url=hotspot_url(hotspot)[:200],
                created_at=now,
            )
            for user_id in leaders
        ],
        ignore_conflicts=True,
    )
    return len(leaders)


# --- The nightly job: finding the clusters ------------------------------------------------------


@dataclass
class RefreshResult:
    townships: int = 0
    active: int = 0
    created: int = 0
    retired: int = 0


def hotspot_candidates(since: datetime):
    """The cases the clusters are found among: received since `since`, not reports against
    officials, not rejected; one place's after another (village code order)."""
    return (
        petitions_for_rollup()
        .filter(received_at__gte=since, category__confidential=False)
        .exclude(status__in=NOT_COUNTED)
        .order_by("region_code", "id")
        .values_list("pk", "region_code", "category_id", "title", "content", "received_at")
    )


def hotspots_refresh(*, now: datetime | None = None) -> RefreshResult:
    """Find the clusters among the cases of the last SUQIU_HOTSPOT_DAYS days, township by
    township, each in its own transaction (on PostgreSQL under an advisory lock of the
    township, so two workers refresh one township one after the other and find the same)."""
    from grievances.hotspots.similarity import clusters_of, keywords_of, terms_of, words  # jieba: only the job

    now = now or timezone.now()
    since = now - timedelta(days=settings.SUQIU_HOTSPOT_DAYS)
    threshold = settings.SUQIU_HOTSPOT_SIMILARITY_PERCENT / 100
    result = RefreshResult()
    seen_townships: set[str] = set()
    # Townships with clusters stored: one with none stored and none found is not written at all.
    stored = set(Hotspot.objects.filter(active=True).values_list("township_code", flat=True).distinct())

    def flush(township: str, rows: list[tuple]) -> None:
        by_category: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            by_category[row[2]].append(row)
        found = {}
        for category_id, cases in by_category.items():
            if len(cases) < 2:
                continue
            cut = [words(f"{title}。{content}") for _pk, _code, _cat, title, content, _at in cases]
            groups = clusters_of([terms_of(case_words) for case_words in cut], threshold)
            if groups:
                found[category_id] = [([cases[i] for i in g], keywords_of([cut[i] for i in g])) for g in groups]
        seen_townships.add(township)
        if found or township in stored:
            _store_township(township, found, now, result)

    township, rows = None, []
    for row in hotspot_candidates(since).iterator(chunk_size=2000):
        here = codes.pad(row[1][: codes.PREFIX_LENGTH["township"]])
        if here != township and township is not None:
            flush(township, rows)
            rows = []
        township = here
        rows.append(row)
    if township is not None:
        flush(township, rows)
    # The townships with no case left in the window: their clusters end.
    for gone in sorted(stored - seen_townships):
        _store_township(gone, {}, now, result)
    result.townships = len(seen_townships)
    return result


@transaction.atomic
def _store_township(township: str, found: dict[int, list], now: datetime, result: RefreshResult) -> None:
    """Write one township's clusters: each keeps the id of the stored cluster it shares most
    cases with (its link, notices and alert stay), the rest are new; stored clusters left
    without a match end (`active=False`)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_TOWNSHIP_LOCK, int(township[:9])])
    stored = list(Hotspot.objects.select_for_update().filter(township_code=township))
    members: dict[int, set[int]] = defaultdict(set)
    for hotspot_id, petition_id in HotspotCase.objects.filter(hotspot__in=stored).values_list("hotspot", "petition"):
        members[hotspot_id].add(petition_id)
    taken: set[int] = set()
    for category_id, groups in found.items():
        for cases, words in groups:
            ids = {case[0] for case in cases}
            candidates = [h for h in stored if h.category_id == category_id and h.pk not in taken]
            best = max(candidates, key=lambda h: (len(members[h.pk] & ids), h.active, -h.pk), default=None)
            if best is None or not members[best.pk] & ids:
                best = Hotspot(township_code=township, category_id=category_id, created_at=now)
                result.created += 1
            villages = {case[1] for case in cases}
            facts = {
                "region_code": villages.pop() if len(villages) == 1 else township,
                "keywords": " ".join(words)[:120],
                "size": len(ids),
                "first_received_at": min(case[5] for case in cases),
                "last_received_at": max(case[5] for case in cases),
                "active": True,
            }
            result.active += 1
            if best.pk is not None and members[best.pk] == ids and all(getattr(best, k) == v for k, v in facts.items()):
                taken.add(best.pk)
                continue  # as it was last night: nothing to write
            for name, value in facts.items():
                setattr(best, name, value)
            best.refreshed_at = now
            best.save()
            taken.add(best.pk)
            HotspotCase.objects.filter(hotspot=best).exclude(petition_id__in=ids).delete()
            HotspotCase.objects.bulk_create(
                [HotspotCase(hotspot=best, petition_id=case[0], received_at=case[5]) for case in cases],
                ignore_conflicts=True,
            )
    ended = [h.pk for h in stored if h.pk not in taken and h.active]
    if ended:
        Hotspot.objects.filter(pk__in=ended).update(active=False, refreshed_at=now)
        result.retired += len(ended)
