"""Extensions of the handling deadline (延期): request, approve, refuse, and chasing an unanswered request."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import NotPermitted
from petitions.deadlines import deadline_add
from petitions.models import (
    Assignment,
    DayType,
    ExtensionRequest,
    NotificationRoute,
    Petition,
    PetitionEvent,
)
from petitions.services._common import _event, _locked, _require, _require_text, _save
from petitions.services.notify import notify
from stations.models import User

Verb = PetitionEvent.Verb

# --- Extensions -----------------------------------------------------------------------------


@transaction.atomic
def petition_request_extension(
    *, petition_id: int, actor: User, days: int, reason: str, expected_version: int | None = None
) -> ExtensionRequest:
    """Ask for more time (延期申请): once per case, at most the category's maximum."""
    reason = _require_text(reason, "reason", _("Say why more time is needed."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "request-extension")
    longest = petition.category.extension_max_days
    if not isinstance(days, int) or days < 1 or days > longest:
        raise ValidationError({"days": _("An extension is 1 to %(n)d days.") % {"n": longest}})
    request = ExtensionRequest.objects.create(
        petition=petition, unit=petition.holder_unit, days=days, reason=reason, requested_by=actor
    )
    _event(
        petition,
        Verb.EXTENSION_REQUESTED,
        actor,
        actor_unit=petition.holder_unit,
        note=reason,
        data={"days": days, "request": request.pk},
    )
    _save(petition)
    return request


def _decide_extension(petition_id: int, actor: User, approve: bool, note: str, expected_version: int | None):
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "approve-extension" if approve else "refuse-extension")
    request = petition.extension_requests.select_for_update().get(state=ExtensionRequest.State.PENDING)
    if request.requested_by_id == actor.pk:
        raise NotPermitted(_("Someone other than the requester must decide on an extension."))
    now = timezone.now()
    request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REFUSED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note.strip()
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    data = {"days": request.days, "request": request.pk}
    if approve:
        old_due = petition.due_at
        petition.due_at = deadline_add(old_due, request.days, petition.category.day_type)
        petition.extended_days = request.days
        petition.current_due_at = petition.due_at
        Assignment.objects.filter(petition=petition, active=True, due_at=old_due).update(due_at=petition.due_at)
        _save(petition, "due_at", "extended_days", "current_due_at")
        data |= {"from": old_due.isoformat(), "to": petition.due_at.isoformat()}
        _event(petition, Verb.EXTENSION_APPROVED, actor, public=True, note=note.strip(), data=data)
    else:
        _save(petition)
        _event(petition, Verb.EXTENSION_REFUSED, actor, note=note.strip(), data=data)
    return petition


@transaction.atomic
def petition_approve_extension(
    *, petition_id: int, actor: User, note: str = "", expected_version: int | None = None
) -> Petition:
    """Approve the pending extension: the deadline moves by its days (working days where the
    category counts them) and the event says from when to when."""
    return _decide_extension(petition_id, actor, True, note, expected_version)


@transaction.atomic
def petition_refuse_extension(
    *, petition_id: int, actor: User, note: str = "", expected_version: int | None = None
) -> Petition:
    """Refuse the pending extension: the deadline stays."""
    return _decide_extension(petition_id, actor, False, note, expected_version)


@transaction.atomic
def extension_chase(*, request_id: int, now=None) -> bool:
    """Tell the supervisors of the region that an extension request has waited on them for
    SUQIU_EXTENSION_CHASE_DAYS working days; once per request."""
    now = now or timezone.now()
    request = ExtensionRequest.objects.select_related("unit__region").filter(pk=request_id).first()
    if request is None:
        return False
    petition = _locked(request.petition_id, None)
    request.refresh_from_db(fields=["state"])
    if request.state != ExtensionRequest.State.PENDING:
        return False
    if now <= deadline_add(request.requested_at, settings.SUQIU_EXTENSION_CHASE_DAYS, DayType.WORKING):
        return False
    if petition.events.filter(verb=Verb.REMINDED, data__extension_request=request.pk).exists():
        return False
    _event(
        petition,
        Verb.REMINDED,
        None,
        to_unit=request.unit,
        created_at=now,
        data={"kind": "extension", "extension_request": request.pk},
    )
    notify(
        NotificationRoute.Event.EXTENSION_WAITING,
        petition=petition,
        unit=request.unit,
        dedupe_key=f"extension:{request.pk}",
        now=now,
        staff=False,
    )
    return True
