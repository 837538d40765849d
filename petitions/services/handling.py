"""Handling a case: accept or reject (受理), assign, transfer and return (交办、转办、退回), notes, reply, close, settle."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidState
from petitions.deadlines import deadline_add, deadline_days
from petitions.models import (
    Assignment,
    DeadlineKind,
    Petition,
    PetitionEvent,
    Status,
)
from petitions.recusal import unit_recused
from petitions.selectors import (
    allowed_actions,
)
from petitions.services._common import _acting_unit, _close, _event, _locked, _move_lead, _require, _require_text, _save
from stations import codes
from stations.models import Unit, User
from stations.selectors import scope_for

Verb = PetitionEvent.Verb

# --- Acceptance -----------------------------------------------------------------------------


@transaction.atomic
def petition_accept(*, petition_id: int, actor: User, note: str = "", expected_version: int | None = None) -> Petition:
    """Accept the case (受理): the handling deadline starts."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "accept")
    now = timezone.now()
    petition.status = Status.ACCEPTED
    petition.accepted_at = now
    petition.due_at = deadline_add(
        now, deadline_days(petition.category, DeadlineKind.HANDLING), petition.category.day_type
    )
    petition.current_due_at = petition.due_at
    _save(petition, "status", "accepted_at", "due_at", "current_due_at")
    _event(
        petition,
        Verb.ACCEPTED,
        actor,
        public=True,
        actor_unit=petition.holder_unit,
        note=note.strip(),
        data={"due_at": petition.due_at.isoformat()},
    )
    return petition


@transaction.atomic
def petition_reject(
    *, petition_id: int, actor: User, reason: str, guidance: str, expected_version: int | None = None
) -> Petition:
    """Decline the case (不予受理) with the reason and where to go instead (一次性告知)."""
    reason = _require_text(reason, "reason", _("Say why the case is not accepted."))
    guidance = _require_text(guidance, "guidance", _("Tell the resident where to go instead."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "reject")
    now = timezone.now()
    petition.status = Status.REJECTED
    petition.rejection_reason, petition.rejection_guidance = reason, guidance
    petition.closed_at = now
    petition.current_due_at = None
    Assignment.objects.filter(petition=petition, active=True).update(active=False)
    _save(petition, "status", "rejection_reason", "rejection_guidance", "closed_at", "current_due_at")
    _event(
        petition,
        Verb.REJECTED,
        actor,
        public=True,
        actor_unit=petition.holder_unit,
        note=reason,
        data={"guidance": guidance},
    )
    return petition


# --- Routing --------------------------------------------------------------------------------


def _check_target(actor: User, petition: Petition, unit: Unit | None, field: str = "unit") -> Unit:
    if unit is None or not unit.is_active:
        raise ValidationError({field: _("Choose an active unit.")})
    if unit.pk == petition.holder_unit_id:
        raise ValidationError({field: _("The case is already with this unit.")})
    # A case stays in its county, or goes up to the city or province that supervises it.
    county = petition.region_code[:6]
    unit_code = unit.region.code
    if not (unit_code.startswith(county) or unit_code in codes.ancestor_codes(petition.region_code)):
        raise ValidationError({field: _("This unit is outside the case's county.")})
    # Recusal (回避): a report never goes to a unit it names, or whose leadership it names.
    if petition.category.confidential and unit_recused(unit, petition.accused.all()):
        raise ValidationError({field: _("This unit must stand aside: the report names its staff or leadership.")})
    return unit


@transaction.atomic
def petition_assign(
    *,
    petition_id: int,
    actor: User,
    unit: Unit,
    co_units: Sequence[Unit] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Petition:
    """Hand the case to the unit that must handle it (交办), with co-handling units (协办)."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "assign")
    unit = _check_target(actor, petition, unit)
    co_units = [_check_target(actor, petition, co, "co_units") for co in co_units]
    if unit.pk in {co.pk for co in co_units}:
        raise ValidationError({"co_units": _("The lead unit cannot also be a co-handling unit.")})
    now = timezone.now()
    previous = petition.holder_unit
    _move_lead(petition, unit, now, petition.due_at)
    for co in co_units:
        Assignment.objects.filter(petition=petition, unit=co, active=True).update(active=False)
        Assignment.objects.create(
            petition=petition, unit=co, role=Assignment.Role.CO, due_at=petition.due_at, created_at=now
        )
    petition.status = Status.IN_PROGRESS
    _save(petition, "holder_unit", "status")
    _event(
        petition,
        Verb.ASSIGNED,
        actor,
        public=True,
        actor_unit=previous,
        from_unit=previous,
        to_unit=unit,
        note=note.strip(),
        data={"co_units": [co.pk for co in co_units]},
    )
    return petition


@transaction.atomic
def petition_transfer(
    *, petition_id: int, actor: User, unit: Unit, note: str = "", expected_version: int | None = None
) -> Petition:
    """Pass the case to another competent unit (转办). An intake centre that receives it
    decides where it goes next; any other unit handles it."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "transfer")
    unit = _check_target(actor, petition, unit)
    previous = petition.holder_unit
    now = timezone.now()
    _move_lead(petition, unit, now, petition.due_at)
    petition.status = Status.ACCEPTED if unit.kind == Unit.Kind.INTAKE else Status.IN_PROGRESS
    _save(petition, "holder_unit", "status")
    _event(
        petition,
        Verb.TRANSFERRED,
        actor,
        public=True,
        actor_unit=previous,
        from_unit=previous,
        to_unit=unit,
        note=note.strip(),
    )
    return petition


@transaction.atomic
def petition_return(*, petition_id: int, actor: User, reason: str, expected_version: int | None = None) -> Petition:
    """Send the case back (退回): this unit is not competent for it. It goes back to the
    unit that sent it here, which routes it again."""
    reason = _require_text(reason, "reason", _("Say why the case is not for this unit."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "return")
    sent = (
        petition.events.filter(verb__in=[Verb.ASSIGNED, Verb.TRANSFERRED], to_unit=petition.holder_unit)
        .select_related("from_unit")
        .order_by("-created_at", "-id")
        .first()
    )
    if sent is None or sent.from_unit is None:
        raise InvalidState(_("Nobody sent this case here, so there is nobody to return it to."))
    back_to = sent.from_unit
    previous = petition.holder_unit
    now = timezone.now()
    Assignment.objects.filter(petition=petition, role=Assignment.Role.CO, active=True).update(active=False)
    _move_lead(petition, back_to, now, petition.due_at)
    petition.status = Status.ACCEPTED if back_to.kind == Unit.Kind.INTAKE else Status.IN_PROGRESS
    _save(petition, "holder_unit", "status")
    _event(petition, Verb.RETURNED, actor, actor_unit=previous, from_unit=previous, to_unit=back_to, note=reason)
    return petition


@transaction.atomic
def petition_note(
    *, petition_id: int, actor: User, text: str, public: bool = False, expected_version: int | None = None
) -> PetitionEvent:
    """Record progress or a remark on the timeline (办理情况); internal unless `public`."""
    text = _require_text(text, "text", _("Write the note."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "note")
    event = _event(
        petition,
        Verb.NOTE,
        actor,
        public=public,
        note=text,
        actor_unit=_acting_unit(actor, petition.holder_unit, petition.intake_unit),
    )
    _save(petition)
    return event


# --- Reply, close, settle -------------------------------------------------------------------


@transaction.atomic
def petition_reply(*, petition_id: int, actor: User, text: str, expected_version: int | None = None) -> Petition:
    """Answer the resident (答复). A co-handling unit's reply is recorded on its part; the
    lead unit's reply moves the case to `replied` and opens the rating window."""
    text = _require_text(text, "text", _("Write the reply."))
    petition = _locked(petition_id, expected_version)
    now = timezone.now()
    actions = allowed_actions(actor, petition)
    if "reply" not in actions and "co-reply" in actions:
        units = [u for u, roles in scope_for(actor).unit_roles.items() if roles & {"handler", "leader"}]
        part = (
            Assignment.objects.select_for_update()
            .filter(petition=petition, unit_id__in=units, role=Assignment.Role.CO, active=True, replied_at=None)
            .select_related("unit")
            .first()
        )
        part.reply_text, part.replied_at = text, now
        part.save(update_fields=["reply_text", "replied_at"])
        _event(petition, Verb.CO_REPLIED, actor, actor_unit=part.unit, note=text)
        _save(petition)
        return petition
    _require(actor, petition, "reply")
    petition.status = Status.REPLIED
    petition.reply_text = text
    petition.replied_at = now
    petition.current_due_at = None
    Assignment.objects.filter(petition=petition, unit=petition.holder_unit, active=True).update(
        reply_text=text, replied_at=now
    )
    _save(petition, "status", "reply_text", "replied_at", "current_due_at")
    _event(petition, Verb.REPLIED, actor, public=True, actor_unit=petition.holder_unit, note=text)
    return petition


@transaction.atomic
def petition_close(*, petition_id: int, actor: User, note: str = "", expected_version: int | None = None) -> Petition:
    """Close a replied case (办结), keeping whatever rating it has."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "close")
    _close(petition, actor, timezone.now(), note.strip())
    return petition


@transaction.atomic
def petition_settle(*, petition_id: int, actor: User, text: str, expected_version: int | None = None) -> Petition:
    """Settle a small matter on the spot (小事不出村): registered and closed in one step."""
    text = _require_text(text, "text", _("Say how the matter was settled."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "settle")
    now = timezone.now()
    petition.settled_on_the_spot = True
    petition.reply_text = text
    petition.replied_at = now
    petition.save(update_fields=["settled_on_the_spot", "reply_text", "replied_at"])
    _event(
        petition,
        Verb.SETTLED,
        actor,
        public=True,
        note=text,
        actor_unit=_acting_unit(actor, petition.intake_unit, petition.holder_unit),
    )
    _close(petition, actor, now)
    return petition
