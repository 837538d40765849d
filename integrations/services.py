"""Every write of the integrations app: issuing and revoking keys, and a case filed through
the Open311 adapter.

A case filed by an integration is registered by `petitions.services.petition_register` with
no staff actor, exactly like a resident's online submission (`grievances.portal.services`), so it
lands in the township intake centre's queue at once; the `Submission` row written in the
same transaction says which system sent it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from integrations.models import Integration, KeyScope, Submission
from petitions.models import Category
from petitions.services import Registration, petition_register
from stations import codes
from stations.models import Region

TITLE_LENGTH = 40
_CJK_RE = re.compile(r"[\u3400-\u9fff]")

# Our field names → the GeoReport v2 parameters they come from (for the error messages).
OPEN311_FIELDS = {
    "category": "service_code",
    "region": "attribute[village]",
    "title": "description",
    "content": "description",
    "complainant_name": "first_name",
    "complainant_phone": "phone",
    "attachments": "media_url",
    "received_at": "attribute[received_at]",
    "late_reason": "attribute[late_reason]",
}


def integration_create(
    *,
    name: str,
    region: Region | None,
    scopes: list[str],
    rate: str | None = None,
    channel: str | None = None,
    expiry_date: datetime | None = None,
) -> tuple[Integration, str]:
    """Issue a key to an outside system. Returns the integration and the key, which is shown
    this once: only its hash is kept."""
    integration = Integration(name=(name or "").strip(), region=region, scopes=list(scopes), expiry_date=expiry_date)
    if rate:
        integration.rate = rate.strip()
    if channel:
        integration.channel = channel
    key = Integration.objects.assign_key(integration)
    integration.full_clean()
    integration.save(force_insert=True)
    return integration, key


def integration_revoke(*, integration_id: str) -> Integration:
    """Revoke a key for good (the library refuses to un-revoke it)."""
    with transaction.atomic():
        integration = Integration.objects.select_for_update().get(pk=integration_id)
        if not integration.revoked:
            integration.revoked = True
            integration.save(update_fields=["revoked"])
    return integration


@dataclass(frozen=True)
class Open311Request:
    """What a GeoReport v2 POST asks for, parsed but not yet checked against our rules."""

    service_code: str
    village_code: str
    description: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    address_string: str = ""
    lat: float | None = None
    long: float | None = None
    # When the hotline or app took the call (its own record), and why it comes late if long ago.
    received_at: datetime | None = None
    late_reason: str = ""


def _full_name(first_name: str, last_name: str) -> str:
    first, last = first_name.strip(), last_name.strip()
    if _CJK_RE.search(first + last):
        return f"{last}{first}"  # 张 + 三 → 张三: the family name comes first, no space
    return " ".join(part for part in (first, last) if part)


def _content(request: Open311Request) -> str:
    """The resident's words, with the place the app located (the case has no map fields)."""
    place = request.address_string.strip()
    if request.lat is not None and request.long is not None:
        point = f"{request.lat:.6f}, {request.long:.6f}"
        place = f"{place} ({point})" if place else point
    content = request.description.strip()
    if content and place:
        given = _("Location given by the reporting system")
        content = f"{content}\n\n{given}: {place}"
    return content


def _title(description: str) -> str:
    line = next((line.strip() for line in description.strip().splitlines() if line.strip()), "")
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


def _open311_errors(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    mapped: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items():
        mapped.setdefault(OPEN311_FIELDS.get(field, field), []).extend(messages)
    return ValidationError({field: list(dict.fromkeys(messages)) for field, messages in mapped.items()})


@transaction.atomic
def open311_submit(*, integration: Integration, request: Open311Request) -> Registration:
    """File a case from a GeoReport v2 POST (channel: the integration's). The village must lie
    in the key's region. Bad input raises a ValidationError keyed by the GeoReport parameter,
    and nothing is saved."""
    if not integration.is_usable or not integration.has_scope(KeyScope.SUBMIT_CASES):
        raise ValidationError({"api_key": _("This API key may not submit cases.")})
    errors: dict[str, list[str]] = {}
    category = Category.objects.filter(code=request.service_code, is_active=True).first()
    if category is None:
        errors["service_code"] = [_("No such service: see services.json for the service codes.")]
    village = None
    if not request.village_code:
        errors["attribute[village]"] = [_("Give the 12-digit code of the village where it happened.")]
    else:
        village = Region.objects.select_related("parent").filter(code=request.village_code).first()
        if (
            village is None
            or village.level != Region.Level.VILLAGE
            or not village.code.startswith(integration.region.prefix)
        ):
            errors["attribute[village]"] = [
                _("%(code)s is not the code of a village in %(region)s.")
                % {"code": request.village_code, "region": integration.region.name}
            ]
    if not request.description.strip():
        errors["description"] = [_("Describe the matter.")]
    if errors:
        raise ValidationError(errors)
    name = _full_name(request.first_name, request.last_name)
    try:
        registration = petition_register(
            actor=None,
            channel=integration.channel,
            category=category,
            region=village,
            title=_title(request.description),
            content=_content(request),
            anonymous=not name,
            complainant_name=name,
            complainant_phone=request.phone.strip(),
            public_county_code=codes.pad(village.code[: codes.PREFIX_LENGTH["county"]]),
            received_at=request.received_at,
            late_reason=request.late_reason,
        )
    except ValidationError as error:
        raise _open311_errors(error) from None
    Submission.objects.create(integration=integration, petition=registration.petition)
    return registration
