"""The case (诉求件): its channels and states, its lead and co-handling units, extension requests, the timeline and the files."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.audit import AppendOnly
from petitions.idnumbers import EncryptedIdNumberField
from petitions.models.reference import Category
from stations.models import Unit


class Channel(models.TextChoices):
    """How the grievance reached us (来源渠道)."""

    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone")
    HOTLINE = "hotline", _("12388 hotline")
    ONLINE = "online", _("Online")
    BOX = "box", _("Complaint box")
    OUTREACH = "outreach", _("Cadre outreach visit")
    REFERRAL = "referral", _("Referred from above")


class Source(models.TextChoices):
    """Where a case came from, as the county counts it (来源): taken in by the county's own
    desks, handed down by the city or the province, or passed up from below (上报)."""

    OWN = "own", _("Own intake")
    CITY = "city", _("Handed down by the city")
    PROVINCE = "province", _("Handed down by the province")
    REFERRED_UP = "referred_up", _("Referred up from below")


class Status(models.TextChoices):
    """Where the case stands (办理状态)."""

    REGISTERED = "registered", _("Registered")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Not accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied")
    UNDER_REVIEW = "under_review", _("Under review")
    CLOSED = "closed", _("Closed")


class Satisfaction(models.TextChoices):
    """The resident's rating of the reply (满意度)."""

    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")
    # Closed because the resident did not rate the reply in time (逾期未评价): another row than
    # the cases not rated yet (未评价) in every statistic.
    NO_RESPONSE = "no_response", _("Not rated in time")


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
    # When the grievance reached a desk (a paper ledger, an offline desk, a hotline's record):
    # the acceptance deadline and the statistics by day and month count from it.
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    late_reason = models.TextField(_("why registered late"), blank=True, max_length=1000)
    # Brought in from the county's past (a year of the old platform or paper ledgers): never
    # notified, never escalated for a deadline that passed before this moment.
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True, editable=False)
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
    # Set by a hand-down from above the county or a refer-up (services/referrals.py).
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.OWN)
    # The registering client's own id for the case (an offline desk, a hotline system, a form
    # sent twice): the same reference again from the same desk is the same case.
    client_ref = models.CharField(_("client reference"), max_length=64, blank=True, editable=False)
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
            # The cases registered since a moment: those the statistics count live for a day
            # already rolled up, and the nightly rollup's search for the days that gained them.
            models.Index(fields=["created_at"], name="petition_created"),
            # The statistics count by the day a case was received: the days not rolled up yet.
            models.Index(fields=["received_at"], name="petition_received"),
            # A region's cases of a period (the live "today" of the statistics): one range of
            # the subtree, not every county's cases of that day.
            models.Index(fields=["region_code", "received_at"], name="petition_region_received"),
            models.Index(fields=["repeat_of"], name="petition_repeats", condition=models.Q(repeat_of__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tracking_number"], name="petition_tracking_number_unique"),
            models.UniqueConstraint(
                fields=["intake_unit", "client_ref"],
                condition=~models.Q(client_ref=""),
                name="petition_client_ref_once",
                violation_error_message=_("This desk has already registered a case with this client reference."),
            ),
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
    def days_registered_late(self) -> int:
        """Whole days between reaching a desk and being registered (0: the same day)."""
        return max((self.created_at - self.received_at).days, 0)

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
        LEAD = "lead", _("Lead unit")
        CO = "co", _("Co-handling unit")

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
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

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
        REGISTERED = "registered", _("Registered")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Not accepted")
        ASSIGNED = "assigned", _("Assigned")
        TRANSFERRED = "transferred", _("Transferred")
        RETURNED = "returned", _("Returned")
        NOTE = "note", _("Note")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        EXTENSION_APPROVED = "extension_approved", _("Extension approved")
        EXTENSION_REFUSED = "extension_refused", _("Extension refused")
        CO_REPLIED = "co_replied", _("Co-handling unit replied")
        REPLIED = "replied", _("Replied")
        CLOSED = "closed", _("Closed")
        SETTLED = "settled", _("Settled on the spot")
        RATED = "rated", _("Rated")
        REVIEW_REQUESTED = "review_requested", _("Review requested")
        ATTACHED = "attached", _("File attached")
        REPEAT = "repeat", _("Repeat petition linked")
        REMINDED = "reminded", _("Reminded")
        ESCALATED = "escalated", _("Escalated")
        SUPERVISED = "supervised", _("Supervision notice issued")
        NOTICE_READ = "notice_read", _("Supervision notice opened")
        NOTICE_ANSWERED = "notice_answered", _("Supervision notice answered")
        REVEALED = "revealed", _("Reporter's identity revealed")
        DISPOSED = "disposed", _("Disposition recorded")
        HANDED_DOWN = "handed_down", _("Handed down")
        REFERRED_UP = "referred_up", _("Referred up")
        REFERRAL_REPORTED = "referral_reported", _("Result reported")
        REFERRAL_ACCEPTED = "referral_accepted", _("Report accepted as done")
        REFERRAL_RETURNED = "referral_returned", _("Returned for re-handling")
        IMPORTED = "imported", _("Imported from the county's past records")

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
