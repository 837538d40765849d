from __future__ import annotations

from django.conf import settings


def portal(request) -> dict:
    """What the base template needs on every page."""
    return {"portal_name": settings.SUQIU_SITE_NAME, "language_cookie": settings.LANGUAGE_COOKIE_NAME}
