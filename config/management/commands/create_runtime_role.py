"""Create (or bring up to date) the PostgreSQL role the application runs as (docs/operations.md,
"The database roles").

The tables belong to the role that runs `migrate` (the owner). Web, worker and beat connect as
another role that owns nothing: it may read and write rows, and nothing else. An owner may
TRUNCATE, ALTER a table or DISABLE its triggers, so only a non-owner is held by the append-only
triggers of the audit tables (config/audit.py). Run this as the owner after every `migrate`:
it is idempotent, and the default privileges it sets cover the tables later migrations add.
"""

from __future__ import annotations

import os
import re

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.translation import gettext as _

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"


def grant_statements(role: str, owner: str, database: str, schema: str) -> list[str]:
    """What the runtime role may do, as SQL run by the owner (or a superuser): rows of every
    table, now and in the tables the owner creates later; never TRUNCATE, REFERENCES or
    TRIGGER, and no ALTER or DROP, which belong to the owner alone."""
    return [
        f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {role}',
        f'GRANT USAGE ON SCHEMA "{schema}" TO {role}',
        # Start from nothing, so a privilege granted by hand (TRUNCATE…) does not linger.
        f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}',
        f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {role}',
        f'GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA "{schema}" TO {role}',
        f'GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role}',
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "{schema}" GRANT {TABLE_PRIVILEGES} ON TABLES TO {role}',
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "{schema}" '
        f"GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {role}",
    ]


class Command(BaseCommand):
    help = (
        "Create the PostgreSQL role the application runs as (user and password of --database-url, default "
        "$APP_DATABASE_URL), or update its password, and grant it SELECT, INSERT, UPDATE and DELETE on every "
        "table and USAGE on every sequence, now and for tables added later. Run it as the tables' owner "
        "(DATABASE_URL), after migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-url",
            default=os.environ.get("APP_DATABASE_URL", ""),
            help="the URL the application connects with: postgres://ROLE:PASSWORD@host:5432/name",
        )
        parser.add_argument("--print-sql", action="store_true", help="print the grants instead of running them")

    def handle(self, *args, database_url: str, print_sql: bool = False, **options):
        if connection.vendor != "postgresql":
            raise CommandError(_("The runtime role is a PostgreSQL role: DATABASE_URL is not PostgreSQL."))
        if not database_url:
            raise CommandError(_("Give the application's database URL: --database-url or APP_DATABASE_URL."))
        target = dj_database_url.parse(database_url)
        role, password = target.get("USER") or "", target.get("PASSWORD") or ""
        if not ROLE_NAME.match(role):
            raise CommandError(
                _("The role name %(role)s must be lower-case letters, digits and underscores.") % {"role": repr(role)}
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            owner, database, schema = cursor.fetchone()
        if target.get("NAME") and target["NAME"] != database:
            raise CommandError(
                _("The application's URL names database %(theirs)s, but this connection is to %(ours)s.")
                % {"theirs": target["NAME"], "ours": database}
            )
        if role == owner:
            raise CommandError(
                _("The application must not connect as %(role)s, the owner of the tables: give it a role of its own.")
                % {"role": role}
            )
        statements = grant_statements(role, owner, database, schema)
        if print_sql:
            self.stdout.write(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '…';")
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            created = self._ensure_role(cursor, role, password, owner)
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND has_table_privilege(%s, "
                "format('%%I.%%I', schemaname, tablename), 'INSERT')",
                [schema, role],
            )
            tables = cursor.fetchone()[0]
        if created:
            message = _("Role %(role)s created: it may read and write the rows of %(tables)d tables and owns none.")
        else:
            message = _("Role %(role)s brought up to date: it may read and write the rows of %(tables)d tables.")
        self.stdout.write(message % {"role": role, "tables": tables})

    def _ensure_role(self, cursor, role: str, password: str, owner: str) -> bool:
        """Create the role, or check that the existing one is fit to be the runtime role."""
        from psycopg2.extensions import encrypt_password

        # The password goes to the server hashed as the server hashes passwords (SCRAM), never
        # in clear text in a statement that a log could keep.
        hashed = encrypt_password(password, role, connection.connection) if password else None
        cursor.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                + (" PASSWORD %s" if hashed else ""),
                [hashed] if hashed else [],
            )
            return True
        if any(row):
            raise CommandError(
                _("Role %(role)s may create roles, databases or is a superuser: it cannot be the runtime role.")
                % {"role": role}
            )
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
            " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
            " + (SELECT count(*) FROM pg_database WHERE datdba = r.oid), pg_has_role(r.oid, %s, 'MEMBER')"
            " FROM pg_roles r WHERE r.rolname = %s",
            [owner, role],
        )
        owned, member = cursor.fetchone()
        if owned or member:
            raise CommandError(
                _(
                    "Role %(role)s owns tables, schemas or databases, or holds the owner's rights: "
                    "it cannot be the runtime role."
                )
                % {"role": role}
            )
        if hashed:
            cursor.execute(f"ALTER ROLE {role} LOGIN PASSWORD %s", [hashed])
        return False
