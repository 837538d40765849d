"""The holiday calendar (节假日安排): filled from chinese-calendar, edited by the admin.

It is pre-filled from `chinese-calendar` (PyPI
`chinese-calendar`, github.com/LKI/chinese-calendar, MIT, pinned in pyproject.toml). We chose
it over `holidays` (python-holidays) because:

- it holds exactly what the State Council's yearly notice (国务院办公厅关于…部分节假日安排的通知)
  says, nothing more: every day off of each break, weekends inside a break included (so the
  admin sees 国庆节 on each of 1–7 October), and every weekend day worked in lieu (调休上班),
  each named after its holiday;
- for a year whose notice it does not have yet it has no data and says so, where
  python-holidays' China calendar falls back to a rule (statutory days, weekend holidays
  observed on the next weekday) and returns guessed days off with no make-up working days:
  a deadline calendar must not be pre-filled with a guess;
- it ships its data as a Python module with no dependencies, so a sync never needs the network.

python-holidays does list the make-up working days (`China().weekend_workdays`) for the years
it has notices for; the two agree on 2025 and 2026. Neither had 2027 when this was written:
the admin enters it when the notice is published (each November or so), or the pinned
version is raised and `manage.py sync_holidays` (also run after every `migrate`) fills it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import chinese_calendar
from django.db import models, transaction

from petitions.deadlines import CALENDAR
from petitions.models import (
    Holiday,
)

# --- The holiday calendar ------------------------------------------------------------------
# The library's own short names, completed to the names the State Council notice uses.
_FULL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
_CHINESE_NAMES = {
    holiday.value: _FULL_NAMES.get(holiday.chinese, holiday.chinese) for holiday in chinese_calendar.Holiday
}


@dataclass(frozen=True)
class HolidaySyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    kept_admin: int = 0
    years_without_data: tuple[int, ...] = field(default_factory=tuple)


def _library_days(years: set[int]) -> dict[date, tuple[str, str]]:
    """The library's days for `years`, as {date: (kind, name)}."""
    days: dict[date, tuple[str, str]] = {}
    for source, kind in (
        (chinese_calendar.holidays, Holiday.Kind.HOLIDAY),
        (chinese_calendar.workdays, Holiday.Kind.WORKDAY),
    ):
        for day, english in source.items():
            if day.year in years:
                days[day] = (str(kind), _CHINESE_NAMES.get(english, english))
    return days


def holidays_sync_into(model: type[models.Model], *, years: Iterable[int], using: str = "default") -> HolidaySyncResult:
    """`holidays_sync` on a given Holiday model class: the real one, or a migration's historical one."""
    years = set(years)
    library = _library_days(years)
    covered = {day.year for day in library}
    LIBRARY, ADMIN = str(Holiday.Source.LIBRARY), str(Holiday.Source.ADMIN)
    with transaction.atomic(using=using):
        rows = model._default_manager.using(using)
        existing = {
            row.date: row
            for row in rows.select_for_update().filter(
                date__gte=date(min(years, default=1), 1, 1), date__lte=date(max(years, default=1), 12, 31)
            )
            if row.date.year in covered
        }
        new, changed = [], []
        unchanged = kept_admin = 0
        for day, (kind, name) in sorted(library.items()):
            row = existing.get(day)
            if row is None:
                row = model(date=day, kind=kind, name=name, source=LIBRARY)
                row.full_clean(validate_unique=False, validate_constraints=False)
                new.append(row)
            elif row.source == ADMIN:
                kept_admin += 1
            elif (row.kind, row.name) != (kind, name):
                row.kind, row.name = kind, name
                row.full_clean(validate_unique=False, validate_constraints=False)
                changed.append(row)
            else:
                unchanged += 1
        # A library day the library no longer lists was withdrawn by a corrected notice.
        stale = [row.pk for day, row in existing.items() if row.source == LIBRARY and day not in library]
        # An admin row created meanwhile wins: a conflict on the date is skipped, not overwritten.
        rows.bulk_create(new, ignore_conflicts=True)
        rows.bulk_update(changed, ["kind", "name"])
        deleted = rows.filter(pk__in=stale).delete()[0] if stale else 0
    # Bulk writes send no signals: this process drops its copy of the calendar itself.
    CALENDAR.invalidate()
    return HolidaySyncResult(
        created=len(new),
        updated=len(changed),
        deleted=deleted,
        unchanged=unchanged,
        kept_admin=kept_admin,
        years_without_data=tuple(sorted(years - covered)),
    )


def holidays_sync(*, years: Iterable[int]) -> HolidaySyncResult:
    """Pre-fill the holiday calendar for `years` from the library; safe to run again and again.

    Days the library lists are added, and library rows it has since corrected are updated or
    removed. A row an administrator entered or changed (`source="admin"`) is never touched.
    Years the library has no data for are left alone and reported in `years_without_data`.
    """
    return holidays_sync_into(Holiday, years=years)
