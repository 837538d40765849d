"""Nobody can lock a resident out of their own case, and nobody can guess a query code.

Wrong codes lock the address that typed them, for that case; a per-case budget bounds many
addresses, and once it is spent only the owner's device (the device cookie or token of an
earlier proof) and the private link get in. Addresses are REMOTE_ADDR per request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils.translation import gettext as _

from petitions.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    """Half past ten (UTC) today, standing still: every test runs inside one window of each limit."""
    with time_machine.travel(datetime.now(UTC).replace(hour=10, minute=30), tick=False) as traveller:
        yield traveller


LOOKUP = "/api/v1/public/lookup/"
UNKNOWN = "20200101-ABCDEF"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


def api_lookup(api, number: str, code: str, address: str, device_token: str = ""):
    body = {"tracking_number": number, "query_code": code} | ({"device_token": device_token} if device_token else {})
    return api.post(LOOKUP, body, format="json", REMOTE_ADDR=address)


def page_lookup(client, number: str, code: str, address: str):
    return client.post("/track/", {"tracking_number": number, "query_code": code}, REMOTE_ADDR=address)


def no_match() -> str:
    return _("No case matches this tracking number and query code. Check both on your receipt.")


def opened(response) -> bool:
    return response.status_code == 200 and "case" in (response.context or {})


# --- One address guessing ------------------------------------------------------------------------


def test_wrong_codes_from_one_address_lock_only_that_address_for_that_case_over_the_api(api, replied, clock):
    number, code = replied.petition.tracking_number, replied.registration.query_code
    answers = [api_lookup(api, number, wrong(code), "10.0.0.1").status_code for _n in range(12)]
    assert answers == [404] * 10 + [429] * 2
    # The owner, from another address, with the right code.
    owner = api_lookup(api, number, code, "10.0.0.2")
    assert owner.status_code == 200 and owner.json()["status"] == Status.REPLIED
    # The locked address is refused that case even with the right code: were only the wrong
    # guesses refused, the answer would tell a guesser which guess was right.
    locked = api_lookup(api, number, code, "10.0.0.1")
    assert locked.status_code == 429 and locked.json()["code"] == "throttled"
    assert 0 < int(locked["Retry-After"]) <= 3600
    # ... and only that case: the address may still look up another.
    assert api_lookup(api, UNKNOWN, "12345678", "10.0.0.1").status_code == 404
    # The lock ends with its window.
    clock.shift(3600)
    assert api_lookup(api, number, code, "10.0.0.1").status_code == 200


def test_wrong_codes_from_one_address_lock_only_that_address_for_that_case_on_the_page(client, replied):
    number, code = replied.petition.tracking_number, replied.registration.query_code
    for _n in range(10):
        response = page_lookup(client, number, wrong(code), "10.0.0.1")
        assert response.status_code == 200 and no_match() in response.content.decode()
    assert page_lookup(client, number, wrong(code), "10.0.0.1").status_code == 429
    owner = page_lookup(Client(), number, code, "10.0.0.2")
    assert opened(owner) and "已安排修复" in owner.content.decode()
    locked = page_lookup(Client(), number, code, "10.0.0.1")
    assert locked.status_code == 429 and "已安排修复" not in locked.content.decode()
    retry_at = locked.context["retry_at"]
    assert "12345" in locked.content.decode() and f"{retry_at:%Y}" in locked.content.decode()


def test_only_wrong_codes_count_a_right_code_costs_nothing(api, replied):
    number, code = replied.petition.tracking_number, replied.registration.query_code
    assert {api_lookup(api, number, code, "10.0.0.1").status_code for _n in range(30)} == {200}
    answers = [api_lookup(api, number, wrong(code), "10.0.0.1").status_code for _n in range(11)]
    assert answers == [404] * 10 + [429]


# --- Many addresses: the per-case budget ------------------------------------------------------------


def spend_the_budget(number: str, code: str) -> None:
    """Six wrong codes from two addresses: the case's budget (6/d) is spent, neither address locked alone."""
    attacker = Client()
    for n in range(2):
        for _n in range(3):
            response = page_lookup(attacker, number, wrong(code), f"10.0.1.{n}")
            assert response.status_code == 200 and no_match() in response.content.decode()


def test_a_spent_case_budget_still_admits_the_owners_browser_and_the_private_link(replied, settings):
    settings.SUQIU_LOOKUP_RATE_PER_CASE_ADDRESS = "3/h"
    settings.SUQIU_LOOKUP_RATE_PER_CASE = "6/d"
    number, code = replied.petition.tracking_number, replied.registration.query_code
    owner = Client()
    first = page_lookup(owner, number, code, "10.9.0.1")
    assert opened(first)
    cookie = first.cookies[f"suqiu_case_{number}"]
    assert cookie["httponly"] and cookie["path"] == "/track/" and cookie["samesite"] == "Lax"
    assert code not in cookie.value  # it is a proof of the device, not of the case

    spend_the_budget(number, code)

    # A fresh address is refused, a guess and the right code alike (else the budget would not bound guessing).
    assert page_lookup(Client(), number, wrong(code), "10.0.2.1").status_code == 429
    assert page_lookup(Client(), number, code, "10.0.2.2").status_code == 429
    # The owner's browser gets in, from another address too (a phone moves between networks) ...
    assert opened(page_lookup(owner, number, code, "10.9.9.9"))
    rated = owner.post(
        "/track/rate/",
        {"tracking_number": number, "query_code": code, "satisfaction": "satisfied"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert rated.status_code == 200 and 'id="done"' in rated.content.decode()
    # ... but the cookie still needs the code: it proves the device, not the case.
    assert no_match() in page_lookup(owner, number, wrong(code), "10.9.9.9").content.decode()
    # The private link always opens the case, and gives that browser the device cookie.
    phone = Client()
    link = phone.get(f"/track/{replied.token}/", REMOTE_ADDR="10.0.2.1")
    assert opened(link) and f"suqiu_case_{number}" in link.cookies
    assert opened(page_lookup(phone, number, code, "10.0.2.1"))


def test_a_spent_case_budget_still_admits_the_owners_device_token_over_the_api(api, world, categories, settings):
    settings.SUQIU_LOOKUP_RATE_PER_CASE_ADDRESS = "3/h"
    settings.SUQIU_LOOKUP_RATE_PER_CASE = "6/d"
    receipt = api.post(
        "/api/v1/public/petitions/",
        {
            "county": "990121000000",
            "category": "infrastructure",
            "region": "990121100200",
            "title": "村道塌方",
            "content": "雨后塌方。",
            "anonymous": True,
        },
        format="json",
        REMOTE_ADDR="10.9.0.1",
    ).json()
    number, code, token = receipt["tracking_number"], receipt["query_code"], receipt["device_token"]
    assert token and code not in token

    spend_the_budget(number, code)

    assert api_lookup(api, number, code, "10.0.2.1").status_code == 429
    looked = api_lookup(api, number, code, "10.9.9.9", device_token=token)
    assert looked.status_code == 200 and looked.json()["device_token"] == token
    # A token of another case, or a forged one, is no token.
    other = api.post(
        "/api/v1/public/petitions/",
        {"county": "990121000000", "category": "infrastructure", "region": "990121100200", "title": "t"}
        | {"content": "c", "anonymous": True},
        format="json",
    ).json()
    assert api_lookup(api, number, code, "10.9.9.9", device_token=other["device_token"]).status_code == 429
    assert api_lookup(api, number, code, "10.9.9.9", device_token=token[:-2] + "xx").status_code == 429


def test_a_device_token_counts_its_own_wrong_codes(api, replied, settings):
    settings.SUQIU_LOOKUP_RATE_PER_CASE_ADDRESS = "3/h"
    number, code = replied.petition.tracking_number, replied.registration.query_code
    token = api_lookup(api, number, code, "10.9.0.1").json()["device_token"]
    answers = [api_lookup(api, number, wrong(code), f"10.0.3.{n}", device_token=token).status_code for n in range(4)]
    assert answers == [404, 404, 404, 429]  # a stolen token is no free run at the code
    assert api_lookup(api, number, code, "10.0.3.9", device_token=token).status_code == 429
    # Its failures were its own: a browser without it still gets in.
    assert api_lookup(api, number, code, "10.0.3.9").status_code == 200


# --- The limits tell nobody which numbers exist ------------------------------------------------------


def test_wrong_code_and_unknown_number_answer_and_count_the_same(api, client, replied, settings):
    settings.SUQIU_LOOKUP_RATE_PER_CASE_ADDRESS = "3/h"
    settings.SUQIU_LOOKUP_RATE_PER_CASE = "5/d"
    number, code = replied.petition.tracking_number, replied.registration.query_code

    def answers(tracking_number: str, address: str) -> list[tuple[int, dict]]:
        return [
            (r.status_code, r.json())
            for r in (api_lookup(api, tracking_number, wrong(code), address) for _n in range(4))
        ]

    known, unknown = answers(number, "10.0.4.1"), answers(UNKNOWN, "10.0.5.1")
    assert [status for status, _body in known] == [404, 404, 404, 429]
    assert known == unknown
    # The case budget too: two more failures from other addresses spend it, for both alike.
    for tracking_number in (number, UNKNOWN):
        for n in range(2):
            assert api_lookup(api, tracking_number, wrong(code), f"10.0.6.{n}").status_code == 404
        refused = page_lookup(Client(), tracking_number, wrong(code), "10.0.7.1")
        assert refused.status_code == 429
    assert page_lookup(Client(), number, code, "10.0.7.2").status_code == 429


def test_the_limit_settings_refuse_what_is_not_a_rate(monkeypatch):
    from config.env import envrate, parse_rate

    assert parse_rate("10/h") == (10, 3600) and parse_rate("100/d") == (100, 86400)
    assert parse_rate("5/15m") == (5, 900)
    monkeypatch.setenv("LOOKUP_RATE_PER_CASE", "100/d")
    assert envrate("LOOKUP_RATE_PER_CASE", "1/h") == "100/d"
    for bad in ("100", "ten/h", "0/h", "10/0h", "10/w"):
        monkeypatch.setenv("LOOKUP_RATE_PER_CASE", bad)
        with pytest.raises(ImproperlyConfigured):
            envrate("LOOKUP_RATE_PER_CASE", "1/h")
