"""Middleware of our own: the language, how long a staff session lasts, and a request
without the resident's address behind the proxy."""

from __future__ import annotations

import ipaddress
import logging
import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import receiver
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from config.error_pages import address_unknown, language_of

logger = logging.getLogger("suqiu.security")


class LanguageMiddleware:
    """Activate the language in the language cookie, else zh-Hans.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a county portal is
    Chinese first whatever the browser says, and English is one click away (the cookie).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_of(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


SIGNED_IN_AT = "suqiu_signed_in_at"
LAST_SEEN_AT = "suqiu_last_seen_at"
# Refresh the last-seen mark at most this often: a page with many requests (htmx, charts)
# should not write its session row on every one of them.
LAST_SEEN_GRANULARITY = 60


@receiver(user_logged_in, dispatch_uid="suqiu_session_clock")
def _start_session_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Sign out a session idle for SESSION_IDLE_MINUTES, or SESSION_HOURS after sign-in.

    Django's cookie age alone is not an absolute limit (it restarts whenever the session is
    saved) and knows nothing of idleness; a desk computer left signed in is the risk here.
    Pages go on as signed out (a page that needs a sign-in sends the person to it) with a
    message saying why; the API answers 401 `session_expired` unless the request carries
    its own credentials. A token is not a session: API tokens are not timed out here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            expired = self._expired(request)
            if expired:
                auth.logout(request)
                if request.path.startswith("/api/") and "HTTP_AUTHORIZATION" not in request.META:
                    return JsonResponse({"detail": expired, "code": "session_expired"}, status=401)
                messages.info(request, expired)
        return self.get_response(request)

    @staticmethod
    def _expired(request) -> str | None:
        """Why the session is over (a message for the person), or None if it is not."""
        now = int(time.time())
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if signed_in_at is None or last_seen_at is None:
            # A session from before these marks existed: start its clocks now.
            session[SIGNED_IN_AT] = signed_in_at or now
            session[LAST_SEEN_AT] = now
            return None
        idle_minutes = settings.SESSION_IDLE_MINUTES
        if now - signed_in_at > settings.SESSION_HOURS * 3600:
            return _("You have been signed in for more than %(hours)d hours. Please sign in again.") % {
                "hours": settings.SESSION_HOURS
            }
        if idle_minutes and now - last_seen_at > idle_minutes * 60:
            return _("You were signed out after %(minutes)d minutes without activity. Please sign in again.") % {
                "minutes": idle_minutes
            }
        if now - last_seen_at >= LAST_SEEN_GRANULARITY:
            session[LAST_SEEN_AT] = now
        return None


def client_address(request) -> str:
    """The client's address as the limits count it: `RATELIMIT_IP_META_KEY` behind a proxy,
    else REMOTE_ADDR; an IPv6 address by its /64 (one host often has the whole /64). Of a
    list (X-Forwarded-For) the last entry, the one the proxy added: the client writes the rest."""
    meta_key = settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR"
    raw = (request.META.get(meta_key) or "").rsplit(",", 1)[-1].strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "-"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def address_key(group, request) -> str:
    """django-ratelimit's key for "per address": `client_address`. django-ratelimit's own "ip"
    key fails with a 500 on a header holding a list ("a, b", as X-Forwarded-For does). Without
    the proxy's header at all it refuses as django-ratelimit does (`ClientAddressMiddleware`)."""
    meta_key = settings.RATELIMIT_IP_META_KEY
    if meta_key and not request.META.get(meta_key):
        raise ImproperlyConfigured(f"the request has no {meta_key}")
    return client_address(request)


class ClientAddressMiddleware:
    """Behind a proxy (`RATELIMIT_IP_META_KEY` names the header it sets), a request without
    that header cannot be counted by django-ratelimit, which raises ImproperlyConfigured: the
    request came round the proxy, or the proxy does not set the header. Answer 400 with a
    message (and log it) rather than a 500, and rather than count it under another address:
    falling back to REMOTE_ADDR would put every resident behind a misconfigured proxy in the
    proxy's one bucket (docs/security.md, "Rate limits behind a proxy")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        key = settings.RATELIMIT_IP_META_KEY
        if not isinstance(exception, ImproperlyConfigured) or not isinstance(key, str) or "." in key:
            return None
        if request.META.get(key):
            return None
        logger.warning(
            "request without %s refused path=%s remote=%s", key, request.path, request.META.get("REMOTE_ADDR")
        )
        return address_unknown(request)
