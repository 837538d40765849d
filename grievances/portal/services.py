"""Every write the resident portal makes: the online submission and its private link.

The case itself is written by `petitions.services` (the same `petition_register` the
village desk uses, with `actor=None`), so an online case lands in the township centre's
queue at once, like a walk-in.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from grievances.portal.models import TOKEN_LIFETIME, LookupToken, token_hash
from petitions.models import Category, Channel, Petition
from petitions.services import Registration, petition_register
from stations.models import Region


def lookup_token_issue(*, petition: Petition) -> str:
    """Create a private lookup link for the case and return its token (shown or sent once)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    LookupToken.objects.create(
        petition=petition, token_hash=token_hash(token), created_at=now, expires_at=now + TOKEN_LIFETIME
    )
    return token


@dataclass(frozen=True)
class OnlineSubmission:
    """A case submitted online, its query code and (when a phone was given) its private link token."""

    registration: Registration
    token: str | None

    @property
    def petition(self) -> Petition:
        return self.registration.petition


@transaction.atomic
def public_petition_submit(
    *,
    county: Region | None,
    category: Category | None,
    region: Region | None,
    title: str,
    content: str,
    anonymous: bool,
    complainant_name: str = "",
    complainant_phone: str = "",
    attachments: Sequence[UploadedFile] = (),
) -> OnlineSubmission:
    """A resident's own submission (网上诉求): registered through the staff intake service
    with no actor, scoped to the portal's county; a phone number gets a private link."""
    registration = petition_register(
        actor=None,
        channel=Channel.ONLINE,
        category=category,
        region=region,
        title=title,
        content=content,
        anonymous=anonymous,
        complainant_name=complainant_name,
        complainant_phone=complainant_phone,
        attachments=attachments,
        public_county_code=county.code if county is not None else None,
    )
    token = lookup_token_issue(petition=registration.petition) if registration.petition.complainant_phone else None
    return OnlineSubmission(registration=registration, token=token)
