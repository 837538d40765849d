"""Five-level linkage (五级联动) through the API: the city hands a case down (交办), the county
reports (报结), the city returns it (退回重办) or accepts it (认定办结); a case goes up (上报);
each refusal changes nothing; late reports are chased by the beat jobs across National Day.

The cast is tests/conftest.py's: `city_handler` at 示范市群众诉求中心, `city_inspector` and
`city_supervisor` at 示范市纪委监委, the county (甲县) below it with 东镇 and 西镇, and 乙县 beside
it. `county_handler` (here) acts for 甲县群众诉求中心."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from petitions import services, tasks
from petitions.deadlines import CHINA, deadline_add
from petitions.models import (
    DayType,
    DeadlineMiss,
    PersonOutcome,
    Petition,
    PetitionEvent,
    Referral,
    SupervisionNotice,
)
from stations.models import Membership
from stations.services import membership_grant
from tests.clock import at, end_of
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_routes")]


def working_day(days: int = 10) -> date:
    """A working day `days` working days from now, as a date (what a form sends)."""
    return deadline_add(timezone.now(), days, DayType.WORKING).date()


def saturday_after(start: date) -> date:
    day = start + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day


@pytest.fixture(autouse=True)
def calendar(db):
    services.holidays_sync(years=[2026, 2027])


@pytest.fixture
def county_handler(world):
    user = UserFactory(username="county_handler")
    membership_grant(user=user, unit=world.units["county_centre"], role=Membership.Role.HANDLER)
    world.users["county_handler"] = user
    return user


@pytest.fixture
def from_city(world, register):
    """A resident of 东一村 calls the city's hotline: the city centre holds the case."""
    return register(actor="city_handler", channel="hotline", intake_unit=world.units["city_centre"]).petition


def hand_down(api, user, case, unit, **extra):
    api.force_authenticate(user)
    body = {"unit": unit.pk, "report_due": working_day().isoformat(), "instructions": "请核实并答复群众", **extra}
    return api.post(f"/api/v1/petitions/{case.pk}/hand-down/", body, format="json")


def referral_post(api, user, referral, verb, body):
    api.force_authenticate(user)
    return api.post(f"/api/v1/referrals/{referral.pk}/{verb}/", body, format="json")


def verbs(case) -> list[str]:
    return list(PetitionEvent.objects.filter(petition=case).order_by("created_at", "id").values_list("verb", flat=True))


# --- The referral's life -----------------------------------------------------------------------------


def test_the_city_hands_down_the_county_reports_is_returned_reports_again_and_is_accepted(
    api, world, from_city, county_handler
):
    city, units = world.users["city_handler"], world.units
    response = hand_down(api, city, from_city, units["county_centre"])
    assert response.status_code == 200, response.json()
    case = Petition.objects.get(pk=from_city.pk)
    assert case.holder_unit == units["county_centre"] and case.source == "city"
    assert case.status == "registered"  # the county decides acceptance
    referral = Referral.objects.get(petition=case)
    assert (referral.from_unit, referral.to_unit, referral.status) == (
        units["city_centre"],
        units["county_centre"],
        "awaiting_report",
    )
    assert referral.report_due_at == datetime.combine(working_day(), datetime.max.time(), tzinfo=CHINA)
    event = PetitionEvent.objects.get(petition=case, verb="handed_down")
    assert event.public and event.data["referral"] == referral.pk and event.note == "请核实并答复群众"
    assert (event.from_unit, event.to_unit, event.actor) == (units["city_centre"], units["county_centre"], city)

    # The county sees it among what it received, the city among what it sent.
    api.force_authenticate(county_handler)
    received = api.get("/api/v1/referrals/", {"direction": "received"}).json()["results"]
    assert [row["id"] for row in received] == [referral.pk]
    assert api.get("/api/v1/referrals/", {"direction": "sent"}).json()["results"] == []
    api.force_authenticate(city)
    assert [row["id"] for row in api.get("/api/v1/referrals/", {"direction": "sent"}).json()["results"]] == [
        referral.pk
    ]
    assert [row["id"] for row in api.get("/api/v1/referrals/", {"petition": case.pk}).json()["results"]] == [
        referral.pk
    ]
    assert api.get("/api/v1/referrals/", {"petition": case.pk + 1}).json()["results"] == []

    services.petition_accept(petition_id=case.pk, actor=county_handler)
    services.petition_reply(petition_id=case.pk, actor=county_handler, text="已修复村道。")
    reported = referral_post(api, county_handler, referral, "report", {"text": "村道已修复，群众已答复。"})
    assert reported.status_code == 200 and reported.json()["status"] == "reported"
    assert PetitionEvent.objects.get(petition=case, verb="referral_reported").data == {
        "referral": referral.pk,
        "late": False,
    }

    new_due = working_day(5)
    returned = referral_post(
        api, city, referral, "return", {"reason": "群众反映仍未修复", "report_due": new_due.isoformat()}
    )
    assert returned.status_code == 200, returned.json()
    referral.refresh_from_db()
    assert (referral.status, referral.returns, referral.decision_note) == ("returned", 1, "群众反映仍未修复")
    case.refresh_from_db()
    # Reopened at the county: in progress again, due when the new report is.
    assert case.status == "in_progress" and case.holder_unit == units["county_centre"]
    assert case.current_due_at == referral.report_due_at == end_of(new_due.year, new_due.month, new_due.day)
    assert case.replied_at is None  # the resident sees no reply time until it is answered again
    back = PetitionEvent.objects.get(petition=case, verb="referral_returned")
    assert back.public and back.data["reopened"] and back.note == "群众反映仍未修复"

    again = referral_post(api, county_handler, referral, "report", {"text": "已重新修复并复查。"})
    assert again.status_code == 200
    accepted = referral_post(api, city, referral, "accept", {"note": "认定办结"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert [v for v in verbs(case) if v.startswith("referral_")] == [
        "referral_reported",
        "referral_returned",
        "referral_reported",
        "referral_accepted",
    ]


def test_a_case_handed_down_two_levels_reports_level_by_level(api, world, from_city, county_handler):
    units, city, township = world.units, world.users["city_handler"], world.users["handler"]
    assert hand_down(api, city, from_city, units["county_centre"]).status_code == 200
    services.petition_accept(petition_id=from_city.pk, actor=county_handler)
    assert hand_down(api, county_handler, from_city, units["east_centre"]).status_code == 200
    upper = Referral.objects.get(petition=from_city, to_unit=units["county_centre"])
    lower = Referral.objects.get(petition=from_city, to_unit=units["east_centre"])
    assert lower.parent == upper and lower.from_unit == units["county_centre"]
    case = Petition.objects.get(pk=from_city.pk)
    assert case.holder_unit == units["east_centre"] and case.source == "city"  # still the city's

    # The county may not report up while the township's report is still owed.
    early = referral_post(api, county_handler, upper, "report", {"text": "已交乡镇办理"})
    assert early.status_code == 409 and Referral.objects.get(pk=upper.pk).status == "awaiting_report"
    assert referral_post(api, township, lower, "report", {"text": "已办结"}).status_code == 200
    assert referral_post(api, county_handler, lower, "accept", {}).status_code == 200
    assert referral_post(api, county_handler, upper, "report", {"text": "乡镇已办结，县级复核属实"}).status_code == 200
    assert referral_post(api, city, upper, "accept", {}).status_code == 200
    assert list(Referral.objects.filter(petition=case).values_list("status", flat=True)) == ["accepted", "accepted"]


def test_a_township_refers_a_case_up_and_it_counts_as_referred_up_not_level_skipping(api, world, register):
    case = register().petition  # held by 东镇群众诉求中心
    api.force_authenticate(world.users["handler"])
    response = api.post(
        f"/api/v1/petitions/{case.pk}/refer-up/",
        {"unit": world.units["county_centre"].pk, "reason": "涉及跨乡镇水利设施，超出乡镇职权"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.holder_unit == world.units["county_centre"]
    assert (case.source, case.level_skipping) == ("referred_up", False)
    event = PetitionEvent.objects.get(petition=case, verb="referred_up")
    assert (event.from_unit, event.to_unit, event.note) == (
        world.units["east_centre"],
        world.units["county_centre"],
        "涉及跨乡镇水利设施，超出乡镇职权",
    )
    # The township keeps sight of what it held.
    assert api.get(f"/api/v1/petitions/{case.pk}/").status_code == 200


# --- Refusals: a Chinese message, nothing saved -----------------------------------------------------


def _unchanged(case):
    before = Petition.objects.filter(pk=case.pk).values().get()
    events, referrals = PetitionEvent.objects.count(), list(Referral.objects.values())

    def check():
        assert Petition.objects.filter(pk=case.pk).values().get() == before
        assert PetitionEvent.objects.count() == events and list(Referral.objects.values()) == referrals

    return check


@pytest.mark.parametrize(
    "target, body, field, message",
    [
        ("b_centre", {}, "unit", "下级"),  # another county: not below the city for this village
        ("city_commission", {}, "unit", "下级"),  # the same level
        ("county_centre", {"report_due": "2020-01-06"}, "report_due", "今天之后"),
        ("county_centre", {"report_due": "saturday"}, "report_due", "不是工作日"),
    ],
)
def test_handing_down_wrongly_is_refused_in_chinese_and_changes_nothing(
    api, world, from_city, target, body, field, message
):
    if body.get("report_due") == "saturday":
        body = {"report_due": saturday_after(working_day()).isoformat()}
    check = _unchanged(from_city)
    response = hand_down(api, world.users["city_handler"], from_city, world.units[target], **body)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    check()


def test_only_the_holder_hands_down_and_refers_up(api, world, from_city, county_handler):
    check = _unchanged(from_city)
    # Someone who cannot see the case gets 404; who sees it but does not hold it, 403.
    assert hand_down(api, world.users["foreign_clerk"], from_city, world.units["county_centre"]).status_code == 404
    assert hand_down(api, world.users["city_supervisor"], from_city, world.units["county_centre"]).status_code == 403
    check()


def test_referring_up_to_a_unit_not_above_or_to_the_one_that_handed_it_down_is_refused(
    api, world, from_city, county_handler
):
    hand_down(api, world.users["city_handler"], from_city, world.units["county_centre"])
    check = _unchanged(from_city)
    api.force_authenticate(county_handler)
    url = f"/api/v1/petitions/{from_city.pk}/refer-up/"
    sideways = api.post(url, {"unit": world.units["b_centre"].pk, "reason": "x"}, format="json")
    assert sideways.status_code == 400 and "上级" in " ".join(sideways.json()["unit"])
    back = api.post(url, {"unit": world.units["city_centre"].pk, "reason": "x"}, format="json")
    assert back.status_code == 400 and "报结" in " ".join(back.json()["unit"])
    no_reason = api.post(url, {"unit": world.units["city_commission"].pk, "reason": " "}, format="json")
    assert no_reason.status_code == 400
    check()


def test_reporting_accepting_and_returning_as_the_wrong_unit_or_twice_is_refused(api, world, from_city, county_handler):
    city = world.users["city_handler"]
    hand_down(api, city, from_city, world.units["county_centre"])
    referral = Referral.objects.get()
    # Not in their view: 404, the same as a referral that does not exist.
    for outsider in ("foreign_clerk", "foreign_supervisor", "other_clerk"):
        response = referral_post(api, world.users[outsider], referral, "report", {"text": "x"})
        assert response.status_code == 404
    missing = referral_post(api, city, Referral(pk=referral.pk + 1000), "report", {"text": "x"})
    assert missing.status_code == 404 and missing.json() == response.json()
    # The sender may not report, the receiver may not decide.
    assert referral_post(api, city, referral, "report", {"text": "x"}).status_code == 403
    assert referral_post(api, county_handler, referral, "report", {"text": "  "}).status_code == 400
    assert referral_post(api, county_handler, referral, "report", {"text": "已办结"}).status_code == 200
    assert referral_post(api, county_handler, referral, "accept", {}).status_code == 403
    no_reason = referral_post(api, city, referral, "return", {"reason": ""})
    assert no_reason.status_code == 400 and Referral.objects.get().status == "reported"
    past = referral_post(api, city, referral, "return", {"reason": "不实", "report_due": "2020-01-06"})
    assert past.status_code == 400 and Referral.objects.get().status == "reported"
    assert referral_post(api, city, referral, "accept", {}).status_code == 200
    twice = referral_post(api, city, referral, "accept", {})
    assert twice.status_code == 409 and twice.json()["code"] == "invalid_state"
    assert PetitionEvent.objects.filter(verb="referral_accepted").count() == 1


def test_a_decision_on_a_version_someone_else_moved_is_refused_as_stale(api, world, from_city, county_handler):
    city = world.users["city_handler"]
    hand_down(api, city, from_city, world.units["county_centre"])
    referral = Referral.objects.get()
    referral_post(api, county_handler, referral, "report", {"text": "已办结"})
    seen = Referral.objects.get().version
    assert referral_post(api, city, referral, "accept", {"version": seen}).status_code == 200
    late = referral_post(api, city, referral, "return", {"version": seen, "reason": "不实"})
    assert late.status_code == 409 and late.json()["code"] == "stale_version"
    assert Referral.objects.get().status == "accepted"


# --- Who sees what ------------------------------------------------------------------------------------


def test_the_city_keeps_sight_of_what_it_handed_down_and_no_county_sees_another(
    api, world, from_city, county_handler, register
):
    hand_down(api, world.users["city_handler"], from_city, world.units["county_centre"])
    theirs = register(actor="foreign_clerk", region=world.region("北一村")).petition
    api.force_authenticate(world.users["city_handler"])
    assert api.get(f"/api/v1/petitions/{from_city.pk}/").status_code == 200
    assert "handed_down" in [e["verb"] for e in api.get(f"/api/v1/petitions/{from_city.pk}/events/").json()]
    # Only what it handed down or holds: not another county's case.
    assert api.get(f"/api/v1/petitions/{theirs.pk}/").status_code == 404
    # The city's supervisor sees both counties' subtrees.
    api.force_authenticate(world.users["city_supervisor"])
    assert api.get(f"/api/v1/petitions/{theirs.pk}/").status_code == 200
    # A county never sees another county's case, nor the referral on it.
    for outsider in ("foreign_clerk", "foreign_supervisor"):
        api.force_authenticate(world.users[outsider])
        assert api.get(f"/api/v1/petitions/{from_city.pk}/").status_code == 404
        assert api.get(f"/api/v1/referrals/{Referral.objects.get().pk}/").status_code == 404
        assert api.get("/api/v1/referrals/").json()["results"] == []


def test_a_report_against_officials_goes_from_commission_to_commission_and_the_city_desk_sees_a_shell(
    api, world, register, categories
):
    report = register(
        actor="city_handler",
        channel="hotline",
        intake_unit=world.units["city_centre"],
        category=categories["discipline"],
        complainant_name="字某某",
        accused=[{"name": "杨某某", "post": "东一村党支部副书记"}],
    ).petition
    assert report.holder_unit == world.units["city_commission"]
    inspector = world.users["city_inspector"]
    refused = hand_down(api, inspector, report, world.units["county_centre"])
    assert refused.status_code == 400 and "纪委" in " ".join(refused.json()["unit"])
    assert hand_down(api, inspector, report, world.units["county_commission"]).status_code == 200
    report.refresh_from_db()
    assert report.holder_unit == world.units["county_commission"] and report.source == "city"
    # The city commission keeps sight in full (its identities masked until a recorded reveal).
    api.force_authenticate(inspector)
    detail = api.get(f"/api/v1/petitions/{report.pk}/").json()
    assert detail["title"] == report.title and "字某某" not in str(detail)
    # The city desk that logged it sees a shell; the referral is not its to see.
    api.force_authenticate(world.users["city_handler"])
    events = api.get(f"/api/v1/petitions/{report.pk}/events/").json()
    assert [e["verb"] for e in events] == ["registered"]
    assert api.get("/api/v1/referrals/").json()["results"] == []


# --- One outcome per accused person ------------------------------------------------------------------------


def test_each_person_a_report_names_gets_their_own_outcome_and_sanction(api, world, register, categories):
    report = register(
        category=categories["discipline"],
        accused=[{"name": "杨某某", "post": "村党支部副书记"}, {"name": "李某某", "post": "村委会主任"}],
    ).petition
    commission = report.holder_unit
    officer = UserFactory(username="officer")
    membership_grant(user=officer, unit=commission, role=Membership.Role.HANDLER)
    services.petition_accept(petition_id=report.pk, actor=officer)
    yang, li = report.accused.order_by("id")
    api.force_authenticate(officer)
    url = f"/api/v1/petitions/{report.pk}/dispose/"
    wrong = api.post(
        url, {"people": [{"accused": yang.pk, "outcome": "closed_no_case", "sanction": "warning"}]}, format="json"
    )
    assert wrong.status_code == 400 and "立案" in " ".join(wrong.json()["people"])
    stranger = api.post(url, {"people": [{"accused": yang.pk + 999, "outcome": "closed_no_case"}]}, format="json")
    assert stranger.status_code == 400
    assert not PersonOutcome.objects.exists() and not PetitionEvent.objects.filter(verb="disposed").exists()

    response = api.post(
        url,
        {
            "people": [
                {"accused": yang.pk, "outcome": "case_opened", "sanction": "expulsion"},
                {"accused": li.pk, "outcome": "preliminary_verification"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    disposition = report.dispositions.get()
    assert (disposition.kind, disposition.sanctioned_count, disposition.sanction_kind) == (
        "case_opened",
        1,
        "expulsion",
    )
    assert sorted(disposition.outcomes.values_list("accused__name", "outcome", "sanction")) == [
        ("李某某", "preliminary_verification", ""),
        ("杨某某", "case_opened", "expulsion"),
    ]
    event = PetitionEvent.objects.get(petition=report, verb="disposed")
    assert not event.public and len(event.data["people"]) == 2


# --- Late reports, chased by the beat jobs ------------------------------------------------------------------


def test_a_report_due_across_national_day_is_reminded_then_red_noticed_once(world, register, county_handler):
    units, city = world.units, world.users["city_handler"]
    with time_machine.travel(at(2026, 9, 29, 10, 0), tick=False):
        case = register(actor="city_handler", channel="hotline", intake_unit=units["city_centre"]).petition
        # Three working days: 30 Sep, then 8 and 9 Oct (1-7 Oct are National Day).
        referral = services.petition_hand_down(
            petition_id=case.pk,
            actor=city,
            unit=units["county_centre"],
            report_due=deadline_add(timezone.now(), 3, DayType.WORKING).date(),
        )
    assert referral.report_due_at == end_of(2026, 10, 9)

    with time_machine.travel(at(2026, 10, 8, 8, 10), tick=False):
        assert tasks.remind_referral_reports() == 1
        assert tasks.remind_referral_reports() == 0
        assert tasks.chase_overdue_referrals() == 0
    reminded = PetitionEvent.objects.get(petition=case, verb="reminded")
    assert reminded.data["referral"] == referral.pk and reminded.to_unit == units["county_centre"]
    assert county_handler.notifications.filter(kind="reminded").exists()

    with time_machine.travel(at(2026, 10, 9, 23, 0), tick=False):
        assert tasks.chase_overdue_referrals() == 0  # due at the end of the day
    with time_machine.travel(at(2026, 10, 10, 0, 25), tick=False):
        assert tasks.chase_overdue_referrals() == 1
        assert tasks.chase_overdue_referrals() == 0
    notice = SupervisionNotice.objects.get(petition=case)
    assert (notice.unit, notice.issuing_unit, notice.severity) == (units["county_centre"], units["city_centre"], "red")
    miss = DeadlineMiss.objects.get(petition=case)
    assert (miss.unit, miss.kind, miss.due_at) == (units["county_centre"], "referral", end_of(2026, 10, 9))
    assert PetitionEvent.objects.get(petition=case, verb="supervised").data["referral"] == referral.pk
    assert county_handler.notifications.filter(kind="notice_issued", channel="in_app").count() == 1

    # Reported late: the report says so; returned, the new due date is chased afresh.
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        services.referral_report(referral_id=referral.pk, actor=county_handler, text="已办结")
        assert PetitionEvent.objects.get(petition=case, verb="referral_reported").data["late"] is True
        services.referral_return(
            referral_id=referral.pk, actor=city, reason="未附现场照片", report_due=date(2026, 10, 14)
        )
    with time_machine.travel(at(2026, 10, 15, 1, 0), tick=False):
        assert tasks.chase_overdue_referrals() == 1
    assert DeadlineMiss.objects.filter(petition=case, kind="referral").count() == 2


def test_the_desk_that_logged_a_case_settles_it_no_more_once_handed_down(api, world, from_city, register):
    from petitions.selectors import allowed_actions

    city = world.users["city_handler"]
    assert "settle" in allowed_actions(city, from_city)
    hand_down(api, city, from_city, world.units["county_centre"])
    case = Petition.objects.get(pk=from_city.pk)
    assert "settle" not in allowed_actions(city, case)
    response = api.post(f"/api/v1/petitions/{case.pk}/settle/", {"text": "已调解"}, format="json")
    assert response.status_code == 409 and Petition.objects.get(pk=case.pk).status == "registered"
    # Referred up from the township: the village desk no longer settles it either.
    village = register().petition
    assert "settle" in allowed_actions(world.users["clerk"], village)
    services.petition_refer_up(
        petition_id=village.pk, actor=world.users["handler"], unit=world.units["county_centre"], reason="跨乡镇"
    )
    assert "settle" not in allowed_actions(world.users["clerk"], Petition.objects.get(pk=village.pk))


def test_a_desk_that_sees_a_report_only_as_a_shell_never_sees_its_referral(api, world, register, categories):
    """The city desk logged the report and also supervises the city: it sees the report as a
    shell, and a shell carries no referral — not its instructions, which may name the accused,
    nor the report on it."""
    from stations.models import Membership
    from stations.services import membership_grant

    desk = world.users["city_handler"]
    membership_grant(user=desk, unit=world.units["city_centre"], role=Membership.Role.SUPERVISOR)
    report = register(
        actor="city_handler",
        channel="hotline",
        intake_unit=world.units["city_centre"],
        category=categories["discipline"],
        complainant_name="字某某",
        accused=[{"name": "杨某某", "post": "东一村党支部副书记"}],
    ).petition
    hand_down(api, world.users["city_inspector"], report, world.units["county_commission"], instructions="核查杨某某")
    referral = Referral.objects.get(petition=report)
    api.force_authenticate(desk)
    assert api.get("/api/v1/referrals/").json()["results"] == []
    assert api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert "杨某某" not in api.get(f"/api/v1/petitions/{report.pk}/events/").content.decode()
