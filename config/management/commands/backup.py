"""Back up the database (pg_dump, custom format) and the uploaded files (docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _


def media_archive_for(dump: Path) -> Path:
    """The tar of the uploaded files that goes with a dump: `x.dump` → `x.media.tar.gz`."""
    return dump.with_name(dump.stem + ".media.tar.gz")


def pg_connection(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments and environment for a Django database: the password
    travels in PGPASSWORD, never on the command line (where `ps` would show it)."""
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    if sslmode := (settings_dict.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def require_postgresql(settings_dict: dict) -> None:
    if "postgresql" not in settings_dict["ENGINE"]:
        raise CommandError(
            _(
                "backup and restore work with PostgreSQL. With SQLite, stop the web server, worker and beat, "
                "then copy the database file %(file)s (with its -wal file, if any) and the folder %(media)s."
            )
            % {"file": settings_dict.get("NAME"), "media": settings.MEDIA_ROOT}
        )


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            _("%(tool)s was not found: install the PostgreSQL client (Debian: postgresql-client).") % {"tool": name}
        )
    return path


class Command(BaseCommand):
    help = (
        "Back up the database with pg_dump (custom format, restore with `manage.py restore`) and the "
        "uploaded files (MEDIA_ROOT) as a .media.tar.gz next to it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="the dump file to write (default: var/backups/suqiu-<date>-<time>.dump)",
        )
        parser.add_argument("--no-media", action="store_true", help="back up the database only")

    def handle(self, *args, output: str | None = None, no_media: bool = False, **options):
        settings_dict = connections["default"].settings_dict
        require_postgresql(settings_dict)
        if output:
            dump = Path(output).resolve()
        else:
            dump = Path(settings.VAR_DIR) / "backups" / f"suqiu-{timezone.localtime():%Y%m%d-%H%M%S}.dump"
        dump.parent.mkdir(parents=True, exist_ok=True)
        partial = dump.with_name(dump.name + ".partial")
        args, env = pg_connection(settings_dict)
        command = [tool("pg_dump"), "--format=custom", "--file", str(partial), *args, str(settings_dict["NAME"])]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise CommandError(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()})
        # Only a complete dump takes the final name: a crash leaves a .partial, never a bad .dump.
        partial.replace(dump)
        dump.chmod(0o600)
        self.stdout.write(_("Database backed up to %(file)s") % {"file": dump})

        media = Path(settings.MEDIA_ROOT)
        if no_media or not media.is_dir():
            return
        archive = media_archive_for(dump)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(media, arcname=".")
        partial.replace(archive)
        archive.chmod(0o600)
        self.stdout.write(_("Uploaded files backed up to %(file)s") % {"file": archive})
