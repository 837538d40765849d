"""The pages people see: the public portal (home, online submission, lookup, rating, review,
statistics) and the staff home. Thin: parse, prove, call one service, render.

Every page that shows a case answers with `Cache-Control: no-store` (`never_cache`), and a
case is shown only to a request that proves it in that same request: tracking number and
query code, or the private link's token.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.errors import Refused
from grievances import ledger, selectors, throttle
from grievances import statistics as staff_stats
from grievances.commission_stats import commission_region_for, commission_summary, has_commission_rights
from grievances.forms import LookupForm, ProofForm, RateForm, ReviewForm, SubmitForm
from grievances.services import public_petition_submit
from petitions.forms import add_service_errors
from petitions.models import Channel, Petition, Satisfaction, Status
from petitions.services import petition_rate, petition_request_review
from stations.models import Region
from stations.selectors import memberships_of, scope_for

RECEIPT = "grievances.receipt"  # session key: the codes of the case just submitted, popped when shown


def home(request: HttpRequest) -> HttpResponse:
    county = selectors.portal_county(request.GET.get("county"))
    context = {"county": county}
    if county is None:
        context["counties"] = selectors.counties()
    else:
        context |= {
            "schedule": selectors.reception_schedule(county),
            "centres": selectors.intake_centres(county),
            "county_query": _county_query(county),
        }
    return render(request, "grievances/home.html", context)


@login_required
def staff_home(request):
    memberships = list(memberships_of(request.user))
    return render(
        request,
        "grievances/staff_home.html",
        {"memberships": memberships, "scope": scope_for(request.user)},
    )


def _county_query(county: Region) -> str:
    """`?county=<code>` when the installation has several counties, else nothing."""
    return "" if selectors.portal_county(None) == county else "?" + urlencode({"county": county.code})


def _rate_limited(request: HttpRequest, retry_at=None) -> HttpResponse:
    response = render(request, "grievances/rate_limited.html", {"retry_at": retry_at}, status=429)
    if retry_at is not None:
        response["Retry-After"] = str(max(1, int((retry_at - timezone.now()).total_seconds())))
    return response


# --- Online submission ------------------------------------------------------------------------


def _township(county: Region, raw) -> Region | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return Region.objects.filter(pk=pk, parent=county, level=Region.Level.TOWNSHIP).first()


@never_cache
def submit(request: HttpRequest) -> HttpResponse:
    county = selectors.portal_county(request.GET.get("county"))
    if county is None:
        return redirect("grievances:home")
    data = request.POST if request.method == "POST" else None
    township = _township(county, (data or request.GET).get("township"))
    form = SubmitForm(
        data,
        request.FILES or None,
        townships=selectors.townships_of(county),
        villages=selectors.villages_of(township),
        initial={"township": township.pk if township else None},
    )
    # Without JavaScript, "show the villages" posts the form back to fill the village list.
    picking = data is not None and "pick_township" in data
    if data is not None and not picking:
        if throttle.submit_limited(request):
            return _rate_limited(request)
        if form.is_valid():
            cleaned = form.cleaned_data
            try:
                submission = public_petition_submit(
                    county=county,
                    category=cleaned["category"],
                    region=cleaned["region"],
                    title=cleaned["title"],
                    content=cleaned["content"],
                    anonymous=cleaned["anonymous"],
                    complainant_name=cleaned["complainant_name"],
                    complainant_phone=cleaned["complainant_phone"],
                    attachments=cleaned["attachments"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except Refused as refusal:
                form.add_error(None, refusal.message)
            else:
                # Only hashes are stored: the codes reach the receipt once, through the session.
                request.session[RECEIPT] = {
                    "id": submission.petition.pk,
                    "query_code": submission.registration.query_code,
                    "token": submission.token,
                }
                return redirect("grievances:submitted")
    if picking:
        form = SubmitForm(
            initial={**data.dict(), "township": township.pk if township else None},
            townships=selectors.townships_of(county),
            villages=selectors.villages_of(township),
        )
    return render(request, "grievances/submit.html", {"form": form, "county": county})


@require_GET
def villages(request: HttpRequest) -> HttpResponse:
    """The village select for a township (swapped in by htmx when the township changes)."""
    county = selectors.portal_county(request.GET.get("county"))
    if county is None:
        raise Http404
    township = _township(county, request.GET.get("township"))
    form = SubmitForm(townships=[], villages=selectors.villages_of(township))
    return render(request, "grievances/_village_field.html", {"field": form["region"]})


def _qr_svg(url: str) -> str:
    """The lookup link as an inline SVG QR code (segno: pure Python, nothing fetched)."""
    import segno  # only here: 9 MB a web worker need not hold until a QR code is drawn

    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#1f2328")


@never_cache
def submitted(request: HttpRequest) -> HttpResponse:
    """The receipt of an online submission, shown once (the codes are not stored)."""
    receipt = request.session.pop(RECEIPT, None)
    if not receipt:
        return redirect("grievances:track")
    petition = Petition.objects.select_related("category", "region", "holder_unit").get(pk=receipt["id"])
    track_url = (
        request.build_absolute_uri(reverse("grievances:track")) + "?" + urlencode({"n": petition.tracking_number})
    )
    token = receipt.get("token")
    private_url = request.build_absolute_uri(reverse("grievances:track_token", args=[token])) if token else ""
    response = render(
        request,
        "grievances/submitted.html",
        {
            "petition": petition,
            "query_code": receipt["query_code"],
            "track_url": track_url,
            "private_url": private_url,
            "qr": mark_safe(_qr_svg(track_url)),  # segno writes the SVG from our own URL
        },
    )
    # The browser that submitted the case is the resident's: it gets the case's device cookie.
    device = throttle.Proof(petition=petition, device_token=throttle.device_token_issue(petition.tracking_number))
    return throttle.remember_device(request, response, device)


# --- Lookup, rating and review ------------------------------------------------------------------


def _prove(request: HttpRequest, data) -> tuple[throttle.Proof, ProofForm]:
    """(what the proof came to, the proof form) for a POST carrying the codes or the token;
    the codes within the lookup limits, with the browser's device cookie for that case."""
    proof = ProofForm(data)
    proof.is_valid()
    values = {name: proof.cleaned_data.get(name, "") for name in ("tracking_number", "query_code", "token")}
    if values["token"]:
        return throttle.prove_link(request, token=values["token"]), proof
    number = values["tracking_number"]
    proved = throttle.prove_codes(
        request,
        tracking_number=number,
        query_code=values["query_code"],
        device_token=throttle.device_cookie(request, number),
    )
    return proved, proof


def _not_found(request: HttpRequest, form: LookupForm) -> HttpResponse:
    # The same page, message and status whether the case does not exist or the code is wrong.
    message = _("No case matches this tracking number and query code. Check both on your receipt.")
    return render(request, "grievances/track.html", {"form": form, "lookup_error": message})


def _case_page(
    request: HttpRequest,
    petition: Petition,
    proof: dict,
    *,
    rate_form: RateForm | None = None,
    review_form: ReviewForm | None = None,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    case = selectors.public_case(petition)
    return render(
        request,
        "grievances/case.html",
        {
            "case": case,
            "proof": proof,
            "rate_form": rate_form or RateForm(auto_id="rate-%s"),
            "review_form": review_form or ReviewForm(auto_id="review-%s"),
            "message": message,
            "error": error,
        },
        status=status,
    )


@never_cache
def track(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = LookupForm(initial={"tracking_number": request.GET.get("n", "")[:20]})
        return render(request, "grievances/track.html", {"form": form})
    form = LookupForm(request.POST)
    if not form.is_valid():
        return render(request, "grievances/track.html", {"form": form})
    proved, _proof = _prove(request, request.POST)
    if proved.limited:
        return _rate_limited(request, proved.retry_at)
    if proved.petition is None:
        return _not_found(request, form)
    petition = proved.petition
    response = _case_page(request, petition, {"tracking_number": petition.tracking_number, **_codes(form)})
    return throttle.remember_device(request, response, proved)


def _codes(form: LookupForm) -> dict:
    return {"query_code": form.cleaned_data["query_code"]}


@never_cache
def track_token(request: HttpRequest, token: str) -> HttpResponse:
    """The private link from the SMS: opens the case like the codes do, whatever the limits."""
    proved = throttle.prove_link(request, token=token)
    if proved.limited:
        return _rate_limited(request, proved.retry_at)
    if proved.petition is None:
        return _not_found(request, LookupForm())
    return throttle.remember_device(request, _case_page(request, proved.petition, {"token": token}), proved)


def _proof_values(proof: ProofForm) -> dict:
    data = proof.cleaned_data
    if data.get("token"):
        return {"token": data["token"]}
    return {"tracking_number": data.get("tracking_number", ""), "query_code": data.get("query_code", "")}


@never_cache
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    proved, proof = _prove(request, request.POST)
    if proved.limited:
        return _rate_limited(request, proved.retry_at)
    petition = proved.petition
    if petition is None:
        return _not_found(request, LookupForm(initial={"tracking_number": request.POST.get("tracking_number", "")}))
    form = RateForm(request.POST, auto_id="rate-%s")
    values = _proof_values(proof)
    if not form.is_valid():
        return _case_page(request, petition, values, rate_form=form, status=400)
    try:
        petition = petition_rate(
            petition_id=petition.pk,
            actor=None,
            satisfaction=form.cleaned_data["satisfaction"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _case_page(request, petition, values, rate_form=form, status=400)
    except Refused as refusal:
        return _case_page(request, petition, values, error=refusal.message, status=409)
    petition.refresh_from_db()
    return _case_page(request, petition, values, message=_("Thank you: your rating is recorded."))


@never_cache
@require_POST
def review(request: HttpRequest) -> HttpResponse:
    proved, proof = _prove(request, request.POST)
    if proved.limited:
        return _rate_limited(request, proved.retry_at)
    petition = proved.petition
    if petition is None:
        return _not_found(request, LookupForm(initial={"tracking_number": request.POST.get("tracking_number", "")}))
    form = ReviewForm(request.POST, auto_id="review-%s")
    values = _proof_values(proof)
    if not form.is_valid():
        return _case_page(request, petition, values, review_form=form, status=400)
    try:
        petition = petition_request_review(petition_id=petition.pk, actor=None, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        add_service_errors(form, error)
        return _case_page(request, petition, values, review_form=form, status=400)
    except Refused as refusal:
        return _case_page(request, petition, values, error=refusal.message, status=409)
    petition.refresh_from_db()
    return _case_page(
        request,
        petition,
        values,
        message=_("Your request for a review is recorded: the level above will review the reply."),
    )


# --- Published statistics -----------------------------------------------------------------------


def statistics(request: HttpRequest) -> HttpResponse:
    county = selectors.portal_county(request.GET.get("county"))
    if county is None:
        return redirect("grievances:home")
    years = selectors.statistics_years()
    try:
        year = int(request.GET.get("year", years[0]))
    except ValueError:
        year = years[0]
    if year not in years:
        year = years[0]
    stats = selectors.county_statistics(county, year)
    return render(
        request,
        "grievances/statistics.html",
        {"stats": stats, "years": years, "county": county, "county_query": _county_query(county)},
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
