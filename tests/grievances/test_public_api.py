"""The public API: submit, lookup, rate, review — no login, rate-limited, nothing staff-only."""

from __future__ import annotations

import json

import pytest

from petitions.models import Petition, Status

pytestmark = pytest.mark.django_db

STAFF_ONLY = ("complainant_phone", "complainant_id_number", "actor", "registered_by", "holder_unit", "intake_unit")


def test_submit_lookup_rate_through_the_api(api, world, categories):
    created = api.post(
        "/api/v1/public/petitions/",
        {
            "county": "990121000000",
            "category": "infrastructure",
            "region": "990121100200",
            "title": "村道塌方",
            "content": "雨后塌方。",
            "complainant_name": "字红梅",
            "complainant_phone": "13800138000",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    receipt = created.json()
    assert receipt["status"] == "registered" and "/track/" in receipt["private_url"]
    petition = Petition.objects.get(tracking_number=receipt["tracking_number"])
    assert petition.channel == "online" and petition.holder_unit == world.units["east_centre"]

    from petitions.services import petition_accept, petition_note, petition_reply

    handler = world.users["handler"]
    petition_accept(petition_id=petition.pk, actor=handler)
    petition_note(petition_id=petition.pk, actor=handler, text="内部备注")
    petition_reply(petition_id=petition.pk, actor=handler, text="已修复。")

    proof = {"tracking_number": receipt["tracking_number"], "query_code": receipt["query_code"]}
    looked = api.post("/api/v1/public/lookup/", proof, format="json")
    assert looked.status_code == 200 and looked["Cache-Control"] == "no-store"
    body = looked.json()
    assert body["status"] == "replied" and body["reply"] == "已修复。" and body["can_rate"]
    assert [s["verb"] for s in body["steps"]] == ["registered", "accepted", "replied"]
    text = json.dumps(body, ensure_ascii=False)
    for secret in (
        "内部备注",
        "13800138000",
        handler.get_full_name(),
        handler.username,
        "东镇群众诉求中心",
        *STAFF_ONLY,
    ):
        assert secret not in text, secret

    rated = api.post(
        "/api/v1/public/rate/", proof | {"satisfaction": "unsatisfied", "comment": "没修好"}, format="json"
    )
    assert rated.status_code == 200 and rated.json()["can_request_review"]
    reviewed = api.post("/api/v1/public/review/", proof | {"reason": "路还是坏的"}, format="json")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "under_review"
    again = api.post("/api/v1/public/review/", proof | {"reason": "再来"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"


def test_wrong_code_and_no_case_answer_the_same_over_the_api(api, submit_online):
    submission = submit_online()
    wrong = api.post(
        "/api/v1/public/lookup/",
        {"tracking_number": submission.petition.tracking_number, "query_code": "00000000"},
        format="json",
    )
    missing = api.post(
        "/api/v1/public/lookup/", {"tracking_number": "20200101-ABCDEF", "query_code": "00000000"}, format="json"
    )
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json() == missing.json() and wrong.json()["code"] == "not_found"
    rate = api.post(
        "/api/v1/public/rate/",
        {"tracking_number": submission.petition.tracking_number, "query_code": "1", "satisfaction": "satisfied"},
        format="json",
    )
    assert rate.status_code == 404


def test_bad_input_over_the_api_saves_nothing(api, world, categories):
    base = {"category": "infrastructure", "region": "990121100200", "title": "t", "content": "c", "anonymous": True}
    cases = [
        (base | {"title": "长" * 121}, "title"),
        (base | {"content": ""}, "content"),
        (base | {"region": "990122100200", "county": "990121000000"}, "region"),
        (base | {"category": "nope"}, "category"),
    ]
    for data, field in cases:
        response = api.post("/api/v1/public/petitions/", data, format="json")
        assert response.status_code == 400 and field in response.json(), (field, response.json())
        assert response.json()["code"] == "invalid"
    assert Petition.objects.count() == 0


def test_the_public_api_is_rate_limited(api, submit_online, settings):
    settings.SUQIU_LOOKUP_RATE_PER_ADDRESS = "2/h"
    for _n in range(2):
        api.post("/api/v1/public/lookup/", {"tracking_number": "20200101-ABCDEF", "query_code": "1"}, format="json")
    blocked = api.post(
        "/api/v1/public/lookup/", {"tracking_number": "20200101-ABCDEF", "query_code": "1"}, format="json"
    )
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"


def test_a_signed_in_staff_session_changes_nothing_on_the_public_api(client, world, submit_online, password):
    submission = submit_online()
    client.force_login(world.users["handler"])
    response = client.post(
        "/api/v1/public/lookup/",
        {"tracking_number": submission.petition.tracking_number, "query_code": submission.registration.query_code},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == Status.REGISTERED


def test_the_public_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/public/petitions/",
        "/api/v1/public/lookup/",
        "/api/v1/public/rate/",
        "/api/v1/public/review/",
    ):
        assert "post" in schema["paths"][path]
        assert schema["paths"][path]["post"]["tags"] == ["public"]


def test_no_response_is_not_a_rating_a_resident_can_give(api, replied):
    proof = {"tracking_number": replied.petition.tracking_number, "query_code": replied.registration.query_code}
    response = api.post("/api/v1/public/rate/", proof | {"satisfaction": "no_response"}, format="json")
    assert response.status_code == 400 and "satisfaction" in response.json()
    replied.petition.refresh_from_db()
    assert replied.petition.satisfaction == ""
