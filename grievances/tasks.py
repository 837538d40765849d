"""The app's Celery tasks, found here by the worker's autodiscovery (`<app>.tasks`); each is
written in its room and keeps the name it was first registered under."""

from grievances.hotspots.tasks import refresh_hotspots
from grievances.ledger.tasks import export_ledger, import_history
from grievances.stats.tasks import rollup_statistics

__all__ = ["export_ledger", "import_history", "refresh_hotspots", "rollup_statistics"]
