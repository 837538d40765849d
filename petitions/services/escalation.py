"""Escalating what is overdue (逾期升级), one case at a time and in bulk (the sweep)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from petitions.deadlines import deadline_add
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
from petitions.recusal import accused_key, commission_above
from petitions.selectors import (
    notification_recipients,
    users_who_see,
    visible_among,
)
from petitions.services._common import _event, _locked, _record_miss, _save
from petitions.services.handling import _move_lead
from petitions.services.notices import _notice_url
from petitions.services.notify import _NOTIFICATION_TITLES, notify, queue_task
from stations import codes
from stations.models import Region, Unit, User
from stations.selectors import intake_unit_above, scope_for, scope_key

Verb = PetitionEvent.Verb

# --- Deadlines: reminders, escalation, closing unrated replies (the jobs) --------------------
# Each function is called by a Celery job with ids (petitions/tasks.py, docs/jobs.md) and is
# idempotent: it locks the row, re-checks that there is still something to do and returns None
# (or 0 / False) when a re-run or another worker got there first. System actions have actor None.

_ESCALATION_LEVELS = (Region.Level.TOWNSHIP, Region.Level.COUNTY)


def _deadline_kind(petition: Petition) -> str | None:
    """Which deadline `current_due_at` is, by the case's state."""
    return {
        Status.REGISTERED: DeadlineKind.ACCEPTANCE,
        Status.ACCEPTED: DeadlineKind.HANDLING,
        Status.IN_PROGRESS: DeadlineKind.HANDLING,
        Status.UNDER_REVIEW: DeadlineKind.REVIEW,
    }.get(petition.status)


def county_commission_of(petition: Petition) -> Unit | None:
    """The discipline commission of the case's county (where red supervision notices go)."""
    return (
        Unit.objects.filter(kind=Unit.Kind.COMMISSION, is_active=True, region__code=codes.pad(petition.region_code[:6]))
        .select_related("region")
        .order_by("pk")
        .first()
    )


def _escalation_target(unit: Unit) -> Unit | None:
    """The intake centre one level up (village → township → county), or None past the county."""
    if codes.LEVELS.index(unit.region.level) <= codes.LEVELS.index(Region.Level.COUNTY):
        return None
    target = intake_unit_above(unit.region)
    return target if target is not None and target.region.level in _ESCALATION_LEVELS else None


@transaction.atomic
def petition_escalate(*, petition_id: int, actor: User | None = None, now=None) -> Escalation | None:
    """Move an overdue case up one level (超期上提), or past the county raise a red supervision
    notice to the county commission (红色督办). The late unit's record keeps the miss and the
    supervisors of its region are told.

    The centre that receives the case gets the same number of days again, from now: a
    registered case stays `registered` (the centre decides acceptance); an accepted or
    in-progress case becomes `accepted` at the centre, which answers it or routes it again;
    a review stays `under_review`. A case is escalated to a level once (a database constraint):
    overdue again below a level it has already reached, it goes to the commission instead.
    Returns None when nothing is overdue (a re-run, or another worker was first).
    """
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    kind = _deadline_kind(petition)
    missed_due = petition.current_due_at
    if kind is None or missed_due is None or missed_due >= now:
        return None
    late = petition.holder_unit
    _record_miss(late, petition, kind, missed_due, now)
    if petition.category.confidential:
        # A report against officials goes up the commissions, around any it names.
        target = commission_above(late.region, petition.accused.all())
    else:
        target = _escalation_target(late)
    if target is not None and petition.escalations.filter(level=target.region.level).exists():
        target = None
    if target is None:
        return _escalate_to_commission(petition, late, kind, missed_due, now, actor)

    category = petition.category
    days = {
        DeadlineKind.ACCEPTANCE: category.acceptance_days,
        DeadlineKind.HANDLING: category.handling_days,
        DeadlineKind.REVIEW: category.review_days,
    }[kind]
    new_due = deadline_add(now, days, category.day_type)
    escalation = Escalation.objects.create(
        petition=petition,
        level=target.region.level,
        kind=kind,
        from_unit=late,
        to_unit=target,
        missed_due_at=missed_due,
        created_at=now,
    )
    _move_lead(petition, target, now, None if kind == DeadlineKind.ACCEPTANCE else new_due)
    if kind == DeadlineKind.ACCEPTANCE:
        petition.acceptance_due_at = new_due
    elif kind == DeadlineKind.HANDLING:
        petition.due_at = new_due
        petition.status = Status.ACCEPTED
    petition.current_due_at = new_due
    _save(petition, "holder_unit", "status", "acceptance_due_at", "due_at", "current_due_at")
    _event(
        petition,
        Verb.ESCALATED,
        actor,
        from_unit=late,
        to_unit=target,
        created_at=now,
        data={
            "level": escalation.level,
            "kind": kind,
            "missed_due_at": missed_due.isoformat(),
            "due_at": new_due.isoformat(),
        },
    )
    notify(
        NotificationRoute.Event.ESCALATED,
        petition=petition,
        unit=target,
        region_of=late,
        dedupe_key=f"escalation:{escalation.pk}",
        now=now,
    )
    return escalation


def _escalate_to_commission(petition: Petition, late: Unit, kind: str, missed_due, now, actor) -> Escalation | None:
    commission = county_commission_of(petition)
    if commission is None or petition.escalations.filter(level=Escalation.Level.COMMISSION).exists():
        return None
    escalation = Escalation.objects.create(
        petition=petition,
        level=Escalation.Level.COMMISSION,
        kind=kind,
        from_unit=late,
        to_unit=commission,
        missed_due_at=missed_due,
        created_at=now,
    )
    notice = SupervisionNotice.objects.create(
        petition=petition,
        unit=commission,
        severity=SupervisionNotice.Severity.RED,
        text=_red_notice_text(late, kind, missed_due),
        due_at=deadline_add(now, settings.SUQIU_NOTICE_DAYS, DayType.WORKING),
        created_at=now,
    )
    _save(petition)
    _event(
        petition,
        Verb.ESCALATED,
        actor,
        from_unit=late,
        to_unit=commission,
        created_at=now,
        data={
            "level": escalation.level,
            "kind": kind,
            "missed_due_at": missed_due.isoformat(),
            "notice": notice.pk,
            "severity": notice.severity,
        },
    )
    notify(
        NotificationRoute.Event.RED_NOTICE,
        petition=petition,
        unit=commission,
        dedupe_key=f"notice:{notice.pk}",
        url=_notice_url(notice),
    )
    return escalation


def _red_notice_text(late: Unit, kind: str, missed_due) -> str:
    return _("%(unit)s let the %(kind)s deadline of %(due)s pass and there is no level above it to take the case.") % {
        "unit": late.name,
        "kind": DeadlineKind(kind).label,
        "due": timezone.localtime(missed_due).strftime("%Y-%m-%d %H:%M"),
    }


class EscalationCache:
    """What one sweep works out once and reuses for every case (its `now` is one instant):
    escalation targets per late unit, commissions per region and accused, the county
    commission per county, deadlines per (days, day type), the routing table and the
    recipients of each audience. Built by the selectors the per-case path uses."""

    def __init__(self) -> None:
        self.targets: dict = {}
        self.commissions: dict = {}
        self.county_commissions: dict = {}
        self.deadlines: dict = {}
        self.routes: dict = {}
        self.recipients: dict = {}
        self.texts: dict = {}
        self._case_url: tuple[str, str] | None = None
        self.people: dict[int, User] = {}  # their scopes are worked out once per sweep
        # The reports against officials of the chunk a thread is on (the sweep's threads share
        # this cache, each on its own chunk), and which of them each person may open.
        self.chunk = threading.local()

    def reports_of_chunk(self, petitions: Iterable[Petition]) -> None:
        """The chunk's reports against officials: who may open which is asked per chunk."""
        self.chunk.reports = list(petitions)
        self.chunk.seen = {}

    def seen(self, user_id: int) -> set[int]:
        """The chunk's reports this person may open (`selectors.visible_among`): one query per
        chunk for all the people whose scope is the same (a unit's staff, a region's supervisors),
        since what a person sees depends on their scope alone."""
        person = self.people.get(user_id)
        if person is None:
            person = self.people[user_id] = User.objects.get(pk=user_id)
        key = scope_key(scope_for(person))
        seen = self.chunk.seen
        if key not in seen:
            seen[key] = visible_among(person, self.chunk.reports)
        return seen[key]

    def case_url(self, pk: int) -> str:
        """`reverse("petitions:case", kwargs={"pk": pk})`, the pattern resolved once per sweep."""
        if self._case_url is None:
            from django.urls import reverse

            # A pk no case has, to split the path around it.
            head, _pk, tail = reverse("petitions:case", kwargs={"pk": 987654321}).rpartition("987654321")
            self._case_url = (head, tail)
        head, tail = self._case_url
        return f"{head}{pk}{tail}"

    def escalation_target(self, late: Unit) -> Unit | None:
        if late.pk not in self.targets:
            self.targets[late.pk] = _escalation_target(late)
        return self.targets[late.pk]

    def prime_targets(self, lates: Iterable[Unit]) -> None:
        """Work out `escalation_target` for many late units in one query: the intake centres
        above them all, the nearest one above each (as `intake_unit_above` picks it)."""
        lates = {late.pk: late for late in lates if late.pk not in self.targets}
        above = {
            late.pk: codes.ancestor_codes(late.region.code)
            for late in lates.values()
            if codes.LEVELS.index(late.region.level) > codes.LEVELS.index(Region.Level.COUNTY)
        }
        centres: dict[str, list[Unit]] = {}
        wanted = {code for ancestors in above.values() for code in ancestors}
        if wanted:
            units = Unit.objects.filter(region__code__in=wanted, kind=Unit.Kind.INTAKE, is_active=True)
            for unit in units.select_related("region"):
                centres.setdefault(unit.region.code, []).append(unit)
        for pk in lates:
            if pk not in above:
                self.targets[pk] = None
                continue
            candidates = [unit for code in above[pk] for unit in centres.get(code, [])]
            target = max(candidates, key=lambda unit: unit.region.code, default=None)
            self.targets[pk] = target if target is not None and target.region.level in _ESCALATION_LEVELS else None

    def commission_above(self, region: Region, accused: list) -> Unit | None:
        # Recusal reads only each accused's unit, name and post (`accused_key`).
        key = (region.pk, tuple(sorted(accused_key(person) for person in accused)))
        if key not in self.commissions:
            self.commissions[key] = commission_above(region, accused)
        return self.commissions[key]

    def county_commission(self, petition: Petition) -> Unit | None:
        county = petition.region_code[:6]
        if county not in self.county_commissions:
            self.county_commissions[county] = county_commission_of(petition)
        return self.county_commissions[county]

    def deadline(self, now, days: int, day_type: str):
        key = (now, days, day_type)
        if key not in self.deadlines:
            self.deadlines[key] = deadline_add(now, days, day_type)
        return self.deadlines[key]

    def routes_for(self, event: str) -> list[NotificationRoute]:
        if event not in self.routes:
            self.routes[event] = list(NotificationRoute.objects.filter(event=event, active=True))
        return self.routes[event]

    @staticmethod
    def _recipient_key(audience: str, petition: Petition, unit: Unit | None) -> tuple:
        """What `notification_recipients` reads of the case and unit for an audience."""
        if audience == NotificationRoute.Audience.HOLDER_UNIT_STAFF:
            return (audience, unit.pk if unit is not None else None)
        if audience == NotificationRoute.Audience.SUPERVISORS_OF_REGION:
            return (audience, unit.region.code if unit is not None else petition.region_code)
        if audience == NotificationRoute.Audience.INTAKE_DESK:
            return (audience, petition.intake_unit_id)
        if audience == NotificationRoute.Audience.COMMISSION:
            return (audience, petition.region_code[:6])
        return (audience,)

    def recipients_for(self, route: NotificationRoute, petition: Petition, unit: Unit | None) -> list[int]:
        """The ids of `notification_recipients(route.audience, …)`, in the same (id) order."""
        key = self._recipient_key(route.audience, petition, unit)
        if key not in self.recipients:
            users = notification_recipients(route.audience, petition=petition, unit=unit)
            self.recipients[key] = [user.pk for user in users]
        return self.recipients[key]

    def prime_recipients(self, units: Iterable[Unit], regions_of: Iterable[Unit]) -> None:
        """`recipients_for` of many units at once, one query per audience: the staff of each of
        `units` (holder_unit_staff) and the supervisors over each of `regions_of`
        (supervisors_of_region), with the filters of `notification_recipients`."""
        from stations.models import Membership

        role = Membership.Role
        staff = NotificationRoute.Audience.HOLDER_UNIT_STAFF
        units = {unit.pk for unit in units} - {key[1] for key in self.recipients if key[0] == staff}
        if units:
            found: dict[int, set[int]] = {pk: set() for pk in units}
            memberships = Membership.objects.filter(
                unit_id__in=units,
                role__in=[role.CLERK, role.HANDLER, role.LEADER, role.SUPERVISOR],
                user__is_active=True,
            )
            for unit_id, user_id in memberships.values_list("unit_id", "user_id"):
                found[unit_id].add(user_id)
            for pk, users in found.items():
                self.recipients[(staff, pk)] = sorted(users)
        supervisors = NotificationRoute.Audience.SUPERVISORS_OF_REGION
        region_codes = {unit.region.code for unit in regions_of}
        region_codes -= {key[1] for key in self.recipients if key[0] == supervisors}
        if region_codes:
            over = {code: [*codes.ancestor_codes(code), code] for code in region_codes}
            by_code: dict[str, set[int]] = {}
            memberships = Membership.objects.filter(
                role=role.SUPERVISOR,
                unit__is_active=True,
                unit__region__code__in={code for chain in over.values() for code in chain},
                user__is_active=True,
            )
            for code, user_id in memberships.values_list("unit__region__code", "user_id"):
                by_code.setdefault(code, set()).add(user_id)
            for code, chain in over.items():
                self.recipients[(supervisors, code)] = sorted(set().union(*(by_code.get(c, set()) for c in chain)))


def _notification_rows(
    cache: EscalationCache,
    event: str,
    *,
    petition: Petition,
    unit: Unit,
    dedupe_key: str,
    now,
    url: str,
    region_of: Unit | None = None,
) -> list[tuple]:
    """The rows `notify` makes for one case (staff=True), from the sweep's cache, as tuples of
    `_NOTIFICATION_COLUMNS`; the caller holds `translation.override(settings.LANGUAGE_CODE)`."""
    texts = cache.texts  # the translated title and status labels, once per sweep (one language)
    if event not in texts:
        texts[event] = str(_NOTIFICATION_TITLES[event])
    if petition.status not in texts:
        texts[petition.status] = str(petition.get_status_display())
    title = texts[event] % {"number": petition.tracking_number}
    body = " · ".join(part for part in (petition.category.name, unit.name, texts[petition.status]) if part)
    rows = []
    for route in cache.routes_for(event):
        if route.audience == NotificationRoute.Audience.RESIDENT:
            if route.channel != NotificationRoute.Channel.SMS or not petition.complainant_phone:
                continue
            recipients = [None]
        else:
            about = region_of if route.audience == NotificationRoute.Audience.SUPERVISORS_OF_REGION else None
            recipients = users_who_see(petition, cache.recipients_for(route, petition, about or unit), seen=cache.seen)
        rows += [
            (
                user,
                event,
                petition.pk,
                dedupe_key,
                route.channel,
                title,
                body,
                url,
                now,
            )
            for user in recipients
        ]
    return rows


_NOTIFICATION_COLUMNS = (
    "user_id",
    "kind",
    "petition_id",
    "dedupe_key",
    "channel",
    "title",
    "body",
    "url",
    "created_at",
)
_EVENT_COLUMNS = (
    "petition_id", "verb", "actor_id", "actor_unit_id", "from_unit_id", "to_unit_id", "note", "public", "data",
    "created_at",
)  # fmt: skip
_MISS_COLUMNS = ("unit_id", "petition_id", "kind", "due_at", "missed_at")


def _insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: list[tuple],
    *,
    ignore_conflicts=False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """`bulk_create` of plain tuples (columns `names`, by attname), without a model instance per
    row: on PostgreSQL one `INSERT … SELECT * FROM unnest(arrays)` [`ON CONFLICT DO NOTHING`]
    [`RETURNING` the columns `returning`, whose values it returns, one tuple per row]."""
    from django.db import connection

    if not rows:
        return []
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], ignore_conflicts=ignore_conflicts
        )
        return [tuple(getattr(obj, name) for name in returning) for obj in made] if returning else []
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    # Plain values go to the driver as they are (aware datetimes, ids, text); JSON is prepared.
    prepare = [
        (lambda value, field=field: field.get_db_prep_save(value, connection))
        if isinstance(field, models.JSONField)
        else (lambda value: value if value is None or type(value) in (int, bool, str) else str(value))
        if isinstance(field, (models.CharField, models.TextField))
        else (lambda value: value)
        for field in fields
    ]
    values = [[prep(row[i]) for row in rows] for i, prep in enumerate(prepare)]
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    back = (
        f" RETURNING {', '.join(quote(model._meta.get_field(name).column) for name in returning)}" if returning else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}){conflict}{back}",
            values,
        )
        return [tuple(row) for row in cursor.fetchall()] if returning else []


_ESCALATED_FIELDS = ("holder_unit", "status", "acceptance_due_at", "due_at", "current_due_at", "version")


def _update_escalated_cases(petitions: list[Petition]) -> None:
    """One UPDATE of the escalated cases' moving fields (what `_save` writes for each). On
    PostgreSQL an `UPDATE … FROM unnest(arrays)`: `bulk_update`'s CASE per row and field costs
    more Python than the rest of the chunk together."""
    from django.db import connection

    if connection.vendor != "postgresql":
        Petition.objects.bulk_update(petitions, list(_ESCALATED_FIELDS))
        return
    fields = [Petition._meta.get_field(name) for name in _ESCALATED_FIELDS]
    columns = [(field.column, field.db_type(connection)) for field in fields]
    assignments = ", ".join(f"{connection.ops.quote_name(column)} = v.{column}" for column, _type in columns)
    arrays = ", ".join(f"%s::{db_type.split('(')[0]}[]" for _column, db_type in [("id", "bigint"), *columns])
    names = ", ".join(["id", *(column for column, _type in columns)])
    table = connection.ops.quote_name(Petition._meta.db_table)
    values = [[petition.pk for petition in petitions]]
    values += [[field.get_db_prep_save(getattr(p, field.attname), connection) for p in petitions] for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) WHERE {table}.id = v.id",
            values,
        )


# What the batch reads of a case (not its text, the complainant or the encrypted ID number).
_BATCH_READS = (
    "status", "current_due_at", "acceptance_due_at", "due_at", "version", "tracking_number", "region_code",
    "complainant_phone", "intake_unit_id", "category", "holder_unit",
)  # fmt: skip


@transaction.atomic
def petitions_escalate_batch(*, petition_ids: Iterable[int], now=None, cache: EscalationCache | None = None) -> int:
    """`petition_escalate` for many cases at once (the overdue sweep): the same rows, events
    and notifications as the per-case service, written with one bulk statement each.

    Claims the rows with `FOR UPDATE SKIP LOCKED` (a row another worker holds is left to it),
    re-checks each case, then writes the misses, the escalations (checked under the lock
    against the ones the case already has: the once-per-level constraint stays the
    guarantee), the red notices, the lead moves, one UPDATE of the cases, the events and the
    notifications, and queues one sending task for the chunk. Returns how many were escalated.
    """
    from django.utils import translation

    now = now or timezone.now()
    cache = cache if cache is not None else EscalationCache()
    petitions = list(
        Petition.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("category", "holder_unit__region")
        .only(*_BATCH_READS)
        .filter(pk__in=list(petition_ids))
        .order_by("pk")
    )
    due = []
    for petition in petitions:
        kind = _deadline_kind(petition)
        if kind is not None and petition.current_due_at is not None and petition.current_due_at < now:
            due.append((petition, kind, petition.current_due_at))
    if not due:
        return 0
    ids = [petition.pk for petition, _kind, _missed in due]
    reached: dict[int, set[str]] = {}
    for petition_id, level in Escalation.objects.filter(petition_id__in=ids).values_list("petition_id", "level"):
        reached.setdefault(petition_id, set()).add(level)
    accused: dict[int, list[AccusedPerson]] = {}
    confidential = [petition.pk for petition, _kind, _missed in due if petition.category.confidential]
    cache.reports_of_chunk(petition for petition, _kind, _missed in due if petition.category.confidential)
    if confidential:
        for person in AccusedPerson.objects.filter(petition_id__in=confidential).order_by("pk"):
            accused.setdefault(person.petition_id, []).append(person)

    _insert_rows(
        DeadlineMiss,
        _MISS_COLUMNS,
        [(petition.holder_unit_id, petition.pk, kind, missed, now) for petition, kind, missed in due],
        ignore_conflicts=True,
    )

    cache.prime_targets(petition.holder_unit for petition, _kind, _missed in due if not petition.category.confidential)
    up, red = [], []  # (petition, kind, missed, late, target or commission, level)
    for petition, kind, missed in due:
        late = petition.holder_unit
        if petition.category.confidential:
            target = cache.commission_above(late.region, accused.get(petition.pk, []))
        else:
            target = cache.escalation_target(late)
        levels = reached.get(petition.pk, set())
        if target is not None and target.region.level in levels:
            target = None
        if target is not None:
            level, bucket = target.region.level, up
        else:
            target = cache.county_commission(petition)
            if target is None or Escalation.Level.COMMISSION in levels:
                continue
            level, bucket = Escalation.Level.COMMISSION, red
        bucket.append((petition, kind, missed, late, target, level))
    if not up and not red:
        return 0
    # One escalation per case in the chunk: their ids come back keyed by case.
    escalation_ids = dict(
        _insert_rows(
            Escalation,
            ("petition_id", "level", "kind", "from_unit_id", "to_unit_id", "missed_due_at", "created_at"),
            [(p.pk, level, kind, late.pk, target.pk, missed, now) for p, kind, missed, late, target, level in up + red],
            returning=("petition_id", "id"),
        )
    )

    notices = SupervisionNotice.objects.bulk_create(
        [
            SupervisionNotice(
                petition=petition,
                unit=commission,
                severity=SupervisionNotice.Severity.RED,
                text=_red_notice_text(late, kind, missed),
                due_at=cache.deadline(now, settings.SUQIU_NOTICE_DAYS, DayType.WORKING),
                created_at=now,
            )
            for petition, kind, missed, late, commission, _level in red
        ]
    )

    # The lead moves to the centre above (as `_move_lead`): the active lead and any active
    # part of the centre end, and the centre becomes the lead.
    new_due = {}
    if up:
        targets = {petition.pk: target.pk for petition, _kind, _missed, _late, target, _esc in up}
        ending = [
            pk
            for pk, petition_id, unit_id, role in Assignment.objects.filter(
                petition_id__in=list(targets), active=True
            ).values_list("pk", "petition_id", "unit_id", "role")
            if role == Assignment.Role.LEAD or unit_id == targets[petition_id]
        ]
        if ending:
            Assignment.objects.filter(pk__in=ending).update(active=False)
        leads = []
        for petition, kind, _missed, _late, target, _level in up:
            category = petition.category
            days = {
                DeadlineKind.ACCEPTANCE: category.acceptance_days,
                DeadlineKind.HANDLING: category.handling_days,
                DeadlineKind.REVIEW: category.review_days,
            }[kind]
            due_at = new_due[petition.pk] = cache.deadline(now, days, category.day_type)
            leads.append(
                (
                    petition.pk,
                    target.pk,
                    Assignment.Role.LEAD,
                    True,
                    None if kind == DeadlineKind.ACCEPTANCE else due_at,
                    "",
                    now,
                )
            )
            petition.holder_unit = target
            if kind == DeadlineKind.ACCEPTANCE:
                petition.acceptance_due_at = due_at
            elif kind == DeadlineKind.HANDLING:
                petition.due_at = due_at
                petition.status = Status.ACCEPTED
            petition.current_due_at = due_at
        _insert_rows(
            Assignment, ("petition_id", "unit_id", "role", "active", "due_at", "reply_text", "created_at"), leads
        )
    for row in up + red:
        row[0].version += 1
    _update_escalated_cases([row[0] for row in up + red])

    cache.prime_recipients(
        [row[4] for row in up + red], [row[3] for row in up] + [row[4] for row in red]
    )  # the centres' staff, the supervisors over the late units (and the commissions)
    events, rows = [], []
    sent_now = timezone.now()  # `notify` stamps red-notice notifications when made
    with translation.override(settings.LANGUAGE_CODE):
        for petition, kind, missed, late, target, level in up:
            data = {
                "level": level,
                "kind": kind,
                "missed_due_at": missed.isoformat(),
                "due_at": new_due[petition.pk].isoformat(),
            }
            events.append((petition.pk, Verb.ESCALATED, None, None, late.pk, target.pk, "", False, data, now))
            rows += _notification_rows(
                cache,
                NotificationRoute.Event.ESCALATED,
                petition=petition,
                unit=target,
                region_of=late,
                dedupe_key=f"escalation:{escalation_ids[petition.pk]}",
                now=now,
                url=cache.case_url(petition.pk),
            )
        for (petition, kind, missed, late, commission, level), notice in zip(red, notices, strict=True):
            data = {
                "level": level,
                "kind": kind,
                "missed_due_at": missed.isoformat(),
                "notice": notice.pk,
                "severity": notice.severity,
            }
            events.append((petition.pk, Verb.ESCALATED, None, None, late.pk, commission.pk, "", False, data, now))
            rows += _notification_rows(
                cache,
                NotificationRoute.Event.RED_NOTICE,
                petition=petition,
                unit=commission,
                dedupe_key=f"notice:{notice.pk}",
                now=sent_now,
                url=_notice_url(notice),
            )
    _insert_rows(PetitionEvent, _EVENT_COLUMNS, events)
    if rows:
        # The unique constraints make a second run insert nothing.
        _insert_rows(Notification, _NOTIFICATION_COLUMNS, rows, ignore_conflicts=True)
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
    return len(up) + len(red)
