"""Reports against officials (涉纪涉腐): revealing who reported (recorded), dispositions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import NotPermitted
from petitions.models import (
    Disposition,
    Petition,
    PetitionEvent,
)
from petitions.selectors import (
    confidential_visible,
)
from petitions.services._common import _acting_unit, _event, _locked, _require, _require_text, _save
from stations.models import User

Verb = PetitionEvent.Verb

# --- Reports against officials (涉纪涉腐) ------------------------------------------------------


@transaction.atomic
def petition_reveal(*, petition_id: int, actor: User, reason: str) -> PetitionEvent:
    """Reveal a confidential report's identities (查看举报人身份) to one authorised person, for
    one request. Every reveal is on the record: who, when and why (an internal event).
    The case row is not changed, so it is not locked."""
    try:
        petition = Petition.objects.select_related("category").get(pk=petition_id)
    except Petition.DoesNotExist:
        raise NotPermitted(_("You may not take this action on this case.")) from None
    if not petition.category.confidential or not confidential_visible(actor, petition):
        raise NotPermitted(_("Only the competent commission may see who made this report."))
    reason = _require_text(reason, "reason", _("Say why you need to see who made the report."))
    return _event(
        petition,
        Verb.REVEALED,
        actor,
        actor_unit=_acting_unit(actor, petition.holder_unit),
        note=reason,
        data={"fields": ["complainant_name", "complainant_phone", "complainant_id_number", "accused"]},
    )


@transaction.atomic
def petition_dispose(
    *,
    petition_id: int,
    actor: User,
    kind: str,
    sanctioned_count: int = 0,
    sanction_kind: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Disposition:
    """Record the commission's disposition of the report (处置方式): closed, talk or inquiry,
    preliminary verification or a case opened, with how many people were sanctioned and how.
    Only the staff of the commission holding the case, once it is accepted. The resident
    never sees it (an internal event): their lookup shows that it was handled."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "dispose")
    holder = petition.holder_unit
    disposition = Disposition(
        petition=petition,
        unit=holder,
        kind=kind,
        sanctioned_count=sanctioned_count or 0,
        sanction_kind=sanction_kind or "",
        note=(note or "").strip(),
        decided_by=actor,
        created_at=timezone.now(),
    )
    disposition.full_clean()
    disposition.save()
    _save(petition)
    _event(
        petition,
        Verb.DISPOSED,
        actor,
        actor_unit=holder,
        note=disposition.note,
        data={"kind": kind, "sanctioned_count": disposition.sanctioned_count, "sanction_kind": sanction_kind},
        created_at=disposition.created_at,
    )
    return disposition
