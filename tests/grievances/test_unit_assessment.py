"""The unit assessment (单位考核, docs/statistics.md "Unit assessment"): each rate hand-computed
for August 2025 of 甲县, the live count and the rollup giving the same rows, the rollup
idempotent, the weights applied, ranks with ties, who may see it (404 outside), reports against
officials never moving a unit's row, the published ranking without counts or persons, and the
query counts of the page and the API pinned whatever the number of units."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.ranking import competition_ranks
from grievances.stats.models import AssessmentWeights, UnitMonthlyStat, UnitStatMonth
from grievances.stats.tasks import rollup_statistics
from grievances.stats.unit_rollup import FIELDS, rollup_unit_month
from grievances.stats.units import (
    UnitRow,
    month_period,
    monthly_unit_ranking,
    parse_period,
    rank_rows,
    unit_assessment,
)
from petitions.models import (
    Assignment,
    DeadlineMiss,
    Petition,
    PetitionEvent,
    Referral,
    SupervisionNotice,
)
from stations.models import Unit
from stations.services import unit_ensure
from tests.clock import at
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

NOW = at(2025, 9, 14, 10, 0)
AUGUST = month_period(at(2025, 8, 1).date())
URL = "/api/v1/stats/units/"
PAGE = "/staff/dashboard/units/"
COUNTY = "990121000000"
OTHER_COUNTY = "990122000000"

_numbers = iter(range(1, 10_000))


def case(world, categories, *, holder="east_centre", village="东一村", category="infrastructure", **fields):
    """A case received in August (5 August unless told), as the rows stand after its workflow."""
    received = fields.pop("received_at", at(2025, 8, 5, 9, 0))
    values = {
        "tracking_number": f"U-{next(_numbers):05d}",
        "query_code_hash": "0" * 64,
        "channel": "visit",
        "category": categories[category],
        "region": world.region(village),
        "region_code": world.region(village).code,
        "level": "village",
        "intake_unit": world.units["east1_desk"],
        "holder_unit": world.units[holder],
        "status": "registered",
        "title": "村道塌方",
        "content": "见台账。",
        "complainant_name": "字红梅",
        "complainant_phone": "13800138000",
        "created_at": received,
        "received_at": received,
        "acceptance_due_at": at(2025, 8, 20, 23, 59),
    } | fields
    return Petition.objects.create(**values)


def decided(petition, unit, verb="accepted", when=None):
    PetitionEvent.objects.create(
        petition=petition, verb=verb, actor_unit=unit, created_at=when or petition.accepted_at or petition.closed_at
    )


def led_by(petition, unit):
    Assignment.objects.create(petition=petition, unit=unit, role="lead", due_at=petition.due_at)


@pytest.fixture
def august(world, categories):
    """甲县's August 2025 (the case letters are those of the expected values below)."""
    u = world.units
    east, civil, west = u["east_centre"], u["civil_affairs"], u["west_centre"]
    cases = {}
    with time_machine.travel(NOW, tick=False):
        # A: accepted in time by the township centre, led by the department, open, not yet due.
        cases["A"] = case(
            world,
            categories,
            status="in_progress",
            holder="civil_affairs",
            accepted_at=at(2025, 8, 6, 9, 0),
            due_at=at(2025, 10, 5, 23, 59),
        )
        # B: accepted late; closed in time, satisfied.
        cases["B"] = case(
            world,
            categories,
            status="closed",
            holder="civil_affairs",
            accepted_at=at(2025, 8, 25, 9, 0),
            due_at=at(2025, 10, 24, 23, 59),
            replied_at=at(2025, 9, 1, 9, 0),
            closed_at=at(2025, 9, 5, 9, 0),
            satisfaction="satisfied",
        )
        # C: not accepted, in time (the centre decided and handled it: no lead).
        cases["C"] = case(world, categories, status="rejected", closed_at=at(2025, 8, 10, 9, 0))
        # D: nobody decided, past the acceptance deadline.
        cases["D"] = case(world, categories)
        # E: nobody decided, the acceptance deadline not reached yet.
        cases["E"] = case(
            world, categories, received_at=at(2025, 8, 31, 20, 0), acceptance_due_at=at(2025, 9, 30, 23, 59)
        )
        # F: handling due 10 August, an extension of 30 days approved: closed 3 September, in time.
        cases["F"] = case(
            world,
            categories,
            status="closed",
            holder="civil_affairs",
            accepted_at=at(2025, 8, 2, 9, 0),
            due_at=at(2025, 9, 9, 23, 59),
            extended_days=30,
            replied_at=at(2025, 9, 1, 9, 0),
            closed_at=at(2025, 9, 3, 9, 0),
            satisfaction="basically_satisfied",
        )
        # G: answered and closed late, unsatisfied.
        cases["G"] = case(
            world,
            categories,
            status="closed",
            holder="civil_affairs",
            accepted_at=at(2025, 8, 3, 9, 0),
            due_at=at(2025, 8, 30, 23, 59),
            replied_at=at(2025, 9, 2, 9, 0),
            closed_at=at(2025, 9, 12, 9, 0),
            satisfaction="unsatisfied",
        )
        # H: past its handling deadline, open: the department missed it.
        cases["H"] = case(
            world,
            categories,
            status="in_progress",
            holder="civil_affairs",
            accepted_at=at(2025, 8, 4, 9, 0),
            due_at=at(2025, 8, 31, 23, 59),
        )
        # J: 西镇's own case, accepted in time (the next one repeats it).
        cases["J"] = case(
            world,
            categories,
            village="西一村",
            holder="west_centre",
            status="accepted",
            intake_unit=u["west1_desk"],
            received_at=at(2025, 8, 10, 9, 0),
            acceptance_due_at=at(2025, 8, 25, 23, 59),
            accepted_at=at(2025, 8, 11, 9, 0),
            due_at=at(2025, 10, 10, 23, 59),
        )
        # I: closed without a rating (no response), in time; a repeat of J.
        cases["I"] = case(
            world,
            categories,
            status="closed",
            holder="civil_affairs",
            accepted_at=at(2025, 8, 4, 9, 0),
            due_at=at(2025, 9, 30, 23, 59),
            replied_at=at(2025, 8, 20, 9, 0),
            closed_at=at(2025, 9, 10, 9, 0),
            satisfaction="no_response",
            repeat_of=cases["J"],
        )
        # July's case counts in July only.
        case(world, categories, received_at=at(2025, 7, 31, 23, 30), status="rejected", closed_at=at(2025, 8, 1))
        for key in "ABFGHI":
            decided(cases[key], east)
            led_by(cases[key], civil)
        decided(cases["C"], east, "rejected")
        decided(cases["J"], west)
        DeadlineMiss.objects.create(
            unit=civil, petition=cases["H"], kind="handling", due_at=cases["H"].due_at, missed_at=at(2025, 9, 1)
        )
        SupervisionNotice.objects.create(
            petition=cases["D"], unit=east, text="请说明。", due_at=at(2025, 8, 25, 23, 59), created_at=at(2025, 8, 21)
        )
        SupervisionNotice.objects.create(  # answered in time: not counted
            petition=cases["H"],
            unit=civil,
            text="请说明。",
            due_at=at(2025, 8, 28, 23, 59),
            answered_at=at(2025, 8, 27),
            answer="已处理。",
        )
        Referral.objects.create(
            petition=cases["A"],
            from_unit=u["county_centre"],
            to_unit=civil,
            report_due_at=at(2025, 8, 28, 23, 59),
            created_by=world.users["supervisor"],
            created_at=at(2025, 8, 7),
        )
    return cases


def _as(api, user):
    """The API client, signed in with the user's token."""
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return api


def rows_of(user, period=AUGUST, region=None):
    with time_machine.travel(NOW, tick=False):
        return {row.name: row for row in unit_assessment(user, region=region, period=period).rows}


EXPECTED = {
    # The counts that are not 0.
    "东镇群众诉求中心": {"received": 9, "to_decide": 8, "decided_on_time": 6, "notices_unanswered": 1},
    "甲县民政局": {
        "received": 6,
        "to_resolve": 5,
        "resolved_on_time": 3,
        "answered": 4,
        "on_time": 3,
        "rated": 3,
        "satisfied": 2,
        "no_response": 1,
        "repeats": 1,
        "misses": 1,
        "referrals_late": 1,
    },
    "西镇群众诉求中心": {"received": 1, "to_decide": 1, "decided_on_time": 1},
    "东镇财政所": {},
}


def counts_of(row) -> dict:
    return {name: n for name, n in row.count_dict().items() if n}


def test_each_rate_as_computed_by_hand(world, august):
    rows = rows_of(world.users["supervisor"])
    assert set(rows) == set(EXPECTED)  # not the commission, the county centre or the village desks
    for name, expected in EXPECTED.items():
        assert counts_of(rows[name]) == expected, name

    east, civil, west, station = (rows[name] for name in EXPECTED)
    # East: 6 of 8 decisions in time (B late, D undecided past due; E not due yet).
    assert (east.response_rate, east.resolution_rate, east.on_time_rate, east.satisfaction_rate) == (
        75.0,
        None,
        None,
        None,
    )
    # The department: B, F (extended deadline), I closed in time of B F G H I; 3 of 4 answered
    # on time; 2 of 3 rated satisfied or basically (I's no response apart, not in the rate).
    assert (civil.response_rate, civil.resolution_rate, civil.on_time_rate, civil.satisfaction_rate) == (
        None,
        60.0,
        75.0,
        66.7,
    )
    # Composites, default weights 20/25/25/30, points off 0.5 / 1 / 1:
    # east 75 − 1 (notice) = 74; the department (60×25 + 75×25 + 66.667×30) ÷ 80 = 67.1875,
    # − 0.5 (miss) − 1 (referral) = 65.69; west 100; the station has nothing: no composite, no rank.
    assert (east.composite, civil.composite, west.composite, station.composite) == (
        Decimal("74.00"),
        Decimal("65.69"),
        Decimal("100.00"),
        None,
    )
    # Peers: the two township centres; the department alone; the station alone, unranked.
    assert (west.rank, east.rank, west.peers) == (1, 2, 2)
    assert (civil.rank, civil.peers) == (1, 1)
    assert (station.rank, station.peers) == (None, 1)


def test_the_extension_counts_the_case_on_time_against_the_extended_deadline(world, august):
    rows = rows_of(world.users["supervisor"])
    assert rows["甲县民政局"].resolved_on_time == 3
    Petition.objects.filter(pk=august["F"].pk).update(due_at=at(2025, 8, 10, 23, 59), extended_days=0)
    rows = rows_of(world.users["supervisor"])  # without the extension, F was closed late
    assert (rows["甲县民政局"].resolved_on_time, rows["甲县民政局"].on_time) == (2, 2)


def test_the_rollup_gives_the_live_rows_and_rerunning_it_changes_nothing(world, categories, august):
    supervisor = world.users["supervisor"]
    live = {name: counts_of(row) for name, row in rows_of(supervisor).items()}
    with time_machine.travel(NOW, tick=False):
        rollup_unit_month(AUGUST.first)
        first = sorted(UnitMonthlyStat.objects.values_list(*_columns()))
        rollup_unit_month(AUGUST.first)
        rollup_statistics(days=60)  # the nightly job rolls August (and July) again
        again = sorted(UnitMonthlyStat.objects.filter(month=AUGUST.first).values_list(*_columns()))
    assert first == again and len(first) == 3  # the units with figures (not the station)
    # The nightly job rolled the complete months of its window (July, August), not September.
    assert set(UnitStatMonth.objects.values_list("month", flat=True)) == {at(2025, 7, 1).date(), AUGUST.first}
    # Now read from the rollup: the same figures.
    assert {name: counts_of(row) for name, row in rows_of(supervisor).items()} == live
    # A case registered for August after the rollup is counted live until the next one.
    with time_machine.travel(NOW, tick=False):
        late = case(world, categories, holder="west_centre", village="西一村")
    Petition.objects.filter(pk=late.pk).update(created_at=NOW)
    assert rows_of(supervisor)["西镇群众诉求中心"].received == 2


def _columns():
    return ["month", "unit_id", "region_code", "received", "to_decide", "decided_on_time", "to_resolve", "misses"]


def test_the_current_month_is_counted_live(world, categories):
    with time_machine.travel(NOW, tick=False):
        case(world, categories, received_at=at(2025, 9, 2, 9, 0), acceptance_due_at=at(2025, 9, 17, 23, 59))
    rows = rows_of(world.users["supervisor"], period=parse_period(month="2025-09"))
    assert (rows["东镇群众诉求中心"].received, rows["东镇群众诉求中心"].to_decide) == (1, 0)  # not due yet


def test_a_quarter_and_a_year_sum_their_months(world, august):
    quarter = rows_of(world.users["supervisor"], period=parse_period(quarter="2025-Q3"))
    year = rows_of(world.users["supervisor"], period=parse_period(year="2025"))
    # July's case (decided in time by the east centre) joins August's.
    assert quarter["东镇群众诉求中心"].received == year["东镇群众诉求中心"].received == 10
    assert quarter["东镇群众诉求中心"].decided_on_time == 7


def test_the_weights_an_administrator_sets_apply_and_must_add_up(world, august):
    weights = AssessmentWeights(
        weight_response=40,
        weight_resolution=20,
        weight_on_time=20,
        weight_satisfaction=20,
        penalty_miss=0,
        penalty_notice=0,
        penalty_referral=0,
    )
    weights.full_clean()
    weights.save()
    rows = rows_of(world.users["supervisor"])
    # (60×20 + 75×20 + 66.667×20) ÷ 60 = 67.22; the east centre has its response rate only.
    assert (rows["甲县民政局"].composite, rows["东镇群众诉求中心"].composite) == (Decimal("67.22"), Decimal("75.00"))

    weights.weight_response = 39
    with pytest.raises(ValidationError, match="之和必须为 100%"):
        weights.full_clean()
    weights.weight_response, weights.penalty_miss = 40, Decimal("11")
    with pytest.raises(ValidationError, match="扣分须在 0 到 10 之间"):
        weights.full_clean()


def _counts(**values) -> tuple[int, ...]:
    return tuple(values.get(name, 0) for name in FIELDS)


def test_tied_composites_share_a_rank_and_the_next_counts_them():
    def row(name, decided):
        return UnitRow(
            unit_id=hash(name) % 1000,
            name=name,
            kind="station",
            level="township",
            region_code=COUNTY,
            region_name="东镇",
            counts=_counts(to_decide=4, decided_on_time=decided),
        )

    rows = rank_rows([row("甲", 4), row("乙", 3), row("丙", 3), row("丁", 2), row("戊", 0)], AssessmentWeights())
    assert [(r.name, r.composite, r.rank) for r in rows] == [
        ("甲", Decimal("100.00"), 1),
        ("丙", Decimal("75.00"), 2),
        ("乙", Decimal("75.00"), 2),
        ("丁", Decimal("50.00"), 4),
        ("戊", Decimal("0.00"), 5),
    ]
    assert competition_ranks([9, 7, 7, 7, 1], lambda n: n) == [1, 2, 2, 2, 5]


def test_the_api_answers_the_same_figures(api, world, august):
    client = _as(api, world.users["supervisor"])
    with time_machine.travel(NOW, tick=False):
        answer = client.get(URL, {"region": COUNTY, "month": "2025-08"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["period"]["label"] == "2025-08" and body["count"] == 4
    civil = next(row for row in body["results"] if row["name"] == "甲县民政局")
    assert (civil["resolution_rate"], civil["satisfaction_rate"], civil["response_rate"]) == (60.0, 66.7, None)
    assert (civil["composite"], civil["rank"], civil["no_response"], civil["referrals_late"]) == (65.69, 1, 1, 1)
    with time_machine.travel(NOW, tick=False):
        assert client.get(URL, {"region": COUNTY, "month": "2025-13"}).status_code == 400
        assert client.get(URL, {"region": COUNTY, "month": "2025-08", "year": "2025"}).status_code == 400
        assert client.get(URL, {"region": COUNTY, "quarter": "2025-Q3"}).json()["period"]["label"] == "2025-Q3"


@pytest.mark.parametrize(
    ("who", "region"),
    [
        ("supervisor", OTHER_COUNTY),  # another county: another tenant
        ("foreign_supervisor", COUNTY),
        ("leader", COUNTY),  # 东镇's leader watches 东镇 only
        ("clerk", ""),  # desk staff watch no region
        ("nobody", ""),
        ("supervisor", "990121999999"),  # no such region
    ],
)
def test_outside_the_view_is_a_404(api, client, world, august, who, region):
    with time_machine.travel(NOW, tick=False):
        assert _as(api, world.users[who]).get(URL, {"region": region}).status_code == 404
        client.force_login(world.users[who])
        assert client.get(PAGE, {"region": region}).status_code == 404


def test_a_leader_sees_the_units_of_the_township_only(world, august):
    rows = rows_of(world.users["leader"])
    assert set(rows) == {"东镇群众诉求中心", "东镇财政所"}


def test_a_report_against_officials_moves_no_units_row(world, categories, august):
    supervisor = world.users["supervisor"]
    before = {name: (counts_of(row), row.composite, row.rank) for name, row in rows_of(supervisor).items()}
    with time_machine.travel(NOW, tick=False):
        report = case(
            world,
            categories,
            category="discipline",
            holder="county_commission",
            status="accepted",
            accepted_at=at(2025, 8, 13),
            due_at=at(2025, 8, 30, 23, 59),
        )
        led_by(report, world.units["east_finance"])
        decided(report, world.units["east_centre"])
        DeadlineMiss.objects.create(
            unit=world.units["east_finance"], petition=report, kind="handling", due_at=report.due_at
        )
        SupervisionNotice.objects.create(
            petition=report, unit=world.units["east_finance"], text="请说明。", due_at=at(2025, 8, 25, 23, 59)
        )
    after = {name: (counts_of(row), row.composite, row.rank) for name, row in rows_of(supervisor).items()}
    assert after == before
    with time_machine.travel(NOW, tick=False):
        rollup_unit_month(AUGUST.first)
    assert {name: (counts_of(row), row.composite, row.rank) for name, row in rows_of(supervisor).items()} == before


def test_the_page_shows_rates_definitions_and_dashes(client, world, august):
    client.force_login(world.users["supervisor"])
    with time_machine.travel(NOW, tick=False):
        page = client.get(PAGE, {"region": COUNTY, "month": "2025-08"})
        dashboard = client.get("/staff/dashboard/", {"region": COUNTY})
    assert page.status_code == 200
    html = page.content.decode()
    assert "甲县民政局" in html and "65.69" in html and "66.7%" in html and "—" in html
    assert 'id="units-definitions"' in html
    assert 'id="units-link"' in dashboard.content.decode()
    with time_machine.travel(NOW, tick=False):
        wrong = client.get(PAGE, {"region": COUNTY, "month": "August"})
    assert wrong.status_code == 200 and 'id="period-error"' in wrong.content.decode()


def test_the_monthly_report_has_the_ranking_from_one_function(client, world, august):
    with time_machine.travel(NOW, tick=False):
        rows = monthly_unit_ranking(world.users["supervisor"], region=None, month=AUGUST.first)
        client.force_login(world.users["supervisor"])
        report = client.get("/staff/dashboard/monthly/", {"month": "2025-08", "region": COUNTY})
    civil = next(row for row in rows if row["name"] == "甲县民政局")
    assert (civil["resolution_rate"], civil["rank"], civil["received"]) == (60.0, 1, 6)
    assert all(isinstance(value, (str, int, float, type(None))) for row in rows for value in row.values())
    assert 'id="report-unit-rows"' in report.content.decode() and "65.69" in report.content.decode()


def test_the_published_ranking_has_rates_and_ranks_only(client, world, august):
    with time_machine.travel(NOW, tick=False):
        page = client.get("/statistics/", {"county": COUNTY})
    html = page.content.decode()
    assert page.status_code == 200 and html.count('id="public-unit-rows"') == 1
    assert "<table" not in html[html.index("<title>") : html.index("</title>")]
    assert "甲县民政局" in html and "66.7%" in html
    # No count, no person, no case.
    assert "字红梅" not in html and "13800138000" not in html and "U-0" not in html
    assert page.context["unit_ranking"] and all(
        set(row)
        == {
            "unit",
            "name",
            "kind",
            "kind_label",
            "level",
            "level_label",
            "region",
            "region_name",
            "response_rate",
            "resolution_rate",
            "on_time_rate",
            "satisfaction_rate",
            "composite",
            "rank",
            "peers",
        }
        for row in page.context["unit_ranking"]
    )


def _more_units(world, categories, n: int):
    township = world.region("东镇")
    for i in range(n):
        unit = unit_ensure(region=township, name=f"东镇第{i}站", kind=Unit.Kind.STATION)
        with time_machine.travel(NOW, tick=False):
            petition = case(
                world,
                categories,
                status="accepted",
                holder="east_centre",
                accepted_at=at(2025, 8, 6),
                due_at=at(2025, 8, 30),
            )
            led_by(petition, unit)
            decided(petition, world.units["east_centre"])


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured, time_machine.travel(NOW, tick=False):
        assert call().status_code == 200
    return len(captured)


@pytest.mark.parametrize("rolled", [False, True])
def test_the_query_counts_do_not_grow_with_the_units(api, client, world, categories, august, rolled):
    supervisor = world.users["supervisor"]
    token_client = _as(api, supervisor)
    client.force_login(supervisor)

    def measure():
        if rolled:
            with time_machine.travel(NOW, tick=False):
                rollup_unit_month(AUGUST.first)
        return (
            _queries(lambda: token_client.get(URL, {"region": COUNTY, "month": "2025-08"})),
            _queries(lambda: client.get(PAGE, {"region": COUNTY, "month": "2025-08"})),
        )

    first = measure()
    _more_units(world, categories, 6)
    second = measure()
    assert first == second
    # API: the token, the roles, the region, the weights, the rolled months, then either the
    # rollup's rows and the cases registered since it (by lead, by decider), or the live count
    # (cases by lead, by decider; misses, notices, referrals), and the units. The page: the
    # session, the user, the second factor and the unread notifications instead of the token.
    assert first == ((9, 12) if rolled else (11, 14))


def test_rates_with_nothing_to_count_are_none(world):
    row = UnitRow(unit_id=1, name="空", kind="station", level="township", region_code=COUNTY, region_name="东镇")
    assert (row.response_rate, row.resolution_rate, row.on_time_rate, row.satisfaction_rate) == (None,) * 4
    assert rank_rows([row], AssessmentWeights())[0].rank is None


def test_the_period_is_parsed_or_refused_clearly():
    assert parse_period(month="2025-08").label == "2025-08"
    assert (parse_period(quarter="2025-q4").first, parse_period(quarter="2025-Q4").last) == (
        at(2025, 10, 1).date(),
        at(2025, 12, 31).date(),
    )
    assert parse_period(today=at(2025, 3, 5).date()).label == "2025-02"
    for bad in ({"month": "2025-8"}, {"quarter": "2025-Q5"}, {"year": "25"}, {"month": "2025-08", "year": "2025"}):
        with pytest.raises(ValueError):
            parse_period(**bad)


def test_an_administrator_sets_the_weights_in_admin_and_bad_ones_are_refused(client, world):
    client.force_login(world.users["root"])
    form = {
        "weight_response": "40",
        "weight_resolution": "20",
        "weight_on_time": "20",
        "weight_satisfaction": "19",
        "penalty_miss": "0.5",
        "penalty_notice": "1",
        "penalty_referral": "1",
    }
    refused = client.post("/admin/grievances/assessmentweights/add/", form)
    assert refused.status_code == 200 and "100" in refused.content.decode()
    assert not AssessmentWeights.objects.exists()
    saved = client.post("/admin/grievances/assessmentweights/add/", form | {"weight_satisfaction": "20"})
    assert saved.status_code == 302
    assert AssessmentWeights.current().weight_response == 40
    # One row: no second one to add, none to delete.
    assert client.get("/admin/grievances/assessmentweights/add/").status_code == 403
    assert client.post("/admin/grievances/assessmentweights/1/delete/", {"post": "yes"}).status_code == 403
    assert AssessmentWeights.objects.count() == 1
