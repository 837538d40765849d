"""Re-encrypt the ID numbers under the newest FIELD_ENCRYPTION_KEY (docs/operations.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from petitions.services import id_numbers_rekey


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored ID number, and recompute its digest, under the first key of "
        "FIELD_ENCRYPTION_KEY. Run after putting a new key in front; then remove the old key."
    )

    def handle(self, *args, **options):
        done = id_numbers_rekey()
        self.stdout.write(_("%(n)d ID numbers re-encrypted under the current key.") % {"n": done})
