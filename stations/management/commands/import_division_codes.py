"""Load a division-code list (统计用区划代码) from a CSV file."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from stations.services import RegionRow, regions_import


def read_rows(path: Path) -> list[RegionRow]:
    """Rows of `code,name[,level]`; a header line and blank lines are skipped."""
    rows: list[RegionRow] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, record in enumerate(csv.reader(handle), start=1):
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if line == 1 and not cells[0].isdigit():
                continue  # header
            code, name = [*cells, ""][:2]
            level = cells[2] if len(cells) > 2 else ""
            rows.append(RegionRow(line=line, code=code, name=name, level=level))
    return rows


class Command(BaseCommand):
    help = "Import regions from a CSV of `code,name[,level]` (UTF-8). All rows or none."

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)

    def handle(self, *args, csv_file: Path, **options):
        if not csv_file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": csv_file})
        try:
            result = regions_import(rows=read_rows(csv_file))
        except ValidationError as error:
            raise CommandError("\n".join([_("Nothing was imported:"), *error.messages])) from None
        self.stdout.write(
            _("Regions: %(created)d created, %(renamed)d renamed, %(unchanged)d unchanged.")
            % {"created": result.created, "renamed": result.renamed, "unchanged": result.unchanged}
        )
