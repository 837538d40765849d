"""The statistics pages for staff (docs/statistics.md): the dashboard (统计看板), the printable
monthly report (月报) and the commissions' figures. Thin: parse the period and the region
(404 outside the user's view), call one statistic, render."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from grievances.stats import units
from grievances.stats.commission import commission_region_for, commission_summary, has_commission_rights
from grievances.stats.documents import DOCX_TYPE, attachment_header, monthly_report_docx_bytes, report_filename
from grievances.stats.monthly import (
    MonthlyReport,
    level_label,
    monthly_report_for,
    report_month,
    satisfaction_label,
)
from grievances.stats.summary import overdue_for, stats_region_for, summary_for
from petitions.models import Category, Channel, Disposition, Source, Status
from stations import codes
from stations.models import Region
from stations.selectors import scope_for


def _stats_period(request: HttpRequest):
    """The period of a dashboard: ?from=&to= (dates), this year so far by default."""
    today = timezone.localdate()
    errors = []

    def parse(name: str, default: date) -> date:
        raw = request.GET.get(name) or ""
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(name)
            return default

    date_to = parse("to", today)
    date_from = parse("from", date_to.replace(month=1, day=1))
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, date_to, errors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The statistics dashboard (统计看板): figures, charts, drill-down, the overdue list."""
    region = stats_region_for(request.user, request.GET.get("region") or None)
    date_from, date_to, errors = _stats_period(request)
    categories = list(Category.objects.all())
    category = next((c for c in categories if c.code == request.GET.get("category")), None)
    summary = summary_for(request.user, region=region, date_from=date_from, date_to=date_to, category=category)
    names = {c.code: c.name for c in categories}
    charts = {
        "level": [{"name": str(level_label(k)), "value": v} for k, v in summary.by_level.items()],
        "category": [{"name": names.get(k, k), "value": v} for k, v in summary.by_category.items()],
        "channel": [{"name": str(Channel(k).label), "value": v} for k, v in summary.by_channel.items()],
        "status": [{"name": str(Status(k).label), "value": v} for k, v in summary.by_status.items()],
        "satisfaction": [{"name": str(satisfaction_label(k)), "value": v} for k, v in summary.by_satisfaction.items()],
        "source": [{"name": str(Source(k).label), "value": v} for k, v in summary.by_source.items()],
        "month": {"months": list(summary.by_month), "values": list(summary.by_month.values())},
    }
    query = request.GET.copy()
    query.pop("region", None)
    context = {
        "summary": summary,
        "region": region,
        "ancestors": _ancestors(request.user, region),
        "charts": charts,
        "categories": categories,
        "category": category,
        "date_from": date_from,
        "date_to": date_to,
        "period_errors": errors,
        "keep_query": query.urlencode(),
        "overdue": overdue_for(request.user, region=region),
        "month": date_to.strftime("%Y-%m"),
        "commission_rights": has_commission_rights(request.user),
        "units_rights": units.may_assess(request.user, region),
    }
    return render(request, "grievances/dashboard.html", context)


def _ancestors(user, region):
    """The breadcrumb of a drill-down: the regions above `region` the user may see too."""
    if region is None:
        return []
    scope = scope_for(user)
    above = Region.objects.filter(code__in=codes.ancestor_codes(region.code)).order_by("code")
    allowed = scope.stats_prefixes + (scope.region_prefixes if scope.unit_ids else ())
    return [r for r in above if scope.covers(r.prefix, allowed)]


def _monthly_report(request: HttpRequest) -> MonthlyReport:
    region = stats_region_for(request.user, request.GET.get("region") or None)
    first, last = report_month(request.GET.get("month"), timezone.localdate())
    return monthly_report_for(request.user, region=region, first=first, last=last)


@login_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    """The printable monthly report (月报) of one month: ?month=YYYY-MM&region=."""
    report = _monthly_report(request)
    context = {"report": report, "summary": report.summary, "region": report.region, **vars(report)}
    return render(request, "grievances/monthly_report.html", context)


@login_required
def monthly_report_docx(request: HttpRequest) -> HttpResponse:
    """The same report as a Word document (.docx), as county offices file it: same region,
    same month, same 404s."""
    report = _monthly_report(request)
    response = HttpResponse(monthly_report_docx_bytes(report), content_type=DOCX_TYPE)
    response["Content-Disposition"] = attachment_header(*report_filename(report))
    return response


@login_required
def commission_dashboard(request: HttpRequest) -> HttpResponse:
    """The commission's figures (纪检监察统计): reports received and where from, closed and
    being handled, people's outcomes and sanctions, the time to disposition; a city's counties
    side by side. Commission staff only; aggregates only."""
    region = commission_region_for(request.user, request.GET.get("region") or None)
    date_from, date_to, errors = _stats_period(request)
    summary = commission_summary(request.user, region=region, date_from=date_from, date_to=date_to)
    query = request.GET.copy()
    query.pop("region", None)
    context = {
        "summary": summary,
        "region": region,
        "date_from": date_from,
        "date_to": date_to,
        "period_errors": errors,
        "keep_query": query.urlencode(),
        "dispositions": [(label, summary.by_disposition[kind]) for kind, label in Disposition.Kind.choices],
        "sanctions": [(label, summary.by_sanction[kind]) for kind, label in Disposition.Sanction.choices],
        "channels": [(Channel(code).label, count) for code, count in summary.by_channel.items()],
        "sources": [(Source(code).label, count) for code, count in summary.by_source.items()],
    }
    return render(request, "grievances/commission_stats.html", context)


@login_required
def units_dashboard(request: HttpRequest) -> HttpResponse:
    """The unit assessment (单位考核): each unit's rates, counts against it, composite and rank
    among its peers, for a month, a quarter or a year (?month=YYYY-MM | quarter=YYYY-Qn | year=YYYY)."""
    region = units.assessment_region_for(request.user, request.GET.get("region") or None)
    error = ""
    try:
        period = units.parse_period(
            month=request.GET.get("month", ""), quarter=request.GET.get("quarter", ""), year=request.GET.get("year", "")
        )
    except ValueError as problem:
        error, period = str(problem), units.last_complete_month()
    kind = request.GET.get("kind") or None
    if kind not in (None, *units.KIND_ORDER):
        kind = None
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    assessment = units.unit_assessment(request.user, region=region, period=period, kind=kind)
    rows, pages = units.page_of(assessment.rows, page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "assessment": assessment,
        "region": region,
        "period": period,
        "period_error": error,
        "rows": rows,
        "page": page,
        "pages": pages,
        "kind": kind,
        "kinds": [(value, units.KIND_LABELS[value]) for value in units.KIND_ORDER],
        "keep_query": query.urlencode(),
        "month_value": period.first.strftime("%Y-%m") if period.kind == "month" else "",
        "quarter_value": period.label if period.kind == "quarter" else "",
        "year_value": period.label if period.kind == "year" else "",
    }
    return render(request, "grievances/units.html", context)
