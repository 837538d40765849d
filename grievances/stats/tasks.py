"""The statistics' nightly job: the rollup of the trailing days (`grievances.stats.rollup`).

Registered under its first name, `grievances.tasks.rollup_statistics`: the beat schedule, the
idempotent list of the settings and any message already queued call it by that name."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from grievances.stats.rollup import rollup_days

logger = logging.getLogger("suqiu.jobs")


@shared_task(name="grievances.tasks.rollup_statistics", acks_late=True)
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
