"""The hotspots' tables (热点分析): the clusters of similar grievances the nightly job finds and
the cases in each (`grievances.stats.hotspots` writes them, docs/statistics.md "Hotspots")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Hotspot(models.Model):
    """A hotspot (热点): grievances of one township (or one village) and category, received in
    the trailing window, whose wording is alike. It keeps its id from one night to the next
    while its cases overlap, so its link, its notices and whether its leaders were told last."""

    # The village when every case of it is in one village, else the township.
    region_code = models.CharField(_("place"), max_length=12)
    township_code = models.CharField(_("township"), max_length=12)
    category = models.ForeignKey("petitions.Category", on_delete=models.PROTECT, related_name="+")
    # The words at least half of its cases use (never a word one resident alone used).
    keywords = models.CharField(_("keywords"), max_length=120, blank=True)
    size = models.PositiveIntegerField(_("cases"), default=0)
    first_received_at = models.DateTimeField(_("first received"))
    last_received_at = models.DateTimeField(_("last received"))
    created_at = models.DateTimeField(_("found at"), default=timezone.now)
    refreshed_at = models.DateTimeField(_("refreshed at"), default=timezone.now)
    # False once its cases no longer form a cluster (they aged out of the window, or split).
    active = models.BooleanField(_("active"), default=True)
    # When the township's leaders were told it had grown past SUQIU_HOTSPOT_ALERT_CASES: once.
    alerted_at = models.DateTimeField(_("leaders told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")
        indexes = [models.Index(fields=["township_code", "category"], name="hotspot_place")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.category_id} ({self.size})"


class HotspotCase(models.Model):
    """One case of a hotspot, and the supervision notice (督办单) sent about it through the
    hotspot, if one was."""

    hotspot = models.ForeignKey(Hotspot, on_delete=models.CASCADE, related_name="members", db_index=False)
    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="+")
    # Copied from the case: a period's members are one range of this index.
    received_at = models.DateTimeField(_("received at"))
    notice = models.ForeignKey(
        "petitions.SupervisionNotice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("case of a hotspot")
        verbose_name_plural = _("cases of hotspots")
        constraints = [
            models.UniqueConstraint(
                fields=["hotspot", "petition"],
                name="hotspot_case_once",
                violation_error_message=_("This case is already in the hotspot."),
            )
        ]
        indexes = [models.Index(fields=["received_at"], name="hotspot_case_received")]

    def __str__(self) -> str:
        return f"{self.hotspot_id} {self.petition_id}"
