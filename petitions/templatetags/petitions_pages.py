"""Small helpers for the staff case pages."""

from __future__ import annotations

from django import template

from stations.selectors import intake_units_of

register = template.Library()


@register.simple_tag
def can_register(user) -> bool:
    """Whether the user works at an intake unit (and so may log walk-ins)."""
    return bool(getattr(user, "is_authenticated", False) and intake_units_of(user))
