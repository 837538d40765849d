"""Deadlines on China's working-day calendar (工作日).

The rules, in one place:

- Calendar days (`calendar`): the deadline is `start + days`, to the microsecond.
- Working days (`working`): in China's time (Asia/Shanghai), the day `start` falls on is not
  counted, as the Civil Code counts periods (民法典 第二百零一条: 开始的当日不计入); day 1 is
  the first working day after it, and the deadline is the end of the `days`-th working day,
  23:59:59.999999 local time. So a case registered on a Saturday or during a holiday has the
  same deadline as one registered on the working day before: its count starts at the next
  working day, and the weekend or holiday never counts. Zero working days is the end of the
  day `start` falls on.
- A working day is Monday to Friday unless a `holiday` row in the calendar says it is a day
  off, or a Saturday or Sunday with a `workday` row (调休上班).

The calendar rows (a few dozen a year) are read in one query and kept by each process for
`REFCACHE_SECONDS` (`config.refcache`); a row saved or deleted in the process applies at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.refcache import RefCache
from petitions.models import Category, DayType, DeadlineKind, Holiday, Status

CHINA = ZoneInfo("Asia/Shanghai")

# {date: kind} of every calendar row.
CALENDAR: RefCache[dict[date, str]] = RefCache(
    "holidays", lambda: dict(Holiday.objects.values_list("date", "kind")), [Holiday]
)


def _is_working(day: date, kinds: dict[date, str]) -> bool:
    kind = kinds.get(day)
    if kind == Holiday.Kind.HOLIDAY:
        return False
    if kind == Holiday.Kind.WORKDAY:
        return True
    return day.weekday() < 5


def is_working_day(day: date) -> bool:
    """Whether people work on `day` in China."""
    return _is_working(day, CALENDAR.get())


def deadline_add(start: datetime, days: int, day_type: str) -> datetime:
    """The deadline `days` calendar or working days after `start` (an aware datetime).

    Working-day deadlines are the end of the last working day, in Asia/Shanghai time.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("deadline_add needs an aware datetime")
    if days < 0:
        raise ValueError("deadline_add counts forward: days must not be negative")
    if day_type == DayType.CALENDAR:
        return start + timedelta(days=days)
    if day_type != DayType.WORKING:
        raise ValueError(f"unknown day type {day_type!r}")

    day = start.astimezone(CHINA).date()
    if days == 0:
        return datetime.combine(day, time.max, tzinfo=CHINA)
    remaining = days
    kinds = CALENDAR.get()
    while True:
        day += timedelta(days=1)
        if _is_working(day, kinds):
            remaining -= 1
            if remaining == 0:
                return datetime.combine(day, time.max, tzinfo=CHINA)


# The deadline a case in each state runs against (`current_due_at`), and the days of the
# category each kind of deadline gives: the one table every service that sets or checks a
# deadline reads.
_RUNNING = {
    Status.REGISTERED: DeadlineKind.ACCEPTANCE,
    Status.ACCEPTED: DeadlineKind.HANDLING,
    Status.IN_PROGRESS: DeadlineKind.HANDLING,
    Status.UNDER_REVIEW: DeadlineKind.REVIEW,
}
_DAYS_FIELD = {
    DeadlineKind.ACCEPTANCE: "acceptance_days",
    DeadlineKind.HANDLING: "handling_days",
    DeadlineKind.REVIEW: "review_days",
}


def running_deadline(status: str) -> str | None:
    """Which deadline (`DeadlineKind`) a case in this state runs against, None when none."""
    return _RUNNING.get(status)


def deadline_days(category: Category, kind: str) -> int:
    """The days the category gives a deadline of this kind (受理、办理、复查期限)."""
    return getattr(category, _DAYS_FIELD[kind])
