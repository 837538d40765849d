"""TRUNCATE of case events is refused too (PostgreSQL only).

TRUNCATE fires no row trigger, so migration 0007's trigger let it through: a statement trigger
on the same function refuses it (also `TRUNCATE petitions_petition CASCADE`), as the owner
or anyone else. The owner could still disable the trigger: the application runs as a role
that owns nothing (docs/operations.md, "The database roles"). SQL in config/audit.py.
"""

from django.db import migrations

from config.audit import truncate_guard

TABLE = "petitions_petitionevent"


class Migration(migrations.Migration):
    dependencies = [("petitions", "0011_recusals")]

    operations = [truncate_guard(TABLE)]
