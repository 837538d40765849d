"""Five-level linkage (五级联动): hand a case down (交办), refer it up (上报), report the result
(报结), accept it as done (认定办结) or return it for re-handling (退回重办); and chase a report
that is late (a reminder, then a red supervision notice from the body that handed it down).

A referral's history is on the case's timeline: every event it writes names it
(`data["referral"]`), so the one append-only table is its audit too.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidState, NotPermitted, StaleVersion
from petitions.deadlines import CHINA, deadline_add, is_working_day
from petitions.models import (
    DayType,
    DeadlineKind,
    NotificationRoute,
    Petition,
    PetitionEvent,
    Referral,
    Source,
    Status,
    SupervisionNotice,
)
from petitions.recusal import unit_recused
from petitions.selectors.referrals import referral_allowed, unit_is_above, unit_is_below
from petitions.services._common import _event, _locked, _move_lead, _record_miss, _require, _require_text, _save
from petitions.services.notices import _notice_url
from petitions.services.notify import notify
from petitions.services.reminders import remind_cutoff
from stations.models import Region, Unit, User

Verb = PetitionEvent.Verb

# How far ahead a report may be due: a year.
MAX_REPORT_DAYS = 366


def report_due_at(report_due: date | None, now: datetime, field: str = "report_due") -> datetime:
    """The end (China time) of the day a report is due: `report_due`, a working day after
    today and within a year, or by default `SUQIU_REFERRAL_REPORT_DAYS` working days from now
    on the holiday calendar."""
    if report_due is None:
        return deadline_add(now, settings.SUQIU_REFERRAL_REPORT_DAYS, DayType.WORKING)
    today = now.astimezone(CHINA).date()
    if report_due <= today:
        raise ValidationError({field: _("The report must be due after today.")})
    if (report_due - today).days > MAX_REPORT_DAYS:
        raise ValidationError({field: _("The report must be due within a year.")})
    if not is_working_day(report_due):
        raise ValidationError(
            {field: _("%(date)s is not a working day: choose a working day.") % {"date": report_due.isoformat()}}
        )
    return datetime.combine(report_due, time.max, tzinfo=CHINA)


def _source_from(level: str) -> str | None:
    return {Region.Level.CITY: Source.CITY, Region.Level.PROVINCE: Source.PROVINCE}.get(level)


def _check_target(petition, unit: Unit | None, *, below: bool) -> Unit:
    if unit is None or not unit.is_active:
        raise ValidationError({"unit": _("Choose an active unit.")})
    holder = petition.holder_unit
    if below and not unit_is_below(unit, holder, petition):
        raise ValidationError({"unit": _("Hand the case down to a unit below yours that covers the case's village.")})
    if not below and not unit_is_above(unit, holder):
        raise ValidationError({"unit": _("Refer the case up to a unit above yours.")})
    if petition.category.confidential:
        # A report against officials goes from commission to commission (纪委): any other
        # unit could not open it, and one the report names must stand aside (回避).
        if unit.kind != Unit.Kind.COMMISSION:
            raise ValidationError({"unit": _("A report against officials goes to a discipline commission.")})
        if unit_recused(unit, petition.accused.all()):
            raise ValidationError({"unit": _("This unit must stand aside: the report names its staff or leadership.")})
    return unit


def _owed_by(petition, unit: Unit) -> Referral | None:
    """The referral this unit owes a report on for the case, if any."""
    return (
        Referral.objects.filter(petition=petition, to_unit=unit, status__in=Referral.OWING)
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def petition_hand_down(
    *,
    petition_id: int,
    actor: User,
    unit: Unit | None,
    report_due: date | None = None,
    instructions: str = "",
    expected_version: int | None = None,
) -> Referral:
    """Hand the case down (交办) to a unit below the one holding it, with instructions and the
    day the result is due (`report_due`, a working day; by default
    `SUQIU_REFERRAL_REPORT_DAYS` working days). The case moves down; the unit that handed it
    down keeps sight of it and decides on the report. A case handed down again names the
    referral it came by (`parent`): each level reports to the one above it."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "hand-down")
    unit = _check_target(petition, unit, below=True)
    now = timezone.now()
    due_at = report_due_at(report_due, now)
    holder = petition.holder_unit
    referral = Referral(
        petition=petition,
        parent=_owed_by(petition, holder),
        from_unit=holder,
        to_unit=unit,
        instructions=(instructions or "").strip(),
        report_due_at=due_at,
        created_by=actor,
        created_at=now,
    )
    referral.full_clean(exclude=["petition", "parent", "from_unit", "to_unit", "created_by"])
    referral.save()
    fields = ["holder_unit"]
    _move_lead(petition, unit, now, petition.due_at)
    if petition.status != Status.REGISTERED:
        petition.status = Status.ACCEPTED if unit.kind == Unit.Kind.INTAKE else Status.IN_PROGRESS
        fields.append("status")
    source = _source_from(holder.region.level)
    if source is not None and petition.source == Source.OWN:
        petition.source = source
        fields.append("source")
    _save(petition, *fields)
    _event(
        petition,
        Verb.HANDED_DOWN,
        actor,
        public=True,
        actor_unit=holder,
        from_unit=holder,
        to_unit=unit,
        note=referral.instructions,
        data={"referral": referral.pk, "report_due_at": due_at.isoformat()},
        created_at=now,
    )
    return referral


@transaction.atomic
def petition_refer_up(
    *, petition_id: int, actor: User, unit: Unit | None, reason: str, expected_version: int | None = None
) -> Petition:
    """Pass the case up (上报) to a unit above the one holding it: beyond this level's remit.
    The unit above holds it from now on; the case counts as referred up, not as filed above
    its level (越级). A case handed down to this unit is reported on instead (报结)."""
    reason = _require_text(reason, "reason", _("Say why the case goes up."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "refer-up")
    unit = _check_target(petition, unit, below=False)
    holder = petition.holder_unit
    owed = _owed_by(petition, holder)
    if owed is not None and owed.from_unit_id == unit.pk:
        raise ValidationError(
            {"unit": _("%(unit)s handed this case down to you: report to it instead.") % {"unit": unit.name}}
        )
    now = timezone.now()
    _move_lead(petition, unit, now, petition.due_at)
    fields = ["holder_unit"]
    if petition.status != Status.REGISTERED:
        petition.status = Status.ACCEPTED if unit.kind == Unit.Kind.INTAKE else Status.IN_PROGRESS
        fields.append("status")
    if petition.source == Source.OWN:
        petition.source = Source.REFERRED_UP
        fields.append("source")
    _save(petition, *fields)
    _event(
        petition,
        Verb.REFERRED_UP,
        actor,
        public=True,
        actor_unit=holder,
        from_unit=holder,
        to_unit=unit,
        note=reason,
        created_at=now,
    )
    return petition


# --- The referral's own verbs ----------------------------------------------------------------------


def _locked_referral(referral_id: int, expected_version: int | None) -> Referral:
    try:
        Referral.objects.select_for_update().only("pk").get(pk=referral_id)
    except Referral.DoesNotExist:
        raise StaleVersion(_("Someone else changed this referral a moment ago. Reload it and try again.")) from None
    referral = Referral.objects.select_related("petition", "from_unit__region", "to_unit__region").get(pk=referral_id)
    if expected_version is not None and referral.version != expected_version:
        raise StaleVersion(_("Someone else changed this referral a moment ago. Reload it and try again."))
    return referral


REFUSALS = {
    "report": _("Only the unit the case was handed down to reports on it."),
    "accept": _("Only the unit that handed the case down decides on the report."),
    "return": _("Only the unit that handed the case down decides on the report."),
}


def _require_referral(actor: User, referral: Referral, verb: str) -> None:
    allowed, possible = referral_allowed(actor, referral)
    if verb in allowed:
        return
    if verb in possible:
        raise NotPermitted(str(REFUSALS[verb]))
    if verb == "report" and referral.owes_report:
        raise InvalidState(
            _("A referral you handed further down waits for its report or your decision: settle it first.")
        )
    raise InvalidState(
        _("The referral is “%(status)s”: you cannot do this now.") % {"status": referral.get_status_display()}
    )


def _save_referral(referral: Referral, *fields: str) -> None:
    referral.version += 1
    referral.save(update_fields=[*fields, "version"])


@transaction.atomic
def referral_report(*, referral_id: int, actor: User, text: str, expected_version: int | None = None) -> Referral:
    """The unit the case was handed down to reports the result (报结) to the unit above."""
    text = _require_text(text, "text", _("Write the report."))
    referral = _locked_referral(referral_id, expected_version)
    _require_referral(actor, referral, "report")
    now = timezone.now()
    referral.status = Referral.Status.REPORTED
    referral.report_text, referral.reported_at, referral.reported_by = text, now, actor
    _save_referral(referral, "status", "report_text", "reported_at", "reported_by")
    petition = referral.petition
    _event(
        petition,
        Verb.REFERRAL_REPORTED,
        actor,
        actor_unit=referral.to_unit,
        from_unit=referral.to_unit,
        to_unit=referral.from_unit,
        note=text,
        data={"referral": referral.pk, "late": now > referral.report_due_at},
        created_at=now,
    )
    return referral


@transaction.atomic
def referral_accept(*, referral_id: int, actor: User, note: str = "", expected_version: int | None = None) -> Referral:
    """The unit that handed the case down accepts the report as done (认定办结)."""
    referral = _locked_referral(referral_id, expected_version)
    _require_referral(actor, referral, "accept")
    now = timezone.now()
    referral.status = Referral.Status.ACCEPTED
    referral.decided_at, referral.decided_by, referral.decision_note = now, actor, (note or "").strip()
    _save_referral(referral, "status", "decided_at", "decided_by", "decision_note")
    _event(
        referral.petition,
        Verb.REFERRAL_ACCEPTED,
        actor,
        actor_unit=referral.from_unit,
        to_unit=referral.to_unit,
        note=referral.decision_note,
        data={"referral": referral.pk},
        created_at=now,
    )
    return referral


@transaction.atomic
def referral_return(
    *,
    referral_id: int,
    actor: User,
    reason: str,
    report_due: date | None = None,
    expected_version: int | None = None,
) -> Referral:
    """The unit that handed the case down returns the report for re-handling (退回重办), with
    the reason and a new due date. The case reopens at the unit below: it holds the case again,
    and a case that was answered or closed is in progress again, due when the report is."""
    reason = _require_text(reason, "reason", _("Say why the report is returned."))
    referral = _locked_referral(referral_id, expected_version)
    _require_referral(actor, referral, "return")
    now = timezone.now()
    due_at = report_due_at(report_due, now)
    petition = _locked(referral.petition_id, None)
    referral.status = Referral.Status.RETURNED
    referral.report_due_at = due_at
    referral.decided_at, referral.decided_by, referral.decision_note = now, actor, reason
    referral.returns += 1
    _save_referral(referral, "status", "report_due_at", "decided_at", "decided_by", "decision_note", "returns")
    fields: list[str] = []
    reopened = petition.status in (Status.REPLIED, Status.CLOSED)
    if petition.holder_unit_id != referral.to_unit_id or reopened:
        _move_lead(petition, referral.to_unit, now, due_at)
        fields.append("holder_unit")
    if reopened:
        # Answered again once re-handled: until then the resident sees no reply time.
        petition.status = Status.IN_PROGRESS
        petition.due_at = petition.current_due_at = due_at
        petition.closed_at = petition.replied_at = None
        fields += ["status", "due_at", "current_due_at", "closed_at", "replied_at"]
    _save(petition, *fields)
    _event(
        petition,
        Verb.REFERRAL_RETURNED,
        actor,
        # The resident sees that the case is being handled again; the reason stays inside.
        public=reopened,
        actor_unit=referral.from_unit,
        from_unit=referral.from_unit,
        to_unit=referral.to_unit,
        note=reason,
        data={"referral": referral.pk, "report_due_at": due_at.isoformat(), "reopened": reopened},
        created_at=now,
    )
    return referral


# --- Chasing a late report (the beat jobs) ---------------------------------------------------------


def _locked_owing(referral_id: int) -> Referral | None:
    referral = (
        Referral.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("petition__category", "from_unit__region", "to_unit__region")
        .filter(pk=referral_id, status__in=Referral.OWING)
        .first()
    )
    return referral


@transaction.atomic
def referral_remind(*, referral_id: int, stage: int, now=None) -> PetitionEvent | None:
    """Remind the unit below that its report is due within `stage` working days (催报), once
    per due date and stage."""
    now = now or timezone.now()
    referral = _locked_owing(referral_id)
    if referral is None or referral.report_due_at < now or referral.report_due_at > remind_cutoff(now, stage):
        return None
    petition = referral.petition
    key = referral.report_due_at.isoformat()
    if petition.events.filter(
        verb=Verb.REMINDED, data__referral=referral.pk, data__due_at=key, data__stage=stage
    ).exists():
        return None
    event = _event(
        petition,
        Verb.REMINDED,
        None,
        actor_unit=referral.from_unit,
        to_unit=referral.to_unit,
        created_at=now,
        data={"kind": DeadlineKind.REFERRAL, "referral": referral.pk, "due_at": key, "stage": stage},
    )
    notify(
        NotificationRoute.Event.REMINDED,
        petition=petition,
        unit=referral.to_unit,
        dedupe_key=f"referral:{referral.pk}:{key}:{stage}",
        now=now,
    )
    return event


@transaction.atomic
def referral_chase(*, referral_id: int, now=None) -> SupervisionNotice | None:
    """A report past its due date: the miss goes on the lower unit's record and the unit that
    handed the case down issues a red supervision notice (红色督办) to it — once per due
    date, however often the sweep runs (the miss's unique row decides)."""
    now = now or timezone.now()
    referral = _locked_owing(referral_id)
    if referral is None or referral.report_due_at >= now:
        return None
    petition = referral.petition
    if not _record_miss(referral.to_unit, petition, DeadlineKind.REFERRAL, referral.report_due_at, now):
        return None
    notice = SupervisionNotice.objects.create(
        petition=petition,
        unit=referral.to_unit,
        severity=SupervisionNotice.Severity.RED,
        text=_("The report on the case handed down by %(unit)s was due on %(date)s and has not come in.")
        % {"unit": referral.from_unit.name, "date": referral.report_due_at.astimezone(CHINA).date().isoformat()},
        issuing_unit=referral.from_unit,
        created_at=now,
        due_at=deadline_add(now, settings.SUQIU_NOTICE_DAYS, DayType.WORKING),
    )
    _event(
        petition,
        Verb.SUPERVISED,
        None,
        actor_unit=referral.from_unit,
        to_unit=referral.to_unit,
        note=notice.text,
        data={"notice": notice.pk, "referral": referral.pk, "due_at": notice.due_at.isoformat(), "red": True},
        created_at=now,
    )
    notify(
        NotificationRoute.Event.NOTICE_ISSUED,
        petition=petition,
        unit=referral.to_unit,
        dedupe_key=f"notice:{notice.pk}",
        url=_notice_url(notice),
        now=now,
    )
    return notice
