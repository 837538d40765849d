"""Every write to the appraisals app (DESIGN.md §6).

One function per verb: keyword-only arguments, the acting user explicit, the campaign row
locked, the state checked, `full_clean()` before saving, and an `AppraisalEvent` written in
the same transaction. Each raises before it writes when the action cannot happen.

A verb sent again with the same input (a resend after a dropped connection, a double click)
changes nothing and writes no second event: a station already taking part, a question already
in the questionnaire, the same commitments, weights, hearing score, veto reason, an identical
open rectification item, an item closed with the same evidence. The state changes (open,
start scoring, publish) are not repeatable: a second one finds the campaign in the wrong state.

## The scores (all 0–100)

- Questionnaire: every answer of 1–5 maps to (value − 1) × 25, so 1 → 0, 3 → 50, 5 → 100;
  the station's score is the mean over all its answers to all questions.
- Hearing: entered by the panel (0–100).
- Case record, from the cases the station's unit led (a lead `Assignment`) that were
  registered in the campaign period:

      on-time rate      = replied by the handling deadline / replied with a deadline
      satisfaction rate = (satisfied + basically satisfied) / rated (no-response excluded)
      repeat rate       = cases petitioned again (a later repeat links to them) / cases
      case score        = 100 × (0.4 × on-time + 0.4 × satisfaction + 0.2 × (1 − repeat))

  A rate with nothing to count (no case replied, none rated) counts as 1: a station is not
  marked down for what it was never asked to do.
- Composite = (questionnaire × w_q + hearing × w_h + case × w_c) / 100, a missing part
  counting 0. Band by the campaign's thresholds; a veto (一票否决) forces the bottom band and
  puts the station after every station not vetoed in the ranking.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from hashlib import sha256

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidState, NotPermitted
from config.ranking import competition_ranks
from evaluations.models import (
    Answer,
    AppraisalEvent,
    Band,
    Campaign,
    Commitment,
    Participant,
    Question,
    QuestionnaireResponse,
    RectificationItem,
    SelfInspectionReport,
)
from evaluations.selectors import CAMPAIGN_LEVELS, can_manage
from petitions.deadlines import CHINA
from petitions.models import Assignment, Petition, Satisfaction
from petitions.services import check_attachment
from stations.models import Unit, User

State = Campaign.State
Verb = AppraisalEvent.Verb
TWO = Decimal("0.01")
FOUR = Decimal("0.0001")
PHONE_RE = re.compile(r"^1\d{10}$")


def _event(campaign: Campaign, verb: str, actor: User | None, **fields) -> AppraisalEvent:
    return AppraisalEvent.objects.create(
        campaign=campaign,
        verb=verb,
        actor=actor if actor is not None and actor.is_authenticated else None,
        **fields,
    )


def _locked(campaign_id: int) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).select_related("region").get(pk=campaign_id)


def _require_manager(actor: User, campaign: Campaign) -> None:
    if not can_manage(actor, campaign.region):
        raise NotPermitted(_("Only the appraisal commission of this region may do this."))


def _require_state(campaign: Campaign, *states: str) -> None:
    if campaign.state not in states:
        raise InvalidState(
            _("The appraisal is “%(state)s”: this cannot be done now.") % {"state": campaign.get_state_display()}
        )


# --- Setting up -------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    region,
    name: str,
    year: int,
    period_start: date,
    period_end: date,
    weight_questionnaire: int = 50,
    weight_hearing: int = 30,
    weight_cases: int = 20,
    satisfied_min: Decimal = Decimal(90),
    basic_min: Decimal = Decimal(70),
    stages: dict[str, date | None] | None = None,
    stations: list[Unit] | None = None,
) -> Campaign:
    """Set up a campaign in draft; `stations=None` takes every active station of the region."""
    if not can_manage(actor, region):
        raise NotPermitted(_("Only the appraisal commission of this region may do this."))
    if region.level not in CAMPAIGN_LEVELS:
        raise ValidationError({"region": _("An appraisal covers the stations of a county or of a township.")})
    campaign = Campaign(
        region=region,
        name=name.strip(),
        year=year,
        period_start=period_start,
        period_end=period_end,
        weight_questionnaire=weight_questionnaire,
        weight_hearing=weight_hearing,
        weight_cases=weight_cases,
        satisfied_min=Decimal(satisfied_min),
        basic_min=Decimal(basic_min),
        created_by=actor,
        **(stages or {}),
    )
    campaign.full_clean()
    campaign.save()
    _event(campaign, Verb.CREATED, actor, data={"name": campaign.name, "year": year})
    if stations is None:
        stations = list(stations_in(region))
    _add_stations(campaign, stations, actor, field="stations")
    return campaign


def stations_in(region):
    """The active service stations (基层站所) of a region's subtree."""
    from stations.selectors import within_q

    return Unit.objects.filter(within_q("region__code", [region.prefix]), kind=Unit.Kind.STATION, is_active=True)


def _add_stations(campaign: Campaign, units: list[Unit], actor: User, *, field: str) -> list[Participant]:
    """Add each unit as a station, once: one already taking part is returned as it is."""
    for unit in units:
        if unit.kind != Unit.Kind.STATION or not unit.region.code.startswith(campaign.region.prefix):
            raise ValidationError(
                {
                    field: _("%(unit)s is not a service station of %(region)s.")
                    % {"unit": unit, "region": campaign.region}
                }
            )
    existing = {p.unit_id: p for p in campaign.participants.filter(unit__in=units)}
    added = []
    for unit in units:
        if unit.pk not in existing:
            participant = Participant(campaign=campaign, unit=unit)
            participant.full_clean()
            participant.save()
            _event(campaign, Verb.STATION_ADDED, actor, participant=participant, data={"unit": unit.pk})
            existing[unit.pk] = participant
        added.append(existing[unit.pk])
    return added


@transaction.atomic
def campaign_add_stations(*, campaign_id: int, units: list[Unit], actor: User) -> list[Participant]:
    """Add stations to a draft campaign, all or none; a station already taking part stays as it is."""
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.DRAFT)
    if not units:
        raise ValidationError({"stations": _("Name at least one station.")})
    return _add_stations(campaign, units, actor, field="stations")


@transaction.atomic
def campaign_add_station(*, campaign_id: int, unit: Unit, actor: User) -> Participant:
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.DRAFT)
    return _add_stations(campaign, [unit], actor, field="unit")[0]


@transaction.atomic
def campaign_update_weights(
    *,
    campaign_id: int,
    actor: User,
    weight_questionnaire: int,
    weight_hearing: int,
    weight_cases: int,
    satisfied_min: Decimal,
    basic_min: Decimal,
) -> Campaign:
    """Change the weights and band thresholds (only before the scores are computed)."""
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.DRAFT, State.OPEN)
    before = (campaign.weight_questionnaire, campaign.weight_hearing, campaign.weight_cases)
    thresholds = (campaign.satisfied_min, campaign.basic_min)
    if before == (weight_questionnaire, weight_hearing, weight_cases) and thresholds == (
        Decimal(satisfied_min),
        Decimal(basic_min),
    ):
        return campaign  # the same settings again: nothing changes
    campaign.weight_questionnaire, campaign.weight_hearing, campaign.weight_cases = (
        weight_questionnaire,
        weight_hearing,
        weight_cases,
    )
    campaign.satisfied_min, campaign.basic_min = Decimal(satisfied_min), Decimal(basic_min)
    campaign.full_clean()
    campaign.save(
        update_fields=["weight_questionnaire", "weight_hearing", "weight_cases", "satisfied_min", "basic_min"]
    )
    _event(
        campaign,
        Verb.SETTINGS,
        actor,
        data={
            "weights": [weight_questionnaire, weight_hearing, weight_cases],
            "thresholds": [str(basic_min), str(satisfied_min)],
        },
    )
    return campaign


@transaction.atomic
def question_add(*, campaign_id: int, actor: User, text: str) -> Question:
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.DRAFT)
    text = text.strip()
    same = campaign.questions.filter(text=text).first() if text else None
    if same is not None:
        return same  # already in the questionnaire: not asked twice
    question = Question(campaign=campaign, text=text, sort_order=campaign.questions.count() + 1)
    question.full_clean()
    question.save()
    _event(campaign, Verb.QUESTION, actor, note=question.text)
    return question


@transaction.atomic
def commitment_publish(*, participant_id: int, actor: User, texts: list[str]) -> list[Commitment]:
    """Publish a station's service promises (公开承诺); replaces the earlier list."""
    participant = Participant.objects.select_related("campaign__region", "unit").get(pk=participant_id)
    campaign = _locked(participant.campaign_id)
    if not (can_manage(actor, campaign.region) or _works_at(actor, participant.unit)):
        raise NotPermitted(_("Only the station or the appraisal commission may publish its commitments."))
    _require_state(campaign, State.DRAFT, State.OPEN)
    texts = [t.strip() for t in texts if t.strip()]
    if not texts:
        raise ValidationError({"texts": _("Give at least one promise.")})
    current = list(participant.commitments.order_by("sort_order", "id"))
    if [c.text for c in current] == texts:
        return current  # the same promises again: nothing changes
    participant.commitments.all().delete()
    made = []
    for order, text in enumerate(texts, 1):
        commitment = Commitment(participant=participant, text=text, sort_order=order)
        commitment.full_clean()
        commitment.save()
        made.append(commitment)
    _event(campaign, Verb.COMMITMENT, actor, participant=participant, data={"texts": texts})
    return made


def _works_at(user: User, unit: Unit) -> bool:
    from stations.selectors import scope_for

    return bool(scope_for(user).roles_in(unit.pk))


# --- Transitions ------------------------------------------------------------------------------


@transaction.atomic
def campaign_open(*, campaign_id: int, actor: User) -> Campaign:
    """Open the campaign: commitments are public and residents may answer the questionnaire."""
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.DRAFT)
    if not campaign.participants.exists():
        raise ValidationError(_("Add the participating stations first."))
    if not campaign.questions.exists():
        raise ValidationError(_("Write the questionnaire's questions first."))
    campaign.state = State.OPEN
    campaign.save(update_fields=["state"])
    _event(campaign, Verb.OPENED, actor)
    return campaign


@transaction.atomic
def campaign_start_scoring(*, campaign_id: int, actor: User) -> Campaign:
    """Close the questionnaire and compute the scores (the panel may still enter hearing scores)."""
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.OPEN)
    campaign.state = State.SCORING
    campaign.save(update_fields=["state"])
    _event(campaign, Verb.SCORING, actor)
    _compute(campaign, actor)
    return campaign


@transaction.atomic
def campaign_publish(*, campaign_id: int, actor: User) -> Campaign:
    """Publish the results: every station needs its hearing score."""
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.SCORING)
    missing = list(campaign.participants.filter(hearing_score__isnull=True).values_list("unit__name", flat=True))
    if missing:
        raise ValidationError(_("Enter the hearing score of: %(units)s.") % {"units": "、".join(missing)})
    _compute(campaign, actor)
    campaign.state = State.PUBLISHED
    campaign.published_at = timezone.now()
    campaign.save(update_fields=["state", "published_at"])
    _event(campaign, Verb.PUBLISHED, actor)
    return campaign


# --- Scores -----------------------------------------------------------------------------------


@transaction.atomic
def hearing_score_set(*, participant_id: int, actor: User, score: Decimal | int | str) -> Participant:
    """The hearing panel's score of one station (听证评议), 0–100."""
    participant = Participant.objects.select_related("unit").get(pk=participant_id)
    campaign = _locked(participant.campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.OPEN, State.SCORING)
    try:
        value = Decimal(str(score))
    except ArithmeticError:
        raise ValidationError({"hearing_score": _("A hearing score is a number.")}) from None
    if not value.is_finite() or value < 0 or value > 100:
        raise ValidationError({"hearing_score": _("A hearing score is between 0 and 100.")})
    participant = Participant.objects.select_for_update().select_related("unit").get(pk=participant_id)
    if participant.hearing_score == value.quantize(TWO, ROUND_HALF_UP):
        return participant  # the same score again: nothing changes
    participant.hearing_score = value.quantize(TWO, ROUND_HALF_UP)
    participant.full_clean()
    participant.save(update_fields=["hearing_score"])
    _event(campaign, Verb.HEARING, actor, participant=participant, data={"score": str(participant.hearing_score)})
    if campaign.state == State.SCORING:
        _compute(campaign, actor, audit=False)
    return participant


@transaction.atomic
def participant_veto(*, participant_id: int, actor: User, reason: str) -> Participant:
    """Veto a station (一票否决): whatever its score, it ends in the bottom band."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("A veto needs its reason.")})
    participant = Participant.objects.get(pk=participant_id)
    campaign = _locked(participant.campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.OPEN, State.SCORING)
    participant = Participant.objects.select_for_update().select_related("unit").get(pk=participant_id)
    if participant.vetoed:
        if participant.veto_reason == reason:
            return participant  # the same veto again: nothing changes
        raise InvalidState(_("This station is already vetoed."))
    participant.vetoed, participant.veto_reason = True, reason
    participant.full_clean()
    participant.save(update_fields=["vetoed", "veto_reason"])
    _event(campaign, Verb.VETOED, actor, participant=participant, note=reason)
    if campaign.state == State.SCORING:
        _compute(campaign, actor, audit=False)
    return participant


@dataclass(frozen=True)
class CaseRecord:
    cases: int
    on_time_rate: Decimal
    satisfaction_rate: Decimal
    repeat_rate: Decimal

    @property
    def score(self) -> Decimal:
        raw = Decimal(100) * (
            Decimal("0.4") * self.on_time_rate
            + Decimal("0.4") * self.satisfaction_rate
            + Decimal("0.2") * (1 - self.repeat_rate)
        )
        return raw.quantize(TWO, ROUND_HALF_UP)


def _rate(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(FOUR, ROUND_HALF_UP) if whole else Decimal(1)


def case_record(campaign: Campaign, unit: Unit) -> CaseRecord:
    """The case record of one station's unit in the campaign period (see the module docstring)."""
    start = datetime.combine(campaign.period_start, time.min, tzinfo=CHINA)
    end = datetime.combine(campaign.period_end, time.max, tzinfo=CHINA)
    led = Assignment.objects.filter(unit=unit, role=Assignment.Role.LEAD).values("petition_id")
    cases = Petition.objects.filter(pk__in=led, created_at__gte=start, created_at__lte=end)
    rated = [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED]
    counts = cases.aggregate(
        total=Count("pk"),
        replied=Count("pk", filter=Q(replied_at__isnull=False, due_at__isnull=False)),
        on_time=Count("pk", filter=Q(replied_at__isnull=False, due_at__isnull=False, replied_at__lte=F("due_at"))),
        rated=Count("pk", filter=Q(satisfaction__in=rated)),
        satisfied=Count("pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED])),
        repeated=Count("pk", filter=Q(repeat_count__gt=0) | Q(repeats__isnull=False), distinct=True),
    )
    return CaseRecord(
        cases=counts["total"],
        on_time_rate=_rate(counts["on_time"], counts["replied"]),
        satisfaction_rate=_rate(counts["satisfied"], counts["rated"]),
        repeat_rate=(_rate(counts["repeated"], counts["total"]) if counts["total"] else Decimal(0)),
    )


def questionnaire_score(participant: Participant) -> tuple[Decimal | None, int]:
    """(mean of all answers mapped to 0–100, number of questionnaires)."""
    mean = participant.questionnaires.aggregate(mean=Avg("answers__value"))["mean"]
    count = participant.questionnaires.count()
    if mean is None:
        return None, count
    return ((Decimal(str(mean)) - 1) * 25).quantize(TWO, ROUND_HALF_UP), count


def _compute(campaign: Campaign, actor: User | None, *, audit: bool = True) -> None:
    participants = list(campaign.participants.select_for_update().select_related("unit"))
    for participant in participants:
        record = case_record(campaign, participant.unit)
        participant.questionnaire_score, participant.responses = questionnaire_score(participant)
        participant.case_score = record.score
        participant.cases = record.cases
        participant.on_time_rate = record.on_time_rate
        participant.satisfaction_rate = record.satisfaction_rate
        participant.repeat_rate = record.repeat_rate
        parts = (
            (participant.questionnaire_score, campaign.weight_questionnaire),
            (participant.hearing_score, campaign.weight_hearing),
            (participant.case_score, campaign.weight_cases),
        )
        total = sum(((score or Decimal(0)) * weight for score, weight in parts), Decimal(0)) / 100
        participant.composite = total.quantize(TWO, ROUND_HALF_UP)
        participant.band = campaign.band_for(participant.composite, vetoed=participant.vetoed)
    ordered = sorted(participants, key=lambda p: (p.vetoed, -p.composite, p.unit.name))
    # Tied scores share a rank (1, 2, 2, 4). A veto still ranks a station after every other.
    for participant, rank in zip(ordered, competition_ranks(ordered, lambda p: (p.vetoed, p.composite)), strict=True):
        participant.rank = rank
    Participant.objects.bulk_update(
        participants,
        [
            "questionnaire_score",
            "responses",
            "case_score",
            "cases",
            "on_time_rate",
            "satisfaction_rate",
            "repeat_rate",
            "composite",
            "band",
            "rank",
        ],
    )
    if audit:
        bands = {band: sum(p.band == band for p in participants) for band in Band.values}
        _event(campaign, Verb.SCORED, actor, data={"bands": bands})


# --- Questionnaire ----------------------------------------------------------------------------


def phone_hash(phone: str) -> str:
    """A keyed hash of the phone (HMAC-SHA256 with SECRET_KEY): the number itself is not stored."""
    key = f"suqiu.evaluations.phone:{settings.SECRET_KEY}".encode()
    return hmac.new(key, phone.encode(), sha256).hexdigest()


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s\-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


@transaction.atomic
def questionnaire_answer(
    *, participant_id: int, phone: str, answers: dict[int, int], comment: str = ""
) -> QuestionnaireResponse:
    """A resident's questionnaire about one station: one per phone per station per campaign."""
    participant = Participant.objects.select_related("campaign").get(pk=participant_id)
    campaign = participant.campaign
    if campaign.state != State.OPEN:
        raise InvalidState(_("The questionnaire of this appraisal is closed."))
    phone = normalize_phone(phone)
    if not PHONE_RE.match(phone):
        raise ValidationError({"phone": _("Give an 11-digit mobile number.")})
    questions = {q.pk: q for q in campaign.questions.all()}
    if set(answers) != set(questions):
        raise ValidationError({"answers": _("Answer every question.")})
    if any(value not in (1, 2, 3, 4, 5) for value in answers.values()):
        raise ValidationError({"answers": _("Each answer is between 1 and 5.")})
    response = QuestionnaireResponse(participant=participant, phone_hash=phone_hash(phone), comment=comment.strip())
    try:
        response.full_clean()
        with transaction.atomic():
            response.save()
    except (ValidationError, IntegrityError):
        raise ValidationError(
            {"phone": _("This phone number has already answered the questionnaire for this station.")}
        ) from None
    Answer.objects.bulk_create(
        [Answer(response=response, question=questions[pk], value=value) for pk, value in answers.items()]
    )
    return response


# --- Self-inspection and rectification -------------------------------------------------------


@transaction.atomic
def report_upload(*, participant_id: int, actor: User, upload: UploadedFile) -> SelfInspectionReport:
    """A station's self-inspection report (自查自纠); the type is read from the file's bytes."""
    participant = Participant.objects.select_related("unit").get(pk=participant_id)
    campaign = _locked(participant.campaign_id)
    if not (can_manage(actor, campaign.region) or _works_at(actor, participant.unit)):
        raise NotPermitted(_("Only the station or the appraisal commission may upload its report."))
    _require_state(campaign, State.DRAFT, State.OPEN)
    content_type, extension = check_attachment(upload)
    report = SelfInspectionReport(
        participant=participant,
        original_name=upload.name[:200],
        content_type=content_type,
        extension=extension,
        size=upload.size,
        uploaded_by=actor,
    )
    report.file.save(f"report{extension}", upload, save=False)
    report.save()
    _event(campaign, Verb.REPORT, actor, participant=participant, note=report.original_name)
    return report


@transaction.atomic
def rectification_add(
    *, campaign_id: int, actor: User, owner: Unit, description: str, deadline: date
) -> RectificationItem:
    campaign = _locked(campaign_id)
    _require_manager(actor, campaign)
    _require_state(campaign, State.OPEN, State.SCORING, State.PUBLISHED)
    description = description.strip()
    same = campaign.rectifications.filter(
        owner=owner, description=description, deadline=deadline, status=RectificationItem.Status.OPEN
    ).first()
    if same is not None and description:
        return same  # the same item again: not listed twice
    item = RectificationItem(campaign=campaign, owner=owner, description=description, deadline=deadline)
    item.full_clean()
    item.save()
    _event(
        campaign, Verb.RECTIFICATION, actor, rectification=item, note=item.description, data={"deadline": str(deadline)}
    )
    return item


@transaction.atomic
def rectification_complete(*, item_id: int, actor: User, evidence: str) -> RectificationItem:
    item = RectificationItem.objects.select_for_update().select_related("campaign__region", "owner").get(pk=item_id)
    if not (can_manage(actor, item.campaign.region) or _works_at(actor, item.owner)):
        raise NotPermitted(_("Only the owner unit or the appraisal commission may close this item."))
    if item.status != RectificationItem.Status.OPEN:
        if item.evidence == evidence.strip():
            return item  # closed with the same evidence again: nothing changes
        raise InvalidState(_("This item is already done."))
    item.status, item.evidence, item.done_at = RectificationItem.Status.DONE, evidence.strip(), timezone.now()
    item.full_clean()
    item.save(update_fields=["status", "evidence", "done_at"])
    _event(item.campaign, Verb.RECTIFIED, actor, rectification=item, note=item.evidence)
    return item


@transaction.atomic
def rectification_remind(*, item_id: int, today: date | None = None) -> bool:
    """Remind the owner of an item past its deadline, once. False when there is nothing to do."""
    today = today or timezone.localdate()
    claimed = RectificationItem.objects.filter(
        pk=item_id, status=RectificationItem.Status.OPEN, deadline__lt=today, reminded_at__isnull=True
    ).update(reminded_at=timezone.now())
    if not claimed:
        return False
    item = RectificationItem.objects.select_related("campaign", "owner").get(pk=item_id)
    _event(
        item.campaign,
        Verb.REMINDED,
        None,
        rectification=item,
        note=_("%(unit)s: rectification overdue since %(deadline)s.") % {"unit": item.owner, "deadline": item.deadline},
        data={"owner": item.owner_id, "deadline": str(item.deadline)},
    )
    return True
