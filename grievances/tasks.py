"""The statistics rollup (每日统计汇总): each night the days of a trailing window are counted
again from the case table into `DailyStat`, so dashboards over millions of cases read a few
thousand rows. A day is replaced whole in one transaction: re-running it (or two workers
running it) leaves exactly one copy of its rows. In the same transaction the monthly
per-county cells (`MonthlyCountyStat`) of the day's month are rebuilt from its daily cells,
so the two rollups always agree."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from grievances.models import DailyStat, DailyStatDay, MonthlyCountyStat
from grievances.statistics import monthly_rows, rollup_rows

logger = logging.getLogger("suqiu.jobs")


# The first key of the PostgreSQL advisory locks that serialise the rebuilds of one month.
_MONTH_LOCK = 0x5355_5131


def rollup_day(day: date) -> int:
    """Replace the rollup of one local day (never today: today is always counted live), and
    rebuild its month's monthly cells. Returns the number of cases the day holds."""
    return rollup_days([day])


def rollup_days(days: list[date]) -> int:
    """Replace the rollup of the given past days of ONE calendar month in one transaction,
    then rebuild that month's monthly per-county cells once. Returns the cases they hold."""
    if not days:
        return 0
    if max(days) >= timezone.localdate():
        raise ValueError("today is counted live; only past days are rolled up")
    first = min(days).replace(day=1)
    if any(day.replace(day=1) != first for day in days):
        raise ValueError("the days must lie in one month")
    cases = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two workers rolling days of the same month rebuild its cells in turn.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_MONTH_LOCK, first.year * 100 + first.month])
        for day in sorted(set(days)):
            # Lock the day's marker first so two workers rolling the same day take turns.
            DailyStatDay.objects.get_or_create(date=day)
            DailyStatDay.objects.select_for_update().get(date=day)
            rows = rollup_rows(day)
            DailyStat.objects.filter(date=day).delete()
            DailyStat.objects.bulk_create(rows, batch_size=1000)
            day_cases = sum(row.cases for row in rows)
            DailyStatDay.objects.filter(date=day).update(rolled_at=timezone.now(), cases=day_cases)
            cases += day_cases
        MonthlyCountyStat.objects.filter(month=first).delete()
        MonthlyCountyStat.objects.bulk_create(monthly_rows(first), batch_size=1000)
    return cases


@shared_task(acks_late=True)
def rollup_statistics(days: int | None = None) -> int:
    """Roll up the `days` days before today (SUQIU_STATS_ROLLUP_DAYS): a case's status keeps
    changing for weeks after it is registered, so recent days are counted again each night."""
    days = days or settings.SUQIU_STATS_ROLLUP_DAYS
    today = timezone.localdate()
    by_month: dict[date, list[date]] = {}
    for n in range(days, 0, -1):
        day = today - timedelta(days=n)
        by_month.setdefault(day.replace(day=1), []).append(day)
    total = 0
    for month_days in by_month.values():
        total += rollup_days(month_days)
    logger.info("rolled up %s days (%s cases)", days, total)
    return total


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def export_ledger(user_id: int, query: str, token: str) -> str:
    """Write a large ledger export for `user_id` (re-read, with the user's scope now) to
    MEDIA_ROOT; re-running it rewrites the same file."""
    from grievances.ledger import export_to_media
    from stations.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return ""
    return str(export_to_media(user, query, token))
