"""The commission's statistics (issue #8): reports received, dispositions, sanctions and the
time to disposition, over 27 reports disposed of the way they were before each accused person
had their own outcome (one disposition per case, no people's outcomes): 17 disposed of, 18
people sanctioned. Two of the 17 are still under preliminary verification, which is a step and
not an end: 15 are closed (办结), 7 being handled (5 with no disposition yet), 5 await
acceptance. Seed 003's year as the commissions recorded it, person by person and with the
city handing reports down, is tests/grievances/test_linkage_stats.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from petitions.models import Disposition
from petitions.services import petition_accept, petition_dispose, petition_register
from stations.models import Membership, Unit
from stations.services import membership_grant, unit_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")
REPORTED = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA)
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}
K = Disposition.Kind
S = Disposition.Sanction
# The 6 cases opened (立案审查) and who was sanctioned how: 18 people in all.
OPENED = [(1, S.EXPULSION), (5, S.WARNING), (4, S.SERIOUS_WARNING), (3, S.GOVERNMENT), (3, S.WARNING), (2, S.PROBATION)]
OTHERS = [K.CLOSED_NO_CASE] * 4 + [K.TALK_OR_INQUIRY] * 5 + [K.PRELIMINARY_VERIFICATION] * 2


@pytest.fixture
def year(world, categories):
    """27 reports at the 东一村 and 东二村 desks, handled by the township commission."""
    commission = unit_ensure(region=world.region("东镇"), name="东镇纪委", kind=Unit.Kind.COMMISSION)
    officer = UserFactory(username="twp_officer")
    membership_grant(user=officer, unit=commission, role=Membership.Role.HANDLER)
    world.users["twp_officer"] = officer
    cases = []
    with time_machine.travel(REPORTED, tick=False):
        for i in range(27):
            cases.append(
                petition_register(
                    actor=world.users["clerk"],
                    channel="visit" if i % 3 else "letter",
                    category=categories["discipline"],
                    region=world.region("东一村" if i % 2 else "东二村"),
                    title=f"举报{i}",
                    content="村干部截留参合金。",
                    complainant_name="字某某",
                    complainant_phone="13912345678",
                    accused=[{"name": f"杨某{i}", "post": "村党支部副书记"}],
                ).petition
            )
    assert {case.holder_unit for case in cases} == {commission}
    outcomes = [(K.CASE_OPENED, count, kind) for count, kind in OPENED] + [(kind, 0, "") for kind in OTHERS]
    # 17 disposed of, the first disposition 1, 2, … 17 days after the report.
    for days, (case, (kind, count, sanction)) in enumerate(zip(cases[:17], outcomes, strict=True), 1):
        with time_machine.travel(REPORTED + timedelta(days=days), tick=False):
            petition_accept(petition_id=case.pk, actor=officer)
            if kind == K.CASE_OPENED and days == 1:
                # Verified first, then opened: the time counts to the first disposition.
                petition_dispose(petition_id=case.pk, actor=officer, kind=K.PRELIMINARY_VERIFICATION)
                with time_machine.travel(REPORTED + timedelta(days=40), tick=False):
                    petition_dispose(
                        petition_id=case.pk, actor=officer, kind=kind, sanctioned_count=count, sanction_kind=sanction
                    )
            else:
                petition_dispose(
                    petition_id=case.pk, actor=officer, kind=kind, sanctioned_count=count, sanction_kind=sanction
                )
    # 5 being handled (accepted, no disposition yet), 5 not yet accepted.
    for case in cases[17:22]:
        petition_accept(petition_id=case.pk, actor=officer)
    return cases


def test_the_commission_sees_its_year_in_figures(api, world, year, django_assert_max_num_queries):
    api.force_authenticate(world.users["supervisor"])  # the county commission
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/stats/commission/", {**PERIOD, "region": "990121000000"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["received"], data["disposed"], data["in_progress"], data["awaiting_acceptance"]) == (27, 17, 5, 5)
    assert (data["closed"], data["being_handled"], data["rejected"]) == (15, 7, 0)
    assert data["sanctioned"] == 18
    # Without people's outcomes, each case counts once, by its current disposition.
    assert data["by_disposition"] == {
        "closed_no_case": 4,
        "talk_reminder": 0,
        "written_inquiry": 0,
        "talk_or_inquiry": 5,
        "preliminary_verification": 2,
        "case_opened": 6,
        "transferred_to_judiciary": 0,
    }
    assert data["by_sanction"] == {
        "warning": 8,
        "serious_warning": 4,
        "removal_from_post": 0,
        "probation": 2,
        "expulsion": 1,
        "government": 3,
    }
    assert data["days_to_disposition"] == {"median": 9.0, "mean": 9.0, "max": 17.0}
    assert data["by_channel"] == {"letter": 9, "visit": 18}
    assert data["by_month"] == {"2026-03": 27}
    assert [
        (row["name"], row["received"], row["disposed"], row["closed"], row["being_handled"], row["sanctioned"])
        for row in data["by_child_region"]
    ] == [("东镇", 27, 17, 15, 7, 18), ("西镇", 0, 0, 0, 0, 0)]
    # Taken in at the village desks: all own intake; a county is no city, so no county rows.
    assert data["by_source"] == {"own": 27, "city": 0, "province": 0, "referred_up": 0}
    assert data["handed_down_by"] == [] and data["counties"] == []
    # Figures only: nobody is named.
    assert "杨某" not in response.content.decode() and "字某某" not in response.content.decode()


def test_the_page_shows_the_same_figures(client, world, year):
    client.force_login(world.users["twp_officer"])
    page = client.get(reverse("grievances:commission_dashboard"), PERIOD)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="stat-received">27<' in body and 'id="stat-sanctioned">18<' in body
    assert 'id="stat-closed">15<' in body and 'id="stat-being-handled">7<' in body
    assert 'id="stat-days">9.0<' in body
    assert "杨某" not in body and "字某某" not in body
    # The township commission drills down to its villages.
    assert page.context["summary"].region == world.region("东镇")
    assert [row["received"] for row in page.context["summary"].by_child_region] == [13, 14]


@pytest.mark.parametrize(
    ("who", "region", "status"),
    [
        ("supervisor", "990121000000", 200),
        ("twp_officer", "990121100000", 200),
        ("twp_officer", "990121000000", 404),  # the county is above the township commission
        ("twp_officer", "990121101000", 404),  # another township
        ("observer", "990121000000", 404),  # an invited observer of the commission: not its staff
        ("clerk", "990121000000", 404),
        ("handler", "990121100000", 404),
        ("foreign_supervisor", "990121000000", 404),  # another county
        ("root", "990121000000", 200),
    ],
)
def test_only_commission_staff_of_the_region_see_the_figures(api, client, world, year, who, region, status):
    user = world.users[who]
    api.force_authenticate(user)
    assert api.get("/api/v1/stats/commission/", {**PERIOD, "region": region}).status_code == status
    client.force_login(user)
    page = client.get(reverse("grievances:commission_dashboard"), {**PERIOD, "region": region})
    assert page.status_code == status


def test_bad_dates_are_refused_in_chinese(api, world, year):
    api.force_authenticate(world.users["supervisor"])
    response = api.get("/api/v1/stats/commission/", {"from": "2026-12-31", "to": "2026-01-01"})
    assert response.status_code == 400
    assert response.json()["from"] == ["起始日期不能晚于截止日期。"]


def test_the_dashboard_links_the_commission_figures_for_commission_staff_only(client, world, year):
    client.force_login(world.users["supervisor"])
    assert 'id="commission-link"' in client.get(reverse("grievances:dashboard")).content.decode()
    client.force_login(world.users["leader"])
    assert 'id="commission-link"' not in client.get(reverse("grievances:dashboard")).content.decode()
