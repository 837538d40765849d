"""Deadlines on the 2026 calendar. Around National Day 2026 (State Council arrangement):

    September 2026                 October 2026
    Su Mo Tu We Th Fr Sa           Su Mo Tu We Th Fr Sa
    20 21 22 23 24 25 26                    1  2  3
    27 28 29 30                     4  5  6  7  8  9 10
                                   11 12 13 14 15 16 17

- Mid-Autumn 中秋节: Fri 25 – Sun 27 September off.
- National Day 国庆节: Thu 1 – Wed 7 October off.
- Worked in lieu (调休上班): Sunday 20 September and Saturday 10 October.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from petitions.deadlines import CALENDAR, deadline_add, is_working_day
from petitions.models import Holiday
from petitions.services import holidays_sync

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def calendar_2026():
    """The real 2026 arrangement, whatever year `migrate` pre-filled."""
    holidays_sync(years=[2026])


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CHINA)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=CHINA)


def test_the_2026_calendar_around_national_day():
    assert is_working_day(date(2026, 9, 20))  # Sunday, worked in lieu
    assert not is_working_day(date(2026, 9, 25))  # Mid-Autumn, a Friday
    assert not is_working_day(date(2026, 10, 5))  # National Day, a Monday
    assert is_working_day(date(2026, 10, 10))  # Saturday, worked in lieu
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert is_working_day(date(2026, 10, 12))


def test_fifteen_working_days_from_late_september_cross_both_holidays():
    # Registered Thursday 24 September: 28, 29, 30 Sep; 8, 9, 10 (Sat in lieu), 12–16, 19–22 Oct.
    due = deadline_add(at(2026, 9, 24), 15, "working")
    assert due == end_of(2026, 10, 22)
    assert due.tzinfo is not None


def test_the_sunday_worked_in_lieu_is_the_first_working_day():
    # Registered Saturday 19 September: day 1 is Sunday 20; then 21–24, 28–30 Sep, 8–10, 12–15 Oct.
    assert deadline_add(at(2026, 9, 19), 1, "working") == end_of(2026, 9, 20)
    assert deadline_add(at(2026, 9, 19), 15, "working") == end_of(2026, 10, 15)


def test_a_case_registered_during_the_holiday_counts_from_the_next_working_day():
    # 8 Oct (1), 9 (2), Saturday 10 in lieu (3), 12 (4), 13 (5).
    assert deadline_add(at(2026, 10, 3), 5, "working") == end_of(2026, 10, 13)
    assert deadline_add(at(2026, 10, 1, 0), 5, "working") == end_of(2026, 10, 13)
    # The same as a case registered on the last working day before the holiday.
    assert deadline_add(at(2026, 9, 30, 17), 5, "working") == end_of(2026, 10, 13)


def test_working_days_skip_an_ordinary_weekend():
    # Friday 20 November 2026: Monday 23 is day 1, Friday 27 is day 5, Monday 30 is day 6.
    assert deadline_add(at(2026, 11, 20), 1, "working") == end_of(2026, 11, 23)
    assert deadline_add(at(2026, 11, 20), 5, "working") == end_of(2026, 11, 27)
    assert deadline_add(at(2026, 11, 20), 6, "working") == end_of(2026, 11, 30)
    assert deadline_add(at(2026, 11, 21), 5, "working") == end_of(2026, 11, 27)  # from Saturday


def test_the_day_is_the_day_in_china_not_in_utc():
    # 17:00 UTC on 23 September is 01:00 on Thursday 24 September in China.
    start = datetime(2026, 9, 23, 17, tzinfo=ZoneInfo("UTC"))
    assert deadline_add(start, 15, "working") == end_of(2026, 10, 22)


def test_calendar_days_ignore_holidays():
    start = at(2026, 9, 24)
    assert deadline_add(start, 15, "calendar") == start + timedelta(days=15) == at(2026, 10, 9)
    assert deadline_add(start, 60, "calendar") == at(2026, 11, 23)


def test_an_administrators_day_off_moves_the_deadline():
    Holiday.objects.create(date=date(2026, 11, 27), kind="holiday", name="县庆", source="admin")
    assert deadline_add(at(2026, 11, 20), 5, "working") == end_of(2026, 11, 30)


def test_sixty_working_days_from_national_day():
    # From 8 October: 18 working days in October (Saturday 10 included), 21 in November, and the
    # 21st in December is Tuesday 29 December.
    assert deadline_add(at(2026, 10, 1), 60, "working") == end_of(2026, 12, 29)


def test_the_calendar_is_read_once_per_process_not_per_deadline(django_assert_num_queries):
    with django_assert_num_queries(1):
        deadline_add(at(2026, 9, 24), 60, "working")
    with django_assert_num_queries(0):
        assert deadline_add(at(2026, 9, 24), 15, "working") == end_of(2026, 10, 22)
        deadline_add(at(2026, 9, 24), 60, "calendar")


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="aware"):
        deadline_add(datetime(2026, 9, 24, 10), 15, "working")
    with pytest.raises(ValueError, match="negative"):
        deadline_add(at(2026, 9, 24), -1, "working")
    with pytest.raises(ValueError, match="day type"):
        deadline_add(at(2026, 9, 24), 15, "lunar")


def test_a_run_of_days_off_longer_than_the_first_read_is_read_on(django_assert_num_queries):
    # An administrator closed every day of the first quarter of 2027: beyond the first stretch read.
    first_quarter = [date(2027, 1, 1) + timedelta(days=n) for n in range(90)]
    Holiday.objects.filter(date__in=first_quarter).delete()
    Holiday.objects.bulk_create(Holiday(date=day, kind="holiday", name="停工", source="admin") for day in first_quarter)
    CALENDAR.invalidate()  # a bulk write sends no signal (the holiday sync does this itself)
    assert deadline_add(at(2026, 12, 31), 1, "working") == end_of(2027, 4, 1)
