"""Appraisal pages: for residents under /appraisals/ (commitments, questionnaire, published
results) and for the commission under /staff/appraisals/ (set up, watch, score, publish).
Each view parses, scopes, calls one service and renders."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from config.errors import Refused
from config.middleware import address_key
from evaluations import selectors, services
from evaluations.exports import results_workbook
from evaluations.forms import (
    CampaignForm,
    CommitmentForm,
    HearingForm,
    QuestionForm,
    QuestionnaireForm,
    RectificationForm,
    VetoForm,
)
from evaluations.models import Campaign, Participant
from stations.selectors import units_visible_to

# --- For residents ----------------------------------------------------------------------------


def public_list(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluations/public_list.html", {"campaigns": selectors.public_campaigns()})


def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The stations' public commitments and, while open, the questionnaire link and QR code."""
    campaign = get_object_or_404(selectors.public_campaigns(), pk=pk)
    participants = list(selectors.participants_with_commitments(campaign))
    if campaign.state == Campaign.State.OPEN:
        import segno  # only here: 9 MB a web worker need not hold until a QR code is drawn

        for participant in participants:
            url = request.build_absolute_uri(reverse("evaluations:questionnaire", args=[campaign.pk, participant.pk]))
            participant.qr_svg = segno.make(url, error="m").svg_inline(scale=3)
    return render(request, "evaluations/public_detail.html", {"campaign": campaign, "participants": participants})


def answer_limited(request: HttpRequest) -> bool:
    """Count one questionnaire submission from this address; True when over the limit."""
    return is_ratelimited(
        request,
        group="appraisal.answer.address",
        key=address_key,
        rate=settings.SUQIU_APPRAISAL_ANSWER_RATE_PER_ADDRESS,
        method=is_ratelimited.ALL,
        increment=True,
    )


def questionnaire(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    participant = selectors.open_participant(pk, participant_pk)
    questions = list(participant.campaign.questions.all())
    form = QuestionnaireForm(request.POST or None, questions=questions)
    if request.method == "POST":
        if answer_limited(request):
            return render(request, "grievances/rate_limited.html", status=429)
        if form.is_valid():
            try:
                services.questionnaire_answer(
                    participant_id=participant.pk,
                    phone=form.cleaned_data["phone"],
                    answers=form.answers(),
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            except Refused as refusal:
                form.add_error(None, refusal.message)
            else:
                return render(request, "evaluations/thanks.html", {"participant": participant})
    status = 400 if form.errors else 200
    return render(request, "evaluations/questionnaire.html", {"participant": participant, "form": form}, status=status)


def public_results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.published_campaign(pk)
    return render(
        request,
        "evaluations/results.html",
        {
            "campaign": campaign,
            "participants": selectors.results(campaign),
            "questions": selectors.question_results(campaign),
        },
    )


def public_results_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _xlsx(selectors.published_campaign(pk))


def _xlsx(campaign: Campaign) -> HttpResponse:
    response = HttpResponse(
        results_workbook(campaign),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="appraisal-{campaign.year}-{campaign.pk}.xlsx"'
    return response


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# --- For the commission -----------------------------------------------------------------------


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    regions = selectors.campaign_regions_for(request.user)
    if request.method == "POST":
        region = get_object_or_404(regions, pk=request.POST.get("region"))
        if form.is_valid():
            data = form.cleaned_data
            stages = {
                k: data[k]
                for k in ("commitment_on", "self_inspection_on", "hearing_on", "rectification_on", "questionnaire_on")
            }
            try:
                campaign = services.campaign_create(
                    actor=request.user,
                    region=region,
                    name=data["name"],
                    year=data["year"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    weight_questionnaire=data["weight_questionnaire"],
                    weight_hearing=data["weight_hearing"],
                    weight_cases=data["weight_cases"],
                    satisfied_min=data["satisfied_min"],
                    basic_min=data["basic_min"],
                    stages=stages,
                )
            except ValidationError as error:
                _add_errors(form, error)
            except Refused as refusal:
                form.add_error(None, refusal.message)
            else:
                return redirect("evaluations:staff_detail", pk=campaign.pk)
    context = {"campaigns": selectors.campaigns_visible_to(request.user), "form": form, "regions": regions}
    return render(request, "evaluations/staff_list.html", context, status=400 if form.errors else 200)


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(request.user, pk)
    context = {
        "campaign": campaign,
        "participants": selectors.results(campaign).prefetch_related("reports"),
        "questions": selectors.question_results(campaign),
        "rectifications": selectors.rectifications(campaign),
        "events": selectors.events(campaign)[:30],
        "can_manage": selectors.can_manage(request.user, campaign.region),
        "question_form": QuestionForm(),
    }
    return render(request, "evaluations/staff_detail.html", context)


def _act(request: HttpRequest, pk: int, act: Callable[[Campaign], object], done: str) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(request.user, pk)
    try:
        act(campaign)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done)
    return redirect("evaluations:staff_detail", pk=campaign.pk)


TRANSITIONS = {
    "open": services.campaign_open,
    "scoring": services.campaign_start_scoring,
    "publish": services.campaign_publish,
}


@login_required
@require_POST
def staff_transition(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    service = TRANSITIONS.get(verb)
    if service is None:
        raise Http404
    return _act(request, pk, lambda c: service(campaign_id=c.pk, actor=request.user), _("Done."))


@login_required
@require_POST
def staff_question(request: HttpRequest, pk: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _act(
        request,
        pk,
        lambda c: services.question_add(campaign_id=c.pk, actor=request.user, text=text),
        _("Question added."),
    )


def _participant(campaign: Campaign, participant_pk: int) -> Participant:
    return selectors.participant_of(campaign, pk=participant_pk)


@login_required
@require_POST
def staff_hearing(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    form = HearingForm(request.POST)

    def act(campaign: Campaign) -> None:
        participant = _participant(campaign, participant_pk)
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        services.hearing_score_set(participant_id=participant.pk, actor=request.user, score=form.cleaned_data["score"])

    return _act(request, pk, act, _("Hearing score saved."))


@login_required
@require_POST
def staff_veto(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    form = VetoForm(request.POST)

    def act(campaign: Campaign) -> None:
        participant = _participant(campaign, participant_pk)
        services.participant_veto(participant_id=participant.pk, actor=request.user, reason=form.data.get("reason", ""))

    return _act(request, pk, act, _("Station vetoed."))


@login_required
@require_POST
def staff_commitments(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    form = CommitmentForm(request.POST)
    texts = form.data.get("texts", "").replace("、", "\n").splitlines()

    def act(campaign: Campaign) -> None:
        services.commitment_publish(
            participant_id=_participant(campaign, participant_pk).pk, actor=request.user, texts=texts
        )

    return _act(request, pk, act, _("Commitments published."))


@login_required
@require_POST
def staff_report(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    upload = request.FILES.get("file")

    def act(campaign: Campaign) -> None:
        if upload is None:
            raise ValidationError(_("Choose a file."))
        services.report_upload(
            participant_id=_participant(campaign, participant_pk).pk, actor=request.user, upload=upload
        )

    return _act(request, pk, act, _("Report uploaded."))


@login_required
@require_POST
def staff_rectification(request: HttpRequest, pk: int) -> HttpResponse:
    form = RectificationForm(request.POST)

    def act(campaign: Campaign) -> None:
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        owner = get_object_or_404(units_visible_to(request.user), pk=form.cleaned_data["owner"])
        services.rectification_add(
            campaign_id=campaign.pk,
            actor=request.user,
            owner=owner,
            description=form.cleaned_data["description"],
            deadline=form.cleaned_data["deadline"],
        )

    return _act(request, pk, act, _("Rectification item added."))


@login_required
@require_POST
def staff_rectification_done(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    def act(campaign: Campaign) -> None:
        item = selectors.rectification_of(campaign, item_pk)
        services.rectification_complete(item_id=item.pk, actor=request.user, evidence=request.POST.get("evidence", ""))

    return _act(request, pk, act, _("Rectification item closed."))


@login_required
def staff_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _xlsx(selectors.campaign_get_for_user(request.user, pk))
