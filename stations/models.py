"""The hierarchy: regions, the units in them, and the staff who hold roles in units."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from config.audit import AppendOnly
from stations import codes


class User(AbstractUser):
    """A staff member who signs in (工作人员). Residents have no account."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    def get_short_name(self) -> str:
        return self.get_full_name()


class ApiToken(AbstractAuthToken):
    """An API token (接口令牌) of a staff member: django-rest-knox keeps only its digest and
    its expiry; `two_factor` says whether it was issued against a second-factor code
    (stations.tokens)."""

    two_factor = models.BooleanField(
        _("issued with a two-factor code"),
        default=False,
        help_text=_("A token issued without a code stops working once its holder must sign in with one."),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.token_key[:8]}…"


class RegionQuerySet(models.QuerySet):
    def within(self, prefix: str) -> RegionQuerySet:
        """Every region whose code starts with `prefix` (the region itself included)."""
        low, high = codes.code_range(prefix)
        return self.filter(code__gte=low, code__lte=high)


class Region(models.Model):
    """An administrative division (行政区划): province, city, county, township or village."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county")
        TOWNSHIP = "township", _("township")
        VILLAGE = "village", _("village")

    code = models.CharField(
        _("division code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", _("A division code is exactly 12 digits."))],
        help_text=_("The 12-digit statistical division code."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=codes.LEVELS),
                name="region_level_valid",
                violation_error_message=_("Unknown region level."),
            ),
            models.CheckConstraint(
                condition=models.Q(level="province", parent__isnull=True)
                | (~models.Q(level="province") & models.Q(parent__isnull=False)),
                name="region_parent_unless_province",
                violation_error_message=_("Every region below a province needs its parent region."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """The significant part of the code: every region below this one starts with it."""
        return codes.prefix_of(self.code, self.level)

    @property
    def county_code(self) -> str | None:
        """The code of the county (the tenant) this region is in; None above county level."""
        if codes.LEVELS.index(self.level) < codes.LEVELS.index("county"):
            return None
        return codes.pad(self.code[:6])

    def subtree(self) -> RegionQuerySet:
        return Region.objects.within(self.prefix)

    def clean(self) -> None:
        super().clean()
        if not codes.is_code(self.code):
            return  # the field validator has said why
        if self.code.startswith("00"):
            raise ValidationError({"code": _("A division code cannot start with 00.")})
        expected = codes.level_of(self.code)
        if self.level and self.level != expected:
            raise ValidationError(
                {
                    "level": _("Code %(code)s is a %(expected)s code.")
                    % {"code": self.code, "expected": Region.Level(expected).label}
                }
            )
        if self.parent_id is not None and codes.parent_code(self.code) != self.parent.code:
            raise ValidationError({"parent": _("The parent region's code must be the prefix of this code.")})


class Unit(models.Model):
    """A body that receives or handles cases (单位): intake centre or station, commission,
    department or service station, in one region."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("intake centre / station")
        COMMISSION = "commission", _("discipline commission")
        DEPARTMENT = "department", _("department")
        STATION = "station", _("service station")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["region__code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"],
                name="unit_name_unique_in_region",
                violation_error_message=_("A unit with this name already exists in this region."),
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["intake", "commission", "department", "station"]),
                name="unit_kind_valid",
                violation_error_message=_("Unknown unit kind."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A role a staff member holds in a unit (岗位). One person may hold several."""

    class Role(models.TextChoices):
        CLERK = "clerk", _("Clerk")
        HANDLER = "handler", _("Handler")
        SUPERVISOR = "supervisor", _("Supervisor")
        LEADER = "leader", _("Leader")
        OBSERVER = "observer", _("Invited observer")
        ADMIN = "admin", _("Administrator")

    user = models.ForeignKey(User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("role in a unit")
        verbose_name_plural = _("roles in units")
        ordering = ["unit__region__code", "unit__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"],
                name="membership_unique",
                violation_error_message=_("This person already holds this role in this unit."),
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["clerk", "handler", "supervisor", "leader", "observer", "admin"]),
                name="membership_role_valid",
                violation_error_message=_("Unknown role."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class MembershipEvent(AppendOnly, models.Model):
    """A role given or taken away (角色变更记录): by whom, to whom, in which unit; written by
    stations.services, append-only."""

    append_only_label = "role changes"

    class Verb(models.TextChoices):
        GRANTED = "granted", _("Granted")
        REVOKED = "revoked", _("Revoked")

    actor = models.ForeignKey(
        User,
        verbose_name=_("by whom"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a command or the demo acted."),
    )
    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="membership_events"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=12, choices=Membership.Role.choices)
    verb = models.CharField(_("what"), max_length=8, choices=Verb.choices)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()} · {self.get_verb_display()}"


class ReceptionSlot(models.Model):
    """A standing reception arrangement (接访安排): which leader or duty officer receives
    residents, where and when — a leaders' reception day (领导接访日), the daily duty roster
    (值班), or the market days (赶集日) when cadres receive at the market town."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("On these days of every month")
        MARKET = "market", _("On market days (dates ending in these digits)")
        WORKING_DAYS = "working_days", _("Every working day")

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="reception_slots",
        help_text=_("The county or township whose residents are received."),
    )
    who = models.CharField(
        _("who receives"), max_length=120, help_text=_("A role, e.g. 县纪委领导班子成员; no personal phone numbers.")
    )
    place = models.CharField(_("where"), max_length=200)
    frequency = models.CharField(_("when"), max_length=12, choices=Frequency.choices)
    days = models.CharField(
        _("days"),
        max_length=40,
        blank=True,
        validators=[RegexValidator(r"^\d{1,2}(,\d{1,2})*$", _("Days as numbers separated by commas, e.g. 2,5,8."))],
        help_text=_("Days of the month (e.g. 15), or the last digits of market days (e.g. 2,5,8)."),
    )
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("shown to residents"), default=True)

    class Meta:
        verbose_name = _("reception arrangement")
        verbose_name_plural = _("reception schedule")
        ordering = ["region__code", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(frequency__in=["monthly", "market", "working_days"]),
                name="reception_frequency_valid",
                violation_error_message=_("Unknown frequency."),
            ),
            models.CheckConstraint(
                condition=models.Q(frequency="working_days") | ~models.Q(days=""),
                name="reception_days_given",
                violation_error_message=_("Say on which days."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} · {self.who} · {self.when}"

    @property
    def day_list(self) -> list[int]:
        return [int(day) for day in self.days.split(",") if day]

    @property
    def when(self) -> str:
        """The days in words, e.g. 每月15日 / 逢2、5、8日 (赶集日)."""
        days = "、".join(str(day) for day in self.day_list)
        if self.frequency == self.Frequency.MONTHLY:
            return _("day %(days)s of every month") % {"days": days}
        if self.frequency == self.Frequency.MARKET:
            return _("market days (dates ending in %(days)s)") % {"days": days}
        return str(_("every working day"))

    def clean(self) -> None:
        super().clean()
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("The reception ends after it starts.")})
        if self.frequency == self.Frequency.WORKING_DAYS or not self.days:
            return
        try:
            days = self.day_list
        except ValueError:
            return  # the field validator has said why
        low, top = (1, 31) if self.frequency == self.Frequency.MONTHLY else (0, 9)
        if any(day < low or day > top for day in days):
            raise ValidationError(
                {"days": _("Each day must be between %(low)d and %(top)d.") % {"low": low, "top": top}}
            )
