"""API keys: issuing (service, command, admin), scopes, statistics limited to the key's
region like an observer's, revocation, and each key's own rate limit."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from integrations.models import Integration
from integrations.services import integration_create, integration_revoke

pytestmark = pytest.mark.django_db

STATS = "/api/v1/stats/summary/"


@pytest.fixture
def cases(world, register):
    """One case in each of 东镇 and 西镇 (甲县), and one in 北镇 (乙县)."""
    register()
    register(actor="other_clerk", region=world.region("西一村"), complainant_phone="13700137000")
    register(actor="foreign_clerk", region=world.region("北一村"), complainant_phone="13600136000")


def _stats(api, key: str | None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"} if key else {}
    return api.get(STATS, params, **headers)


def test_a_statistics_key_sees_its_county_like_an_observer(api, world, cases, issue_key):
    _integration, key = issue_key(scopes=["read_statistics"])
    response = _stats(api, key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["region"]["code"] == "990121000000"
    assert body["total"] == 2
    assert {row["name"]: row["total"] for row in body["by_child_region"]} == {"东镇": 1, "西镇": 1}

    api.force_authenticate(world.users["observer"])
    assert api.get(STATS).json() == body  # exactly the observer's figures
    api.force_authenticate(None)

    assert _stats(api, key, region="990121100000").json()["total"] == 1  # a township inside
    refused = _stats(api, key, region="990122000000")  # 乙县: another tenant
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"


def test_a_township_key_sees_only_its_township(api, cases, issue_key):
    _integration, key = issue_key(region="东镇", scopes=["read_statistics"])
    body = _stats(api, key).json()
    assert body["region"]["code"] == "990121100000" and body["total"] == 1
    assert _stats(api, key, region="990121000000").status_code == 404
    assert _stats(api, key, region="990121101000").status_code == 404


def test_scopes_are_enforced(api, world, cases, issue_key, post_request):
    _reader, read_key = issue_key(scopes=["read_statistics"])
    _writer, write_key = issue_key(scopes=["submit_cases"])
    # A submit-only key may not read statistics...
    refused = _stats(api, write_key)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    # ...and a statistics key reaches nothing else: not the cases, not the regions, not Open311 POST.
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {read_key}"}
    for path in ("/api/v1/petitions/", "/api/v1/regions/", "/api/v1/units/"):
        assert api.get(path, **headers).status_code in (401, 403), path
    assert post_request(read_key).status_code == 403


def test_no_key_a_wrong_key_and_a_revoked_key_are_refused(api, cases, issue_key):
    integration, key = issue_key(scopes=["read_statistics"])
    assert _stats(api, None).status_code in (401, 403)
    wrong = _stats(api, key[:-1] + ("x" if key[-1] != "x" else "y"))
    assert wrong.status_code == 401 and wrong.json()["code"] == "authentication_failed"
    assert _stats(api, key).status_code == 200
    integration_revoke(integration_id=integration.pk)
    revoked = _stats(api, key)
    assert revoked.status_code == 401 and revoked.json()["code"] == "authentication_failed"
    again = Integration.objects.get(pk=integration.pk)
    again.revoked = False
    with pytest.raises(ValidationError):
        again.save()  # revoking cannot be undone


def test_each_key_is_throttled_at_its_own_rate(api, cases, issue_key):
    _slow, slow_key = issue_key(scopes=["read_statistics"], rate="2/hour")
    _busy, busy_key = issue_key(scopes=["read_statistics"], rate="100/minute")
    assert _stats(api, slow_key).status_code == 200
    assert _stats(api, slow_key).status_code == 200
    refused = _stats(api, slow_key)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert _stats(api, busy_key).status_code == 200


def test_staff_still_read_statistics_with_their_own_sign_in(api, world, cases):
    api.force_authenticate(world.users["supervisor"])
    assert api.get(STATS).json()["total"] == 2


def test_last_use_is_recorded(api, cases, issue_key):
    integration, key = issue_key(scopes=["read_statistics"])
    assert integration.last_used_at is None
    _stats(api, key)
    integration.refresh_from_db()
    assert integration.last_used_at is not None


def test_only_the_hash_of_a_key_is_kept(issue_key):
    integration, key = issue_key()
    stored = Integration.objects.get(pk=integration.pk)
    assert key.startswith(stored.prefix + ".")
    assert key not in stored.hashed_key and key not in stored.pk
    assert Integration.objects.get_from_key(key) == stored


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rate": "lots"}, "rate"),
        ({"rate": "0/hour"}, "rate"),
        ({"rate": "10/fortnight"}, "rate"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["delete_everything"]}, "scopes"),
        ({"region": "东一村"}, "region"),
        ({"channel": "visit"}, "channel"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_key_settings_are_refused(world, fields, field):
    values = {"name": "12345热线", "region": "甲县", "scopes": ["submit_cases"], "rate": "600/hour", **fields}
    values["region"] = world.region(values["region"])
    with pytest.raises(ValidationError) as error:
        integration_create(**values)
    assert field in error.value.message_dict
    assert not Integration.objects.exists()


def test_the_command_prints_the_key_once(api, world, cases, capsys):
    call_command(
        "integration_create",
        "省统计平台",
        "--region",
        "990121000000",
        "--scope",
        "read_statistics",
        "--rate",
        "60/minute",
    )
    out = capsys.readouterr().out
    integration = Integration.objects.get()
    assert integration.name == "省统计平台" and integration.rate == "60/minute"
    assert integration.scopes == ["read_statistics"]
    key = re.search(rf"^({re.escape(integration.prefix)}\.\S+)$", out, re.MULTILINE).group(1)
    assert _stats(api, key).json()["total"] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--region", "990199000000", "--scope", "read_statistics"],
        ["--region", "990121000000", "--scope", "read_statistics", "--rate", "fast"],
        ["--region", "990121100200", "--scope", "submit_cases"],
    ],
)
def test_the_command_refuses_bad_arguments(world, args):
    with pytest.raises(CommandError):
        call_command("integration_create", "坏的", *args)
    assert not Integration.objects.exists()


def test_the_admin_shows_a_new_key_once(client, world):
    client.force_login(world.users["root"])
    response = client.post(
        "/admin/integrations/integration/add/",
        {
            "name": "12388举报系统",
            "region": world.region("甲县").pk,
            "scopes": ["submit_cases"],
            "rate": "600/hour",
            "channel": "hotline",
        },
        follow=True,
    )
    assert response.status_code == 200
    integration = Integration.objects.get()
    assert integration.channel == "hotline" and integration.scopes == ["submit_cases"]
    shown = [str(message) for message in response.context["messages"]]
    key = next(match.group(0) for message in shown if (match := re.search(rf"{integration.prefix}\.\w+", message)))
    assert Integration.objects.get_from_key(key) == integration
    # Later visits never show it again.
    page = client.get(f"/admin/integrations/integration/{integration.pk}/change/").content.decode()
    assert key.split(".")[1] not in page
    assert client.get("/admin/integrations/integration/").status_code == 200
