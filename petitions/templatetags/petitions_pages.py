"""Small helpers for the staff case pages."""

from __future__ import annotations

from django import template

from petitions.selectors import unread_notification_count
from stations.selectors import has_stats_rights, intake_units_of

register = template.Library()


@register.simple_tag
def can_register(user) -> bool:
    """Whether the user works at an intake unit (and so may log walk-ins)."""
    return bool(getattr(user, "is_authenticated", False) and intake_units_of(user))


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The bell's count: one query per request however often a page asks."""
    request = context.get("request")
    if request is None:
        return unread_notification_count(context.get("user"))
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = unread_notification_count(request.user)
    return request._unread_notifications


@register.simple_tag
def can_see_stats(user) -> bool:
    """Whether the user may open the statistics dashboard (`stations.selectors.has_stats_rights`)."""
    return bool(getattr(user, "is_authenticated", False) and has_stats_rights(user))
