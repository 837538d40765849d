"""The walk-in with the keyboard alone (GB/T 37668, WCAG 2.1.1): from the sign-in page to the
printed receipt, the village clerk never touches the mouse: Tab, Enter, arrows and typing."""

from __future__ import annotations

import re

import pytest

from petitions.models import Petition
from petitions.services import query_code_matches
from stations.models import User
from tests.otp import code_for, confirmed_device

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def active(page, attribute: str) -> str:
    return page.evaluate(f"document.activeElement.getAttribute('{attribute}') || ''")


def tab_to(page, attribute: str, value: str, limit: int = 40) -> int:
    """Press Tab until the focused element's attribute is `value` (`type` `submit`: the form's
    submit button); how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if active(page, attribute) == value:
            return presses
    raise AssertionError(f"{limit} presses of Tab never reached [{attribute}={value}]")


def test_a_village_clerk_signs_in_and_logs_a_walk_in_without_the_mouse(
    live_server, world, categories, password, page, screenshot
):
    page.add_init_script("window.__prints = 0; window.print = function () { window.__prints += 1; };")
    # A mouse press on any page of the walk would defeat the test's premise: count them.
    page.add_init_script(
        "addEventListener('mousedown', () => { sessionStorage.mice = String(Number(sessionStorage.mice || 0) + 1); }, true);"
    )
    device = confirmed_device(User.objects.get(username="clerk"))
    page.goto(f"{live_server.url}/accounts/login/")

    # The cursor waits in the user name; Tab to the password, Enter signs in.
    assert active(page, "name") == "username"
    page.keyboard.type("clerk")
    page.keyboard.press("Tab")
    assert active(page, "name") == "password"
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/security/two-factor/"))
    if active(page, "name") != "otp_token":
        tab_to(page, "name", "otp_token")
    page.keyboard.type(code_for(device))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/$"))

    # From the workbench, Tab reaches the intake link (the skip link and the brand come first).
    tab_to(page, "href", "/staff/intake/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/intake/$"))

    assert active(page, "name") == "complainant_name"
    page.keyboard.type("字红梅")
    tab_to(page, "name", "complainant_phone")
    page.keyboard.type("13800138000")
    tab_to(page, "name", "category")
    page.keyboard.press("ArrowDown")  # the first category: 基础设施
    tab_to(page, "name", "title")
    page.keyboard.type("村道塌方")
    tab_to(page, "name", "content")
    page.keyboard.type("东一村三组村道雨后塌方，车辆无法通行。")
    tab_to(page, "name", "region")
    assert page.locator("select[name=region] option:checked").inner_text() == "东一村"
    tab_to(page, "name", "channel")
    assert page.locator("select[name=channel]").input_value() == "visit"
    tab_to(page, "type", "submit")
    assert page.evaluate("document.activeElement.form === document.querySelector('select[name=channel]').form"), (
        "the intake form's button, not another form's"
    )
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/staff/cases/\d+/receipt/\?print=1$"))
    petition = Petition.objects.get()
    assert petition.category.code == "infrastructure" and petition.region == world.region("东一村")
    assert petition.channel == "visit" and petition.complainant_name == "字红梅"
    assert petition.complainant_phone == "13800138000" and petition.title == "村道塌方"
    assert page.locator("#tracking-number").inner_text() == petition.tracking_number
    code = page.locator("#query-code").inner_text()
    assert re.fullmatch(r"\d{8}", code) and query_code_matches(petition, code)
    page.wait_for_function("window.__prints === 1")
    # The receipt's own print button is reachable by keyboard too, for a second copy.
    tab_to(page, "id", "print")
    page.keyboard.press("Enter")
    page.wait_for_function("window.__prints === 2")
    screenshot(page, "16-receipt-keyboard")
    assert page.evaluate("sessionStorage.mice || '0'") == "0"
