"""The hotspots page (热点分析, `/staff/dashboard/hotspots/`), the dashboard's panel of it (the
same page with `?panel=1`, loaded by htmx) and sending a hotspot as supervision notices (the
same function as `POST /api/v1/stats/hotspots/{id}/notice/`)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config.errors import Refused
from grievances.hotspots import services
from grievances.hotspots.selectors import hotspots_for
from grievances.stats.summary import stats_region_for
from stations.selectors import scope_for

NOTICE_ROLES = frozenset({"supervisor", "leader"})


def _period(request: HttpRequest) -> tuple[date, date, bool]:
    """?from=&to=, the hotspots' window (the last SUQIU_HOTSPOT_DAYS days) by default."""
    bad = False

    def parse(name: str) -> date | None:
        nonlocal bad
        raw = request.GET.get(name) or ""
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            bad = True
            return None

    date_to = parse("to") or timezone.localdate()
    date_from = parse("from") or date_to - timedelta(days=settings.SUQIU_HOTSPOT_DAYS)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, date_to, bad


def _context(request: HttpRequest, *, message: str = "", error: str = "") -> dict:
    region = stats_region_for(request.user, request.GET.get("region") or None)
    date_from, date_to, bad = _period(request)
    scope = scope_for(request.user)
    return {
        "hotspots": hotspots_for(request.user, region=region, date_from=date_from, date_to=date_to),
        "region": region,
        "date_from": date_from,
        "date_to": date_to,
        "period_error": bad,
        "may_notice": scope.everything or any(roles & NOTICE_ROLES for roles in scope.unit_roles.values()),
        "query": request.GET.urlencode(),
        "message": message,
        "error": error,
    }


@login_required
def hotspots_page(request: HttpRequest) -> HttpResponse:
    """The clusters of similar grievances, the people who came back, the cases open across years."""
    template = "grievances/_hotspots.html" if request.GET.get("panel") else "grievances/hotspots.html"
    return render(request, template, _context(request))


@login_required
@require_POST
def hotspot_notice(request: HttpRequest, hotspot_id: int) -> HttpResponse:
    """Send the hotspot as supervision notices; answer with the panel again (htmx) or the page."""
    message, error = "", ""
    try:
        days = int(request.POST["days"]) if request.POST.get("days") else None
    except ValueError:
        days = 0  # refused below, in the service's words
    try:
        notices = services.hotspot_issue_notices(
            hotspot_id=hotspot_id, actor=request.user, text=request.POST.get("text", ""), days=days
        )
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    except Refused as refusal:
        error = refusal.message
    else:
        count = len(notices)
        message = ngettext(
            "%(count)s supervision notice was issued.", "%(count)s supervision notices were issued.", count
        ) % {"count": count}
    if request.htmx:
        return render(request, "grievances/_hotspots.html", _context(request, message=message, error=error))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect(f"{reverse('grievances:hotspots')}?{request.GET.urlencode()}")
