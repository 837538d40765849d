"""ID numbers encrypted at rest, matched through a keyed digest (petitions/idnumbers.py).

Existing plain numbers are encrypted and their digests filled in place. Reversible: going
back decrypts them into the plain column again (with the same FIELD_ENCRYPTION_KEY).
"""

from django.db import migrations, models

import petitions.idnumbers

BATCH = 500


def encrypt_existing(apps, schema_editor):
    """Read each number (a plain value does not decrypt and comes back as it is), write it
    back through the field (which encrypts it) with its digest."""
    from petitions.idnumbers import id_number_digest, normalize_id_number

    Petition = apps.get_model("petitions", "Petition")
    rows = Petition.objects.using(schema_editor.connection.alias).exclude(complainant_id_number="").only(
        "pk", "complainant_id_number"
    )
    batch = []
    for petition in rows.order_by("pk").iterator(chunk_size=BATCH):
        number = normalize_id_number(petition.complainant_id_number)
        petition.complainant_id_number = number
        petition.complainant_id_digest = id_number_digest(number)
        batch.append(petition)
        if len(batch) >= BATCH:
            Petition.objects.bulk_update(batch, ["complainant_id_number", "complainant_id_digest"])
            batch = []
    if batch:
        Petition.objects.bulk_update(batch, ["complainant_id_number", "complainant_id_digest"])


def decrypt_existing(apps, schema_editor):
    """Write the decrypted numbers back as plain text (raw SQL: the field would encrypt)."""
    Petition = apps.get_model("petitions", "Petition")
    rows = Petition.objects.using(schema_editor.connection.alias).exclude(complainant_id_number="")
    table = schema_editor.quote_name(Petition._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for pk, number in rows.values_list("pk", "complainant_id_number").iterator(chunk_size=BATCH):
            cursor.execute(f"UPDATE {table} SET complainant_id_number = %s WHERE id = %s", [number[:18], pk])


class Migration(migrations.Migration):
    dependencies = [("petitions", "0007_audit_trigger")]

    operations = [
        migrations.RemoveIndex(model_name="petition", name="petition_id_number"),
        migrations.AddField(
            model_name="petition",
            name="complainant_id_digest",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="petition",
            name="complainant_id_number",
            field=petitions.idnumbers.EncryptedIdNumberField(
                blank=True, max_length=18, verbose_name="complainant's ID number"
            ),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
        migrations.AddIndex(
            model_name="petition",
            index=models.Index(fields=["complainant_id_digest"], name="petition_id_digest"),
        ),
    ]
