"""Notifications (通知): who is told what, once, and their delivery by SMS or e-mail."""

from __future__ import annotations

from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from petitions.models import (
    Notification,
    NotificationRoute,
    Petition,
)
from petitions.selectors import (
    notification_recipients,
    users_who_see,
)
from stations.models import Unit, User

# --- Notifications (通知) ------------------------------------------------------------------------

_NOTIFICATION_TITLES = {
    NotificationRoute.Event.REMINDED: pgettext_lazy("notification", "Deadline near: %(number)s"),
    NotificationRoute.Event.ESCALATED: pgettext_lazy("notification", "Overdue, escalated: %(number)s"),
    NotificationRoute.Event.RED_NOTICE: pgettext_lazy("notification", "Red supervision notice: %(number)s"),
    NotificationRoute.Event.NOTICE_ISSUED: pgettext_lazy("notification", "Supervision notice: %(number)s"),
    NotificationRoute.Event.NOTICE_ANSWERED: pgettext_lazy("notification", "Supervision notice answered: %(number)s"),
    NotificationRoute.Event.NOTICE_MISSED: pgettext_lazy("notification", "Supervision notice unanswered: %(number)s"),
    NotificationRoute.Event.CO_OVERDUE: pgettext_lazy("notification", "Co-handling part overdue: %(number)s"),
    NotificationRoute.Event.EXTENSION_WAITING: pgettext_lazy("notification", "Extension request waiting: %(number)s"),
    NotificationRoute.Event.CLOSED_NO_RESPONSE: pgettext_lazy("notification", "Closed without a rating: %(number)s"),
}


def queue_task(name: str, *args) -> None:
    """Queue one of this app's Celery tasks once the transaction commits, found by its name in
    the Celery app: the tasks call the services, so the services do not import the tasks."""
    current_app.tasks[name].delay_on_commit(*args)


# The columns of a notification row, in the order `notification_rows` makes them.
NOTIFICATION_COLUMNS = ("user_id", "kind", "petition_id", "dedupe_key", "channel", "title", "body", "url", "created_at")


class Recipients:
    """Where `notification_rows` reads the routing table, who each audience names and who of
    them may open a case: asked of the database each time. The escalation sweep's
    `EscalationCache` answers the same questions from what it worked out once per sweep."""

    def __init__(self) -> None:
        self.texts: dict[tuple[str, str], str] = {}  # translated titles and status labels

    def routes_for(self, event: str) -> list[NotificationRoute]:
        return list(NotificationRoute.objects.filter(event=event, active=True))

    def recipients_for(self, route: NotificationRoute, petition: Petition, unit: Unit | None) -> list[int]:
        """The ids of the active staff the route's audience names, in id order."""
        return [user.pk for user in notification_recipients(route.audience, petition=petition, unit=unit)]

    def who_see(self, petition: Petition, user_ids: list[int | None]) -> list[int | None]:
        return users_who_see(petition, user_ids)

    def case_url(self, pk: int) -> str:
        from django.urls import reverse

        return reverse("petitions:case", kwargs={"pk": pk})

    def text(self, key: tuple[str, str], make) -> str:
        if key not in self.texts:
            self.texts[key] = str(make())
        return self.texts[key]


def notification_rows(
    event: str,
    *,
    petition: Petition,
    unit: Unit | None,
    dedupe_key: str,
    now,
    staff: bool = True,
    region_of: Unit | None = None,
    url: str | None = None,
    recipients: Recipients | None = None,
) -> list[tuple]:
    """The notifications the routing table asks for about one case, as tuples of
    `NOTIFICATION_COLUMNS`: one per route and recipient (`notify` says who they are)."""
    from django.utils import translation

    recipients = recipients or Recipients()
    with translation.override(settings.LANGUAGE_CODE):
        title = recipients.text(("title", event), lambda: _NOTIFICATION_TITLES[event]) % {
            "number": petition.tracking_number
        }
        status = recipients.text(("status", petition.status), petition.get_status_display)
    body = " · ".join(part for part in (petition.category.name, unit.name if unit is not None else "", status) if part)
    url = url or recipients.case_url(petition.pk)
    rows = []
    for route in recipients.routes_for(event):
        if route.audience == NotificationRoute.Audience.HOLDER_UNIT_STAFF and not staff:
            continue
        if route.audience == NotificationRoute.Audience.RESIDENT:
            if route.channel != NotificationRoute.Channel.SMS or not petition.complainant_phone:
                continue
            people: list[int | None] = [None]
        else:
            about = region_of if route.audience == NotificationRoute.Audience.SUPERVISORS_OF_REGION else None
            people = recipients.who_see(petition, recipients.recipients_for(route, petition, about or unit))
        rows += [(user, event, petition.pk, dedupe_key, route.channel, title, body, url, now) for user in people]
    return rows


def notify(
    event: str,
    *,
    petition: Petition,
    unit: Unit | None,
    dedupe_key: str,
    now=None,
    staff: bool = True,
    region_of: Unit | None = None,
    url: str | None = None,
) -> int:
    """Make the notifications the routing table asks for, once per recipient, event and channel
    (a re-run makes none), and queue the SMS and e-mail ones to be sent after the commit.

    `unit` is the unit concerned (the holder, the addressee, the late unit); `staff=False`
    leaves out its own staff (used when only the region's supervisors should hear); the
    supervisors are those of `region_of` (the late unit) when given, else of `unit`. Titles and
    bodies carry the tracking number and unit names only: never the complainant's data. The
    link is the case page unless `url` says otherwise (a notice's page). Of a report against
    officials, only those who may open it are told (`selectors.users_who_see`).
    """
    rows = notification_rows(
        event,
        petition=petition,
        unit=unit,
        dedupe_key=dedupe_key,
        now=now or timezone.now(),
        staff=staff,
        region_of=region_of,
        url=url,
    )
    if not rows:
        return 0
    # The unique constraints make a second run insert nothing.
    Notification.objects.bulk_create(
        [Notification(**dict(zip(NOTIFICATION_COLUMNS, row, strict=True))) for row in rows], ignore_conflicts=True
    )
    if any(row[4] != NotificationRoute.Channel.IN_APP for row in rows):
        unsent = Notification.objects.filter(
            kind=event, petition=petition, dedupe_key=dedupe_key, sent_at=None
        ).exclude(channel=NotificationRoute.Channel.IN_APP)
        for pk in unsent.values_list("pk", flat=True):
            queue_task("petitions.tasks.send_notification", pk)  # sending twice is refused by the row lock
    return len(rows)


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's in-app notifications read (all of them when no ids are given)."""
    unread = Notification.objects.filter(user=user, channel=NotificationRoute.Channel.IN_APP, read_at=None)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_deliver(*, notification_id: int) -> bool:
    """Send one SMS or e-mail notification through the configured backend, once: the row is
    locked and marked sent in the same transaction. A backend error propagates (the task
    retries with backoff) and the row stays unsent."""
    from petitions.notifications import deliver

    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("user", "petition")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.sent_at is not None or notification.channel == "in_app":
        return False
    if not deliver(notification):
        return False
    notification.sent_at = timezone.now()
    notification.save(update_fields=["sent_at"])
    return True
