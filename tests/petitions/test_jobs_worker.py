"""A real Celery worker (on Redis when REDIS_URL is set, else the file-system broker) runs the
escalation sweep and the escalation lands in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
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
