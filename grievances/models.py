"""The app's models, importable from `grievances.models` as Django expects; each is defined in
its room: the private lookup links with the portal, the rollup tables with the statistics."""

from grievances.hotspots.models import Hotspot, HotspotCase
from grievances.portal.models import LookupToken
from grievances.stats.models import (
    AssessmentWeights,
    DailyStat,
    DailyStatDay,
    MonthlyCountyStat,
    UnitMonthlyStat,
    UnitStatMonth,
)

__all__ = [
    "AssessmentWeights",
    "DailyStat",
    "DailyStatDay",
    "Hotspot",
    "HotspotCase",
    "LookupToken",
    "MonthlyCountyStat",
    "UnitMonthlyStat",
    "UnitStatMonth",
]
