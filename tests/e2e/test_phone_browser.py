"""The staff pages on a phone (390 px): the menu folds behind one button that opens without
JavaScript, and the intake form's controls are big enough to tap (issue 20)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_intake_browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = context.new_page()
    yield page
    context.close()


def test_the_staff_menu_folds_on_a_phone_and_opens_without_javascript(
    live_server, world, password, phone_without_js, screenshot
):
    phone = phone_without_js
    sign_in(phone, live_server, "clerk", password)
    header = phone.locator("header.site-header").bounding_box()
    assert header["height"] <= 80, "one line: the brand and the menu button"
    assert not phone.locator("#main-nav a[href='/staff/queue/']").is_visible()
    screenshot(phone, "60-phone-menu-folded")
    phone.locator("label[for=nav-toggle]").tap()
    link = phone.locator("#main-nav a[href='/staff/queue/']")
    assert link.is_visible() and link.bounding_box()["height"] >= 44
    screenshot(phone, "61-phone-menu-open")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_intake_forms_controls_are_at_least_44_px_high_on_a_phone(live_server, world, password, phone, screenshot):
    sign_in(phone, live_server, "clerk", password)
    phone.goto(f"{live_server.url}/staff/intake/")
    phone.wait_for_url(re.compile(r"/staff/intake/$"))
    small = phone.evaluate(
        """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea, main button')]
              .filter(el => el.offsetParent !== null && !['checkbox', 'radio', 'file'].includes(el.type))
              .map(el => [el.name || el.id || el.type, el.getBoundingClientRect().height])
              .filter(([, h]) => h < 44)"""
    )
    assert small == []
    boxes = phone.evaluate(
        """() => [...document.querySelectorAll('main input[type=checkbox]')].filter(el => el.offsetParent !== null)
              .map(el => (el.closest('label') || el).getBoundingClientRect().height)"""
    )
    assert boxes and min(boxes) >= 44
    screenshot(phone, "62-phone-intake")
