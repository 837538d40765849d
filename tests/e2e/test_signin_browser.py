"""A village clerk signs in through the real pages in a real browser."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_village_clerk_signs_in_sees_their_desk_and_signs_out(live_server, world, password, page, screenshot):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "工作人员登录"
    screenshot(page, "01-sign-in")

    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    table = page.locator("#memberships")
    assert "东一村群众诉求站" in table.inner_text()
    assert "业务办理员" in table.inner_text()
    screenshot(page, "02-staff-home")

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))


def test_wrong_passwords_lock_the_account_with_a_chinese_message(live_server, world, settings, page, screenshot):
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("用户名").fill("clerk")
        page.get_by_label("密码").fill("not-the-password")
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "登录已锁定"
    screenshot(page, "03-locked-out")


def test_the_sign_in_page_fits_a_phone_and_switches_to_english(live_server, phone, screenshot):
    phone.goto(f"{live_server.url}/accounts/login/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    screenshot(phone, "04-sign-in-phone")
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.locator("h1").inner_text() == "Staff sign-in"
