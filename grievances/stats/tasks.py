"""The statistics' nightly job: the rollup of the trailing days (`grievances.stats.rollup`).

Registered under its first name, `grievances.tasks.rollup_statistics`: the beat schedule, the
idempotent list of the settings and any message already queued call it by that name."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from grievances.stats.rollup import (
    advance_cutoff,
    cutoff_for,
    days_by_month,
    days_registered_late_since,
    rollup_days,
)
from grievances.stats.unit_rollup import complete_months, rollup_unit_month

logger = logging.getLogger("suqiu.jobs")


@shared_task(name="grievances.tasks.rollup_statistics", acks_late=True)
def rollup_statistics(days: int | None = None) -> int:
    """Roll up the `days` days before today (SUQIU_STATS_ROLLUP_DAYS): a case's status keeps
    changing for weeks after it is registered, so recent days are counted again each night.
    Every older rolled-up day that gained cases registered late since its last rollup (a case
    received then, typed in since) is rolled again too; the others keep their cells, which
    then count up to the same moment (`advance_cutoff`). The unit assessment's monthly rows
    (`UnitMonthlyStat`) of every complete month those days touch are rebuilt too."""
    days = days or settings.SUQIU_STATS_ROLLUP_DAYS
    today = timezone.localdate()
    cutoff = cutoff_for(today)
    window_start = today - timedelta(days=days)
    late = days_registered_late_since(cutoff, before=window_start)
    window: list[date] = [today - timedelta(days=n) for n in range(days, 0, -1)]
    total = 0
    by_month = days_by_month(late + window)
    for month_days in by_month.values():
        total += rollup_days(month_days, registered_before=cutoff)
    advance_cutoff(cutoff, before=window_start)
    for month in complete_months(list(by_month), today=today):
        rollup_unit_month(month, registered_before=cutoff)
    logger.info("rolled up %s days and %s with late registrations (%s cases)", days, len(late), total)
    return total
