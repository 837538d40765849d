"""The plumbing a county's IT staff rely on: settings, health check, assets, admin."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client

from config.env import envbool, envint, envlist


def test_env_helpers_refuse_values_that_do_not_parse(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        envbool("X_FLAG")
    monkeypatch.setenv("X_FLAG", "Yes")
    assert envbool("X_FLAG") is True
    monkeypatch.setenv("X_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured):
        envint("X_NUMBER", 1)
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert envlist("X_LIST") == ["a.example", "b.example"]
    assert envint("X_UNSET_NUMBER", 7) == 7


@pytest.mark.django_db
def test_health_check_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_pages_load_no_asset_from_outside_the_app(client, path):
    page = client.get(path).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, "the page should reference its stylesheet and script"
    outside = [s for s in sources if re.match(r"^(https?:)?//", s)]
    assert outside == []


@pytest.mark.django_db
def test_collected_assets_are_served_by_the_app_itself(settings, tmp_path):
    """The production path: collectstatic with hashed names, then WhiteNoise serves them."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()  # a new client builds its middleware, so WhiteNoise sees the new root
    page = client.get("/accounts/login/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(re.search(r"suqiu\.[0-9a-f]{12}\.css$", a) for a in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert "max-age" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_the_admin_lists_regions_units_and_staff(client, world):
    client.force_login(world.users["root"])
    for path in ["/admin/stations/region/", "/admin/stations/unit/", "/admin/stations/user/"]:
        assert client.get(path).status_code == 200, path
    assert "东镇群众诉求中心" in client.get("/admin/stations/unit/").content.decode()


def test_a_web_worker_loads_every_view_and_keeps_it_out_of_the_collector(tmp_path):
    """The WSGI module (what gunicorn loads in each worker) imports the views up front and
    freezes what it loaded: full garbage collections then walk only what requests create,
    not the ~100,000 objects of Django and the app (bench/README.md, W2)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import gc, sys; from config.wsgi import application; "
        "print(gc.get_freeze_count(), 'petitions.views' in sys.modules, 'grievances.views' in sys.modules)"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parent.parent,
        env={**env, "SUQIU_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    frozen, petitions_views, grievances_views = run.stdout.split()
    assert int(frozen) > 50_000 and petitions_views == grievances_views == "True"
