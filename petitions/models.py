"""The case (诉求件): petitions, their timeline, deadlines, supervision, notifications and reports against officials."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from config.audit import AppendOnly
from petitions.idnumbers import EncryptedIdNumberField
from stations.models import Unit


class DayType(models.TextChoices):
    """How a deadline counts its days (期限计算方式)."""

    CALENDAR = "calendar", _("calendar days")
    WORKING = "working", _("working days")


class Category(models.Model):
    """A kind of grievance (诉求类别), with the unit kind competent for it and its default deadlines."""

    DayType = DayType

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Stable code used by the API and integrations, e.g. infrastructure."),
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    competent_unit_kind = models.CharField(
        _("competent unit kind"),
        max_length=12,
        choices=Unit.Kind.choices,
        help_text=_("The kind of unit that handles cases of this category."),
    )
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("The reporter's identity and the accused are shown only to commission staff."),
    )
    acceptance_days = models.PositiveSmallIntegerField(
        _("days to decide acceptance"), default=15, validators=[MinValueValidator(1)]
    )
    handling_days = models.PositiveSmallIntegerField(_("days to handle"), default=60, validators=[MinValueValidator(1)])
    extension_max_days = models.PositiveSmallIntegerField(
        _("longest extension in days"), default=30, validators=[MinValueValidator(1)]
    )
    review_request_days = models.PositiveSmallIntegerField(
        _("days to ask for a review"), default=30, validators=[MinValueValidator(1)]
    )
    review_days = models.PositiveSmallIntegerField(_("days to review"), default=30, validators=[MinValueValidator(1)])
    day_type = models.CharField(_("deadlines count"), max_length=10, choices=DayType.choices, default=DayType.WORKING)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(competent_unit_kind__in=["intake", "commission", "department", "station"]),
                name="category_competent_unit_kind_valid",
                violation_error_message=_("Unknown unit kind."),
            ),
            models.CheckConstraint(
                condition=models.Q(day_type__in=["calendar", "working"]),
                name="category_day_type_valid",
                violation_error_message=_("Deadlines count either calendar days or working days."),
            ),
            models.CheckConstraint(
                condition=models.Q(acceptance_days__gte=1),
                name="category_acceptance_days_positive",
                violation_error_message=_("The days to decide acceptance must be at least 1."),
            ),
            models.CheckConstraint(
                condition=models.Q(handling_days__gte=1),
                name="category_handling_days_positive",
                violation_error_message=_("The days to handle must be at least 1."),
            ),
            models.CheckConstraint(
                condition=models.Q(extension_max_days__gte=1),
                name="category_extension_max_days_positive",
                violation_error_message=_("The longest extension must be at least 1 day."),
            ),
            models.CheckConstraint(
                condition=models.Q(review_request_days__gte=1),
                name="category_review_request_days_positive",
                violation_error_message=_("The days to ask for a review must be at least 1."),
            ),
            models.CheckConstraint(
                condition=models.Q(review_days__gte=1),
                name="category_review_days_positive",
                violation_error_message=_("The days to review must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language: Chinese for Chinese, English otherwise (Chinese if none)."""
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        if language.startswith("zh"):
            return self.name_zh
        return self.name_en or self.name_zh


class Holiday(models.Model):
    """A day in the holiday arrangement (节假日安排): a day off, or a weekend day worked in lieu (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("day off")
        WORKDAY = "workday", _("working day in lieu")

    class Source(models.TextChoices):
        LIBRARY = "library", _("holiday library")
        ADMIN = "admin", _("administrator")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, help_text=_("The holiday it belongs to, e.g. 国庆节."))
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=Source.choices,
        default=Source.ADMIN,
        help_text=_("Rows an administrator entered or changed are never overwritten by the library sync."),
    )

    class Meta:
        verbose_name = _("holiday arrangement")
        verbose_name_plural = _("holiday arrangements")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"],
                name="holiday_date_unique",
                violation_error_message=_("This date is already in the holiday arrangement."),
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "workday"]),
                name="holiday_kind_valid",
                violation_error_message=_("A day is either a day off or a working day in lieu."),
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=["library", "admin"]),
                name="holiday_source_valid",
                violation_error_message=_("Unknown source."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        super().clean()
        # Monday to Friday are working days already; only a Saturday or Sunday can be worked in lieu.
        if self.kind == self.Kind.WORKDAY and self.date is not None and self.date.weekday() < 5:
            raise ValidationError({"kind": _("Only a Saturday or a Sunday can be a working day in lieu.")})


class Channel(models.TextChoices):
    """How the grievance reached us (来源渠道)."""

    VISIT = "visit", _("visit")
    LETTER = "letter", _("letter")
    PHONE = "phone", _("phone")
    HOTLINE = "hotline", _("12388 hotline")
    ONLINE = "online", _("online")
    BOX = "box", _("complaint box")
    OUTREACH = "outreach", _("cadre outreach visit")
    REFERRAL = "referral", _("referred from above")


class Status(models.TextChoices):
    """Where the case stands (办理状态)."""

    REGISTERED = "registered", _("registered")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("not accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    REPLIED = "replied", _("replied")
    UNDER_REVIEW = "under_review", _("under review")
    CLOSED = "closed", _("closed")


class Satisfaction(models.TextChoices):
    """The resident's rating of the reply (满意度)."""

    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")
    NO_RESPONSE = "no_response", _("no response")


OPEN_STATUSES = (Status.REGISTERED, Status.ACCEPTED, Status.IN_PROGRESS, Status.UNDER_REVIEW)


class Petition(models.Model):
    """One grievance case (诉求件 / 信访件), from registration to closure."""

    # Unique by the constraint below (an exact-match index: no pattern index, nothing searches by prefix).
    tracking_number = models.CharField(_("tracking number"), max_length=20, editable=False)
    # HMAC of the query code printed on the receipt; the code itself is never stored.
    query_code_hash = models.CharField(max_length=64, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Foreign keys without an index of their own where a composite index starts with them or no
    # query filters by them alone (a deletion's PROTECT check is the only reader): every index
    # costs each registration and each escalation's non-HOT update (bench/README.md).
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    region = models.ForeignKey(
        "stations.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The village code, copied from `region`: "every case under this township" is one range.
    region_code = models.CharField(max_length=12, editable=False)
    level = models.CharField(_("level registered at"), max_length=10, editable=False)
    intake_unit = models.ForeignKey(
        Unit,
        verbose_name=_("intake unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # petition_intake starts with it
    )
    holder_unit = models.ForeignKey(
        Unit,
        verbose_name=_("holding unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The unit that must act on the case now (the lead unit once assigned)."),
        db_index=False,  # petition_holder_queue starts with it
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, db_index=False
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED)

    title = models.CharField(_("title"), max_length=120)
    content = models.TextField(_("content"), max_length=5000)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    complainant_name = models.CharField(_("complainant's name"), max_length=60, blank=True)
    complainant_phone = models.CharField(_("complainant's phone"), max_length=20, blank=True)
    # Encrypted at rest (a Fernet token); matched through its keyed digest (petitions/idnumbers.py).
    complainant_id_number = EncryptedIdNumberField(_("complainant's ID number"), max_length=18, blank=True)
    complainant_id_digest = models.CharField(max_length=64, blank=True, editable=False)

    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    acceptance_due_at = models.DateTimeField(_("acceptance due"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    due_at = models.DateTimeField(_("handling due"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("days extended"), default=0)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The deadline that matters now (acceptance, handling or review); the queue sorts on it.
    current_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    rejection_reason = models.TextField(_("reason not accepted"), blank=True)
    rejection_guidance = models.TextField(_("where to go instead"), blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    settled_on_the_spot = models.BooleanField(_("settled on the spot"), default=False)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    review_requested_at = models.DateTimeField(_("review requested at"), null=True, blank=True)
    review_reason = models.TextField(_("reason for review"), blank=True)
    review_count = models.PositiveSmallIntegerField(_("reviews"), default=0)

    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        on_delete=models.PROTECT,
        related_name="repeats",
        null=True,
        blank=True,
        db_index=False,  # petition_repeats: only the few repeats are indexed
    )
    repeat_count = models.PositiveIntegerField(_("repeat petitions"), default=0)
    level_skipping = models.BooleanField(_("level-skipping"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "status"], name="petition_region_status"),
            models.Index(fields=["holder_unit", "status", "current_due_at"], name="petition_holder_queue"),
            models.Index(fields=["intake_unit", "created_at"], name="petition_intake"),
            models.Index(fields=["status", "current_due_at"], name="petition_status_due"),
            models.Index(fields=["complainant_phone"], name="petition_phone"),
            models.Index(fields=["complainant_id_digest"], name="petition_id_digest"),
            models.Index(fields=["created_at"], name="petition_created"),
            # A region's cases of a period (the live "today" of the statistics): one range of
            # the subtree, not every county's cases of that day.
            models.Index(fields=["region_code", "created_at"], name="petition_region_created"),
            models.Index(fields=["repeat_of"], name="petition_repeats", condition=models.Q(repeat_of__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tracking_number"], name="petition_tracking_number_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in Status]),
                name="petition_status_valid",
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=[c.value for c in Channel]),
                name="petition_channel_valid",
                violation_error_message=_("Unknown channel."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.current_due_at is not None and self.current_due_at < timezone.now()


class Assignment(models.Model):
    """A unit's part in a case (承办): the lead unit (主办) or a co-handling unit (协办),
    with its own deadline and reply. Ended assignments stay: they are who held the case."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead unit")
        CO = "co", _("co-handling unit")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", db_index=False
    )  # assignment_unit_active starts with it
    role = models.CharField(_("part"), max_length=4, choices=Role.choices)
    active = models.BooleanField(_("active"), default=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["unit", "active"], name="assignment_unit_active")]
        constraints = [
            models.UniqueConstraint(
                fields=["petition"],
                condition=models.Q(role="lead", active=True),
                name="assignment_one_active_lead",
                violation_error_message=_("A case has one lead unit at a time."),
            ),
            models.UniqueConstraint(
                fields=["petition", "unit"],
                condition=models.Q(active=True),
                name="assignment_unit_once",
                violation_error_message=_("This unit already has a part in the case."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.unit} ({self.role})"


class ExtensionRequest(models.Model):
    """A request to extend the handling deadline (延期申请), approved or refused by a supervisor."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="extension_requests")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    days = models.PositiveSmallIntegerField(_("days"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["petition"],
                condition=models.Q(state="pending"),
                name="extension_one_pending",
                violation_error_message=_("An extension request is already waiting for a decision."),
            ),
            models.CheckConstraint(
                condition=models.Q(days__gte=1),
                name="extension_days_positive",
                violation_error_message=_("An extension is at least 1 day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} +{self.days} ({self.state})"


class PetitionEvent(AppendOnly, models.Model):
    """One step on a case's timeline (办理记录): append-only, never edited or deleted."""

    append_only_label = "case events"

    class Verb(models.TextChoices):
        REGISTERED = "registered", _("registered")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("not accepted")
        ASSIGNED = "assigned", _("assigned")
        TRANSFERRED = "transferred", _("transferred")
        RETURNED = "returned", _("returned")
        NOTE = "note", _("note")
        EXTENSION_REQUESTED = "extension_requested", _("extension requested")
        EXTENSION_APPROVED = "extension_approved", _("extension approved")
        EXTENSION_REFUSED = "extension_refused", _("extension refused")
        CO_REPLIED = "co_replied", _("co-handling unit replied")
        REPLIED = "replied", _("replied")
        CLOSED = "closed", _("closed")
        SETTLED = "settled", _("settled on the spot")
        RATED = "rated", _("rated")
        REVIEW_REQUESTED = "review_requested", _("review requested")
        ATTACHED = "attached", _("file attached")
        REPEAT = "repeat", _("repeat petition linked")
        REMINDED = "reminded", _("reminded")
        ESCALATED = "escalated", _("escalated")
        SUPERVISED = "supervised", _("supervision notice issued")
        NOTICE_READ = "notice_read", _("supervision notice opened")
        NOTICE_ANSWERED = "notice_answered", _("supervision notice answered")
        REVEALED = "revealed", _("reporter's identity revealed")
        DISPOSED = "disposed", _("disposition recorded")

    # event_petition_time starts with the case: no index of its own.
    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="events", db_index=False)
    verb = models.CharField(_("what"), max_length=24, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system or the resident acted."),
    )
    # Nothing looks events up by unit (a unit's record is built from the cases): no index, only
    # the PROTECT check of a unit's deletion reads them, and a unit with cases cannot go anyway.
    actor_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    from_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("shown to the resident"), default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["petition", "created_at"], name="event_petition_time")]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.verb} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A generated name: nothing the uploader chose reaches the file system."""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


class Attachment(models.Model):
    """A file that came with a case (附件): a photo or a scanned letter."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=60)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


# --- Deadlines, supervision and notifications -----------------------------------------------


class DeadlineKind(models.TextChoices):
    """Which deadline a unit missed (超期类别)."""

    ACCEPTANCE = "acceptance", _("acceptance")
    HANDLING = "handling", _("handling")
    REVIEW = "review", _("review")
    CO_HANDLING = "co_handling", _("co-handling part")
    NOTICE = "notice", _("supervision notice")


class Escalation(models.Model):
    """A case moved up one level because its deadline passed (超期上提): once per case and level."""

    class Level(models.TextChoices):
        TOWNSHIP = "township", _("township intake centre")
        COUNTY = "county", _("county intake centre")
        COMMISSION = "commission", _("commission (red supervision notice)")

    # escalation_once_per_level starts with the case: no index of its own.
    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="escalations", db_index=False)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    kind = models.CharField(_("deadline missed"), max_length=12, choices=DeadlineKind.choices)
    from_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    missed_due_at = models.DateTimeField(_("missed deadline"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "level"],
                name="escalation_once_per_level",
                violation_error_message=_("This case has already been escalated to this level."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} → {self.level}"


class DeadlineMiss(models.Model):
    """A deadline a unit let pass (超期记录): what appraisals count against the unit."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="deadline_misses", db_index=False
    )  # miss_unit_time starts with it
    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="deadline_misses")
    kind = models.CharField(_("deadline"), max_length=12, choices=DeadlineKind.choices)
    due_at = models.DateTimeField(_("was due"))
    missed_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("missed deadline")
        verbose_name_plural = _("missed deadlines")
        ordering = ["-missed_at", "-id"]
        indexes = [models.Index(fields=["unit", "missed_at"], name="miss_unit_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "petition", "kind", "due_at"],
                name="deadline_miss_once",
                violation_error_message=_("This missed deadline is already on the unit's record."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.kind} {self.petition_id}"


class SupervisionNotice(models.Model):
    """A supervision notice (督办单): issued by a supervisor (or, red, by the system past the
    county) to a unit about a case, with a deadline; the unit opens it and answers in writing."""

    class Severity(models.TextChoices):
        NORMAL = "normal", _("supervision")
        RED = "red", _("red supervision (overdue past the county)")

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="notices")
    unit = models.ForeignKey(Unit, verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="notices")
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    text = models.TextField(_("what must be done"), max_length=4000)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    issuing_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    read_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answer = models.TextField(_("explanation"), blank=True, max_length=4000)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Set once by the sweep when the deadline passed unanswered: the miss is on the record.
    missed_at = models.DateTimeField(_("recorded as unanswered"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "answered_at"], name="notice_unit_open"),
            models.Index(fields=["answered_at", "due_at"], name="notice_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=["normal", "red"]),
                name="notice_severity_valid",
                violation_error_message=_("Unknown severity."),
            ),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | ~models.Q(answer=""),
                name="notice_answer_written",
                violation_error_message=_("An answered notice needs a written explanation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} → {self.unit} ({self.severity})"

    @property
    def is_overdue(self) -> bool:
        return self.answered_at is None and self.due_at < timezone.now()


class NotificationRoute(models.Model):
    """One row of the routing table (通知路由): who hears of which event, and through which channel."""

    class Event(models.TextChoices):
        REMINDED = "reminded", _("deadline near")
        ESCALATED = "escalated", _("case escalated")
        RED_NOTICE = "red_notice", _("red supervision notice")
        NOTICE_ISSUED = "notice_issued", _("supervision notice issued")
        NOTICE_ANSWERED = "notice_answered", _("supervision notice answered")
        NOTICE_MISSED = "notice_missed", _("supervision notice unanswered")
        CO_OVERDUE = "co_overdue", _("co-handling part overdue")
        EXTENSION_WAITING = "extension_waiting", _("extension request waiting")
        CLOSED_NO_RESPONSE = "closed_no_response", _("closed without a rating")

    class Audience(models.TextChoices):
        HOLDER_UNIT_STAFF = "holder_unit_staff", _("staff of the unit concerned")
        SUPERVISORS_OF_REGION = "supervisors_of_region", _("supervisors of the region")
        INTAKE_DESK = "intake_desk", _("the intake desk")
        COMMISSION = "commission", _("the county commission")
        RESIDENT = "resident", _("the resident")

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("in the portal")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")

    event = models.CharField(_("event"), max_length=24, choices=Event.choices)
    audience = models.CharField(_("audience"), max_length=24, choices=Audience.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("notification route")
        verbose_name_plural = _("notification routes")
        ordering = ["event", "audience", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "audience", "channel"],
                name="notification_route_unique",
                violation_error_message=_("This route already exists."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.audience} ({self.channel})"


class Notification(models.Model):
    """A message to a staff member (通知), in the portal or sent by SMS or e-mail; to the
    resident (user empty) only by SMS. One row per recipient, event and channel."""

    Channel = NotificationRoute.Channel

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
        db_index=False,  # notification_inbox starts with it
    )
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("event"), max_length=24, choices=NotificationRoute.Event.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=NotificationRoute.Channel.choices)
    # What makes this occurrence of the event distinct (a deadline, a notice id): a re-run adds nothing.
    dedupe_key = models.CharField(max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "channel", "read_at"], name="notification_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "petition", "dedupe_key", "channel"],
                name="notification_once",
                violation_error_message=_("This notification was already made."),
            ),
            models.UniqueConstraint(
                fields=["kind", "petition", "dedupe_key", "channel"],
                condition=models.Q(user__isnull=True),
                name="notification_once_resident",
                violation_error_message=_("This notification was already made."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


# --- Reports against officials (涉纪涉腐) -------------------------------------------------------


class AccusedPerson(models.Model):
    """An official a report names (被反映人): shown only to the competent commission."""

    # A report names a few officials; a list of thousands is not a report but an attack on the
    # recusal check (every name is compared with the staff of every commission above).
    MAX_PER_REPORT = 20

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="accused")
    name = models.CharField(_("name"), max_length=60)
    post = models.CharField(_("post"), max_length=80, blank=True, help_text=_("E.g. village Party deputy secretary."))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The unit the official works in, when known: it decides the competent commission."),
    )

    class Meta:
        verbose_name = _("accused person")
        verbose_name_plural = _("accused persons")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.post}"


class Recusal(models.Model):
    """A unit that stands aside from a report against officials (回避): the report names its
    staff or leadership, so it sees nothing of the case: not in a list, a count, a search, a
    notification or by its id. Written at registration (`petitions.recusal.recused_units`)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="recusals")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "unit"],
                name="recusal_once_per_unit",
                violation_error_message=_("This unit already stands aside from this report."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.unit_id}"


class Disposition(models.Model):
    """A commission's disposition of a report (问题线索处置): the latest row is the current one."""

    class Kind(models.TextChoices):
        CLOSED_NO_CASE = "closed_no_case", _("closed (了结)")
        TALK_OR_INQUIRY = "talk_or_inquiry", _("talk or written inquiry (谈话函询)")
        PRELIMINARY_VERIFICATION = "preliminary_verification", _("preliminary verification (初步核实)")
        CASE_OPENED = "case_opened", _("case opened for review (立案审查)")

    class Sanction(models.TextChoices):
        WARNING = "warning", _("warning (警告)")
        SERIOUS_WARNING = "serious_warning", _("serious warning (严重警告)")
        REMOVAL_FROM_POST = "removal_from_post", _("removal from Party posts (撤销党内职务)")
        PROBATION = "probation", _("probation within the Party (留党察看)")
        EXPULSION = "expulsion", _("expulsion from the Party (开除党籍)")
        GOVERNMENT = "government", _("government sanction (政务处分)")

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="dispositions")
    unit = models.ForeignKey(Unit, verbose_name=_("commission"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("disposition"), max_length=24, choices=Kind.choices)
    sanctioned_count = models.PositiveSmallIntegerField(_("people sanctioned"), default=0)
    sanction_kind = models.CharField(_("sanction"), max_length=20, choices=Sanction.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["closed_no_case", "talk_or_inquiry", "preliminary_verification", "case_opened"]
                ),
                name="disposition_kind_valid",
                violation_error_message=_("Unknown disposition."),
            ),
            models.CheckConstraint(
                condition=models.Q(sanctioned_count=0, sanction_kind="")
                | (models.Q(sanctioned_count__gte=1) & ~models.Q(sanction_kind="")),
                name="disposition_sanction_consistent",
                violation_error_message=_("Give the kind of sanction when people were sanctioned, and only then."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.kind}"
