"""Process-local copies of the reference rows every registration reads: the categories, the
holiday calendar, the village (with its township) and the township's intake centre.

Each copy is loaded by one query (villages and centres: one per region asked about), kept for
`REFCACHE_SECONDS` (30 s by default), and dropped at once in the process that saves or deletes
one of its rows (post_save / post_delete, and `invalidate` after bulk writes such as the
holiday sync and the division-code import). Another web worker sees an admin's change within
the time limit: a category's deadlines, a new holiday, a new village or intake centre apply to
the cases registered after it, never retroactively, so a few seconds are harmless. The copies
are read-only: callers must not change what they get.

Why not the shared cache (Redis)? A round trip and unpickling cost about what the query costs;
the point is to spend nothing on data that changes a few times a year (bench/README.md, W1).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from django.conf import settings
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_registry: list[RefCache] = []


class RefCache(Generic[T]):
    """`get()` returns `load()`'s result, loaded at most once per `REFCACHE_SECONDS` per process."""

    def __init__(self, name: str, load: Callable[[], T], models: Iterable[type]) -> None:
        self.name = name
        self._load = load
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at = 0.0
        self._generation = 0
        for model in models:
            # weak=False: the receiver is this object's bound method, kept alive by the registry.
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"refcache:{name}:save")
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=f"refcache:{name}:delete")
        _registry.append(self)

    def get(self) -> T:
        ttl = settings.REFCACHE_SECONDS
        if self._value is not None and time.monotonic() - self._loaded_at < ttl:
            return self._value
        generation = self._generation
        value = self._load()
        with self._lock:
            # A change while loading wins: that load is used once, not kept.
            if generation == self._generation and ttl > 0:
                self._value, self._loaded_at = value, time.monotonic()
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._value = None

    def _changed(self, sender, **kwargs) -> None:
        self.invalidate()


def invalidate_all() -> None:
    """Drop every copy in this process (after raw writes; the test suite calls it between tests)."""
    for cache in _registry:
        cache.invalidate()
