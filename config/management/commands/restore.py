"""Restore a backup made by `manage.py backup` into a PostgreSQL database (docs/operations.md)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import dj_database_url
import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from config.management.commands.backup import media_archive_for, pg_connection, require_postgresql, tool


def table_count(settings_dict: dict) -> int:
    """How many tables the target database has outside the system schemas."""
    try:
        connection = psycopg2.connect(
            dbname=settings_dict["NAME"],
            user=settings_dict.get("USER") or None,
            password=settings_dict.get("PASSWORD") or None,
            host=settings_dict.get("HOST") or None,
            port=settings_dict.get("PORT") or None,
            connect_timeout=10,
        )
    except psycopg2.Error as error:
        raise CommandError(_("Cannot connect to the target database: %(error)s") % {"error": error}) from None
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


class Command(BaseCommand):
    help = (
        "Restore a dump made by `manage.py backup` with pg_restore (--clean --if-exists --no-owner, one "
        "transaction: all or nothing) into the configured database or --database-url. Refuses a database "
        "that already has tables unless --force. The uploaded files (.media.tar.gz next to the dump) go "
        "to MEDIA_ROOT or --media-root."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .dump file written by `manage.py backup`")
        parser.add_argument("--database-url", help="restore into this database instead (postgres://user@host/name)")
        parser.add_argument("--force", action="store_true", help="replace what the target database holds")
        parser.add_argument("--media-root", help="where to unpack the uploaded files (default: MEDIA_ROOT)")
        parser.add_argument("--no-media", action="store_true", help="restore the database only")

    def handle(self, *args, file: str, database_url: str | None = None, force: bool = False, **options):
        dump = Path(file)
        if not dump.is_file():
            raise CommandError(_("No such backup file: %(file)s") % {"file": dump})
        if database_url:
            try:
                settings_dict = dj_database_url.parse(database_url)
            except ValueError as error:
                raise CommandError(_("Not a database URL: %(error)s") % {"error": error}) from None
        else:
            settings_dict = connections["default"].settings_dict
        require_postgresql(settings_dict)

        tables = table_count(settings_dict)
        if tables and not force:
            raise CommandError(
                _(
                    "The database %(name)s is not empty (%(n)d tables). Restore into a new, empty database, "
                    "or add --force to replace its contents."
                )
                % {"name": settings_dict["NAME"], "n": tables}
            )
        args, env = pg_connection(settings_dict)
        command = [
            tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *args,
            "--dbname",
            str(settings_dict["NAME"]),
            str(dump),
        ]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CommandError(
                _("pg_restore failed (exit code %(code)d); the database was left as it was: %(error)s")
                % {"code": result.returncode, "error": result.stderr.strip()}
            )
        self.stdout.write(_("Database %(name)s restored from %(file)s") % {"name": settings_dict["NAME"], "file": dump})

        archive = media_archive_for(dump)
        if options["no_media"] or not archive.is_file():
            return
        media = Path(options["media_root"] or settings.MEDIA_ROOT)
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            # The "data" filter refuses absolute paths, links out of the folder and device files.
            tar.extractall(media, filter="data")
        self.stdout.write(_("Uploaded files restored to %(folder)s") % {"folder": media})
