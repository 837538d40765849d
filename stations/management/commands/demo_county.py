"""Create the demo county (or complete it) and print the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from stations.demo import COUNTY, DEMO_PASSWORD, SECOND_COUNTY, load_demo_county
from stations.models import Region, Unit, User


class Command(BaseCommand):
    help = (
        "Load the demo county shaped like seed 003 (13 townships, 187 villages), the city's staff above it "
        "and a small second county. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args, quiet_logins: bool = False, **options):
        county_codes = [COUNTY[0], SECOND_COUNTY[0]]
        existed = set(Region.objects.filter(code__in=county_codes).values_list("code", flat=True))
        logins = load_demo_county()
        for code in county_codes:
            self._write_figures(Region.objects.get(code=code), existed=code in existed)
        if quiet_logins:
            return
        self.stdout.write(_("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD})
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username:<{width}} {login.role:<10} {login.unit}")
        self.stdout.write(_("  …and a clerk for every village station: clerk_<village code>."))

    def _write_figures(self, county: Region, *, existed: bool) -> None:
        subtree = county.subtree()
        self.stdout.write(
            _("%(state)s %(county)s: %(townships)d townships, %(villages)d villages, %(units)d units, %(staff)d staff.")
            % {
                "state": _("Kept the existing") if existed else _("Created"),
                "county": county.name,
                "townships": subtree.filter(level="township").count(),
                "villages": subtree.filter(level="village").count(),
                "units": Unit.objects.filter(region__in=subtree).count(),
                "staff": User.objects.filter(memberships__unit__region__in=subtree).distinct().count(),
            }
        )
