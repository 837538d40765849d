"""The statistics rollup's own tables: the daily cells, the days they cover, and the monthly
per-county marginals summed from them (`grievances.stats.rollup` writes them)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DailyStat(models.Model):
    """One cell of the daily rollup (每日统计): how many cases received on `date` (the day they
    reached a desk, `Petition.received_at`) in one village, at one level, of one category,
    channel, status, satisfaction and source, registered the same number of whole days late, as
    the status stood when the day was last rolled up. Dashboards read these instead of the case
    table."""

    date = models.DateField(_("date"))
    region_code = models.CharField(_("village code"), max_length=12)
    level = models.CharField(_("level registered at"), max_length=10)
    category = models.ForeignKey("petitions.Category", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=10)
    status = models.CharField(_("status"), max_length=12)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, blank=True)
    # Where the cases came from (`Petition.source`). The database default keeps a bulk load
    # written in SQL before the column existed (bench/generate.py) valid: those cases are own.
    source = models.CharField(_("source"), max_length=12, default="own", db_default="own")
    # Whole days from reaching a desk to being registered (`Petition.days_registered_late`);
    # NULL for a case brought in from the county's past, which no desk registered late.
    days_late = models.PositiveSmallIntegerField(
        _("days registered late"), null=True, blank=True, default=0, db_default=0
    )
    cases = models.PositiveIntegerField(_("cases"), default=0)
    answered = models.PositiveIntegerField(_("answered"), default=0)
    on_time = models.PositiveIntegerField(_("answered on time"), default=0)
    repeats = models.PositiveIntegerField(_("repeat petitions"), default=0)

    class Meta:
        verbose_name = _("daily statistic")
        verbose_name_plural = _("daily statistics")
        indexes = [models.Index(fields=["region_code", "date"], name="dailystat_region_date")]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "date",
                    "region_code",
                    "level",
                    "category",
                    "channel",
                    "status",
                    "satisfaction",
                    "source",
                    "days_late",
                ],
                name="dailystat_cell_unique",
                nulls_distinct=False,
                violation_error_message=_("This day's cell is already rolled up."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.region_code} {self.cases}"


class DailyStatDay(models.Model):
    """A day the rollup has covered (已汇总日): days without a row are counted live. Its cells
    count the cases received that day and registered before `registered_before`; the cases
    registered later for that day (a village entering its paper ledger) are counted live until
    the day is rolled again."""

    date = models.DateField(_("date"), primary_key=True)
    rolled_at = models.DateTimeField(_("rolled up at"), default=timezone.now)
    registered_before = models.DateTimeField(_("counts the cases registered before"), default=timezone.now)
    cases = models.PositiveIntegerField(_("cases"), default=0)

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")

    def __str__(self) -> str:
        return self.date.isoformat()


class MonthlyCountyStat(models.Model):
    """One marginal of the monthly rollup (月度县级统计): the cases received in one calendar
    month in one county with one value of one dimension (level, category, channel, status,
    satisfaction, source or days registered late), summed from `DailyStat`. Statistics of a city, the province or everything
    read these for the whole months the daily rollup covers: every case counts once in each
    dimension, so a county's month is a few dozen rows whatever its cases (a province's year
    is tens of thousands of rows, not hundreds of thousands of daily cells). Rebuilt from
    `DailyStat` whenever a day of the month is rolled up, in the same transaction."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    region_code = models.CharField(_("county code"), max_length=12)
    dimension = models.CharField(_("dimension"), max_length=12)
    value = models.CharField(_("value"), max_length=20, blank=True)
    cases = models.PositiveIntegerField(_("cases"), default=0)
    answered = models.PositiveIntegerField(_("answered"), default=0)
    on_time = models.PositiveIntegerField(_("answered on time"), default=0)
    repeats = models.PositiveIntegerField(_("repeat petitions"), default=0)

    class Meta:
        verbose_name = _("monthly county statistic")
        verbose_name_plural = _("monthly county statistics")
        # The unique constraint's index (month, region code, …) serves the reads.
        constraints = [
            models.UniqueConstraint(
                fields=["month", "region_code", "dimension", "value"],
                name="monthlystat_cell_unique",
                violation_error_message=_("This month's cell is already rolled up."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_code} {self.dimension}={self.value} {self.cases}"
