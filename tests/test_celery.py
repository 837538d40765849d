"""A real Celery worker (on Redis when REDIS_URL is set, else the file-system broker) runs
the beat jobs against the database."""

from __future__ import annotations

import ast
import os
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.utils import timezone

from config.celery import app as celery_app
from stations.tasks import purge_expired_sessions


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, name


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            pass  # SQLite's shared in-memory test database locks a table while the worker writes it
        time.sleep(0.2)
    return False


@pytest.fixture
def isolated_broker(tmp_path):
    """Keep the file-system broker's messages away from a `make run` worker on this machine."""
    saved = celery_app.conf.broker_transport_options
    if celery_app.conf.broker_url.startswith("filesystem://"):
        folder = tmp_path / "queue"
        folder.mkdir()
        options = {**saved, "data_folder_in": str(folder), "data_folder_out": str(folder)}
        celery_app.conf.broker_transport_options = options
    _reset_producer_pool()
    yield
    celery_app.conf.broker_transport_options = saved
    _reset_producer_pool()


def _reset_producer_pool() -> None:
    # Pooled connections keep the transport options they were opened with.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_purges_expired_sessions_only(isolated_broker):
    live = SessionStore()
    live["who"] = "clerk"
    live.create()
    stale = SessionStore()
    stale.create()
    Session.objects.filter(session_key=stale.session_key).update(expire_date=timezone.now() - timedelta(days=1))

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        purge_expired_sessions.delay()
        assert wait_for(lambda: not Session.objects.filter(session_key=stale.session_key).exists())

    assert Session.objects.filter(session_key=live.session_key).exists()


def test_no_task_outlives_its_visibility_unless_a_second_delivery_is_harmless():
    """On Redis a message still unacknowledged after the visibility timeout is delivered again
    (docs/jobs.md, "When a worker dies"). Every task is stopped before then, or acknowledged on
    receipt, or is one whose second run repeats nothing (settings.SUQIU_IDEMPOTENT_TASKS)."""
    celery_app.loader.import_default_modules()
    ours = [task for name, task in celery_app.tasks.items() if not name.startswith("celery.")]
    assert ours
    visibility = settings.SUQIU_VISIBILITY_TIMEOUT
    assert 0 < celery_app.conf.task_soft_time_limit < celery_app.conf.task_time_limit < visibility <= 45
    assert set(settings.SUQIU_IDEMPOTENT_TASKS) <= set(celery_app.tasks), "a listed task does not exist"
    for task in ours:
        limit = task.time_limit or celery_app.conf.task_time_limit
        assert limit < visibility or not task.acks_late or task.name in settings.SUQIU_IDEMPOTENT_TASKS, task.name
        assert task.acks_late or task.name == "grievances.tasks.export_ledger", task.name
    # Every periodic job is listed: a new one must be idempotent, or not be periodic.
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(settings.SUQIU_IDEMPOTENT_TASKS)


def test_the_broker_hands_on_a_dead_workers_message_within_a_minute():
    """The Redis transport's options: visible again after 30 s, looked for every 5 s."""
    import subprocess
    import sys

    script = "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS)"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/9", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    run = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    options = ast.literal_eval(run.stdout.strip())
    assert (
        options["visibility_timeout"] + options["unacked_restore_interval"] * options["unacked_restore_throttle"] < 60
    )

    bad = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "CELERY_TASK_TIME_LIMIT": "30"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT" in bad.stderr
