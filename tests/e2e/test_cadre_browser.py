"""The county supervisor opens 东镇财政所's cadre assessment sheet, scores its parts with htmx
(the sheet is swapped in place, the page is not reloaded) and sees the appraisal counted at
30 %: 77.78 × 30 % + 90 × 40 % + 85 × 20 % + 80 × 10 % = 23.334 + 36 + 17 + 8 = 84.334 → 84.33."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from evaluations.models import CadreSheet
from tests.e2e.test_intake_browser import sign_in
from tests.evaluations.test_cadre import publish_finance_appraisal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_commission_scores_a_sheet_in_place_and_the_total_follows(live_server, world, password, page, screenshot):
    publish_finance_appraisal(world)
    sign_in(page, live_server, "supervisor", password)
    page.goto(f"{live_server.url}/staff/appraisals/")
    page.locator("#cadre-link").click()
    page.wait_for_url(re.compile(r"/staff/appraisals/cadre/\d{4}/$"))
    page.goto(f"{live_server.url}/staff/appraisals/cadre/2024/")
    page.locator("#new-sheet select[name=unit]").select_option(label="东镇 · 东镇财政所")
    screenshot(page, "70-cadre-new-sheet")
    page.locator("#new-sheet button[type=submit]").click()  # the suggested parts: 40 %, 20 %, 10 %
    sheet = CadreSheet.objects.get()
    page.wait_for_url(re.compile(rf"/staff/appraisals/cadre/sheets/{sheet.pk}/$"))
    assert page.locator("#appraisal-line").inner_text().count("77.78") == 1

    page.evaluate("window.notReloaded = true")
    for row, score in zip(page.locator("#lines tbody tr[data-part]").all(), ("90", "85", "80"), strict=True):
        version = page.locator("#sheet").get_attribute("data-version")
        row.locator("input[name=score]").fill(score)
        row.locator("button").click()
        page.wait_for_selector(f"#sheet:not([data-version='{version}'])")
    assert page.evaluate("window.notReloaded === true"), "htmx swapped the sheet; the page was not reloaded"
    assert page.locator("#total").inner_text().strip().endswith("84.33")
    screenshot(page, "71-cadre-sheet-scored")

    version = page.locator("#sheet").get_attribute("data-version")
    page.locator("#sheet form[action$='/finalise/'] button").click()
    page.wait_for_selector(f"#sheet:not([data-version='{version}'])")
    assert page.locator("input[name=score]").count() == 0
    sheet.refresh_from_db()
    assert sheet.state == CadreSheet.State.FINAL and sheet.total == Decimal("84.33")
    assert list(sheet.events.values_list("verb", flat=True)) == ["created", "scored", "scored", "scored", "finalised"]
    screenshot(page, "72-cadre-sheet-final")
