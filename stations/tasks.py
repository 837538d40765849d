"""Housekeeping jobs for sign-in: each is idempotent, so a re-run after a crash is harmless."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessLog
from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task
def purge_expired_sessions() -> int:
    """Delete sessions past their expiry date; returns how many went."""
    deleted, _detail = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def purge_old_sign_in_records() -> int:
    """Delete sign-in log rows older than SIGN_IN_LOG_DAYS (default 180)."""
    cutoff = timezone.now() - timedelta(days=settings.AXES_ACCESS_LOG_DAYS)
    deleted, _detail = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    return deleted
