"""The staff's workbench (工作台), where a sign-in lands: the user's units and roles, and the
way into the case lists. It belongs to no room of the app: the portal, the statistics and the
ledger keep their own pages (grievances/urls.py lists them all)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from stations.selectors import memberships_of, scope_for


@login_required
def staff_home(request):
    memberships = list(memberships_of(request.user))
    return render(
        request,
        "grievances/staff_home.html",
        {
            "memberships": memberships,
            "scope": scope_for(request.user),
            # Administrators bring a county's past in (docs/history.md); the page checks again.
            "may_import_history": bool(scope_for(request.user).everything or scope_for(request.user).admin_prefixes),
        },
    )
