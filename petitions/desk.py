"""The walk-in desk's lookup of a returning resident: the fragment the form's phone field asks
for as the clerk types (htmx). Its own module so that `views.py` stays a room (≤ 700 lines);
the rule of what it may tell lives in `petitions.selectors.desk`."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from petitions.selectors.desk import SHORTEST_PHONE, returning_resident
from stations.selectors import intake_units_of


def _user_key(group: str, request: HttpRequest) -> str:
    return str(request.user.pk)


def lookup_limited(request: HttpRequest) -> bool:
    """Count one lookup by this clerk; True when over `SUQIU_DESK_LOOKUP_RATE_PER_USER`."""
    return is_ratelimited(
        request,
        group="desk.returning.user",
        key=_user_key,
        rate=settings.SUQIU_DESK_LOOKUP_RATE_PER_USER,
        method=is_ratelimited.ALL,
        increment=True,
    )


@never_cache
@login_required
@require_GET
def returning(request: HttpRequest) -> HttpResponse:
    """The name and open cases a phone number is known by at the clerk's desks, or nothing:
    an unknown number and a number seen only outside the clerk's view answer alike."""
    desks = intake_units_of(request.user)
    if not desks:
        raise PermissionDenied
    phone = request.GET.get("complainant_phone", "").strip()
    if len(phone) < SHORTEST_PHONE:
        return render(request, "petitions/_returning.html", {"resident": None})
    if lookup_limited(request):
        return render(request, "petitions/_returning.html", {"limited": True}, status=429)
    resident = returning_resident(request.user, desks, phone)
    return render(request, "petitions/_returning.html", {"resident": resident})
