"""Accessibility (GB/T 37668, WCAG 2.1 AA): axe-core finds no serious or critical violation on
the public and staff pages, in Chinese and in English, in the ordinary and the elder display
(issue 20).

axe-core is a test tool, vendored under tests/e2e/vendor/axe-core/ (see its README), injected
into each page by Playwright; it never ships with the pages. One server and one set of data
serve the whole module, and one browser context per language and display (signed in once) is
reused by every page, so each page × language × display is its own test without paying for a
new world and a new sign-in each time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import reload_migration_data
from tests.e2e.test_intake_browser import sign_in
from tests.factories import PASSWORD

# The tests themselves only drive the browser; the mark has the test database set up (the
# module's data is committed by `site`, outside any test's transaction).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

# (language, elder display): Chinese is the default; English and the elder display are chosen
# through the switches in the header, as a resident would.
MODES = {"zh": ("zh-hans", False), "en": ("en", False), "zh-elder": ("zh-hans", True), "en-elder": ("en", True)}

PUBLIC = {
    "home": "/",
    "submit": "/submit/?county=990121000000",
    "track": "/track/",
    "tracked-case": None,  # the lookup's answer, reached through the form
    "sign-in": "/accounts/login/",
    "questionnaire": "/appraisals/{campaign}/stations/{participant}/questionnaire/",
}
STAFF = {
    "workbench": "/staff/",
    "intake": "/staff/intake/",
    "case": "/staff/cases/{case}/",
    "queue": "/staff/queue/",
    "dashboard": "/staff/dashboard/",
    "notices": "/staff/notices/",
}


@dataclass
class Site:
    url: str
    case: int
    tracking_number: str
    query_code: str
    campaign: int
    participant: int


def _build() -> dict:
    """A case registered at the 东一村 desk and an open appraisal of 东镇's stations."""
    from django.utils import timezone

    from evaluations import services as appraisals
    from petitions.services import petition_register
    from tests.conftest import build_world, load_categories

    world = build_world()
    categories = load_categories()
    registration = petition_register(
        actor=world.users["clerk"],
        channel="visit",
        category=categories["infrastructure"],
        region=world.region("东一村"),
        title="村道塌方",
        content="东一村三组村道雨后塌方，车辆无法通行。",
        complainant_name="字红梅",
        complainant_phone="13800138000",
    )
    supervisor = world.users["supervisor"]
    today = timezone.localdate()
    campaign = appraisals.campaign_create(
        actor=supervisor,
        region=world.region("东镇"),
        name="民主评议基层站所",
        year=2024,
        period_start=today - timedelta(days=365),
        period_end=today,
        weight_questionnaire=50,
        weight_hearing=30,
        weight_cases=20,
    )
    for text in ("办事效率", "服务态度", "廉洁自律"):
        appraisals.question_add(campaign_id=campaign.pk, actor=supervisor, text=text)
    participant = campaign.participants.get(unit=world.units["east_finance"])
    for each in campaign.participants.all():
        appraisals.commitment_publish(participant_id=each.pk, actor=supervisor, texts=["首问首办", "限时办结"])
    appraisals.campaign_open(campaign_id=campaign.pk, actor=supervisor)
    return {
        "case": registration.petition.pk,
        "tracking_number": registration.petition.tracking_number,
        "query_code": registration.query_code,
        "campaign": campaign.pk,
        "participant": participant.pk,
    }


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """A server and data that outlive one test (pytest-django's `live_server` would empty the
    database after each); the module empties it again when it is done."""
    from django.core.management import call_command
    from django.db import connections
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        data = _build()
    server = LiveServer("localhost")
    server._live_server_modified_settings.enable()
    try:
        yield Site(url=server.url, **data)
    finally:
        server._live_server_modified_settings.disable()
        server.stop()
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
            # The rows the data migrations wrote: the tests after this module (which is not
            # ordered last, as transactional ones are) read them without reloading them.
            reload_migration_data()
            connections.close_all()


@pytest.fixture(scope="module")
def contexts(browser, site, django_db_blocker):
    """Per mode, lazily: an anonymous page and a signed-in (handler's) page."""
    made: dict[tuple[str, bool], object] = {}

    def get(mode: str, staff: bool):
        key = (mode, staff)
        if key not in made:
            language, elder = MODES[mode]
            # The pages' CSP refuses inline scripts, which is how axe is injected.
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}, bypass_csp=True)
            page = context.new_page()
            page.goto(f"{site.url}/")
            if language != "zh-hans":
                page.locator(f"header button[name=language][value={language}]").click()
                page.wait_for_function(f"document.documentElement.lang === '{language}'")
            if elder:
                page.locator("#elder-switch").click()
                page.wait_for_selector("html.elder")
            if staff:
                with django_db_blocker.unblock():
                    _sign_in(page, site, language)
            made[key] = page
        return made[key]

    yield get
    for page in made.values():
        page.context.close()


def _sign_in(page, site: Site, language: str) -> None:
    if language == "zh-hans":
        sign_in(page, site, "handler", PASSWORD)
        return
    # The shared helper finds the fields by their Chinese labels; in English, by name.
    from stations.models import User
    from stations.otp import two_factor_due
    from tests.otp import code_for, confirmed_device

    user = User.objects.get(username="handler")
    device = confirmed_device(user) if two_factor_due(user) else None
    page.goto(f"{site.url}/accounts/login/")
    page.locator("input[name=username]").fill("handler")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    if device is not None:
        page.wait_for_url(re.compile(r"/accounts/security/two-factor/"))
        page.locator("input[name=otp_token]").fill(code_for(device))
        page.locator("#two-factor-verify button.primary").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((n) => n.target.join(" ")),
            }));
        }""",
        WCAG_21_AA,
    )
    return [v for v in found if v["impact"] in BLOCKING]


def broken_references(page) -> list[str]:
    """Elements whose aria-describedby / -labelledby / -controls name an id the page lacks (axe
    leaves these "to review", not violations; Django points each field with help text at
    `<id>_helptext`, which the template must render)."""
    return page.evaluate(
        """() => [...document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls]")]
            .flatMap((el) => ["aria-describedby", "aria-labelledby", "aria-controls"]
                .flatMap((name) => (el.getAttribute(name) || "").split(/\\s+/).filter(Boolean)
                    .filter((id) => !document.getElementById(id))
                    .map((id) => `${el.id || el.tagName.toLowerCase()} ${name}=${id}`)))"""
    )


def readable(found: list[dict]) -> str:
    return "\n" + "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n" + "".join(f"    {t}\n" for t in v["targets"][:10]) for v in found
    )


def _open(page, site: Site, name: str, path: str | None, language: str, elder: bool) -> None:
    if path is None:  # the tracked case: typed into the lookup form
        page.goto(f"{site.url}/track/")
        page.locator("input[name=tracking_number]").fill(site.tracking_number)
        page.locator("input[name=query_code]").fill(site.query_code)
        page.locator("#lookup").click()
        page.wait_for_load_state()
        assert site.tracking_number in page.locator("main").inner_text()
    else:
        response = page.goto(f"{site.url}{path.format(**vars(site))}")
        assert response is not None and response.status == 200, f"{name}: {response and response.status}"
    assert page.evaluate("document.documentElement.lang") == ("zh-Hans" if language == "zh-hans" else language)
    assert (page.locator("html.elder").count() == 1) is elder


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", [*PUBLIC, *STAFF])
def test_no_serious_or_critical_accessibility_violation(site, contexts, name, mode):
    language, elder = MODES[mode]
    staff = name in STAFF
    page = contexts(mode, staff)
    _open(page, site, name, STAFF[name] if staff else PUBLIC[name], language, elder)
    found = violations(page)
    assert found == [], f"{name} [{mode}] {page.url}:{readable(found)}"
    missing = broken_references(page)
    assert missing == [], f"{name} [{mode}] {page.url}: references to no element: {missing}"
