"""Staff sign-in and sign-out, the second factor (TOTP) and the password change.

Failed sign-ins are counted and locked out by django-axes; wrong codes are throttled by
django-otp on the device (stations.otp).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from stations import otp
from stations.forms import SignInForm, TwoFactorCodeForm

LOCKED_OUT_STATUS = 429


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"failure_limit": settings.AXES_FAILURE_LIMIT}

    def get_success_url(self) -> str:
        url = super().get_success_url()
        user = self.request.user
        if otp.two_factor_due(user) and not otp.is_verified(user):
            return otp.step_url(user, url)
        return url


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, so a link on another site cannot sign staff out)."""


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out sign-in gets: a page for people, our error shape for the API."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        detail = _("Too many wrong passwords. Try again in %(minutes)d minutes.") % {"minutes": minutes}
        return JsonResponse({"detail": detail, "code": "locked_out"}, status=LOCKED_OUT_STATUS)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=LOCKED_OUT_STATUS)


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@method_decorator([never_cache, login_required], name="dispatch")
class TwoFactorVerifyView(FormView):
    """The second step of signing in: the code from the person's authenticator app."""

    form_class = TwoFactorCodeForm
    template_name = "registration/two_factor_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if not otp.has_confirmed_device(request.user):
            return redirect(otp.step_url(request.user, request.GET.get("next", "")))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": _next_url(self.request, "")}

    def form_valid(self, form):
        otp.session_verify(self.request, form.device)
        return redirect(_next_url(self.request, reverse(settings.LOGIN_REDIRECT_URL)))


@method_decorator([never_cache, login_required], name="dispatch")
class TwoFactorSetupView(FormView):
    """Enrol an authenticator app: scan the QR code (or type the key), then type one code."""

    form_class = TwoFactorCodeForm
    template_name = "registration/two_factor_setup.html"

    def dispatch(self, request, *args, **kwargs):
        # With a device already confirmed, only a verified session may replace it: a stolen
        # password must not be enough to enrol a second phone.
        if otp.has_confirmed_device(request.user) and not otp.is_verified(request.user):
            return redirect(otp.step_url(request.user, request.GET.get("next", "")))
        self.device = otp.pending_device(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "devices": [self.device]}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "qr": otp.device_qr_svg(self.device),
            "secret": otp.device_secret(self.device),
            "required": otp.two_factor_required(self.request.user),
            "next": _next_url(self.request, ""),
        }

    def form_valid(self, form):
        otp.device_confirm(request=self.request, device=form.device)
        messages.success(self.request, _("Two-factor sign-in is on. From now on you will be asked for a code."))
        return redirect(_next_url(self.request, reverse("stations:two_factor")))


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The person's account security: 2FA on or off, and the way to the password change."""
    user = request.user
    return render(
        request,
        "registration/two_factor.html",
        {"enabled": otp.has_confirmed_device(user), "required": otp.two_factor_required(user)},
    )


@require_POST
@login_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if otp.two_factor_required(request.user):
        messages.error(request, _("Two-factor sign-in is required for your role and cannot be turned off."))
    else:
        otp.devices_remove(request=request)
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("stations:two_factor")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; Django's form checks it against AUTH_PASSWORD_VALIDATORS."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("stations:two_factor")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext_lazy("Your password has been changed."))
        return response
