"""The case pages say each deadline and each unit's part once, and say what the resident sees
of a step (issue 20, "labels that mislead")."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from petitions.services import petition_accept, petition_transfer

pytestmark = pytest.mark.django_db


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def deadlines(page: str) -> list[tuple[str, str]]:
    """The (label, date) rows of the page's deadlines block, tags stripped."""
    block = re.search(r'<dl class="deadlines">(.*?)</dl>', page, re.S).group(1)
    rows = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", block, re.S)
    strip = lambda html: re.sub(r"<[^>]+>", " ", html).split()  # noqa: E731
    return [(" ".join(strip(dt)), (strip(dd) or [""])[0]) for dt, dd in rows]


def staff_page(client, user, petition) -> str:
    client.force_login(user)
    return client.get(f"/staff/cases/{petition.pk}/").content.decode()


def test_a_case_awaiting_a_decision_shows_its_acceptance_deadline_once_marked_running(client, world, register):
    petition = register().petition
    rows = deadlines(staff_page(client, world.users["handler"], petition))
    due = timezone.localtime(petition.acceptance_due_at).strftime("%Y-%m-%d")
    # Before: 受理期限 and 期限, the same date twice.
    assert [label for label, date in rows if date == due] == [f"{zh('Acceptance due')} {zh('Running now')}"]


def test_once_accepted_the_handling_deadline_is_the_one_running(client, world, register):
    petition = register().petition
    petition = petition_accept(petition_id=petition.pk, actor=world.users["handler"])
    rows = dict(deadlines(staff_page(client, world.users["handler"], petition)))
    assert f"{zh('Handling due')} {zh('Running now')}" in rows
    assert zh("Acceptance due") in rows and zh("Deadline") not in rows
    assert sum(zh("Running now") in label for label in rows) == 1


def test_the_resident_sees_one_deadline_while_a_decision_is_awaited(client, world, register):
    made = register()
    page = client.post(
        "/track/", {"tracking_number": made.petition.tracking_number, "query_code": made.query_code}
    ).content.decode()
    due = timezone.localtime(made.petition.acceptance_due_at).strftime("%Y-%m-%d")
    assert [label for label, date in deadlines(page) if date == due] == [zh("Acceptance due")]


def test_a_unit_that_led_the_case_before_a_transfer_is_not_a_second_lead_unit(client, world, register):
    petition = register().petition
    handler = world.users["handler"]
    petition_accept(petition_id=petition.pk, actor=handler)
    petition_transfer(petition_id=petition.pk, actor=handler, unit=world.units["east_finance"], note="请财政所办理")
    page = staff_page(client, handler, petition)
    parts = re.search(r'<section class="card" id="parts">(.*?)</section>', page, re.S).group(1)
    badges = re.findall(r'<span class="badge part-[^"]*">([^<]*)</span>', parts)
    assert sorted(badges) == sorted([zh("Lead unit"), zh("Former lead unit")])


def test_a_public_step_with_an_internal_note_says_the_note_is_not_shown(client, world, register):
    petition = register().petition
    handler = world.users["handler"]
    petition_accept(petition_id=petition.pk, actor=handler, note="内部：先联系村委核实")
    page = staff_page(client, handler, petition)
    accepted = re.search(r'<li class="event verb-accepted public".*?</li>', page, re.S).group(0)
    assert zh("Shown to the resident") in accepted
    assert zh("The resident sees the step, not its note") in accepted
    # The registration step has no note: nothing to say.
    registered = re.search(r'<li class="event verb-registered public".*?</li>', page, re.S).group(0)
    assert zh("The resident sees the step, not its note") not in registered
