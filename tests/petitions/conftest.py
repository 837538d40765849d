"""Fixtures for the petitions tests (the shared cast lives in tests/conftest.py)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest

from stations.models import Membership, Unit
from stations.services import membership_grant, unit_ensure
from tests.factories import UserFactory


def load_notification_routes() -> None:
    """The routing table the data migration seeds (a transactional test's flush empties it)."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("petitions.migrations.0005_notification_routes")
    migration.load_routes(apps, SimpleNamespace(connection=connection))


@pytest.fixture
def notification_routes(world):
    load_notification_routes()


@pytest.fixture
def township_commission(world):
    """The township commission (东镇纪委) and one officer in it; `supervisor` is the county's."""
    unit = unit_ensure(region=world.region("东镇"), name="东镇纪委", kind=Unit.Kind.COMMISSION)
    officer = UserFactory(username="twp_officer")
    membership_grant(user=officer, unit=unit, role=Membership.Role.HANDLER)
    county_officer = UserFactory(username="county_officer")
    membership_grant(user=county_officer, unit=world.units["county_commission"], role=Membership.Role.HANDLER)
    village_handler = UserFactory(username="village_handler")
    membership_grant(user=village_handler, unit=world.units["east1_desk"], role=Membership.Role.HANDLER)
    world.units["east_commission"] = unit
    world.users.update(twp_officer=officer, county_officer=county_officer, village_handler=village_handler)
    return unit
