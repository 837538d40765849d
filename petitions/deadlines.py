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

`deadline_add` reads the calendar rows for the whole span in one query.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from petitions.models import DayType, Holiday

CHINA = ZoneInfo("Asia/Shanghai")

# A first guess at how many calendar days `n` working days can span: 5 in 7 plus the longest
# runs of holidays in a year (Spring Festival and National Day, 8 or 9 days each, and a few more).
# If an unusual calendar outruns it, the next stretch is read; that costs a second query.
_SLACK_DAYS = 45


def _is_working(day: date, kinds: dict[date, str]) -> bool:
    kind = kinds.get(day)
    if kind == Holiday.Kind.HOLIDAY:
        return False
    if kind == Holiday.Kind.WORKDAY:
        return True
    return day.weekday() < 5


def _calendar_between(first: date, last: date) -> dict[date, str]:
    """The calendar rows from `first` to `last` (both included), as {date: kind}, in one query."""
    return dict(Holiday.objects.filter(date__gte=first, date__lte=last).values_list("date", "kind"))


def is_working_day(day: date) -> bool:
    """Whether people work on `day` in China (one query)."""
    return _is_working(day, _calendar_between(day, day))


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
    while True:
        first = day + timedelta(days=1)
        last = day + timedelta(days=remaining * 7 // 5 + _SLACK_DAYS)
        kinds = _calendar_between(first, last)
        while day < last:
            day += timedelta(days=1)
            if _is_working(day, kinds):
                remaining -= 1
                if remaining == 0:
                    return datetime.combine(day, time.max, tzinfo=CHINA)
