"""The rollup gains the cases' source (grievances/0004_daily_stat_source): the cells counted
before had none, so the days holding a case of another source than `own` are forgotten
(counted live until rolled again) and the monthly marginals summed again; back, the days with
cells of another source are forgotten. Either way the figures stay exactly the live ones."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from grievances.stats.models import DailyStatDay, MonthlyCountyStat
from grievances.stats.summary import summary_for
from grievances.stats.tasks import rollup_statistics
from petitions.models import Petition
from stations.models import Region
from tests.grievances.test_stats_monthly import NOW, PROVINCE, figures, load_cases

BEFORE = ("grievances", "0003_monthly_county_stat")

# The rollup as it was written before the cells had a source (every past day, in one query).
ROLLUP_WITHOUT_SOURCE = """
    INSERT INTO grievances_dailystat (date, region_code, level, category_id, channel, status, satisfaction,
                                      cases, answered, on_time, repeats)
      SELECT (created_at AT TIME ZONE 'Asia/Shanghai')::date, region_code, level, category_id, channel, status,
             satisfaction, count(*),
             count(*) FILTER (WHERE replied_at IS NOT NULL),
             count(*) FILTER (WHERE replied_at IS NOT NULL AND (
               (due_at IS NOT NULL AND replied_at <= due_at) OR (due_at IS NULL AND replied_at <= acceptance_due_at))),
             count(*) FILTER (WHERE repeat_of_id IS NOT NULL)
      FROM petitions_petition
      WHERE (created_at AT TIME ZONE 'Asia/Shanghai')::date < %s
      GROUP BY 1, 2, 3, 4, 5, 6, 7;
    INSERT INTO grievances_dailystatday (date, rolled_at, cases)
      SELECT date, now(), sum(cases) FROM grievances_dailystat GROUP BY date;
    INSERT INTO grievances_monthlycountystat (month, region_code, dimension, value, cases, answered, on_time, repeats)
      SELECT date_trunc('month', date)::date, substr(region_code, 1, 6) || '000000', cell.dimension, cell.value,
             sum(cases), sum(answered), sum(on_time), sum(repeats)
      FROM grievances_dailystat
      CROSS JOIN LATERAL (VALUES ('level', level), ('category', category_id::text), ('channel', channel),
                                 ('status', status), ('satisfaction', satisfaction)) AS cell (dimension, value)
      GROUP BY 1, 2, 3, 4;
"""


def _migrate(*target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(list(target) or executor.loader.graph.leaf_nodes())


def _count(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the old rollup is written in PostgreSQL's SQL")
@pytest.mark.django_db(transaction=True)
def test_the_source_migration_keeps_the_figures_exact_both_ways(world, categories):
    root = world.users["root"]
    with time_machine.travel(NOW, tick=False):
        load_cases(world, categories, count=200)
        period = {"region": Region.objects.get(code=PROVINCE), "date_from": date(2025, 1, 1), "date_to": NOW.date()}
        live = figures(summary_for(root, **period))
        assert live["by_source"]["city"] and live["by_source"]["referred_up"]
        rollup_statistics(days=(NOW.date() - date(2024, 10, 1)).days)
        days = DailyStatDay.objects.count()
        try:
            # Back: one cell per day and key again; the days with cells of another source go.
            _migrate(BEFORE)
            assert _count("SELECT count(*) FROM grievances_monthlycountystat WHERE dimension = 'source'") == 0
            kept = _count("SELECT count(*) FROM grievances_dailystatday")
            assert 0 < kept < days

            # Rolled up the old way, every case counted as its own: forward, the days holding a
            # case handed down or referred up are forgotten, the months summed with the source.
            with connection.cursor() as cursor:
                for table in ("dailystat", "dailystatday", "monthlycountystat"):
                    cursor.execute(f"DELETE FROM grievances_{table}")
                cursor.execute(ROLLUP_WITHOUT_SOURCE, [NOW.date()])
        finally:
            _migrate()
        rolled = set(DailyStatDay.objects.values_list("date", flat=True))
        linked = {
            timezone.localtime(created_at).date()
            for created_at in Petition.objects.exclude(source="own").values_list("created_at", flat=True)
        }
        assert rolled and not rolled & linked
        assert MonthlyCountyStat.objects.filter(dimension="source").exclude(value="own").count() == 0
        assert figures(summary_for(root, **period)) == live
        assert figures(summary_for(root, monthly=False, **period)) == live
