"""Five-level linkage in the browser: the city centre hands a hotline case down to the county
centre, the county answers the resident and reports, the city returns it with a reason and a
new due date (which reopens the case), the county reports again and the city accepts. All
along, the resident's lookup shows a clean public timeline: the steps by name and date and the
reply addressed to them, never a staff name, a unit, the instructions, a report or the reason
for returning it."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from petitions.deadlines import CHINA, deadline_add
from petitions.models import DayType, PetitionEvent, Referral
from stations.models import Membership
from stations.services import membership_grant
from tests.e2e.test_intake_browser import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INSTRUCTIONS = "请县中心三日内核实村道塌方并组织抢修，按期报结。"
FIRST_REPORT = "已安排施工队抢修，道路基本恢复通行。"
RETURN_REASON = "缺少修复后现场照片和群众回访记录，退回重办。"
SECOND_REPORT = "已补充现场照片，回访群众三户均表示满意。"
INSIDE = (INSTRUCTIONS, FIRST_REPORT, RETURN_REASON, SECOND_REPORT)
REPLY = "村道已抢修完毕，恢复通行。"


def working_day(n: int) -> str:
    return deadline_add(timezone.now(), n, DayType.WORKING).astimezone(CHINA).date().isoformat()


def open_panel(page, selector: str):
    panel = page.locator(selector)
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    return panel


def look_up(phone, live_server, tracking_number: str, query_code: str, staff_names: list[str]) -> list[str]:
    """The resident's lookup; checks that nothing internal shows, returns the steps' verbs."""
    phone.goto(f"{live_server.url}/track/")
    phone.fill("input[name=tracking_number]", tracking_number)
    phone.fill("input[name=query_code]", query_code)
    phone.locator("#lookup").click()
    phone.wait_for_selector("#case")
    content = phone.content()
    for secret in (*INSIDE, *staff_names, "city_handler", "county_handler"):
        assert secret not in content, secret
    # Units are inside too: the resident sees what happened, not who passed it to whom.
    assert "甲县群众诉求中心" not in content and "示范市群众诉求中心" not in content
    notes = phone.locator("#timeline .content-text").all_inner_texts()
    assert all(note == REPLY for note in notes), notes  # the reply is the one note for the resident
    return phone.locator("#timeline li").evaluate_all("items => items.map(item => item.dataset.verb)")


def test_a_case_handed_down_reported_returned_reported_again_and_accepted(
    live_server, world, register, password, page, phone, screenshot
):
    county_handler = UserFactory(username="county_handler")
    membership_grant(user=county_handler, unit=world.units["county_centre"], role=Membership.Role.HANDLER)
    city_handler = world.users["city_handler"]
    staff = [city_handler.get_full_name(), county_handler.get_full_name()]
    registration = register(actor="city_handler", channel="hotline", intake_unit=world.units["city_centre"])
    case, query_code = registration.petition, registration.query_code
    case_url = f"{live_server.url}/staff/cases/{case.pk}/"

    assert look_up(phone, live_server, case.tracking_number, query_code, staff) == ["registered"]

    # The city centre hands the case down from its case page.
    sign_in(page, live_server, "city_handler", password)
    page.goto(case_url)
    panel = open_panel(page, "#action-hand-down")
    page.select_option("#hand-down-unit", str(world.units["county_centre"].pk))
    page.fill("#hand-down-report_due", working_day(5))
    page.fill("#hand-down-instructions", INSTRUCTIONS)
    screenshot(page, "50-hand-down")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/"))
    referral = Referral.objects.get(petition=case)
    box = page.locator(f"#referral-{referral.pk}")
    assert box.is_visible() and INSTRUCTIONS in box.inner_text()
    assert page.locator("#action-hand-down").count() == 0
    screenshot(page, "51-handed-down")
    assert look_up(phone, live_server, case.tracking_number, query_code, staff) == ["registered", "handed_down"]

    # The county centre finds it among the referrals it received, and reports.
    page.context.clear_cookies()
    sign_in(page, live_server, "county_handler", password)
    page.locator("header nav a[href='/staff/referrals/']").click()
    page.wait_for_url(re.compile(r"/staff/referrals/$"))
    page.locator("#tab-received").click()
    page.wait_for_url(re.compile(r"direction=received"))
    row = page.locator(f"#referrals tr[data-referral='{referral.pk}']")
    assert row.is_visible()
    screenshot(page, "52-referrals-received")
    row.locator("a").first.click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/#referral-{referral.pk}$"))

    # It answers the resident first (the case is its to handle now).
    page.locator("#action-accept button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/"))
    open_panel(page, "#action-reply")
    page.fill("#action-reply textarea[name=text]", REPLY)
    page.locator("#action-reply button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/"))
    assert page.locator("#reply").is_visible()
    answered = ["registered", "handed_down", "accepted", "replied"]
    assert look_up(phone, live_server, case.tracking_number, query_code, staff) == answered

    # An empty report is refused next to its field; then the report goes up.
    form = open_panel(page, f"#referral-{referral.pk}-report")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"#field-referral-{referral.pk}-report-text .field-error").is_visible()
    page.fill(f"#referral-{referral.pk}-report-text", FIRST_REPORT)
    page.locator(f"#referral-{referral.pk}-report button[type=submit]").click()
    page.wait_for_url(re.compile(rf"#referral-{referral.pk}$"))
    assert page.locator(f"#referral-{referral.pk}[data-status=reported]").is_visible()
    assert page.locator(".messages .success").is_visible()
    screenshot(page, "53-reported")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REPORTED
    assert look_up(phone, live_server, case.tracking_number, query_code, staff) == answered

    # The city returns it, with the reason and a new due date.
    page.context.clear_cookies()
    sign_in(page, live_server, "city_handler", password)
    page.goto(case_url)
    assert FIRST_REPORT in page.locator(f"#referral-{referral.pk} .referral-report").inner_text()
    form = open_panel(page, f"#referral-{referral.pk}-return")
    page.fill(f"#referral-{referral.pk}-return-reason", RETURN_REASON)
    new_due = working_day(9)
    page.fill(f"#referral-{referral.pk}-return-report_due", new_due)
    screenshot(page, "54-return")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"#referral-{referral.pk}$"))
    assert page.locator(f"#referral-{referral.pk}[data-status=returned]").is_visible()
    assert page.locator(f"#referral-{referral.pk} .referral-due").inner_text() == new_due
    referral.refresh_from_db()
    assert (referral.status, referral.returns) == (Referral.Status.RETURNED, 1)
    case.refresh_from_db()
    assert case.status == "in_progress" and case.holder_unit == world.units["county_centre"]
    # The case was answered: the resident sees that it is handled again, not why.
    reopened = [*answered, "referral_returned"]
    assert look_up(phone, live_server, case.tracking_number, query_code, staff) == reopened
    assert phone.locator("#reply").count() == 0, "the reply is withdrawn while the case is handled again"

    # The county reports again.
    page.context.clear_cookies()
    sign_in(page, live_server, "county_handler", password)
    page.goto(case_url)
    assert RETURN_REASON in page.locator(f"#referral-{referral.pk} .referral-decision").inner_text()
    form = open_panel(page, f"#referral-{referral.pk}-report")
    page.fill(f"#referral-{referral.pk}-report-text", SECOND_REPORT)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"#referral-{referral.pk}$"))
    assert page.locator(f"#referral-{referral.pk}[data-status=reported]").is_visible()

    # The city accepts it as done.
    page.context.clear_cookies()
    sign_in(page, live_server, "city_handler", password)
    page.goto(f"{live_server.url}/staff/referrals/?direction=sent")
    assert page.locator(f"#referrals tr[data-referral='{referral.pk}'][data-status=reported]").is_visible()
    page.goto(case_url)
    form = open_panel(page, f"#referral-{referral.pk}-accept")
    page.fill(f"#referral-{referral.pk}-accept-note", "同意办结。")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"#referral-{referral.pk}$"))
    assert page.locator(f"#referral-{referral.pk}[data-status=accepted]").is_visible()
    assert page.locator(f"#referral-{referral.pk} form").count() == 0, "nothing left to decide"
    steps = page.locator(f"#referral-{referral.pk} .referral-steps li").evaluate_all(
        "items => items.map(item => item.dataset.verb)"
    )
    assert steps == ["handed_down", "referral_reported", "referral_returned", "referral_reported", "referral_accepted"]
    screenshot(page, "55-accepted")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert (
        list(
            PetitionEvent.objects.filter(petition=case, data__referral=referral.pk)
            .order_by("id")
            .values_list("verb", flat=True)
        )
        == steps
    )

    assert look_up(phone, live_server, case.tracking_number, query_code, staff) == reopened
    screenshot(phone, "56-resident-lookup-phone")
