"""Escalating what is overdue (逾期升级): one plan per case (`plan_escalation`), written for a
single case (`petition_escalate`) or for a chunk of the sweep (`petitions_escalate_batch`,
which only batches the same writes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.bulk import insert_rows, update_rows
from petitions.deadlines import deadline_days, running_deadline
from petitions.models import (
    AccusedPerson,
    Assignment,
    DayType,
    DeadlineKind,
    DeadlineMiss,
    Escalation,
    Notification,
    NotificationRoute,
    Petition,
    PetitionEvent,
    Status,
    SupervisionNotice,
)
from petitions.services._common import _event, _locked, _move_lead, _record_miss, _save
from petitions.services.notices import _notice_url
from petitions.services.notify import NOTIFICATION_COLUMNS, notification_rows, notify, queue_task
from petitions.services.sweep_cache import EscalationCache
from stations.models import Unit, User

Verb = PetitionEvent.Verb

# Each function is called by a Celery job with ids (petitions/tasks.py, docs/jobs.md) and is
# idempotent: it locks the row, re-checks that there is still something to do and returns None
# (or 0) when a re-run or another worker got there first. System actions have actor None.


def overdue_deadline(petition: Petition, now) -> str | None:
    """The kind of deadline the case has let pass by `now` (`DeadlineKind`), None if none."""
    kind = running_deadline(petition.status)
    if kind is None or petition.current_due_at is None or petition.current_due_at >= now:
        return None
    return kind


@dataclass(frozen=True)
class EscalationPlan:
    """What escalating one overdue case does, worked out before anything is written.

    The late unit (`late`, the holder) gets the miss on its record in any case. `target` is
    the intake centre one level up (or, for a report against officials, the commission above
    that need not stand aside), which takes the lead with `new_due`; past the county, or
    once the case has reached that level, it is the county commission, which gets a red
    supervision notice due `notice_due` (`level` is then `commission`); None when even that
    has been done (the miss alone)."""

    kind: str
    missed_due: datetime
    late: Unit
    target: Unit | None = None
    level: str | None = None
    new_due: datetime | None = None
    notice_due: datetime | None = None

    @property
    def red(self) -> bool:
        return self.level == Escalation.Level.COMMISSION

    @property
    def lead_due(self) -> datetime | None:
        """The new lead's own deadline: none while acceptance is still to be decided."""
        return None if self.kind == DeadlineKind.ACCEPTANCE else self.new_due

    def move(self, petition: Petition) -> None:
        """The case's fields once the centre above holds it (the lead rows aside): a registered
        case stays registered, an accepted or in-progress one is accepted at the centre, a
        review stays under review; the deadline it runs against is the new one."""
        petition.holder_unit = self.target
        if self.kind == DeadlineKind.ACCEPTANCE:
            petition.acceptance_due_at = self.new_due
        elif self.kind == DeadlineKind.HANDLING:
            petition.due_at = self.new_due
            petition.status = Status.ACCEPTED
        petition.current_due_at = self.new_due

    def escalation_fields(self) -> dict:
        return {
            "level": self.level,
            "kind": self.kind,
            "from_unit_id": self.late.pk,
            "to_unit_id": self.target.pk,
            "missed_due_at": self.missed_due,
        }

    def notice(self, petition: Petition, now) -> SupervisionNotice:
        """The red supervision notice to the county commission (unsaved)."""
        text = _("%(unit)s let the %(kind)s deadline of %(due)s pass and there is no level above it to take the case.")
        return SupervisionNotice(
            petition=petition,
            unit=self.target,
            severity=SupervisionNotice.Severity.RED,
            text=text
            % {
                "unit": self.late.name,
                "kind": DeadlineKind(self.kind).label,
                "due": timezone.localtime(self.missed_due).strftime("%Y-%m-%d %H:%M"),
            },
            due_at=self.notice_due,
            created_at=now,
        )

    def event_data(self, notice: SupervisionNotice | None = None) -> dict:
        data = {"level": self.level, "kind": self.kind, "missed_due_at": self.missed_due.isoformat()}
        if notice is None:
            data["due_at"] = self.new_due.isoformat()
        else:
            data.update(notice=notice.pk, severity=notice.severity)
        return data

    def notification(self, petition: Petition, escalation_id: int, notice: SupervisionNotice | None, now) -> dict:
        """What `notify` / `notification_rows` are asked: the centre's staff and the supervisors
        over the late unit; for a red notice, the commission, linked to the notice."""
        if notice is None:
            return {
                "event": NotificationRoute.Event.ESCALATED,
                "petition": petition,
                "unit": self.target,
                "region_of": self.late,
                "dedupe_key": f"escalation:{escalation_id}",
                "now": now,
            }
        return {
            "event": NotificationRoute.Event.RED_NOTICE,
            "petition": petition,
            "unit": self.target,
            "dedupe_key": f"notice:{notice.pk}",
            "url": _notice_url(notice),
            "now": now,
        }


def plan_escalation(
    petition: Petition, *, now, reached: set[str], accused: list[AccusedPerson], cache: EscalationCache
) -> EscalationPlan | None:
    """The plan for one case (None when nothing is overdue): `reached` are the levels its
    escalations have reached, `accused` the people a report against officials names. A case is
    escalated to a level once (also a database constraint): overdue again below a level it has
    already reached, it goes to the commission instead."""
    kind = overdue_deadline(petition, now)
    if kind is None:
        return None
    late = petition.holder_unit
    if petition.category.confidential:
        # A report against officials goes up the commissions, around any it names.
        target = cache.commission_above(late.region, accused)
    else:
        target = cache.escalation_target(late)
    if target is not None and target.region.level not in reached:
        category = petition.category
        new_due = cache.deadline(now, deadline_days(category, kind), category.day_type)
        return EscalationPlan(kind, petition.current_due_at, late, target, target.region.level, new_due=new_due)
    commission = cache.county_commission(petition)
    if commission is None or Escalation.Level.COMMISSION in reached:
        return EscalationPlan(kind, petition.current_due_at, late)
    notice_due = cache.deadline(now, settings.SUQIU_NOTICE_DAYS, DayType.WORKING)
    return EscalationPlan(
        kind, petition.current_due_at, late, commission, Escalation.Level.COMMISSION, notice_due=notice_due
    )


_ESCALATED_FIELDS = ("holder_unit", "status", "acceptance_due_at", "due_at", "current_due_at")


@transaction.atomic
def petition_escalate(*, petition_id: int, actor: User | None = None, now=None) -> Escalation | None:
    """Move an overdue case up one level (超期上提), or past the county raise a red supervision
    notice to the county commission (红色督办), as `plan_escalation` says. The late unit's
    record keeps the miss and the supervisors of its region are told. Returns None when
    nothing is overdue (a re-run, or another worker was first) or nothing is left to do."""
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    confidential = petition.category.confidential
    plan = plan_escalation(
        petition,
        now=now,
        reached=set(petition.escalations.values_list("level", flat=True)),
        accused=list(petition.accused.all()) if confidential else [],
        cache=EscalationCache(),
    )
    if plan is None:
        return None
    _record_miss(plan.late, petition, plan.kind, plan.missed_due, now)
    if plan.target is None:
        return None
    escalation = Escalation.objects.create(petition=petition, created_at=now, **plan.escalation_fields())
    notice = None
    if plan.red:
        notice = plan.notice(petition, now)
        notice.save()
        _save(petition)
    else:
        _move_lead(petition, plan.target, now, plan.lead_due)
        plan.move(petition)
        _save(petition, *_ESCALATED_FIELDS)
    _event(
        petition,
        Verb.ESCALATED,
        actor,
        from_unit=plan.late,
        to_unit=plan.target,
        created_at=now,
        data=plan.event_data(notice),
    )
    notify(**plan.notification(petition, escalation.pk, notice, now if notice is None else timezone.now()))
    return escalation


_EVENT_COLUMNS = (
    "petition_id", "verb", "actor_id", "actor_unit_id", "from_unit_id", "to_unit_id", "note", "public", "data",
    "created_at",
)  # fmt: skip
_MISS_COLUMNS = ("unit_id", "petition_id", "kind", "due_at", "missed_at")
_ESCALATION_COLUMNS = ("petition_id", "created_at", "level", "kind", "from_unit_id", "to_unit_id", "missed_due_at")
_LEAD_COLUMNS = ("petition_id", "unit_id", "role", "active", "due_at", "reply_text", "created_at")

# What the batch reads of a case (not its text, the complainant or the encrypted ID number).
_BATCH_READS = (
    "status", "current_due_at", "acceptance_due_at", "due_at", "version", "tracking_number", "region_code",
    "complainant_phone", "intake_unit_id", "category", "holder_unit",
)  # fmt: skip


@transaction.atomic
def petitions_escalate_batch(*, petition_ids: Iterable[int], now=None, cache: EscalationCache | None = None) -> int:
    """`petition_escalate` for many cases at once (the overdue sweep): the same plans, rows,
    events and notifications, written with one bulk statement each (`config.bulk`).

    Claims the rows with `FOR UPDATE SKIP LOCKED` (a row another worker holds is left to it),
    plans each case, then writes the misses, the escalations (planned under the lock against
    the ones the case already has: the once-per-level constraint stays the guarantee), the red
    notices, the lead moves, one UPDATE of the cases, the events and the notifications, and
    queues one sending task for the chunk. Returns how many were escalated.
    """
    now = now or timezone.now()
    cache = cache if cache is not None else EscalationCache()
    petitions = list(
        Petition.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("category", "holder_unit__region")
        .only(*_BATCH_READS)
        .filter(pk__in=list(petition_ids))
        .order_by("pk")
    )
    due = [petition for petition in petitions if overdue_deadline(petition, now) is not None]
    if not due:
        return 0
    reached: dict[int, set[str]] = {}
    for petition_id, level in Escalation.objects.filter(petition_id__in=[p.pk for p in due]).values_list(
        "petition_id", "level"
    ):
        reached.setdefault(petition_id, set()).add(level)
    accused: dict[int, list[AccusedPerson]] = {}
    reports = [petition.pk for petition in due if petition.category.confidential]
    if reports:
        for person in AccusedPerson.objects.filter(petition_id__in=reports).order_by("pk"):
            accused.setdefault(person.petition_id, []).append(person)
    cache.prime_targets(petition.holder_unit for petition in due if not petition.category.confidential)
    cache.prime_commissions(petition.holder_unit.region for petition in due if petition.category.confidential)
    plans = [
        (p, plan_escalation(p, now=now, reached=reached.get(p.pk, set()), accused=accused.get(p.pk, []), cache=cache))
        for p in due
    ]
    insert_rows(
        DeadlineMiss,
        _MISS_COLUMNS,
        [(plan.late.pk, p.pk, plan.kind, plan.missed_due, now) for p, plan in plans],
        ignore_conflicts=True,
    )
    plans = [(p, plan) for p, plan in plans if plan.target is not None]
    if not plans:
        return 0
    fields = [{"petition_id": p.pk, "created_at": now, **plan.escalation_fields()} for p, plan in plans]
    escalation_ids = dict(
        insert_rows(
            Escalation,
            _ESCALATION_COLUMNS,
            [tuple(row[name] for name in _ESCALATION_COLUMNS) for row in fields],
            returning=("petition_id", "id"),
        )
    )
    red = [(p, plan) for p, plan in plans if plan.red]
    notices = dict(
        zip(
            [p.pk for p, _plan in red],
            SupervisionNotice.objects.bulk_create([plan.notice(p, now) for p, plan in red]),
            strict=True,
        )
    )
    _move_leads([(p, plan) for p, plan in plans if not plan.red], now)
    for p, _plan in plans:
        p.version += 1
    update_rows(Petition, (*_ESCALATED_FIELDS, "version"), [p for p, _plan in plans])

    cache.prime_recipients(
        [plan.target for _p, plan in plans], [plan.target if plan.red else plan.late for _p, plan in plans]
    )  # the centres' staff and the commissions; the supervisors over the late units and the commissions
    sent_now = timezone.now()  # `notify` stamps red-notice notifications when made
    events, rows = [], []
    cache.defer_seeing()
    for p, plan in plans:
        notice = notices.get(p.pk)
        events.append(
            (p.pk, Verb.ESCALATED, None, None, plan.late.pk, plan.target.pk, "", False, plan.event_data(notice), now)
        )
        asked = plan.notification(p, escalation_ids[p.pk], notice, now if notice is None else sent_now)
        rows += notification_rows(**asked, recipients=cache)
    rows = cache.keep_seeing(rows)
    insert_rows(PetitionEvent, _EVENT_COLUMNS, events)
    if rows:
        # The unique constraints make a second run insert nothing.
        insert_rows(Notification, NOTIFICATION_COLUMNS, rows, ignore_conflicts=True)
        if any(row[4] != NotificationRoute.Channel.IN_APP for row in rows):
            unsent = list(
                Notification.objects.filter(
                    petition_id__in={row[2] for row in rows},
                    dedupe_key__in={row[3] for row in rows},
                    sent_at=None,
                )
                .exclude(channel=NotificationRoute.Channel.IN_APP)
                .values_list("pk", flat=True)
            )
            if unsent:
                queue_task("petitions.tasks.send_notifications", unsent)
    return len(plans)


def _move_leads(plans: list[tuple[Petition, EscalationPlan]], now) -> None:
    """`_move_lead` and `EscalationPlan.move` for many cases: the active lead and any active
    part of the centre end, and the centre becomes the lead."""
    if not plans:
        return
    targets = {p.pk: plan.target.pk for p, plan in plans}
    active = Assignment.objects.filter(petition_id__in=list(targets), active=True)
    ending = [
        pk
        for pk, petition_id, unit_id, role in active.values_list("pk", "petition_id", "unit_id", "role")
        if role == Assignment.Role.LEAD or unit_id == targets[petition_id]
    ]
    if ending:
        Assignment.objects.filter(pk__in=ending).update(active=False)
    leads = [(p.pk, plan.target.pk, Assignment.Role.LEAD, True, plan.lead_due, "", now) for p, plan in plans]
    insert_rows(Assignment, _LEAD_COLUMNS, leads)
    for p, plan in plans:
        plan.move(p)
