"""The rollup counts the cases by the day they were received (`Petition.received_at`), with
how many whole days late each was registered (`DailyStat.days_late`), and each rolled-up day
says up to which moment of registration its cells count (`DailyStatDay.registered_before`).

The cells kept were counted by the day of registration, all 0 days late. That is right for
every day but those holding a case received on another day than it was registered (or
brought in from the county's past): those days are forgotten, so they are counted live until
the nightly job rolls them again, and the monthly marginals are summed again with the new
dimension. The days kept hold every case received on them so far: they count up to now.
Backwards, the days with cells of a case registered late are forgotten (their cells would
collide) and the months summed without the dimension. Either way the figures stay the live
ones (tests/grievances/test_stats_migration.py)."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# The dimensions of the monthly marginals, with the daily cell's column each sums by.
DIMENSIONS = {
    "level": "level",
    "category": "CAST(category_id AS TEXT)",
    "channel": "channel",
    "status": "status",
    "satisfaction": "satisfaction",
    "source": "source",
}
WITH_DAYS_LATE = DIMENSIONS | {"days_late": "COALESCE(CAST(days_late AS TEXT), '')"}


def _forget_days(cursor, days_sql: str) -> None:
    """Forget the rolled-up days `days_sql` selects: they are counted live until rolled again."""
    cursor.execute(f"CREATE TEMPORARY TABLE forgotten_days AS {days_sql}")
    cursor.execute("DELETE FROM grievances_dailystat WHERE date IN (SELECT day FROM forgotten_days)")
    cursor.execute("DELETE FROM grievances_dailystatday WHERE date IN (SELECT day FROM forgotten_days)")
    cursor.execute("DROP TABLE forgotten_days")


def _sum_months(cursor, postgres: bool, dimensions: dict[str, str]) -> None:
    """The monthly marginals summed again from the daily cells (as `rollup.monthly_rows`)."""
    month = "date_trunc('month', date)::date" if postgres else "strftime('%Y-%m-01', date)"
    cursor.execute("DELETE FROM grievances_monthlycountystat")
    for dimension, column in dimensions.items():
        cursor.execute(
            f"""
            INSERT INTO grievances_monthlycountystat (month, region_code, dimension, value,
                                                      cases, answered, on_time, repeats)
            SELECT {month}, substr(region_code, 1, 6) || '000000', '{dimension}', {column},
                   sum(cases), sum(answered), sum(on_time), sum(repeats)
            FROM grievances_dailystat
            GROUP BY 1, 2, 3, 4
            """
        )


def by_received_day(apps, schema_editor):
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    if postgres:
        zone = settings.TIME_ZONE.replace("'", "")

        def local_day(column: str) -> str:
            return f"({column} AT TIME ZONE '{zone}')::date"
    else:

        def local_day(column: str) -> str:
            return f"date({column}, '+8 hours')"

    with connection.cursor() as cursor:
        _forget_days(
            cursor,
            f"""
            SELECT {local_day("created_at")} AS day FROM petitions_petition
              WHERE {local_day("created_at")} <> {local_day("received_at")} OR imported_at IS NOT NULL
            UNION
            SELECT {local_day("received_at")} FROM petitions_petition
              WHERE {local_day("created_at")} <> {local_day("received_at")} OR imported_at IS NOT NULL
            """,
        )
        _sum_months(cursor, postgres, WITH_DAYS_LATE)


def by_registered_day(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        _forget_days(
            cursor,
            "SELECT DISTINCT date AS day FROM grievances_dailystat WHERE days_late IS NULL OR days_late <> 0",
        )
        _sum_months(cursor, connection.vendor == "postgresql", DIMENSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("grievances", "0004_daily_stat_source"),
        ("petitions", "0016_imported"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="dailystat",
            name="dailystat_cell_unique",
        ),
        migrations.AddField(
            model_name="dailystat",
            name="days_late",
            field=models.PositiveSmallIntegerField(
                blank=True, db_default=0, default=0, null=True, verbose_name="days registered late"
            ),
        ),
        migrations.AddField(
            model_name="dailystatday",
            name="registered_before",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="counts the cases registered before"
            ),
        ),
        migrations.AddConstraint(
            model_name="dailystat",
            constraint=models.UniqueConstraint(
                fields=(
                    "date",
                    "region_code",
                    "level",
                    "category",
                    "channel",
                    "status",
                    "satisfaction",
                    "source",
                    "days_late",
                ),
                name="dailystat_cell_unique",
                nulls_distinct=False,
                violation_error_message="This day's cell is already rolled up.",
            ),
        ),
        migrations.RunPython(by_received_day, by_registered_day),
    ]
