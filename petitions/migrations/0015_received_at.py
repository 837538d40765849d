"""When a grievance reached a desk (`received_at`), apart from when it was registered
(`created_at`), with the reason for a late registration. The cases already registered were
received when they were registered, as far as anyone knows: they get their registration time."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def received_when_registered(apps, schema_editor):
    Petition = apps.get_model("petitions", "Petition")
    Petition.objects.update(received_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0014_client_ref"),
    ]

    operations = [
        migrations.AddField(
            model_name="petition",
            name="late_reason",
            field=models.TextField(blank=True, max_length=1000, verbose_name="why registered late"),
        ),
        migrations.AddField(
            model_name="petition",
            name="received_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="received at"),
        ),
        migrations.RunPython(received_when_registered, migrations.RunPython.noop, elidable=False),
    ]
