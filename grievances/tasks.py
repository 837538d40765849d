"""The app's Celery tasks, found here by the worker's autodiscovery (`<app>.tasks`); each is
written in its room and keeps the name it was first registered under."""

from grievances.ledger.tasks import export_ledger
from grievances.stats.tasks import rollup_statistics

__all__ = ["export_ledger", "rollup_statistics"]
