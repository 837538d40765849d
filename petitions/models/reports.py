"""Reports against officials (涉纪涉腐): the accused, the units that stand aside, the disposition."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.models.case import Petition
from stations.models import Unit


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
    """A commission's disposition of a report (问题线索处置): the latest row is the current one.
    With `outcomes`, each person the report names has their own (`PersonOutcome`); the row's
    kind, count and sanction then sum them up (`summing_up`)."""

    class Kind(models.TextChoices):
        # In order of weight: a case's kind sums its people's up as the weightiest of them.
        CLOSED_NO_CASE = "closed_no_case", _("Closed, no case opened")
        TALK_REMINDER = "talk_reminder", _("Reminding talk")
        WRITTEN_INQUIRY = "written_inquiry", _("Written inquiry")
        TALK_OR_INQUIRY = "talk_or_inquiry", _("Talk or written inquiry")
        PRELIMINARY_VERIFICATION = "preliminary_verification", _("Preliminary verification")
        CASE_OPENED = "case_opened", _("Case opened for review")
        TRANSFERRED_TO_JUDICIARY = "transferred_to_judiciary", _("Transferred to the judiciary")

    class Sanction(models.TextChoices):
        WARNING = "warning", _("Warning")
        SERIOUS_WARNING = "serious_warning", _("Serious warning")
        REMOVAL_FROM_POST = "removal_from_post", _("Removal from Party posts")
        PROBATION = "probation", _("Probation within the Party")
        EXPULSION = "expulsion", _("Expulsion from the Party")
        GOVERNMENT = "government", _("Government sanction")

    # A report is still being handled (正在办理) while a person's latest outcome is one of
    # these: preliminary verification is a step, not an end. Every other outcome disposes.
    STILL_HANDLING = frozenset({Kind.PRELIMINARY_VERIFICATION})
    # A sanction follows a review: only these outcomes may carry one.
    MAY_SANCTION = frozenset({Kind.CASE_OPENED, Kind.TRANSFERRED_TO_JUDICIARY})

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
                    kind__in=[
                        "closed_no_case",
                        "talk_reminder",
                        "written_inquiry",
                        "talk_or_inquiry",
                        "preliminary_verification",
                        "case_opened",
                        "transferred_to_judiciary",
                    ]
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


class PersonOutcome(models.Model):
    """One accused person's outcome in a disposition (每人一个处置结果): how their part of the
    report was disposed of, and their sanction if any. A person's latest outcome is theirs."""

    disposition = models.ForeignKey(Disposition, on_delete=models.PROTECT, related_name="outcomes")
    accused = models.ForeignKey(
        AccusedPerson, verbose_name=_("accused person"), on_delete=models.PROTECT, related_name="outcomes"
    )
    outcome = models.CharField(_("disposition"), max_length=24, choices=Disposition.Kind.choices)
    sanction = models.CharField(_("sanction"), max_length=20, choices=Disposition.Sanction.choices, blank=True)

    class Meta:
        verbose_name = _("person's outcome")
        verbose_name_plural = _("persons' outcomes")
        ordering = ["disposition_id", "accused_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["disposition", "accused"],
                name="outcome_once_per_person",
                violation_error_message=_("Each person gets one outcome in a disposition."),
            ),
            models.CheckConstraint(
                condition=models.Q(sanction="") | models.Q(outcome__in=["case_opened", "transferred_to_judiciary"]),
                name="outcome_sanction_after_review",
                violation_error_message=_(
                    "A sanction follows a case opened for review or a transfer to the judiciary."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disposition_id} {self.accused_id} {self.outcome}"
