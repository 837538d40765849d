"""Staff sign-in and sign-out. Failed sign-ins are counted and locked out by django-axes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from stations.forms import SignInForm

LOCKED_OUT_STATUS = 429


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"failure_limit": settings.AXES_FAILURE_LIMIT}


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, so a link on another site cannot sign staff out)."""


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out sign-in gets: a page for people, our error shape for the API."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        detail = _("Too many wrong passwords. Try again in %(minutes)d minutes.") % {"minutes": minutes}
        return JsonResponse({"detail": detail, "code": "locked_out"}, status=LOCKED_OUT_STATUS)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=LOCKED_OUT_STATUS)
