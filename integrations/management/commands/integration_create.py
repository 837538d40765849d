"""Issue an API key to an outside system and print it (once: only its hash is kept)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from integrations.models import KeyScope
from integrations.services import integration_create
from stations.selectors import region_by_code


class Command(BaseCommand):
    help = "Issue an API key: integration_create NAME --region CODE --scope read_statistics --rate 600/hour"

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the system, e.g. 12345热线")
        parser.add_argument("--region", required=True, help="The 12-digit code of the county or township it acts for")
        parser.add_argument(
            "--scope", action="append", required=True, choices=KeyScope.values, help="Repeat for several scopes"
        )
        parser.add_argument("--rate", help="Requests per period, e.g. 600/hour (default INTEGRATION_DEFAULT_RATE)")
        parser.add_argument("--channel", help="online (default), hotline or phone: how its cases reach it")

    def handle(self, *args, **options):
        region = region_by_code(options["region"])
        if region is None:
            raise CommandError(f"No region with the code {options['region']}.")
        try:
            integration, key = integration_create(
                name=options["name"],
                region=region,
                scopes=options["scope"],
                rate=options["rate"],
                channel=options["channel"],
            )
        except ValidationError as error:
            messages = [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
            raise CommandError("; ".join(messages)) from None
        self.stdout.write(
            f"Integration {integration.name} ({integration.prefix}) for {region.name} {region.code}: "
            f"scopes {', '.join(integration.scopes)}, rate {integration.rate}, channel {integration.channel}."
        )
        self.stdout.write("The key (shown once, store it now):")
        self.stdout.write(key)
