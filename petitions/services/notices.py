"""Supervision notices (督办单): issue, open, answer, mark unanswered."""

from __future__ import annotations

from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidState, NotPermitted
from petitions.deadlines import CHINA, deadline_add
from petitions.models import (
    DayType,
    DeadlineKind,
    NotificationRoute,
    PetitionEvent,
    SupervisionNotice,
)
from petitions.selectors import (
    can_issue_notice,
    notice_member_roles,
)
from petitions.services._common import _event, _locked, _record_miss, _require_text, _save
from petitions.services.notify import notify
from stations.models import Unit, User
from stations.selectors import scope_for

Verb = PetitionEvent.Verb

# --- Supervision notices (督办单) ---------------------------------------------------------------


def _notice_url(notice: SupervisionNotice) -> str:
    from django.urls import reverse

    return reverse("petitions:notice", kwargs={"notice_id": notice.pk})


def _locked_notice(notice_id: int) -> SupervisionNotice:
    return (
        SupervisionNotice.objects.select_for_update(of=("self",))
        .select_related("petition", "unit__region")
        .get(pk=notice_id)
    )


@transaction.atomic
def notice_issue(
    *,
    petition_id: int,
    actor: User,
    text: str,
    unit: Unit | None = None,
    days: int | None = None,
    due_on: date | None = None,
    expected_version: int | None = None,
) -> SupervisionNotice:
    """A supervisor issues a supervision notice (督办单) to a unit about a case (by default the
    unit holding it): the unit must answer in writing within `days` working days, or by the
    end of `due_on` (China time) when a date is given instead."""
    text = _require_text(text, "text", _("Say what the unit must do."))
    petition = _locked(petition_id, expected_version)
    if not can_issue_notice(actor, petition):
        raise NotPermitted(_("Only a supervisor of the case's region can issue a supervision notice."))
    unit = unit or petition.holder_unit
    if not unit.is_active or not unit.region.code.startswith(petition.region_code[:6]):
        raise ValidationError({"unit": _("Choose an active unit of the case's county.")})
    now = timezone.now()
    if due_on is not None:
        due_at = datetime.combine(due_on, time.max, tzinfo=CHINA)
        # The same bounds as a count of days: after today, within 30 working days.
        if due_on <= now.astimezone(CHINA).date() or due_at > deadline_add(now, 30, DayType.WORKING):
            raise ValidationError({"due_on": _("The answer is due in 1 to 30 working days.")})
    else:
        days = settings.SUQIU_NOTICE_DAYS if days is None else days
        if not isinstance(days, int) or not 1 <= days <= 30:
            raise ValidationError({"days": _("The answer is due in 1 to 30 working days.")})
        due_at = deadline_add(now, days, DayType.WORKING)
    scope = scope_for(actor)
    issuing = next(
        (
            Unit.objects.get(pk=unit_id)
            for unit_id, roles in scope.unit_roles.items()
            if roles & {"supervisor", "leader"}
        ),
        None,
    )
    notice = SupervisionNotice(
        petition=petition,
        unit=unit,
        text=text,
        issued_by=actor,
        issuing_unit=issuing,
        created_at=now,
        due_at=due_at,
    )
    notice.full_clean()
    notice.save()
    _event(
        petition,
        Verb.SUPERVISED,
        actor,
        actor_unit=issuing,
        to_unit=unit,
        note=text,
        data={"notice": notice.pk, "due_at": notice.due_at.isoformat()},
    )
    _save(petition)
    notify(
        NotificationRoute.Event.NOTICE_ISSUED,
        petition=petition,
        unit=unit,
        dedupe_key=f"notice:{notice.pk}",
        url=_notice_url(notice),
    )
    return notice


@transaction.atomic
def notice_open(*, notice_id: int, actor: User) -> SupervisionNotice:
    """Record when the unit first opened the notice (签收): the first of its staff to open it.
    Opening it again, or anyone else opening it, records nothing."""
    notice = _locked_notice(notice_id)
    if notice.read_at is None and notice_member_roles(actor, notice):
        notice.read_at, notice.read_by = timezone.now(), actor
        notice.save(update_fields=["read_at", "read_by"])
        _event(notice.petition, Verb.NOTICE_READ, actor, actor_unit=notice.unit, data={"notice": notice.pk})
    return notice


@transaction.atomic
def notice_answer(*, notice_id: int, actor: User, text: str) -> SupervisionNotice:
    """The unit answers the notice with a written explanation (书面说明), once. A late answer
    is taken; the miss stays on the unit's record."""
    text = _require_text(text, "answer", _("Write the explanation."))
    notice = _locked_notice(notice_id)
    if not notice_member_roles(actor, notice) & {"clerk", "handler", "leader", "supervisor"}:
        raise NotPermitted(_("Only the staff of the unit the notice is addressed to can answer it."))
    if notice.answered_at is not None:
        raise InvalidState(_("This notice has already been answered."))
    now = timezone.now()
    if notice.read_at is None:
        notice.read_at, notice.read_by = now, actor
    notice.answer, notice.answered_at, notice.answered_by = text, now, actor
    notice.full_clean()
    notice.save(update_fields=["read_at", "read_by", "answer", "answered_at", "answered_by"])
    _event(notice.petition, Verb.NOTICE_ANSWERED, actor, actor_unit=notice.unit, note=text, data={"notice": notice.pk})
    notify(
        NotificationRoute.Event.NOTICE_ANSWERED,
        petition=notice.petition,
        unit=notice.unit,
        dedupe_key=f"notice:{notice.pk}",
        staff=False,
        url=_notice_url(notice),
    )
    return notice


@transaction.atomic
def notice_mark_unanswered(*, notice_id: int, now=None) -> bool:
    """A notice whose deadline passed unanswered goes on the unit's record and to the
    commission's list, once (claimed with a conditional update)."""
    now = now or timezone.now()
    claimed = SupervisionNotice.objects.filter(pk=notice_id, answered_at=None, missed_at=None, due_at__lt=now).update(
        missed_at=now
    )
    if not claimed:
        return False
    notice = SupervisionNotice.objects.select_related("petition", "unit").get(pk=notice_id)
    _record_miss(notice.unit, notice.petition, DeadlineKind.NOTICE, notice.due_at, now)
    notify(
        NotificationRoute.Event.NOTICE_MISSED,
        petition=notice.petition,
        unit=notice.unit,
        dedupe_key=f"notice:{notice.pk}",
        now=now,
        url=_notice_url(notice),
    )
    return True
