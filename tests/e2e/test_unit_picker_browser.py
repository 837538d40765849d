"""The township handler finds the unit to assign a case to by typing part of its name, among
units whose names are told apart by their township (issue 20, the lead-unit picker)."""

from __future__ import annotations

import re

import pytest

from petitions.models import Assignment, PetitionEvent
from petitions.services import petition_accept
from stations.models import Region, Unit
from stations.services import unit_ensure
from tests.e2e.test_intake_browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_typing_part_of_a_name_keeps_the_matching_units_and_the_case_is_assigned(
    live_server, world, register, password, page, screenshot
):
    twin = Region.objects.create(code="990121101201", name="东一村", level="village", parent=world.region("西镇"))
    unit_ensure(region=twin, name="东一村群众诉求站", kind=Unit.Kind.INTAKE)
    case = petition_accept(petition_id=register().petition.pk, actor=world.users["handler"])

    sign_in(page, live_server, "handler", password)
    page.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    panel = page.locator("#action-assign")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    search = panel.locator("input.option-filter").first
    search.fill("东一村")
    shown = panel.locator("#assign-unit option:not([hidden])").all_inner_texts()
    assert sorted(shown) == ["---------", "东镇 / 东一村群众诉求站", "西镇 / 东一村群众诉求站"]
    screenshot(page, "50-unit-picker-filtered")
    search.fill("财政")
    assert panel.locator("#assign-unit option:not([hidden])").all_inner_texts() == ["---------", "东镇财政所"]
    panel.locator("#assign-unit").select_option(label="东镇财政所")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/"))
    assert Assignment.objects.get(petition=case, active=True, role="lead").unit == world.units["east_finance"]
    assert PetitionEvent.objects.filter(petition=case, verb="assigned", to_unit=world.units["east_finance"]).exists()
