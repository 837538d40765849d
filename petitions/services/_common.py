"""The steps every verb shares: the event, the row lock, the permission check, the save."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from config.errors import InvalidState, NotPermitted, StaleVersion
from petitions.models import (
    Assignment,
    DeadlineMiss,
    Petition,
    PetitionEvent,
    Status,
)
from petitions.selectors import allowed_actions, case_state
from petitions.workflow import VERBS, possible
from stations.models import Unit, User
from stations.selectors import scope_for

Verb = PetitionEvent.Verb

# --- Shared steps ----------------------------------------------------------------------------


def _event(petition: Petition, verb: str, actor: User | None, *, public: bool = False, **fields) -> PetitionEvent:
    return PetitionEvent.objects.create(
        petition=petition,
        verb=verb,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_unit=fields.pop("actor_unit", None),
        public=public,
        **fields,
    )


def _locked(petition_id: int, expected_version: int | None) -> Petition:
    """The case's row, locked for this transaction, as it is once the lock is ours.

    The row alone is locked, then read with its relations: PostgreSQL re-checks a locking
    query's joins against the row's new version after waiting, so a join on the unit a
    concurrent transfer just replaced would find no row at all."""
    try:
        Petition.objects.select_for_update().only("pk").get(pk=petition_id)
    except Petition.DoesNotExist:
        raise StaleVersion(_("Someone else changed this case a moment ago. Reload it and try again.")) from None
    petition = Petition.objects.select_related("category", "region", "holder_unit", "intake_unit").get(pk=petition_id)
    if expected_version is not None and petition.version != expected_version:
        raise StaleVersion(
            _("Someone else changed this case a moment ago. Reload it and try again."),
        )
    return petition


def _require(actor: User, petition: Petition, action: str) -> None:
    """Refuse unless `action` (a verb of `workflow.VERBS`) is allowed now; say whether it is
    the state or the person."""
    if action in allowed_actions(actor, petition):
        return
    verb = VERBS[action]
    if action in possible(case_state(petition)):
        raise NotPermitted(verb.refused or _("You may not take this action on this case."))
    raise InvalidState(
        _("The case is “%(status)s”: you cannot %(action)s it now.")
        % {"status": petition.get_status_display(), "action": verb.phrase}
    )


def _save(petition: Petition, *fields: str) -> None:
    petition.version += 1
    # The fields' own rules; the unique tracking number never changes after registration and
    # the status and channel checks are database constraints: no query to re-check them.
    petition.full_clean(
        exclude=["category", "region", "holder_unit", "intake_unit", "registered_by", "repeat_of"],
        validate_unique=False,
        validate_constraints=False,
    )
    petition.save(update_fields=[*fields, "version"])


def _acting_unit(actor: User, *candidates: Unit | None) -> Unit | None:
    """The unit on whose behalf the actor acts: the first candidate they hold a role in."""
    scope = scope_for(actor)
    for unit in candidates:
        if unit is not None and scope.roles_in(unit.pk):
            return unit
    return None


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _close(petition: Petition, actor: User | None, now, note: str = "") -> None:
    petition.status = Status.CLOSED
    petition.closed_at = now
    petition.current_due_at = None
    Assignment.objects.filter(petition=petition, active=True).update(active=False)
    _save(petition, "status", "closed_at", "current_due_at", "satisfaction", "rated_at", "rating_comment")
    _event(petition, Verb.CLOSED, actor, public=True, note=note, data={"satisfaction": petition.satisfaction})


def _move_lead(petition: Petition, unit: Unit, now, due_at) -> None:
    """The unit becomes the case's lead unit (主办) and holder; the former lead's part ends."""
    Assignment.objects.filter(petition=petition, role=Assignment.Role.LEAD, active=True).update(active=False)
    Assignment.objects.filter(petition=petition, unit=unit, active=True).update(active=False)
    Assignment.objects.create(petition=petition, unit=unit, role=Assignment.Role.LEAD, due_at=due_at, created_at=now)
    petition.holder_unit = unit


def _record_miss(unit: Unit, petition: Petition, kind: str, due_at, now) -> bool:
    """Put a missed deadline on the unit's record, once (the constraint makes a re-run a no-op)."""
    _miss, created = DeadlineMiss.objects.get_or_create(
        unit=unit, petition=petition, kind=kind, due_at=due_at, defaults={"missed_at": now}
    )
    return created
