"""Pre-fill the holiday calendar (节假日安排) from the holiday library."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from petitions.services import holidays_sync


class Command(BaseCommand):
    help = (
        "Add the State Council's holiday arrangement for the given years (default: this year and next) "
        "from the holiday library. Rows an administrator entered are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years", metavar="YEAR")

    def handle(self, *args, years: list[int] | None = None, **options):
        this_year = timezone.localdate().year
        years = sorted(set(years or [this_year, this_year + 1]))
        if any(not 1900 <= year <= 2100 for year in years):
            raise CommandError(_("A year must be between 1900 and 2100."))
        result = holidays_sync(years=years)
        self.stdout.write(
            _(
                "Holiday calendar %(years)s: %(created)d added, %(updated)d updated, %(deleted)d removed, "
                "%(unchanged)d unchanged, %(kept)d kept as the administrator set them."
            )
            % {
                "years": ", ".join(str(year) for year in years),
                "created": result.created,
                "updated": result.updated,
                "deleted": result.deleted,
                "unchanged": result.unchanged,
                "kept": result.kept_admin,
            }
        )
        if result.years_without_data:
            self.stdout.write(
                self.style.WARNING(
                    _("The library has no arrangement for %(years)s yet: enter it in the admin when it is published.")
                    % {"years": ", ".join(str(year) for year in result.years_without_data)}
                )
            )
