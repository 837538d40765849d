"""The commission's pages of the cadre link, under /staff/appraisals/cadre/: the sheets of a
year (and a new one), a sheet with its parts, scores and computed total, and its Excel export.

Each view parses, scopes (`selectors.sheet_get_for_user`: a sheet outside one's view is a 404),
calls one service and renders. The forms work without JavaScript (post, then back to the page;
a refusal shows the page again with the message, 400); with htmx the sheet's section is
swapped in place, a refusal included (200, for htmx swaps only those)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import Refused
from evaluations.cadre import selectors, services
from evaluations.cadre.exports import sheets_workbook
from evaluations.cadre.forms import BLANK_ROWS, SUGGESTED_PARTS, CreateForm, LayoutForm, ScoreForm, VersionForm
from evaluations.models import CadreSheet

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


@login_required
def cadre_index(request: HttpRequest) -> HttpResponse:
    return redirect("evaluations:cadre_list", year=timezone.localdate().year)


@login_required
def cadre_list(request: HttpRequest, year: int) -> HttpResponse:
    """The sheets of `year` the user sees, each with its total; and a form to open one."""
    year = _year(year)
    units = list(selectors.units_to_assess(request.user, year))
    form = CreateForm(request.POST or None, units=units)
    errors: list[str] = []
    rows = [(str(name), weight) for name, weight in SUGGESTED_PARTS]
    if request.method == "POST":
        rows = form.rows()
        if form.is_valid():
            try:
                sheet = services.cadre_sheet_create(
                    actor=request.user,
                    unit=form.cleaned_data["unit"],
                    year=year,
                    appraisal_weight=form.cleaned_data["appraisal_weight"],
                    parts=rows,
                )
            except ValidationError as error:
                errors = error.messages
            except Refused as refusal:
                errors = [refusal.message]
            else:
                messages.success(request, _("Assessment sheet opened."))
                return redirect("evaluations:cadre_sheet", pk=sheet.pk)
    context = {
        "year": year,
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
        "results": selectors.results_of(selectors.sheets_of_year(request.user, year)),
        "form": form,
        "can_open": bool(units),
        "rows": rows + [("", "")] * BLANK_ROWS,
        "errors": errors,
    }
    status = 400 if form.errors or errors else 200
    return render(request, "evaluations/cadre_list.html", context, status=status)


def _sheet_page(request: HttpRequest, sheet: CadreSheet, *, errors=(), rows=None, status=200) -> HttpResponse:
    result = selectors.sheet_result(sheet)
    assessor = selectors.can_assess(request.user, sheet.unit)
    editable = assessor and sheet.state == CadreSheet.State.DRAFT
    if rows is None:
        rows = [(line.name, line.weight_text) for line in result.parts]
    context = {
        "sheet": sheet,
        # The page's messages are base.html's; a swapped-in sheet brings its own.
        "fragment": bool(request.htmx),
        "result": result,
        "editable": editable,
        "errors": list(errors),
        "rows": list(rows) + [("", "")] * BLANK_ROWS,
        "appraisal_weight": selectors.plain(sheet.appraisal_weight),
        # Who on the commission scored what is the commission's: the unit's staff read the result.
        "events": [(event, selectors.event_text(event)) for event in selectors.events_of(sheet)] if assessor else None,
    }
    template = "evaluations/_cadre_sheet.html" if request.htmx else "evaluations/cadre_sheet.html"
    return render(request, template, context, status=status)


@login_required
def cadre_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    return _sheet_page(request, selectors.sheet_get_for_user(request.user, pk))


def _act(request: HttpRequest, pk: int, act: Callable[[CadreSheet], object], done: str, *, rows=None) -> HttpResponse:
    sheet = selectors.sheet_get_for_user(request.user, pk)
    try:
        act(sheet)
    except ValidationError as error:
        errors = error.messages
    except Refused as refusal:
        errors = [refusal.message]
    else:
        messages.success(request, done)
        if request.htmx:
            return _sheet_page(request, CadreSheet.objects.select_related("unit__region").get(pk=sheet.pk))
        return redirect("evaluations:cadre_sheet", pk=sheet.pk)
    sheet = CadreSheet.objects.select_related("unit__region").get(pk=sheet.pk)
    return _sheet_page(request, sheet, errors=errors, rows=rows, status=200 if request.htmx else 400)


def _version(form: VersionForm) -> int:
    if not form.is_valid():
        raise ValidationError([m for ms in form.errors.values() for m in ms])
    return form.cleaned_data["version"]


@login_required
@require_POST
def cadre_layout(request: HttpRequest, pk: int) -> HttpResponse:
    form = LayoutForm(request.POST)
    rows = form.rows()

    def act(sheet: CadreSheet) -> None:
        services.cadre_sheet_set_layout(
            sheet_id=sheet.pk,
            actor=request.user,
            appraisal_weight=form.data.get("appraisal_weight", ""),
            parts=rows,
            expected_version=_version(form),
        )

    return _act(request, pk, act, _("Parts and weights saved."), rows=rows)


@login_required
@require_POST
def cadre_score(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    form = ScoreForm(request.POST)

    def act(sheet: CadreSheet) -> None:
        part = get_object_or_404(sheet.parts, pk=part_pk)
        services.cadre_sheet_score(
            sheet_id=sheet.pk,
            part_id=part.pk,
            actor=request.user,
            score=form.data.get("score", ""),
            expected_version=_version(form),
        )

    return _act(request, pk, act, _("Score saved."))


@login_required
@require_POST
def cadre_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    form = VersionForm(request.POST)

    def act(sheet: CadreSheet) -> None:
        services.cadre_sheet_finalise(sheet_id=sheet.pk, actor=request.user, expected_version=_version(form))

    return _act(request, pk, act, _("The sheet is final."))


@login_required
def cadre_xlsx(request: HttpRequest, year: int) -> HttpResponse:
    year = _year(year)
    results = selectors.results_of(selectors.sheets_of_year(request.user, year))
    response = HttpResponse(
        sheets_workbook(year, results),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="cadre-assessment-{year}.xlsx"'
    return response
