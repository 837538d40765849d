"""The Open311 GeoReport v2 adapter, driven the way a civic client would: list the services,
read a definition, post a request with a key, read it back by id and in the list; bad input
answers the spec's error list and saves nothing; personal data never leaves in a GET."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Submission
from integrations.services import integration_revoke
from petitions.models import Channel, Petition, PetitionEvent, Status
from petitions.selectors import queue_for_user
from petitions.services import petition_accept, petition_reject

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def _assert_spec_error(response, status: int, mentions: str = "") -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body, list) and body, body
    assert all(set(error) == {"code", "description"} and error["code"] == status for error in body)
    assert all(error["description"] for error in body)
    if mentions:
        assert any(mentions in error["description"] for error in body), body


def test_services_are_the_active_categories(client, categories):
    categories["other"].is_active = False
    categories["other"].save(update_fields=["is_active"])
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services = {service["service_code"]: service for service in response.json()}
    assert "other" not in services
    assert set(services) == {code for code, c in categories.items() if c.is_active}
    road = services["infrastructure"]
    assert road["service_name"] == categories["infrastructure"].name_zh  # Chinese first
    assert road["type"] == "realtime"
    assert road["metadata"] is True
    assert "infrastructure" in road["keywords"].split(",")
    assert road["description"] and road["group"]


def test_service_definition_asks_for_the_village(client, world, categories):
    response = client.get(f"{BASE}/services/infrastructure.json")
    assert response.status_code == 200
    body = response.json()
    assert body["service_code"] == "infrastructure"
    (village,) = body["attributes"]
    assert village["code"] == "village" and village["required"] is True and village["variable"] is True

    # With the county named, the villages to choose from: that county's only.
    listed = client.get(f"{BASE}/services/infrastructure.json", {"jurisdiction_id": "990121000000"}).json()
    values = {value["key"] for value in listed["attributes"][0]["values"]}
    assert values == {"990121100200", "990121100201", "990121101200"}

    _assert_spec_error(client.get(f"{BASE}/services/potholes.json"), 404)
    _assert_spec_error(client.get(f"{BASE}/services.json", {"jurisdiction_id": "990121100000"}), 400)


def test_a_posted_request_lands_in_the_township_queue_and_reads_back(client, world, issue_key, post_request):
    integration, key = issue_key(scopes=["submit_cases"])
    response = post_request(key, first_name="红梅", last_name="字", phone="13912345678")

    assert response.status_code == 201, response.content
    (receipt,) = response.json()
    assert set(receipt) >= {"service_request_id", "service_notice", "account_id", "query_code"}
    assert receipt["account_id"] is None
    number = receipt["service_request_id"]
    assert number in receipt["service_notice"]

    petition = Petition.objects.get(tracking_number=number)
    assert petition.channel == Channel.ONLINE
    assert petition.status == Status.REGISTERED
    assert petition.holder_unit == world.units["east_centre"]
    assert petition.registered_by is None
    assert petition.complainant_name == "字红梅"
    assert petition.complainant_phone == "13912345678"
    event = PetitionEvent.objects.get(petition=petition, verb=PetitionEvent.Verb.REGISTERED)
    assert event.actor is None and event.to_unit == world.units["east_centre"]
    assert Submission.objects.get(petition=petition).integration == integration
    assert petition in queue_for_user(world.users["handler"])
    assert petition not in queue_for_user(world.users["other_clerk"])

    # The resident follows it on the portal with the number and the returned query code.
    lookup = client.post(
        "/api/v1/public/lookup/",
        {"tracking_number": number, "query_code": receipt["query_code"]},
        content_type="application/json",
    )
    assert lookup.status_code == 200 and lookup.json()["status"] == "registered"

    (one,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert one["service_request_id"] == number
    assert one["status"] == "open"
    assert one["service_code"] == "infrastructure"
    assert one["agency_responsible"] == "东镇群众诉求中心"
    assert one["address"] == "甲县东镇"
    assert one["expected_datetime"] is not None
    assert one["requested_datetime"].endswith("+08:00")
    listed = client.get(f"{BASE}/requests.json").json()
    assert [row["service_request_id"] for row in listed] == [number]


def test_the_channel_is_the_integrations(world, issue_key, post_request):
    _integration, key = issue_key(channel=Channel.HOTLINE)
    number = post_request(key).json()[0]["service_request_id"]
    assert Petition.objects.get(tracking_number=number).channel == Channel.HOTLINE


def test_status_maps_to_open_and_closed(client, world, register):
    accepted = register().petition
    petition_accept(petition_id=accepted.pk, actor=world.users["handler"])
    rejected = register(title="另一件事", complainant_phone="13700137000").petition
    petition_reject(
        petition_id=rejected.pk, actor=world.users["handler"], reason="不属于受理范围", guidance="请向法院起诉"
    )
    waiting = register(title="第三件事", complainant_phone="13600136000").petition

    rows = {row["service_request_id"]: row for row in client.get(f"{BASE}/requests.json").json()}
    assert rows[accepted.tracking_number]["status"] == "open"
    assert rows[waiting.tracking_number]["status"] == "open"
    assert rows[rejected.tracking_number]["status"] == "closed"
    assert rows[rejected.tracking_number]["expected_datetime"] is None
    assert rows[rejected.tracking_number]["status_notes"] == str(Status.REJECTED.label)

    closed = client.get(f"{BASE}/requests.json", {"status": "closed"}).json()
    assert [row["service_request_id"] for row in closed] == [rejected.tracking_number]
    both = client.get(f"{BASE}/requests.json", {"status": "open,closed"}).json()
    assert len(both) == 3
    _assert_spec_error(client.get(f"{BASE}/requests.json", {"status": "pending"}), 400, "status")


def test_filters_by_id_service_dates_and_jurisdiction(client, world, register, categories):
    road = register().petition
    land = register(category=categories["land"], title="土地", complainant_phone="13700137000").petition
    foreign = register(actor="foreign_clerk", region=world.region("北一村"), complainant_phone="13500135000").petition

    def ids(**params):
        return {row["service_request_id"] for row in client.get(f"{BASE}/requests.json", params).json()}

    assert ids() == {road.tracking_number, land.tracking_number, foreign.tracking_number}
    assert ids(service_code="land") == {land.tracking_number}
    assert ids(service_code="land,infrastructure", jurisdiction_id="990121000000") == {
        road.tracking_number,
        land.tracking_number,
    }
    assert ids(service_request_id=f"{road.tracking_number},{foreign.tracking_number}") == {
        road.tracking_number,
        foreign.tracking_number,
    }
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert ids(start_date=tomorrow) == set()
    assert ids(end_date=(timezone.localdate() - timedelta(days=1)).isoformat()) == set()
    an_hour_ago = (timezone.localtime() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    assert len(ids(start_date=an_hour_ago)) == 3
    # A client that forgets to escape the offset's "+" (it arrives as a space) is understood.
    unescaped = client.get(f"{BASE}/requests.json?start_date={an_hour_ago}").json()
    assert len(unescaped) == 3
    _assert_spec_error(client.get(f"{BASE}/requests.json", {"start_date": "yesterday"}), 400, "start_date")
    _assert_spec_error(client.get(f"{BASE}/requests.json", {"jurisdiction_id": "123"}), 400, "jurisdiction_id")


def test_requests_older_than_90_days_need_dates(client, world, register):
    old = register().petition
    Petition.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=100))
    assert client.get(f"{BASE}/requests.json").json() == []
    start = (timezone.localdate() - timedelta(days=120)).isoformat()
    rows = client.get(f"{BASE}/requests.json", {"start_date": start}).json()
    assert [row["service_request_id"] for row in rows] == [old.tracking_number]
    by_id = client.get(f"{BASE}/requests.json", {"service_request_id": old.tracking_number}).json()
    assert len(by_id) == 1


@pytest.mark.parametrize(
    ("fields", "status", "mentions"),
    [
        ({"service_code": "potholes"}, 400, "service_code"),
        ({"service_code": ""}, 400, "service_code"),
        ({"attribute[village]": "990122100200"}, 400, "attribute[village]"),  # 北一村, another county
        ({"attribute[village]": "990121100000"}, 400, "attribute[village]"),  # a township, not a village
        ({"attribute[village]": ""}, 400, "attribute[village]"),
        ({"description": "   "}, 400, "description"),
        ({"phone": "12345"}, 400, "phone"),
        ({"lat": "91"}, 400, "lat"),
        ({"long": "east"}, 400, "long"),
        ({"jurisdiction_id": "990122000000"}, 400, "jurisdiction_id"),
    ],
)
def test_bad_input_is_a_spec_error_and_saves_nothing(issue_key, post_request, fields, status, mentions):
    _integration, key = issue_key(scopes=["submit_cases"])
    _assert_spec_error(post_request(key, **fields), status, mentions)
    assert not Petition.objects.exists()
    assert not Submission.objects.exists()


def test_a_township_key_files_only_in_its_township(issue_key, post_request):
    _integration, key = issue_key(region="东镇")
    _assert_spec_error(post_request(key, **{"attribute[village]": "990121101200"}), 400, "attribute[village]")  # 西一村
    assert post_request(key).status_code == 201


def test_keys_that_may_not_submit_are_refused(issue_key, post_request):
    _stats, stats_key = issue_key(scopes=["read_statistics"])
    revoked, revoked_key = issue_key(scopes=["submit_cases"])
    integration_revoke(integration_id=revoked.pk)
    _expired, expired_key = issue_key(scopes=["submit_cases"], expiry_date=timezone.now() - timedelta(minutes=1))

    _assert_spec_error(post_request(None), 403)
    _assert_spec_error(post_request(stats_key), 403)
    _assert_spec_error(post_request(revoked_key), 403)
    _assert_spec_error(post_request(expired_key), 403)
    _assert_spec_error(post_request(revoked_key.split(".")[0] + ".forged"), 403)
    assert not Petition.objects.exists()


def test_the_key_also_works_in_the_header(client, issue_key):
    _integration, key = issue_key()
    response = client.post(
        f"{BASE}/requests.json",
        {"service_code": "land", "attribute[village]": "990121100201", "description": "宅基地边界不清"},
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 201, response.content


def test_each_key_has_its_own_rate(issue_key, post_request):
    _slow, slow_key = issue_key(rate="2/minute")
    _other, other_key = issue_key(rate="600/hour")
    assert post_request(slow_key).status_code == 201
    assert post_request(slow_key, phone="13700137000").status_code == 201
    refused = post_request(slow_key, phone="13600136000")
    _assert_spec_error(refused, 429)
    assert int(refused["Retry-After"]) > 0
    assert Petition.objects.count() == 2
    assert post_request(other_key).status_code == 201


def test_personal_data_never_leaves_in_a_get(client, world, issue_key, post_request, register):
    _integration, key = issue_key()
    secret_words = "王家屋后排水沟堵塞"
    number = post_request(
        key, first_name="秀英", last_name="欧阳", phone="13912345678", description=secret_words
    ).json()[0]["service_request_id"]
    register(complainant_name="字红梅", complainant_phone="13800138000", complainant_id_number="")

    answers = [
        client.get(f"{BASE}/requests.json"),
        client.get(f"{BASE}/requests.json", {"service_request_id": number}),
        client.get(f"{BASE}/requests/{number}.json"),
    ]
    for answer in answers:
        assert answer.status_code == 200
        text = answer.content.decode()
        for personal in ("欧阳秀英", "秀英", "13912345678", secret_words, "字红梅", "13800138000", "村道塌方"):
            assert personal not in text, personal
    assert len(answers[0].json()) == 2


def test_confidential_reports_are_filed_but_never_shown(client, world, issue_key, post_request):
    _integration, key = issue_key(channel=Channel.HOTLINE)
    response = post_request(key, service_code="discipline", description="村干部虚报冒领低保金")
    assert response.status_code == 201, response.content
    number = response.json()[0]["service_request_id"]
    petition = Petition.objects.get(tracking_number=number)
    assert petition.holder_unit == world.units["county_commission"]

    assert client.get(f"{BASE}/requests.json").json() == []
    assert client.get(f"{BASE}/requests.json", {"service_code": "discipline"}).json() == []
    assert client.get(f"{BASE}/requests.json", {"service_request_id": number}).json() == []
    _assert_spec_error(client.get(f"{BASE}/requests/{number}.json"), 404)


def test_the_list_is_bounded_in_queries(client, world, register, django_assert_max_num_queries):
    for n in range(6):
        register(title=f"第{n}件", complainant_phone=f"1380013800{n}")
    with django_assert_max_num_queries(2):
        rows = client.get(f"{BASE}/requests.json", {"jurisdiction_id": "990121000000"}).json()
    assert len(rows) == 6


def test_reads_are_limited_per_address(client, categories, monkeypatch):
    from integrations.auth import Open311ReadThrottle

    monkeypatch.setattr(Open311ReadThrottle, "THROTTLE_RATES", {"open311_read": "2/minute"})
    assert client.get(f"{BASE}/services.json").status_code == 200
    # A forwarded-for header the client wrote itself does not make it someone else.
    assert client.get(f"{BASE}/services.json", HTTP_X_FORWARDED_FOR="10.9.8.7").status_code == 200
    _assert_spec_error(client.get(f"{BASE}/services.json", HTTP_X_FORWARDED_FOR="10.9.8.6"), 429)
    assert client.get(f"{BASE}/services.json", REMOTE_ADDR="10.1.1.1").status_code == 200


def test_only_form_encoded_posts_are_understood(client, issue_key):
    _integration, key = issue_key()
    response = client.post(
        f"{BASE}/requests.json",
        {"service_code": "land", "attribute[village]": "990121100201", "description": "宅基地边界不清"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    _assert_spec_error(response, 415)
    assert not Petition.objects.exists()


def test_a_broken_multipart_post_is_refused_in_chinese_in_the_spec_format(client, world, issue_key):
    """A multipart body without its boundary: a 400 in Open311's error list, in Chinese (it was
    DRF's "Multipart form parse error - Invalid boundary in multipart: None")."""
    _integration, key = issue_key()
    response = client.post(
        f"{BASE}/requests.json",
        data=b'--x\r\nContent-Disposition: form-data; name="description"\r\n\r\n',
        content_type="multipart/form-data",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    _assert_spec_error(response, 400)
    assert "表单" in response.json()[0]["description"], response.json()


def test_a_request_keeps_the_time_the_hotline_took_the_call(client, issue_key, post_request):
    """`attribute[received_at]`: the hotline's own record; the deadline and requested_datetime
    count from it. Malformed or in the future: a 400 naming the parameter, nothing saved."""
    import time_machine

    from petitions.models import Petition
    from tests.clock import at

    _integration, key = issue_key()
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        bad = post_request(key, **{"attribute[received_at]": "昨天下午"})
        future = post_request(key, **{"attribute[received_at]": "2026-10-13T09:00:00+08:00"})
        assert bad.status_code == future.status_code == 400
        assert "attribute[received_at]" in bad.json()[0]["description"]
        assert "attribute[received_at]" in future.json()[0]["description"]
        assert not Petition.objects.exists()
        made = post_request(key, **{"attribute[received_at]": "2026-10-09T16:00:00+08:00"})
        assert made.status_code == 201, made.content
    case = Petition.objects.get()
    assert case.received_at == at(2026, 10, 9, 16, 0) and case.created_at == at(2026, 10, 12, 9, 0)
    number = made.json()[0]["service_request_id"]
    listed = client.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert listed["requested_datetime"].startswith("2026-10-09T16:00")
