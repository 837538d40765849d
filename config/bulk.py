"""Writing many rows in one statement without a model instance per row: the sweeps' speed trick.

`bulk_create` builds a model instance per row and `bulk_update` a `CASE WHEN id = … THEN …`
per row and field; for the escalation sweep's chunks (500 cases: a miss, an escalation, a
lead, an event and a few notifications each, and one UPDATE of the cases) that Python cost
was more than the rest of the chunk together. These helpers send each column as one array
and let PostgreSQL unnest them: `INSERT … SELECT * FROM unnest(%s::type[], …)` and
`UPDATE … FROM unnest(…) AS v(…) WHERE table.id = v.id`. What it buys: the notification
rows of one chunk (2,700) took 314 ms through `bulk_create` and 148 ms through `insert_rows`
(medians of 5, on the benchmark's 1,000,000-case province: `python -m bench.bulk_writes`),
about 170 ms of each of the 200 chunks of the W4 sweep (bench/README.md). Other databases (SQLite for `make run`) get Django's bulk methods.

The values pass through the driver as parameters (never into the SQL text); the columns are
named by the model's fields. Rows are plain tuples, so a caller gives the columns once
(`names`, field attnames) and each row in that order. The tests are tests/test_bulk.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def _array_type(field: models.Field) -> str:
    return field.db_type(connection).split("(")[0]


def _preparer(field: models.Field):
    """How a value of this field goes to the driver inside an array: JSON prepared by the field,
    text as text (a lazy translation or a TextChoices member as its string), the rest as is."""
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, (models.CharField, models.TextField)):
        return lambda value: value if value is None or type(value) in (int, bool, str) else str(value)
    return lambda value: value


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: list[tuple],
    *,
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert `rows` (tuples of the fields `names`, by attname) in one statement, optionally
    `ON CONFLICT DO NOTHING`, returning the columns `returning` of each row inserted."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], ignore_conflicts=ignore_conflicts
        )
        return [tuple(getattr(obj, name) for name in returning) for obj in made] if returning else []
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{_array_type(field)}[]" for field in fields)
    values = [[prepare(row[i]) for row in rows] for i, prepare in enumerate(map(_preparer, fields))]
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    back = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}){conflict}"
            + (f" RETURNING {back}" if returning else ""),
            values,
        )
        return [tuple(row) for row in cursor.fetchall()] if returning else []


def update_rows(model: type[models.Model], names: Sequence[str], objects: list[models.Model]) -> None:
    """Write the fields `names` of these saved instances in one UPDATE (as `bulk_update`)."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, list(names))
        return
    fields = [model._meta.get_field(name) for name in names]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields)
    arrays = ", ".join(f"%s::{_array_type(field)}[]" for field in [pk, *fields])
    names_sql = ", ".join(quote(field.column) for field in [pk, *fields])
    values = [[obj.pk for obj in objects]]
    values += [[field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objects] for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names_sql})"
            f" WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}",
            values,
        )
