"""A web process keeps its own copy of the categories, the holiday calendar and the township
intake centres (config/refcache.py): a registration reads none of them. A change made through
the admin (a save in the process) applies to the very next registration; a change another
process made applies once the copy is older than REFCACHE_SECONDS."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest

from petitions.deadlines import CHINA, deadline_add
from petitions.models import Category, Holiday, Petition, PetitionEvent
from tests.tokens import token_headers

pytestmark = pytest.mark.django_db

CASES = "/api/v1/petitions/"


@pytest.fixture
def clerk(client, world):
    headers = token_headers(world.users["clerk"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    count = iter(range(1000))

    def post(**overrides):
        body = {
            "channel": "visit",
            "category": "infrastructure",
            "region": world.region("东一村").code,
            "title": f"村道塌方 {next(count)}",
            "content": "东一村三组村道雨后塌方，车辆无法通行。",
            "complainant_name": "字红梅",
            **overrides,
        }
        return client.post(CASES, body, content_type="application/json", **headers)

    return post


def registered(response) -> Petition:
    assert response.status_code == 201, response.content
    return Petition.objects.get(pk=response.json()["id"])


def test_a_category_changed_in_the_admin_applies_to_the_next_registration(clerk, categories):
    days = categories["infrastructure"].acceptance_days
    assert days > 2
    first = registered(clerk())
    assert first.acceptance_due_at == deadline_add(first.created_at, days, "working")

    category = Category.objects.get(code="infrastructure")
    category.acceptance_days = 2
    category.save()

    second = registered(clerk())
    assert second.acceptance_due_at == deadline_add(second.created_at, 2, "working")
    assert second.acceptance_due_at < deadline_add(second.created_at, days, "working")


def test_a_category_closed_in_the_admin_is_refused_at_once(clerk, categories):
    registered(clerk(category="land"))
    category = Category.objects.get(code="land")
    category.is_active = False
    category.save()
    before = (Petition.objects.count(), PetitionEvent.objects.count())

    response = clerk(category="land")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "输入有误。" and body["category"]
    assert (Petition.objects.count(), PetitionEvent.objects.count()) == before


def test_a_change_made_by_another_process_applies_within_the_time_limit(clerk, categories, settings, monkeypatch):
    settings.REFCACHE_SECONDS = 30
    days = categories["infrastructure"].acceptance_days
    registered(clerk())
    # An UPDATE sends no signal: as when another web worker's admin saved the category.
    Category.objects.filter(code="infrastructure").update(acceptance_days=1)

    still = registered(clerk())
    assert still.acceptance_due_at == deadline_add(still.created_at, days, "working")

    later = time.monotonic() + 31
    monkeypatch.setattr(time, "monotonic", lambda: later)
    now = registered(clerk())
    assert now.acceptance_due_at == deadline_add(now.created_at, 1, "working")


def test_with_no_time_limit_every_registration_reads_the_tables(clerk, categories, settings):
    settings.REFCACHE_SECONDS = 0
    registered(clerk())
    Category.objects.filter(code="infrastructure").update(acceptance_days=1)
    case = registered(clerk())
    assert case.acceptance_due_at == deadline_add(case.created_at, 1, "working")


def test_a_township_centre_closed_in_the_admin_no_longer_takes_cases(clerk, world, categories):
    assert registered(clerk()).holder_unit == world.units["east_centre"]
    centre = world.units["east_centre"]
    centre.is_active = False
    centre.save()

    # The nearest centre above the township takes the village's case.
    assert registered(clerk()).holder_unit == world.units["county_centre"]


def test_a_day_off_added_in_the_admin_moves_the_next_deadline():
    start = datetime(2026, 11, 20, 10, tzinfo=CHINA)
    assert deadline_add(start, 5, "working") == datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=CHINA)
    Holiday.objects.create(date=date(2026, 11, 27), kind="holiday", name="县庆", source="admin")
    assert deadline_add(start, 5, "working") == datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=CHINA)


def test_a_village_imported_from_the_division_list_takes_cases_at_once(clerk, world, categories):
    from stations.services import RegionRow, regions_import

    new_village = "990121100202"
    refused = clerk(region=new_village)
    assert refused.status_code == 400 and refused.json()["region"]

    regions_import(rows=[RegionRow(line=1, code=new_village, name="东三村")])

    case = registered(clerk(region=new_village))
    assert case.region.name == "东三村" and case.holder_unit == world.units["east_centre"]
