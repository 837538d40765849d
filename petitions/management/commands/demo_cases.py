"""Add a few demo cases to the demo county (once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from petitions.demo import load_demo_cases
from stations.demo import COUNTY
from stations.models import Region


class Command(BaseCommand):
    help = "Add demo cases in every state to the demo county (run demo_county first). Idempotent."

    def handle(self, *args, **options):
        if not Region.objects.filter(code=COUNTY[0]).exists():
            raise CommandError(_("Load the demo county first: manage.py demo_county"))
        made = load_demo_cases()
        if made:
            self.stdout.write(_("Added %(n)d demo cases.") % {"n": made})
        else:
            self.stdout.write(_("The demo county already has cases; none added."))
