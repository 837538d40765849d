"""`received_at`: when a grievance reached a desk, apart from when it was registered. The
acceptance deadline counts from it; the future is refused, and a grievance received longer ago
than the window (90 days) needs the reason it is registered only now; nothing is saved then."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from petitions import services
from petitions.models import Petition, PetitionEvent
from tests.clock import at, end_of
from tests.factories import walk_in
from tests.tokens import token_headers

pytestmark = pytest.mark.django_db

CASES = "/api/v1/petitions/"


@pytest.fixture(autouse=True)
def calendar(db):
    services.holidays_sync(years=[2026])


def test_a_case_received_at_the_village_before_national_day_counts_its_deadline_from_then(client, world, categories):
    headers = token_headers(world.users["clerk"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        body = walk_in(world, received_at="2026-09-28T15:30:00+08:00")
        response = client.post(CASES, body, content_type="application/json", **headers)
    assert response.status_code == 201, response.json()
    case = Petition.objects.get()
    assert case.received_at == at(2026, 9, 28, 15, 30) and case.created_at == at(2026, 10, 12, 9, 0)
    # 15 working days from 28 Sep, National Day (1-7 Oct) off, 10 Oct worked: 23 Oct.
    assert case.acceptance_due_at == end_of(2026, 10, 23) == case.current_due_at
    assert response.json()["received_at"] == "2026-09-28T15:30:00+08:00"
    assert case.days_registered_late == 13
    event = PetitionEvent.objects.get(petition=case, verb="registered")
    assert event.data["received_at"] == at(2026, 9, 28, 15, 30).isoformat()


def test_without_received_at_it_is_now(client, world, categories):
    headers = token_headers(world.users["clerk"])
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        assert client.post(CASES, walk_in(world), content_type="application/json", **headers).status_code == 201
    case = Petition.objects.get()
    assert case.received_at == case.created_at == at(2026, 10, 12, 9, 0) and case.days_registered_late == 0


@pytest.mark.parametrize(
    "received, reason, field, message",
    [
        ("2026-10-13T09:00:00+08:00", "", "received_at", "未来"),
        ("2026-07-01T09:00:00+08:00", "", "late_reason", "90"),
    ],
)
def test_the_future_or_too_long_ago_without_a_reason_is_refused_in_chinese(
    client, world, categories, received, reason, field, message
):
    headers = token_headers(world.users["clerk"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        body = walk_in(world, received_at=received, late_reason=reason)
        response = client.post(CASES, body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Petition.objects.exists() and not PetitionEvent.objects.exists()


def test_long_ago_with_a_reason_is_registered_and_the_reason_kept(client, world, categories):
    headers = token_headers(world.users["clerk"])
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        body = walk_in(world, received_at="2026-07-01T09:00:00+08:00", late_reason="村里无网络，纸质台账补录")
        response = client.post(CASES, body, content_type="application/json", **headers)
    assert response.status_code == 201
    case = Petition.objects.get()
    assert case.late_reason == "村里无网络，纸质台账补录" and case.days_registered_late == 103


def test_the_walk_in_page_takes_the_time_it_was_received_and_the_case_page_shows_both(client, world, categories):
    client.force_login(world.users["clerk"])
    form = {
        "intake_unit": world.units["east1_desk"].pk,
        "region": world.region("东一村").pk,
        "channel": "visit",
        "category": categories["infrastructure"].pk,
        "title": "村道塌方",
        "content": "东一村三组村道雨后塌方。",
        "complainant_name": "字红梅",
        "received_at": "2026-10-09T16:00",
    }
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        future = client.post(reverse("petitions:intake"), {**form, "received_at": "2026-10-13T09:00"})
        assert future.status_code == 200 and not Petition.objects.exists()
        assert "未来" in future.content.decode()
        response = client.post(reverse("petitions:intake"), form)
        assert response.status_code == 302
        case = Petition.objects.get()
        assert case.received_at == at(2026, 10, 9, 16, 0)
        client.force_login(world.users["handler"])
        page = client.get(reverse("petitions:case", kwargs={"pk": case.pk})).content.decode()
    assert "2026-10-09 16:00" in page and "2026-10-12 09:00" in page and "晚登记 2 天" in page


@pytest.mark.usefixtures("notification_routes")
def test_a_case_registered_after_its_acceptance_deadline_is_overdue_at_once(world, register):
    from petitions import tasks
    from petitions.models import Escalation

    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False):
        # Received 1 Oct on paper, entered 30 Nov: 15 working days counted from 8 Oct (National
        # Day off, 10 Oct worked) ended on 27 Oct.
        case = register(received_at=at(2026, 10, 1, 10, 0)).petition
        assert case.acceptance_due_at == end_of(2026, 10, 27) and case.is_overdue
        assert tasks.escalate_overdue() == 1
    assert Escalation.objects.get(petition=case).missed_due_at == end_of(2026, 10, 27)
