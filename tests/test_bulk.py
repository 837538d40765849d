"""The sweeps' bulk writes (`config.bulk`): one statement for many rows, the same rows as
Django's `bulk_create` / `bulk_update` would write, whatever the values hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from config.bulk import insert_rows, update_rows
from petitions.models import Petition, PetitionEvent

pytestmark = pytest.mark.django_db

AWKWARD = '\'); DROP TABLE petitions_petition; --\t"引号" \\ %s %(x)s'


def test_insert_rows_writes_every_value_as_given_in_one_statement(register, django_assert_num_queries):
    case = register().petition
    now = timezone.now()
    columns = ("petition_id", "verb", "actor_id", "note", "public", "data", "created_at")
    rows = [
        (case.pk, PetitionEvent.Verb.NOTE, None, AWKWARD, True, {"text": AWKWARD, "n": [1, None]}, now),
        (case.pk, "note", None, gettext_lazy("Overdue"), False, {}, now - timedelta(seconds=1)),
    ]
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        back = insert_rows(PetitionEvent, columns, rows, returning=("petition_id", "id"))
    assert [petition_id for petition_id, _pk in back] == [case.pk, case.pk]
    made = PetitionEvent.objects.in_bulk([pk for _petition_id, pk in back])
    first, second = (made[pk] for _petition_id, pk in back)
    assert (first.verb, first.note, first.public, first.data) == (
        "note",
        AWKWARD,
        True,
        {"text": AWKWARD, "n": [1, None]},
    )
    assert first.created_at == now
    assert second.note == str(gettext_lazy("Overdue")) and second.public is False
    assert PetitionEvent.objects.filter(petition=case).count() >= 3  # the registration's and these two


def test_insert_rows_skips_conflicting_rows_when_asked(register):
    from petitions.models import DeadlineMiss

    case = register().petition
    now = timezone.now()
    row = (case.holder_unit_id, case.pk, "acceptance", case.acceptance_due_at, now)
    names = ("unit_id", "petition_id", "kind", "due_at", "missed_at")
    insert_rows(DeadlineMiss, names, [row], ignore_conflicts=True)
    insert_rows(DeadlineMiss, names, [row, row], ignore_conflicts=True)
    assert DeadlineMiss.objects.filter(petition=case).count() == 1


def test_update_rows_writes_each_objects_own_values(register, django_assert_num_queries):
    cases = [register().petition for _ in range(3)]
    later = timezone.now() + timedelta(days=3)
    for i, case in enumerate(cases):
        case.current_due_at = later + timedelta(hours=i)
        case.status = "accepted" if i else "registered"
        case.version += 5
    with django_assert_num_queries(1):
        update_rows(Petition, ("status", "current_due_at", "version"), cases)
    stored = {p.pk: p for p in Petition.objects.filter(pk__in=[c.pk for c in cases])}
    for i, case in enumerate(cases):
        got = stored[case.pk]
        assert (got.status, got.current_due_at, got.version) == (case.status, later + timedelta(hours=i), case.version)
