"""The English UI is English only (issue #20, item 7): the main pages, walked in English,
show no Chinese character outside the data people typed or the register holds (names of
people, places and units, the categories, a case's title and content), and the labels
(table and list headings, form labels, choices, badges) begin with a capital letter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import models
from django.utils import timezone

from evaluations import services as appraisals
from evaluations.models import Campaign, Question
from petitions import services
from petitions.masking import mask_name
from petitions.models import (
    AccusedPerson,
    Category,
    Disposition,
    Petition,
    PetitionEvent,
    Referral,
    SupervisionNotice,
)
from stations.models import Region, Unit, User
from tests.e2e.test_intake_browser import sign_in
from tests.petitions.conftest import load_notification_routes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# CJK ideographs and Chinese punctuation (、。「」【】 and the full-width forms ，：（）).
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Where the data people typed or the register holds lives: every text column of these rows
# is allowed to be Chinese on an English page, and nothing else is.
DATA_MODELS = (Region, Unit, User, Category, Petition, AccusedPerson, PetitionEvent, SupervisionNotice, Referral)
DATA_MODELS += (Campaign, Question)
# Labels that are units of measure, not words (none is lower-case on these pages yet).
LOWER_CASE_UNITS = {"km", "m", "kg"}

# The page's visible text, minus the parts that are not English by design: elements that say
# they are in another language (the language switch, "简体中文" in its own language) and the
# logo's glyph (诉, aria-hidden). Then the first words of every label, choice and badge.
VISIBLE_TEXT = """() => {
  const skipped = [...document.querySelectorAll('[lang]:not([lang^="en"]):not(html), .brand-mark')];
  const saved = skipped.map(e => e.style.display);
  skipped.forEach(e => { e.style.display = 'none'; });
  const options = [...document.querySelectorAll('select option')].map(o => o.textContent);
  const text = document.body.innerText + '\\n' + options.join('\\n');
  skipped.forEach((e, i) => { e.style.display = saved[i]; });
  return text;
}"""
LABELS = """() => [...document.querySelectorAll('th, dt, label, option, .badge')]
  .filter(e => !e.closest('[lang]:not([lang^="en"]):not(html)'))
  .map(e => [e.tagName.toLowerCase() + (e.classList.contains('badge') ? '.badge' : ''), e.textContent.trim()])
  .filter(([, text]) => text)"""


def data_words() -> list[str]:
    """Every Chinese text the fixture's rows hold, longest first (so 东一村群众诉求站 goes
    before 东一村)."""
    words: set[str] = set()
    for model in DATA_MODELS:
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
        for row in model.objects.values_list(*fields):
            for value in row:
                if value and CHINESE.search(value):
                    words.add(value)
                    words.update(line.strip() for line in value.splitlines() if line.strip())
    # The lists show a resident's name masked (字红梅 → 字**): still the data, not the UI's words.
    words.update(mask_name(name) for name in Petition.objects.values_list("complainant_name", flat=True) if name)
    return sorted(words, key=len, reverse=True)


def untranslated(text: str, words: list[str]) -> list[str]:
    """The lines of `text` that still show Chinese once the data is taken out."""
    found = []
    for line in text.splitlines():
        rest = line
        for word in words:
            rest = rest.replace(word, " ")
        if CHINESE.search(rest):
            found.append(line.strip())
    return found


def lower_case_labels(labels: list[list[str]]) -> list[str]:
    bad = []
    for kind, text in labels:
        first = text.split()[0]
        if first[0].islower() and first.rstrip(".,:;)") not in LOWER_CASE_UNITS:
            bad.append(f"{kind}: {text}")
    return bad


@pytest.fixture
def english(browser, live_server):
    """A browser whose reader chose English (the language cookie the switch sets)."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "suqiu_language", "value": "en", "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def cases(world, register):
    """A case in every state the pages show: registered, accepted and assigned with a
    supervision notice, handed down by the city, a report against an official disposed of
    with a sanction, and an appraisal."""
    load_notification_routes()
    users, units = world.users, world.units
    fresh = register()
    accepted = services.petition_accept(petition_id=register(title="路灯不亮").petition.pk, actor=users["handler"])
    assigned = services.petition_assign(
        petition_id=accepted.pk, actor=users["handler"], unit=units["east_finance"], note="请核实"
    )
    services.notice_issue(petition_id=assigned.pk, actor=users["supervisor"], text="请按期办结。", days=5)
    from_city = register(actor="city_handler", channel="hotline", intake_unit=units["city_centre"]).petition
    services.petition_hand_down(
        petition_id=from_city.pk, actor=users["city_handler"], unit=units["east_centre"], instructions="请核实"
    )
    report = register(
        category=Category.objects.get(code="discipline"),
        title="村干部截留参合金",
        content="村干部截留参合金。",
        accused=[{"name": "杨某", "post": "村党支部副书记"}],
    ).petition
    holder = Petition.objects.get(pk=report.pk).holder_unit
    officer = users["inspector"] if holder == units["county_commission"] else None
    assert officer is not None, f"the report is held by {holder}"
    services.petition_accept(petition_id=report.pk, actor=officer)
    services.petition_dispose(
        petition_id=report.pk,
        actor=officer,
        kind=Disposition.Kind.CASE_OPENED,
        sanctioned_count=1,
        sanction_kind=Disposition.Sanction.EXPULSION,
    )
    today = timezone.localdate()
    campaign = appraisals.campaign_create(
        actor=users["supervisor"],
        region=world.region("东镇"),
        name="民主评议基层站所",
        year=today.year,
        period_start=today - timedelta(days=365),
        period_end=today,
        stations=[units["east_finance"]],
    )
    appraisals.question_add(campaign_id=campaign.pk, actor=users["supervisor"], text="办事效率")
    return {"fresh": fresh, "assigned": assigned, "report": report}


def test_the_main_pages_in_english_show_english_only(live_server, world, cases, password, english, capsys):
    words = data_words()
    problems: dict[str, list[str]] = {}
    walked = []

    def check(page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "en", f"{name} is not in English"
        found = untranslated(page.evaluate(VISIBLE_TEXT), words)
        found += [f"lower-case label, {label}" for label in lower_case_labels(page.evaluate(LABELS))]
        walked.append(name)
        if found:
            problems[f"{name} ({page.url.removeprefix(live_server.url)})"] = found

    resident = english()
    for name, path in [("home", "/"), ("submit", "/submit/?county=990121000000"), ("track", "/track/")]:
        resident.goto(live_server.url + path)
        check(resident, name)
    fresh = cases["fresh"]
    resident.fill("input[name=tracking_number]", fresh.petition.tracking_number)
    resident.fill("input[name=query_code]", fresh.query_code)
    resident.locator("#lookup").click()
    resident.wait_for_selector("#case")
    check(resident, "the looked-up case")
    resident.goto(f"{live_server.url}/accounts/login/")
    check(resident, "sign-in")

    handler = english()
    sign_in(handler, live_server, "handler", password, english=True)
    check(handler, "workbench")
    for name, path in [
        ("intake", "/staff/intake/"),
        ("case page", f"/staff/cases/{cases['assigned'].pk}/"),
        ("queue", "/staff/queue/"),
        ("case list", "/staff/cases/"),
        ("dashboard", "/staff/dashboard/"),
        ("monthly report", "/staff/dashboard/monthly/"),
        ("notices", "/staff/notices/"),
        ("referrals", "/staff/referrals/"),
    ]:
        handler.goto(live_server.url + path)
        check(handler, name)

    supervisor = english()
    sign_in(supervisor, live_server, "supervisor", password, english=True)
    for name, path in [
        ("commission page", "/staff/dashboard/commission/"),
        ("report against an official", f"/staff/cases/{cases['report'].pk}/"),
        ("appraisals", "/staff/appraisals/"),
    ]:
        supervisor.goto(live_server.url + path)
        check(supervisor, name)
    commission_text = supervisor.goto(live_server.url + "/staff/dashboard/commission/") and supervisor.inner_text(
        "#by-sanction"
    )

    with capsys.disabled():
        print(f"\nwalked {len(walked)} pages in English, {len(words)} data texts allowed")
        for page_name, lines in problems.items():
            print(f"  {page_name}:")
            for line in lines:
                print(f"    {line}")
    assert problems == {}
    # The sanction the commission recorded reads in English only.
    assert "Expulsion from the Party\t1" in commission_text or "Expulsion from the Party 1" in commission_text
