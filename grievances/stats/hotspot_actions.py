"""What is done about a hotspot (docs/statistics.md "Hotspots"): one supervision notice (督办单)
for each of its cases, from the page or the API through the same function; and, once, telling
the township's leaders that a hotspot has grown past SUQIU_HOTSPOT_ALERT_CASES cases."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.errors import InvalidState, NotPermitted
from grievances.stats.hotspot_models import Hotspot, HotspotCase
from grievances.stats.hotspots import hotspot_get_for_user
from petitions.models import Notification, NotificationRoute, Status, SupervisionNotice
from petitions.selectors import can_issue_notice, petitions_visible_to
from petitions.services import notice_issue
from stations.models import Membership, Region, User

ALERT_KIND = "hotspot"


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
