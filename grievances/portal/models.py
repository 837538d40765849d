"""What the resident portal keeps of its own: the private links sent by SMS."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Long enough to outlive the case: acceptance, handling, an extension, review and re-review.
TOKEN_LIFETIME = timedelta(days=400)


def token_hash(token: str) -> str:
    """The stored form of a private link's token (a plain SHA-256: the token is 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LookupToken(models.Model):
    """A private lookup link (查询链接) sent to the resident's phone: a long random token
    that opens the case like the tracking number and query code do. Only its hash is kept."""

    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("lookup link")
        verbose_name_plural = _("lookup links")
        indexes = [models.Index(fields=["petition"], name="lookup_token_petition")]

    def __str__(self) -> str:
        return f"{self.petition_id} until {self.expires_at:%Y-%m-%d}"
