"""Statistics of wide regions (a city, the province, everything) read the monthly per-county
rollup for the whole months of the period, and the daily rollup for the partial months at its
edges: the figures are exactly those of the daily rollup and of the live count."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grievances.stats.models import DailyStat, MonthlyCountyStat
from grievances.stats.rollup import rollup_day
from grievances.stats.summary import summary_for
from grievances.stats.tasks import rollup_statistics
from petitions.models import Petition
from stations.services import RegionRow, regions_import

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
NOW = timezone.make_aware(datetime(2025, 9, 14, 10, 0), TZ)
PROVINCE = "990000000000"
CITY = "990100000000"
# A second city with a county and a village, so the province has two child regions.
MORE_REGIONS = [
    ("990200000000", "远市"),
    ("990221000000", "丙县"),
    ("990221100000", "南镇"),
    ("990221100200", "南一村"),
]
VILLAGES = ["东一村", "东二村", "西一村", "北一村", "南一村"]
# Most cases are the county's own; the others came by the linkage (五级联动).
SOURCES = ["own", "own", "own", "own", "city", "province", "referred_up"]
PERIODS = [
    (date(2025, 1, 1), NOW.date()),  # the default: whole months, September's days, today live
    (date(2025, 1, 15), date(2025, 7, 10)),  # partial first and last months
    (date(2024, 11, 1), date(2025, 8, 31)),  # whole months only
    (date(2025, 3, 1), date(2025, 3, 31)),  # one whole month
    (date(2025, 5, 3), date(2025, 5, 20)),  # inside one month
    (date(2025, 9, 1), NOW.date()),  # the current month: monthly rows to yesterday, today live
    (date(2025, 8, 1), NOW.date() - timedelta(days=1)),  # to yesterday
    (date(2025, 9, 1), date(2025, 9, 10)),  # part of the current month: daily cells
]
DAILY_ONLY = [(date(2025, 5, 3), date(2025, 5, 20)), (date(2025, 9, 1), date(2025, 9, 10))]


def load_cases(world, categories, count: int = 600) -> list[Petition]:
    """Cases from October 2024 to today over five villages of three counties in two cities,
    with every dimension varied: level, category, channel, status, satisfaction, source,
    replies on time, late or missing, repeats."""
    regions_import(rows=[RegionRow(i, code, name) for i, (code, name) in enumerate(MORE_REGIONS, 1)])
    draw = random.Random(10)
    villages = [type(world.region("东一村")).objects.get(name=name) for name in VILLAGES]
    unit = world.units["east_centre"]
    start = timezone.make_aware(datetime(2024, 10, 1, 0, 30), TZ)
    span = (NOW - start).total_seconds()
    rows = []
    for i in range(count):
        village = villages[draw.randrange(len(villages))]
        created = start + timedelta(seconds=draw.random() * span)
        status = draw.choice(["closed", "closed", "closed", "in_progress", "registered", "accepted", "under_review"])
        closed = status == "closed"
        replied = None
        if closed or draw.random() < 0.3:
            replied = created + timedelta(days=draw.choice([1, 5, 20, 70]))
        due = created + timedelta(days=60) if draw.random() < 0.8 else None
        rows.append(
            Petition(
                tracking_number=f"M-{i:05d}",
                query_code_hash="0" * 64,
                channel=draw.choice(["visit", "phone", "letter", "online", "box"]),
                category=draw.choice(list(categories.values())),
                region=village,
                region_code=village.code,
                level=draw.choice(["county", "township", "village"]),
                source=SOURCES[i % len(SOURCES)],
                intake_unit=unit,
                holder_unit=unit,
                status=status,
                title=f"诉求{i}",
                content="见台账。",
                complainant_name="字红梅",
                complainant_phone="13800138000",
                created_at=min(created, NOW - timedelta(minutes=1)),
                received_at=min(created, NOW - timedelta(minutes=1)),
                acceptance_due_at=created + timedelta(days=15),
                due_at=due,
                current_due_at=None if closed else created + timedelta(days=60),
                replied_at=replied,
                closed_at=created + timedelta(days=75) if closed else None,
                satisfaction=draw.choice(["satisfied", "basically_satisfied", "unsatisfied", "no_response"])
                if closed
                else "",
            )
        )
    for row in rows[-5:]:  # today's cases: always counted live
        row.created_at = NOW - timedelta(hours=2)
        row.received_at = row.created_at
    cases = Petition.objects.bulk_create(rows)
    earlier = sorted(cases, key=lambda case: case.created_at)
    repeats = [case for case in earlier[50:] if draw.random() < 0.1]
    for case in repeats:
        case.repeat_of = earlier[0]
    Petition.objects.bulk_update(repeats, ["repeat_of"])
    return cases


def figures(summary) -> dict:
    values = vars(summary).copy()
    values.pop("live_days")
    return values


def test_wide_regions_read_the_monthly_rollup_with_the_same_figures(world, categories):
    root, supervisor = world.users["root"], world.users["supervisor"]
    province, city = (type(world.region("甲县")).objects.get(code=code) for code in (PROVINCE, CITY))
    county = world.region("甲县")
    with time_machine.travel(NOW, tick=False):
        load_cases(world, categories)
        asks = [
            (root, {"region": province}),
            (root, {"region": city}),
            (root, {"region": None}),
            (root, {"region": province, "category": categories["infrastructure"]}),
            (supervisor, {"region": None}),  # a county supervisor's "all I see"
            (supervisor, {"region": county}),  # county level: daily cells, as before
        ]
        live = {
            (i, period): figures(summary_for(user, date_from=period[0], date_to=period[1], **ask))
            for i, (user, ask) in enumerate(asks)
            for period in PERIODS
        }

        rollup_statistics(days=(NOW.date() - date(2024, 10, 1)).days)
        assert MonthlyCountyStat.objects.exists()
        daily_cases = sum(DailyStat.objects.values_list("cases", flat=True))
        for dimension in ("level", "category", "channel", "status", "satisfaction", "source"):
            marginal = MonthlyCountyStat.objects.filter(dimension=dimension)
            assert sum(marginal.values_list("cases", flat=True)) == daily_cases
        assert set(MonthlyCountyStat.objects.values_list("region_code", flat=True)) == {
            "990121000000",
            "990122000000",
            "990221000000",
        }
        for i, (user, ask) in enumerate(asks):
            for period in PERIODS:
                kwargs = {"date_from": period[0], "date_to": period[1], **ask}
                with CaptureQueriesContext(connection) as queries:
                    monthly = summary_for(user, **kwargs)
                daily = summary_for(user, monthly=False, **kwargs)
                assert figures(monthly) == figures(daily) == live[(i, period)], (i, period)
                read_monthly = any("grievances_monthlycountystat" in q["sql"] for q in queries.captured_queries)
                whole_month = period not in DAILY_ONLY
                wide = ask["region"] != county and "category" not in ask  # a category: daily cells
                assert read_monthly == (whole_month and wide), (i, period)
        assert live[(0, PERIODS[0])]["total"] > 300
        assert all(live[(0, PERIODS[0])]["by_source"].values())

        # A case answered after its day was rolled up: re-rolling the day updates its month too.
        case = Petition.objects.filter(created_at__date__lt=date(2025, 8, 1), replied_at__isnull=True).first()
        Petition.objects.filter(pk=case.pk).update(status="closed", replied_at=NOW, satisfaction="satisfied")
        before = summary_for(root, region=province, date_from=date(2025, 1, 1), date_to=NOW.date())
        rollup_day(timezone.localtime(case.created_at).date())
        after = summary_for(root, region=province, date_from=date(2025, 1, 1), date_to=NOW.date())
        assert after.answered == before.answered + 1
        assert figures(after) == figures(
            summary_for(root, region=province, date_from=date(2025, 1, 1), date_to=NOW.date(), monthly=False)
        )


def test_province_summary_api_query_count(api, world, categories, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        load_cases(world, categories, count=200)
        rollup_statistics(days=(NOW.date() - date(2024, 10, 1)).days)
        api.force_authenticate(world.users["root"])
        expected = api.get("/api/v1/stats/summary/", {"region": PROVINCE}).json()
        # The region, the categories, the rolled-up days, the monthly marginals (every month
        # of the default period, September to yesterday included), today's cases and the
        # child regions: today's three groupings are one query on PostgreSQL.
        with django_assert_num_queries(6 if connection.vendor == "postgresql" else 8):
            response = api.get("/api/v1/stats/summary/", {"region": PROVINCE})
    assert response.status_code == 200
    body = response.json()
    assert body == expected
    assert body["total"] == Petition.objects.filter(created_at__gte=datetime(2025, 1, 1, tzinfo=TZ)).count()
    assert [row["code"] for row in body["by_child_region"]] == [CITY, "990200000000"]
