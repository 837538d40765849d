"""The app's admin, registered by its rooms (Django's autodiscovery imports this module)."""

from grievances.stats import admin as stats_admin

__all__ = ["stats_admin"]
