"""Backups: `manage.py backup` dumps the database and the uploaded files, `manage.py restore`
brings them back into an empty PostgreSQL database, whole."""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from petitions.models import Petition, PetitionEvent
from petitions.services import petition_accept, petition_note

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore need PostgreSQL (set DATABASE_URL=postgres://… to run)",
)


def _connect(settings_dict: dict, name: str):
    return psycopg2.connect(
        dbname=name,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
    )


def _url(settings_dict: dict, name: str) -> str:
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else "")
    return f"postgres://{auth}@{settings_dict['HOST'] or 'localhost'}:{settings_dict['PORT'] or 5432}/{name}"


@pytest.fixture
def scratch_database():
    """A new, empty database next to the test database, dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"suqiu_restore_test_{secrets.token_hex(4)}"
    admin = _connect(settings_dict, "postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_case_and_event_into_a_new_database(
    register, world, scratch_database, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "attachments").mkdir(parents=True)
    (settings.MEDIA_ROOT / "attachments" / "letter.pdf").write_bytes(b"%PDF-1.4 scanned letter")
    first = register(complainant_id_number="11010519491231002X").petition
    petition_accept(petition_id=first.pk, actor=world.users["handler"])
    petition_note(petition_id=first.pk, actor=world.users["handler"], text="已联系村委")
    second = register(title="路灯不亮", complainant_phone="13900139000").petition
    numbers = sorted(Petition.objects.values_list("tracking_number", flat=True))
    events = PetitionEvent.objects.count()
    assert numbers == sorted([first.tracking_number, second.tracking_number]) and events >= 4

    dump = tmp_path / "backups" / "suqiu.dump"
    call_command("backup", output=str(dump), verbosity=0)
    assert dump.is_file() and dump.stat().st_size > 0
    assert (tmp_path / "backups" / "suqiu.media.tar.gz").is_file()

    url = _url(connection.settings_dict, scratch_database)
    restored_media = tmp_path / "restored-media"
    call_command("restore", str(dump), database_url=url, media_root=str(restored_media), verbosity=0)

    copy = _connect(connection.settings_dict, scratch_database)
    try:
        with copy.cursor() as cursor:
            cursor.execute("SELECT tracking_number FROM petitions_petition ORDER BY tracking_number")
            assert [row[0] for row in cursor.fetchall()] == numbers
            cursor.execute("SELECT count(*) FROM petitions_petitionevent")
            assert cursor.fetchone()[0] == events
            cursor.execute(
                "SELECT p.tracking_number, e.verb FROM petitions_petitionevent e "
                "JOIN petitions_petition p ON p.id = e.petition_id ORDER BY e.id"
            )
            assert cursor.fetchall() == list(
                PetitionEvent.objects.order_by("id").values_list("petition__tracking_number", "verb")
            )
            # The ID number came over encrypted, as it was.
            cursor.execute(
                "SELECT complainant_id_number FROM petitions_petition WHERE tracking_number = %s",
                [first.tracking_number],
            )
            assert cursor.fetchone()[0].startswith("gAAAA")
            # The append-only trigger came with the schema.
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'petitionevent_append_only'")
            assert cursor.fetchone()[0] == 1
            with pytest.raises(psycopg2.Error, match="append-only"):
                cursor.execute("DELETE FROM petitions_petitionevent")
    finally:
        copy.close()
    assert (restored_media / "attachments" / "letter.pdf").read_bytes() == b"%PDF-1.4 scanned letter"

    # A database with tables is not overwritten by accident.
    with pytest.raises(CommandError, match="不是空的"):
        call_command("restore", str(dump), database_url=url, no_media=True, verbosity=0)
    call_command("restore", str(dump), database_url=url, no_media=True, force=True, verbosity=0)


@on_postgresql
@pytest.mark.django_db
def test_a_broken_dump_is_refused_with_pg_restore_s_error(tmp_path, scratch_database):
    bad = tmp_path / "broken.dump"
    bad.write_bytes(b"not a dump")
    url = _url(connection.settings_dict, scratch_database)
    with pytest.raises(CommandError, match="pg_restore 执行失败"):
        call_command("restore", str(bad), database_url=url, verbosity=0)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite advice")
def test_on_sqlite_backup_says_to_copy_the_file(tmp_path):
    with pytest.raises(CommandError, match="复制数据库文件"):
        call_command("backup", output=str(tmp_path / "x.dump"))
    with pytest.raises(CommandError, match="复制数据库文件"):
        call_command("restore", str(Path(__file__)))


def test_restore_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="备份文件不存在"):
        call_command("restore", str(tmp_path / "nothing.dump"))
