"""Five-level linkage (五级联动): a case handed down (交办单) from a body above to one below,
which reports the result back (报结) for the body above to accept (认定办结) or return (退回重办).

The referral row holds where the hand-down stands; its history (the hand-down with its
instructions, each report, each decision with its reason, the reminders and the red notice)
is on the case's append-only timeline, each event naming the referral (`data["referral"]`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from petitions.models.case import Petition
from stations.models import Unit


class Referral(models.Model):
    """A case handed down (交办单): from the unit that held it to a unit below, with
    instructions and the date by which the result must be reported. A case handed down again
    (city → county → township) has one referral per level, each naming the one above
    (`parent`); each level reports to the one that handed it down."""

    class Status(models.TextChoices):
        AWAITING_REPORT = "awaiting_report", _("Awaiting the report")
        REPORTED = "reported", _("Reported, awaiting a decision")
        RETURNED = "returned", _("Returned for re-handling")
        ACCEPTED = "accepted", pgettext_lazy("referral status", "Accepted as done")

    # The statuses in which the unit below owes a report (the chase runs on them).
    OWING = (Status.AWAITING_REPORT, Status.RETURNED)

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="referrals")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", db_index=False
    )
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("handed down by"), on_delete=models.PROTECT, related_name="+", db_index=False
    )  # referral_sent starts with it
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("handed down to"), on_delete=models.PROTECT, related_name="+", db_index=False
    )  # referral_received starts with it
    instructions = models.TextField(_("instructions"), max_length=4000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.AWAITING_REPORT)
    report_due_at = models.DateTimeField(_("report due"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("handed down at"), default=timezone.now)
    report_text = models.TextField(_("report"), max_length=5000, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decision_note = models.TextField(_("reason"), max_length=4000, blank=True)
    returns = models.PositiveSmallIntegerField(_("times returned"), default=0)
    # Two people deciding one referral at once: the second finds the version moved (409).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["from_unit", "status"], name="referral_sent"),
            models.Index(fields=["to_unit", "status"], name="referral_received"),
            models.Index(fields=["status", "report_due_at"], name="referral_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["awaiting_report", "reported", "returned", "accepted"]),
                name="referral_status_valid",
                violation_error_message=_("Unknown referral status."),
            ),
            models.CheckConstraint(
                condition=~models.Q(from_unit=models.F("to_unit")),
                name="referral_between_two_units",
                violation_error_message=_("A unit cannot hand a case down to itself."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["awaiting_report", "returned"]) | ~models.Q(report_text=""),
                name="referral_report_written",
                violation_error_message=_("A reported referral needs the report's text."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.from_unit_id}→{self.to_unit_id} ({self.status})"

    @property
    def owes_report(self) -> bool:
        return self.status in self.OWING

    @property
    def is_overdue(self) -> bool:
        return self.owes_report and self.report_due_at < timezone.now()
