"""The Content-Security-Policy breaks nothing: no console error and no CSP violation on the
home page, the statistics dashboard (charts drawn) and the intake form; and a supervisor
enrols an authenticator app in the browser."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.test_intake_browser import sign_in
from tests.otp import code_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every console error, uncaught exception and CSP violation recorded."""
    problems: list[str] = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on("console", lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))

    def check(where: str) -> None:
        violations = page.evaluate("window.__cspViolations || []")
        assert not violations, f"{where}: {violations}"
        assert not problems, f"{where}: {problems}"

    page.check_clean = check
    return page


def test_the_home_page_breaks_no_policy(live_server, world, watched):
    response = watched.goto(f"{live_server.url}/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    watched.wait_for_load_state("networkidle")
    watched.check_clean("home")


def test_the_dashboard_draws_its_charts_under_the_policy(live_server, world, register, password, watched, screenshot):
    register()
    sign_in(watched, live_server, "supervisor", password)
    watched.goto(f"{live_server.url}/staff/dashboard/")
    watched.wait_for_load_state("networkidle")
    # ECharts drew into every chart box (it styles its elements through the CSSOM, which the CSP allows).
    charts = watched.locator(".chart[data-chart]")
    assert charts.count() >= 1
    watched.wait_for_function("document.querySelectorAll('.chart[data-chart] canvas').length > 0")
    assert watched.locator(".chart[data-chart] canvas").count() == charts.count()
    heights = watched.eval_on_selector_all(".chart[data-chart] canvas", "els => els.map(e => e.clientHeight)")
    assert all(height > 100 for height in heights), heights
    # Hovering a pie draws the tooltip (rich text on the canvas, not HTML with inline styles).
    box = watched.locator(".chart[data-kind=pie]").first.bounding_box()
    watched.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
    watched.wait_for_timeout(300)
    screenshot(watched, "50-dashboard-under-csp")
    watched.check_clean("dashboard")


def test_the_intake_form_breaks_no_policy(live_server, world, categories, password, watched):
    sign_in(watched, live_server, "clerk", password)
    watched.goto(f"{live_server.url}/staff/intake/")
    watched.wait_for_load_state("networkidle")
    watched.check_clean("intake")


def test_a_supervisor_enrols_an_authenticator_in_the_browser(live_server, world, password, watched, screenshot):
    watched.goto(f"{live_server.url}/accounts/login/")
    watched.get_by_label("用户名").fill("supervisor")
    watched.get_by_label("密码").fill(password)
    watched.get_by_role("button", name="登录").click()
    watched.wait_for_url(re.compile(r"/accounts/security/two-factor/setup/"))
    assert watched.locator("#two-factor-qr svg").is_visible()
    screenshot(watched, "51-two-factor-setup")
    device = TOTPDevice.objects.get(user=world.users["supervisor"], confirmed=False)
    watched.locator("input[name=otp_token]").fill(code_for(device))
    watched.locator("#two-factor-setup button.primary").click()
    watched.wait_for_url(re.compile(r"/staff/$"))
    device.refresh_from_db()
    assert device.confirmed
    watched.check_clean("two-factor setup")
