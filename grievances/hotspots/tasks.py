"""The hotspots' nightly job (docs/statistics.md "Hotspots"): find the clusters again, then
tell the township leaders of those grown past the threshold, once."""

from __future__ import annotations

import logging

from celery import shared_task

from grievances.hotspots.services import hotspots_alert, hotspots_refresh

logger = logging.getLogger("suqiu.jobs")


@shared_task(name="grievances.tasks.refresh_hotspots", acks_late=True)
def refresh_hotspots() -> int:
    """Idempotent: a township's clusters are written whole under its lock, and each alert is
    claimed by a conditional update, so a second delivery finds the same and tells no one again."""
    result = hotspots_refresh()
    told = hotspots_alert()
    logger.info(
        "hotspots: %s townships, %s active (%s new, %s ended), %s leaders told",
        result.townships,
        result.active,
        result.created,
        result.retired,
        told,
    )
    return result.active
