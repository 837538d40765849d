"""The appraisal jobs (docs/appraisals.md): rectification items past their deadline are
chased once, like overdue cases. The sweep claims each row (`config.jobs.sweep`) and the
service claims it again with a conditional UPDATE, so a re-run or a second worker reminds
nobody twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from config.jobs import sweep
from evaluations import services
from evaluations.models import RectificationItem

logger = logging.getLogger("suqiu.jobs")


@shared_task(acks_late=True)
def chase_overdue_rectifications() -> int:
    """Remind the owner unit of every open rectification item past its deadline (once)."""
    today = timezone.localdate()
    candidates = RectificationItem.objects.filter(
        status=RectificationItem.Status.OPEN, deadline__lt=today, reminded_at__isnull=True
    )
    done = sweep(candidates, lambda pk: services.rectification_remind(item_id=pk, today=today))
    if done:
        logger.info("chased %d overdue rectification items", done)
    return done
