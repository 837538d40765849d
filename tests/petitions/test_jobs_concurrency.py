"""Two escalation sweeps at once over 2,000 overdue cases: every case is escalated exactly
once, with one event and one notification (PostgreSQL: SQLite has no row locks)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from config import jobs
from petitions import tasks
from petitions.models import Assignment, DeadlineMiss, Escalation, Notification, Petition, PetitionEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"),
    pytest.mark.usefixtures("notification_routes"),
]

CASES = 2000


def overdue_cases(world, categories, n: int) -> list[int]:
    past = timezone.now() - timedelta(days=1)
    village, centre = world.region("东一村"), world.units["east_centre"]
    petitions = Petition.objects.bulk_create(
        Petition(
            tracking_number=f"20260101-{i:06d}",
            query_code_hash="x",
            channel="visit",
            category=categories["infrastructure"],
            region=village,
            region_code=village.code,
            level="township",
            holder_unit=centre,
            title="村道塌方",
            content="……",
            acceptance_due_at=past,
            current_due_at=past,
        )
        for i in range(n)
    )
    Assignment.objects.bulk_create(Assignment(petition=p, unit=centre, role="lead") for p in petitions)
    return [p.pk for p in petitions]


def test_two_sweeps_at_once_escalate_each_case_exactly_once(world, categories, settings):
    settings.SUQIU_JOB_BATCH_SIZE = 200
    ids = overdue_cases(world, categories, CASES)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i):
        try:
            barrier.wait()
            results[i] = tasks.escalate_overdue()
        except Exception as error:  # noqa: BLE001 - reported below
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == CASES  # the work was shared, none done twice
    county = world.units["county_centre"]
    assert Petition.objects.filter(pk__in=ids, holder_unit=county).count() == CASES
    assert Escalation.objects.filter(petition_id__in=ids).count() == CASES
    assert DeadlineMiss.objects.filter(petition_id__in=ids).count() == CASES
    per_case = PetitionEvent.objects.filter(verb="escalated").values("petition").annotate(n=Count("id"))
    assert len(per_case) == CASES and {row["n"] for row in per_case} == {1}
    # One notification per case: the county supervisor's (the county centre has no desk staff).
    told = Notification.objects.filter(kind="escalated", channel="in_app").values("petition").annotate(n=Count("id"))
    assert len(told) == CASES and {row["n"] for row in told} == {1}
    assert Assignment.objects.filter(petition_id__in=ids, role="lead", active=True, unit=county).count() == CASES


def test_one_sweep_shares_its_chunks_between_threads_each_in_its_own_transaction(world, categories):
    ids = overdue_cases(world, categories, 400)
    seen: list[int] = []
    names: set[str] = set()

    def act(pks: list[int]) -> int:
        names.add(threading.current_thread().name)
        seen.extend(pks)
        time.sleep(0.01)  # as a chunk waits on the database: the other thread takes the next
        return len(pks)

    assert jobs.sweep_chunks(Petition.objects.filter(pk__in=ids), act, chunk=10, threads=2) == 400
    assert sorted(seen) == ids  # every candidate once
    assert names == {"sweep-0", "sweep-1"}  # both threads took chunks; none ran in the caller's


def test_a_failing_chunk_fails_the_sweep_and_leaves_nothing_of_itself(world, categories):
    ids = overdue_cases(world, categories, 100)
    doomed = ids[55]

    def act(pks: list[int]) -> int:
        Petition.objects.filter(pk__in=pks).update(title="swept")
        if doomed in pks:
            raise RuntimeError("backend down")
        return len(pks)

    with pytest.raises(RuntimeError, match="backend down"):
        jobs.sweep_chunks(Petition.objects.filter(pk__in=ids), act, chunk=10, threads=2)
    # The failing chunk's transaction rolled back; chunks committed before it stay done.
    chunk = next(ids[i : i + 10] for i in range(0, 100, 10) if doomed in ids[i : i + 10])
    assert not Petition.objects.filter(pk__in=chunk, title="swept").exists()
    assert Petition.objects.filter(pk__in=ids[:10], title="swept").count() == 10
