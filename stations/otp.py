"""Two-factor sign-in (二次验证) with a time-based code (TOTP, django-otp's `otp_totp`).

Who must use it: staff of a discipline commission (any role in a unit of kind `commission`,
the people who may read who reported whom), administrators (the `admin` role, `is_staff`,
`is_superuser`). Anyone else may turn it on, and once on it is asked of them too.

Until the code is given, `TwoFactorMiddleware` lets such a person reach only the 2FA pages
and sign-out; the API token endpoint asks for `otp_code` beside the password. Wrong codes
are throttled by django-otp on the device (waits of 1, 2, 4, 8 … seconds). See
docs/security.md.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.errors import Refused
from config.qr import qr_svg
from stations.models import Membership, Unit, User

log = logging.getLogger("suqiu.security")


class TwoFactorCodeMissing(Refused):
    status = 400
    code = "otp_required"


class TwoFactorCodeWrong(Refused):
    status = 400
    code = "otp_invalid"


class TwoFactorThrottled(Refused):
    status = 429
    code = "otp_throttled"


def two_factor_required(user: User) -> bool:
    """Whether this person must sign in with a second factor (whether or not they have one)."""
    if not getattr(user, "is_authenticated", False) or not settings.SUQIU_TWO_FACTOR_REQUIRED:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return Membership.objects.filter(user=user).filter(_required_membership_q("")).exists()


def two_factor_due(user: User) -> bool:
    """Whether this person's session must be verified by a code: 2FA is required of them or
    they turned it on. One query (TOTP is the only kind of device installed)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if settings.SUQIU_TWO_FACTOR_REQUIRED and (user.is_superuser or user.is_staff):
        return True
    condition = Q(totpdevice__confirmed=True)
    if settings.SUQIU_TWO_FACTOR_REQUIRED:
        condition |= _required_membership_q("memberships__")
    return User.objects.filter(pk=user.pk).filter(condition).exists()


def _required_membership_q(prefix: str) -> Q:
    return Q(**{f"{prefix}unit__kind": Unit.Kind.COMMISSION}) | Q(**{f"{prefix}role": Membership.Role.ADMIN})


def is_verified(user: User) -> bool:
    """Whether this session gave a code (django-otp's OTPMiddleware sets `is_verified`)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def confirmed_devices(user: User):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk")


def has_confirmed_device(user: User) -> bool:
    return confirmed_devices(user).exists()


def pending_device(user: User) -> TOTPDevice:
    """The device being enrolled: kept unconfirmed until the person types its first code, so
    reloading the page shows the same key that the phone may already have scanned."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def device_secret(device: TOTPDevice) -> str:
    """The key as base32 in groups of four, for typing into an app by hand."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def device_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code."""
    return qr_svg(device.config_url)


def _clean_token(token: str | None) -> str:
    return "".join((token or "").split())


def throttled_for(device: TOTPDevice) -> int | None:
    """Seconds to wait before the device takes another code, or None if it takes one now."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)


def verify_code(user: User, token: str | None, *, devices=None) -> TOTPDevice:
    """The device (of `devices`, else the user's confirmed ones) that accepts `token`.

    Raises TwoFactorCodeMissing / TwoFactorThrottled / TwoFactorCodeWrong. Each wrong code
    counts on the device (django-otp's throttling); a code is accepted once only.
    """
    token = _clean_token(token)
    if not token:
        raise TwoFactorCodeMissing(_("Enter the 6-digit code from your authenticator app."))
    candidates = list(devices if devices is not None else confirmed_devices(user))
    if not candidates:
        raise TwoFactorCodeWrong(_("No authenticator app is set up for this account."))
    wait = None
    tried = False
    for device in candidates:
        with transaction.atomic():
            locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            seconds = throttled_for(locked)
            if seconds is not None:
                wait = max(wait or 0, seconds)
                continue
            tried = True
            if locked.verify_token(token):
                return locked
    if not tried:
        raise TwoFactorThrottled(_("Too many wrong codes. Wait %(seconds)d seconds and try again.") % {"seconds": wait})
    raise TwoFactorCodeWrong(_("That code is not right. Type the code your app shows now."))


def session_verify(request, device: TOTPDevice) -> None:
    """Mark the session as verified by `device` (a fresh session key: the session gained rights)."""
    request.session.cycle_key()
    otp_login(request, device)


@transaction.atomic
def device_confirm(*, request, device: TOTPDevice) -> TOTPDevice:
    """Finish an enrolment: this device becomes the person's only one, and the session is verified."""
    user = request.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    session_verify(request, device)
    # Never the key: the user, the device id and where from are enough to audit.
    log.info(
        "two-factor enrolled user=%s device=%s ip=%s", user.get_username(), device.pk, request.META.get("REMOTE_ADDR")
    )
    return device


@transaction.atomic
def devices_remove(*, request) -> int:
    """Turn 2FA off for the signed-in person (only if it is not required of them)."""
    user = request.user
    deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    log.info("two-factor removed user=%s ip=%s", user.get_username(), request.META.get("REMOTE_ADDR"))
    return deleted


def step_url(user: User, next_url: str = "") -> str:
    """Where a signed-in person who still owes a code goes: the code page, or enrolment."""
    name = "stations:two_factor_verify" if has_confirmed_device(user) else "stations:two_factor_setup"
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class TwoFactorMiddleware:
    """Hold back a signed-in person who owes a second factor: pages go to the code (or the
    enrolment) page, the session-authenticated API answers 403 `otp_required`.

    Requests with their own credentials (`Authorization`) are left to the API's
    authentication: a token is issued to such a person only against a code
    (stations.api.TokenView), and one issued without a code is refused once its holder owes
    one (stations.tokens).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        if self._open_paths is None:
            self._open_paths = frozenset(
                reverse(name)
                for name in (
                    "stations:two_factor_verify",
                    "stations:two_factor_setup",
                    "stations:logout",
                    "stations:login",
                    "set_language",
                    "api-token",
                    "healthz",
                )
            )
        return self._open_paths

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path_info not in self.open_paths()
            and not request.path_info.startswith(settings.STATIC_URL)
            and not is_verified(user)
            and two_factor_due(user)
        ):
            return self.refuse(request, user)
        return self.get_response(request)

    def refuse(self, request, user) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            if "HTTP_AUTHORIZATION" in request.META:
                return self.get_response(request)
            detail = _("Two-factor sign-in is required: enter your code on the sign-in page first.")
            return JsonResponse({"detail": detail, "code": "otp_required"}, status=403)
        next_url = request.get_full_path() if request.method == "GET" else ""
        url = step_url(user, next_url)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
