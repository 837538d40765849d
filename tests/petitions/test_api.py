"""The petitions REST API (DESIGN.md §8): whole lifecycles driven through HTTP, each step
checked in the answer, in the database and on the timeline."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from petitions import services
from petitions.models import Attachment, Petition, PetitionEvent
from stations.models import User
from stations.services import membership_grant
from tests.factories import UserFactory, walk_in

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")
CASES = "/api/v1/petitions/"
VERBS = [
    "accept",
    "reject",
    "assign",
    "transfer",
    "return",
    "note",
    "request-extension",
    "approve-extension",
    "refuse-extension",
    "reply",
    "close",
    "settle",
    "rate",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def finance_handler(world) -> User:
    """A handler of 东镇财政所, the township station cases are assigned to."""
    user = UserFactory(username="finance_handler", full_name="财政所经办人")
    membership_grant(user=user, unit=world.units["east_finance"], role="handler")
    return user


# --- Helpers ----------------------------------------------------------------------------------


def case_url(pk: int, verb: str = "") -> str:
    return f"{CASES}{pk}/{verb + '/' if verb else ''}"


def act(api, user: User, pk: int, verb: str, **data):
    api.force_authenticate(user)
    return api.post(case_url(pk, verb), data, format="json")


def read(api, user: User, pk: int):
    api.force_authenticate(user)
    return api.get(case_url(pk))


def last_event(pk: int) -> PetitionEvent:
    return PetitionEvent.objects.filter(petition_id=pk).order_by("-created_at", "-id").first()


def verbs_of(pk: int) -> list[str]:
    return list(
        PetitionEvent.objects.filter(petition_id=pk).order_by("created_at", "id").values_list("verb", flat=True)
    )


def assert_event(pk, verb, actor, *, actor_unit=None, from_unit=None, to_unit=None) -> PetitionEvent:
    event = last_event(pk)
    assert (event.verb, event.actor) == (verb, actor)
    assert (event.actor_unit, event.from_unit, event.to_unit) == (actor_unit, from_unit, to_unit)
    return event


def png() -> bytes:
    """A real one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def valid_id_number(first17: str = "53010219900101123") -> str:
    return next(first17 + c for c in "0123456789X" if services.id_number_is_valid(first17 + c))


def nothing_saved():
    return Petition.objects.count() == 0 and PetitionEvent.objects.count() == 0 and Attachment.objects.count() == 0


# --- Whole lifecycles ---------------------------------------------------------------------------


def test_walk_in_to_closed_through_the_api(api, world, finance_handler):
    clerk, handler, dept = world.users["clerk"], world.users["handler"], world.users["dept_handler"]
    units = world.units

    # The village clerk registers a walk-in.
    api.force_authenticate(clerk)
    created = api.post(CASES, walk_in(world), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    pk = body["id"]
    assert body["status"] == "registered"
    assert re.fullmatch(r"\d{8}-[2-9A-HJ-NP-Z]{6}", body["tracking_number"])
    assert re.fullmatch(r"\d{8}", body["query_code"])
    assert body["due_at"] == body["acceptance_due_at"] is not None
    assert body["holder_unit"] == {"id": units["east_centre"].pk, "name": "东镇群众诉求中心"}
    assert body["category"]["code"] == "infrastructure" and body["region"]["code"] == "990121100200"
    assert created["Cache-Control"] == "no-store"
    petition = Petition.objects.get(pk=pk)
    assert services.query_code_matches(petition, body["query_code"])
    assert_event(pk, "registered", clerk, actor_unit=units["east1_desk"], to_unit=units["east_centre"])

    # The township centre accepts it: the handling deadline starts.
    response = act(api, handler, pk, "accept", note="属实，受理。")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted" and response.json()["due_at"] is not None
    assert_event(pk, "accepted", handler, actor_unit=units["east_centre"])

    # ... and assigns it to its finance station, with the county civil-affairs bureau co-handling.
    response = act(
        api, handler, pk, "assign", unit=units["east_finance"].pk, co_units=[units["civil_affairs"].pk], note="请办理"
    )
    assert response.status_code == 200, response.json()
    case = response.json()
    assert case["status"] == "in_progress"
    assert case["holder_unit"]["id"] == units["east_finance"].pk
    active = [(p["unit"]["id"], p["role"]) for p in case["parts"] if p["active"]]
    assert active == [(units["east_finance"].pk, "lead"), (units["civil_affairs"].pk, "co")]
    event = assert_event(
        pk,
        "assigned",
        handler,
        actor_unit=units["east_centre"],
        from_unit=units["east_centre"],
        to_unit=units["east_finance"],
    )
    assert event.data == {"co_units": [units["civil_affairs"].pk]}

    # The co-handling bureau gives its part of the reply: the case is still in progress.
    assert "co-reply" in read(api, dept, pk).json()["allowed_actions"]
    response = act(api, dept, pk, "reply", text="民政局意见：符合临时救助条件。")
    assert response.status_code == 200, response.json()
    case = response.json()
    assert case["status"] == "in_progress"
    co_part = next(p for p in case["parts"] if p["role"] == "co")
    assert co_part["replied_at"] is not None and co_part["reply_text"] == "民政局意见：符合临时救助条件。"
    assert_event(pk, "co_replied", dept, actor_unit=units["civil_affairs"])

    # The lead station replies to the resident.
    response = act(api, finance_handler, pk, "reply", text="已安排抢修，三日内恢复通行。")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "replied"
    assert response.json()["reply"] == "已安排抢修，三日内恢复通行。"
    assert_event(pk, "replied", finance_handler, actor_unit=units["east_finance"])

    # The resident rates it satisfied (their own path: no account) and the case closes.
    services.petition_rate(petition_id=pk, actor=None, satisfaction="satisfied")
    case = read(api, handler, pk).json()
    assert (case["status"], case["satisfaction"]) == ("closed", "satisfied")
    assert case["closed_at"] is not None and case["allowed_actions"] == []
    assert_event(pk, "closed", None)

    # The timeline, through the API, tells the whole story.
    api.force_authenticate(handler)
    timeline = api.get(case_url(pk, "events")).json()
    assert [e["verb"] for e in timeline] == [
        "registered",
        "accepted",
        "assigned",
        "co_replied",
        "replied",
        "rated",
        "closed",
    ]
    assert timeline[0]["actor"] == clerk.get_full_name()
    assert timeline[2]["from_unit"]["name"] == "东镇群众诉求中心" and timeline[2]["to_unit"]["name"] == "东镇财政所"
    assert timeline[5]["actor"] == "" and timeline[5]["data"] == {"satisfaction": "satisfied"}
    assert all(e["verb_label"] for e in timeline)


def test_reject_with_guidance(api, world, register):
    handler = world.users["handler"]
    pk = register().petition.pk

    response = act(api, handler, pk, "reject", reason="属于司法程序处理的事项。")
    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "code", "guidance"}
    assert verbs_of(pk) == ["registered"]

    response = act(api, handler, pk, "reject", reason="属于司法程序处理的事项。", guidance="请向县人民法院提起诉讼。")
    assert response.status_code == 200
    case = response.json()
    assert case["status"] == "rejected"
    assert case["rejection_reason"] == "属于司法程序处理的事项。"
    assert case["rejection_guidance"] == "请向县人民法院提起诉讼。"
    assert case["closed_at"] is not None
    event = assert_event(pk, "rejected", handler, actor_unit=world.units["east_centre"])
    assert event.public and event.data == {"guidance": "请向县人民法院提起诉讼。"}


def test_settle_on_the_spot(api, world, register):
    clerk = world.users["clerk"]
    pk = register().petition.pk

    response = act(api, clerk, pk, "settle", text="村委会当场协调，已修复。")
    assert response.status_code == 200, response.json()
    case = response.json()
    assert (case["status"], case["settled_on_the_spot"]) == ("closed", True)
    assert case["reply"] == "村委会当场协调，已修复。"
    assert verbs_of(pk) == ["registered", "settled", "closed"]
    settled = PetitionEvent.objects.get(petition_id=pk, verb="settled")
    assert (settled.actor, settled.actor_unit) == (clerk, world.units["east1_desk"])
    assert_event(pk, "closed", clerk)


def test_transfer_and_return(api, world, register):
    handler, dept = world.users["handler"], world.users["dept_handler"]
    centre, bureau = world.units["east_centre"], world.units["civil_affairs"]
    pk = register().petition.pk
    assert act(api, handler, pk, "accept").status_code == 200

    response = act(api, handler, pk, "transfer", unit=bureau.pk, note="属民政职责。")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["holder_unit"]["id"]) == ("in_progress", bureau.pk)
    assert_event(pk, "transferred", handler, actor_unit=centre, from_unit=centre, to_unit=bureau)

    # The bureau may now see and act on it; it is not theirs, so it goes back.
    assert "return" in read(api, dept, pk).json()["allowed_actions"]
    response = act(api, dept, pk, "return", reason="不属民政职责，应由交通部门办理。")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["holder_unit"]["id"]) == ("accepted", centre.pk)
    event = assert_event(pk, "returned", dept, actor_unit=bureau, from_unit=bureau, to_unit=centre)
    assert event.note == "不属民政职责，应由交通部门办理。"

    # A unit outside the case's county is refused, and the case stays where it is.
    response = act(api, handler, pk, "transfer", unit=world.units["b_centre"].pk)
    assert response.status_code == 400 and "unit" in response.json()
    assert Petition.objects.get(pk=pk).holder_unit == centre


def test_an_approved_extension_counts_working_days_across_national_day(
    api, world, register, categories, finance_handler
):
    services.holidays_sync(years=[2026])
    # An administrator gave land cases a short handling limit: three working days.
    categories["land"].handling_days = 3
    categories["land"].save(update_fields=["handling_days"])
    handler, supervisor = world.users["handler"], world.users["supervisor"]

    with time_machine.travel(datetime(2026, 9, 24, 9, tzinfo=CHINA), tick=False):  # a Thursday
        pk = register(category=categories["land"]).petition.pk
        act(api, handler, pk, "accept")
        response = act(api, handler, pk, "assign", unit=world.units["east_finance"].pk)
    # Monday 28, Tuesday 29 and Wednesday 30 September: then Mid-Autumn is behind and National Day ahead.
    end_of_30_september = datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=CHINA)
    assert datetime.fromisoformat(response.json()["due_at"]) == end_of_30_september

    with time_machine.travel(datetime(2026, 9, 29, 15, tzinfo=CHINA), tick=False):
        response = act(api, finance_handler, pk, "request-extension", days=5, reason="需现场勘测，国庆期间无法施工。")
        assert response.status_code == 200, response.json()
        assert "request-extension" not in response.json()["allowed_actions"]
        event = assert_event(pk, "extension_requested", finance_handler, actor_unit=world.units["east_finance"])
        assert event.data["days"] == 5

        assert "approve-extension" in read(api, supervisor, pk).json()["allowed_actions"]
        response = act(api, supervisor, pk, "approve-extension", note="同意。")
    assert response.status_code == 200, response.json()
    # 8 (1) and 9 (2) October, Saturday 10 worked in lieu (3), Monday 12 (4), Tuesday 13 (5).
    end_of_13_october = datetime(2026, 10, 13, 23, 59, 59, 999999, tzinfo=CHINA)
    case = response.json()
    assert datetime.fromisoformat(case["due_at"]) == end_of_13_october
    assert datetime.fromisoformat(case["current_due_at"]) == end_of_13_october
    assert case["extended_days"] == 5
    lead = next(p for p in case["parts"] if p["active"] and p["role"] == "lead")
    assert datetime.fromisoformat(lead["due_at"]) == end_of_13_october
    event = assert_event(pk, "extension_approved", supervisor)
    assert datetime.fromisoformat(event.data["from"]) == end_of_30_september
    assert datetime.fromisoformat(event.data["to"]) == end_of_13_october
    assert event.public


def test_a_refused_extension_leaves_the_deadline(api, world, register, finance_handler):
    handler, leader = world.users["handler"], world.users["leader"]
    pk = register().petition.pk
    act(api, handler, pk, "accept")
    due = act(api, handler, pk, "assign", unit=world.units["east_finance"].pk).json()["due_at"]
    act(api, finance_handler, pk, "request-extension", days=10, reason="需要协调")

    response = act(api, leader, pk, "refuse-extension", note="请按期办结。")
    assert response.status_code == 200, response.json()
    assert (response.json()["due_at"], response.json()["extended_days"]) == (due, 0)
    event = assert_event(pk, "extension_refused", leader)
    assert event.note == "请按期办结。"


def test_a_note_and_a_rating_given_by_phone(api, world, register, finance_handler):
    handler, clerk = world.users["handler"], world.users["clerk"]
    pk = register().petition.pk
    act(api, handler, pk, "accept")
    act(api, handler, pk, "assign", unit=world.units["east_finance"].pk)

    response = act(api, finance_handler, pk, "note", text="已到现场查看。", public=True)
    assert response.status_code == 200
    event = assert_event(pk, "note", finance_handler, actor_unit=world.units["east_finance"])
    assert event.public and event.note == "已到现场查看。"

    act(api, finance_handler, pk, "reply", text="已修复。")
    # The resident phones the village desk: unsatisfied. The case stays open for a review.
    response = act(api, clerk, pk, "rate", satisfaction="unsatisfied", comment="只修了一半")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["satisfaction"]) == ("replied", "unsatisfied")
    assert_event(pk, "rated", clerk)

    response = act(api, clerk, pk, "close", note="群众未申请复查。")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert_event(pk, "closed", clerk)


# --- Bad input changes nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"region": "990122100200"}, "region"),  # 北一村, in the other county
        ({"content": None}, "content"),
        ({"channel": "pigeon"}, "channel"),
        ({"complainant_phone": "12345"}, "complainant_phone"),
    ],
)
def test_bad_registration_is_a_400_that_names_the_field_and_saves_nothing(api, world, change, field):
    data = walk_in(world, **change)
    data = {key: value for key, value in data.items() if value is not None}
    api.force_authenticate(world.users["clerk"])
    response = api.post(CASES, data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"] == "输入有误。"
    assert body.get(field)
    assert nothing_saved()


def test_an_oversized_attachment_is_refused_and_nothing_is_saved(api, world, settings):
    settings.SUQIU_MAX_ATTACHMENT_BYTES = 1024 * 1024
    big = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (1024 * 1024), content_type="image/jpeg")
    api.force_authenticate(world.users["clerk"])
    response = api.post(CASES, {**walk_in(world), "attachments": [big]}, format="multipart")
    assert response.status_code == 400
    assert "photo.jpg" in response.json()["attachments"][0]
    assert nothing_saved()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_a_disguised_attachment_is_refused_and_nothing_is_saved(api, world, settings):
    disguised = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho not a photo\n", content_type="image/jpeg")
    api.force_authenticate(world.users["clerk"])
    response = api.post(CASES, {**walk_in(world), "attachments": [disguised]}, format="multipart")
    assert response.status_code == 400
    assert "photo.jpg" in response.json()["attachments"][0]
    assert nothing_saved()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_a_photo_registered_with_the_case_is_downloaded_only_by_people_who_see_the_case(api, world, register):
    photo = SimpleUploadedFile("塌方.png", png(), content_type="image/png")
    api.force_authenticate(world.users["clerk"])
    response = api.post(CASES, {**walk_in(world), "anonymous": "false", "attachments": [photo]}, format="multipart")
    assert response.status_code == 201, response.json()
    [attachment] = response.json()["attachments"]
    assert (attachment["name"], attachment["type"], attachment["size"]) == ("塌方.png", "image/png", len(png()))

    api.force_authenticate(world.users["handler"])
    download = api.get(attachment["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == png()

    for outsider in ("other_clerk", "foreign_supervisor", "observer"):
        api.force_authenticate(world.users[outsider])
        assert api.get(attachment["download_url"]).status_code == 404
    # The file of another case is not reached through this case's address.
    other = register().petition.pk
    api.force_authenticate(world.users["handler"])
    assert api.get(f"{case_url(other)}attachments/{attachment['id']}/").status_code == 404


def test_staff_attach_a_file_to_an_open_case(api, world, register):
    handler = world.users["handler"]
    pk = register().petition.pk
    api.force_authenticate(handler)
    upload = SimpleUploadedFile("scan.png", png(), content_type="image/png")
    response = api.post(case_url(pk, "attachments"), {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "scan.png"
    event = assert_event(pk, "attached", handler, actor_unit=world.units["east_centre"])
    assert event.data["name"] == "scan.png"
    assert [a["name"] for a in api.get(case_url(pk, "attachments")).json()] == ["scan.png"]

    fake = SimpleUploadedFile("scan2.png", b"plain text", content_type="image/png")
    response = api.post(case_url(pk, "attachments"), {"file": fake}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    assert Attachment.objects.filter(petition_id=pk).count() == 1


# --- Refusals ------------------------------------------------------------------------------------


def test_an_illegal_transition_is_a_409_in_chinese_and_changes_nothing(api, world, register):
    pk = register().petition.pk
    before = Petition.objects.get(pk=pk)

    response = act(api, world.users["handler"], pk, "reply", text="已处理。")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_state"
    assert "已登记" in body["detail"] and not re.search(r"[A-Za-z]", body["detail"])
    after = Petition.objects.get(pk=pk)
    assert (after.status, after.version, after.reply_text) == ("registered", before.version, "")
    assert verbs_of(pk) == ["registered"]


def test_a_stale_version_is_a_409_and_changes_nothing(api, world, register):
    handler = world.users["handler"]
    pk = register().petition.pk
    seen = read(api, handler, pk).json()["version"]

    # Someone else adds a note meanwhile.
    assert act(api, world.users["leader"], pk, "note", text="请尽快受理。", version=seen).status_code == 200

    response = act(api, handler, pk, "accept", version=seen)
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version" and response.json()["detail"]
    assert Petition.objects.get(pk=pk).status == "registered"
    assert verbs_of(pk) == ["registered", "note"]

    response = act(api, handler, pk, "accept", version=seen + 1)
    assert response.status_code == 200 and response.json()["version"] == seen + 2


def test_seeing_a_case_without_the_right_to_act_is_a_403(api, world, register):
    pk = register().petition.pk
    response = act(api, world.users["clerk"], pk, "accept")
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert Petition.objects.get(pk=pk).status == "registered"


@pytest.mark.parametrize("outsider", ["other_clerk", "foreign_clerk", "foreign_supervisor", "observer", "nobody"])
def test_a_case_outside_the_callers_view_is_a_404_for_every_verb(api, world, register, outsider):
    pk = register().petition.pk
    user = world.users[outsider]
    assert read(api, user, pk).status_code == 404
    api.force_authenticate(user)
    assert api.get(case_url(pk, "events")).status_code == 404
    assert api.get(case_url(pk, "attachments")).status_code == 404
    for verb in VERBS:
        response = act(api, user, pk, verb)
        assert response.status_code == 404, verb
        assert response.json()["code"] == "not_found"
    assert verbs_of(pk) == ["registered"]


def test_anonymous_callers_are_refused(api, world, register):
    pk = register().petition.pk
    assert api.get(CASES).status_code == 401
    assert api.post(case_url(pk, "accept"), {}, format="json").status_code == 401


# --- What each person sees --------------------------------------------------------------------------


def test_the_query_code_is_shown_once(api, world):
    api.force_authenticate(world.users["clerk"])
    created = api.post(CASES, walk_in(world), format="json").json()
    code, pk = created["query_code"], created["id"]

    for url in (CASES, case_url(pk), case_url(pk, "events"), case_url(pk, "attachments")):
        response = api.get(url)
        assert response.status_code == 200
        assert "query_code" not in response.content.decode() and code not in response.content.decode(), url
    response = act(api, world.users["handler"], pk, "accept")
    assert "query_code" not in response.content.decode() and code not in response.content.decode()


def test_personal_data_is_masked_for_a_co_handling_unit(api, world):
    handler, dept, clerk = world.users["handler"], world.users["dept_handler"], world.users["clerk"]
    id_number = valid_id_number()
    api.force_authenticate(clerk)
    pk = api.post(CASES, walk_in(world, complainant_id_number=id_number), format="json").json()["id"]

    # The township centre holds the case: it sees the complainant in full.
    case = act(api, handler, pk, "accept").json()
    assert (case["complainant_phone"], case["complainant_id_number"]) == ("13800138000", id_number)
    assert case["complainant_name"] == "字红梅" and case["personal_data_masked"] is False

    act(api, handler, pk, "assign", unit=world.units["east_finance"].pk, co_units=[world.units["civil_affairs"].pk])
    case = read(api, dept, pk).json()
    assert case["complainant_phone"] == "138****8000"
    assert case["complainant_id_number"] == "5301**********" + id_number[-4:]
    assert case["complainant_name"] == "字**"
    assert case["personal_data_masked"] is True

    # The desk that took it in, and the county's supervisors, still see it in full.
    for user in (clerk, world.users["supervisor"]):
        assert read(api, user, pk).json()["complainant_phone"] == "13800138000"


def test_observers_see_no_cases(api, world, register):
    pk = register().petition.pk
    api.force_authenticate(world.users["observer"])
    response = api.get(CASES)
    assert response.status_code == 200 and response.json()["results"] == []
    assert api.get(case_url(pk)).status_code == 404


def test_the_list_filters_of_the_contract(api, world, register, categories):
    handler = world.users["handler"]
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=CHINA), tick=False):
        old = register(title="水渠堵塞").petition
    with time_machine.travel(datetime(2026, 5, 28, 10, tzinfo=CHINA), tick=False):
        land = register(category=categories["land"], channel="phone", region=world.region("东二村")).petition
        fresh = register(title="路灯不亮").petition
        act(api, handler, fresh.pk, "accept")
        foreign = register("foreign_clerk", region=world.region("北一村")).petition

    def ids(**params) -> set[int]:
        api.force_authenticate(world.users["supervisor"])
        with time_machine.travel(datetime(2026, 6, 1, 10, tzinfo=CHINA), tick=False):
            response = api.get(CASES, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {old.pk, land.pk, fresh.pk}  # never the other county's case
    assert foreign.pk not in ids()
    assert ids(status="accepted") == {fresh.pk}
    assert ids(category="land") == {land.pk}
    assert ids(channel="phone") == {land.pk}
    assert ids(region=world.region("东一村").code) == {old.pk, fresh.pk}
    assert ids(region=world.region("东镇").code) == {old.pk, land.pk, fresh.pk}
    assert ids(overdue="true") == {old.pk}
    assert ids(q="水渠") == {old.pk}
    assert ids(q=land.tracking_number) == {land.pk}
    assert ids(status="registered", category="infrastructure", region="990121100200") == {old.pk}

    api.force_authenticate(world.users["supervisor"])
    response = api.get(CASES, {"category": "weather", "region": "东镇"})
    assert response.status_code == 400
    assert {"category", "region"} <= set(response.json())


def test_the_list_row(api, world, register):
    petition = register().petition
    api.force_authenticate(world.users["clerk"])
    [row] = api.get(CASES).json()["results"]
    assert row["id"] == petition.pk and row["tracking_number"] == petition.tracking_number
    assert row["status"] == "registered" and row["status_label"] == "已登记"
    assert row["category"] == {"code": "infrastructure", "name": "基础设施"}
    assert row["region"] == {"code": "990121100200", "name": "东一村"}
    assert row["holder_unit"]["name"] == "东镇群众诉求中心"
    assert row["overdue"] is False
    assert "complainant_phone" not in row and "complainant_name" not in row


def test_the_list_runs_a_fixed_number_of_queries(api, world, register, django_assert_max_num_queries):
    handler = world.users["handler"]
    for n in range(50):
        pk = register(title=f"第{n}件", complainant_phone=f"139{n:08d}").petition.pk
        if n % 3 == 0:
            services.petition_accept(petition_id=pk, actor=handler)
        if n % 6 == 0:
            services.petition_assign(petition_id=pk, actor=handler, unit=world.units["east_finance"])

    for username in ("supervisor", "handler", "clerk"):
        api.force_authenticate(User.objects.get(username=username))  # nothing cached on the user
        filters = {"page_size": 50, "status": ["registered", "accepted", "in_progress"], "category": "infrastructure"}
        with django_assert_max_num_queries(3) as captured:
            response = api.get(CASES, filters)
        assert response.status_code == 200
        # No SELECT DISTINCT: it would sort the caller's whole view before reading the first page.
        assert not [q for q in captured.captured_queries if "DISTINCT" in q["sql"].upper()]
        assert len(response.json()["results"]) == 50, username
        assert response.json()["next"] is None


def test_the_list_pages_by_cursor(api, world, register):
    created = [register(title=f"第{n}件", complainant_phone=f"139{n:08d}").petition.pk for n in range(5)]
    api.force_authenticate(world.users["handler"])
    first = api.get(CASES, {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == sorted(created, reverse=True)
    assert third["next"] is None


# --- The schema ----------------------------------------------------------------------------------------


def test_the_openapi_schema_documents_every_verb_and_validates(api, world):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/petitions/"])
    assert "get" in paths["/api/v1/petitions/{id}/"]
    for verb in VERBS:
        operation = paths[f"/api/v1/petitions/{{id}}/{verb}/"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"]), verb
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "get" in paths["/api/v1/petitions/{id}/events/"]
    assert {"get", "post"} <= set(paths["/api/v1/petitions/{id}/attachments/"])
    assert "get" in paths["/api/v1/petitions/{id}/attachments/{attachment_id}/"]
    list_filters = {p["name"] for p in paths["/api/v1/petitions/"]["get"]["parameters"]}
    assert {"status", "category", "channel", "region", "overdue", "q", "cursor"} <= list_filters


def test_the_schema_generates_without_a_warning(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"), stdout=StringIO()
    )
