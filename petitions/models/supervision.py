"""Deadlines missed, escalations, supervision notices (督办) and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.models.case import Petition
from stations.models import Unit


class DeadlineKind(models.TextChoices):
    """Which deadline a unit missed (超期类别)."""

    ACCEPTANCE = "acceptance", _("acceptance")
    HANDLING = "handling", _("handling")
    REVIEW = "review", _("review")
    CO_HANDLING = "co_handling", _("co-handling part")
    NOTICE = "notice", _("supervision notice")
    REFERRAL = "referral", _("report on a referral")


class Escalation(models.Model):
    """A case moved up one level because its deadline passed (超期上提): once per case and level."""

    class Level(models.TextChoices):
        TOWNSHIP = "township", _("Township intake centre")
        COUNTY = "county", _("County intake centre")
        COMMISSION = "commission", _("Commission (red supervision notice)")

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
        NORMAL = "normal", _("Supervision")
        RED = "red", _("Red supervision (overdue past the county)")

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
        REMINDED = "reminded", _("Deadline near")
        ESCALATED = "escalated", _("Case escalated")
        RED_NOTICE = "red_notice", _("Red supervision notice")
        NOTICE_ISSUED = "notice_issued", _("Supervision notice issued")
        NOTICE_ANSWERED = "notice_answered", _("Supervision notice answered")
        NOTICE_MISSED = "notice_missed", _("Supervision notice unanswered")
        CO_OVERDUE = "co_overdue", _("Co-handling part overdue")
        EXTENSION_WAITING = "extension_waiting", _("Extension request waiting")
        CLOSED_NO_RESPONSE = "closed_no_response", _("Closed without a rating")

    class Audience(models.TextChoices):
        HOLDER_UNIT_STAFF = "holder_unit_staff", _("Staff of the unit concerned")
        SUPERVISORS_OF_REGION = "supervisors_of_region", _("Supervisors of the region")
        INTAKE_DESK = "intake_desk", _("The intake desk")
        COMMISSION = "commission", _("The county commission")
        RESIDENT = "resident", _("The resident")

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the portal")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

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


# What a notification may be about: the routing table's events, and a hotspot grown past its
# threshold, which goes to the township's leaders straight (grievances.stats.hotspot_actions), its
# case being the hotspot's first.
NOTIFICATION_KINDS = [*NotificationRoute.Event.choices, ("hotspot", _("hotspot of similar grievances"))]


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
    kind = models.CharField(_("event"), max_length=24, choices=NOTIFICATION_KINDS)
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
