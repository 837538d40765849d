"""The jobs that keep every case moving (docs/jobs.md). Celery beat runs the sweeps; each
sweep reads candidate ids in batches (flat in memory however many cases are overdue),
claims each row with `select_for_update(skip_locked=True)` so two workers never act on the
same case at once, and calls the one service that does the work. The services re-check and
are idempotent: a re-run, or a second worker, changes nothing."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import islice

from celery import shared_task
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from petitions import services
from petitions.models import (
    OPEN_STATUSES,
    Category,
    Escalation,
    ExtensionRequest,
    Petition,
    Status,
    SupervisionNotice,
)

logger = logging.getLogger("suqiu.jobs")


# Rows claimed and acted on per transaction: one commit (one WAL flush) per chunk instead of
# per case, while a case stays locked for at most one chunk's work (well under a second).
CLAIM_CHUNK = 50


def sweep(candidates: QuerySet, act: Callable[[int], object], *, batch: int | None = None) -> int:
    """Call `act(pk)` for every candidate on rows this worker could claim, each call in its own
    savepoint, a chunk of rows claimed in one statement and committed together. Returns how
    many calls did something (returned a truthy value)."""
    batch = batch or settings.SUQIU_JOB_BATCH_SIZE
    model = candidates.model
    done, last = 0, 0
    while True:
        ids = list(candidates.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        last = ids[-1]
        for start in range(0, len(ids), CLAIM_CHUNK):
            chunk = ids[start : start + CLAIM_CHUNK]
            with transaction.atomic():
                # Rows another worker holds now are skipped: they will be done by them.
                claimed = model.objects.select_for_update(skip_locked=True).filter(pk__in=chunk).order_by("pk")
                for pk in list(claimed.values_list("pk", flat=True)):
                    if act(pk):
                        done += 1


# Rows the escalation sweep claims and escalates together, with one bulk statement per kind
# of row (services.petitions_escalate_batch): a chunk stays locked well under a second.
ESCALATION_CHUNK = 500


def sweep_chunks(
    candidates: QuerySet,
    act: Callable[[list[int]], int],
    *,
    batch: int | None = None,
    chunk: int = CLAIM_CHUNK,
    threads: int = 1,
) -> int:
    """Like `sweep`, but `act(pks)` gets a chunk of candidate ids at once, in its own
    transaction, and claims them itself (`select_for_update(skip_locked=True)`: rows another
    worker holds are left to it). Returns the sum of what `act` returned.

    The candidates are read by one query, streamed `batch` ids at a time (a keyset re-read per
    batch walked the primary key past every closed case). With `threads` > 1 on PostgreSQL,
    outside a transaction, that many threads take the chunks, each on its own connection: a
    chunk's Python and the database's work on another chunk overlap, so a sweep uses both
    cores of a small server (bench/README.md, W4)."""
    batch = batch or settings.SUQIU_JOB_BATCH_SIZE
    ids = candidates.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=batch)
    chunks = iter(lambda: list(islice(ids, chunk)), [])
    if threads > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _in_threads(chunks, act, threads)
    done = 0
    for pks in chunks:
        with transaction.atomic():
            done += act(pks)
    return done


def _in_threads(chunks: Iterator[list[int]], act: Callable[[list[int]], int], threads: int) -> int:
    """`act` on every chunk, in its own transaction, by `threads` threads. The first error
    stops the hand-out (chunks already done stay done: each is its own transaction) and is
    raised here once every thread has finished."""
    work: queue.Queue = queue.Queue(maxsize=2 * threads)
    done = [0] * threads
    failed: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            while (pks := work.get()) is not None:
                if failed:
                    continue  # drain: the hand-out is stopping
                try:
                    with transaction.atomic():
                        done[i] += act(pks)
                except BaseException as error:  # noqa: BLE001 - raised by the caller below
                    failed.append(error)
        finally:
            connections.close_all()  # this thread's own connection

    pool = [threading.Thread(target=worker, args=(i,), name=f"sweep-{i}", daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    try:
        for pks in chunks:
            if failed:
                break
            work.put(pks)
    finally:
        for _thread in pool:
            work.put(None)
        for thread in pool:
            thread.join()
    if failed:
        raise failed[0]
    return sum(done)


def overdue_cases(now) -> QuerySet[Petition]:
    """Open cases past their current deadline, except those already red-noticed to the
    commission (the commission follows them up from there)."""
    red = Escalation.objects.filter(petition=OuterRef("pk"), level=Escalation.Level.COMMISSION)
    return Petition.objects.filter(status__in=OPEN_STATUSES, current_due_at__lt=now).exclude(Exists(red))


@shared_task(acks_late=True)
def escalate_overdue() -> int:
    """Escalate every overdue case one level up (or red-notice it to the commission)."""
    now = timezone.now()
    cache = services.EscalationCache()  # targets, deadlines and recipients, worked out once per sweep
    return sweep_chunks(
        overdue_cases(now),
        lambda pks: services.petitions_escalate_batch(petition_ids=pks, now=now, cache=cache),
        batch=max(settings.SUQIU_JOB_BATCH_SIZE, 4 * ESCALATION_CHUNK),
        chunk=ESCALATION_CHUNK,
        threads=settings.SUQIU_SWEEP_THREADS,
    )


@shared_task(acks_late=True)
def escalate_petition(petition_id: int) -> bool:
    """Escalate one case if it is (still) overdue."""
    return services.petition_escalate(petition_id=petition_id) is not None


@shared_task(acks_late=True)
def remind_due_soon() -> int:
    """Remind holding units of deadlines SUQIU_REMIND_WORKING_DAYS working days away (and on the day)."""
    now = timezone.now()
    stages = sorted(set(settings.SUQIU_REMIND_WORKING_DAYS))
    if not stages:
        return 0
    cutoffs = [(stage, services.remind_cutoff(now, stage)) for stage in stages]
    done, previous = 0, None
    for stage, cutoff in cutoffs:
        # Each case gets the tightest stage it falls in: due today is a day-of reminder only.
        after = {"current_due_at__gte": now} if previous is None else {"current_due_at__gt": previous}
        candidates = Petition.objects.filter(status__in=OPEN_STATUSES, current_due_at__lte=cutoff, **after)
        done += sweep(
            candidates, lambda pk, stage=stage: services.petition_remind(petition_id=pk, stage=stage, now=now)
        )
        previous = cutoff
    return done


@shared_task(acks_late=True)
def close_unrated_replies() -> int:
    """Close replied cases whose window to rate or ask for a review has passed (no_response)."""
    now = timezone.now()
    done = 0
    for category in Category.objects.all():
        # A working-day window is never shorter than the same number of calendar days.
        earliest = now - timedelta(days=category.review_request_days)
        candidates = Petition.objects.filter(category=category, status=Status.REPLIED, replied_at__lt=earliest)
        done += sweep(candidates, lambda pk: services.petition_close_unrated(petition_id=pk, now=now))
    return done


@shared_task(acks_late=True)
def chase_co_handling_units() -> int:
    """Put overdue co-handling parts on their units' records and chase them."""
    now = timezone.now()
    candidates = Petition.objects.filter(
        status__in=[Status.ACCEPTED, Status.IN_PROGRESS],
        assignments__role="co",
        assignments__active=True,
        assignments__replied_at=None,
        assignments__due_at__lt=now,
    ).distinct()
    return sweep(candidates, lambda pk: services.petition_chase_co_units(petition_id=pk, now=now))


@shared_task(acks_late=True)
def chase_pending_extensions() -> int:
    """Remind supervisors of extension requests that have waited on them too long."""
    now = timezone.now()
    candidates = ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING, requested_at__lt=now)
    return sweep(candidates, lambda pk: services.extension_chase(request_id=pk, now=now))


@shared_task(acks_late=True)
def mark_unanswered_notices() -> int:
    """Put supervision notices unanswered past their deadline on the unit's record."""
    now = timezone.now()
    candidates = SupervisionNotice.objects.filter(answered_at=None, missed_at=None, due_at__lt=now)
    return sweep(candidates, lambda pk: services.notice_mark_unanswered(notice_id=pk, now=now))


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_notification(notification_id: int) -> bool:
    """Send one SMS or e-mail notification (ids only in the payload); retried with backoff."""
    return services.notification_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def send_notifications(notification_ids: list[int]) -> int:
    """Send a batch of SMS or e-mail notifications (one task per escalation chunk instead of
    one per row). A row whose backend fails is handed to `send_notification`, which retries
    it with backoff; the others are not held up. Returns how many were sent."""
    sent = 0
    for pk in notification_ids:
        try:
            sent += bool(services.notification_deliver(notification_id=pk))
        except Exception:
            logger.warning("notification %s failed; retrying it on its own", pk, exc_info=True)
            send_notification.delay(pk)
    return sent
