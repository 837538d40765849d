"""A real Celery worker (on Redis when REDIS_URL is set, else the file-system broker) runs the
escalation sweep and the escalation lands in the database; a sweep whose worker dies is finished
by another, and one delivered twice repeats nothing (real worker processes on Redis)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone
from kombu import pools

from config.celery import app as celery_app
from petitions.models import Escalation, Petition
from petitions.tasks import escalate_overdue
from tests.test_celery import wait_for


@pytest.fixture
def fresh_broker(tmp_path):
    """A broker connection of our own (and a private folder for the file-system broker)."""
    saved = celery_app.conf.broker_transport_options
    if celery_app.conf.broker_url.startswith("filesystem://"):
        folder = tmp_path / "queue"
        folder.mkdir()
        celery_app.conf.broker_transport_options = {
            **saved,
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
        }
    _reset()
    yield
    celery_app.conf.broker_transport_options = saved
    _reset()


def _reset() -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()  # kombu's registry may hold a producer pool a previous worker closed


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_escalates_an_overdue_case(fresh_broker, world, register, notification_routes):
    case = register().petition
    past = timezone.now() - timedelta(hours=1)
    Petition.objects.filter(pk=case.pk).update(acceptance_due_at=past, current_due_at=past)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        escalate_overdue.delay()
        assert wait_for(lambda: Escalation.objects.filter(petition=case).exists())

    case.refresh_from_db()
    assert case.holder_unit == world.units["county_centre"]
    assert case.events.filter(verb="escalated").count() == 1
    assert case.notifications.filter(kind="escalated", user=world.users["supervisor"]).count() == 1


# --- When a worker dies (docs/jobs.md) ------------------------------------------------------------
# Real worker processes, started as production starts them (`celery -A config worker`, prefork),
# on the real Redis, each test on a queue of its own that it removes afterwards.

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SUCCEEDED = re.compile(r"Task petitions\.tasks\.escalate_overdue\[[-0-9a-f]+\] succeeded")

on_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") and not os.environ.get("CI"),
    reason="the visibility timeout is Redis's (set REDIS_URL=redis://… to run)",
)


class Workers:
    """Worker processes on one private queue, against the test database; each in its own process
    group, so that a SIGKILL takes the worker and its pool processes at once, as when a machine
    or a container dies."""

    def __init__(self, tmp_path: Path, **env: str):
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        self.queue = f"suqiu-test-{uuid.uuid4().hex[:12]}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}",
            "SUQIU_VAR_DIR": str(tmp_path / "var"),
            **env,
        }
        self.tmp_path, self.processes, self.logs = tmp_path, {}, {}

    def start(self, name: str) -> None:
        log = self.tmp_path / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            self.queue,
            "-n",
            f"{name}-{self.queue}@%h",
        ]
        command += ["--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.processes[name] = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.logs[name] = log
        assert wait_for(lambda: "ready." in log.read_text(), 60), log.read_text()

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log(self, name: str) -> str:
        return self.logs[name].read_text()

    def stop_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        self.processes = {}
        # What the broker holds for the queue: its list, the messages out to a worker, the binding.
        client = redis.Redis.from_url(celery_app.conf.broker_url)
        client.delete(self.queue)
        for tag, payload in client.hgetall("unacked").items():
            if self.queue in payload.decode():
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        for key in client.scan_iter("_kombu.binding.*"):
            for member in client.smembers(key):
                if self.queue.encode() in member:
                    client.srem(key, member)


@pytest.fixture
def workers(tmp_path, fresh_broker):
    """Start workers with `workers(**env).start(name)`; all are killed and the queue removed after."""
    made: list[Workers] = []

    def make(**env: str) -> Workers:
        made.append(Workers(tmp_path, **env))
        return made[-1]

    yield make
    for group in made:
        group.stop_all()


@contextlib.contextmanager
def escalations_locked():
    """Hold petitions_escalation in ACCESS EXCLUSIVE mode from a connection of our own: a sweep
    that reaches it (every escalation sweep does, to leave out red-noticed cases) waits there,
    mid-task, until we let go."""
    db = connection.settings_dict
    holder = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    try:
        with holder.cursor() as cursor:
            cursor.execute("LOCK TABLE petitions_escalation IN ACCESS EXCLUSIVE MODE")
        yield holder
    finally:
        holder.rollback()
        holder.close()


def sweeps_waiting(holder) -> int:
    """Worker connections waiting on the lock we hold: each is a sweep in the middle of its task."""
    with holder.cursor() as cursor:
        # Inside the holder's transaction the activity view would stay as first read: read it anew.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query LIKE %s AND pid <> pg_backend_pid()",
            ["%petitions_escalation%"],
        )
        return cursor.fetchone()[0]


def overdue(case: Petition) -> None:
    past = timezone.now() - timedelta(hours=1)
    Petition.objects.filter(pk=case.pk).update(acceptance_due_at=past, current_due_at=past)


@on_redis
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_sweep_whose_worker_is_killed_is_finished_by_another_worker_within_a_minute(
    workers, world, register, notification_routes
):
    """With the production settings (visibility timeout 30 s, a scan for abandoned messages every
    5 s), a sweep begun by a worker that is then killed with SIGKILL is finished by another one
    within a minute, not after an hour."""
    assert celery_app.conf.broker_url.startswith("redis://"), "needs REDIS_URL"
    case = register().petition
    overdue(case)
    pool = workers()
    pool.start("first")
    with escalations_locked() as holder:
        escalate_overdue.apply_async(queue=pool.queue)
        assert wait_for(lambda: sweeps_waiting(holder) == 1, 30), pool.log("first")
        pool.start("second")
        pool.kill("first")  # mid-task: its sweep is waiting inside the task, its message not acknowledged
        killed_at = time.monotonic()
    assert wait_for(lambda: Escalation.objects.filter(petition=case).exists(), 60), pool.log("second")
    assert time.monotonic() - killed_at < 60
    assert wait_for(lambda: SUCCEEDED.search(pool.log("second")), 10), pool.log("second")
    case.refresh_from_db()
    assert case.holder_unit == world.units["county_centre"]
    assert case.events.filter(verb="escalated").count() == 1


@on_redis
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_sweep_delivered_again_while_it_still_runs_repeats_nothing(workers, world, register, notification_routes):
    """A sweep may outlast the visibility timeout (a province's backlog takes a minute): its
    message is then delivered to a second worker while the first still works. Both run, and
    every case is escalated once, with one event and one notification per recipient."""
    cases = [register().petition for _ in range(3)]
    for case in cases:
        overdue(case)
    pool = workers(CELERY_VISIBILITY_TIMEOUT="6")
    pool.start("first")
    pool.start("second")
    with escalations_locked() as holder:
        escalate_overdue.apply_async(queue=pool.queue)
        # Both workers hold the sweep: the second got it again once 6 s had passed.
        assert wait_for(lambda: sweeps_waiting(holder) == 2, 40), pool.log("first") + pool.log("second")

    def succeeded() -> int:
        return sum(SUCCEEDED.search(pool.log(name)) is not None for name in ("first", "second"))

    assert wait_for(lambda: succeeded() == 2, 30), pool.log("first") + pool.log("second")
    for case in cases:
        assert Escalation.objects.filter(petition=case).count() == 1
        assert case.events.filter(verb="escalated").count() == 1
        recipients = case.notifications.filter(kind="escalated").values_list("user_id", "channel")
        assert len(recipients) == len(set(recipients)) > 0
