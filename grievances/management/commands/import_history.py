"""Import a county's past from a workbook (docs/history.md): all rows or none.

    manage.py import_history FILE.xlsx --county 990121000000 [--actor USERNAME] [--check]

Every row is checked first; one refused row and nothing is written, and each refused row is
listed (row, column, why) in the site's language. `--actor` names the administrator the
timeline records (without it, the system); `--check` only checks."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grievances.ledger.history import history_import, history_read
from stations.models import Region, User


class Command(BaseCommand):
    help = "Import a county's past cases from a workbook (docs/history.md): all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--county", required=True, help="the county's 12-digit division code")
        parser.add_argument("--actor", default="", help="the administrator the timeline records")
        parser.add_argument("--check", action="store_true", help="check every row, write nothing")

    def handle(self, *args, file: Path, county: str, actor: str, check: bool, **options):
        region = Region.objects.filter(code=county, level=Region.Level.COUNTY).first()
        if region is None:
            raise CommandError(_("No county has the code %(code)s.") % {"code": county})
        user = None
        if actor:
            user = User.objects.filter(username=actor, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user is called %(name)s.") % {"name": actor})
        if not file.is_file():
            raise CommandError(_("No file at %(path)s.") % {"path": file})

        def progress(phase: str, done: int, total: int) -> None:
            if options["verbosity"] > 1 or (phase == "writing" and done == total):
                self.stderr.write(f"{phase} {done}/{total}")

        with file.open("rb") as source:
            rows, refusal = history_read(source)
        if refusal is not None:
            errors = [refusal]
            result = None
        else:
            result = history_import(actor=user, county=region, rows=rows, dry_run=check, progress=progress)
            errors = result.errors
        if errors:
            self.stdout.write("\t".join([_("row"), _("column"), _("problem")]))
            for error in errors:
                self.stdout.write(f"{error.row}\t{error.column}\t{error.message}")
            raise CommandError(_("%(n)d problems found: nothing was imported.") % {"n": len(errors)})
        if check:
            self.stdout.write(_("All %(n)d rows can be imported: nothing was written.") % {"n": result.rows})
        else:
            self.stdout.write(_("%(n)d cases imported.") % {"n": result.created})
