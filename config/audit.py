"""The append-only audit tables on PostgreSQL (docs/operations.md, "Audit events are append-only").

One trigger function per table refuses any change but INSERT: a row trigger for UPDATE and
DELETE (migrations petitions 0007, evaluations 0002) and a statement trigger for TRUNCATE
(petitions 0012, evaluations 0003; both at once for the cadre sheets' events, evaluations 0004). The migrations call these helpers, so the SQL is written
once; what a helper returns for a given table must not change, or an old migration would
install something else on a new database: change the triggers with a new migration.

A trigger does not stop the tables' owner, who may `ALTER TABLE … DISABLE TRIGGER`: the
application runs as a role that owns nothing (`manage.py create_runtime_role`).
"""

from __future__ import annotations

# Table → what its rows are, in the message of a refusal.
APPEND_ONLY_TABLES = {
    "petitions_petitionevent": "case events",
    "evaluations_appraisalevent": "appraisal events",
    "evaluations_cadresheetevent": "cadre sheet events",
}


def _names(table: str) -> tuple[str, str, str]:
    """The function, the row trigger and the TRUNCATE trigger of `table`."""
    short = table.split("_", 1)[1]  # petitions_petitionevent → petitionevent
    return f"{table}_append_only", f"{short}_append_only", f"{short}_no_truncate"


def create_row_trigger_sql(table: str) -> str:
    function, trigger, _truncate = _names(table)
    return f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY_TABLES[table]} are append-only: % of % refused', TG_OP, TG_TABLE_NAME
        USING HINT = 'Record a correction as a new event instead.';
END;
$$;
DROP TRIGGER IF EXISTS {trigger} ON {table};
CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""


def drop_row_trigger_sql(table: str) -> str:
    function, trigger, _truncate = _names(table)
    return f"""
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP FUNCTION IF EXISTS {function}();
"""


def create_truncate_trigger_sql(table: str) -> str:
    """TRUNCATE fires no row trigger: a statement trigger on the same function refuses it,
    also when the table is emptied by `TRUNCATE <a table it references> CASCADE`."""
    function, _row, trigger = _names(table)
    return f"""
DROP TRIGGER IF EXISTS {trigger} ON {table};
CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


def drop_truncate_trigger_sql(table: str) -> str:
    _function, _row, trigger = _names(table)
    return f"DROP TRIGGER IF EXISTS {trigger} ON {table};"


def truncate_trigger_name(table: str) -> str:
    return _names(table)[2]


def trigger_names() -> list[tuple[str, str]]:
    """(table, trigger) of every append-only trigger, sorted."""
    return sorted((table, name) for table in APPEND_ONLY_TABLES for name in _names(table)[1:])


def truncate_guard(table: str):
    """The migration operation that installs (and, backwards, removes) `table`'s TRUNCATE
    trigger, on PostgreSQL only (SQLite has no TRUNCATE)."""
    from django.db import migrations

    def install(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create_truncate_trigger_sql(table), params=None)

    def remove(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop_truncate_trigger_sql(table), params=None)

    return migrations.RunPython(install, remove, elidable=False)


class AppendOnly:
    """A model mixin for rows written once (an audit trail): saving a stored row again, or
    deleting one, is refused in Python too, where no trigger guards the table (SQLite, or a
    table without one). `append_only_label` names the rows in the refusal."""

    append_only_label = "these rows"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError(f"{self.append_only_label} are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{self.append_only_label} are append-only")
