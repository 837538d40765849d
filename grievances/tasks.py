"""The statistics rollup (每日统计汇总): each night the days of a trailing window are counted
again from the case table into `DailyStat`, so dashboards over millions of cases read a few
thousand rows. A day is replaced whole in one transaction: re-running it (or two workers
running it) leaves exactly one copy of its rows."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from grievances.models import DailyStat, DailyStatDay
from grievances.statistics import rollup_rows

logger = logging.getLogger("suqiu.jobs")


def rollup_day(day: date) -> int:
    """Replace the rollup of one local day (never today: today is always counted live).
    Returns the number of cases the day holds."""
    if day >= timezone.localdate():
        raise ValueError("today is counted live; only past days are rolled up")
    with transaction.atomic():
        # Lock the day's marker first so two workers rolling the same day take turns.
        DailyStatDay.objects.get_or_create(date=day)
        DailyStatDay.objects.select_for_update().get(date=day)
        rows = rollup_rows(day)
        DailyStat.objects.filter(date=day).delete()
        DailyStat.objects.bulk_create(rows, batch_size=1000)
        cases = sum(row.cases for row in rows)
        DailyStatDay.objects.filter(date=day).update(rolled_at=timezone.now(), cases=cases)
    return cases


@shared_task(acks_late=True)
def rollup_statistics(days: int | None = None) -> int:
    """Roll up the `days` days before today (SUQIU_STATS_ROLLUP_DAYS): a case's status keeps
    changing for weeks after it is registered, so recent days are counted again each night."""
    days = days or settings.SUQIU_STATS_ROLLUP_DAYS
    today = timezone.localdate()
    total = 0
    for n in range(days, 0, -1):
        total += rollup_day(today - timedelta(days=n))
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
