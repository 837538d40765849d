"""The records the services write are view-only in the Django admin, for superusers too."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.forms.models import model_to_dict
from django.urls import reverse

from petitions import services
from petitions.models import DeadlineMiss, Escalation, SupervisionNotice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_routes")]


@pytest.fixture
def records(world, register):
    case = register().petition
    notice = services.notice_issue(petition_id=case.pk, actor=world.users["supervisor"], text="请按期办结。", days=5)
    escalation = Escalation.objects.create(
        petition=case,
        level="county",
        kind="acceptance",
        from_unit=world.units["east_centre"],
        missed_due_at=case.created_at,
    )
    miss = DeadlineMiss.objects.create(
        unit=world.units["east_centre"], petition=case, kind="acceptance", due_at=case.created_at
    )
    return [notice, escalation, miss]


def _rows() -> list[list[dict]]:
    return [
        [model_to_dict(row) for row in model.objects.order_by("pk")]
        for model in (SupervisionNotice, Escalation, DeadlineMiss)
    ]


def test_notices_escalations_and_misses_cannot_be_changed_or_deleted_in_the_admin(client, world, records):
    client.force_login(world.users["root"])
    before = _rows()
    for record in records:
        meta = record._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        change = reverse(f"{name}_change", args=[quote(record.pk)])
        delete = reverse(f"{name}_delete", args=[quote(record.pk)])
        changelist = reverse(f"{name}_changelist")

        listed = client.get(changelist)
        assert listed.status_code == 200, changelist
        assert change in listed.content.decode(), changelist
        assert client.get(change).status_code == 200, change  # read-only detail
        assert client.get(reverse(f"{name}_add")).status_code == 403
        edited = {key: value for key, value in model_to_dict(record).items() if value is not None}
        assert client.post(change, {**edited, "kind": "handling", "text": "改"}).status_code == 403
        assert client.get(delete).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        # The bulk "delete selected" action is not offered either.
        client.post(changelist, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"})
    assert _rows() == before
