"""Audit events are append-only in the database: on PostgreSQL triggers refuse every UPDATE,
DELETE and TRUNCATE of case events and appraisal events, whoever sends it, the tables' owner
included (migrations petitions 0007 and 0012, evaluations 0002 and 0003; SQL in config/audit.py).
That the application's own role cannot lift them is tests/test_database_roles.py. The admin
offers no deletion that would take events along."""

from __future__ import annotations

import os
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from evaluations.models import AppraisalEvent, Campaign
from evaluations.services import campaign_create
from petitions.models import PetitionEvent
from petitions.services import petition_accept

pytestmark = pytest.mark.django_db

# CI runs on PostgreSQL: there these tests must run, never skip.
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql" and not os.environ.get("CI"),
    reason="the append-only trigger exists on PostgreSQL only (set DATABASE_URL=postgres://… to run)",
)


@pytest.fixture
def campaign(world) -> Campaign:
    return campaign_create(
        actor=world.users["supervisor"],
        region=world.region("东镇"),
        name="2026年度东镇基层站所民主评议",
        year=2026,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        stations=[world.units["east_finance"]],
    )


def refused(statement, message: str) -> None:
    """Run `statement` in a savepoint and check the trigger refused it with its message."""
    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        statement()


def raw(sql: str, params: list) -> callable:
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


def snapshot(model, pk: int) -> tuple:
    row = model.objects.filter(pk=pk).values_list("verb", "note", "created_at").first()
    assert row is not None
    return row


@on_postgresql
def test_case_events_cannot_be_updated_or_deleted(register, world):
    petition = register().petition
    event = PetitionEvent.objects.get(petition=petition, verb=PetitionEvent.Verb.REGISTERED)
    before = snapshot(PetitionEvent, event.pk)
    message = "case events are append-only: {op} of petitions_petitionevent refused"

    table = PetitionEvent._meta.db_table
    refused(raw(f"UPDATE {table} SET note = %s WHERE id = %s", ["改写", event.pk]), message.format(op="UPDATE"))
    refused(raw(f"DELETE FROM {table} WHERE id = %s", [event.pk]), message.format(op="DELETE"))
    refused(lambda: PetitionEvent.objects.filter(pk=event.pk).update(note="改写"), message.format(op="UPDATE"))
    refused(lambda: PetitionEvent.objects.filter(pk=event.pk).delete(), message.format(op="DELETE"))
    refused(lambda: PetitionEvent.objects.filter(petition=petition).delete(), message.format(op="DELETE"))

    assert snapshot(PetitionEvent, event.pk) == before
    assert PetitionEvent.objects.filter(petition=petition).count() == 1
    # Appending still works: the next step of the case is a new row.
    petition_accept(petition_id=petition.pk, actor=world.users["handler"])
    assert PetitionEvent.objects.filter(petition=petition).count() == 2


@on_postgresql
def test_appraisal_events_cannot_be_updated_or_deleted(campaign):
    event = AppraisalEvent.objects.filter(campaign=campaign).first()
    before = snapshot(AppraisalEvent, event.pk)
    message = "appraisal events are append-only: {op} of evaluations_appraisalevent refused"

    table = AppraisalEvent._meta.db_table
    refused(raw(f"UPDATE {table} SET note = %s WHERE id = %s", ["改写", event.pk]), message.format(op="UPDATE"))
    refused(raw(f"DELETE FROM {table} WHERE id = %s", [event.pk]), message.format(op="DELETE"))
    refused(lambda: AppraisalEvent.objects.filter(pk=event.pk).update(note="改写"), message.format(op="UPDATE"))
    refused(lambda: AppraisalEvent.objects.filter(pk=event.pk).delete(), message.format(op="DELETE"))
    # Deleting the campaign would cascade to its events: refused the same way.
    refused(lambda: Campaign.objects.filter(pk=campaign.pk).delete(), message.format(op="DELETE"))

    assert snapshot(AppraisalEvent, event.pk) == before
    assert Campaign.objects.filter(pk=campaign.pk).exists()


@on_postgresql
def test_the_audit_tables_cannot_be_truncated_even_by_their_owner(register, campaign):
    """The test run connects as the tables' owner (it created them): TRUNCATE, of the events or
    of the cases and campaigns they belong to with CASCADE, is refused all the same."""
    register()
    # The rows just written still have their foreign-key checks pending, and PostgreSQL
    # refuses to truncate a table with pending trigger events before any trigger runs.
    raw("SET CONSTRAINTS ALL IMMEDIATE", [])()
    cases = "case events are append-only: TRUNCATE of petitions_petitionevent refused"
    appraisals = "appraisal events are append-only: TRUNCATE of evaluations_appraisalevent refused"
    refused(raw("TRUNCATE petitions_petitionevent", []), cases)
    refused(raw("TRUNCATE petitions_petition CASCADE", []), cases)
    refused(raw("TRUNCATE evaluations_appraisalevent", []), appraisals)
    refused(raw("TRUNCATE evaluations_campaign CASCADE", []), appraisals)
    assert PetitionEvent.objects.count() == 1
    assert AppraisalEvent.objects.filter(campaign=campaign).exists()


@on_postgresql
def test_the_triggers_are_installed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
            "WHERE NOT tgisinternal AND (tgname LIKE %s OR tgname LIKE %s)",
            ["%append_only", "%no_truncate"],
        )
        assert sorted(cursor.fetchall()) == [
            ("evaluations_appraisalevent", "appraisalevent_append_only", "O"),
            ("evaluations_appraisalevent", "appraisalevent_no_truncate", "O"),
            ("evaluations_cadresheetevent", "cadresheetevent_append_only", "O"),
            ("evaluations_cadresheetevent", "cadresheetevent_no_truncate", "O"),
            ("petitions_petitionevent", "petitionevent_append_only", "O"),
            ("petitions_petitionevent", "petitionevent_no_truncate", "O"),
        ]


def test_the_admin_offers_no_deletion_that_takes_events_along(client, world, campaign):
    """Campaigns and rectification items cascade to their appraisal events: the admin refuses
    to delete them (on every database), as it refuses to touch events themselves."""
    client.force_login(world.users["root"])
    assert client.get(f"/admin/evaluations/campaign/{campaign.pk}/delete/").status_code == 403
    changelist = client.post(
        "/admin/evaluations/campaign/", {"action": "delete_selected", "_selected_action": [campaign.pk]}
    )
    assert changelist.status_code in (200, 302)
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    event = AppraisalEvent.objects.filter(campaign=campaign).first()
    assert client.get(f"/admin/evaluations/appraisalevent/{event.pk}/delete/").status_code == 403
    # Cases and their events are not in the admin at all: they change through the services only.
    assert client.get("/admin/petitions/petition/").status_code == 404
    assert client.get("/admin/petitions/petitionevent/").status_code == 404
