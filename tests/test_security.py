"""The security baseline: production settings, response headers, session timeouts, passwords."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.utils import timezone

from stations.models import User

BASE_DIR = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"
FERNET_KEY = "x8Vq2bq0v8wJm6VqjKcQd1Qm0cYy0n3kq9o1aZlqz8A="  # production sets its own; any valid key here


# --- Production settings pass Django's deployment checklist --------------------------------


def deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    # A clean production environment: not the test run's own switches (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which the checklist rightly refuses).
    inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    production = {
        **inherited,
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": "k7#Qp2vX9!mL4zR8@wN1cT6^yB3hF5&jD0sG7*aE2uK9%oP4iV8",
        "ALLOWED_HOSTS": "suqiu.example.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://suqiu.example.gov.cn",
        "FIELD_ENCRYPTION_KEY": FERNET_KEY,
        "SUQIU_VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = deploy_check(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "security.W" not in output
    assert "no issues" in output


def test_the_checklist_warns_when_https_is_off(tmp_path):
    result = deploy_check(tmp_path, HTTPS="false")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in output


def test_a_short_secret_key_is_reported(tmp_path):
    result = deploy_check(tmp_path, SECRET_KEY="short")
    assert result.returncode != 0 and "security.W009" in result.stdout + result.stderr


def test_https_settings_follow_the_https_switch(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    env = {
        **os.environ,
        "SUQIU_VAR_DIR": str(tmp_path),
        "FIELD_ENCRYPTION_KEY": FERNET_KEY,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    run = lambda **extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=BASE_DIR,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert run(HTTPS="false") == "False 0 False None"
    assert run(HTTPS="true") == "True 31536000 True None"
    assert run(HTTPS="true", PROXY_SSL_HEADER="X-Forwarded-Proto") == (
        "True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


# --- Security headers on every response -----------------------------------------------------


def assert_security_headers(response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("default-src") == ["'self'"], csp
    assert directives.get("script-src") == ["'self'"], csp
    assert directives.get("style-src") == ["'self'"], csp
    assert directives.get("img-src") == ["'self'", "data:"], csp
    assert directives.get("object-src") == ["'none'"], csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert directives.get("form-action") == ["'self'"], csp
    assert directives.get("base-uri") == ["'self'"], csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin"
    policy = response.headers.get("Permissions-Policy", "")
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/", 200),
        ("get", LOGIN, 200),
        ("get", "/track/", 200),
        ("get", "/no-such-page/", 404),
        ("get", "/api/v1/categories/", 401),
        ("post", "/api/v1/public/lookup/", 400),
        ("get", "/api/docs/", 200),
        ("get", "/admin/login/", 200),
        ("get", "/healthz", 200),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert_security_headers(response)


def test_static_files_carry_them_too(client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = client.get("/static/css/suqiu.css")
    assert response.status_code == 200
    assert_security_headers(response)


def test_staff_pages_and_the_session_api_carry_them(client, world):
    client.force_login(world.users["supervisor"])
    for path in ("/staff/", "/staff/dashboard/", "/staff/intake/", "/api/v1/petitions/"):
        response = client.get(path)
        assert response.status_code in (200, 403), path
        assert_security_headers(response)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "inline <style>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    """The CSP refuses inline script and style; they belong in static/js and static/css."""
    found = []
    for template in sorted((BASE_DIR / "templates").rglob("*.html")):
        text = re.sub(r"{#.*?#}", "", template.read_text(), flags=re.S)
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(BASE_DIR)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_htmx_is_told_not_to_inject_its_style(client, db):
    page = client.get("/").content.decode()
    assert '"includeIndicatorStyles": false' in page


# --- Session timeouts -------------------------------------------------------------------------


@pytest.fixture
def english(client):
    client.cookies["suqiu_language"] = "en"
    return client


def test_an_idle_session_is_signed_out_with_a_message(english, world, password, settings):
    client = english
    settings.SESSION_IDLE_MINUTES = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.post(LOGIN, {"username": "clerk", "password": password}).status_code == 302
        clock.shift(timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200  # activity resets the idle clock
        clock.shift(timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/staff/")
        assert response.status_code == 302 and response.url.startswith(LOGIN)
        assert "_auth_user_id" not in client.session
        page = client.get(response.url).content.decode()
        assert "signed out after 30 minutes without activity" in page


def test_a_session_ends_after_its_hours_however_busy(english, world, password, settings):
    client = english
    settings.SESSION_HOURS = 10
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(LOGIN, {"username": "clerk", "password": password})
        for _ in range(40):  # ten hours of a request every quarter of an hour
            clock.shift(timedelta(minutes=15))
            assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=1))
        response = client.get("/staff/")
        assert response.status_code == 302 and response.url.startswith(LOGIN)
        assert "signed in for more than 10 hours" in client.get(response.url).content.decode()


def test_the_api_answers_session_expired(english, world, password):
    client = english
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(LOGIN, {"username": "clerk", "password": password})
        assert client.get("/api/v1/petitions/").status_code == 200
        clock.shift(timedelta(minutes=django_settings.SESSION_IDLE_MINUTES + 1))
        response = client.get("/api/v1/petitions/")
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired" and response.json()["detail"]
        assert client.get("/api/v1/petitions/").status_code == 401  # signed out for good


def test_a_public_page_stays_open_after_the_session_ends(english, world, password):
    client = english
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(LOGIN, {"username": "clerk", "password": password})
        clock.shift(timedelta(hours=1))
        response = client.get("/")
        assert response.status_code == 200
        assert "without activity" in response.content.decode()


# --- Passwords --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2():
    user = User.objects.create_user(username="newcomer", password="a-long-enough-passphrase")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a-long-enough-passphrase")


@pytest.mark.django_db
def test_argon2_runs_with_owasps_parameters_not_djangos():
    # m = 19 MiB, t = 2, p = 1 (stations/hashers.py); Django's own would be m=102400,t=2,p=8.
    user = User.objects.create_user(username="newcomer", password="a-long-enough-passphrase")
    assert user.password.split("$")[3] == "m=19456,t=2,p=1"


def test_a_hash_with_djangos_argon2_parameters_is_rehashed_at_sign_in(client, world, password):
    clerk = world.users["clerk"]
    clerk.password = Argon2PasswordHasher().encode(password, Argon2PasswordHasher().salt())  # Django's defaults
    assert clerk.password.split("$")[3] == "m=102400,t=2,p=8"
    clerk.save(update_fields=["password"])
    assert client.post(LOGIN, {"username": "clerk", "password": password}).status_code == 302
    clerk.refresh_from_db()
    assert clerk.password.split("$")[3] == "m=19456,t=2,p=1"
    assert clerk.check_password(password)


def test_an_older_hash_is_upgraded_at_sign_in(client, world, password):
    clerk = world.users["clerk"]
    clerk.password = make_password(password, hasher="pbkdf2_sha256")
    clerk.save(update_fields=["password"])
    assert client.post(LOGIN, {"username": "clerk", "password": password}).status_code == 302
    clerk.refresh_from_db()
    assert clerk.password.startswith("argon2")


def test_a_weak_password_is_refused_when_changing_it(client, world, password):
    clerk = world.users["clerk"]
    client.post(LOGIN, {"username": "clerk", "password": password})
    before = User.objects.get(pk=clerk.pk).password
    response = client.post(
        "/accounts/security/password/",
        {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert User.objects.get(pk=clerk.pk).password == before

    strong = "Lantern-orchard-47"
    response = client.post(
        "/accounts/security/password/",
        {"old_password": password, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=clerk.pk).check_password(strong)
    assert client.get("/staff/").status_code == 200  # still signed in after the change


def test_a_weak_password_is_refused_when_an_admin_creates_staff(client, world):
    client.force_login(world.users["root"])
    response = client.post(
        "/admin/stations/user/add/",
        {
            "username": "weakling",
            "full_name": "",
            "phone": "",
            "password1": "password",
            "password2": "password",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="weakling").exists()
    assert "errorlist" in response.content.decode()
