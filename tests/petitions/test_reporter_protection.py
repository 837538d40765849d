"""The reporter is safe from the accused: no link, count, search hit, timeline step or
notification leads an official named in a report to the report or to its reporter.

The story (the security review's): a resident of 东一村 reports a village official (case X,
handled by the township commission 东镇纪委), then, from the same phone, the township
commission's own secretary (case Y, routed around it to the county commission). The secretary
must not reach Y, nor learn from X that its reporter came back."""

from __future__ import annotations

from datetime import timedelta

import opencc
import pytest
from django.urls import reverse
from django.utils import timezone

from petitions.masking import CONFIDENTIAL
from petitions.models import Notification, Petition, PetitionEvent, Recusal
from petitions.services import (
    notice_issue,
    petition_accept,
    petition_dispose,
    petition_escalate,
    petition_note,
    petition_register,
    petition_reveal,
)
from stations.models import Membership
from stations.services import membership_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
REPORTER = "字某某"
SECRETARY = "郑秋实"


@pytest.fixture
def commission(world, township_commission):
    """东镇纪委 (tests/petitions/conftest.py) and its secretary, a supervisor."""
    secretary = UserFactory(username="twp_secretary", full_name=SECRETARY)
    membership_grant(user=secretary, unit=township_commission, role=Membership.Role.SUPERVISOR)
    world.users["secretary"] = secretary
    return township_commission


@pytest.fixture
def report(world, categories, commission):
    def _report(*accused, title="参合金被截留", content="村里截留参合金。", actor="clerk"):
        return petition_register(
            actor=world.users[actor],
            channel="visit",
            category=categories["discipline"],
            region=world.region("东一村"),
            title=title,
            content=content,
            complainant_name=REPORTER,
            complainant_phone=PHONE,
            accused=list(accused),
        )

    return _report


@pytest.fixture
def both(world, report):
    """X against a village official (the township commission handles it), then Y against the
    township commission's secretary by name (the county commission handles it)."""
    x = report({"name": "杨某某", "post": "村党支部副书记"}, title="村干部截留参合金").petition
    y = report({"name": SECRETARY, "post": "镇纪委书记"}, title="镇纪委书记包庇", content="郑秋实收受好处。").petition
    return x, y


# --- 1. No link, count or search leads from one report to another -----------------------------


def test_a_report_is_never_linked_to_another_report_of_the_same_reporter(client, api, world, both):
    x, y = both
    assert x.holder_unit == world.units["east_commission"]
    assert y.holder_unit == world.units["county_commission"]
    x.refresh_from_db()
    y.refresh_from_db()
    assert (y.repeat_of_id, x.repeat_count) == (None, 0)
    assert not PetitionEvent.objects.filter(petition__in=[x, y], verb=PetitionEvent.Verb.REPEAT).exists()

    secretary = world.users["secretary"]
    api.force_authenticate(secretary)
    # X is his unit's case: it names no other case, counts none, and its timeline shows none.
    detail = api.get(f"/api/v1/petitions/{x.pk}/").json()
    assert (detail["repeat_of"], detail["repeat_count"]) == (None, 0)
    assert "repeat" not in [event["verb"] for event in api.get(f"/api/v1/petitions/{x.pk}/events/").json()]
    # Searching Y's tracking number, or its words, finds nothing.
    for q in (y.tracking_number, "包庇", SECRETARY):
        assert api.get("/api/v1/petitions/", {"q": q}).json()["results"] == [], q
        client.force_login(secretary)
        assert f'data-case="{y.pk}"' not in client.get(reverse("petitions:cases"), {"q": q}).content.decode()


def test_links_written_before_the_rule_are_not_shown(client, api, world, both):
    """A link stored by an earlier version (the migration drops them; the pages hide any left)."""
    x, y = both
    Petition.objects.filter(pk=y.pk).update(repeat_of=x)
    Petition.objects.filter(pk=x.pk).update(repeat_count=1)
    PetitionEvent.objects.create(petition=y, verb=PetitionEvent.Verb.REPEAT, data={"repeat_of": x.tracking_number})
    county = world.users["supervisor"]
    api.force_authenticate(county)
    for case in (x, y):
        detail = api.get(f"/api/v1/petitions/{case.pk}/").json()
        assert (detail["repeat_of"], detail["repeat_count"]) == (None, 0)
        events = api.get(f"/api/v1/petitions/{case.pk}/events/").json()
        assert x.tracking_number not in str(events) or case == x
    client.force_login(county)
    page = client.get(reverse("petitions:case", args=[y.pk])).content.decode()
    assert x.tracking_number not in page


def test_ordinary_repeats_are_still_linked(register):
    first = register().petition
    second = register().petition
    second.refresh_from_db()
    assert second.repeat_of_id == first.pk


# --- 5. The recused see nothing -------------------------------------------------------------


def test_the_recused_secretary_gets_404_everywhere(client, api, world, both, notification_routes):
    x, y = both
    assert Recusal.objects.filter(petition=y, unit=world.units["east_commission"]).exists()
    for who in ("secretary", "twp_officer"):
        user = world.users[who]
        api.force_authenticate(user)
        for path in ("", "events/", "attachments/"):
            assert api.get(f"/api/v1/petitions/{y.pk}/{path}").status_code == 404, (who, path)
        assert api.post(f"/api/v1/petitions/{y.pk}/reveal/", {"reason": "核实"}).status_code == 404
        assert api.post(f"/api/v1/petitions/{y.pk}/note/", {"text": "看看"}).status_code == 404
        listed = [row["id"] for row in api.get("/api/v1/petitions/").json()["results"]]
        assert x.pk in listed and y.pk not in listed
        client.force_login(user)
        assert client.get(reverse("petitions:case", args=[y.pk])).status_code == 404
        assert client.post(reverse("petitions:reveal", args=[y.pk]), {"reason": "核实"}).status_code == 404
    # A supervision notice on Y, and the commission statistics of the township, do not show it.
    notice = notice_issue(petition_id=y.pk, actor=world.users["supervisor"], text="请按期办结", days=5)
    api.force_authenticate(world.users["secretary"])
    notices = api.get("/api/v1/supervision-notices/").json()
    assert notice.pk not in [row["id"] for row in notices.get("results", notices)]
    assert api.get(f"/api/v1/supervision-notices/{notice.pk}/").status_code == 404
    township = world.region("东镇").code
    assert api.get("/api/v1/stats/commission/", {"region": township}).json()["received"] == 1  # X only
    api.force_authenticate(world.users["supervisor"])
    assert api.get("/api/v1/stats/commission/", {"region": township}).json()["received"] == 2
    # The county commission handles it; an escalation notifies nobody of the recused unit.
    county = world.users["county_officer"]
    api.force_authenticate(county)
    assert api.get(f"/api/v1/petitions/{y.pk}/").status_code == 200
    petition_escalate(petition_id=y.pk, now=timezone.now() + timedelta(days=60))
    told = set(Notification.objects.filter(petition=y).values_list("user_id", flat=True))
    assert world.users["secretary"].pk not in told and world.users["twp_officer"].pk not in told


def test_the_township_leader_named_the_township_commission_sees_nothing(api, world, report):
    leader = world.users["leader"]
    case = report({"name": leader.full_name, "post": "镇党委书记"}).petition
    assert case.holder_unit == world.units["county_commission"]
    api.force_authenticate(world.users["secretary"])
    assert api.get(f"/api/v1/petitions/{case.pk}/").status_code == 404
    api.force_authenticate(world.users["county_officer"])
    assert api.get(f"/api/v1/petitions/{case.pk}/").status_code == 200


def test_a_desk_whose_own_leader_is_named_sees_nothing_after_registering(api, world, report):
    """A report naming the village's own Party secretary (a leader of a unit of the village):
    the desk that logged it stands aside too."""
    registration = report({"name": "某某", "post": "东一村党支部书记"})
    case = registration.petition
    assert Recusal.objects.filter(petition=case, unit=world.units["east1_desk"]).exists()
    api.force_authenticate(world.users["clerk"])
    assert api.get(f"/api/v1/petitions/{case.pk}/").status_code == 404
    assert registration.query_code  # the receipt was printed at registration


# --- 6. The desk that logged a report sees a shell -----------------------------------------


def test_the_desk_sees_a_shell(client, api, world, report):
    registration = report({"name": "杨某某", "post": "村党支部副书记"})
    case = registration.petition
    officer = world.users["twp_officer"]
    petition_accept(petition_id=case.pk, actor=officer)
    petition_note(petition_id=case.pk, actor=officer, text="内部：已约谈杨某某")
    petition_reveal(petition_id=case.pk, actor=officer, reason="需联系举报人核实")
    petition_dispose(
        petition_id=case.pk,
        actor=officer,
        kind="case_opened",
        sanctioned_count=1,
        sanction_kind="expulsion",
        note="开除党籍",
    )
    secrets = ("内部：已约谈", "需联系举报人核实", "开除党籍", "村里截留参合金", "参合金被截留", officer.username)

    clerk = world.users["clerk"]
    api.force_authenticate(clerk)
    detail = api.get(f"/api/v1/petitions/{case.pk}/").json()
    assert detail["status"] == "accepted" and detail["tracking_number"] == case.tracking_number
    assert detail["title"] == detail["content"] == str(CONFIDENTIAL)
    assert detail["parts"] == detail["attachments"] == detail["accused"] == []
    events = api.get(f"/api/v1/petitions/{case.pk}/events/").json()
    assert [event["verb"] for event in events] == ["registered"]
    assert events[0]["to_unit"]["name"] == "东镇纪委"  # handed on
    rows = api.get("/api/v1/petitions/").json()["results"]
    assert [row["title"] for row in rows if row["id"] == case.pk] == [str(CONFIDENTIAL)]
    assert not any(secret in str(detail) + str(events) + str(rows) for secret in secrets)
    # Its words do not find it; its tracking number does.
    assert api.get("/api/v1/petitions/", {"q": "参合金"}).json()["results"] == []
    assert len(api.get("/api/v1/petitions/", {"q": case.tracking_number}).json()["results"]) == 1

    client.force_login(clerk)
    page = client.get(reverse("petitions:case", args=[case.pk])).content.decode()
    assert case.tracking_number in page and "东镇纪委" in page
    assert not any(secret in page for secret in secrets)
    listing = client.get(reverse("petitions:cases")).content.decode()
    assert case.tracking_number in listing and "参合金被截留" not in listing
    # The commission itself still sees all of it.
    api.force_authenticate(officer)
    verbs = [event["verb"] for event in api.get(f"/api/v1/petitions/{case.pk}/events/").json()]
    assert {"note", "revealed", "disposed"} <= set(verbs)


# --- 3. Recusal cannot be spelled around ------------------------------------------------------

_TRADITIONAL = opencc.OpenCC("s2t")


@pytest.mark.parametrize(
    "accused",
    [
        {"name": "某某", "post": "东镇纪委\u200b书记"},  # a zero-width space inside the post
        {"name": "某某", "post": "東鎮紀委書記"},  # traditional characters
        {"name": "某某", "post": "东镇纪委书记"},
        {"name": "某某", "post": "东镇纪检监察委员会副书记"},
        {"name": "某某", "post": "东\u00ad镇\u200d纪委 书记"},  # a soft hyphen, a joiner and a space
        {"name": SECRETARY[0] + "\u200b" + SECRETARY[1:], "post": "纪检员"},
        {"name": _TRADITIONAL.convert(SECRETARY), "post": ""},
        {"name": "twp_secretary", "post": ""},  # the user name
        {"name": "ＴＷＰ＿ＳＥＣＲＥＴＡＲＹ", "post": ""},  # full-width letters
        {"name": "某某", "post": "東鎮黨委書記"},  # the township's Party secretary, in traditional
    ],
    ids=["zero-width", "traditional", "plain-post", "full-name", "soft-hyphen", "name-zero-width",
         "name-traditional", "username", "username-fullwidth", "leader-post-traditional"],
)  # fmt: skip
def test_a_report_naming_the_township_commission_goes_to_the_county(world, report, accused):
    case = report(accused).petition
    assert case.holder_unit == world.units["county_commission"], accused
    assert Recusal.objects.filter(petition=case, unit=world.units["east_commission"]).exists()


@pytest.mark.parametrize(
    "name", ["{name}", " {spaced} ", "{spaced_fullwidth}", "{dotted}", "{name}\t", "{fullwidth_space_end}"]
)
def test_the_six_spellings_that_worked_before_still_work(world, report, name):
    leader = world.users["leader"]
    full = leader.full_name
    written = name.format(
        name=full,
        spaced=full[0] + " " + full[1:],
        spaced_fullwidth=full[0] + "\u3000" + full[1:],
        dotted=full[0] + "·" + full[1:],
        fullwidth_space_end=full + "\u3000",
    )
    case = report({"name": written, "post": "镇党委书记"}).petition
    assert case.holder_unit == world.units["county_commission"]


def test_a_report_naming_no_one_of_the_township_stays_with_it(world, report):
    case = report({"name": "杨某某", "post": "东一村会计"}).petition
    assert case.holder_unit == world.units["east_commission"]
    assert not Recusal.objects.filter(petition=case).exists()


# --- 4. and 11. What a report may name ------------------------------------------------------


def _report_body(world, accused):
    return {
        "channel": "visit",
        "category": "discipline",
        "region": world.region("东一村").code,
        "title": "举报",
        "content": "举报内容。",
        "complainant_name": REPORTER,
        "complainant_phone": PHONE,
        "accused": accused,
    }


def test_a_unit_of_another_county_is_refused_in_chinese(api, world, commission):
    api.force_authenticate(world.users["clerk"])
    before = Petition.objects.count()
    answer = api.post(
        "/api/v1/petitions/",
        _report_body(world, [{"name": "某某", "post": "书记", "unit": world.units["b_commission"].pk}]),
        format="json",
    )
    assert answer.status_code == 400, answer.content
    assert "本县" in str(answer.json()["accused"]), answer.json()
    assert Petition.objects.count() == before


def test_the_accused_list_is_bounded(api, world, commission):
    api.force_authenticate(world.users["clerk"])
    before = Petition.objects.count()
    for size in (21, 20_000):
        people = [{"name": f"某{i}", "post": "村干部"} for i in range(size)]
        answer = api.post("/api/v1/petitions/", _report_body(world, people), format="json")
        assert answer.status_code == 400, answer.content[:200]
        assert "20" in str(answer.json()["accused"]), answer.json()
    assert Petition.objects.count() == before
    people = [{"name": f"某{i}", "post": "村干部"} for i in range(20)]
    assert api.post("/api/v1/petitions/", _report_body(world, people), format="json").status_code == 201


def test_a_desk_that_stands_aside_still_prints_the_receipt_once(client, world, categories, commission):
    """The clerk logs a report naming the village's own Party secretary: the receipt (with the
    query code) is printed right after, then the case is out of the desk's reach."""
    client.force_login(world.users["clerk"])
    response = client.post(
        reverse("petitions:intake"),
        {
            "complainant_name": REPORTER,
            "complainant_phone": PHONE,
            "category": categories["discipline"].pk,
            "title": "村支书侵占集体资金",
            "content": "东一村党支部书记侵占集体资金。",
            "accused": "某某，东一村党支部书记",
            "region": world.region("东一村").pk,
            "channel": "visit",
            "intake_unit": world.units["east1_desk"].pk,
        },
        follow=True,
    )
    case = Petition.objects.get()
    assert Recusal.objects.filter(petition=case, unit=world.units["east1_desk"]).exists()
    body = response.content.decode()
    assert response.status_code == 200 and case.tracking_number in body
    assert 'id="query-code"' in body and f'href="{reverse("petitions:case", args=[case.pk])}"' not in body
    # Printed once: a second visit, like the case page, is a 404.
    assert client.get(reverse("petitions:receipt", args=[case.pk])).status_code == 404
    assert client.get(reverse("petitions:case", args=[case.pk])).status_code == 404


def test_the_upgrade_writes_the_recusals_of_earlier_reports_and_drops_their_links(world, both):
    """Migration 0011 on reports registered before it: the same recusals, no repeat links."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("petitions.migrations.0011_recusals")
    x, y = both
    expected = set(Recusal.objects.values_list("petition_id", "unit_id"))
    assert (y.pk, world.units["east_commission"].pk) in expected
    Recusal.objects.all().delete()
    Petition.objects.filter(pk=y.pk).update(repeat_of=x)
    Petition.objects.filter(pk=x.pk).update(repeat_count=1)
    migration.unlink_confidential_repeats(apps, None)
    migration.backfill_recusals(apps, None)
    assert set(Recusal.objects.values_list("petition_id", "unit_id")) == expected
    assert list(Petition.objects.filter(pk__in=[x.pk, y.pk]).values_list("repeat_of", "repeat_count")) == [
        (None, 0),
        (None, 0),
    ]


def test_the_dashboards_overdue_list_shows_a_shell_without_its_title(client, world, report):
    case = report({"name": "杨某某", "post": "村党支部副书记"}, title="村干部截留参合金").petition
    Petition.objects.filter(pk=case.pk).update(current_due_at=timezone.now() - timedelta(days=1))
    client.force_login(world.users["clerk"])
    page = client.get(reverse("grievances:dashboard")).content.decode()
    assert case.tracking_number in page and "村干部截留参合金" not in page


def test_the_sweep_tells_only_staff_who_can_open_the_report(world, both, notification_routes):
    """The bulk escalation (the hourly sweep's path) filters its recipients like `notify`: a
    supervisor of the township outside the commissions (who cannot open a report) is not told
    of X's escalation, though the routing table names the region's supervisors."""
    from petitions.services import EscalationCache, petitions_escalate_batch

    outsider = UserFactory(username="twp_centre_supervisor")
    membership_grant(user=outsider, unit=world.units["east_centre"], role=Membership.Role.SUPERVISOR)
    x, y = both
    later = timezone.now() + timedelta(days=60)
    assert petitions_escalate_batch(petition_ids=[x.pk, y.pk], now=later, cache=EscalationCache()) == 2
    told = set(Notification.objects.filter(petition__in=[x, y]).values_list("user_id", flat=True))
    assert world.users["supervisor"].pk in told  # the county commission's
    assert outsider.pk not in told
