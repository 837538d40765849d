"""The offline village desk (docs/offline.md): its page, web manifest and service worker are
the clerk's own (staff at an intake desk only), the worker's scope covers the page and it is
never cached, and the registration the page's script makes (session, CSRF header,
`client_ref`) answers as the script expects. The behaviour offline is
tests/e2e/test_offline_desk_browser.py."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from grievances.offline.views import ASSETS
from petitions.models import Petition

pytestmark = pytest.mark.django_db

PAGE = reverse("grievances:offline_desk")
MANIFEST = reverse("grievances:offline_manifest")
WORKER = reverse("grievances:offline_worker")


def settings_of(response) -> dict:
    match = re.search(
        r'<script id="offline-settings" type="application/json">(.*?)</script>', response.content.decode()
    )
    return json.loads(match.group(1))


def test_the_clerk_gets_the_page_with_what_it_needs_offline(client, world, categories):
    client.force_login(world.users["clerk"])
    response = client.get(PAGE)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    # Never kept by an HTTP cache (the worker keeps its own copy, cleared on sign-out).
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    page = response.content.decode()
    assert f'<link rel="manifest" href="{MANIFEST}" crossorigin="use-credentials">' in page
    offline = settings_of(response)
    assert offline["desks"] == {str(world.units["east1_desk"].pk): "东一村群众诉求站"}
    # The villages of the desk's township, none of the West township's.
    assert sorted(v["name"] for v in offline["villages"].values()) == ["东一村", "东二村"]
    assert {c["code"] for c in offline["categories"].values()} == {c.code for c in categories.values() if c.is_active}
    assert offline["api"] == "/api/v1/petitions/" and offline["worker"] == WORKER and offline["scope"] == PAGE
    assert offline["user"] == world.users["clerk"].pk
    # The form is in the page (so in its offline copy), with the walk-in page's fields.
    for name in ("complainant_name", "category", "title", "content", "region", "channel", "received_at"):
        assert f'name="{name}"' in page
    assert 'name="attachments"' not in page and 'name="settle"' not in page
    assert "<script>" not in page, "no inline script: the CSP allows scripts from static files only"


def test_the_manifest_opens_the_desk_in_its_own_window(client, world):
    client.force_login(world.users["clerk"])
    response = client.get(MANIFEST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == PAGE and manifest["scope"] == PAGE and manifest["display"] == "standalone"
    with translation.override("zh-hans"):
        assert manifest["name"] == gettext("Offline village desk") and manifest["lang"] == "zh-hans"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


def test_the_worker_is_served_under_the_page_never_cached_and_keeps_every_file(client, world):
    client.force_login(world.users["clerk"])
    response = client.get(WORKER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    # Its default scope is its own folder, which is the page's: no Service-Worker-Allowed needed.
    assert WORKER.rsplit("/", 1)[0] + "/" == PAGE and "Service-Worker-Allowed" not in response
    worker = response.content.decode()
    assert f'const PAGE = "{PAGE}";' in worker
    files = json.loads(re.search(r"const FILES = (\[.*?\]);", worker).group(1))
    assert files == [MANIFEST, *(f"/static/{name}" for name in ASSETS)]
    assert all(finders.find(name) for name in ASSETS), "every file the worker keeps exists"
    assert re.search(r'const CACHE = "suqiu-offline-[0-9a-f]{16}";', worker)


def test_a_changed_file_changes_the_worker(client, world, monkeypatch, tmp_path):
    """Browsers install a worker afresh only when its bytes change: a new script must do that."""
    client.force_login(world.users["clerk"])
    before = re.search(r"suqiu-offline-\w+", client.get(WORKER).content.decode()).group(0)
    changed = tmp_path / "offline-desk.js"
    changed.write_text("/* a new version */")
    find = finders.find
    monkeypatch.setattr(finders, "find", lambda name, *a, **k: str(changed) if name.endswith("desk.js") else find(name))
    after = re.search(r"suqiu-offline-\w+", client.get(WORKER).content.decode()).group(0)
    assert before != after


@pytest.mark.parametrize("who", ["nobody", "supervisor", "dept_handler"])
def test_staff_without_an_intake_desk_get_nothing(client, world, who):
    client.force_login(world.users[who])
    for url in (PAGE, MANIFEST, WORKER):
        assert client.get(url).status_code == 403, url


def test_signed_out_the_page_asks_for_a_sign_in_and_the_rest_is_refused(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("stations:login"))
    assert client.get(MANIFEST).status_code == 403
    assert client.get(WORKER).status_code == 403


def test_the_sign_in_page_clears_the_device(client, world):
    """Every sign-out ends on the sign-in page, which runs the script that empties the device."""
    page = client.get(reverse("stations:login")).content.decode()
    assert '<script src="/static/js/offline-signout.js" defer></script>' in page
    assert 'id="offline-kept"' in page


def test_a_case_sent_twice_by_the_desk_is_registered_once(world, categories):
    """What the page's script does: the session cookie, the CSRF header from the csrftoken
    cookie, the device's `received_at` and `client_ref`; the resend after a lost answer gets
    the case already registered (200, no query code)."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["clerk"])
    browser.get(PAGE)
    token = browser.cookies["csrftoken"].value
    desk = world.units["east1_desk"]
    received = (timezone.now() - timedelta(days=2)).replace(microsecond=0, tzinfo=UTC)
    body = {
        "channel": "visit",
        "category": "infrastructure",
        "region": world.region("东一村").code,
        "title": "村道塌方",
        "content": "东一村三组村道雨后塌方，车辆无法通行。",
        "complainant_name": "字红梅",
        "complainant_phone": "13800138000",
        "intake_unit": desk.pk,
        "accused": [],
        "received_at": received.isoformat().replace("+00:00", "Z"),
        "client_ref": f"offline:{desk.pk}:{uuid.uuid4()}",
    }

    def send(**headers):
        return browser.post("/api/v1/petitions/", body, content_type="application/json", **headers)

    refused = send()
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    first = send(HTTP_X_CSRFTOKEN=token)
    assert first.status_code == 201 and re.fullmatch(r"\d{8}", first.json()["query_code"])
    again = send(HTTP_X_CSRFTOKEN=token)
    assert again.status_code == 200 and "query_code" not in again.json()
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    petition = Petition.objects.get()
    assert petition.received_at == received and petition.created_at > received
