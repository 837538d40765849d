"""A real Celery worker (on Redis when REDIS_URL is set, else the file-system broker) runs
the beat jobs against the database."""

from __future__ import annotations

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
