"""How an integration's request is recognised, what it may do, and how fast.

- `IntegrationKeyAuthentication`: the header `Authorization: Api-Key <key>` (the library's
  default parser). A valid key authenticates as an anonymous *user* carrying the key in
  `request.auth`: no session, no staff account, so nothing that guards staff sessions (sign-in,
  two-factor) applies. Its `request.user` sees what an observer (特邀监督员) of the key's region
  sees when the key may read statistics, and nothing otherwise.
- `Open311KeyAuthentication`: the same, and the `api_key` parameter as GeoReport v2 says.
- `CanReadStatistics`, `CanSubmitCases`: the key's scopes.
- `IntegrationRateThrottle`: DRF's throttle keyed on the key, at the key's own rate.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions, throttling
from rest_framework.authentication import BaseAuthentication
from rest_framework_api_key.permissions import KeyParser

from integrations.models import Integration, KeyScope
from stations.selectors import NOTHING, Scope

# Record "last used" at most this often per key (one conditional UPDATE, not one per request).
LAST_USED_PRECISION = timedelta(minutes=1)


def scope_of(integration: Integration) -> Scope:
    """What a key sees through the shared selectors: the scope an observer membership in a unit
    of the key's region gives (`stations.selectors.scope_for`): aggregates of the subtree."""
    if not integration.has_scope(KeyScope.READ_STATISTICS):
        return NOTHING
    prefix = integration.region.prefix
    return Scope(stats_prefixes=(prefix,), region_prefixes=(prefix,))


def viewer_for(integration: Integration) -> AnonymousUser:
    """The `request.user` of a key's request: anonymous, with the key's scope precomputed
    where `scope_for` looks first (so every selector applies it)."""
    viewer = AnonymousUser()
    viewer._suqiu_scope = scope_of(integration)
    return viewer


def integration_for_key(key: str) -> Integration | None:
    """The usable integration a presented key belongs to (not revoked, not expired), else None."""
    if not key or len(key) > 100:
        return None
    try:
        integration = Integration.objects.get_from_key(key)
    except Integration.DoesNotExist:
        return None
    if integration.has_expired:
        return None
    now = timezone.now()
    if integration.last_used_at is None or integration.last_used_at < now - LAST_USED_PRECISION:
        Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
        integration.last_used_at = now
    return integration


class IntegrationKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`. No header: not this scheme (the next one is tried). A
    wrong, revoked or expired key: 401, never a fall-back to anonymous."""

    keyword = "Api-Key"
    parser = KeyParser()

    def get_key(self, request) -> str | None:
        return self.parser.get(request._request)

    def authenticate(self, request):
        key = self.get_key(request)
        if key is None:
            return None
        integration = integration_for_key(key.strip())
        if integration is None:
            raise exceptions.AuthenticationFailed(_("This API key is not valid, or has been revoked or has expired."))
        return viewer_for(integration), integration

    def authenticate_header(self, request) -> str:
        return self.keyword


class Open311KeyAuthentication(IntegrationKeyAuthentication):
    """GeoReport v2 sends the key as the `api_key` parameter (form field or query string);
    the header works too. Refusals are 403, as the spec says (no WWW-Authenticate challenge)."""

    def get_key(self, request) -> str | None:
        key = super().get_key(request)
        if key is None and request.method == "POST" and hasattr(request.data, "get"):
            key = request.data.get("api_key")
        if key is None:
            key = request._request.GET.get("api_key")
        return key or None

    def authenticate_header(self, request) -> None:
        return None


def _integration(request) -> Integration | None:
    return request.auth if isinstance(request.auth, Integration) else None


class _HasScope(permissions.BasePermission):
    scope: str = ""
    message = _("This API key does not have the scope for this request.")

    def has_permission(self, request, view) -> bool:
        integration = _integration(request)
        return integration is not None and integration.has_scope(self.scope)


class CanReadStatistics(_HasScope):
    scope = KeyScope.READ_STATISTICS


class CanSubmitCases(_HasScope):
    scope = KeyScope.SUBMIT_CASES


class IntegrationRateThrottle(throttling.SimpleRateThrottle):
    """Per key, at the rate set on the key (`Integration.rate`); requests without a key are
    not counted here. Counted in the default cache (Redis when REDIS_URL is set)."""

    scope = "integration"

    def __init__(self):
        # The rate is the key's: known only once the request is authenticated.
        self.rate = None

    def allow_request(self, request, view) -> bool:
        integration = _integration(request)
        if integration is None:
            return True
        self.rate = integration.rate
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": _integration(request).prefix}


class Open311ReadThrottle(throttling.AnonRateThrottle):
    """The public Open311 reads, per address (`OPEN311_READ_RATE_PER_ADDRESS`); a request with
    a key is counted against the key instead."""

    scope = "open311_read"

    def get_ident(self, request) -> str:
        # The address the portal's own limits use (RATELIMIT_IP_META_KEY behind a proxy), not
        # DRF's default, which would believe a client's own X-Forwarded-For.
        meta_key = settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR"
        return request.META.get(meta_key) or request.META.get("REMOTE_ADDR", "")

    def get_cache_key(self, request, view):
        if _integration(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
