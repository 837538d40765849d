"""The statistics rollup's own tables: the daily cells, the days they cover, and the monthly
per-county marginals summed from them (`grievances.stats.rollup` writes them)."""

from __future__ import annotations

from decimal import Decimal

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


class UnitMonthlyStat(models.Model):
    """One unit's month in the unit assessment's rollup (单位考核月度统计): the counts that its
    rates are made of, for the cases received in the month and the deadlines that fell due in
    it (`grievances.stats.units`, docs/statistics.md "Unit assessment"). Rebuilt whole for a
    month by the nightly rollup; reports against officials are never counted here."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    unit = models.ForeignKey("stations.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    # The unit's region code, copied: "every unit under this county" is one range of the index.
    region_code = models.CharField(_("region code"), max_length=12)
    received = models.PositiveIntegerField(_("received"), default=0)
    to_decide = models.PositiveIntegerField(_("acceptance decisions due"), default=0)
    decided_on_time = models.PositiveIntegerField(_("decided in time"), default=0)
    to_resolve = models.PositiveIntegerField(_("cases due to be closed"), default=0)
    resolved_on_time = models.PositiveIntegerField(_("closed in time"), default=0)
    answered = models.PositiveIntegerField(_("answered"), default=0)
    on_time = models.PositiveIntegerField(_("answered on time"), default=0)
    rated = models.PositiveIntegerField(_("rated"), default=0)
    satisfied = models.PositiveIntegerField(_("satisfied or basically satisfied"), default=0)
    no_response = models.PositiveIntegerField(_("no response"), default=0)
    repeats = models.PositiveIntegerField(_("repeat petitions"), default=0)
    misses = models.PositiveIntegerField(_("deadlines missed"), default=0)
    notices_unanswered = models.PositiveIntegerField(_("supervision notices unanswered"), default=0)
    referrals_late = models.PositiveIntegerField(_("referrals reported late"), default=0)

    class Meta:
        verbose_name = _("unit monthly statistic")
        verbose_name_plural = _("unit monthly statistics")
        indexes = [models.Index(fields=["month", "region_code"], name="unitstat_month_region")]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit"],
                name="unitstat_once",
                violation_error_message=_("This unit's month is already rolled up."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.received}"


class UnitStatMonth(models.Model):
    """A month the unit assessment's rollup has covered (已汇总月): its rows count the cases
    registered before `registered_before`; the cases registered for it since, and every month
    without a row (the current one), are counted live."""

    month = models.DateField(_("month"), primary_key=True)
    rolled_at = models.DateTimeField(_("rolled up at"), default=timezone.now)
    registered_before = models.DateTimeField(_("counts the cases registered before"), default=timezone.now)

    class Meta:
        verbose_name = _("rolled-up month of the unit assessment")
        verbose_name_plural = _("rolled-up months of the unit assessment")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class AssessmentWeights(models.Model):
    """The weights of the unit assessment's composite score (单位考核权重), set by an
    administrator: one row (`AssessmentWeights.current`)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    weight_response = models.PositiveSmallIntegerField(_("response rate weight (%)"), default=20)
    weight_resolution = models.PositiveSmallIntegerField(_("resolution rate weight (%)"), default=25)
    weight_on_time = models.PositiveSmallIntegerField(_("on-time rate weight (%)"), default=25)
    weight_satisfaction = models.PositiveSmallIntegerField(_("satisfaction rate weight (%)"), default=30)
    penalty_miss = models.DecimalField(
        _("points off per deadline missed"), max_digits=4, decimal_places=2, default=Decimal("0.5")
    )
    penalty_notice = models.DecimalField(
        _("points off per supervision notice unanswered"), max_digits=4, decimal_places=2, default=Decimal("1")
    )
    penalty_referral = models.DecimalField(
        _("points off per referral reported late"), max_digits=4, decimal_places=2, default=Decimal("1")
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("unit assessment weights")
        verbose_name_plural = _("unit assessment weights")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=1), name="assessment_weights_one_row", violation_error_message=_("One row only.")
            ),
            models.CheckConstraint(
                condition=models.Q(
                    weight_response=100
                    - models.F("weight_resolution")
                    - models.F("weight_on_time")
                    - models.F("weight_satisfaction")
                ),
                name="assessment_weights_sum_100",
                violation_error_message=_(
                    "The weights of response, resolution, on-time and satisfaction rates must add up to 100 %%."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(penalty_miss__gte=0, penalty_miss__lte=10)
                & models.Q(penalty_notice__gte=0, penalty_notice__lte=10)
                & models.Q(penalty_referral__gte=0, penalty_referral__lte=10),
                name="assessment_penalties_0_10",
                violation_error_message=_("Points off must lie between 0 and 10."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("unit assessment weights"))

    @classmethod
    def current(cls) -> AssessmentWeights:
        """The weights in force: the row an administrator set, or the defaults (not saved)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)
