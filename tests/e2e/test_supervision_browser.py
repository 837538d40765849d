"""The county supervisor issues a supervision notice (督办单) on a case; the township handler
sees the bell, opens the notice and answers it in writing."""

from __future__ import annotations

import re

import pytest

from petitions.models import PetitionEvent, SupervisionNotice
from tests.e2e.test_intake_browser import sign_in
from tests.petitions.conftest import load_notification_routes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_issues_a_notice_and_the_township_handler_answers_it(
    live_server, world, register, password, page, screenshot
):
    load_notification_routes()
    case = register().petition

    sign_in(page, live_server, "supervisor", password)
    page.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    panel = page.locator("#action-supervise")
    assert panel.is_visible()
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    # The holding unit is the default addressee.
    assert page.locator("#supervise-unit").input_value() == str(case.holder_unit_id)
    page.locator("#supervise-days").fill("3")
    page.locator("#supervise-text").fill("请于三个工作日内说明未受理原因并尽快受理。")
    screenshot(page, "40-issue-notice")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/"))
    notice = SupervisionNotice.objects.get()
    assert notice.unit == world.units["east_centre"]
    assert page.locator(f"#notices [data-notice='{notice.pk}']").is_visible()
    assert page.locator("#timeline [data-verb=supervised]").is_visible()
    screenshot(page, "41-case-with-notice")

    page.context.clear_cookies()
    sign_in(page, live_server, "handler", password)
    assert page.locator("#bell-count").inner_text().startswith("1")
    screenshot(page, "42-handler-bell")
    page.locator("#bell").click()
    page.wait_for_url(re.compile(r"/staff/notifications/$"))
    assert page.locator(".notification.is-unread").count() == 1
    screenshot(page, "43-notifications")
    page.locator(".notification .notification-title").first.click()
    page.wait_for_url(re.compile(rf"/staff/notices/{notice.pk}/$"))
    assert page.locator("#bell-count").count() == 0, "opening the notification marked it read"
    notice.refresh_from_db()
    assert notice.read_at is not None and notice.read_by == world.users["handler"]
    assert page.locator("#notice-read").inner_text() != "—"
    screenshot(page, "44-notice-opened")

    # An empty explanation is refused next to the field.
    page.locator("#answer-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#field-answer-answer .field-error").is_visible()
    page.locator("#answer-answer").fill("已于今日受理，正在组织现场核查，三日内答复群众。")
    page.locator("#answer-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/notices/{notice.pk}/$"))
    assert page.locator("#notice-answer").is_visible()
    notice.refresh_from_db()
    assert notice.answered_at is not None
    assert PetitionEvent.objects.filter(petition=case, verb="notice_answered").exists()
    screenshot(page, "45-notice-answered")

    page.goto(f"{live_server.url}/staff/notices/")
    assert page.locator(f"tr[data-notice='{notice.pk}'] .notice-answered").is_visible()
    screenshot(page, "46-notice-list")
