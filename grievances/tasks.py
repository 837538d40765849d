"""The app's Celery tasks, found here by the worker's autodiscovery (`<app>.tasks`); each is
written in its room and keeps the name it was first registered under."""

from __future__ import annotations

from celery import shared_task

from grievances.stats.tasks import rollup_statistics

__all__ = ["export_ledger", "rollup_statistics"]


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
