"""Two-factor sign-in (TOTP): who must use it, enrolment, the code page, the API.

Enforcement is proven through the real sign-in form: `client.force_login` passes the
second factor on its own (tests/conftest.py), so these tests never use it for the people
under test.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.otp import two_factor_required
from tests.otp import code_for, confirmed_device

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/security/two-factor/"
SETUP = "/accounts/security/two-factor/setup/"
SECURITY = "/accounts/security/"
TOKEN = "/api/v1/auth/token/"


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.parametrize(
    ("username", "required"),
    [
        ("supervisor", True),  # commission staff
        ("observer", True),  # any role in a commission
        ("admin", True),  # the admin role
        ("root", True),  # superuser
        ("clerk", False),
        ("handler", False),
        ("leader", False),
        ("dept_handler", False),
    ],
)
def test_who_must_sign_in_with_a_second_factor(world, username, required):
    assert two_factor_required(world.users[username]) is required


def test_a_staff_flag_alone_requires_it(world):
    nobody = world.users["nobody"]
    nobody.is_staff = True
    nobody.save(update_fields=["is_staff"])
    assert two_factor_required(nobody)


def test_a_supervisor_enrols_then_is_asked_for_the_code_at_every_sign_in(client, world, password, caplog):
    supervisor = world.users["supervisor"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # Password right: not in yet, sent to enrolment before anything else.
        response = sign_in(client, "supervisor", password)
        assert response.status_code == 302 and response.url.startswith(SETUP)
        for page in ("/staff/", "/staff/cases/", "/admin/", "/staff/dashboard/"):
            blocked = client.get(page)
            assert blocked.status_code == 302 and blocked.url.startswith(SETUP), page

        page = client.get(SETUP)
        assert page.status_code == 200
        html = page.content.decode()
        assert "<svg" in html and 'id="two-factor-secret"' in html
        device = TOTPDevice.objects.get(user=supervisor)
        assert not device.confirmed

        refused = client.post(SETUP, {"otp_token": wrong(code_for(device))})
        assert refused.status_code == 200 and 'role="alert"' in refused.content.decode()
        device.refresh_from_db()
        assert not device.confirmed
        assert client.get("/staff/").status_code == 302

        clock.shift(timedelta(seconds=5))  # past the wait the wrong code earned
        with caplog.at_level(logging.INFO, logger="suqiu.security"):
            done = client.post(SETUP, {"otp_token": code_for(device)})
        assert done.status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        assert client.get("/staff/").status_code == 200
        audit = [r.getMessage() for r in caplog.records if r.name == "suqiu.security"]
        assert any("two-factor enrolled user=supervisor" in line for line in audit)
        assert all(device.key not in line and "secret" not in line for line in audit)

        client.post("/accounts/logout/")
        clock.shift(timedelta(minutes=2))

        # The next sign-in asks for the code; a wrong code is refused and counted.
        response = sign_in(client, "supervisor", password)
        assert response.status_code == 302 and response.url.startswith(VERIFY)
        assert client.get("/staff/").url.startswith(VERIFY)
        refused = client.post(VERIFY, {"otp_token": wrong(code_for(device))})
        assert refused.status_code == 200
        assert client.get("/staff/").status_code == 302
        device.refresh_from_db()
        assert device.throttling_failure_count == 1

        clock.shift(timedelta(seconds=5))
        response = client.post(VERIFY, {"otp_token": code_for(device), "next": "/staff/cases/"})
        assert response.status_code == 302 and response.url == "/staff/cases/"
        assert client.get("/staff/").status_code == 200
        device.refresh_from_db()
        assert device.throttling_failure_count == 0


def test_wrong_codes_lock_the_code_page_for_a_while(client, world, password):
    device = confirmed_device(world.users["supervisor"])
    client.cookies["suqiu_language"] = "en"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, "supervisor", password)
        for earned_wait in (1, 2, 0):
            client.post(VERIFY, {"otp_token": wrong(code_for(device))})
            clock.shift(timedelta(seconds=earned_wait))  # sit out the wait before the next try
        device.refresh_from_db()
        assert device.throttling_failure_count == 3
        # The third failure earned 4 seconds: even the right code waits now, and trying does not count as another failure.
        response = client.post(VERIFY, {"otp_token": code_for(device)})
        assert response.status_code == 200
        assert "Too many wrong codes" in response.content.decode()
        assert client.get("/staff/").status_code == 302
        device.refresh_from_db()
        assert device.throttling_failure_count == 3
        clock.shift(timedelta(seconds=5))
        assert client.post(VERIFY, {"otp_token": code_for(device)}).status_code == 302
        assert client.get("/staff/").status_code == 200


def test_a_code_is_accepted_once_only(client, world, password):
    device = confirmed_device(world.users["supervisor"])
    with time_machine.travel(timezone.now(), tick=False):
        code = code_for(device)
        sign_in(client, "supervisor", password)
        assert client.post(VERIFY, {"otp_token": code}).status_code == 302
        client.post("/accounts/logout/")
        sign_in(client, "supervisor", password)
        assert client.post(VERIFY, {"otp_token": code}).status_code == 200
        assert client.get("/staff/").status_code == 302


def test_with_a_device_the_password_alone_cannot_enrol_another(client, world, password):
    confirmed_device(world.users["supervisor"])
    sign_in(client, "supervisor", password)
    response = client.get(SETUP)
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=world.users["supervisor"]).count() == 1


def test_a_clerk_is_not_forced_but_may_turn_it_on_and_off(client, world, password):
    clerk = world.users["clerk"]
    response = sign_in(client, "clerk", password)
    assert response.status_code == 302 and response.url == "/staff/"
    assert client.get("/staff/").status_code == 200
    page = client.get(SECURITY).content.decode()
    assert 'data-state="off"' in page

    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(SETUP)
        device = TOTPDevice.objects.get(user=clerk)
        assert client.post(SETUP, {"otp_token": code_for(device)}).status_code == 302
        assert 'data-state="on"' in client.get(SECURITY).content.decode()
        client.post("/accounts/logout/")
        clock.shift(timedelta(minutes=1))

        # Once on, it is asked of the clerk too.
        response = sign_in(client, "clerk", password)
        assert response.url.startswith(VERIFY)
        assert client.get("/staff/").status_code == 302
        client.post(VERIFY, {"otp_token": code_for(device)})
        assert client.get("/staff/").status_code == 200

    response = client.post("/accounts/security/two-factor/off/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()


def test_a_supervisor_cannot_turn_it_off(client, world):
    client.force_login(world.users["supervisor"])
    client.post("/accounts/security/two-factor/off/")
    assert TOTPDevice.objects.filter(user=world.users["supervisor"], confirmed=True).exists()


def test_the_session_api_answers_otp_required_until_the_code_is_given(client, world, password):
    device = confirmed_device(world.users["supervisor"])
    sign_in(client, "supervisor", password)
    response = client.get("/api/v1/petitions/")
    assert response.status_code == 403
    assert response.json()["code"] == "otp_required" and response.json()["detail"]
    client.post(VERIFY, {"otp_token": code_for(device)})
    assert client.get("/api/v1/petitions/").status_code == 200


def test_an_htmx_request_is_sent_to_the_code_page_whole(client, world, password):
    confirmed_device(world.users["supervisor"])
    sign_in(client, "supervisor", password)
    response = client.get("/staff/queue/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(VERIFY)


def test_the_token_endpoint_asks_for_the_code(api, world, password):
    device = confirmed_device(world.users["supervisor"])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        missing = api.post(TOKEN, {"username": "supervisor", "password": password}, format="json")
        assert missing.status_code == 400 and missing.json()["code"] == "otp_required"

        bad = api.post(
            TOKEN, {"username": "supervisor", "password": password, "otp_code": wrong(code_for(device))}, format="json"
        )
        assert bad.status_code == 400 and bad.json()["code"] == "otp_invalid"
        assert "token" not in bad.json()

        throttled = api.post(
            TOKEN, {"username": "supervisor", "password": password, "otp_code": code_for(device)}, format="json"
        )
        assert throttled.status_code == 429 and throttled.json()["code"] == "otp_throttled"

        clock.shift(timedelta(seconds=5))
        good = api.post(
            TOKEN, {"username": "supervisor", "password": password, "otp_code": code_for(device)}, format="json"
        )
        assert good.status_code == 200 and good.json()["token"]
        api.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
        assert api.get("/api/v1/petitions/").status_code == 200


def test_the_token_endpoint_does_not_ask_a_clerk_for_a_code(api, world, password):
    response = api.post(TOKEN, {"username": "clerk", "password": password}, format="json")
    assert response.status_code == 200 and response.json()["token"]


def test_a_wrong_password_with_a_code_is_still_a_wrong_password(api, world):
    device = confirmed_device(world.users["supervisor"])
    response = api.post(
        TOKEN, {"username": "supervisor", "password": "nope", "otp_code": code_for(device)}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] != "otp_invalid"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_admin_site_is_held_back_too(client, world, password):
    sign_in(client, "root", password)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith(SETUP)
    admin_login = client.post("/admin/login/", {"username": "root", "password": password})
    assert admin_login.status_code == 302
    assert client.get("/admin/").url.startswith(SETUP)
