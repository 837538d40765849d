"""Appraisal events are append-only in the database too (PostgreSQL only).

A trigger refuses every UPDATE and DELETE of a row of evaluations_appraisalevent, whoever sends
it: the ORM, the admin, a psql session. TRUNCATE is refused from migration 0003 on. The SQL is
in config/audit.py (shared with petitions 0007); see docs/operations.md. SQLite has no such
trigger: there the services (which only insert) and the read-only admin are the only line.
"""

from django.db import migrations

from config.audit import create_row_trigger_sql, drop_row_trigger_sql

TABLE = "evaluations_appraisalevent"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(create_row_trigger_sql(TABLE), params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(drop_row_trigger_sql(TABLE), params=None)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
