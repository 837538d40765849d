"""Outside systems that call the API with their own key (对接系统): a hotline system, a civic
app, the province's statistics platform. Each key acts for one county or township, holds
scopes and has its own rate limit; the key itself is never stored, only its hash
(djangorestframework-api-key)."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from petitions.models import Channel
from stations.models import Region

RATE_RE = re.compile(r"^(?P<number>[1-9]\d{0,5})/(?P<period>s|sec|second|m|min|minute|h|hour|d|day)$")


class KeyScope(models.TextChoices):
    """What a key may do (权限范围)."""

    READ_STATISTICS = "read_statistics", _("Read statistics")
    SUBMIT_CASES = "submit_cases", _("Submit cases")


# The channels a system may file cases by: what reaches it (a civic app: online; the 12388
# hotline system: hotline; a phone hotline such as 12345: phone).
SUBMIT_CHANNELS = [Channel.ONLINE, Channel.HOTLINE, Channel.PHONE]


def default_rate() -> str:
    return settings.SUQIU_INTEGRATION_DEFAULT_RATE


def validate_rate(value: str) -> None:
    """A DRF throttle rate: "<requests>/<second|minute|hour|day>", e.g. 600/hour."""
    if not RATE_RE.match(value or ""):
        raise ValidationError(
            _("Give the rate as requests per period, e.g. 600/hour (period: second, minute, hour or day)."),
            code="invalid_rate",
        )


def validate_scopes(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one scope."), code="no_scope")
    unknown = [scope for scope in value if scope not in KeyScope.values]
    if unknown:
        raise ValidationError(
            _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(map(str, unknown))}, code="unknown_scope"
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("A scope is listed twice."), code="duplicate_scope")


class IntegrationManager(APIKeyManager):
    def get_usable_keys(self) -> models.QuerySet:
        return super().get_usable_keys().select_related("region")


class Integration(AbstractAPIKey):
    """An outside system with an API key (对接系统): acts for one region's subtree, within its
    scopes and its own rate limit. Revoking a key cannot be undone: issue a new one."""

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": [Region.Level.COUNTY, Region.Level.TOWNSHIP]},
        help_text=_("The county or township the system acts for: its statistics and cases stay in this subtree."),
    )
    # A list of KeyScope values (JSON, so it works the same on SQLite and PostgreSQL).
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_scopes])
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        default=default_rate,
        validators=[validate_rate],
        help_text=_("Requests allowed per period for this key, e.g. 600/hour."),
    )
    channel = models.CharField(
        _("channel of its cases"),
        max_length=10,
        choices=[(c.value, c.label) for c in SUBMIT_CHANNELS],
        default=Channel.ONLINE,
        help_text=_("How the cases this system files reached it (online, the 12388 hotline, phone)."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = IntegrationManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=[c.value for c in SUBMIT_CHANNELS]),
                name="integration_channel_valid",
                violation_error_message=_("An integration files cases online, by the 12388 hotline or by phone."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def clean(self) -> None:
        super().clean()
        if self.region_id is not None and self.region.level not in (Region.Level.COUNTY, Region.Level.TOWNSHIP):
            raise ValidationError({"region": _("An integration acts for a county or a township.")})

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def is_usable(self) -> bool:
        return not self.revoked and not self.has_expired


class Submission(models.Model):
    """A case an integration filed (对接报送记录): which system sent which case, kept beside the
    case's own registration event (which has no staff actor)."""

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.PROTECT, related_name="submissions"
    )
    petition = models.OneToOneField(
        "petitions.Petition", verbose_name=_("petition"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration submission")
        verbose_name_plural = _("integration submissions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.integration.name} → {self.petition_id}"
