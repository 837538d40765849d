from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.apps import apps as global_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.migrations.state import ProjectState
from django.utils import timezone, translation

from petitions.apps import sync_holidays_after_migrate
from petitions.models import Holiday
from petitions.services import holidays_sync

pytestmark = pytest.mark.django_db

# The State Council's arrangement for 2026 (published November 2025), as the library ships it.
NATIONAL_DAY_2026 = [date(2026, 10, day) for day in range(1, 8)]
MID_AUTUMN_2026 = [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]
WORKDAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


@pytest.fixture
def empty_calendar():
    """No rows at all: `migrate` pre-fills the current year, and these tests count from zero."""
    Holiday.objects.all().delete()


def calendar(year: int) -> dict[date, tuple[str, str, str]]:
    return {h.date: (h.kind, h.name, h.source) for h in Holiday.objects.filter(date__year=year)}


def test_sync_loads_the_2026_arrangement_with_its_working_days_in_lieu(empty_calendar):
    result = holidays_sync(years=[2026])
    days = calendar(2026)
    assert result.created == len(days) == 39
    for day in NATIONAL_DAY_2026:
        assert days[day] == ("holiday", "国庆节", "library")
    for day in MID_AUTUMN_2026:
        assert days[day] == ("holiday", "中秋节", "library")
    assert sorted(day for day, (kind, _name, _source) in days.items() if kind == "workday") == WORKDAYS_2026
    assert days[date(2026, 9, 20)] == ("workday", "国庆节", "library")
    assert days[date(2026, 2, 14)] == ("workday", "春节", "library")


def test_sync_is_idempotent(empty_calendar):
    first = holidays_sync(years=[2025, 2026])
    before = calendar(2025) | calendar(2026)
    second = holidays_sync(years=[2025, 2026])
    assert first.created == len(before) > 60
    assert (second.created, second.updated, second.deleted, second.unchanged) == (0, 0, 0, len(before))
    assert calendar(2025) | calendar(2026) == before


def test_sync_never_overwrites_what_an_administrator_set(empty_calendar):
    holidays_sync(years=[2026])
    # An administrator corrected a library day (it is theirs now) and added a local day off.
    Holiday.objects.filter(date=date(2026, 10, 7)).update(kind="holiday", name="国庆节（本县调整）", source="admin")
    Holiday.objects.create(date=date(2026, 11, 16), kind="holiday", name="县庆", source="admin")

    result = holidays_sync(years=[2026])

    assert result.kept_admin == 1
    assert result.deleted == 0
    days = calendar(2026)
    assert days[date(2026, 10, 7)] == ("holiday", "国庆节（本县调整）", "admin")
    assert days[date(2026, 11, 16)] == ("holiday", "县庆", "admin")


def test_sync_corrects_library_rows_the_library_has_since_changed(empty_calendar):
    holidays_sync(years=[2026])
    Holiday.objects.filter(date=date(2026, 10, 1)).update(name="旧名")
    Holiday.objects.create(date=date(2026, 3, 3), kind="holiday", name="撤销的假日", source="library")

    result = holidays_sync(years=[2026])

    assert (result.updated, result.deleted) == (1, 1)
    assert calendar(2026)[date(2026, 10, 1)] == ("holiday", "国庆节", "library")
    assert not Holiday.objects.filter(date=date(2026, 3, 3)).exists()


def test_a_year_the_library_does_not_know_is_left_alone(empty_calendar):
    Holiday.objects.create(date=date(2099, 10, 1), kind="holiday", name="国庆节", source="library")
    result = holidays_sync(years=[2099])
    assert result.years_without_data == (2099,)
    assert (result.created, result.deleted) == (0, 0)
    assert Holiday.objects.filter(date=date(2099, 10, 1)).exists()


def test_the_command_syncs_the_years_it_is_given(empty_calendar):
    out = StringIO()
    with translation.override("en"):
        call_command("sync_holidays", "--year", "2026", "--year", "2099", stdout=out)
    assert Holiday.objects.filter(date__year=2026).count() == 39
    text = out.getvalue()
    assert "39 added" in text
    assert "no arrangement for 2099" in text


def test_the_migrate_hook_fills_this_year_and_next_and_is_idempotent(empty_calendar):
    sync_holidays_after_migrate(using="default", apps=global_apps, verbosity=0)
    rows = list(Holiday.objects.values_list("date", "kind", "name", "source"))
    sync_holidays_after_migrate(using="default", apps=global_apps, verbosity=0)
    assert list(Holiday.objects.values_list("date", "kind", "name", "source")) == rows
    assert all(source == "library" for *_rest, source in rows)


def test_the_migrate_hook_does_nothing_when_the_app_is_migrated_away(empty_calendar):
    sync_holidays_after_migrate(using="default", apps=ProjectState().apps, verbosity=0)
    assert not Holiday.objects.exists()


def test_a_working_day_in_lieu_must_be_a_weekend_day():
    with pytest.raises(ValidationError) as caught:
        Holiday(date=date(2026, 10, 12), kind="workday", name="补班").full_clean()
    assert "kind" in caught.value.message_dict
    Holiday(date=date(2026, 10, 17), kind="workday", name="补班").full_clean(validate_constraints=False)


def test_a_date_is_in_the_calendar_once(empty_calendar):
    Holiday.objects.create(date=date(2026, 12, 31), kind="holiday", name="元旦")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        Holiday(date=date(2026, 12, 31), kind="holiday", name="元旦").full_clean()
    assert caught.value.messages == ["This date is already in the holiday arrangement."]


def test_an_edit_in_the_admin_makes_the_row_the_administrators(admin_client, empty_calendar):
    holidays_sync(years=[2026])
    row = Holiday.objects.get(date=date(2026, 10, 7))
    response = admin_client.post(
        f"/admin/petitions/holiday/{row.pk}/change/",
        {"date": "2026-10-07", "kind": "holiday", "name": "国庆节（延长）"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert (row.name, row.source) == ("国庆节（延长）", "admin")
    assert holidays_sync(years=[2026]).kept_admin == 1
    assert Holiday.objects.get(date=date(2026, 10, 7)).name == "国庆节（延长）"


def test_the_admin_lists_open(admin_client):
    assert admin_client.get("/admin/petitions/holiday/").status_code == 200
    assert admin_client.get("/admin/petitions/category/").status_code == 200


def test_a_flush_refills_the_calendar_like_a_migrate(empty_calendar):
    """`flush` (run after every transactional test) sends post_migrate without the migrated state."""
    call_command("flush", interactive=False, verbosity=0)
    year = timezone.localdate().year
    refilled = calendar(year)
    # The library's arrangement of this year is back (flush's post_migrate), and a second sync
    # (as after a migrate) changes nothing.
    assert refilled and {kind for kind, _name, _source in refilled.values()} <= {"holiday", "workday"}
    sync_holidays_after_migrate(using="default", verbosity=0)
    assert calendar(year) == refilled
