"""A campaign run through the API only (POST /api/v1/appraisals/ and its verbs), stage by
stage, with the state and the audit event after each step; the refusals (409, 404, 403, 400)
and the resends that change nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as conf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from evaluations.models import AppraisalEvent, Campaign, Participant, RectificationItem
from stations.models import Membership, Unit
from stations.services import membership_grant, unit_ensure
from tests.factories import UserFactory
from tests.tokens import token_for

Verb = AppraisalEvent.Verb
PROMISES = ["首问首办", "一次性告知", "限时办结"]
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
BASE = "/api/v1/appraisals/"


class Caller:
    """An API client signed in with a token, as an integration would be."""

    def __init__(self, user=None):
        self.client = APIClient()
        if user is not None:
            self.client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")

    def get(self, path: str):
        return self.client.get(BASE + path)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(BASE + path, data or {}, format=kwargs.pop("format", "json"), **kwargs)


class Trail:
    """The audit events written since the last look."""

    def __init__(self):
        self.seen = 0

    def new(self, campaign_id: int) -> list[AppraisalEvent]:
        events = list(
            AppraisalEvent.objects.filter(campaign_id=campaign_id, pk__gt=self.seen)
            .select_related("participant__unit", "actor")
            .order_by("pk")
        )
        if events:
            self.seen = events[-1].pk
        return events


def _stations(world) -> dict[str, Unit]:
    east = world.region("东镇")
    stations = {"finance": world.units["east_finance"]}
    for key, name in (("forestry", "东镇林业站"), ("water", "东镇水利站"), ("justice", "东镇司法所")):
        stations[key] = unit_ensure(region=east, name=name, kind=Unit.Kind.STATION)
    return stations


def _campaign_input(world, **overrides) -> dict:
    today = timezone.localdate()
    return {
        "region": world.region("东镇").pk,
        "name": "民主评议基层站所",
        "year": today.year,
        "period_start": str(today - timedelta(days=365)),
        "period_end": str(today),
        "hearing_on": str(today + timedelta(days=20)),
        "stations": [world.units["east_finance"].pk],
    } | overrides


def test_a_campaign_walks_every_stage_through_the_api(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    supervisor = world.users["supervisor"]
    commission = Caller(supervisor)
    trail = Trail()
    stations = _stations(world)
    # Staff of 东镇林业站 publish their own commitments and upload their own report.
    forester = UserFactory(username="forester")
    membership_grant(user=forester, unit=stations["forestry"], role=Membership.Role.CLERK)
    station = Caller(forester)

    # 1. Create: a draft with one station; the stage dates as given.
    response = commission.post("", _campaign_input(world))
    assert response.status_code == 201, response.json()
    body = response.json()
    pk = body["id"]
    assert body["state"] == "draft" and body["region_code"] == "990121100000"
    assert (body["weight_questionnaire"], body["weight_hearing"], body["weight_cases"]) == (50, 30, 20)
    assert body["hearing_on"] == str(timezone.localdate() + timedelta(days=20))
    created = trail.new(pk)
    assert [(e.verb, e.actor) for e in created] == [(Verb.CREATED, supervisor), (Verb.STATION_ADDED, supervisor)]
    assert created[1].participant.unit == stations["finance"]

    # 2. Stations: three more; the one already taking part is not added again.
    all_four = [stations[k].pk for k in ("finance", "forestry", "water", "justice")]
    response = commission.post(f"{pk}/stations/", {"stations": all_four})
    assert response.status_code == 200
    assert sorted(s["station_id"] for s in response.json()) == sorted(all_four)
    added = trail.new(pk)
    assert [e.verb for e in added] == [Verb.STATION_ADDED] * 3
    assert {e.participant.unit for e in added} == {stations["forestry"], stations["water"], stations["justice"]}
    assert commission.post(f"{pk}/stations/", {"stations": all_four}).status_code == 200
    assert trail.new(pk) == [] and Participant.objects.filter(campaign_id=pk).count() == 4

    # 3. Weights: 40 / 40 / 20, thresholds 90 and 70. The same again writes nothing.
    weights = {
        "weight_questionnaire": 40,
        "weight_hearing": 40,
        "weight_cases": 20,
        "satisfied_min": "90",
        "basic_min": 70,
    }
    response = commission.post(f"{pk}/weights/", weights)
    assert response.status_code == 200
    assert (response.json()["weight_questionnaire"], response.json()["weight_hearing"]) == (40, 40)
    [settings_event] = trail.new(pk)
    assert settings_event.verb == Verb.SETTINGS
    assert settings_event.data == {"weights": [40, 40, 20], "thresholds": ["70.00", "90.00"]}
    assert commission.post(f"{pk}/weights/", weights).status_code == 200
    assert trail.new(pk) == []

    # 4. Questions: two; the first sent again is the same question.
    first = commission.post(f"{pk}/questions/", {"text": "办事效率"})
    second = commission.post(f"{pk}/questions/", {"text": "服务态度"})
    assert first.status_code == second.status_code == 200
    assert [(e.verb, e.note) for e in trail.new(pk)] == [(Verb.QUESTION, "办事效率"), (Verb.QUESTION, "服务态度")]
    assert commission.post(f"{pk}/questions/", {"text": " 办事效率 "}).json()["id"] == first.json()["id"]
    assert trail.new(pk) == []
    questions = commission.get(f"{pk}/questions/").json()
    assert [q["text"] for q in questions] == ["办事效率", "服务态度"]

    # 5. Commitments: the forestry station its own, the commission the others'.
    response = station.post(f"{pk}/stations/{stations['forestry'].pk}/commitments/", {"texts": PROMISES})
    assert response.status_code == 200 and response.json()["commitments"] == PROMISES
    [own] = trail.new(pk)
    assert (own.verb, own.actor, own.participant.unit, own.data) == (
        Verb.COMMITMENT,
        forester,
        stations["forestry"],
        {"texts": PROMISES},
    )
    for key in ("finance", "water", "justice"):
        assert commission.post(f"{pk}/stations/{stations[key].pk}/commitments/", {"texts": PROMISES}).status_code == 200
    assert [e.verb for e in trail.new(pk)] == [Verb.COMMITMENT] * 3
    assert commission.post(f"{pk}/stations/{stations['water'].pk}/commitments/", {"texts": PROMISES}).status_code == 200
    assert trail.new(pk) == []  # the same promises again

    # The self-inspection report (自查自纠), by the station.
    upload = SimpleUploadedFile("自查报告.pdf", PDF, content_type="application/pdf")
    response = station.post(f"{pk}/stations/{stations['forestry'].pk}/report/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["original_name"], response.json()["content_type"]) == ("自查报告.pdf", "application/pdf")
    [report] = trail.new(pk)
    assert (report.verb, report.actor, report.note) == (Verb.REPORT, forester, "自查报告.pdf")

    # 6. Open.
    response = commission.post(f"{pk}/open/")
    assert response.status_code == 200 and response.json()["state"] == "open"
    assert [e.verb for e in trail.new(pk)] == [Verb.OPENED]

    # 7. The residents answer the public questionnaire, as they do: on its page, one phone each.
    values = {"finance": 5, "forestry": 5, "water": 3, "justice": 5}
    for i, (key, value) in enumerate(values.items()):
        participant = Participant.objects.get(campaign_id=pk, unit=stations[key])
        page = reverse("evaluations:questionnaire", args=[pk, participant.pk])
        answer = {f"q{q['id']}": value for q in questions} | {"phone": f"1390000000{i}"}
        assert client.post(page, answer).status_code == 200
    assert trail.new(pk) == []  # a resident's answer is no audit event

    # 8. Start scoring: the questionnaire closes; (value − 1) × 25, the case record 100 (no cases).
    response = commission.post(f"{pk}/start-scoring/")
    assert response.status_code == 200 and response.json()["state"] == "scoring"
    assert [e.verb for e in trail.new(pk)] == [Verb.SCORING, Verb.SCORED]
    rows = {row["station_id"]: row for row in commission.get(f"{pk}/stations/").json()}
    assert {k: rows[stations[k].pk]["questionnaire_score"] for k in values} == {
        "finance": "100.00",
        "forestry": "100.00",
        "water": "50.00",
        "justice": "100.00",
    }
    assert all(row["case_score"] == "100.00" and row["responses"] == 1 for row in rows.values())
    assert rows[stations["forestry"].pk]["reports"][0]["original_name"] == "自查报告.pdf"

    # 9. Hearing scores: composite = (q × 40 + h × 40 + 100 × 20) / 100.
    hearing = {"finance": "90", "forestry": 90, "water": "80.0", "justice": 100}
    for key, score in hearing.items():
        response = commission.post(f"{pk}/stations/{stations[key].pk}/hearing/", {"score": score})
        assert response.status_code == 200
    entered = trail.new(pk)
    assert [(e.verb, e.participant.unit, e.data) for e in entered] == [
        (Verb.HEARING, stations[k], {"score": f"{Decimal(str(s)):.2f}"}) for k, s in hearing.items()
    ]
    rows = {row["station_id"]: row for row in commission.get(f"{pk}/stations/").json()}
    assert {k: (rows[stations[k].pk]["composite"], rows[stations[k].pk]["rank"]) for k in values} == {
        "justice": ("100.00", 1),  # (100 × 40 + 100 × 40 + 2000) / 100
        "finance": ("96.00", 2),  # (100 × 40 + 90 × 40 + 2000) / 100
        "forestry": ("96.00", 2),  # tied: the same rank
        "water": ("72.00", 4),  # (50 × 40 + 80 × 40 + 2000) / 100
    }
    assert commission.post(f"{pk}/stations/{stations['water'].pk}/hearing/", {"score": "80.00"}).status_code == 200
    assert trail.new(pk) == []  # the same score again

    # 10. Veto (一票否决) the best scored: it goes last and to the bottom band.
    veto = {"reason": "违规收费，查实"}
    response = commission.post(f"{pk}/stations/{stations['justice'].pk}/veto/", veto)
    assert response.status_code == 200
    assert (response.json()["vetoed"], response.json()["veto_reason"], response.json()["rank"]) == (
        True,
        "违规收费，查实",
        4,
    )
    [vetoed] = trail.new(pk)
    assert (vetoed.verb, vetoed.participant.unit, vetoed.note) == (Verb.VETOED, stations["justice"], "违规收费，查实")
    assert commission.post(f"{pk}/stations/{stations['justice'].pk}/veto/", veto).status_code == 200
    assert trail.new(pk) == []
    again = commission.post(f"{pk}/stations/{stations['justice'].pk}/veto/", {"reason": "另一理由"})
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    assert Participant.objects.get(campaign_id=pk, unit=stations["justice"]).veto_reason == "违规收费，查实"

    # 11. Publish: the results are public; the tied composites share a rank, the veto is last.
    response = commission.post(f"{pk}/publish/")
    assert response.status_code == 200 and response.json()["state"] == "published"
    assert response.json()["published_at"] is not None
    scored, published = trail.new(pk)
    assert (scored.verb, published.verb) == (Verb.SCORED, Verb.PUBLISHED)
    assert scored.data == {"bands": {"satisfied": 2, "basic": 1, "unsatisfied": 1}}
    results = Caller().get(f"{pk}/results/").json()["results"]  # anonymous
    assert {r["station"]: (r["rank"], r["composite"], r["band"], r["vetoed"]) for r in results} == {
        "东镇财政所": (1, "96.00", "satisfied", False),
        "东镇林业站": (1, "96.00", "satisfied", False),
        "东镇水利站": (3, "72.00", "basic", False),
        "东镇司法所": (4, "100.00", "unsatisfied", True),
    }
    assert [r["rank"] for r in results] == [1, 1, 3, 4]

    # 12. Rectification (落实整改): an item for the water station; sent twice, listed once.
    deadline = str(timezone.localdate() + timedelta(days=30))
    item_input = {"owner": stations["water"].pk, "description": "窗口服务时间公示", "deadline": deadline}
    response = commission.post(f"{pk}/rectifications/", item_input)
    assert response.status_code == 200 and response.json()["status"] == "open"
    item_id = response.json()["id"]
    [item_event] = trail.new(pk)
    assert (item_event.verb, item_event.rectification_id, item_event.data) == (
        Verb.RECTIFICATION,
        item_id,
        {"deadline": deadline},
    )
    assert commission.post(f"{pk}/rectifications/", item_input).json()["id"] == item_id
    assert trail.new(pk) == [] and RectificationItem.objects.filter(campaign_id=pk).count() == 1

    # 13. Complete, with the evidence; the same again changes nothing, other evidence is refused.
    done = {"evidence": "服务时间已在窗口公示"}
    response = commission.post(f"{pk}/rectifications/{item_id}/complete/", done)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["evidence"]) == ("done", "服务时间已在窗口公示")
    assert response.json()["done_at"] is not None
    [rectified] = trail.new(pk)
    assert (rectified.verb, rectified.rectification_id, rectified.note) == (Verb.RECTIFIED, item_id, done["evidence"])
    assert commission.post(f"{pk}/rectifications/{item_id}/complete/", done).status_code == 200
    assert commission.post(f"{pk}/rectifications/{item_id}/complete/", {"evidence": "另"}).status_code == 409
    assert trail.new(pk) == []
    assert commission.get(f"{pk}/rectifications/").json()[0]["status"] == "done"

    # The audit trail over the API, newest first: every step above, once.
    trail_verbs = [e["verb"] for e in commission.get(f"{pk}/events/").json()]
    assert trail_verbs[::-1] == [
        "created",
        *["station_added"] * 4,
        "settings",
        "question",
        "question",
        *["commitment"] * 4,
        "report",
        "opened",
        "scoring",
        "scored",
        *["hearing"] * 4,
        "vetoed",
        "scored",
        "published",
        "rectification",
        "rectified",
    ]


# --- Refusals --------------------------------------------------------------------------------------


@pytest.fixture
def draft(world) -> Campaign:
    """A draft campaign of 东镇 made through the API, with its four stations and a question."""
    stations = _stations(world)
    commission = Caller(world.users["supervisor"])
    pk = commission.post("", _campaign_input(world, stations=[u.pk for u in stations.values()])).json()["id"]
    commission.post(f"{pk}/questions/", {"text": "办事效率"})
    return Campaign.objects.get(pk=pk)


def _snapshot(campaign: Campaign) -> tuple:
    campaign.refresh_from_db()
    return (
        campaign.state,
        campaign.weight_questionnaire,
        list(campaign.participants.values_list("unit_id", "hearing_score", "vetoed").order_by("unit_id")),
        list(campaign.questions.values_list("text", flat=True)),
        campaign.events.count(),
    )


def test_a_verb_in_the_wrong_state_is_409_and_changes_nothing(world, draft):
    commission = Caller(world.users["supervisor"])
    station = draft.participants.first().unit_id
    early = {
        "start-scoring/": {},
        "publish/": {},
        f"stations/{station}/hearing/": {"score": 80},
        f"stations/{station}/veto/": {"reason": "违规"},
        "rectifications/": {"owner": station, "description": "整改", "deadline": "2030-01-01"},
    }
    before = _snapshot(draft)
    for path, data in early.items():
        response = commission.post(f"{draft.pk}/{path}", data)
        assert response.status_code == 409, path
        assert response.json() == {"detail": "本次评议当前为“草稿”，现在不能进行此操作。", "code": "invalid_state"}
    assert _snapshot(draft) == before

    assert commission.post(f"{draft.pk}/open/").status_code == 200
    before = _snapshot(draft)
    late = {"open/": {}, "questions/": {"text": "新问题"}, "stations/": {"stations": [station]}, "publish/": {}}
    for path, data in late.items():
        response = commission.post(f"{draft.pk}/{path}", data)
        assert (response.status_code, response.json()["code"]) == (409, "invalid_state"), path
    assert _snapshot(draft) == before


def test_another_county_sees_no_campaign_and_changes_nothing(world, draft):
    outsider = Caller(world.users["foreign_supervisor"])
    station = draft.participants.first().unit_id
    before = _snapshot(draft)
    for path in ("open/", "weights/", "questions/", "stations/", f"stations/{station}/hearing/", "rectifications/"):
        response = outsider.post(f"{draft.pk}/{path}", {"score": 80, "text": "x"})
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    for path in ("", "stations/", "questions/", "events/", "rectifications/", "results/"):
        assert outsider.get(f"{draft.pk}/{path}").status_code == 404, path
    # Nor may it make one for a region it does not see: that region "does not exist".
    response = outsider.post("", _campaign_input(world, stations=[]))
    assert response.status_code == 400 and "对象不存在" in response.json()["region"][0]
    assert _snapshot(draft) == before and Campaign.objects.count() == 1


def test_staff_who_see_the_campaign_but_do_not_run_it_are_refused(world, draft):
    """The 东镇 centre's handler sees the campaign (403: may not); the 东一村 clerk does not (404)."""
    handler, clerk = Caller(world.users["handler"]), Caller(world.users["clerk"])
    station = draft.participants.first().unit_id
    before = _snapshot(draft)
    for path, data in {
        "open/": {},
        "weights/": {
            "weight_questionnaire": 60,
            "weight_hearing": 20,
            "weight_cases": 20,
            "satisfied_min": 90,
            "basic_min": 70,
        },
        "questions/": {"text": "新问题"},
        "stations/": {"stations": [station]},
        f"stations/{station}/commitments/": {"texts": ["首问首办"]},
    }.items():
        response = handler.post(f"{draft.pk}/{path}", data)
        assert (response.status_code, response.json()["code"]) == (403, "not_permitted"), path
        assert clerk.post(f"{draft.pk}/{path}", data).status_code == 404, path
    assert handler.get(f"{draft.pk}/stations/").status_code == 200
    assert _snapshot(draft) == before
    response = handler.post("", _campaign_input(world, name="另一评议"))
    assert response.status_code == 403
    assert response.json()["detail"] == "只有本区划的评议组织机构才能进行此操作。"
    assert Campaign.objects.count() == 1


def test_bad_input_is_400_with_the_message_in_chinese_and_changes_nothing(world, draft):
    commission = Caller(world.users["supervisor"])
    station = draft.participants.first().unit_id
    before = _snapshot(draft)
    response = commission.post(
        f"{draft.pk}/weights/",
        {"weight_questionnaire": 50, "weight_hearing": 30, "weight_cases": 30, "satisfied_min": 90, "basic_min": 70},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "权重之和必须为 100%" in str(response.json())
    missing = commission.post(f"{draft.pk}/weights/", {"weight_questionnaire": 50})
    assert missing.status_code == 400 and missing.json()["weight_hearing"] == ["该字段是必填项。"]
    not_a_station = commission.post(f"{draft.pk}/stations/", {"stations": [world.units["east_centre"].pk]})
    assert not_a_station.status_code == 400 and "不是 东镇 的基层站所" in not_a_station.json()["stations"][0]
    assert commission.post(f"{draft.pk}/commitments/", {"texts": []}).status_code == 404  # no such route
    empty = commission.post(f"{draft.pk}/stations/{station}/commitments/", {"texts": [" "]})
    assert empty.status_code == 400 and list(empty.json()) == ["detail", "code", "texts"]
    assert commission.post(f"{draft.pk}/stations/{station}/commitments/", {"texts": "首问首办"}).status_code == 400
    english = Caller(world.users["supervisor"])
    english.client.cookies[conf.LANGUAGE_COOKIE_NAME] = "en"
    village = english.post("", _campaign_input(world, region=world.region("东一村").pk, name="村评议"))
    assert village.status_code == 400
    assert village.json()["region"] == ["An appraisal covers the stations of a county or of a township."]
    outside = commission.post("", _campaign_input(world, name="另一评议", stations=[world.units["east_centre"].pk]))
    assert outside.status_code == 400 and "不是 东镇 的基层站所" in outside.json()["stations"][0]
    assert Campaign.objects.count() == 1  # neither was saved, not even in part
    bad_json = commission.client.post(f"{BASE}{draft.pk}/questions/", data="{", content_type="application/json")
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["detail"]
    assert _snapshot(draft) == before

    assert commission.post(f"{draft.pk}/open/").status_code == 200
    for score, message in (("120", "听证得分须在 0 至 100 之间。"), ("-1", "听证得分须在 0 至 100 之间。")):
        response = commission.post(f"{draft.pk}/stations/{station}/hearing/", {"score": score})
        assert response.status_code == 400 and response.json()["hearing_score"] == [message]
    assert commission.post(f"{draft.pk}/stations/{station}/hearing/", {"score": "abc"}).status_code == 400
    veto = commission.post(f"{draft.pk}/stations/{station}/veto/", {"reason": "  "})
    assert veto.status_code == 400 and veto.json()["reason"] == ["一票否决须说明理由。"]
    report = commission.post(
        f"{draft.pk}/stations/{station}/report/",
        {"file": SimpleUploadedFile("report.pdf", b"#!/bin/sh\n", content_type="application/pdf")},
        format="multipart",
    )
    assert report.status_code == 400
    assert draft.events.count() == before[-1] + 1  # the opening only


def test_a_station_or_item_of_another_campaign_or_no_id_is_404(world, draft):
    commission = Caller(world.users["supervisor"])
    foreign_unit = world.units["north1_desk"].pk
    assert commission.post(f"{draft.pk}/stations/{foreign_unit}/hearing/", {"score": 80}).status_code == 404
    assert commission.post(f"{draft.pk}/rectifications/999999/complete/", {"evidence": "x"}).status_code == 404
    assert commission.get("abc/stations/").status_code == 404
    assert commission.post(f"{10**30}/open/").status_code == 404
    assert commission.get(f"{10**30}/results/").status_code == 404


def test_the_reads_take_the_same_queries_for_four_stations_as_for_one(world, django_assert_num_queries):
    commission = Caller(world.users["supervisor"])
    stations = _stations(world)
    one = commission.post("", _campaign_input(world, name="一站")).json()["id"]
    four = commission.post("", _campaign_input(world, name="四站", stations=[u.pk for u in stations.values()])).json()
    for unit in stations.values():
        commission.post(f"{four['id']}/stations/{unit.pk}/commitments/", {"texts": PROMISES})
    commission.post(f"{four['id']}/questions/", {"text": "办事效率"})
    assert commission.post(f"{four['id']}/open/").status_code == 200
    for unit in stations.values():
        item = {"owner": unit.pk, "description": "窗口服务时间公示", "deadline": "2030-01-01"}
        assert commission.post(f"{four['id']}/rectifications/", item).status_code == 200
    for pk in (one, four["id"]):
        # The token with its user, the roles, the campaign; the stations, their commitments, their reports.
        with django_assert_num_queries(6):
            assert commission.get(f"{pk}/stations/").status_code == 200
        with django_assert_num_queries(4):  # the token, the roles, the campaign, its events
            assert commission.get(f"{pk}/events/").status_code == 200
        with django_assert_num_queries(4):
            assert commission.get(f"{pk}/rectifications/").status_code == 200
