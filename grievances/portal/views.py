"""The resident portal's pages (home, online submission, lookup, rating, review, the
published statistics). Thin: parse, prove, call one service, render.

Every page that shows a case answers with `Cache-Control: no-store` (`never_cache`), and a
case is shown only to a request that proves it in that same request: tracking number and
query code, or the private link's token.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.errors import Refused
from config.qr import qr_svg
from grievances.portal import selectors, throttle
from grievances.portal.forms import LookupForm, ProofForm, RateForm, ReviewForm, SubmitForm
from grievances.portal.services import public_petition_submit
from grievances.stats.units import public_unit_ranking
from petitions.forms import add_service_errors
from petitions.models import Petition
from petitions.services import petition_rate, petition_request_review
from stations.models import Region

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
            "qr": qr_svg(track_url),
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
    # The last complete month's unit ranking: names, rates and ranks only (docs/statistics.md).
    ranking_period, unit_ranking = public_unit_ranking(county)
    return render(
        request,
        "grievances/statistics.html",
        {
            "stats": stats,
            "years": years,
            "county": county,
            "county_query": _county_query(county),
            "ranking_period": ranking_period,
            "unit_ranking": unit_ranking,
        },
    )
