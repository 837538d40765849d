"""The pages people see: the public home and the staff home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from stations.selectors import memberships_of, scope_for


def home(request):
    return render(request, "grievances/home.html")


@login_required
def staff_home(request):
    memberships = list(memberships_of(request.user))
    return render(
        request,
        "grievances/staff_home.html",
        {"memberships": memberships, "scope": scope_for(request.user)},
    )
