"""Seed the notification routing table (event × audience × channel); an admin edits it afterwards."""

from django.db import migrations

# (event, audience, channel, active)
ROUTES = [
    ("reminded", "holder_unit_staff", "in_app", True),
    ("reminded", "holder_unit_staff", "sms", True),
    ("escalated", "holder_unit_staff", "in_app", True),
    ("escalated", "supervisors_of_region", "in_app", True),
    ("escalated", "supervisors_of_region", "email", False),
    ("red_notice", "commission", "in_app", True),
    ("red_notice", "commission", "sms", True),
    ("notice_issued", "holder_unit_staff", "in_app", True),
    ("notice_issued", "holder_unit_staff", "sms", True),
    ("notice_answered", "supervisors_of_region", "in_app", True),
    ("notice_missed", "commission", "in_app", True),
    ("co_overdue", "holder_unit_staff", "in_app", True),
    ("extension_waiting", "supervisors_of_region", "in_app", True),
    ("closed_no_response", "intake_desk", "in_app", True),
    ("closed_no_response", "resident", "sms", False),
]


def load_routes(apps, schema_editor):
    Route = apps.get_model("petitions", "NotificationRoute")
    db = schema_editor.connection.alias
    for event, audience, channel, active in ROUTES:
        Route.objects.using(db).get_or_create(
            event=event, audience=audience, channel=channel, defaults={"active": active}
        )


class Migration(migrations.Migration):
    dependencies = [("petitions", "0004_jobs_supervision_notifications")]

    operations = [migrations.RunPython(load_routes, migrations.RunPython.noop)]
