"""Supervision notices (督办单) over the API: a supervisor issues one, the unit opens it (the
read time is kept) and answers it; an unanswered one goes on the unit's record and on the
commission's list after its deadline."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from petitions import services, tasks
from petitions.deadlines import CHINA
from petitions.models import DeadlineMiss, Notification, PetitionEvent, SupervisionNotice
from tests.clock import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_routes")]
URL = "/api/v1/supervision-notices/"


@pytest.fixture(autouse=True)
def calendar_2026(db):
    services.holidays_sync(years=[2026])


def test_a_supervisor_issues_a_notice_the_unit_opens_and_answers_it(world, register, api):
    with time_machine.travel(at(2026, 9, 24, 10, 0), tick=False):
        case = register().petition
        api.force_authenticate(world.users["supervisor"])
        answer = api.post(URL, {"petition": case.pk, "text": "请三日内说明未受理原因", "days": 3}, format="json")
    assert answer.status_code == 201, answer.json()
    notice = SupervisionNotice.objects.get(pk=answer.json()["id"])
    assert notice.unit == world.units["east_centre"] and notice.issued_by == world.users["supervisor"]
    assert notice.due_at == datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=CHINA)  # 28, 29, 30 Sep
    issued = PetitionEvent.objects.get(petition=case, verb="supervised")
    assert issued.to_unit == world.units["east_centre"] and issued.data["notice"] == notice.pk
    assert Notification.objects.filter(kind="notice_issued", channel="in_app", user=world.users["handler"]).exists()

    # The supervisor looking at it does not count as the unit reading it.
    assert api.get(f"{URL}{notice.pk}/").json()["read_at"] is None
    api.force_authenticate(world.users["handler"])
    with time_machine.travel(at(2026, 9, 28, 9, 0), tick=False):
        assert api.get(f"{URL}{notice.pk}/").json()["read_at"] is not None
    notice.refresh_from_db()
    assert notice.read_at == at(2026, 9, 28, 9, 0) and notice.read_by == world.users["handler"]
    assert PetitionEvent.objects.filter(petition=case, verb="notice_read").count() == 1
    api.get(f"{URL}{notice.pk}/")
    assert PetitionEvent.objects.filter(petition=case, verb="notice_read").count() == 1

    refused = api.post(f"{URL}{notice.pk}/answer/", {"answer": ""}, format="json")
    assert refused.status_code == 400
    answered = api.post(f"{URL}{notice.pk}/answer/", {"answer": "已于今日受理。"}, format="json")
    assert answered.status_code == 200 and answered.json()["answered_at"]
    assert api.post(f"{URL}{notice.pk}/answer/", {"answer": "again"}, format="json").status_code == 409
    assert PetitionEvent.objects.get(petition=case, verb="notice_answered").note == "已于今日受理。"
    with time_machine.travel(at(2026, 10, 9, 9, 0), tick=False):
        assert tasks.mark_unanswered_notices() == 0
    assert not DeadlineMiss.objects.exists()


def test_only_a_supervisor_of_the_region_may_issue_and_outsiders_see_nothing(world, register, api):
    case = register().petition
    api.force_authenticate(world.users["handler"])
    assert api.post(URL, {"petition": case.pk, "text": "督办"}, format="json").status_code == 403
    api.force_authenticate(world.users["foreign_supervisor"])
    assert api.post(URL, {"petition": case.pk, "text": "督办"}, format="json").status_code == 404
    notice = services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="督办")
    assert api.get(f"{URL}{notice.pk}/").status_code == 404
    api.force_authenticate(world.users["other_clerk"])
    assert api.get(URL).json()["results"] == []


def test_an_unanswered_notice_goes_on_the_record_and_the_commissions_list(world, register, api):
    with time_machine.travel(at(2026, 9, 24, 10, 0), tick=False):
        case = register().petition
        notice = services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="督办", days=3)
    api.force_authenticate(world.users["supervisor"])
    with time_machine.travel(at(2026, 9, 30, 23, 0), tick=False):
        assert tasks.mark_unanswered_notices() == 0
        assert api.get(URL, {"overdue": "true"}).json()["results"] == []
    with time_machine.travel(at(2026, 10, 1, 0, 30), tick=False):
        assert tasks.mark_unanswered_notices() == 1
        assert tasks.mark_unanswered_notices() == 0
        listed = api.get(URL, {"overdue": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [notice.pk]
    miss = DeadlineMiss.objects.get()
    assert (miss.unit, miss.kind, miss.petition) == (world.units["east_centre"], "notice", case)
    told = Notification.objects.filter(kind="notice_missed", channel="in_app").values_list("user__username", flat=True)
    assert sorted(told) == ["inspector", "supervisor"]  # the county commission's staff


def test_issuing_on_a_missing_case_and_on_another_countys_case_look_the_same(api, world, register):
    theirs = register(actor="foreign_clerk", region=world.region("北一村")).petition
    api.force_authenticate(world.users["supervisor"])
    missing = api.post(URL, {"petition": theirs.pk + 1000, "text": "请核查"}, format="json")
    hidden = api.post(URL, {"petition": theirs.pk, "text": "请核查"}, format="json")
    assert missing.status_code == hidden.status_code == 404
    assert missing.json() == hidden.json()
