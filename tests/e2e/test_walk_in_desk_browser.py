"""Type only what is new: a returning resident's walk-in takes at most three typed fields (the
phone, one detail), the rest is clicks on what the desk already knows; and the walk-in's
human-paced time, first and returning resident, computed from what the clerk does.

The figures in docs/cases.md ("The walk-in") come from
`SUQIU_REQUIRE_BROWSER=1 pytest tests/e2e/test_walk_in_desk_browser.py -s`."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from petitions.models import Petition, PetitionEvent
from tests.e2e.test_intake_browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A clerk's pace: 150 ms for each click or key that is not text, 50 ms for each character typed.
ACTION_SECONDS = 0.150
CHARACTER_SECONDS = 0.050
EARLIER_PHONE = "13800138000"  # the `register` fixture's resident, 字红梅


@pytest.fixture
def phrases(categories):
    migration = importlib.import_module("petitions.migrations.0020_common_phrases")
    migration.load_phrases(apps, SimpleNamespace(connection=connection))


@dataclass
class Clerk:
    """Drives the page and counts what a person would do: actions and characters typed."""

    page: object
    actions: int = 0
    characters: int = 0
    typed_fields: set = field(default_factory=set)

    def click(self, selector: str) -> None:
        self.page.locator(selector).click()
        self.actions += 1

    def type(self, name: str, text: str) -> None:
        """Type into a field (the cursor is already there: the click or the focus counted)."""
        assert self.page.evaluate("document.activeElement.name") == name
        self.page.keyboard.type(text)
        self.characters += len(text)
        self.typed_fields.add(name)

    @property
    def seconds(self) -> float:
        return round(self.actions * ACTION_SECONDS + self.characters * CHARACTER_SECONDS, 2)

    def figures(self) -> str:
        return f"{self.characters} characters typed, {self.actions} actions, {self.seconds:.2f} s human-paced"


def open_the_form(clerk: Clerk) -> None:
    clerk.click("header nav a[href='/staff/intake/']")
    clerk.page.wait_for_url(re.compile(r"/staff/intake/$"))


def submit(clerk: Clerk) -> Petition:
    clerk.click("button[type=submit].primary")
    clerk.page.wait_for_url(re.compile(r"/staff/cases/\d+/receipt/\?print=1$"))
    return Petition.objects.order_by("-id").first()


def walk_in_typed(clerk: Clerk) -> Petition:
    """The same walk-in as before the desk offered anything: every word typed."""
    open_the_form(clerk)
    clerk.type("complainant_name", "王建国")
    clerk.click("input[name=complainant_phone]")
    clerk.type("complainant_phone", "13600136000")
    clerk.page.locator("select[name=category]").select_option(label="基础设施")
    clerk.actions += 1
    clerk.click("input[name=title]")
    clerk.type("title", "村道塌方")
    clerk.click("textarea[name=content]")
    clerk.type("content", "东一村三组村道雨后塌方，车辆无法通行。")
    return submit(clerk)


def walk_in_first(clerk: Clerk) -> Petition:
    """A resident the desk has never seen: name, phone, a phrase, the detail."""
    open_the_form(clerk)
    clerk.type("complainant_name", "李秀英")  # the cursor starts in the name
    clerk.click("input[name=complainant_phone]")
    clerk.type("complainant_phone", "13700137000")
    clerk.click("#phrases button:text-is('路灯不亮')")  # category, title and account
    clerk.type("content", "，东一村三组")
    return submit(clerk)


def walk_in_returning(clerk: Clerk) -> Petition:
    """The resident of an open case comes back about the same matter: the phone, three
    clicks (the name, the same matter again, a phrase) and one detail."""
    open_the_form(clerk)
    clerk.click("input[name=complainant_phone]")
    clerk.type("complainant_phone", EARLIER_PHONE)
    clerk.click("#returning button[data-fill-name]")
    clerk.click("#returning button[data-fill-region]")
    clerk.click("#phrases button:text-is('村道坑洼、积水')")
    clerk.type("content", "，又塌了")
    return submit(clerk)


def test_a_returning_residents_walk_in_types_three_fields_at_most_and_is_linked_as_a_repeat(
    live_server, world, categories, phrases, register, password, page, screenshot
):
    page.add_init_script("window.print = function () {};")
    earlier = register().petition
    sign_in(page, live_server, "clerk", password)
    clerk = Clerk(page)

    open_the_form(clerk)
    clerk.click("input[name=complainant_phone]")
    clerk.type("complainant_phone", EARLIER_PHONE)
    offer = page.locator("#returning [data-returning]")
    offer.wait_for()
    assert earlier.tracking_number in offer.inner_text()
    clerk.click("#returning button[data-fill-name]")
    assert page.locator("input[name=complainant_name]").input_value() == "字红梅"
    clerk.click("#returning button[data-fill-region]")
    assert earlier.tracking_number in page.locator("[data-fill-note]").inner_text()
    # The category chosen, its phrases only.
    assert page.locator("#phrases button:text-is('村道坑洼、积水')").is_visible()
    assert not page.locator("#phrases button:text-is('宅基地审批')").is_visible()
    clerk.click("#phrases button:text-is('村道坑洼、积水')")
    assert page.locator("input[name=title]").input_value() == "村道坑洼、积水"
    clerk.type("content", "，又塌了")
    screenshot(page, "16-walk-in-returning")
    case = submit(clerk)

    assert clerk.typed_fields == {"complainant_phone", "content"}  # two typed fields, three at most
    assert case.pk != earlier.pk
    assert (case.complainant_name, case.complainant_phone) == ("字红梅", EARLIER_PHONE)
    assert (case.title, case.content) == ("村道坑洼、积水", "村道坑洼、积水，又塌了")
    assert case.category.code == "infrastructure" and case.region == world.region("东一村")
    # Linked by the registration's repeat rule: the new state and its event.
    assert case.repeat_of_id == earlier.pk
    earlier.refresh_from_db()
    assert earlier.repeat_count == 1
    event = PetitionEvent.objects.get(petition=case, verb=PetitionEvent.Verb.REPEAT)
    assert event.data == {"repeat_of": earlier.tracking_number}


def test_the_walk_ins_human_paced_time_first_and_returning_resident(
    live_server, world, categories, phrases, register, password, page
):
    page.add_init_script("window.print = function () {};")
    register()
    sign_in(page, live_server, "clerk", password)

    typed = Clerk(page)
    walk_in_typed(typed)
    first = Clerk(page)
    new = walk_in_first(first)
    returning = Clerk(page)
    again = walk_in_returning(returning)

    assert new.repeat_of_id is None and again.repeat_of_id is not None
    # Counted by hand from the steps above. Every word typed: open the form, [name 3], click
    # the phone, [11], the category, click the title, [4], click the account, [19], submit =
    # 6 actions, 37 characters: 0.9 + 1.85 = 2.75 s. A first resident with a phrase: open the form, [name 3], click the phone, [11],
    # a phrase, [detail 6], submit = 4 actions, 20 characters: 0.6 + 1.0 = 1.6 s; and open,
    # click the phone, [11], the name, the same matter, a phrase, [detail 4], submit =
    # 6 actions, 15 characters: 0.9 + 0.75 = 1.65 s.
    assert (typed.actions, typed.characters, typed.seconds) == (6, 37, 2.75)
    assert (first.actions, first.characters, first.seconds) == (4, 20, 1.6)
    assert (returning.actions, returning.characters, returning.seconds) == (6, 15, 1.65)
    print(f"\nevery word typed: {typed.figures()}")
    print(f"first resident, a phrase: {first.figures()}\nreturning resident: {returning.figures()}")
