"""The ledger's pages: the Excel export of the case list's query (at once, or by a background
job when it is long, downloaded by its requester only), the import of a paper ledger
(upload, preview, confirm) and the import of a county's past (upload, a background job, its
progress and report). Thin: parse, scope, call the export or the import, answer."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from grievances.ledger import exports, history, imports
from grievances.ledger.tasks import export_ledger, import_history
from petitions.filters import PetitionFilter
from stations.selectors import intake_units_of


@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    """The ledger of the case list's query string, as Excel: at once, or by a background job
    when it is long. A filter the list page shows as wrong is a 400 naming it, not an export of
    some other list."""
    try:
        cases = exports.ledger_queryset(request.user, request.GET)
    except ValidationError as error:
        labels = {name: field.label for name, field in PetitionFilter.base_filters.items()}
        problems = [(name, labels.get(name, name), " ".join(messages)) for name, messages in error.message_dict.items()]
        list_url = reverse("petitions:cases") + ("?" + request.GET.urlencode() if request.GET else "")
        return render(
            request, "grievances/export_refused.html", {"problems": problems, "list_url": list_url}, status=400
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if exports.is_large(cases):
        token = exports.new_token()
        export_ledger.delay_on_commit(request.user.pk, request.GET.urlencode(), token)
        return redirect("grievances:ledger_download", token=token)
    handle = exports.export_to_tempfile(request.user, cases)
    return FileResponse(handle, as_attachment=True, filename=f"ledger-{stamp}.xlsx", content_type=exports.XLSX)


@never_cache
@login_required
def ledger_download(request: HttpRequest, token: str) -> HttpResponse:
    """A background export: only its requester can open it (the file lies under their id)."""
    try:
        path = exports.export_path(request.user.pk, token)
    except ValueError:
        raise Http404 from None
    if path.exists():
        return FileResponse(path.open("rb"), as_attachment=True, filename=f"ledger-{token[:8]}.xlsx")
    return render(request, "grievances/import_export_wait.html", {"token": token}, status=202)


IMPORT_SESSION = "grievances.import"  # session key: the stored upload between preview and confirm


def _import_units(user):
    return sorted(intake_units_of(user), key=lambda unit: (unit.region.code, unit.name))


def _import_dir():
    return Path(settings.MEDIA_ROOT) / "imports"


@login_required
def ledger_import_template(request: HttpRequest) -> HttpResponse:
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the FileResponse closes it
    imports.template_workbook(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename="ledger-template.xlsx", content_type=exports.XLSX)


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
            result = imports.ledger_import(actor=request.user, intake_unit=unit, source=source, dry_run=False)
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
    name = exports.new_token()
    folder = _import_dir() / str(request.user.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.xlsx"
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    with path.open("rb") as source:
        result = imports.ledger_import(actor=request.user, intake_unit=unit, source=source, dry_run=True)
    if result.ok:
        request.session[IMPORT_SESSION] = {"name": name, "unit": unit.pk}
        context["stored"] = True
    else:
        path.unlink(missing_ok=True)
    context["result"] = result
    return render(request, "grievances/import.html", context, status=200 if result.ok else 400)


# --- The county's past (历史数据导入) --------------------------------------------------------

MAX_HISTORY_UPLOAD = 50 * 1024 * 1024


def _history_counties(request: HttpRequest):
    counties = history.history_counties_for(request.user)
    if not counties:
        raise Http404
    return counties


@login_required
def history_template(request: HttpRequest) -> HttpResponse:
    counties = _history_counties(request)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the FileResponse closes it
    history.history_template(handle, counties[0] if len(counties) == 1 else None)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename="history-template.xlsx", content_type=exports.XLSX)


def _queue(request: HttpRequest, *, county: str, upload: str, file_name: str, dry_run: bool) -> HttpResponse:
    token = exports.new_token()
    history.status_write(
        request.user.pk, token, state="queued", county=county, upload=upload, file_name=file_name, dry_run=dry_run
    )
    import_history.delay_on_commit(request.user.pk, token, translation.get_language() or "")
    return redirect("grievances:history_job", token=token)


@login_required
def history_page(request: HttpRequest) -> HttpResponse:
    """The county's past (历史数据导入), for administrators: upload a workbook, check it or
    import it; a background job does the work and its page shows the progress."""
    counties = _history_counties(request)
    context = {"counties": counties}
    if request.method != "POST":
        return render(request, "grievances/history.html", context)
    county = next((c for c in counties if c.code == request.POST.get("county")), counties[0])
    dry_run = request.POST.get("action") != "import"
    if request.POST.get("upload"):
        # A checked file, imported now: it was kept under the requester's own directory.
        try:
            kept = history.upload_path(request.user.pk, request.POST["upload"])
        except ValueError:
            raise Http404 from None
        if not kept.exists():
            messages.error(request, _("The uploaded file has expired. Please upload it again."))
            return redirect("grievances:history")
        name = request.POST.get("file_name", "")[:200]
        return _queue(request, county=county.code, upload=kept.stem, file_name=name, dry_run=False)
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_HISTORY_UPLOAD:
        context["file_error"] = _("Choose an Excel (.xlsx) file of at most 50 MB.")
        return render(request, "grievances/history.html", context, status=400)
    name = exports.new_token()
    path = history.upload_path(request.user.pk, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return _queue(request, county=county.code, upload=name, file_name=(upload.name or "")[:200], dry_run=dry_run)


@never_cache
@login_required
def history_job(request: HttpRequest, token: str) -> HttpResponse:
    """A job's progress and, once done, its report; only its requester's (the status lies
    under their id). Polled by htmx for the progress fragment alone."""
    counties = _history_counties(request)
    try:
        status = history.status_read(request.user.pk, token)
    except ValueError:
        raise Http404 from None
    if status is None:
        raise Http404
    county = next((c for c in counties if c.code == status.get("county")), None)
    context = {"status": status, "token": token, "county": county, "stale": history.status_stale(status)}
    if request.headers.get("HX-Request"):
        return render(request, "grievances/history_progress.html", context)
    return render(request, "grievances/history_job.html", context)
