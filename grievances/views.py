"""The staff pages of the app: the workbench, the statistics dashboards, the ledger export and
import. Thin: parse, scope, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from grievances import ledger
from grievances import statistics as staff_stats
from grievances.commission_stats import commission_region_for, commission_summary, has_commission_rights
from petitions.models import Channel, Satisfaction, Status
from stations.models import Region
from stations.selectors import memberships_of, scope_for


@login_required
def staff_home(request):
    memberships = list(memberships_of(request.user))
    return render(
        request,
        "grievances/staff_home.html",
        {"memberships": memberships, "scope": scope_for(request.user)},
    )


# --- Statistics, the ledger export and import (docs/statistics.md) ---------------------------


def _stats_period(request: HttpRequest):
    """The period of a dashboard: ?from=&to= (dates), this year so far by default."""
    from datetime import date

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
    from petitions.models import Category

    region = staff_stats.stats_region_for(request.user, request.GET.get("region") or None)
    date_from, date_to, errors = _stats_period(request)
    categories = list(Category.objects.all())
    category = next((c for c in categories if c.code == request.GET.get("category")), None)
    summary = staff_stats.summary_for(
        request.user, region=region, date_from=date_from, date_to=date_to, category=category
    )
    names = {c.code: c.name for c in categories}
    charts = {
        "level": [{"name": str(_level_label(k)), "value": v} for k, v in summary.by_level.items()],
        "category": [{"name": names.get(k, k), "value": v} for k, v in summary.by_category.items()],
        "channel": [{"name": str(Channel(k).label), "value": v} for k, v in summary.by_channel.items()],
        "status": [{"name": str(Status(k).label), "value": v} for k, v in summary.by_status.items()],
        "satisfaction": [
            {"name": str(Satisfaction(k).label) if k in Satisfaction.values else _("not rated"), "value": v}
            for k, v in summary.by_satisfaction.items()
        ],
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
        "overdue": staff_stats.overdue_for(request.user, region=region),
        "month": date_to.strftime("%Y-%m"),
        "commission_rights": has_commission_rights(request.user),
    }
    return render(request, "grievances/dashboard.html", context)


def _level_label(level: str):
    return dict(Region.Level.choices).get(level, level)


def _ancestors(user, region):
    """The breadcrumb of a drill-down: the regions above `region` the user may see too."""
    from stations import codes

    if region is None:
        return []
    scope = scope_for(user)
    above = Region.objects.filter(code__in=codes.ancestor_codes(region.code)).order_by("code")
    allowed = scope.stats_prefixes + (scope.region_prefixes if scope.unit_ids else ())
    return [r for r in above if scope.covers(r.prefix, allowed)]


@login_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    """The printable monthly report (月报) of one month: ?month=YYYY-MM&region=."""
    import calendar
    from datetime import date

    from petitions.models import Category

    region = staff_stats.stats_region_for(request.user, request.GET.get("region") or None)
    raw = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    try:
        year, month = (int(part) for part in raw.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    summary = staff_stats.summary_for(request.user, region=region, date_from=first, date_to=last)
    names = {c.code: c.name for c in Category.objects.all()}
    context = {
        "summary": summary,
        "region": region,
        "first": first,
        "last": last,
        "levels": [(_level_label(k), v) for k, v in summary.by_level.items()],
        "categories": sorted(((names.get(k, k), v) for k, v in summary.by_category.items()), key=lambda r: -r[1]),
        "channels": [(Channel(k).label, v) for k, v in summary.by_channel.items() if v],
        "statuses": [(Status(k).label, v) for k, v in summary.by_status.items() if v],
        "satisfactions": [
            (Satisfaction(k).label if k in Satisfaction.values else _("not rated"), v)
            for k, v in summary.by_satisfaction.items()
        ],
    }
    return render(request, "grievances/monthly_report.html", context)


@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    """The ledger of the case list's query string, as Excel: at once, or by a background job
    when it is long. A filter the list page shows as wrong is a 400 naming it, not an export of
    some other list."""
    try:
        cases = ledger.ledger_queryset(request.user, request.GET)
    except ValidationError as error:
        from petitions.filters import PetitionFilter

        labels = {name: field.label for name, field in PetitionFilter.base_filters.items()}
        problems = [(name, labels.get(name, name), " ".join(messages)) for name, messages in error.message_dict.items()]
        list_url = reverse("petitions:cases") + ("?" + request.GET.urlencode() if request.GET else "")
        return render(
            request, "grievances/export_refused.html", {"problems": problems, "list_url": list_url}, status=400
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if ledger.is_large(cases):
        token = ledger.new_token()
        from grievances.tasks import export_ledger

        export_ledger.delay_on_commit(request.user.pk, request.GET.urlencode(), token)
        return redirect("grievances:ledger_download", token=token)
    handle = ledger.export_to_tempfile(request.user, cases)
    return FileResponse(handle, as_attachment=True, filename=f"ledger-{stamp}.xlsx", content_type=ledger.XLSX)


@never_cache
@login_required
def ledger_download(request: HttpRequest, token: str) -> HttpResponse:
    """A background export: only its requester can open it (the file lies under their id)."""
    try:
        path = ledger.export_path(request.user.pk, token)
    except ValueError:
        raise Http404 from None
    if path.exists():
        return FileResponse(path.open("rb"), as_attachment=True, filename=f"ledger-{token[:8]}.xlsx")
    return render(request, "grievances/import_export_wait.html", {"token": token}, status=202)


IMPORT_SESSION = "grievances.import"  # session key: the stored upload between preview and confirm


def _import_units(user):
    from stations.selectors import intake_units_of

    return sorted(intake_units_of(user), key=lambda unit: (unit.region.code, unit.name))


def _import_dir():
    from pathlib import Path

    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / "imports"


@login_required
def ledger_import_template(request: HttpRequest) -> HttpResponse:
    import tempfile

    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the FileResponse closes it
    ledger.template_workbook(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename="ledger-template.xlsx", content_type=ledger.XLSX)


@login_required
def ledger_import_page(request: HttpRequest) -> HttpResponse:
    """Batch import of a paper ledger (纸质台账导入): upload → preview (every bad row named) →
    confirm (all rows in one transaction, or none)."""
    units = _import_units(request.user)
    if not units:
        raise Http404
    context = {"units": units, "result": None, "stored": False}
    if request.method != "POST":
        return render(request, "grievances/import.html", context)
    unit = next((u for u in units if str(u.pk) == request.POST.get("unit")), units[0])
    context["unit"] = unit
    if request.POST.get("action") == "confirm":
        stored = request.session.get(IMPORT_SESSION) or {}
        path = _import_dir() / str(request.user.pk) / f"{stored.get('name', '')}.xlsx"
        if not stored or not path.exists():
            messages.error(request, _("The uploaded file has expired. Please upload it again."))
            return redirect("grievances:ledger_import")
        unit = next((u for u in units if u.pk == stored.get("unit")), None)
        if unit is None:
            raise Http404
        with path.open("rb") as source:
            result = ledger.ledger_import(actor=request.user, intake_unit=unit, source=source, dry_run=False)
        if result.ok:
            path.unlink(missing_ok=True)
            request.session.pop(IMPORT_SESSION, None)
            messages.success(request, _("%(n)d cases imported.") % {"n": len(result.created)})
            return redirect("petitions:cases")
        context |= {"result": result, "unit": unit}
        return render(request, "grievances/import.html", context, status=400)
    upload = request.FILES.get("file")
    if upload is None or upload.size > 10 * 1024 * 1024:
        context["file_error"] = _("Choose an Excel (.xlsx) file of at most 10 MB.")
        return render(request, "grievances/import.html", context, status=400)
    name = ledger.new_token()
    folder = _import_dir() / str(request.user.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.xlsx"
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    with path.open("rb") as source:
        result = ledger.ledger_import(actor=request.user, intake_unit=unit, source=source, dry_run=True)
    if result.ok:
        request.session[IMPORT_SESSION] = {"name": name, "unit": unit.pk}
        context["stored"] = True
    else:
        path.unlink(missing_ok=True)
    context["result"] = result
    return render(request, "grievances/import.html", context, status=200 if result.ok else 400)


@login_required
def commission_dashboard(request: HttpRequest) -> HttpResponse:
    """The commission's figures (纪检监察统计): reports received, dispositions, sanctions and
    the time to disposition. Commission staff only; aggregates only."""
    from petitions.models import Disposition

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
    }
    return render(request, "grievances/commission_stats.html", context)
