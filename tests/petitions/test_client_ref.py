"""`client_ref`: a client's own id for a case (an offline desk, a hotline system, a form sent
twice). The same reference from the same desk again is the case already registered — a 200
with that case, never a second one — also when both arrive at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from petitions.models import Petition, PetitionEvent
from petitions.services import petition_register
from stations.models import Membership
from stations.services import membership_grant
from tests.factories import UserFactory, walk_in
from tests.tokens import token_headers

CASES = "/api/v1/petitions/"


@pytest.mark.django_db
def test_the_same_client_ref_twice_is_one_case_answered_200_the_second_time(client, world, categories):
    headers = token_headers(world.users["clerk"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = walk_in(world, client_ref="desk-7:2026-09-30:0001")
    first = client.post(CASES, body, content_type="application/json", **headers)
    assert first.status_code == 201 and first.json()["query_code"]
    again = client.post(CASES, {**body, "title": "重发的同一件"}, content_type="application/json", **headers)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and "query_code" not in again.json()
    assert again.json()["title"] == "村道塌方" and again.json()["client_ref"] == "desk-7:2026-09-30:0001"
    assert Petition.objects.count() == 1
    assert PetitionEvent.objects.filter(verb="registered").count() == 1


@pytest.mark.django_db
def test_another_desk_may_use_the_same_reference_for_its_own_case(client, world, categories):
    other = UserFactory(username="east2_clerk")
    membership_grant(user=other, unit=world.units["east2_desk"], role=Membership.Role.CLERK)
    body = walk_in(world, client_ref="0001")
    mine = client.post(CASES, body, content_type="application/json", **token_headers(world.users["clerk"]))
    theirs = client.post(
        CASES, {**body, "region": world.region("东二村").code}, content_type="application/json", **token_headers(other)
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert Petition.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("ref", ["has space", "中文编号", "x" * 65, "-starts-with-a-dash"])
def test_a_malformed_client_ref_is_refused_in_chinese_and_nothing_is_saved(client, world, categories, ref):
    headers = token_headers(world.users["clerk"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post(CASES, walk_in(world, client_ref=ref), content_type="application/json", **headers)
    assert response.status_code == 400
    assert "client_ref" in response.json()
    assert not Petition.objects.exists()


@pytest.mark.django_db
def test_the_walk_in_form_sent_twice_registers_one_case_and_shows_its_receipt(client, world, categories):
    clerk = world.users["clerk"]
    client.force_login(clerk)
    page = client.get(reverse("petitions:intake"))
    ref = page.context["form"]["client_ref"].initial
    assert ref.startswith("form-") and f'value="{ref}"' in page.content.decode()
    assert client.get(reverse("petitions:intake")).context["form"]["client_ref"].initial != ref  # a fresh one
    form = {
        "client_ref": ref,
        "intake_unit": world.units["east1_desk"].pk,
        "region": world.region("东一村").pk,
        "channel": "visit",
        "category": categories["infrastructure"].pk,
        "title": "村道塌方",
        "content": "东一村三组村道雨后塌方。",
        "complainant_name": "字红梅",
        "settle": "on",
        "settle_text": "村调解员现场调解",
    }
    first = client.post(reverse("petitions:intake"), form)
    second = client.post(reverse("petitions:intake"), form)
    case = Petition.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("petitions:receipt", kwargs={"pk": case.pk}) + "?print=1"
    assert case.status == "closed" and PetitionEvent.objects.filter(verb="settled").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)")
def test_the_same_client_ref_at_the_same_moment_is_still_one_case(world, categories):
    clerk = world.users["clerk"]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def send(i):
        try:
            barrier.wait()
            results[i] = petition_register(
                actor=clerk,
                channel="visit",
                category=categories["infrastructure"],
                region=world.region("东一村"),
                title="村道塌方",
                content="同时到达的同一件",
                complainant_name="字红梅",
                client_ref="offline-desk:42",
            )
        except Exception as error:  # noqa: BLE001 - the outcome is what we compare
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(not isinstance(r, Exception) for r in results), results
    assert {r.petition.pk for r in results} == set(Petition.objects.values_list("pk", flat=True))
    assert Petition.objects.count() == 1
    assert sorted(r.replayed for r in results) == [False, True]
    assert PetitionEvent.objects.filter(verb="registered").count() == 1


class RecordingSms:
    """An SMS gateway that keeps what it was given (the backend is pluggable by settings)."""

    sent: list = []

    def __init__(self, channel):
        self.channel = channel

    def send(self, to, subject, body):
        RecordingSms.sent.append((to, subject, body))


@pytest.mark.django_db
def test_an_offline_desks_case_texts_the_codes_once_to_the_phone_given(
    client, world, categories, settings, django_capture_on_commit_callbacks
):
    settings.SUQIU_SMS_BACKEND = "tests.petitions.test_client_ref.RecordingSms"
    RecordingSms.sent = []
    headers = token_headers(world.users["clerk"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = walk_in(world, client_ref="offline:1:abc", codes_by_sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(CASES, body, content_type="application/json", **headers)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(CASES, body, content_type="application/json", **headers)
    assert (first.status_code, again.status_code) == (201, 200)
    answer = first.json()
    assert len(RecordingSms.sent) == 1
    to, _subject, text = RecordingSms.sent[0]
    assert to == "13800138000"
    assert answer["tracking_number"] in text and answer["query_code"] in text
    # Without a phone, or without asking, nothing is texted.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            CASES, walk_in(world, complainant_phone="", codes_by_sms=True), content_type="application/json", **headers
        )
        client.post(CASES, walk_in(world, title="不发短信"), content_type="application/json", **headers)
    assert len(RecordingSms.sent) == 1
