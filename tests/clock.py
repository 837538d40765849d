"""Moments in China time, for tests on a frozen clock (deadlines end at 23:59:59.999999)."""

from __future__ import annotations

from datetime import datetime

from petitions.deadlines import CHINA


def at(*args) -> datetime:
    """A moment in China time: at(2026, 9, 30, 8, 0)."""
    return datetime(*args, tzinfo=CHINA)


def end_of(year: int, month: int, day: int) -> datetime:
    """The last moment of a day in China time, where a working-day deadline falls."""
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=CHINA)
