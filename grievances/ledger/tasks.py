"""The ledger's background jobs: a long export written to MEDIA_ROOT for its requester, and the
import of the county's past with its progress.

Registered under `grievances.tasks.<name>` (the settings' annotations acknowledge them on
receipt and give them the long time limit by that name; messages already queued carry it)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation

from grievances.ledger.exports import export_to_media
from grievances.ledger.history import history_run_job
from stations.models import User


@shared_task(
    name="grievances.tasks.export_ledger", acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3
)
def export_ledger(user_id: int, query: str, token: str) -> str:
    """Write a large ledger export for `user_id` (re-read, with the user's scope now) to
    MEDIA_ROOT; re-running it rewrites the same file."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return ""
    return str(export_to_media(user, query, token))


@shared_task(name="grievances.tasks.import_history", acks_late=True)
def import_history(user_id: int, token: str, language: str = "") -> None:
    """Run the county's-past import a page queued for `user_id` (the job's status names the
    file, the county and whether it only checks). It may run past the visibility timeout: a
    second delivery finds the job locked while it runs, or done (settings.SUQIU_IDEMPOTENT_TASKS)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        history_run_job(user=user, token=token)
