"""The pages people see: the public portal (home, online submission, lookup, rating, review,
statistics) and the staff home. Thin: parse, prove, call one service, render.

Every page that shows a case answers with `Cache-Control: no-store` (`never_cache`), and a
case is shown only to a request that proves it in that same request: tracking number and
query code, or the private link's token.
"""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.errors import Refused
from grievances import selectors, throttle
from grievances.forms import LookupForm, ProofForm, RateForm, ReviewForm, SubmitForm
from grievances.services import public_petition_submit
from petitions.forms import add_service_errors
from petitions.models import Petition
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


def _rate_limited(request: HttpRequest) -> HttpResponse:
    return render(request, "grievances/rate_limited.html", status=429)


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
    return render(
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


# --- Lookup, rating and review ------------------------------------------------------------------


def _prove(request: HttpRequest, data) -> tuple[Petition | None, ProofForm, bool]:
    """(the case, the proof form, rate-limited?) for a POST carrying the codes or the token."""
    proof = ProofForm(data)
    proof.is_valid()
    values = {name: proof.cleaned_data.get(name, "") for name in ("tracking_number", "query_code", "token")}
    if throttle.lookup_limited(request, values["tracking_number"]):
        return None, proof, True
    if values["token"]:
        return selectors.petition_for_token(values["token"]), proof, False
    return selectors.petition_for_codes(values["tracking_number"], values["query_code"]), proof, False


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
    petition, _proof, limited = _prove(request, request.POST)
    if limited:
        return _rate_limited(request)
    if petition is None:
        return _not_found(request, form)
    return _case_page(request, petition, {"tracking_number": petition.tracking_number, **_codes(form)})


def _codes(form: LookupForm) -> dict:
    return {"query_code": form.cleaned_data["query_code"]}


@never_cache
def track_token(request: HttpRequest, token: str) -> HttpResponse:
    """The private link from the SMS: opens the case like the codes do."""
    if throttle.lookup_limited(request):
        return _rate_limited(request)
    petition = selectors.petition_for_token(token)
    if petition is None:
        return _not_found(request, LookupForm())
    return _case_page(request, petition, {"token": token})


def _proof_values(proof: ProofForm) -> dict:
    data = proof.cleaned_data
    if data.get("token"):
        return {"token": data["token"]}
    return {"tracking_number": data.get("tracking_number", ""), "query_code": data.get("query_code", "")}


@never_cache
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    petition, proof, limited = _prove(request, request.POST)
    if limited:
        return _rate_limited(request)
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
    petition, proof, limited = _prove(request, request.POST)
    if limited:
        return _rate_limited(request)
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
