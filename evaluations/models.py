"""Appraisals of service stations (民主评议基层站所): the yearly campaign, its stations,
their public commitments, the residents' questionnaire, the hearing panel's scores, the
self-inspection reports, the rectification items and the audit trail (DESIGN.md §6); and the
cadres' assessment sheets the published results count in (干部考核表, docs/appraisals.md,
"The cadre link")."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from config.audit import AppendOnly
from stations.models import Region, Unit

SCORE_RANGE = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Band(models.TextChoices):
    """The result band of a station (评议等次)."""

    SATISFIED = "satisfied", _("Satisfied unit")
    BASIC = "basic", _("Basically satisfied unit")
    UNSATISFIED = "unsatisfied", _("Unsatisfied unit")


class Campaign(models.Model):
    """One yearly democratic appraisal (民主评议) of the service stations of a region."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", pgettext_lazy("state", "Open")
        SCORING = "scoring", _("Scoring")
        PUBLISHED = "published", _("Published")

    name = models.CharField(_("name"), max_length=120)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    # The case record is measured from the cases registered in this period.
    period_start = models.DateField(_("cases from"))
    period_end = models.DateField(_("cases until"))
    # The stages (公开承诺、自查自纠、听证评议、落实整改、问卷测评): the day each starts.
    commitment_on = models.DateField(_("public commitment from"), null=True, blank=True)
    self_inspection_on = models.DateField(_("self-inspection from"), null=True, blank=True)
    hearing_on = models.DateField(_("hearing on"), null=True, blank=True)
    rectification_on = models.DateField(_("rectification from"), null=True, blank=True)
    questionnaire_on = models.DateField(_("questionnaire from"), null=True, blank=True)
    weight_questionnaire = models.PositiveSmallIntegerField(_("questionnaire weight (%)"), default=50)
    weight_hearing = models.PositiveSmallIntegerField(_("hearing weight (%)"), default=30)
    weight_cases = models.PositiveSmallIntegerField(_("case record weight (%)"), default=20)
    satisfied_min = models.DecimalField(_("satisfied from"), max_digits=5, decimal_places=2, default=Decimal(90))
    basic_min = models.DecimalField(_("basically satisfied from"), max_digits=5, decimal_places=2, default=Decimal(70))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appraisal campaign")
        verbose_name_plural = _("appraisal campaigns")
        ordering = ["-year", "region__code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "name"],
                name="campaign_unique_in_region_year",
                violation_error_message=_("This region already has an appraisal of this name this year."),
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["draft", "open", "scoring", "published"]),
                name="campaign_state_valid",
                violation_error_message=_("Unknown state."),
            ),
            models.CheckConstraint(
                condition=models.Q(weight_questionnaire=100 - models.F("weight_hearing") - models.F("weight_cases")),
                name="campaign_weights_sum_100",
                violation_error_message=_(
                    "The weights of questionnaire, hearing and case record must add up to 100 %%."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(basic_min__gte=0, satisfied_min__lte=100, basic_min__lt=models.F("satisfied_min")),
                name="campaign_thresholds_in_order",
                violation_error_message=_(
                    "The thresholds must be in order: 0 ≤ basically satisfied < satisfied ≤ 100."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="campaign_period_in_order",
                violation_error_message=_("The case period must end on or after its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def band_for(self, score: Decimal | None, *, vetoed: bool = False) -> str:
        if vetoed or score is None:
            return Band.UNSATISFIED
        if score >= self.satisfied_min:
            return Band.SATISFIED
        if score >= self.basic_min:
            return Band.BASIC
        return Band.UNSATISFIED


class Participant(models.Model):
    """A station taking part in a campaign (参评站所), with its part scores and result."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    unit = models.ForeignKey(Unit, verbose_name=_("station"), on_delete=models.PROTECT, related_name="+")
    questionnaire_score = models.DecimalField(
        _("questionnaire score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_RANGE
    )
    hearing_score = models.DecimalField(
        _("hearing score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_RANGE
    )
    case_score = models.DecimalField(
        _("case record score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_RANGE
    )
    cases = models.PositiveIntegerField(_("cases handled"), default=0)
    on_time_rate = models.DecimalField(_("on-time rate"), max_digits=5, decimal_places=4, null=True, blank=True)
    satisfaction_rate = models.DecimalField(
        _("satisfaction rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    repeat_rate = models.DecimalField(_("repeat rate"), max_digits=5, decimal_places=4, null=True, blank=True)
    responses = models.PositiveIntegerField(_("questionnaire answers"), default=0)
    composite = models.DecimalField(
        _("composite score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_RANGE
    )
    band = models.CharField(_("band"), max_length=12, choices=Band.choices, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    veto_reason = models.TextField(_("veto reason"), blank=True)

    class Meta:
        verbose_name = _("participating station")
        verbose_name_plural = _("participating stations")
        ordering = ["campaign", "rank", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit"],
                name="participant_once",
                violation_error_message=_("This station already takes part in this appraisal."),
            ),
            models.CheckConstraint(
                condition=models.Q(hearing_score__isnull=True) | models.Q(hearing_score__gte=0, hearing_score__lte=100),
                name="participant_hearing_in_range",
                violation_error_message=_("A hearing score is between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(vetoed=False) | ~models.Q(veto_reason=""),
                name="participant_veto_has_reason",
                violation_error_message=_("A veto needs its reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit}"


class Commitment(models.Model):
    """A service promise a station makes in public (公开承诺), e.g. 首问首办、一次性告知、限时办结."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="commitments")
    text = models.CharField(_("promise"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("public commitment")
        verbose_name_plural = _("public commitments")
        ordering = ["participant", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class Question(models.Model):
    """A question of the campaign's questionnaire (问卷测评), answered on a scale of 1 to 5."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("questionnaire question")
        verbose_name_plural = _("questionnaire questions")
        ordering = ["campaign", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class QuestionnaireResponse(models.Model):
    """One resident's questionnaire about one station (问卷). The phone is kept only as a keyed
    hash: enough to refuse a second answer, useless to call anyone."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="questionnaires")
    phone_hash = models.CharField(max_length=64, editable=False)
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "phone_hash"],
                name="response_once_per_phone",
                violation_error_message=_("This phone number has already answered the questionnaire for this station."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.created_at:%Y-%m-%d %H:%M}"


class Answer(models.Model):
    """The value a resident gave one question: 1 (very unsatisfied) to 5 (very satisfied)."""

    response = models.ForeignKey(QuestionnaireResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.PositiveSmallIntegerField(_("answer"), validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once"),
            models.CheckConstraint(
                condition=models.Q(value__gte=1, value__lte=5),
                name="answer_value_1_to_5",
                violation_error_message=_("An answer is between 1 and 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question} = {self.value}"


def report_path(instance: SelfInspectionReport, filename: str) -> str:
    return f"appraisals/{instance.participant.campaign_id}/{instance.participant_id}/{timezone.now():%Y%m%d%H%M%S}{instance.extension}"


class SelfInspectionReport(models.Model):
    """A station's self-inspection report (自查自纠报告), a PDF or photo."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reports")
    file = models.FileField(upload_to=report_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=60)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("self-inspection report")
        verbose_name_plural = _("self-inspection reports")
        ordering = ["participant", "-created_at"]

    def __str__(self) -> str:
        return self.original_name


class RectificationItem(models.Model):
    """A shortcoming to put right (整改事项), with its owner unit and deadline; chased like a case."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("state", "Open")
        DONE = "done", pgettext_lazy("state", "Done")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rectifications")
    owner = models.ForeignKey(Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("what to put right"), max_length=2000)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField(_("evidence"), blank=True, max_length=2000)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["status", "deadline"], name="rectification_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "done"]),
                name="rectification_status_valid",
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(evidence=""),
                name="rectification_done_has_evidence",
                violation_error_message=_("Say what was done (the evidence) before closing the item."),
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class AppraisalEvent(models.Model):
    """The audit trail of an appraisal (评议记录): who did what, when, written by the service."""

    class Verb(models.TextChoices):
        CREATED = "created", pgettext_lazy("event", "Created")
        SETTINGS = "settings", _("Weights and thresholds changed")
        OPENED = "opened", _("Opened")
        SCORING = "scoring", _("Scoring started")
        PUBLISHED = "published", _("Published")
        STATION_ADDED = "station_added", _("Station added")
        COMMITMENT = "commitment", _("Commitment published")
        QUESTION = "question", _("Question added")
        HEARING = "hearing", _("Hearing score entered")
        REPORT = "report", _("Self-inspection report uploaded")
        SCORED = "scored", _("Scores computed")
        VETOED = "vetoed", _("Vetoed")
        RECTIFICATION = "rectification", _("Rectification item added")
        RECTIFIED = "rectified", _("Rectification done")
        REMINDED = "reminded", _("Rectification overdue reminder")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    rectification = models.ForeignKey(
        RectificationItem, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    verb = models.CharField(_("what"), max_length=16, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("appraisal event")
        verbose_name_plural = _("appraisal events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.campaign} {self.verb}"


WEIGHT_RANGE = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class CadreSheet(models.Model):
    """A unit's yearly assessment of its cadres' integrity (干部执行廉洁自律情况考核表): the parts
    the commission scores, and the residents' appraisal (民主评议) counted at its weight."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    # Seed 000: "群众评议结果作为考核干部执行廉洁自律情况的30%的分值".
    appraisal_weight = models.DecimalField(
        _("appraisal weight (%)"), max_digits=5, decimal_places=2, default=Decimal(30), validators=WEIGHT_RANGE
    )
    state = models.CharField(_("state"), max_length=5, choices=State.choices, default=State.DRAFT)
    # Every change adds one: a form sent from an older page is refused, not applied over it.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Kept when the sheet is made final, so that it reads the same ever after.
    appraisal = models.ForeignKey(
        Participant,
        verbose_name=_("appraisal result"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    appraisal_score = models.DecimalField(
        _("appraisal score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_RANGE
    )
    total = models.DecimalField(
        _("total score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_RANGE
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finalised_at = models.DateTimeField(_("final since"), null=True, blank=True)

    class Meta:
        verbose_name = _("cadre assessment sheet")
        verbose_name_plural = _("cadre assessment sheets")
        ordering = ["-year", "unit__region__code", "unit__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year"],
                name="cadresheet_once_per_unit_year",
                violation_error_message=_("This unit already has an assessment sheet for this year."),
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["draft", "final"]),
                name="cadresheet_state_valid",
                violation_error_message=_("Unknown state."),
            ),
            models.CheckConstraint(
                condition=models.Q(appraisal_weight__gte=0, appraisal_weight__lte=100),
                name="cadresheet_appraisal_weight_in_range",
                violation_error_message=_("A weight is between 0 and 100 %%."),
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(total__isnull=False, finalised_at__isnull=False),
                name="cadresheet_final_has_total",
                violation_error_message=_("A final sheet has its total."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"


class CadreSheetPart(models.Model):
    """A part the commission scores on a cadre assessment sheet (考核项目), e.g. 党风廉政责任制落实."""

    sheet = models.ForeignKey(CadreSheet, on_delete=models.CASCADE, related_name="parts")
    name = models.CharField(pgettext_lazy("cadre sheet", "part"), max_length=60)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2, validators=WEIGHT_RANGE)
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_RANGE
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("assessment part")
        verbose_name_plural = _("assessment parts")
        ordering = ["sheet", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "name"],
                name="cadresheetpart_name_once",
                violation_error_message=_("This sheet already has a part of this name."),
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0, weight__lte=100),
                name="cadresheetpart_weight_in_range",
                violation_error_message=_("A part's weight is more than 0 and at most 100 %%."),
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="cadresheetpart_score_in_range",
                violation_error_message=_("A score is between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet} · {self.name}"


class CadreSheetEvent(AppendOnly, models.Model):
    """The audit trail of a cadre assessment sheet (考核记录): who changed what, when, old → new;
    written by the services, append-only (a trigger refuses UPDATE, DELETE and TRUNCATE)."""

    append_only_label = "cadre sheet events"

    class Verb(models.TextChoices):
        CREATED = "created", _("Sheet created")
        LAYOUT = "layout", _("Parts and weights changed")
        SCORED = "scored", _("Score entered")
        FINALISED = "finalised", _("Sheet made final")

    sheet = models.ForeignKey(CadreSheet, on_delete=models.PROTECT, related_name="events")
    verb = models.CharField(_("what"), max_length=10, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    # {"old": …, "new": …}: what the change replaced and what it wrote.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("cadre sheet event")
        verbose_name_plural = _("cadre sheet events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sheet} {self.verb}"
