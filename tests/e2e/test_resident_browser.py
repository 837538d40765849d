"""A resident submits online on a phone, the township centre answers on the staff case page,
the resident looks the case up with the receipt's codes and rates the reply, and the staff
case page shows the rating."""

from __future__ import annotations

import re

import pytest

from petitions.models import Petition
from stations.demo import load_demo_reception_schedule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def no_outside_requests(page, live_server) -> list[str]:
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) or r.url.startswith("data:") else outside.append(r.url),
    )
    return outside


def test_a_resident_submits_online_follows_the_case_and_rates_the_reply(
    live_server, world, categories, password, phone, page, screenshot
):
    load_demo_reception_schedule(world.region("甲县"))
    outside = no_outside_requests(phone, live_server)

    # The public home: channels, hotlines and the reception schedule, on a phone.
    phone.goto(f"{live_server.url}/?county=990121000000")
    assert phone.locator("#schedule").is_visible() and phone.locator("#channels").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    screenshot(phone, "30-public-home-phone")

    # Online submission: township, then the village list follows (htmx).
    phone.locator("#go-submit").click()
    phone.wait_for_url(re.compile(r"/submit/"))
    phone.select_option("select[name=category]", label=categories["infrastructure"].name_zh)
    phone.select_option("select[name=township]", label="东镇")
    phone.wait_for_selector("select[name=region] option:text('东二村')", state="attached")
    phone.select_option("select[name=region]", label="东一村")
    phone.fill("input[name=title]", "村道塌方")
    phone.fill("textarea[name=content]", "东一村三组村道雨后塌方，车辆无法通行。")
    phone.fill("input[name=complainant_name]", "字红梅")
    phone.fill("input[name=complainant_phone]", "13800138000")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "31-submit-form-phone")
    phone.locator("#submit").click()
    phone.wait_for_url(re.compile(r"/submit/receipt/$"))
    tracking_number = phone.locator("#tracking-number").inner_text()
    query_code = phone.locator("#query-code").inner_text()
    assert re.fullmatch(r"\d{8}", query_code)
    assert phone.locator("#qr svg").is_visible()
    screenshot(phone, "32-receipt-phone")
    petition = Petition.objects.get(tracking_number=tracking_number)
    assert petition.channel == "online" and petition.holder_unit == world.units["east_centre"]

    # The township handler accepts and replies on the staff case page (desktop).
    sign_in(page, live_server, "handler", password)
    page.goto(f"{live_server.url}/staff/cases/{petition.pk}/")
    page.locator("#action-accept button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{petition.pk}/"))
    page.locator("#action-reply summary").click() if not page.locator("#action-reply textarea").is_visible() else None
    page.locator("#action-reply textarea[name=text]").fill("已安排施工队修复，预计两周内完工。")
    page.locator("#action-reply button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{petition.pk}/"))
    assert page.locator("#reply").is_visible()
    screenshot(page, "33-staff-replied")

    # The resident looks the case up with the receipt's codes, sees the reply and rates it.
    phone.goto(f"{live_server.url}/track/")
    phone.fill("input[name=tracking_number]", tracking_number)
    phone.fill("input[name=query_code]", query_code)
    phone.locator("#lookup").click()
    phone.wait_for_selector("#case")
    assert "已安排施工队修复" in phone.locator("#reply").inner_text()
    assert "handler" not in phone.content()
    screenshot(phone, "34-lookup-phone")
    phone.locator("#rate-form input[value=basically_satisfied]").check()
    phone.fill("#rate-form textarea[name=comment]", "希望尽快完工")
    phone.locator("#rate").click()
    phone.wait_for_selector("#done")
    assert phone.locator("#rating").is_visible()
    screenshot(phone, "35-rated-phone")

    # A wrong code: the same message as for a case that does not exist.
    phone.goto(f"{live_server.url}/track/")
    phone.fill("input[name=tracking_number]", tracking_number)
    phone.fill("input[name=query_code]", "00000000")
    phone.locator("#lookup").click()
    phone.wait_for_selector("#lookup-error")
    screenshot(phone, "36-lookup-wrong-code-phone")

    # The staff case page shows the rating.
    page.goto(f"{live_server.url}/staff/cases/{petition.pk}/")
    assert page.locator("#satisfaction").inner_text() == "基本满意"
    screenshot(page, "37-staff-sees-rating")

    phone.goto(f"{live_server.url}/statistics/?county=990121000000")
    assert phone.locator("#stat-total").inner_text() == "1"
    screenshot(phone, "38-statistics-phone")
    assert outside == [], outside
