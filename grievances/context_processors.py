from __future__ import annotations

from django.conf import settings

from config.display import elder_mode


def portal(request) -> dict:
    """What the base template needs on every page."""
    return {
        "portal_name": settings.SUQIU_SITE_NAME,
        "language_cookie": settings.LANGUAGE_COOKIE_NAME,
        "elder_mode": elder_mode(request),
    }
