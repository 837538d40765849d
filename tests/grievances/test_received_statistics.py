"""Statistics count a case from the day it reached a desk (`received_at`), not the day it was
typed in (DESIGN.md §11): a case received in September and registered in October is
September's, on the dashboard, in the API, in the commissions' and the published figures. A
case registered late for a day already rolled up is counted live at once and in the cells
after the next nightly rollup, so the figures stay exact; how late the cases were registered
is a figure of its own (迟录: how many, median and mean days, per child region)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from grievances.portal.selectors import county_statistics
from grievances.stats.commission import commission_summary
from grievances.stats.models import DailyStat, DailyStatDay
from grievances.stats.summary import summary_for
from grievances.stats.tasks import rollup_statistics
from petitions.models import Petition
from stations.models import Region

pytestmark = pytest.mark.django_db

CHINA = timezone.get_fixed_timezone(8 * 60)
COUNTY = "990121000000"
PERIOD = {"from": "2025-09-01", "to": "2025-10-08"}


def at(*args) -> datetime:
    return timezone.make_aware(datetime(*args), CHINA)


def figures(summary) -> dict:
    values = vars(summary).copy()
    values.pop("live_days")
    return values


def live_only(user, **kwargs) -> dict:
    """The figures counted from the case table alone: the rollup hidden, then put back."""
    with transaction.atomic():
        DailyStatDay.objects.all().delete()
        values = figures(summary_for(user, **kwargs))
        transaction.set_rollback(True)
    return values


@pytest.fixture
def autumn(world, register):
    """Two villages' cases of September and October 2025. September is rolled up on 1 October;
    on 8 October 东一村 enters a case received on 20 September (18 days late) and 西一村 one
    received on 6 October (1 day late) and one of the day."""
    cases = {}
    with time_machine.travel(at(2025, 9, 10, 9, 0), tick=False):
        cases["east_sep"] = register().petition
    with time_machine.travel(at(2025, 9, 12, 9, 0), tick=False):
        cases["west_sep"] = register(actor="other_clerk", region=world.region("西一村")).petition
    with time_machine.travel(at(2025, 10, 1, 10, 0), tick=False):
        rollup_statistics(days=30)  # 1 to 30 September
    with time_machine.travel(at(2025, 10, 8, 10, 0), tick=False):
        cases["east_late"] = register(received_at=at(2025, 9, 20, 9, 0)).petition
        cases["west_late"] = register(
            actor="other_clerk", region=world.region("西一村"), received_at=at(2025, 10, 6, 15, 0)
        ).petition
        cases["west_now"] = register(actor="other_clerk", region=world.region("西一村")).petition
    return cases


def check_autumn(body: dict) -> None:
    assert body["total"] == 5
    assert body["by_month"] == {"2025-09": 3, "2025-10": 2}
    assert body["late_registration"] == {
        "cases": 5,
        "late": 2,
        "late_rate": 40.0,
        "median_days": 0.0,  # 0, 0, 0, 1, 18
        "mean_days": 3.8,
    }
    children = {row["name"]: row["late_registration"] for row in body["by_child_region"]}
    assert children["东镇"] == {"cases": 2, "late": 1, "late_rate": 50.0, "median_days": 9.0, "mean_days": 9.0}
    assert children["西镇"] == {"cases": 3, "late": 1, "late_rate": 33.3, "median_days": 0.0, "mean_days": 0.3}


def test_a_case_received_in_september_registered_in_october_is_septembers(
    api, client, world, autumn, django_assert_max_num_queries
):
    assert autumn["east_late"].days_registered_late == 18
    supervisor = world.users["supervisor"]
    with time_machine.travel(at(2025, 10, 8, 11, 0), tick=False):
        api.force_authenticate(supervisor)
        with django_assert_max_num_queries(9):
            response = api.get("/api/v1/stats/summary/", {"region": COUNTY, **PERIOD})
        assert response.status_code == 200
        check_autumn(response.json())
        # September alone holds the late case although it was typed in in October.
        september = api.get("/api/v1/stats/summary/", {"region": COUNTY, "from": "2025-09-01", "to": "2025-09-30"})
        assert september.json()["total"] == 3

        client.force_login(supervisor)
        with django_assert_max_num_queries(16):
            page = client.get("/staff/dashboard/", {"region": COUNTY, **PERIOD})
        assert page.status_code == 200
        summary = page.context["summary"]
        assert summary.by_month == {"2025-09": 3, "2025-10": 2}
        html = page.content.decode()
        assert 'id="stat-late">2 <small>(40.0%)</small>' in html
        assert 'id="stat-late-mean">3.8<' in html
        report = client.get("/staff/dashboard/monthly/", {"month": "2025-09", "region": COUNTY})
        assert report.context["summary"].total == 3
        assert report.context["summary"].late_registration["late"] == 1


def test_a_late_case_for_a_rolled_up_day_is_exact_at_once_and_after_the_next_rollup(world, autumn):
    root, supervisor = world.users["root"], world.users["supervisor"]
    asks = [
        (supervisor, {"region": None}),
        (supervisor, {"region": Region.objects.get(code=COUNTY)}),
        (root, {"region": Region.objects.get(code="990000000000")}),  # the province: monthly rows
    ]
    period = {"date_from": date(2025, 9, 1), "date_to": date(2025, 10, 8)}
    assert DailyStatDay.objects.get(date=date(2025, 9, 20)).cases == 0

    # At once: the cells of 20 September do not hold the case, the live part does.
    with time_machine.travel(at(2025, 10, 8, 11, 0), tick=False):
        for user, ask in asks:
            rolled = summary_for(user, **period, **ask)
            assert rolled.by_month == {"2025-09": 3, "2025-10": 2}
            assert figures(rolled) == figures(summary_for(user, monthly=False, **period, **ask))
            assert figures(rolled) == live_only(user, **period, **ask)

    # The next night, with a window of three days: 20 September is outside it but gained a case,
    # so it is rolled again; the other days now count up to the same midnight.
    with time_machine.travel(at(2025, 10, 9, 1, 20), tick=False):
        rollup_statistics(days=3)
        assert DailyStatDay.objects.get(date=date(2025, 9, 20)).cases == 1
        assert DailyStat.objects.get(date=date(2025, 9, 20)).days_late == 18
        midnight = at(2025, 10, 9, 0, 0)
        assert set(DailyStatDay.objects.values_list("registered_before", flat=True)) == {midnight}
        for user, ask in asks:
            rolled = summary_for(user, **period, **ask)
            assert figures(rolled) == figures(summary_for(user, monthly=False, **period, **ask))
            assert figures(rolled) == live_only(user, **period, **ask)
            assert rolled.late_registration["late"] == 2
        # Run again: nothing changes, nothing is counted twice.
        rollup_statistics(days=3)
        assert figures(summary_for(root, **period, **asks[2][1])) == live_only(root, **period, **asks[2][1])


def test_imported_cases_are_counted_but_not_as_registered_late(world, autumn):
    Petition.objects.filter(pk=autumn["east_late"].pk).update(imported_at=at(2025, 10, 8, 10, 0))
    with time_machine.travel(at(2025, 10, 8, 11, 0), tick=False):
        summary = summary_for(
            world.users["supervisor"], region=None, date_from=date(2025, 9, 1), date_to=date(2025, 10, 8)
        )
    assert summary.total == 5
    assert summary.late_registration == {"cases": 4, "late": 1, "late_rate": 25.0, "median_days": 0.0, "mean_days": 0.2}


def test_commission_and_published_figures_count_from_received_at(world, categories, register):
    with time_machine.travel(at(2025, 10, 8, 10, 0), tick=False):
        report = register(
            category=categories["discipline"],
            received_at=at(2025, 9, 28, 9, 0),
            accused=[{"name": "杨某", "post": "村党支部副书记"}],
        ).petition
        figures = commission_summary(
            world.users["root"],
            region=Region.objects.get(code=COUNTY),
            date_from=date(2025, 9, 1),
            date_to=date(2025, 9, 30),
        )
        assert figures.received == 1 and figures.by_month == {"2025-09": 1}
        assert report.created_at.month == 10

    with time_machine.travel(at(2026, 1, 3, 10, 0), tick=False):
        register(received_at=at(2025, 12, 30, 16, 0))
        county = Region.objects.get(code=COUNTY)
        assert county_statistics(county, 2025).total == 2
        assert county_statistics(county, 2026).total == 0
