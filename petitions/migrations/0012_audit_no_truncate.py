"""TRUNCATE of case events is refused too (PostgreSQL only).

TRUNCATE fires no row trigger, so migration 0007's trigger let it through: a statement trigger
on the same function refuses it (also `TRUNCATE petitions_petition CASCADE`), as the owner
or anyone else. The owner could still disable the trigger: the application runs as a role
that owns nothing (docs/operations.md, "The database roles"). SQL in config/audit.py.
"""

from django.db import migrations

from config.audit import create_truncate_trigger_sql, drop_truncate_trigger_sql

TABLE = "petitions_petitionevent"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(create_truncate_trigger_sql(TABLE), params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(drop_truncate_trigger_sql(TABLE), params=None)


class Migration(migrations.Migration):
    dependencies = [("petitions", "0011_recusals")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
