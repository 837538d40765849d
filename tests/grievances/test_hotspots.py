"""Hotspots (热点分析, issue 19 part 4): clusters of similar grievances, people who came back
again and again, cases open across years; who sees what of them; the supervision notices sent
for a cluster; the township leaders told once when a cluster grows.

The cast (tests/conftest.py): five residents of 东一村 report the same broken road in their own
words, five others five different infrastructure problems of the same village; 字红梅 comes
back three times. Expected values are counted by hand from these sentences."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grievances.hotspots.models import Hotspot, HotspotCase
from grievances.hotspots.services import hotspots_alert, hotspots_refresh
from grievances.hotspots.tasks import refresh_hotspots
from petitions.models import Notification, PetitionEvent, SupervisionNotice
from stations.models import Membership
from stations.services import membership_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=CHINA)
EAST = "990121100000"  # 东镇
EAST1 = "990121100200"  # 东一村
WEST = "990121101000"  # 西镇
COUNTY = "990121000000"
# The queries pinned (docs/statistics.md, "Hotspots"): session, user, two factors and scope
# before the figures' own.
PAGE_QUERIES = 14
API_QUERIES = 11
API_QUERIES_DESK = 11

ROAD = [
    "村口到镇上的道路坑洼不平，下雨天积水严重，车辆无法通行，请求尽快修复。",
    "我们村通往镇里的那条路坑坑洼洼，一下雨就积水，摩托车都过不去，希望修一下路。",
    "反映村口道路破损严重，雨天积水，群众出行困难，要求修路。",
    "村到镇的公路路面坑洼，下雨积水没法走，孩子上学很不方便，请政府修复道路。",
    "村口那段道路年久失修，坑洼积水，车辆通行困难，请求维修。",
]
DIFFERENT = [
    "村小学旁边的桥梁出现裂缝，存在安全隐患，请求检测加固。",
    "组里的水渠堵塞，灌溉用水引不进田里，影响春耕。",
    "村里手机信号很差，网络不通，请求建设通信基站。",
    "垃圾中转站长期不清运，臭气熏天，影响周边群众生活。",
    "村卫生室没有医生坐诊，看病要跑到镇上。",
]


@pytest.fixture
def village(register):
    """Ten cases at the 东一村 desk on 1–10 June: the five alike, then the five different."""
    cases = {"road": [], "different": []}
    for i, text in enumerate(ROAD + DIFFERENT):
        with time_machine.travel(datetime(2026, 6, 1 + i, 9, 0, tzinfo=CHINA), tick=False):
            kind = "road" if i < 5 else "different"
            case = register(
                title=text[:10], content=text, complainant_name=f"李{i}", complainant_phone=f"1390000{i:04d}"
            ).petition
            cases[kind].append(case.pk)
    with time_machine.travel(NOW, tick=False):
        hotspots_refresh()
    return cases


def _get(api, user, params=None):
    api.force_authenticate(user)
    with time_machine.travel(NOW, tick=False):
        return api.get("/api/v1/stats/hotspots/", params or {})


def test_five_alike_complaints_are_one_cluster_and_five_different_ones_none(api, world, village):
    response = _get(api, world.users["supervisor"], {"region": EAST})
    assert response.status_code == 200, response.content
    clusters = response.json()["clusters"]
    assert len(clusters) == 1
    cluster = clusters[0]
    assert (cluster["place"], cluster["region"], cluster["category"], cluster["cases"]) == (
        "东一村",
        EAST1,
        "基础设施",
        5,
    )
    assert sorted(case["id"] for case in cluster["linked"]) == sorted(village["road"])
    assert cluster["not_linked"] == 0
    # Words at least three of the five use (积水 5, 道路 3, 坑洼 3, 下雨 2 … by jieba's cut).
    assert "积水" in cluster["keywords"]
    assert set(HotspotCase.objects.values_list("petition_id", flat=True)) == set(village["road"])


def test_the_cluster_keeps_its_id_from_one_night_to_the_next(world, village):
    first = Hotspot.objects.get()
    with time_machine.travel(NOW, tick=False):
        result = hotspots_refresh()
    assert (result.created, result.retired, result.active) == (0, 0, 1)
    assert Hotspot.objects.get().pk == first.pk


def test_a_sixth_resident_grows_the_cluster_and_its_cases_age_out_of_the_window(api, world, village, register):
    first = Hotspot.objects.get()
    with time_machine.travel(datetime(2026, 6, 14, 9, 0, tzinfo=CHINA), tick=False):
        register(
            title="村口道路", content="村口道路坑洼积水，车辆无法通行，请求修路。", complainant_phone="13600000000"
        )
    with time_machine.travel(NOW, tick=False):
        hotspots_refresh()
    assert (Hotspot.objects.get().pk, Hotspot.objects.get().size) == (first.pk, 6)
    # 90 days after the last of them (14 June), they have all left the window: the cluster ends.
    with time_machine.travel(datetime(2026, 9, 13, 10, 0, tzinfo=CHINA), tick=False):
        result = hotspots_refresh()
        assert (result.active, result.retired) == (0, 1)
        api.force_authenticate(world.users["supervisor"])
        assert api.get("/api/v1/stats/hotspots/", {"region": EAST}).json()["clusters"] == []
    assert Hotspot.objects.get().active is False


def test_a_person_who_came_back_three_times(api, world, register):
    for day, text in ((2, "村道塌方"), (9, "村道还没修"), (20, "村道塌方第三次反映")):
        with time_machine.travel(datetime(2026, 5, day, 9, 0, tzinfo=CHINA), tick=False):
            register(title=text, content=text, complainant_name="字红梅", complainant_phone="13912345678")
    with time_machine.travel(datetime(2026, 5, 3, 9, 0, tzinfo=CHINA), tick=False):
        register(title="路灯不亮", content="路灯不亮", complainant_name="王五", complainant_phone="13700001111")
    people = _get(api, world.users["supervisor"], {"region": COUNTY}).json()["people"]
    assert len(people) == 1
    person = people[0]
    assert (person["visits"], person["name"], person["phone"], person["open"]) == (3, "字**", "139****5678", 3)
    assert "13912345678" not in str(people)
    # The county observer counts them too, but may open none of their cases: no name, no phone.
    seen = _get(api, world.users["observer"], {"region": COUNTY}).json()["people"]
    assert [(p["visits"], p["name"], p["phone"], p["linked"]) for p in seen] == [(3, "", "", [])]


def test_cases_open_across_years(api, world, register):
    with time_machine.travel(datetime(2025, 11, 20, 9, 0, tzinfo=CHINA), tick=False):
        old = register(title="去年的路", content="去年反映的村道问题").petition
    with time_machine.travel(datetime(2026, 2, 1, 9, 0, tzinfo=CHINA), tick=False):
        register(title="今年的路", content="今年反映的村道问题", complainant_phone="13700002222")
    data = _get(api, world.users["supervisor"], {"region": EAST}).json()["open_across_years"]
    assert data["count"] == 1
    assert [(c["id"], c["tracking_number"], c["title"], c["status"]) for c in data["linked"]] == [
        (old.pk, old.tracking_number, "去年的路", "registered")
    ]
    assert data["linked"][0]["received_at"] == "2025-11-20T09:00:00+08:00"


def test_the_township_leader_is_told_once_when_the_cluster_reaches_five(client, world, village, settings):
    settings.SUQIU_HOTSPOT_ALERT_CASES = 5
    with time_machine.travel(NOW, tick=False):
        refresh_hotspots()
        refresh_hotspots()
        assert hotspots_alert() == 0
    told = Notification.objects.filter(kind="hotspot")
    assert list(told.values_list("user__username", flat=True)) == ["leader"]
    hotspot = Hotspot.objects.get()
    assert told.get().dedupe_key == f"hotspot:{hotspot.pk}"
    assert hotspot.alerted_at == NOW
    # The notification opens the cluster on the hotspots page.
    client.force_login(world.users["leader"])
    with time_machine.travel(NOW, tick=False):
        page = client.get(told.get().url)
    assert page.status_code == 200
    assert f'id="hotspot-{hotspot.pk}"' in page.content.decode()


def test_no_alert_below_the_threshold(world, village, settings):
    settings.SUQIU_HOTSPOT_ALERT_CASES = 6
    with time_machine.travel(NOW, tick=False):
        assert hotspots_alert() == 0
    assert not Notification.objects.filter(kind="hotspot").exists()


@pytest.mark.parametrize("who", ["other_clerk", "foreign_supervisor", "foreign_clerk", "west_observer"])
def test_outsiders_see_none_of_it(api, world, village, who):
    if who == "west_observer":
        world.users[who] = UserFactory(username=who)
        membership_grant(user=world.users[who], unit=world.units["west_centre"], role=Membership.Role.OBSERVER)
    user = world.users[who]
    assert _get(api, user, {"region": EAST}).status_code == 404
    assert _get(api, user, {"region": COUNTY}).status_code == 404
    everything = _get(api, user)
    if everything.status_code == 200:
        data = everything.json()
        assert (data["clusters"], data["people"], data["open_across_years"]["count"]) == ([], [], 0)
    hotspot = Hotspot.objects.get()
    api.force_authenticate(user)
    answer = api.post(f"/api/v1/stats/hotspots/{hotspot.pk}/notice/", {"text": "请限期整改"}, format="json")
    assert answer.status_code == 404
    assert not SupervisionNotice.objects.exists()


def test_the_observer_counts_the_cluster_but_opens_none_of_it(api, world, village):
    cluster = _get(api, world.users["observer"], {"region": EAST}).json()["clusters"][0]
    assert (cluster["cases"], cluster["linked"], cluster["not_linked"]) == (5, [], 5)
    assert cluster["keywords"]  # every case of it is counted: its words are no one's in particular


def test_a_desk_that_logged_part_of_a_cluster_sees_its_part_and_no_wording(api, world, register):
    """Three of the road complaints at the 东一村 desk, two at the 东二村 desk: the township's
    cluster of five is counted 3 by the 东一村 clerk, who sees no keyword (they come from cases
    the clerk cannot see); the township centre, which holds all five, sees them all."""
    east2_clerk = UserFactory(username="east2_clerk")
    membership_grant(user=east2_clerk, unit=world.units["east2_desk"], role=Membership.Role.CLERK)
    world.users["east2_clerk"] = east2_clerk
    for i, text in enumerate(ROAD):
        with time_machine.travel(datetime(2026, 6, 1 + i, 9, 0, tzinfo=CHINA), tick=False):
            if i < 3:
                register(title=text[:10], content=text, complainant_phone=f"1390000{i:04d}")
            else:
                register(
                    "east2_clerk",
                    region=world.region("东二村"),
                    title=text[:10],
                    content=text,
                    complainant_phone=f"1390000{i:04d}",
                )
    with time_machine.travel(NOW, tick=False):
        hotspots_refresh()
    mine = _get(api, world.users["clerk"]).json()["clusters"]
    assert [(c["place"], c["cases"], c["not_linked"], c["keywords"], len(c["linked"])) for c in mine] == [
        ("东镇", 3, 0, [], 3)
    ]
    held = _get(api, world.users["handler"], {"region": EAST}).json()["clusters"]
    assert [(c["cases"], c["not_linked"], len(c["linked"])) for c in held] == [(5, 0, 5)]
    assert held[0]["keywords"]


def test_a_report_against_officials_never_enters_a_cluster(api, world, register, categories):
    for i, text in enumerate(ROAD):
        with time_machine.travel(datetime(2026, 6, 1 + i, 9, 0, tzinfo=CHINA), tick=False):
            register(
                category=categories["discipline"],
                title=text[:10],
                content=f"村主任杨某挪用修路款。{text}",
                complainant_name=f"李{i}",
                complainant_phone="13911110000",
                accused=[{"name": "杨某", "post": "村主任"}],
            )
    with time_machine.travel(NOW, tick=False):
        hotspots_refresh()
    assert not Hotspot.objects.exists()
    for who in ("leader", "handler", "supervisor", "clerk"):
        data = _get(api, world.users[who]).json()
        # Not a cluster, not a person who came back (five reports, one phone), not counted.
        assert (data["clusters"], data["people"]) == ([], []), who
        assert "杨某" not in str(data)


def test_a_cluster_sent_as_supervision_notices(api, world, village):
    hotspot = Hotspot.objects.get()
    supervisor = world.users["supervisor"]
    api.force_authenticate(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = api.post(f"/api/v1/stats/hotspots/{hotspot.pk}/notice/", {"text": "村道问题集中，限期答复"})
    assert response.status_code == 201, response.content
    assert sorted(response.json()["cases"]) == sorted(village["road"])
    notices = SupervisionNotice.objects.filter(petition_id__in=village["road"])
    assert notices.count() == 5
    assert {n.unit.name for n in notices} == {"东镇群众诉求中心"}
    events = PetitionEvent.objects.filter(verb=PetitionEvent.Verb.SUPERVISED, petition_id__in=village["road"])
    assert sorted(events.values_list("petition_id", flat=True)) == sorted(village["road"])
    assert {(e.actor_id, e.note) for e in events} == {(supervisor.pk, "村道问题集中，限期答复")}
    assert set(HotspotCase.objects.values_list("notice_id", flat=True)) == set(notices.values_list("pk", flat=True))
    # Sent again: every case already has its notice; nothing more is issued.
    again = api.post(f"/api/v1/stats/hotspots/{hotspot.pk}/notice/", {"text": "再次督办"})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    assert SupervisionNotice.objects.count() == 5


def test_a_clerk_may_not_send_notices_and_bad_input_changes_nothing(api, world, village):
    hotspot = Hotspot.objects.get()
    for who in ("clerk", "observer"):  # the desk that logged them; the county's observer (figures only)
        api.force_authenticate(world.users[who])
        assert api.post(f"/api/v1/stats/hotspots/{hotspot.pk}/notice/", {"text": "督办"}).status_code == 403, who
    api.force_authenticate(world.users["supervisor"])
    bad = api.post(f"/api/v1/stats/hotspots/{hotspot.pk}/notice/", {"text": "督办", "days": 99})
    assert bad.status_code == 400 and "days" in bad.json()
    assert api.post(f"/api/v1/stats/hotspots/{hotspot.pk}/notice/", {"text": "  "}).status_code == 400
    assert not SupervisionNotice.objects.exists()


def test_the_page_sends_the_same_notices_through_htmx(client, world, village):
    hotspot = Hotspot.objects.get()
    client.force_login(world.users["supervisor"])
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/staff/dashboard/hotspots/{hotspot.pk}/notice/?region={EAST}",
            {"text": "村道问题集中，限期答复"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert 'id="hotspot-message"' in response.content.decode()
    assert SupervisionNotice.objects.count() == 5


@pytest.fixture
def returning(register, categories):
    """Someone back three times (other categories: the cluster is unchanged): every read runs."""
    for day in (11, 12, 13):
        with time_machine.travel(datetime(2026, 6, day, 9, 0, tzinfo=CHINA), tick=False):
            register(category=categories["land"], title="宅基地", content="宅基地纠纷", complainant_phone="13912345678")


def test_the_page_refuses_an_empty_text_in_the_users_words_and_without_htmx_redirects(client, world, village):
    hotspot = Hotspot.objects.get()
    client.force_login(world.users["supervisor"])
    url = f"/staff/dashboard/hotspots/{hotspot.pk}/notice/?region={EAST}"
    with time_machine.travel(NOW, tick=False):
        refused = client.post(url, {"text": " "}, HTTP_HX_REQUEST="true")
        assert 'id="hotspot-error"' in refused.content.decode()
        assert not SupervisionNotice.objects.exists()
        sent = client.post(url, {"text": "限期答复"})
    assert (sent.status_code, sent["Location"]) == (302, f"/staff/dashboard/hotspots/?region={EAST}")
    assert SupervisionNotice.objects.count() == 5


def test_the_page_lists_the_cluster_with_links_and_pins_its_queries(
    client, world, village, returning, django_assert_num_queries
):
    client.force_login(world.users["supervisor"])
    with time_machine.travel(NOW, tick=False):
        client.get(f"/staff/dashboard/hotspots/?region={EAST}")  # the session's first reads
        with django_assert_num_queries(PAGE_QUERIES):
            response = client.get(f"/staff/dashboard/hotspots/?region={EAST}&panel=1")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('href="/staff/cases/') == 5 + 3  # the cluster's cases, the person's
    assert 'id="hotspot-clusters"' in body


@pytest.mark.parametrize(
    ("who", "region", "queries"),
    [
        # Who watches the whole region: its cases by one range, every one of them opened.
        ("supervisor", EAST, API_QUERIES),
        # A desk: its own cases (the union of rules), each listed one checked by the selector.
        ("clerk", EAST1, API_QUERIES_DESK),
    ],
)
def test_the_api_pins_its_queries(api, world, village, returning, who, region, queries, django_assert_num_queries):
    api.force_authenticate(world.users[who])
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(queries):
        response = api.get("/api/v1/stats/hotspots/", {"region": region})
    data = response.json()
    assert [(c["cases"], len(c["linked"])) for c in data["clusters"]] == [(5, 5)]
    assert [(p["visits"], len(p["linked"])) for p in data["people"]] == [(3, 3)]


def test_a_web_process_never_loads_jieba():
    """jieba's dictionary (~50 MiB) is for the nightly job only: the URLs, the views, the API
    and the tasks' modules import it lazily (grievances/hotspots/similarity.py)."""
    code = (
        "import sys, django; django.setup(); import config.urls, grievances.tasks;"
        "from grievances.hotspots import views, api, services;"
        "sys.exit('jieba' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


def test_the_dashboard_loads_the_panel_after_the_page(client, world):
    client.force_login(world.users["supervisor"])
    body = client.get("/staff/dashboard/").content.decode()
    assert 'id="hotspots-panel"' in body and "/staff/dashboard/hotspots/?panel=1" in body
