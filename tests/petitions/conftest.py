"""Fixtures for the petitions tests (the shared cast lives in tests/conftest.py)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest


def load_notification_routes() -> None:
    """The routing table the data migration seeds (a transactional test's flush empties it)."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("petitions.migrations.0005_notification_routes")
    migration.load_routes(apps, SimpleNamespace(connection=connection))


@pytest.fixture
def notification_routes(world):
    load_notification_routes()
