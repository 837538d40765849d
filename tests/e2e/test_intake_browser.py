"""A village clerk logs a walk-in with the keyboard only and prints the receipt."""

from __future__ import annotations

import re

import pytest

from petitions.models import Petition
from petitions.services import query_code_matches
from stations.models import User
from stations.otp import two_factor_due
from tests.otp import code_for, confirmed_device

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username: str, password: str, *, english: bool = False) -> None:
    """Sign in through the form (its words in English when the page is); staff who owe a second
    factor type the code their (confirmed) authenticator shows now, computed from the device's key."""
    user = User.objects.get(username=username)
    device = confirmed_device(user) if two_factor_due(user) else None
    name, secret, button = ("Username", "Password", "Sign in") if english else ("用户名", "密码", "登录")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label(name).fill(username)
    page.get_by_label(secret).fill(password)
    page.get_by_role("button", name=button).click()
    if device is not None:
        page.wait_for_url(re.compile(r"/accounts/security/two-factor/"))
        page.locator("input[name=otp_token]").fill(code_for(device))
        page.locator("#two-factor-verify button.primary").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def focused(page) -> str:
    return page.evaluate("document.activeElement.name || document.activeElement.type")


def test_a_village_clerk_logs_a_walk_in_with_the_keyboard_and_gets_the_receipt(
    live_server, world, categories, password, page, screenshot
):
    # Count the print dialogs the pages open (headless Chromium would open none to see).
    page.add_init_script("window.__prints = 0; window.print = function () { window.__prints += 1; };")
    sign_in(page, live_server, "clerk", password)
    page.locator("header nav a[href='/staff/intake/']").click()
    page.wait_for_url(re.compile(r"/staff/intake/$"))

    # The cursor starts in the first field; Tab walks the form top to bottom.
    assert focused(page) == "complainant_name"
    page.keyboard.type("字红梅")
    page.keyboard.press("Tab")
    assert focused(page) == "complainant_phone"
    page.keyboard.type("13800138000")
    page.keyboard.press("Tab")
    assert focused(page) == "complainant_id_number"
    page.keyboard.press("Tab")
    assert focused(page) == "anonymous"
    page.keyboard.press("Tab")
    assert focused(page) == "category"
    page.keyboard.press("ArrowDown")  # the first category: 基础设施
    page.keyboard.press("Tab")
    assert focused(page) == "title"
    page.keyboard.type("村道塌方")
    page.keyboard.press("Tab")
    assert focused(page) == "content"
    page.keyboard.type("东一村三组村道雨后塌方，车辆无法通行。")
    page.keyboard.press("Tab")
    assert focused(page) == "region"
    assert page.locator("select[name=region] option:checked").inner_text() == "东一村"
    page.keyboard.press("Tab")
    assert focused(page) == "channel"
    assert page.locator("select[name=channel]").input_value() == "visit"
    # Files, the folded accused persons, the folded time it was received, settled on the spot,
    # how it was settled, the button.
    for _ in range(6):
        page.keyboard.press("Tab")
    assert focused(page) == "submit"
    screenshot(page, "10-intake-form")

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/cases/\d+/receipt/\?print=1$"))
    petition = Petition.objects.get()
    assert petition.category.code == "infrastructure" and petition.region == world.region("东一村")
    assert petition.channel == "visit" and petition.complainant_name == "字红梅"
    assert page.locator("#tracking-number").inner_text() == petition.tracking_number
    code = page.locator("#query-code").inner_text()
    assert re.fullmatch(r"\d{8}", code) and query_code_matches(petition, code)
    assert page.locator("#print").is_visible()
    # "登记并打印回执" is one step: the receipt opened the print dialog by itself, once.
    page.wait_for_function("window.__prints === 1")
    # What was recorded, and a QR code to the lookup page with the tracking number filled in.
    assert "东一村三组村道雨后塌方" in page.locator("#receipt-account").inner_text()
    assert page.locator(".receipt-track .qr svg").count() == 1
    assert f"{live_server.url}/track/?n={petition.tracking_number}" in page.locator(".receipt-track").inner_text()
    screenshot(page, "11-receipt")

    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    assert not page.locator("#print").is_visible()
    screenshot(page, "12-receipt-print")
    page.emulate_media(media="screen")

    page.reload()
    assert page.locator("#tracking-number").inner_text() == petition.tracking_number
    assert page.locator("#query-code").count() == 0 and page.locator("#query-code-gone").is_visible()
    assert page.evaluate("window.__prints") == 0, "a reprint is the clerk's choice, not automatic"

    page.locator(f"a[href='/staff/cases/{petition.pk}/']").first.click()
    page.wait_for_url(re.compile(rf"/staff/cases/{petition.pk}/$"))
    assert page.locator("#action-accept").count() == 0 and page.locator("#action-settle").is_visible()
    assert page.locator("#timeline [data-verb=registered]").is_visible()
    screenshot(page, "14-case-page-clerk")
    page.locator("header nav a[href='/staff/cases/']").click()
    page.wait_for_url(re.compile(r"/staff/cases/$"))
    assert page.locator(f"tr[data-case='{petition.pk}']").is_visible()
    screenshot(page, "15-case-list")


def test_the_intake_form_shows_errors_next_to_the_fields_and_fits_a_phone(
    live_server, world, categories, password, phone, screenshot
):
    sign_in(phone, live_server, "clerk", password)
    phone.goto(f"{live_server.url}/staff/intake/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    phone.locator("button[type=submit].primary").click()
    phone.wait_for_load_state()
    assert phone.locator("#field-id_content .field-error").inner_text() == "该字段是必填项。"
    assert phone.locator("#field-id_title .field-error").is_visible()
    assert phone.evaluate("document.activeElement.name") == "category", "the cursor waits at the first error"
    assert Petition.objects.count() == 0
    screenshot(phone, "13-intake-errors-phone")
