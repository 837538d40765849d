"""Reference data of cases: categories and their deadlines, their common phrases, the holiday calendar."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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


class CommonPhrase(models.Model):
    """A phrase a desk often writes for a category (常用语), e.g. 村道坑洼、积水: one click on the
    walk-in form fills the title and the account with it, and the clerk adds the detail.
    Edited by an administrator."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="phrases", verbose_name=_("category"))
    text_zh = models.CharField(_("phrase (Chinese)"), max_length=120)
    text_en = models.CharField(_("phrase (English)"), max_length=120, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("common phrase")
        verbose_name_plural = _("common phrases")
        ordering = ["category__sort_order", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The phrase in the active language, as `Category.name`."""
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        if language.startswith("zh"):
            return self.text_zh
        return self.text_en or self.text_zh


class Holiday(models.Model):
    """A day in the holiday arrangement (节假日安排): a day off, or a weekend day worked in lieu (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off")
        WORKDAY = "workday", _("Working day in lieu")

    class Source(models.TextChoices):
        LIBRARY = "library", _("Holiday library")
        ADMIN = "admin", _("Administrator")

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
