"""The ledger's background job: a long export written to MEDIA_ROOT for its requester.

Registered under its first name, `grievances.tasks.export_ledger` (the settings' annotations
acknowledge it on receipt by that name; messages already queued carry it)."""

from __future__ import annotations

from celery import shared_task

from grievances.ledger.exports import export_to_media
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
