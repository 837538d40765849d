"""The statistics of five-level linkage (五级联动), replaying seed 003's commission year through
the services: 27 reports against officials in 甲县, 10 of them taken in at the city's desk and
handed down by the city commission (示范市纪委监委), 17 taken in at the village desks; 17
closed (办结), 5 being handled (preliminary verification among them), 5 awaiting acceptance;
18 people given Party or administrative sanctions, spread over several people in one report.

Each accused person has their own outcome: a report is closed once every person it names has
a final one, and the people sanctioned are counted person by person. The county commission's
supervisor sees the figures by source; the city commission's supervisor sees 甲县 beside 乙县,
with what each received from above and whether the reports on it came in on time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from grievances.stats.summary import summary_for
from grievances.stats.tasks import rollup_statistics
from petitions.deadlines import is_working_day
from petitions.models import Disposition, Petition, Referral, Source
from petitions.services import (
    petition_accept,
    petition_dispose,
    petition_hand_down,
    petition_register,
    petition_reject,
    referral_accept,
    referral_report,
    referral_return,
)
from tests.clock import at

pytestmark = pytest.mark.django_db

REPORTED = at(2026, 3, 2, 9, 0)  # every report came in that Monday
ASKED = at(2026, 6, 30, 10, 0)  # when the figures are read
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}
COUNTY, OTHER_COUNTY, CITY = "990121000000", "990122000000", "990100000000"
SOON, LATER = date(2026, 3, 31), date(2026, 7, 15)  # the reports on the hand-downs are due
RETURNED_DUE = date(2026, 4, 30)  # the new due date of the report returned for re-handling
K, S = Disposition.Kind, Disposition.Sanction
CO, PV = K.CASE_OPENED, K.PRELIMINARY_VERIFICATION


@dataclass(frozen=True)
class Story:
    """One report's year: how many officials it names, its dispositions in order (each a list of
    `(person, outcome, sanction)`, or a bare kind recorded without people's outcomes), whether it
    was accepted; for one the city handed down, when the report on it was due and how it went."""

    people: int = 1
    steps: tuple = ()
    accepted: bool = True
    city: bool = False
    due: date = SOON
    report: str = ""  # "on_time", "late", "returned" (returned, then reported late), "" (none)
    accept_report: bool = False


def one(outcome, sanction=""):
    return [(0, outcome, sanction)]


STORIES = [
    # --- 17 closed (办结): every person's latest outcome is final ---------------------------
    # Verified first, then three people sanctioned: expulsion, probation, warning.
    Story(
        3,
        ([(0, PV, ""), (1, PV, ""), (2, PV, "")], [(0, CO, S.EXPULSION), (1, CO, S.PROBATION), (2, CO, S.WARNING)]),
        city=True,
        report="on_time",
        accept_report=True,
    ),
    Story(2, ([(0, CO, S.SERIOUS_WARNING), (1, CO, S.WARNING)],), city=True, report="on_time", accept_report=True),
    Story(2, ([(0, CO, S.GOVERNMENT), (1, K.CLOSED_NO_CASE, "")],)),
    Story(1, (one(K.TRANSFERRED_TO_JUDICIARY, S.EXPULSION),), city=True, report="on_time"),
    Story(
        4,
        ([(0, CO, S.WARNING), (1, CO, S.WARNING), (2, CO, S.SERIOUS_WARNING), (3, K.TALK_REMINDER, "")],),
        city=True,
        report="returned",
    ),
    Story(1, (one(CO, S.REMOVAL_FROM_POST),)),
    Story(2, ([(0, CO, S.GOVERNMENT), (1, CO, S.GOVERNMENT)],)),
    Story(1, (one(PV), one(CO, S.PROBATION))),
    Story(2, ([(0, CO, S.SERIOUS_WARNING), (1, CO, S.SERIOUS_WARNING)],)),
    Story(2, ([(0, CO, S.WARNING), (1, K.WRITTEN_INQUIRY, "")],)),
    Story(1, (one(CO, S.WARNING),)),
    Story(1, (one(K.CLOSED_NO_CASE),)),
    Story(1, (one(K.TALK_REMINDER),), city=True, report="late"),
    # Two people, each disposed of on their own day: closed once the second is.
    Story(2, ([(0, K.WRITTEN_INQUIRY, "")], [(1, K.TALK_REMINDER, "")])),
    Story(1, (one(K.TALK_OR_INQUIRY),)),
    # Disposed of as a case, without people's outcomes; the report on it never came in.
    Story(1, (K.CLOSED_NO_CASE,), city=True),
    Story(1, (one(PV), one(K.CLOSED_NO_CASE))),
    # --- 5 being handled: accepted, not closed ----------------------------------------------
    Story(1, (), city=True, due=LATER),  # no disposition yet
    Story(1, (one(PV),)),
    Story(2, ([(0, PV, ""), (1, PV, "")],), city=True, due=LATER),
    Story(2, ([(0, K.CLOSED_NO_CASE, ""), (1, PV, "")],)),  # one person still being verified
    Story(2, ([(0, K.TALK_REMINDER, "")],)),  # the second person has no outcome yet
    # --- 5 awaiting acceptance -----------------------------------------------------------------
    Story(accepted=False, city=True),  # the report was due on 31 March: late
    Story(accepted=False, city=True, due=LATER),
    Story(accepted=False),
    Story(accepted=False),
    Story(accepted=False),
]


def on_day(days: float):
    return time_machine.travel(REPORTED + timedelta(days=days), tick=False)


@pytest.fixture
def year(world, categories):
    """The reports, registered, handed down, accepted, disposed of and reported on through the
    services, at the days they happened."""
    assert len(STORIES) == 27
    assert all(is_working_day(day) for day in (SOON, LATER, RETURNED_DUE))
    users = world.users
    city_inspector, inspector = users["city_inspector"], users["inspector"]
    cases = []
    with on_day(0):
        for i, story in enumerate(STORIES):
            # The city's reports at its centre's desk (12388); the others at the village desk.
            desk = {"actor": users["city_handler"], "intake_unit": world.units["city_centre"]}
            cases.append(
                petition_register(
                    **(desk if story.city else {"actor": users["clerk"]}),
                    channel="hotline" if story.city else "visit",
                    category=categories["discipline"],
                    region=world.region("东一村" if i % 2 else "东二村"),
                    title=f"举报{i}",
                    content="村干部截留参合金。",
                    complainant_name="字某某",
                    complainant_phone="13912345678",
                    accused=[{"name": f"杨某{i}-{n}", "post": "村党支部副书记"} for n in range(story.people)],
                ).petition
            )
    holders = {story.city: case.holder_unit for story, case in zip(STORIES, cases, strict=True)}
    assert holders == {True: world.units["city_commission"], False: world.units["county_commission"]}

    referrals = {}
    with on_day(1):
        for i, (story, case) in enumerate(zip(STORIES, cases, strict=True)):
            if story.city:
                referrals[i] = petition_hand_down(
                    petition_id=case.pk,
                    actor=city_inspector,
                    unit=world.units["county_commission"],
                    report_due=story.due,
                    instructions="请依规处置并按期报结",
                )
    with on_day(2):
        for story, case in zip(STORIES, cases, strict=True):
            if story.accepted:
                petition_accept(petition_id=case.pk, actor=inspector)

    disposed = 0
    for story, case in zip(STORIES, cases, strict=True):
        if not story.steps:
            continue
        people = list(case.accused.order_by("pk").values_list("pk", flat=True))
        for k, step in enumerate(story.steps):
            # The first disposition 5, 6, 7 … days after the report; each further step 3 days on.
            with on_day(5 + disposed + 3 * k):
                if isinstance(step, str):
                    petition_dispose(petition_id=case.pk, actor=inspector, kind=step)
                else:
                    petition_dispose(
                        petition_id=case.pk,
                        actor=inspector,
                        people=[{"accused": people[n], "outcome": o, "sanction": s} for n, o, s in step],
                    )
        disposed += 1

    for i, story in enumerate(STORIES):
        referral = referrals.get(i)
        if referral is None or not story.report:
            continue
        with on_day(18 if story.report in ("on_time", "returned") else 39):  # 20 March or 10 April
            referral_report(referral_id=referral.pk, actor=inspector, text="已依规处置，报请认定。")
        if story.accept_report:
            with on_day(21):
                referral_accept(referral_id=referral.pk, actor=city_inspector, note="同意办结")
        if story.report == "returned":
            with on_day(25):
                referral_return(
                    referral_id=referral.pk, actor=city_inspector, reason="处分依据不全", report_due=RETURNED_DUE
                )
            with on_day(67):  # 8 May: after the new due date
                referral_report(referral_id=referral.pk, actor=inspector, text="已补充处分依据。")
    return cases


def commission_figures(api, user, django_assert_num_queries, **params):
    api.force_authenticate(user)
    # The user's memberships (scope), the region, and the five reads of the statistic: the
    # reports, their dispositions, the people's outcomes, the referrals, the child regions.
    with time_machine.travel(ASKED, tick=False), django_assert_num_queries(7):
        response = api.get("/api/v1/stats/commission/", {**PERIOD, **params})
    assert response.status_code == 200, response.content
    return response.json()


BY_SANCTION = {
    "warning": 6,
    "serious_warning": 4,
    "removal_from_post": 1,
    "probation": 2,
    "expulsion": 2,
    "government": 3,
}
# People by their latest outcome (the report disposed of as a case counts once).
BY_DISPOSITION = {
    "closed_no_case": 5,
    "talk_reminder": 4,
    "written_inquiry": 2,
    "talk_or_inquiry": 1,
    "preliminary_verification": 4,
    "case_opened": 17,
    "transferred_to_judiciary": 1,
}


def check_year(data: dict) -> None:
    assert data["received"] == 27
    assert (data["closed"], data["being_handled"], data["awaiting_acceptance"], data["rejected"]) == (17, 5, 5, 0)
    assert data["in_progress"] == 1  # of the 5 being handled, one has no disposition yet
    assert data["disposed"] == 21
    assert data["sanctioned"] == 18
    assert data["by_sanction"] == BY_SANCTION
    assert data["by_disposition"] == BY_DISPOSITION
    assert data["by_source"] == {"own": 17, "city": 10, "province": 0, "referred_up": 0}
    assert data["handed_down_by"] == [{"unit": "示范市纪委监委", "count": 10}]
    # The first disposition 5 … 25 days after the report.
    assert data["days_to_disposition"] == {"median": 15.0, "mean": 15.0, "max": 25.0}
    assert data["by_channel"] == {"hotline": 10, "visit": 17}
    assert data["by_month"] == {"2026-03": 27}
    # Figures only: nobody is named.
    assert "杨某" not in str(data) and "字某某" not in str(data)


def test_the_county_commission_sees_its_year_by_source_and_person(api, world, year, django_assert_num_queries):
    data = commission_figures(api, world.users["supervisor"], django_assert_num_queries, region=COUNTY)
    check_year(data)
    assert data["region"]["name"] == "甲县"
    rows = [
        (r["name"], r["received"], r["handed_down"], r["closed"], r["being_handled"], r["sanctioned"])
        for r in data["by_child_region"]
    ]
    assert rows == [("东镇", 27, 10, 17, 5, 18), ("西镇", 0, 0, 0, 0, 0)]
    assert data["counties"] == []  # a county is no city


def test_the_city_sees_its_counties_side_by_side(api, world, year, django_assert_num_queries):
    # Without a region, the city commission's supervisor starts at the city.
    data = commission_figures(api, world.users["city_supervisor"], django_assert_num_queries)
    check_year(data)
    assert data["region"]["name"] == "示范市"
    county, other = data["counties"]
    assert (county["code"], county["name"], other["name"]) == (COUNTY, "甲县", "乙县")
    # Received 27, of which 10 handed down from above; of the 10 reports owed to the city, 3
    # came in on time, 4 late (one reported late, one re-reported after its new due date, two
    # owed past 31 March) and 3 are not yet due; 17 closed, 5 being handled, 18 sanctioned.
    assert {key: county[key] for key in county if key not in ("code", "name")} == {
        "received": 27,
        "handed_down": 10,
        "disposed": 21,
        "closed": 17,
        "being_handled": 5,
        "awaiting_acceptance": 5,
        "sanctioned": 18,
        "reports_on_time": 3,
        "reports_late": 4,
        "reports_not_due": 3,
    }
    assert {key: value for key, value in other.items() if key not in ("code", "name")} == dict.fromkeys(
        county.keys() - {"code", "name"}, 0
    )
    assert [row["name"] for row in data["by_child_region"]] == ["甲县", "乙县"]
    # The referrals' own rows agree with what the statistic says of them.
    referrals = Referral.objects.filter(from_unit=world.units["city_commission"])
    assert referrals.count() == 10
    assert referrals.filter(reported_at__isnull=False).count() == 5


def test_the_pages_show_the_same_figures(client, world, year):
    client.force_login(world.users["supervisor"])
    with time_machine.travel(ASKED, tick=False):
        body = client.get(reverse("grievances:commission_dashboard"), PERIOD).content.decode()
    assert 'id="stat-received">27<' in body and 'id="stat-closed">17<' in body
    assert 'id="stat-being-handled">5<' in body and 'id="stat-awaiting">5<' in body
    assert 'id="stat-sanctioned">18<' in body
    assert '<td>市级交办</td><td class="num">10</td>' in body and '<td>本级收件</td><td class="num">17</td>' in body
    assert '<td>示范市纪委监委</td><td class="num">10</td>' in body
    assert 'id="counties"' not in body and 'id="drill-down"' in body
    assert "杨某" not in body and "字某某" not in body

    client.force_login(world.users["city_supervisor"])
    with time_machine.travel(ASKED, tick=False):
        body = client.get(reverse("grievances:commission_dashboard"), PERIOD).content.decode()
    row = body.split(f'id="county-{COUNTY}">')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split('class="num">')[1:]] == [
        "27",
        "10",
        "3",
        "4",
        "3",
        "17",
        "5",
        "18",
    ]
    assert f'id="county-{OTHER_COUNTY}"' in body and 'id="drill-down"' not in body


def test_the_summary_counts_the_cases_by_source_live_and_rolled_up(api, client, world, year):
    with time_machine.travel(ASKED, tick=False):
        api.force_authenticate(world.users["supervisor"])
        county = api.get("/api/v1/stats/summary/", {**PERIOD, "region": COUNTY}).json()
        assert county["total"] == 27
        assert county["by_source"] == {"own": 17, "city": 10, "province": 0, "referred_up": 0}

        city_supervisor = world.users["city_supervisor"]
        city = world.regions["示范市"]
        period = {"date_from": date(2026, 1, 1), "date_to": date(2026, 12, 31)}
        live = summary_for(city_supervisor, region=city, **period)
        assert live.by_source == county["by_source"]
        rollup_statistics(days=(ASKED.date() - date(2026, 1, 1)).days)
        monthly = summary_for(city_supervisor, region=city, **period)
        daily = summary_for(city_supervisor, region=city, monthly=False, **period)
        assert monthly.live_days < live.live_days
        for figures in (monthly, daily):
            assert {k: v for k, v in vars(figures).items() if k != "live_days"} == {
                k: v for k, v in vars(live).items() if k != "live_days"
            }

        client.force_login(world.users["supervisor"])
        page = client.get("/staff/dashboard/", {**PERIOD, "region": COUNTY}).content.decode()
        table = page.split('id="by-source">')[1].split("</table>")[0]
        assert '<td>本级收件</td><td class="num">17</td>' in table
        assert '<td>市级交办</td><td class="num">10</td>' in table
        report = client.get("/staff/dashboard/monthly/", {"month": "2026-03", "region": COUNTY}).content.decode()
        table = report.split('id="report-sources">')[1].split("</table>")[0]
        assert '<td>市级交办</td><td class="num">10</td>' in table


def test_a_person_still_being_verified_keeps_the_report_open(api, world, categories, year, django_assert_num_queries):
    """The last word on a person is their latest outcome: verifying one again reopens the
    report; a final outcome for the person without one closes the other. A report not
    accepted is neither closed nor being handled."""
    inspector = world.users["inspector"]
    open_one, half_done = year[21], year[20]  # one person without an outcome; one being verified
    assert Petition.objects.get(pk=open_one.pk).source == Source.OWN
    first, second = open_one.accused.order_by("pk")
    verifying = half_done.accused.order_by("pk")[1]
    with time_machine.travel(ASKED - timedelta(hours=1), tick=False):
        refused = petition_register(
            actor=world.users["clerk"],
            channel="visit",
            category=categories["discipline"],
            region=world.region("东一村"),
            title="举报",
            content="与纪检监察无关的民事纠纷。",
            complainant_name="字某某",
            complainant_phone="13912345678",
            accused=[{"name": "杨某", "post": "村委会主任"}],
        ).petition
        petition_reject(petition_id=refused.pk, actor=inspector, reason="不属于受理范围", guidance="请向法院起诉")
        petition_dispose(
            petition_id=open_one.pk, actor=inspector, people=[{"accused": second.pk, "outcome": K.CLOSED_NO_CASE}]
        )
        petition_dispose(
            petition_id=year[0].pk,
            actor=inspector,
            people=[{"accused": year[0].accused.order_by("pk")[0].pk, "outcome": PV}],
        )
        petition_dispose(
            petition_id=half_done.pk,
            actor=inspector,
            people=[{"accused": verifying.pk, "outcome": CO, "sanction": S.WARNING}],
        )
    data = commission_figures(api, world.users["supervisor"], django_assert_num_queries, region=COUNTY)
    # +2 closed (both), -1 closed (the first report, one person verified again).
    assert (data["received"], data["closed"], data["being_handled"]) == (28, 18, 4)
    assert (data["awaiting_acceptance"], data["rejected"]) == (5, 1)
    # The expelled official is under verification again: no longer counted as sanctioned;
    # the verified one of the half-done report now is.
    assert data["sanctioned"] == 18
    assert data["by_sanction"]["expulsion"] == 1 and data["by_sanction"]["warning"] == 7
    assert first.outcomes.count() == 1
