"""The plumbing a county's IT staff rely on: settings, health check, assets, admin; secrets kept
out of the image and never written by production settings; the compose file and the README's
production steps; `make run` on loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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
    # A token lifetime of 0 hours or less would make every API token expire at once, or never.
    monkeypatch.setenv("X_HOURS", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        envint("X_HOURS", 10, minimum=1)


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


# --- Secrets: never in an image, never written by production settings (README, docs/operations.md) ---

BASE_DIR = Path(__file__).resolve().parent.parent
FERNET_KEY = "x8Vq2bq0v8wJm6VqjKcQd1Qm0cYy0n3kq9o1aZlqz8A="  # any valid key


def start_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Import the settings in a process of its own, as gunicorn or a worker starts; the
    environment of a production server, without secrets unless given."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    production = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SUQIU_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": "postgres://suqiu_app:secret@db.invalid:5432/suqiu",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=BASE_DIR,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


@pytest.mark.parametrize("missing", ["FIELD_ENCRYPTION_KEY", "SECRET_KEY"])
def test_production_refuses_to_start_without_its_keys_and_writes_none(tmp_path, missing):
    keys = {"SECRET_KEY": "k7#Qp2vX9!mL4zR8@wN1cT6^yB3hF5&jD0sG7*aE2uK9%oP4iV8", "FIELD_ENCRYPTION_KEY": FERNET_KEY}
    del keys[missing]
    run = start_settings(tmp_path, DEBUG="false", **keys)
    assert run.returncode != 0
    assert f"ImproperlyConfigured: {missing} is not set. Set it in the environment in production" in run.stderr
    assert files_under(tmp_path) == []  # no key generated, not even var/ made


def test_production_with_its_keys_writes_nothing_at_start_up(tmp_path):
    run = start_settings(tmp_path, DEBUG="false", SECRET_KEY="k" * 50, FIELD_ENCRYPTION_KEY=FERNET_KEY)
    assert run.returncode == 0 and "started" in run.stdout, run.stderr
    assert files_under(tmp_path) == []


def test_a_debug_run_keeps_the_keys_it_generates_under_var(tmp_path):
    """`make run` (DEBUG=true): keys generated once, kept across restarts, readable by their owner only."""
    first = start_settings(tmp_path, DEBUG="true", DATABASE_URL="", REDIS_URL="")
    assert first.returncode == 0, first.stderr
    keys = {name: (tmp_path / "var" / name).read_text() for name in ("secret_key", "field_encryption_key")}
    assert start_settings(tmp_path, DEBUG="true", DATABASE_URL="", REDIS_URL="").returncode == 0
    for name, value in keys.items():
        path = tmp_path / "var" / name
        assert path.read_text() == value and path.stat().st_mode & 0o777 == 0o600


def dockerfile_instructions() -> list[str]:
    text = (BASE_DIR / "Dockerfile").read_text()
    lines = [
        line for line in text.replace("\\\n", " ").splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return [" ".join(line.split()) for line in lines]


def test_the_image_build_leaves_no_secret_in_the_image(tmp_path):
    """The Dockerfile's collectstatic step, run as the build runs it (no secret in the build's
    environment), writes nothing into SUQIU_VAR_DIR (/var/lib/suqiu, which seeds the media
    volume), and no instruction puts a key into a layer or the image's history."""
    instructions = dockerfile_instructions()
    for instruction in instructions:
        keyword = instruction.split()[0]
        if keyword in {"ENV", "ARG", "LABEL"}:
            assert "SECRET_KEY" not in instruction and "FIELD_ENCRYPTION_KEY" not in instruction, instruction
        assert not re.search(r"[A-Za-z0-9_-]{43}=", instruction), f"a key written into the Dockerfile: {instruction}"
    [build_step] = [i for i in instructions if i.startswith("RUN ") and "collectstatic" in i]

    var, static = tmp_path / "var", tmp_path / "static"
    var.mkdir()  # the Dockerfile makes /var/lib/suqiu beforehand
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env |= {
        "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
        "SUQIU_VAR_DIR": str(var),
        "STATIC_ROOT": str(static),
    }
    run = subprocess.run(
        ["sh", "-c", build_step.removeprefix("RUN ")],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert (static / "staticfiles.json").exists()
    assert files_under(var) == []


def test_no_secret_file_goes_into_the_build_context():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".env", "var", ".git"} <= set(ignored)


def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_the_compose_file_runs_the_application_as_the_runtime_role_with_its_secrets_from_the_environment():
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DEBUG"] == "false", name
        for secret in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
            assert env[secret].startswith("${" + secret + ":?"), (name, secret)  # required, no default
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://suqiu_app:${APP_DB_PASSWORD:?")
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://suqiu:${POSTGRES_PASSWORD:?")

    def plain(url: str) -> str:
        return re.sub(r":\?[^}]*", "", url)  # without the messages of the required variables

    assert plain(migrate["environment"]["APP_DATABASE_URL"]) == plain(services["web"]["environment"]["DATABASE_URL"])
    assert "manage.py migrate" in migrate["command"][-1] and "create_runtime_role" in migrate["command"][-1]
    assert services["db"]["environment"]["POSTGRES_USER"] == "suqiu"


def readme_production_steps() -> str:
    readme = (BASE_DIR / "README.md").read_text()
    section = readme.split("## The production shape", 1)[1]
    return section.split("```sh", 1)[1].split("```", 1)[0]


def test_the_readme_production_steps_set_everything_the_compose_file_requires(tmp_path):
    """The README's steps, as written: the variables they put into .env are every one the
    compose file refuses to start without, and the commands that make them give values that
    work (a Fernet key, a long SECRET_KEY, passwords that fit in a URL)."""
    required = set(re.findall(r"\$\{(\w+):\?", (BASE_DIR / "docker-compose.yml").read_text()))
    assert {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "APP_DB_PASSWORD", "POSTGRES_PASSWORD"} <= required
    steps = readme_production_steps()
    heredoc = steps.split("cat > .env <<EOF", 1)[1].split("\nEOF", 1)[0]
    # Run the step that writes .env as the README gives it, here in a scratch folder.
    script = "umask 077\ncat > .env <<EOF" + heredoc + "\nEOF\n"
    assert script.strip() in steps.replace("\n\n", "\n")
    run = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    dotenv = tmp_path / ".env"
    assert dotenv.stat().st_mode & 0o777 == 0o600
    values = dict(line.split("=", 1) for line in dotenv.read_text().splitlines() if line)
    assert required <= set(values), f"the README sets {sorted(values)}, the compose file requires {sorted(required)}"

    from cryptography.fernet import Fernet

    Fernet(values["FIELD_ENCRYPTION_KEY"])
    assert len(values["SECRET_KEY"]) >= 50 and len(set(values["SECRET_KEY"])) >= 5
    for password in ("POSTGRES_PASSWORD", "APP_DB_PASSWORD"):
        assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", values[password]), password
    assert "docker compose up -d" in steps


def test_docker_compose_accepts_the_file_with_the_readmes_values(tmp_path):
    """`docker compose config` where the client has the compose plugin (it needs no engine)."""
    probe = (
        subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if shutil.which("docker")
        else None
    )
    if probe is None or probe.returncode != 0:
        pytest.skip("no docker compose client here")
    env = {**os.environ, "SECRET_KEY": "k" * 50, "FIELD_ENCRYPTION_KEY": FERNET_KEY}
    env |= {"POSTGRES_PASSWORD": "owner-password", "APP_DB_PASSWORD": "app-password"}
    run = subprocess.run(
        ["docker", "compose", "-f", str(BASE_DIR / "docker-compose.yml"), "config", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr


# --- `make run`: the demo listens on this machine only, unless asked ----------------------------


def make_run_commands(**env: str) -> list[str]:
    run = subprocess.run(
        ["make", "-n", "run"], cwd=BASE_DIR, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def listening(port: int) -> set[str]:
    """The addresses something listens on at `port` (IPv4), from the kernel's table."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path("/proc/net/tcp").exists() or not shutil.which("make"), reason="needs Linux and make")
def test_make_run_serves_the_demo_on_loopback_unless_asked(tmp_path):
    """`make run` starts the Procfile's web server through honcho; it listens on 127.0.0.1, and
    says so, unless BIND_ADDRESS=0.0.0.0 is asked for (then it warns that the demo's password is public)."""
    commands = make_run_commands()
    [serve] = [line for line in commands if "honcho start" in line]
    assert "BIND_ADDRESS=127.0.0.1" in serve.split()
    assert any("http://127.0.0.1:8000/" in line for line in commands)
    asked = make_run_commands(BIND_ADDRESS="0.0.0.0")
    assert "BIND_ADDRESS=0.0.0.0" in next(line for line in asked if "honcho start" in line).split()

    # Serve as `make run` does: the Procfile's web process through honcho, with that BIND_ADDRESS.
    port = free_port()
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env |= {"BIND_ADDRESS": "127.0.0.1", "DEBUG": "true", "SUQIU_VAR_DIR": str(tmp_path / "var"), "WEB_WORKERS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    honcho = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "start", "--procfile", "Procfile", "--port", str(port), "web"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert listening(port) == {"127.0.0.1"}
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        honcho.wait(timeout=30)
