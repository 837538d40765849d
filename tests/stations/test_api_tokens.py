"""API tokens obey the rules of staff sessions: they expire, only their digest is stored, a
password change, the removal of a TOTP device or an administrator revokes them, and a token
not issued against a second-factor code is refused once its holder owes one (reveal too).

Tokens are minted through the real endpoint (`POST /api/v1/auth/token/`), as a client would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from petitions.models import PetitionEvent
from petitions.services import petition_register
from stations.models import Membership, Unit
from stations.services import membership_grant, unit_ensure
from tests.otp import code_for, confirmed_device

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
CASES = "/api/v1/petitions/"
NEW_PASSWORD = "a-new-and-long-password-7"


def issue(api, username: str, password: str, code: str | None = None) -> str:
    body = {"username": username, "password": password, **({"otp_code": code} if code else {})}
    response = api.post(TOKEN, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def call(api, token: str, path: str = "/api/v1/regions/"):
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get(path)
    api.credentials()
    return response


def works(api, token: str) -> bool:
    status = call(api, token).status_code
    assert status in (200, 401), status
    return status == 200


def test_a_token_stops_working_after_the_password_change_page(client, api, world, password):
    token = issue(api, "clerk", password)
    assert works(api, token)
    client.force_login(world.users["clerk"])
    response = client.post(
        "/accounts/security/password/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not works(api, token)
    # The new password gives a new token that works.
    assert works(api, issue(api, "clerk", NEW_PASSWORD))


def test_a_token_stops_working_after_the_admin_sets_a_new_password(client, api, world, password):
    clerk = world.users["clerk"]
    token = issue(api, "clerk", password)
    client.force_login(world.users["root"])
    response = client.post(
        f"/admin/stations/user/{clerk.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content
    assert not works(api, token)


def test_a_token_stops_working_after_set_password_anywhere(api, world, password):
    token = issue(api, "clerk", password)
    clerk = world.users["clerk"]
    clerk.set_password(NEW_PASSWORD)
    clerk.save()
    assert not works(api, token)


def test_saving_the_person_without_a_new_password_keeps_the_token(api, world, password):
    token = issue(api, "clerk", password)
    clerk = world.users["clerk"]
    clerk.full_name = "新名字"
    clerk.save()
    clerk.last_login = timezone.now()
    clerk.save(update_fields=["last_login"])
    assert works(api, token)


def test_a_token_stops_working_when_the_person_turns_two_factor_off(client, api, world, password):
    device = confirmed_device(world.users["clerk"])
    with time_machine.travel(timezone.now(), tick=False):
        token = issue(api, "clerk", password, code_for(device))
    assert works(api, token)
    client.force_login(world.users["clerk"])
    assert client.post("/accounts/security/two-factor/off/").status_code == 302
    assert not TOTPDevice.objects.filter(user=world.users["clerk"]).exists()
    assert not works(api, token)


def test_a_token_stops_working_when_an_administrator_deletes_the_device(client, api, world, password):
    device = confirmed_device(world.users["supervisor"])
    with time_machine.travel(timezone.now(), tick=False):
        token = issue(api, "supervisor", password, code_for(device))
    assert works(api, token)
    client.force_login(world.users["root"])
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not works(api, token)


def test_an_administrator_revokes_a_persons_tokens(client, api, world, password):
    clerk, handler = world.users["clerk"], world.users["handler"]
    tokens = [issue(api, "clerk", password), issue(api, "clerk", password)]
    other = issue(api, "handler", password)
    client.force_login(world.users["root"])
    response = client.post(
        "/admin/stations/user/", {"action": "revoke_api_tokens", "_selected_action": [clerk.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not any(works(api, token) for token in tokens)
    assert works(api, other)
    # One token, from the admin's list of tokens.
    from stations.models import ApiToken

    row = ApiToken.objects.get(user=handler)
    listed = client.get("/admin/stations/apitoken/").content.decode()
    assert str(handler) in listed and other not in listed
    response = client.post(f"/admin/stations/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not works(api, other)


def test_a_token_expires(api, world, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        response = api.post(TOKEN, {"username": "clerk", "password": password}, format="json")
        token = response.json()["token"]
        hours = getattr(settings, "API_TOKEN_HOURS", 10)  # like a staff session (SESSION_HOURS)
        clock.shift(timedelta(hours=hours) - timedelta(minutes=1))
        assert works(api, token)
        clock.shift(timedelta(minutes=2))
        expired = call(api, token)
        assert expired.status_code == 401 and expired.json()["code"] == "authentication_failed"
        assert expired.json()["detail"]
    assert hours == 10 and response.json()["expiry"]


def test_the_database_holds_no_usable_token(api, world, password):
    token = issue(api, "clerk", password)
    assert works(api, token)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                assert not any(isinstance(value, str) and token in value for value in row), table
    from knox.crypto import hash_token

    from stations.models import ApiToken

    stored = ApiToken.objects.get(user=world.users["clerk"])
    assert stored.digest == hash_token(token) and len(token) >= 64
    assert not stored.two_factor


@pytest.fixture
def confidential_case(world, categories):
    """A report against a village official, held by the 东镇 commission."""
    commission = unit_ensure(region=world.region("东镇"), name="东镇纪委", kind=Unit.Kind.COMMISSION)
    case = petition_register(
        actor=world.users["clerk"],
        channel="visit",
        category=categories["discipline"],
        region=world.region("东一村"),
        title="参合金被截留",
        content="2015年度新农合参合金已上交，住院时被告知未参合。",
        complainant_name="字某某",
        complainant_phone="13912345678",
        accused=[{"name": "杨某某", "post": "村党支部副书记"}],
    ).petition
    assert case.holder_unit == commission
    return case, commission


def test_a_token_minted_before_a_commission_role_is_refused_afterwards(api, world, password, confidential_case):
    case, commission = confidential_case
    token = issue(api, "other_clerk", password)  # a village clerk: no code asked
    assert works(api, token)
    membership_grant(user=world.users["other_clerk"], unit=commission, role=Membership.Role.HANDLER)

    for response in (
        api.post(f"{CASES}{case.pk}/reveal/", {"reason": "核实"}, format="json", HTTP_AUTHORIZATION=f"Token {token}"),
        call(api, token, CASES),
    ):
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "otp_required" and "二次验证" in body["detail"]
    assert not case.events.filter(verb=PetitionEvent.Verb.REVEALED).exists()


def test_a_token_minted_before_the_person_turned_two_factor_on_is_refused(api, world, password):
    token = issue(api, "clerk", password)
    confirmed_device(world.users["clerk"])
    response = call(api, token)
    assert response.status_code == 401 and response.json()["code"] == "otp_required"


def test_a_token_for_someone_who_owes_a_code_is_issued_only_with_a_valid_code(api, world, password):
    clerk = world.users["clerk"]
    old = issue(api, "clerk", password)
    membership_grant(user=clerk, unit=world.units["county_commission"], role=Membership.Role.OBSERVER)
    device = confirmed_device(clerk)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        missing = api.post(TOKEN, {"username": "clerk", "password": password}, format="json")
        assert missing.status_code == 400 and missing.json()["code"] == "otp_required"
        wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        bad = api.post(TOKEN, {"username": "clerk", "password": password, "otp_code": wrong}, format="json")
        assert bad.status_code == 400 and bad.json()["code"] == "otp_invalid"
        clock.shift(timedelta(seconds=5))
        new = issue(api, "clerk", password, code_for(device))
    assert new != old
    assert works(api, new)
    assert not works(api, old)
    from stations.models import ApiToken

    # The refused attempts minted nothing; the new token says it was issued against a code.
    assert sorted(ApiToken.objects.filter(user=clerk).values_list("two_factor", flat=True)) == [False, True]


def test_signing_out_revokes_this_token_or_all(api, world, password):
    first, second, third = (issue(api, "clerk", password) for _ in range(3))
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.post("/api/v1/auth/logout/").status_code == 204
    api.credentials()
    assert not works(api, first) and works(api, second)
    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.post("/api/v1/auth/logout-all/").status_code == 204
    api.credentials()
    assert not works(api, second) and not works(api, third)


def test_the_migration_drops_the_old_drf_tokens(db):
    """DRF's tokens (rest_framework.authtoken, removed) were kept in the clear: the migration
    that brings the new tokens drops their table where an older installation has it."""
    import importlib

    migration = importlib.import_module("stations.migrations.0003_api_tokens")
    with connection.schema_editor() as editor:
        editor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer)")
        editor.execute("INSERT INTO authtoken_token VALUES ('8eebe17186018629ab70d28eee76dd3aab2aa077', 1)")
        assert "authtoken_token" in connection.introspection.table_names()
        migration.drop_drf_tokens(None, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
