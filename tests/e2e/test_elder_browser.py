"""The elder-friendly display (适老化): one switch in every page's header, remembered, larger
text and stronger contrast, and the pages still fit at 200 % zoom (issue 20)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_intake_browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC = ["/", "/submit/?county=990121000000", "/track/", "/accounts/login/"]
STAFF = ["/staff/", "/staff/intake/", "/staff/queue/", "/staff/cases/", "/staff/dashboard/", "/staff/notices/"]


@pytest.fixture
def zoomed(browser):
    """A 1280 × 800 screen at 200 % zoom: 640 × 400 CSS pixels, two device pixels each."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


def root_font_px(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


def test_the_switch_enlarges_the_text_is_remembered_and_switches_back(live_server, world, password, page, screenshot):
    page.goto(f"{live_server.url}/")
    assert root_font_px(page) == 16
    page.locator("#elder-switch").click()
    page.wait_for_url(re.compile(r"/$"))
    assert root_font_px(page) == 22 and page.locator("#elder-switch").get_attribute("aria-pressed") == "true"
    screenshot(page, "70-elder-home")
    # Remembered on the next page and after signing in.
    sign_in(page, live_server, "clerk", password)
    assert page.locator("html.elder").count() == 1
    page.locator("#elder-switch").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    assert root_font_px(page) == 16 and page.locator("#elder-switch").get_attribute("aria-pressed") == "false"


def test_every_page_fits_at_200_percent_zoom_in_the_elder_display(
    live_server, world, register, password, zoomed, screenshot
):
    case = register().petition
    zoomed.goto(f"{live_server.url}/")
    zoomed.locator("#elder-switch").click()
    zoomed.wait_for_url(re.compile(r"/$"))
    wide = []
    for path in PUBLIC:
        zoomed.goto(f"{live_server.url}{path}")
        if zoomed.evaluate("document.documentElement.scrollWidth") > 640:
            wide.append(path)
    sign_in(zoomed, live_server, "handler", password)
    for path in [*STAFF, f"/staff/cases/{case.pk}/"]:
        zoomed.goto(f"{live_server.url}{path}")
        assert zoomed.locator("html.elder").count() == 1
        if zoomed.evaluate("document.documentElement.scrollWidth") > 640:
            wide.append(path)
    screenshot(zoomed, "71-elder-case-200-percent")
    assert wide == []
