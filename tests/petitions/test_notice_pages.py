"""Supervision notices (督办单) and notifications on the staff pages: a supervisor issues a notice
from the case page, the unit opens and answers it, the commission sees what went unanswered,
and the bell counts what is unread."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine

from petitions import services
from petitions.deadlines import CHINA
from petitions.models import Notification, PetitionEvent, SupervisionNotice
from tests.clock import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_routes")]


@pytest.fixture(autouse=True)
def calendar_2026(db):
    services.holidays_sync(years=[2026])


def as_user(client, user):
    client.force_login(user)
    return client


def issue_form(case, **overrides) -> dict:
    data = {
        "version": case.version,
        "unit": case.holder_unit_id,
        "days": "3",
        "due_on": "",
        "text": "请三日内说明未受理原因",
    }
    data.update(overrides)
    return data


def test_a_supervisor_issues_a_notice_and_the_unit_opens_and_answers_it(world, register, client):
    with time_machine.travel(at(2026, 9, 24, 10, 0), tick=False):
        case = register().petition
        as_user(client, world.users["supervisor"])
        page = client.get(f"/staff/cases/{case.pk}/").content.decode()
        assert 'id="action-supervise"' in page
        # The holding unit is chosen by default.
        assert re.search(rf'<option value="{case.holder_unit_id}" selected>', page)
        response = client.post(f"/staff/cases/{case.pk}/supervise/", issue_form(case))
    assert response.status_code == 302
    notice = SupervisionNotice.objects.get()
    assert notice.unit == world.units["east_centre"] and notice.issued_by == world.users["supervisor"]
    assert notice.due_at == datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=CHINA)  # 28, 29, 30 Sep
    event = PetitionEvent.objects.get(petition=case, verb="supervised")
    assert event.to_unit == world.units["east_centre"] and event.data["notice"] == notice.pk
    # The supervisor looking at the notice is not the unit reading it (signed in again: the
    # session began in the frozen past and has expired).
    as_user(client, world.users["supervisor"])
    assert client.get(f"/staff/notices/{notice.pk}/").status_code == 200
    notice.refresh_from_db()
    assert notice.read_at is None

    handler = as_user(client, world.users["handler"])
    listed = handler.get("/staff/notices/").content.decode()
    assert f'data-notice="{notice.pk}"' in listed and 'data-unread="1"' in listed
    with time_machine.travel(at(2026, 9, 28, 9, 0), tick=False):
        page = as_user(client, world.users["handler"]).get(f"/staff/notices/{notice.pk}/").content.decode()
    assert 'id="answer-form"' in page
    as_user(client, world.users["handler"])
    notice.refresh_from_db()
    assert notice.read_at == at(2026, 9, 28, 9, 0) and notice.read_by == world.users["handler"]
    handler.get(f"/staff/notices/{notice.pk}/")
    assert PetitionEvent.objects.filter(petition=case, verb="notice_read").count() == 1

    response = handler.post(f"/staff/notices/{notice.pk}/answer/", {"answer": "已于今日受理。"})
    assert response.status_code == 302 and response["Location"] == f"/staff/notices/{notice.pk}/"
    notice.refresh_from_db()
    assert notice.answer == "已于今日受理。" and notice.answered_by == world.users["handler"]
    assert PetitionEvent.objects.get(petition=case, verb="notice_answered").note == "已于今日受理。"
    page = handler.get(f"/staff/notices/{notice.pk}/").content.decode()
    assert 'id="notice-answer"' in page and 'id="answer-form"' not in page
    # A second answer is refused with a message; nothing changes.
    response = handler.post(f"/staff/notices/{notice.pk}/answer/", {"answer": "again"}, follow=True)
    assert "已于今日受理。" in response.content.decode()
    assert PetitionEvent.objects.filter(verb="notice_answered").count() == 1


def test_the_notice_form_takes_a_date_and_shows_errors_next_to_the_fields(world, register, client):
    with time_machine.travel(at(2026, 9, 24, 10, 0), tick=False):
        case = register().petition
        as_user(client, world.users["supervisor"])
        response = client.post(f"/staff/cases/{case.pk}/supervise/", issue_form(case, text=" "))
        assert response.status_code == 200 and 'id="field-supervise-text"' in response.content.decode()
        response = client.post(f"/staff/cases/{case.pk}/supervise/", issue_form(case, due_on="2026-09-24"))
        page = response.content.decode()
        assert response.status_code == 200 and re.search(r'id="field-supervise-due_on">.*?field-error', page, re.S)
        assert not SupervisionNotice.objects.exists()
        response = client.post(f"/staff/cases/{case.pk}/supervise/", issue_form(case, days="", due_on="2026-10-09"))
    assert response.status_code == 302
    assert SupervisionNotice.objects.get().due_at == datetime(2026, 10, 9, 23, 59, 59, 999999, tzinfo=CHINA)


def test_only_supervisors_see_the_notice_form(world, register, client):
    case = register().petition
    as_user(client, world.users["handler"])
    assert 'id="action-supervise"' not in client.get(f"/staff/cases/{case.pk}/").content.decode()
    response = client.post(f"/staff/cases/{case.pk}/supervise/", issue_form(case), follow=True)
    assert not SupervisionNotice.objects.exists()
    assert response.redirect_chain and 'class="error"' in response.content.decode()


def test_an_empty_answer_is_refused_next_to_the_field_and_saves_nothing(world, register, client):
    case = register().petition
    notice = services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="督办")
    as_user(client, world.users["handler"])
    response = client.post(f"/staff/notices/{notice.pk}/answer/", {"answer": "   "})
    assert response.status_code == 200
    assert re.search(r'id="field-answer-answer">.*?class="field-error"', response.content.decode(), re.S)
    notice.refresh_from_db()
    assert notice.answered_at is None and notice.answer == ""
    assert not PetitionEvent.objects.filter(verb="notice_answered").exists()


def test_an_unanswered_notice_appears_on_the_commissions_overdue_list(world, register, client):
    with time_machine.travel(at(2026, 9, 24, 10, 0), tick=False):
        case = register().petition
        notice = services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="督办", days=3)
    with time_machine.travel(at(2026, 9, 30, 23, 0), tick=False):
        as_user(client, world.users["supervisor"])
        assert 'id="notices-empty"' in client.get("/staff/notices/overdue/").content.decode()
    with time_machine.travel(at(2026, 10, 1, 0, 30), tick=False):
        as_user(client, world.users["supervisor"])
        page = client.get("/staff/notices/overdue/").content.decode()
        assert f'data-notice="{notice.pk}"' in page and 'data-overdue="1"' in page
        assert 'data-overdue="1"' in client.get("/staff/notices/").content.decode()
    # The late unit's handler does not get the commission's list.
    with time_machine.travel(at(2026, 10, 1, 0, 30), tick=False):
        as_user(client, world.users["handler"])
        assert 'id="notices-empty"' in client.get("/staff/notices/overdue/").content.decode()


def test_a_user_of_another_township_gets_404_on_the_notice(world, register, client):
    case = register().petition
    notice = services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="督办")
    for name in ("other_clerk", "foreign_supervisor"):
        as_user(client, world.users[name])
        assert client.get(f"/staff/notices/{notice.pk}/").status_code == 404
        assert client.post(f"/staff/notices/{notice.pk}/answer/", {"answer": "x"}).status_code == 404
        assert f'data-notice="{notice.pk}"' not in client.get("/staff/notices/").content.decode()
    notice.refresh_from_db()
    assert notice.read_at is None and notice.answered_at is None


def test_the_bell_counts_unread_notifications_and_marking_read_clears_them(world, register, client):
    case = register().petition
    first = services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="督办一")
    services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="督办二")
    handler = world.users["handler"]
    assert Notification.objects.filter(user=handler, channel="in_app", read_at=None).count() == 2
    as_user(client, handler)
    page = client.get("/staff/queue/").content.decode()
    assert re.search(r'id="bell-count">2<', page)

    listed = client.get("/staff/notifications/").content.decode()
    assert listed.count('class="card notification is-unread"') == 2
    one = Notification.objects.get(user=handler, channel="in_app", dedupe_key=f"notice:{first.pk}")
    # The notification leads to the notice; opening it marks it read.
    response = client.post(f"/staff/notifications/{one.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == f"/staff/notices/{first.pk}/"
    one.refresh_from_db()
    assert one.read_at is not None
    assert re.search(r'id="bell-count">1<', client.get("/staff/queue/").content.decode())

    # Someone else's notification is not found; nothing of theirs is marked.
    theirs = Notification.objects.filter(channel="in_app").exclude(user=handler).first()
    if theirs is not None:
        assert client.post(f"/staff/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/staff/notifications/{one.pk}/read/").status_code == 405

    response = client.post("/staff/notifications/read/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=handler, channel="in_app", read_at=None).exists()
    assert 'id="bell-count"' not in client.get("/staff/queue/").content.decode()


def test_the_lists_keep_their_query_counts(world, register, client, django_assert_max_num_queries):
    case = register().petition
    for n in range(30):
        services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text=f"督办 {n}")
    for name in ("handler", "supervisor"):
        as_user(client, world.users[name])
        # session, user, the 2FA check, memberships, notices (with case and units), the bell;
        # a unit's staff: their unit
        with django_assert_max_num_queries(7):
            page = client.get("/staff/notices/").content.decode()
        assert page.count("data-notice=") == 30
    with django_assert_max_num_queries(7):
        page = client.get("/staff/notices/overdue/").content.decode()
    as_user(client, world.users["handler"])
    with django_assert_max_num_queries(7):
        page = client.get("/staff/notifications/").content.decode()
    assert page.count("data-notification=") == 30
