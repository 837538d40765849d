"""Reminders before a deadline (催办) and chasing co-handling units that are late."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from petitions.deadlines import deadline_add, running_deadline
from petitions.models import (
    Assignment,
    DayType,
    DeadlineKind,
    NotificationRoute,
    PetitionEvent,
    Status,
)
from petitions.services._common import _event, _locked, _record_miss
from petitions.services.notify import notify

Verb = PetitionEvent.Verb


def remind_cutoff(now, stage: int):
    """The end of the `stage`-th working day after today: deadlines up to it get the stage's reminder."""
    return deadline_add(now, stage, DayType.WORKING)


@transaction.atomic
def petition_remind(*, petition_id: int, stage: int, now=None) -> PetitionEvent | None:
    """Remind the holding unit that the deadline is near (催办): `stage` working days or fewer
    are left (0: it is due today). Once per deadline and stage; the case's version does not
    change (nothing on the case row does), so nobody's open form goes stale."""
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    kind, due = running_deadline(petition.status), petition.current_due_at
    if kind is None or due is None or due < now or due > remind_cutoff(now, stage):
        return None
    key = due.isoformat()
    if petition.events.filter(verb=Verb.REMINDED, data__due_at=key, data__stage=stage).exists():
        return None
    event = _event(
        petition,
        Verb.REMINDED,
        None,
        to_unit=petition.holder_unit,
        created_at=now,
        data={"kind": kind, "due_at": key, "stage": stage},
    )
    notify(
        NotificationRoute.Event.REMINDED,
        petition=petition,
        unit=petition.holder_unit,
        dedupe_key=f"{key}:{stage}",
        now=now,
    )
    return event


@transaction.atomic
def petition_chase_co_units(*, petition_id: int, now=None) -> int:
    """Chase the co-handling units (协办) whose part is overdue and unanswered: each miss goes
    on the unit's record once, with a reminder on the timeline and a notification."""
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    if petition.status not in (Status.ACCEPTED, Status.IN_PROGRESS):
        return 0
    parts = Assignment.objects.filter(
        petition=petition, role=Assignment.Role.CO, active=True, replied_at=None, due_at__lt=now
    ).select_related("unit")
    chased = 0
    for part in parts:
        if not _record_miss(part.unit, petition, DeadlineKind.CO_HANDLING, part.due_at, now):
            continue
        key = part.due_at.isoformat()
        _event(
            petition,
            Verb.REMINDED,
            None,
            to_unit=part.unit,
            created_at=now,
            data={"kind": DeadlineKind.CO_HANDLING, "due_at": key, "co_unit": part.unit_id},
        )
        notify(
            NotificationRoute.Event.CO_OVERDUE,
            petition=petition,
            unit=part.unit,
            dedupe_key=f"{part.unit_id}:{key}",
            now=now,
        )
        chased += 1
    return chased
