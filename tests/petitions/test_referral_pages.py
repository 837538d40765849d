"""Five-level linkage through the staff pages: the city centre hands a case down from the case
page, the county centre reports in the referral box (交办单), the city returns it with a reason
and a new due date, then accepts the second report; the lists of referrals sent and received;
each accused person's own outcome in the disposition form.

Every step checks the new state and the timeline row it wrote; every refusal shows its message
in the page's language (Chinese) and changes nothing. The wording of the linkage's own messages
is checked through the catalogue (`zh`), so it holds once the lead translates them.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from petitions.deadlines import CHINA, deadline_add, is_working_day
from petitions.models import DayType, Disposition, PersonOutcome, Petition, PetitionEvent, Referral
from petitions.services import petition_accept, petition_hand_down, petition_register, referral_accept, referral_report
from stations.models import Membership
from stations.services import membership_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Verb = PetitionEvent.Verb


def zh(message: str) -> str:
    """A message as a Chinese page shows it."""
    with translation.override("zh-hans"):
        return gettext(message)


def working_day(n: int) -> date:
    """The n-th working day after today (China time), on the holiday calendar."""
    return deadline_add(timezone.now(), n, DayType.WORKING).astimezone(CHINA).date()


def rest_day() -> date:
    """The first day after tomorrow that nobody works (a weekend or a holiday)."""
    day = timezone.now().astimezone(CHINA).date() + timedelta(days=2)
    while is_working_day(day):
        day += timedelta(days=1)
    return day


def page(client, petition: Petition) -> str:
    response = client.get(reverse("petitions:case", args=[petition.pk]))
    assert response.status_code == 200
    return response.content.decode()


def decide(client, referral: Referral, verb: str, **data):
    """Post one form of the referral box, with the version of the referral the person saw."""
    referral.refresh_from_db()
    data.setdefault("version", referral.version)
    return client.post(reverse("petitions:referral_action", args=[referral.pk, verb]), data)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def last_event(petition: Petition) -> PetitionEvent:
    return PetitionEvent.objects.filter(petition=petition).select_related("actor", "to_unit").latest("id")


@pytest.fixture
def county_handler(world):
    """A handler of 甲县群众诉求中心, the county centre the city hands cases down to."""
    user = UserFactory(username="county_handler")
    membership_grant(user=user, unit=world.units["county_centre"], role=Membership.Role.HANDLER)
    return user


@pytest.fixture
def at_the_city(world, register) -> Petition:
    """A hotline case taken in at the city centre, which holds it."""
    return register(actor="city_handler", channel="hotline", intake_unit=world.units["city_centre"]).petition


@pytest.fixture
def handed_down(world, at_the_city, county_handler) -> Referral:
    """The city centre has handed the case down to the county centre (through the service)."""
    return petition_hand_down(
        petition_id=at_the_city.pk,
        actor=world.users["city_handler"],
        unit=world.units["county_centre"],
        report_due=working_day(5),
        instructions="请核实村道塌方情况并组织修复，按期报结。",
    )


# --- Handing down from the case page ------------------------------------------------------------


def test_the_holder_hands_the_case_down_from_the_case_page(client, world, at_the_city, county_handler):
    city, county = world.users["city_handler"], world.units["county_centre"]
    # Only the holder is offered the panel; the county centre does not see the case yet.
    client.force_login(county_handler)
    assert client.get(reverse("petitions:case", args=[at_the_city.pk])).status_code == 404
    client.force_login(city)
    assert 'id="action-hand-down"' in page(client, at_the_city)

    due = working_day(4)
    response = client.post(
        reverse("petitions:action", args=[at_the_city.pk, "hand-down"]),
        {
            "version": at_the_city.version,
            "unit": county.pk,
            "report_due": due.isoformat(),
            "instructions": "请核实并报结",
        },
    )
    assert response.status_code == 302
    at_the_city.refresh_from_db()
    referral = Referral.objects.get(petition=at_the_city)
    assert (at_the_city.holder_unit, referral.from_unit, referral.to_unit) == (
        county,
        world.units["city_centre"],
        county,
    )
    assert referral.status == Referral.Status.AWAITING_REPORT
    assert referral.report_due_at.astimezone(CHINA).date() == due and referral.instructions == "请核实并报结"
    event = last_event(at_the_city)
    assert (event.verb, event.actor, event.to_unit, event.data["referral"]) == (
        Verb.HANDED_DOWN,
        city,
        county,
        referral.pk,
    )

    # The city keeps sight of it: the referral box, no longer the panel (it holds the case no more).
    body = page(client, at_the_city)
    assert f'id="referral-{referral.pk}"' in body and "请核实并报结" in body
    assert 'id="action-hand-down"' not in body
    assert f'id="referral-{referral.pk}-accept"' not in body  # nothing to decide before a report
    # The county centre now holds it and is offered the report form.
    client.force_login(county_handler)
    body = page(client, at_the_city)
    assert f'id="referral-{referral.pk}-report"' in body
    assert f'id="referral-{referral.pk}-return"' not in body


def test_a_hand_down_due_on_a_rest_day_is_refused_on_the_form(client, world, at_the_city, county_handler):
    client.force_login(world.users["city_handler"])
    day = rest_day()
    response = client.post(
        reverse("petitions:action", args=[at_the_city.pk, "hand-down"]),
        {"version": at_the_city.version, "unit": world.units["county_centre"].pk, "report_due": day.isoformat()},
    )
    assert response.status_code == 200
    assert zh("%(date)s is not a working day: choose a working day.") % {"date": day.isoformat()} in text_of(response)
    at_the_city.refresh_from_db()
    assert at_the_city.holder_unit == world.units["city_centre"] and not Referral.objects.exists()
    assert not at_the_city.events.filter(verb=Verb.HANDED_DOWN).exists()


# --- Report, return, report again, accept --------------------------------------------------------


def test_report_return_and_accept_through_the_referral_box(client, world, handed_down, county_handler):
    referral, petition = handed_down, handed_down.petition
    city = world.users["city_handler"]

    client.force_login(county_handler)
    response = decide(client, referral, "report", text="已组织施工队修复村道，群众认可。")
    assert response.status_code == 302 and response["Location"].endswith(f"#referral-{referral.pk}")
    referral.refresh_from_db()
    assert (referral.status, referral.report_text, referral.reported_by) == (
        Referral.Status.REPORTED,
        "已组织施工队修复村道，群众认可。",
        county_handler,
    )
    event = last_event(petition)
    assert (event.verb, event.actor, event.to_unit, event.data["referral"]) == (
        Verb.REFERRAL_REPORTED,
        county_handler,
        world.units["city_centre"],
        referral.pk,
    )
    assert not event.public
    followed = client.get(response["Location"])
    assert zh("The result is reported to the unit that handed the case down.") in text_of(followed)
    assert f'id="referral-{referral.pk}-report"' not in followed.content.decode()

    # The city returns it with the reason and a new due date: the county owes a report again.
    client.force_login(city)
    body = page(client, petition)
    assert f'id="referral-{referral.pk}-accept"' in body and f'id="referral-{referral.pk}-return"' in body
    new_due = working_day(8)
    response = decide(client, referral, "return", reason="现场照片不全，请补充后重报。", report_due=new_due.isoformat())
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.returns, referral.decision_note) == (
        Referral.Status.RETURNED,
        1,
        "现场照片不全，请补充后重报。",
    )
    assert referral.report_due_at.astimezone(CHINA).date() == new_due
    event = last_event(petition)
    assert (event.verb, event.actor, event.note, event.data["referral"]) == (
        Verb.REFERRAL_RETURNED,
        city,
        "现场照片不全，请补充后重报。",
        referral.pk,
    )
    assert datetime.fromisoformat(event.data["report_due_at"]) == referral.report_due_at
    body = text_of(client.get(response["Location"]))
    assert zh("The report is returned: the unit below handles the case again.") in body
    assert "现场照片不全，请补充后重报。" in body

    client.force_login(county_handler)
    assert decide(client, referral, "report", text="已补充现场照片，修复完毕。").status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REPORTED and referral.report_text == "已补充现场照片，修复完毕。"

    client.force_login(city)
    response = decide(client, referral, "accept", note="")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.decided_by) == (Referral.Status.ACCEPTED, city)
    event = last_event(petition)
    assert (event.verb, event.actor, event.data["referral"]) == (Verb.REFERRAL_ACCEPTED, city, referral.pk)
    body = text_of(client.get(response["Location"]))
    assert zh("The report is accepted: the referral is done.") in body
    assert f'id="referral-{referral.pk}-return"' not in body
    # The box lists the referral's own steps, in order.
    steps = [
        Verb.HANDED_DOWN,
        Verb.REFERRAL_REPORTED,
        Verb.REFERRAL_RETURNED,
        Verb.REFERRAL_REPORTED,
        Verb.REFERRAL_ACCEPTED,
    ]
    box = body[body.index(f'id="referral-{referral.pk}"') :]
    box = box[box.index('class="referral-steps') : box.index("</ol>")]
    assert [verb for verb in steps if f'data-verb="{verb}"' in box] == steps
    assert box.count("data-verb=") == len(steps)


# --- Refusals: each shows its message and changes nothing ------------------------------------------


@pytest.fixture
def reported(world, handed_down, county_handler) -> Referral:
    return referral_report(referral_id=handed_down.pk, actor=county_handler, text="已修复。")


def _unchanged(referral: Referral, events: int) -> None:
    before = (referral.status, referral.version, referral.report_due_at, referral.returns)
    referral.refresh_from_db()
    assert (referral.status, referral.version, referral.report_due_at, referral.returns) == before
    assert referral.petition.events.count() == events


def test_returning_without_a_reason_is_refused(client, world, reported):
    events = reported.petition.events.count()
    client.force_login(world.users["city_handler"])
    response = decide(client, reported, "return", reason="   ", report_due=working_day(3).isoformat())
    assert response.status_code == 200
    body = text_of(response)
    assert zh("This field is required.") in body and f'id="referral-{reported.pk}-return" open' in body
    _unchanged(reported, events)


@pytest.mark.parametrize(
    ("due", "message"),
    [
        (lambda: timezone.now().astimezone(CHINA).date(), "The report must be due after today."),
        (lambda: timezone.now().astimezone(CHINA).date() - timedelta(days=3), "The report must be due after today."),
        (rest_day, "%(date)s is not a working day: choose a working day."),
    ],
    ids=["today", "past", "rest-day"],
)
def test_returning_with_a_due_date_not_a_working_day_ahead_is_refused(client, world, reported, due, message):
    events = reported.petition.events.count()
    day = due()
    client.force_login(world.users["city_handler"])
    response = decide(client, reported, "return", reason="请补充材料", report_due=day.isoformat())
    assert response.status_code == 200
    body = text_of(response)
    assert (zh(message) % {"date": day.isoformat()} if "%(date)s" in message else zh(message)) in body
    assert f'id="field-referral-{reported.pk}-return-report_due"' in body
    _unchanged(reported, events)


def test_reporting_as_the_unit_that_handed_it_down_is_refused(client, world, handed_down):
    events = handed_down.petition.events.count()
    client.force_login(world.users["city_handler"])
    response = decide(client, handed_down, "report", text="我方代为报结")
    assert response.status_code == 302
    assert zh("Only the unit the case was handed down to reports on it.") in text_of(client.get(response["Location"]))
    _unchanged(handed_down, events)


def test_deciding_before_the_report_and_on_an_old_version_are_refused(client, world, handed_down, county_handler):
    petition = handed_down.petition
    events = petition.events.count()
    client.force_login(world.users["city_handler"])
    response = decide(client, handed_down, "accept")
    assert response.status_code == 302
    status = zh(Referral.Status.AWAITING_REPORT.label)
    expected = zh("The referral is “%(status)s”: you cannot do this now.") % {"status": status}
    assert expected in text_of(client.get(response["Location"]))
    _unchanged(handed_down, events)

    referral_report(referral_id=handed_down.pk, actor=county_handler, text="已修复。")
    events = petition.events.count()
    handed_down.refresh_from_db()
    response = decide(client, handed_down, "accept", version=handed_down.version - 1)
    assert response.status_code == 302
    expected = zh("Someone else changed this referral a moment ago. Reload it and try again.")
    assert expected in text_of(client.get(response["Location"]))
    _unchanged(handed_down, events)


@pytest.mark.parametrize("who", ["foreign_clerk", "other_clerk", "handler", "nobody"])
def test_someone_outside_the_referral_gets_a_404(client, world, reported, who):
    events = reported.petition.events.count()
    client.force_login(world.users[who])
    assert decide(client, reported, "accept").status_code == 404
    assert decide(client, reported, "report", text="越权").status_code == 404
    assert client.get(reverse("petitions:case", args=[reported.petition_id])).status_code == 404
    _unchanged(reported, events)


def test_an_unknown_verb_is_a_404(client, world, reported):
    client.force_login(world.users["city_handler"])
    assert decide(client, reported, "approve").status_code == 404


# --- The lists -----------------------------------------------------------------------------------------


def _hand_down(world, register, due: date, instructions: str = "") -> Referral:
    case = register(actor="city_handler", channel="hotline", intake_unit=world.units["city_centre"]).petition
    return petition_hand_down(
        petition_id=case.pk,
        actor=world.users["city_handler"],
        unit=world.units["county_centre"],
        report_due=due,
        instructions=instructions,
    )


def _listed(client, **params) -> list[int]:
    response = client.get(reverse("petitions:referrals"), params)
    assert response.status_code == 200
    body = response.content.decode()
    table = body[body.index('id="referrals"') :] if 'id="referrals"' in body else ""
    return [int(pk) for pk in re.findall(r'<tr class="[^"]*" data-referral="(\d+)"', table)]


def test_the_lists_put_owing_reports_first_the_overdue_at_the_top(
    client, world, register, county_handler, time_machine
):
    city = world.users["city_handler"]
    soon = _hand_down(world, register, working_day(2))  # will be overdue
    later = _hand_down(world, register, working_day(12))
    reported = _hand_down(world, register, working_day(1))
    accepted = _hand_down(world, register, working_day(1))
    referral_report(referral_id=reported.pk, actor=county_handler, text="已办结")
    referral_report(referral_id=accepted.pk, actor=county_handler, text="已办结")
    referral_accept(referral_id=accepted.pk, actor=city)
    # Past the first two due dates, before the third.
    time_machine.move_to(soon.report_due_at + timedelta(days=1), tick=False)
    assert timezone.now() < later.report_due_at

    client.force_login(county_handler)
    assert _listed(client, direction="received") == [soon.pk, later.pk, reported.pk, accepted.pk]
    assert _listed(client, direction="sent") == []
    assert _listed(client, direction="received", overdue="on") == [soon.pk]
    assert _listed(client, status="reported") == [reported.pk]
    body = client.get(reverse("petitions:referrals"), {"direction": "received"}).content.decode()
    row = body[body.index(f'data-referral="{soon.pk}"') :]
    assert 'data-overdue="1"' in row[: row.index("</tr>")]
    assert f'href="/staff/cases/{soon.petition_id}/#referral-{soon.pk}"' in body

    client.force_login(city)
    assert _listed(client, direction="sent") == [soon.pk, later.pk, reported.pk, accepted.pk]
    assert _listed(client, direction="received") == []
    # A value that does not parse filters nothing rather than failing.
    assert _listed(client, direction="sideways", status="lost") == [soon.pk, later.pk, reported.pk, accepted.pk]
    # Someone of another county sees none of them.
    client.force_login(world.users["foreign_clerk"])
    assert _listed(client) == []
    assert 'id="referrals-empty"' in client.get(reverse("petitions:referrals")).content.decode()


def test_the_list_costs_the_same_queries_for_many_rows(client, world, register, county_handler):
    client.force_login(county_handler)
    url = reverse("petitions:referrals")
    _hand_down(world, register, working_day(3))
    client.get(url)  # the session and the per-process copies warmed up
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(8):
        _hand_down(world, register, working_day(4 + n), instructions=f"第{n}件")
    with CaptureQueriesContext(connection) as nine:
        assert len(_listed(client)) == 9
    assert len(nine) <= len(one) + 1, [q["sql"] for q in nine.captured_queries]


def test_the_list_is_bounded_in_queries(client, world, register, county_handler, django_assert_max_num_queries):
    for n in range(6):
        _hand_down(world, register, working_day(3 + n))
    client.force_login(county_handler)
    client.get(reverse("petitions:referrals"))
    # The session, the user, the second-factor check, the memberships, the page of rows, the bell.
    with django_assert_max_num_queries(6):
        assert client.get(reverse("petitions:referrals"), {"direction": "received"}).status_code == 200


def test_the_staff_menu_links_to_the_referrals(client, world):
    client.force_login(world.users["handler"])
    body = client.get(reverse("petitions:queue")).content.decode()
    assert f'href="{reverse("petitions:referrals")}"' in body


# --- Reports against officials: each accused person's own outcome --------------------------------------


@pytest.fixture
def report_against_two(world, categories, township_commission) -> Petition:
    """A report naming two officials, held and accepted by the township commission."""
    case = petition_register(
        actor=world.users["clerk"],
        channel="visit",
        category=categories["discipline"],
        region=world.region("东一村"),
        title="参合金被截留",
        content="2015年度新农合参合金已上交，住院时被告知未参合。",
        complainant_name="字某某",
        complainant_phone="13912345678",
        accused=[{"name": "杨某某", "post": "村党支部副书记"}, {"name": "李某某", "post": "村会计"}],
    ).petition
    petition_accept(petition_id=case.pk, actor=world.users["twp_officer"])
    case.refresh_from_db()
    return case


def test_the_commission_gives_each_accused_person_their_own_outcome(client, world, report_against_two):
    case = report_against_two
    deputy, accountant = case.accused.order_by("id")
    officer = world.users["twp_officer"]
    client.force_login(officer)
    body = page(client, case)
    assert f'name="person-{deputy.pk}-outcome"' in body and f'name="person-{accountant.pk}-sanction"' in body
    assert "杨某某" not in body  # rows name people by number and post, never by name
    url = reverse("petitions:action", args=[case.pk, "dispose"])

    # A sanction after a reminding talk: refused on that person's row, nothing saved.
    response = client.post(
        url,
        {
            "version": case.version,
            f"person-{deputy.pk}-outcome": "talk_reminder",
            f"person-{deputy.pk}-sanction": "warning",
        },
    )
    assert response.status_code == 200
    assert f'id="field-dispose-person-{deputy.pk}-sanction"' in response.content.decode()
    assert zh("A sanction follows a case opened for review or a transfer to the judiciary.") in text_of(response)
    assert not case.dispositions.exists() and not case.events.filter(verb=Verb.DISPOSED).exists()

    response = client.post(
        url,
        {
            "version": case.version,
            f"person-{deputy.pk}-outcome": "case_opened",
            f"person-{deputy.pk}-sanction": "expulsion",
            f"person-{accountant.pk}-outcome": "talk_reminder",
            "note": "截留参合金",
        },
    )
    assert response.status_code == 302
    disposition = case.dispositions.get()
    assert (disposition.kind, disposition.sanctioned_count, disposition.sanction_kind) == (
        Disposition.Kind.CASE_OPENED,
        1,
        Disposition.Sanction.EXPULSION,
    )
    assert sorted(
        PersonOutcome.objects.filter(disposition=disposition).values_list("accused", "outcome", "sanction")
    ) == [
        (deputy.pk, "case_opened", "expulsion"),
        (accountant.pk, "talk_reminder", ""),
    ]
    event = case.events.get(verb=Verb.DISPOSED)
    assert (event.actor, event.public) == (officer, False)
    assert event.data["people"] == [
        {"accused": deputy.pk, "outcome": "case_opened", "sanction": "expulsion"},
        {"accused": accountant.pk, "outcome": "talk_reminder", "sanction": ""},
    ]

    # Later the accountant's part is closed: the page shows each person's latest outcome.
    case.refresh_from_db()
    response = client.post(url, {"version": case.version, f"person-{accountant.pk}-outcome": "closed_no_case"})
    assert response.status_code == 302
    body = page(client, case)
    outcomes = body[body.index('id="outcomes"') :]
    assert 'data-person="1" data-outcome="case_opened" data-sanction="expulsion"' in outcomes
    assert 'data-person="2" data-outcome="closed_no_case" data-sanction=""' in outcomes
    assert "村会计" in outcomes and "李某某" not in outcomes

    # The desk that logged the report sees a shell: no dispositions, no outcomes.
    client.force_login(world.users["clerk"])
    body = page(client, case)
    assert 'id="dispositions"' not in body and 'id="outcomes"' not in body and 'id="referrals"' not in body


def test_a_shell_shows_no_referral_box(client, world, register, categories):
    """A report taken in at the city desk, held by the city commission, handed down to the
    county's: the desk that logged it sees a shell, without the referral box."""
    case = register(
        actor="city_handler",
        channel="hotline",
        intake_unit=world.units["city_centre"],
        category=categories["discipline"],
        title="干部吃拿卡要",
        accused=[{"name": "王某某", "post": "村主任"}],
    ).petition
    assert case.holder_unit == world.units["city_commission"]
    referral = petition_hand_down(
        petition_id=case.pk,
        actor=world.users["city_inspector"],
        unit=world.units["county_commission"],
        report_due=working_day(6),
        instructions="请依规处置并报结",
    )
    client.force_login(world.users["city_inspector"])
    assert f'id="referral-{referral.pk}"' in page(client, case)
    client.force_login(world.users["inspector"])
    assert f'id="referral-{referral.pk}-report"' in page(client, case)

    client.force_login(world.users["city_handler"])
    body = page(client, case)
    assert 'id="shell-note"' in body
    assert 'id="referrals"' not in body and "请依规处置并报结" not in body
