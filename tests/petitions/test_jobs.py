"""The jobs that keep every case moving, on a frozen clock across 2026's Mid-Autumn and
National Day holidays (Fri 25 – Sun 27 Sep and Thu 1 – Wed 7 Oct off; Sun 20 Sep and
Sat 10 Oct worked). Each job is run twice: the second run changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.core import mail

from petitions import services, tasks
from petitions.deadlines import deadline_add
from petitions.models import (
    Assignment,
    DeadlineMiss,
    Escalation,
    Notification,
    PetitionEvent,
    Satisfaction,
    Status,
    SupervisionNotice,
)
from tests.clock import at, end_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_routes")]


@pytest.fixture(autouse=True)
def calendar_2026(db):
    services.holidays_sync(years=[2026])


def in_app(kind: str, user=None, petition=None):
    rows = Notification.objects.filter(kind=kind, channel="in_app")
    if user is not None:
        rows = rows.filter(user=user)
    if petition is not None:
        rows = rows.filter(petition=petition)
    return rows


# --- Escalation -------------------------------------------------------------------------------


def test_an_unaccepted_case_climbs_to_the_county_then_becomes_a_red_notice(world, register):
    units, supervisor = world.units, world.users["supervisor"]
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = register().petition
    # 15 working days, skipping the Mid-Autumn and National Day breaks, counting Sat 10 Oct.
    assert case.acceptance_due_at == end_of(2026, 10, 19)
    assert case.holder_unit == units["east_centre"]

    with time_machine.travel(at(2026, 10, 19, 23, 0), tick=False):
        assert tasks.escalate_overdue() == 0

    with time_machine.travel(at(2026, 10, 20, 9, 0), tick=False):
        assert tasks.escalate_overdue() == 1
        assert tasks.escalate_overdue() == 0  # a re-run (or a second worker) does nothing
    case.refresh_from_db()
    assert case.holder_unit == units["county_centre"]
    assert case.status == Status.REGISTERED  # the county centre now decides acceptance
    assert case.acceptance_due_at == case.current_due_at == end_of(2026, 11, 10)
    lead = Assignment.objects.get(petition=case, role="lead", active=True)
    assert lead.unit == units["county_centre"]
    event = PetitionEvent.objects.get(petition=case, verb="escalated")
    assert (event.actor, event.from_unit, event.to_unit) == (None, units["east_centre"], units["county_centre"])
    assert event.data["level"] == "county" and event.data["kind"] == "acceptance"
    miss = DeadlineMiss.objects.get(petition=case)
    assert (miss.unit, miss.kind, miss.due_at) == (units["east_centre"], "acceptance", end_of(2026, 10, 19))
    told = in_app("escalated", petition=case)
    assert [n.user for n in told] == [supervisor]  # the county's supervisor; not the other county's
    assert case.tracking_number in told[0].title and "字红梅" not in told[0].title + told[0].body

    # Overdue again at the county: nowhere higher to go, so a red notice to the commission.
    with time_machine.travel(at(2026, 11, 11, 9, 0), tick=False):
        assert tasks.escalate_overdue() == 1
        assert tasks.escalate_overdue() == 0
    case.refresh_from_db()
    assert case.holder_unit == units["county_centre"]
    notice = SupervisionNotice.objects.get(petition=case)
    assert (notice.unit, notice.severity, notice.issued_by) == (units["county_commission"], "red", None)
    assert notice.due_at == end_of(2026, 11, 18)  # 5 working days
    assert list(Escalation.objects.filter(petition=case).values_list("level", flat=True)) == ["county", "commission"]
    assert PetitionEvent.objects.filter(petition=case, verb="escalated").count() == 2
    assert DeadlineMiss.objects.filter(petition=case, unit=units["county_centre"]).count() == 1
    # The county commission's staff hear of it: its supervisor and its inspector.
    assert {n.user for n in in_app("red_notice", petition=case)} == {supervisor, world.users["inspector"]}


def test_an_overdue_case_at_a_village_station_goes_to_its_township_centre(world, register):
    units, handler = world.units, world.users["handler"]
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = register().petition
        services.petition_accept(petition_id=case.pk, actor=handler)
        services.petition_assign(petition_id=case.pk, actor=handler, unit=units["east1_desk"])
    case.refresh_from_db()
    assert case.holder_unit == units["east1_desk"] and case.status == Status.IN_PROGRESS
    now = deadline_add(case.due_at, 1, "working").replace(hour=9, minute=0, second=0, microsecond=0)
    with time_machine.travel(now, tick=False):
        assert tasks.escalate_overdue() == 1
    case.refresh_from_db()
    assert case.holder_unit == units["east_centre"]
    assert case.status == Status.ACCEPTED  # the centre answers it or routes it again
    assert case.due_at == case.current_due_at == deadline_add(now, 60, "working")
    assert Escalation.objects.get(petition=case).level == "township"
    assert DeadlineMiss.objects.get(petition=case).kind == "handling"
    assert PetitionEvent.objects.get(petition=case, verb="escalated").data["kind"] == "handling"
    # The centre's own staff are told the case is back with them.
    assert {n.user.username for n in in_app("escalated", petition=case)} == {"handler", "leader", "supervisor"}


def test_a_case_escalated_to_a_level_once_goes_past_it_when_overdue_there_again(world, register):
    units, handler = world.units, world.users["handler"]
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = register().petition
        services.petition_accept(petition_id=case.pk, actor=handler)
        services.petition_assign(petition_id=case.pk, actor=handler, unit=units["east_finance"])
    case.refresh_from_db()
    first = deadline_add(case.due_at, 1, "working")
    with time_machine.travel(first, tick=False):
        tasks.escalate_overdue()
    case.refresh_from_db()
    assert case.holder_unit == units["county_centre"]
    # The county centre hands it back down; the township lets it lapse again.
    Escalation.objects.create(
        petition=case, level="township", kind="handling", from_unit=units["east1_desk"], missed_due_at=first
    )
    with time_machine.travel(first, tick=False):
        services.petition_transfer(petition_id=case.pk, actor=world.users["root"], unit=units["east_finance"])
    case.refresh_from_db()
    with time_machine.travel(deadline_add(case.current_due_at, 1, "working"), tick=False):
        assert tasks.escalate_overdue() == 1
    assert Escalation.objects.filter(petition=case, level="county").count() == 1
    assert SupervisionNotice.objects.get(petition=case).severity == "red"


# --- Reminders --------------------------------------------------------------------------------


def test_reminders_three_working_days_before_and_on_the_day_skip_the_holidays(world, register):
    handler, leader = world.users["handler"], world.users["leader"]
    with time_machine.travel(at(2026, 9, 10, 10, 0), tick=False):
        case = register().petition
    # Counting Sun 20 Sep (worked) and skipping 25–27 Sep: due Thu 8 Oct.
    assert case.acceptance_due_at == end_of(2026, 10, 8)

    with time_machine.travel(at(2026, 9, 27, 8, 0), tick=False):  # 28, 29, 30 Sep: not yet
        assert tasks.remind_due_soon() == 0
    with time_machine.travel(at(2026, 9, 28, 8, 0), tick=False):  # 29, 30 Sep, 8 Oct: 3 working days
        assert tasks.remind_due_soon() == 1
        assert tasks.remind_due_soon() == 0
    reminder = PetitionEvent.objects.get(petition=case, verb="reminded")
    assert (reminder.data["kind"], reminder.data["stage"]) == ("acceptance", 3)
    assert datetime.fromisoformat(reminder.data["due_at"]) == end_of(2026, 10, 8)
    assert reminder.to_unit == world.units["east_centre"] and reminder.actor is None
    assert {n.user for n in in_app("reminded", petition=case)} == {handler, leader}
    case.refresh_from_db()
    assert case.version == 1  # a reminder changes nothing on the case row

    with time_machine.travel(at(2026, 10, 2, 8, 0), tick=False):  # National Day: nothing new
        assert tasks.remind_due_soon() == 0
    with time_machine.travel(at(2026, 10, 8, 8, 0), tick=False):  # the day itself
        assert tasks.remind_due_soon() == 1
        assert tasks.remind_due_soon() == 0
    stages = sorted(e.data["stage"] for e in PetitionEvent.objects.filter(petition=case, verb="reminded"))
    assert stages == [0, 3]
    assert in_app("reminded", user=handler, petition=case).count() == 2


# --- Closing unrated replies ---------------------------------------------------------------------


def test_a_reply_nobody_rates_is_closed_as_no_response_when_the_window_passes(world, register):
    handler, clerk = world.users["handler"], world.users["clerk"]
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = register().petition
        services.petition_accept(petition_id=case.pk, actor=handler)
        services.petition_reply(petition_id=case.pk, actor=handler, text="已修复村道。")
    window_end = deadline_add(at(2026, 9, 21, 10, 0), 30, "working")
    assert window_end == end_of(2026, 11, 9)  # 30 working days, the National Day week not counted
    with time_machine.travel(at(2026, 11, 9, 23, 0), tick=False):
        assert tasks.close_unrated_replies() == 0
    with time_machine.travel(at(2026, 11, 10, 2, 0), tick=False):
        assert tasks.close_unrated_replies() == 1
        assert tasks.close_unrated_replies() == 0
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == Satisfaction.NO_RESPONSE
    assert case.closed_at == at(2026, 11, 10, 2, 0)
    closed = PetitionEvent.objects.get(petition=case, verb="closed")
    assert closed.actor is None and closed.data == {"satisfaction": "no_response"} and closed.public
    assert in_app("closed_no_response", petition=case).get().user == clerk


def test_a_rated_reply_is_not_closed_by_the_job(world, register):
    handler = world.users["handler"]
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = register().petition
        services.petition_accept(petition_id=case.pk, actor=handler)
        services.petition_reply(petition_id=case.pk, actor=handler, text="已修复村道。")
        services.petition_rate(petition_id=case.pk, actor=None, satisfaction="unsatisfied")
        services.petition_request_review(petition_id=case.pk, actor=None, reason="没修好")
    with time_machine.travel(at(2026, 12, 30, 2, 0), tick=False):
        assert tasks.close_unrated_replies() == 0
    case.refresh_from_db()
    assert case.status == Status.UNDER_REVIEW


# --- Co-handling units and extension requests ---------------------------------------------------


def test_an_overdue_co_handling_unit_is_chased_once_and_the_miss_is_on_its_record(world, register):
    units, handler = world.units, world.users["handler"]
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = register().petition
        services.petition_accept(petition_id=case.pk, actor=handler)
        services.petition_assign(
            petition_id=case.pk, actor=handler, unit=units["east_finance"], co_units=[units["civil_affairs"]]
        )
    case.refresh_from_db()
    with time_machine.travel(case.due_at, tick=False):
        assert tasks.chase_co_handling_units() == 0
    later = deadline_add(case.due_at, 1, "working")
    with time_machine.travel(later, tick=False):
        assert tasks.chase_co_handling_units() == 1
        assert tasks.chase_co_handling_units() == 0
    miss = DeadlineMiss.objects.get(petition=case)
    assert (miss.unit, miss.kind) == (units["civil_affairs"], "co_handling")
    event = PetitionEvent.objects.get(petition=case, verb="reminded")
    assert event.to_unit == units["civil_affairs"] and event.data["co_unit"] == units["civil_affairs"].pk
    assert in_app("co_overdue", petition=case).get().user == world.users["dept_handler"]


def test_an_extension_request_waiting_on_supervisors_is_chased_after_two_working_days(world, register):
    handler, supervisor = world.users["handler"], world.users["supervisor"]
    with time_machine.travel(at(2026, 9, 24, 10, 0), tick=False):  # Thursday before Mid-Autumn
        case = register().petition
        services.petition_accept(petition_id=case.pk, actor=handler)
        services.petition_request_extension(petition_id=case.pk, actor=handler, days=10, reason="需现场勘查")
    with time_machine.travel(at(2026, 9, 29, 9, 0), tick=False):  # two working days are 28 and 29 Sep
        assert tasks.chase_pending_extensions() == 0
    with time_machine.travel(at(2026, 9, 30, 9, 0), tick=False):
        assert tasks.chase_pending_extensions() == 1
        assert tasks.chase_pending_extensions() == 0
    assert in_app("extension_waiting", petition=case).get().user == supervisor
    assert PetitionEvent.objects.get(petition=case, verb="reminded").data["kind"] == "extension"


# --- Sending SMS and e-mail -----------------------------------------------------------------------


def test_sms_and_email_are_sent_once_through_the_configured_backends(world, register, settings, caplog):
    settings.SUQIU_EMAIL_BACKEND = "petitions.notifications.DjangoEmailBackend"
    handler = world.users["handler"]
    handler.phone, handler.email = "13900139000", "handler@example.org"
    handler.save()
    from petitions.models import NotificationRoute

    NotificationRoute.objects.filter(event="reminded", channel="email").delete()
    NotificationRoute.objects.create(event="reminded", audience="holder_unit_staff", channel="email")
    with time_machine.travel(at(2026, 9, 10, 10, 0), tick=False):
        case = register().petition
    with time_machine.travel(at(2026, 10, 8, 8, 0), tick=False):
        tasks.remind_due_soon()
    sms = Notification.objects.get(petition=case, user=handler, channel="sms")
    email = Notification.objects.get(petition=case, user=handler, channel="email")
    with caplog.at_level("INFO", logger="suqiu.notifications"):
        assert tasks.send_notification(sms.pk) is True
        assert tasks.send_notification(sms.pk) is False  # a retry after success sends nothing
    assert "139***" in caplog.text and "13900139000" not in caplog.text
    assert tasks.send_notification(email.pk) is True
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["handler@example.org"]
    assert case.tracking_number in mail.outbox[0].subject
    sms.refresh_from_db()
    assert sms.sent_at is not None
    # The leader has no phone: nothing to send, and the row stays unsent.
    leader_sms = Notification.objects.get(petition=case, user=world.users["leader"], channel="sms")
    assert tasks.send_notification(leader_sms.pk) is False
