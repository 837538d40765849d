"""Appraisal events are append-only in the database too (PostgreSQL only).

A trigger refuses every UPDATE and DELETE of a row of evaluations_appraisalevent, whoever sends
it: the ORM, the admin, a psql session. TRUNCATE is not blocked (statement-level, and the test
runner empties tables with it); see docs/operations.md. SQLite has no such trigger: there the
services (which only insert) and the read-only admin are the only line.
"""

from django.db import migrations

TABLE = "evaluations_appraisalevent"
FUNCTION = "evaluations_appraisalevent_append_only"
TRIGGER = "appraisalevent_append_only"

CREATE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'appraisal events are append-only: % of % refused', TG_OP, TG_TABLE_NAME
        USING HINT = 'Record a correction as a new event instead.';
END;
$$;
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
