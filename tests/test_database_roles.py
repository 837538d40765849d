"""The application runs as a PostgreSQL role that owns nothing (docs/operations.md, "The database
roles"): `manage.py create_runtime_role` (what docker-compose.yml and .ci/run run after
`migrate`) gives it the rows of every table and nothing else. Connected as that role, the
application registers and handles cases, while TRUNCATE, ALTER TABLE … DISABLE TRIGGER, UPDATE
and DELETE of the audit tables are refused. The test database belongs to the test run's role,
the owner here, as the production database belongs to the role that migrates it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from config.audit import APPEND_ONLY_TABLES, trigger_names
from evaluations.cadre.services import cadre_sheet_create
from evaluations.models import AppraisalEvent
from evaluations.services import campaign_create
from petitions.models import Petition, PetitionEvent

BASE_DIR = Path(__file__).resolve().parent.parent

# CI runs on PostgreSQL: there these tests must run, never skip.
pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" and not os.environ.get("CI"),
        reason="database roles are PostgreSQL's (set DATABASE_URL=postgres://… to run)",
    ),
    pytest.mark.django_db(transaction=True),
]


class Role:
    def __init__(self, name: str, password: str):
        self.name, self.password = name, password
        db = connection.settings_dict
        self.host, self.port, self.database = db["HOST"] or "localhost", db["PORT"] or 5432, db["NAME"]

    @property
    def url(self) -> str:
        return f"postgres://{self.name}:{self.password}@{self.host}:{self.port}/{self.database}"

    def connect(self):
        conn = psycopg2.connect(
            dbname=self.database, user=self.name, password=self.password, host=self.host, port=self.port
        )
        conn.autocommit = True
        return conn


def _drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [name])
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


@pytest.fixture
def runtime_role(transactional_db):
    """A runtime role made by the command itself, in the test database; roles belong to the whole
    server, so the name is this run's own, and the role is dropped afterwards."""
    role = Role(f"suqiu_runtime_test_{os.getpid()}", secrets.token_urlsafe(18))
    _drop(role.name)
    call_command("create_runtime_role", database_url=role.url, verbosity=0)
    yield role
    _drop(role.name)


def refused(cursor, sql: str, message: str, params=()) -> None:
    with pytest.raises(psycopg2.Error, match=message):
        cursor.execute(sql, params)


def test_connected_as_the_runtime_role_the_audit_trail_cannot_be_rewritten_or_emptied(register, world, runtime_role):
    event = PetitionEvent.objects.get(petition=register().petition)
    campaign_create(
        actor=world.users["supervisor"],
        region=world.region("东镇"),
        name="2026年度东镇基层站所民主评议",
        year=2026,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        stations=[world.units["east_finance"]],
    )
    assert AppraisalEvent.objects.exists()
    # A cadre assessment sheet's event too: every append-only table holds a row to refuse changing.
    cadre_sheet_create(
        actor=world.users["supervisor"], unit=world.units["east_finance"], year=2026, parts=[("日常监督检查", 70)]
    )
    columns = ", ".join(f.column for f in PetitionEvent._meta.concrete_fields if not f.primary_key)
    conn = runtime_role.connect()
    try:
        with conn.cursor() as cursor:
            # The rows are the application's: it reads and changes cases and appends events.
            cursor.execute("SELECT count(*) FROM petitions_petition")
            assert cursor.fetchone()[0] == 1
            cursor.execute("UPDATE petitions_petition SET title = title || '（续）' WHERE id = %s", [event.petition_id])
            assert cursor.rowcount == 1
            cursor.execute(
                f"INSERT INTO petitions_petitionevent ({columns}) SELECT {columns} FROM petitions_petitionevent "
                "WHERE id = %s",
                [event.pk],
            )
            assert cursor.rowcount == 1

            for table, what in APPEND_ONLY_TABLES.items():
                refused(cursor, f"TRUNCATE {table}", f"permission denied for table {table}")
                for trigger in [name for t, name in trigger_names() if t == table] + ["ALL", "USER"]:
                    refused(cursor, f"ALTER TABLE {table} DISABLE TRIGGER {trigger}", f"must be owner of table {table}")
                refused(cursor, f"DROP TRIGGER {table.split('_', 1)[1]}_append_only ON {table}", "must be owner")
                refused(cursor, f"ALTER TABLE {table} RENAME TO {table}_old", f"must be owner of table {table}")
                refused(cursor, f"UPDATE {table} SET note = 'x'", f"{what} are append-only: UPDATE of {table} refused")
                refused(cursor, f"DELETE FROM {table}", f"{what} are append-only: DELETE of {table} refused")
            refused(cursor, "TRUNCATE petitions_petition CASCADE", "permission denied for table petitions_petition")
            refused(cursor, "SET session_replication_role = replica", "permission denied")
    finally:
        conn.close()

    assert PetitionEvent.objects.filter(petition_id=event.petition_id).count() == 2
    assert Petition.objects.get(pk=event.petition_id).title.endswith("（续）")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O'")
        assert cursor.fetchone()[0] >= len(trigger_names())


def test_the_application_runs_as_the_runtime_role(world, categories, runtime_role):
    """The services themselves, in a process of their own connected as the runtime role: a case
    registered and accepted (rows, sequences, events), and `manage.py flush` refused."""
    script = (
        "import django; django.setup()\n"
        "from stations.models import Region, User\n"
        "from petitions.models import Category\n"
        "from petitions.services import petition_accept, petition_register\n"
        "case = petition_register(actor=User.objects.get(username='clerk'), channel='visit',"
        " category=Category.objects.get(code='infrastructure'), region=Region.objects.get(name='东一村'),"
        " title='村道塌方', content='东一村三组村道雨后塌方。', complainant_name='字红梅',"
        " complainant_phone='13800138000').petition\n"
        "petition_accept(petition_id=case.pk, actor=User.objects.get(username='handler'))\n"
        "print(case.pk)\n"
    )
    # Eager tasks: the notifications the case queues are sent in the process, not left in a broker.
    env = {**os.environ, "DATABASE_URL": runtime_role.url, "CELERY_TASK_ALWAYS_EAGER": "true"}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    case = Petition.objects.get(pk=int(run.stdout.split()[-1]))
    assert case.status == "accepted"
    assert list(case.events.values_list("verb", flat=True).order_by("pk")) == ["registered", "accepted"]

    flush = subprocess.run(
        [sys.executable, "manage.py", "flush", "--noinput"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert flush.returncode != 0 and "couldn't be flushed" in flush.stderr
    assert Petition.objects.filter(pk=case.pk).exists()


def test_tables_added_later_by_the_owner_are_the_runtime_roles_too(runtime_role):
    """Default privileges: a table a later migration creates is readable and writable by the
    runtime role before anyone runs the command again, and still not its to truncate."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE suqiu_later_table (id bigint GENERATED BY DEFAULT AS IDENTITY, note text)")
    try:
        conn = runtime_role.connect()
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO suqiu_later_table (note) VALUES ('新表') RETURNING id")
            cursor.execute("SELECT note FROM suqiu_later_table")
            assert cursor.fetchall() == [("新表",)]
            refused(cursor, "TRUNCATE suqiu_later_table", "permission denied")
            refused(cursor, "DROP TABLE suqiu_later_table", "must be owner")
        conn.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE suqiu_later_table")


def test_the_command_refuses_to_make_the_owner_the_runtime_role():
    db = connection.settings_dict
    owner_url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    # The message is in the active language: say which, whatever an earlier test left active.
    with translation.override("en"), pytest.raises(CommandError, match="owner of the tables"):
        call_command("create_runtime_role", database_url=owner_url)
    with translation.override("zh-hans"), pytest.raises(CommandError, match="数据表的所有者"):
        call_command("create_runtime_role", database_url=owner_url)
