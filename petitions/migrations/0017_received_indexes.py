"""The statistics count cases by the day they were received (`received_at`), not registered:
a region's period and the days not rolled up yet are ranges of `received_at` now. The index on
`created_at` stays: the cases registered late for a day already rolled up are found by it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0016_imported"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="petition",
            name="petition_region_created",
        ),
        migrations.AddIndex(
            model_name="petition",
            index=models.Index(fields=["received_at"], name="petition_received"),
        ),
        migrations.AddIndex(
            model_name="petition",
            index=models.Index(fields=["region_code", "received_at"], name="petition_region_received"),
        ),
    ]
