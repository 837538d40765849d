"""Reports against officials (涉纪涉腐): revealing who reported (recorded), dispositions."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import NotPermitted
from petitions.models import (
    Disposition,
    PersonOutcome,
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


def _outcomes(petition: Petition, people: Sequence[dict]) -> list[PersonOutcome]:
    """Each accused person's outcome, checked: a person the report names, once each; a
    sanction only after a case opened for review or a transfer to the judiciary."""
    Kind, Sanction = Disposition.Kind, Disposition.Sanction
    accused = {person.pk: person for person in petition.accused.all()}
    found: list[PersonOutcome] = []
    for n, entry in enumerate(people, 1):
        person = accused.get(entry.get("accused")) if isinstance(entry.get("accused"), int) else None
        if person is None:
            raise ValidationError({"people": _("Person %(n)d is not one the report names.") % {"n": n}})
        if any(outcome.accused_id == person.pk for outcome in found):
            raise ValidationError({"people": _("Person %(n)d is listed twice.") % {"n": n}})
        outcome, sanction = entry.get("outcome") or "", entry.get("sanction") or ""
        if outcome not in Kind.values:
            raise ValidationError({"people": _("Choose the disposition of person %(n)d.") % {"n": n}})
        if sanction and sanction not in Sanction.values:
            raise ValidationError({"people": _("Unknown sanction for person %(n)d.") % {"n": n}})
        if sanction and outcome not in Disposition.MAY_SANCTION:
            raise ValidationError(
                {
                    "people": _(
                        "Person %(n)d: a sanction follows a case opened for review or a transfer to the judiciary."
                    )
                    % {"n": n}
                }
            )
        found.append(PersonOutcome(accused=person, outcome=outcome, sanction=sanction))
    return found


def summing_up(outcomes: Sequence[PersonOutcome]) -> tuple[str, int, str]:
    """A disposition's kind, people sanctioned and sanction from its people's outcomes: the
    weightiest outcome (`Disposition.Kind`'s order) and the heaviest sanction."""
    kinds, sanctions = list(Disposition.Kind.values), list(Disposition.Sanction.values)
    kind = max((o.outcome for o in outcomes), key=kinds.index)
    sanctioned = [o.sanction for o in outcomes if o.sanction]
    return kind, len(sanctioned), max(sanctioned, key=sanctions.index) if sanctioned else ""


@transaction.atomic
def petition_dispose(
    *,
    petition_id: int,
    actor: User,
    kind: str = "",
    sanctioned_count: int = 0,
    sanction_kind: str = "",
    note: str = "",
    people: Sequence[dict] = (),
    expected_version: int | None = None,
) -> Disposition:
    """Record the commission's disposition of the report (处置方式): closed, a reminding talk,
    a written inquiry, preliminary verification, a case opened, a transfer to the judiciary.
    `people` gives each accused person their own outcome and sanction
    (`[{accused, outcome, sanction}]`); the case's kind and count then follow from theirs
    (`summing_up`) unless a kind is given. Without people, the case's kind with how many were
    sanctioned and how. Only the staff of the commission holding the case, once it is
    accepted. The resident never sees it (an internal event): their lookup shows that it was
    handled."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "dispose")
    outcomes = _outcomes(petition, people)
    if outcomes:
        summed_kind, sanctioned_count, sanction_kind = summing_up(outcomes)
        kind = kind or summed_kind
    elif not kind:
        raise ValidationError({"kind": _("Choose the disposition, or give each person's.")})
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
    for outcome in outcomes:
        outcome.disposition = disposition
    PersonOutcome.objects.bulk_create(outcomes)
    _save(petition)
    _event(
        petition,
        Verb.DISPOSED,
        actor,
        actor_unit=holder,
        note=disposition.note,
        data={
            "kind": kind,
            "sanctioned_count": disposition.sanctioned_count,
            "sanction_kind": disposition.sanction_kind,
            "people": [{"accused": o.accused_id, "outcome": o.outcome, "sanction": o.sanction} for o in outcomes],
        },
        created_at=disposition.created_at,
    )
    return disposition
