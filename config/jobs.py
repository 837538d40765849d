"""Sweeps shared by every app's periodic jobs (docs/jobs.md): read the candidates in batches,
claim each row with `select_for_update(skip_locked=True)` so two workers never act on the same
row, and act on it in a transaction of its own chunk; `sweep_chunks` can share the chunks
between threads (the escalation sweep, bench W4)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from itertools import islice

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import QuerySet

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
    cores of a small server. What it buys: with the streamed candidates and the bulk inserts
    that came with it (bc7f7a9), bench W4's sweep of 100,000 overdue cases went from 107 s to
    45.9 s (run 20261130-0611-bc7f7a9; `make bench BENCH_ARGS="--only w4 --skip-generate"`,
    `SWEEP_THREADS=1` for one thread); the threads were not measured apart. The ways to break
    it, chunks left to the caller's thread or sharing one transaction, fail
    tests/petitions/test_jobs_concurrency.py."""
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
