"""Senders for SMS and e-mail notifications: a pluggable backend chosen by settings.

`SUQIU_SMS_BACKEND` and `SUQIU_EMAIL_BACKEND` are dotted paths to a class with
`send(to: str, subject: str, body: str) -> None`. By default both only log (a closed intranet
may have no gateway); `SUQIU_EMAIL_BACKEND` defaults to Django's e-mail framework (SMTP)
when `EMAIL_HOST` is set. A backend raises on failure: the Celery task retries with backoff.

The in-app notifications need no sender: the bell reads the rows. The rows are made by
`petitions.services.notify`; this module only delivers the SMS and e-mail ones.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from petitions.models import Notification

logger = logging.getLogger("suqiu.notifications")


class LoggingBackend:
    """Writes the message to the log instead of sending it (the default)."""

    def __init__(self, channel: str):
        self.channel = channel

    def send(self, to: str, subject: str, body: str) -> None:
        # The address is not logged in full: the log is read by more people than the case.
        logger.info("%s to %s: %s", self.channel, to[:3] + "***", subject)


class DjangoEmailBackend:
    """E-mail through Django's e-mail framework (EMAIL_HOST, EMAIL_PORT, … from the environment)."""

    def __init__(self, channel: str):
        self.channel = channel

    def send(self, to: str, subject: str, body: str) -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def backend_for(channel: str):
    path = settings.SUQIU_SMS_BACKEND if channel == Notification.Channel.SMS else settings.SUQIU_EMAIL_BACKEND
    return import_string(path)(channel)


def address_of(notification: Notification) -> str:
    """Where the message goes: the staff member's phone or e-mail; for the resident, the
    phone on the case (read here, at sending time, never carried in a task payload)."""
    if notification.user is None:
        return notification.petition.complainant_phone if notification.channel == Notification.Channel.SMS else ""
    if notification.channel == Notification.Channel.SMS:
        return notification.user.phone
    return notification.user.email


def deliver(notification: Notification) -> bool:
    """Send one notification; False when the recipient has no address for the channel."""
    to = address_of(notification)
    if not to:
        return False
    body = f"{notification.body}\n{settings.SUQIU_SITE_URL}{notification.url}".strip()
    backend_for(notification.channel).send(to, notification.title, body)
    return True


def send_receipt_codes(*, phone: str, tracking_number: str, query_code: str) -> bool:
    """Text the resident the tracking number and query code of a case registered without them
    at hand (an offline desk's case, sent after the resident left). The query code is never
    stored, so this is sent once, right after the registration commits, and not retried: a
    failure is logged (without the code) and the desk prints the final receipt instead."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Your grievance is registered")
        body = gettext(
            "Tracking number %(number)s, query code %(code)s. Look it up at %(site)s/track/ or ask at the desk."
        ) % {"number": tracking_number, "code": query_code, "site": settings.SUQIU_SITE_URL}
    try:
        backend_for(Notification.Channel.SMS).send(phone, subject, body)
    except Exception:
        logger.warning("receipt SMS for %s not sent", tracking_number, exc_info=True)
        return False
    return True
