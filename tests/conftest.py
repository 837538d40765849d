"""The shared cast: two counties, two townships in the first, a village or two in each,
and staff in every role. Names follow STYLE.md §10: `clerk` works at a village desk in
East township; `other_clerk` works in West township and must see nothing of East;
`foreign_supervisor` supervises another county (another tenant) entirely; `city_handler`,
`city_inspector` and `city_supervisor` work in the city above both, which hands cases down."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache

from stations.models import Membership, Region, Unit, User
from stations.services import RegionRow, membership_grant, regions_import, unit_ensure
from tests.factories import PASSWORD, UserFactory

Role = Membership.Role
Kind = Unit.Kind

WORLD_REGIONS = [
    ("990000000000", "示范省"),
    ("990100000000", "示范市"),
    ("990121000000", "甲县"),
    ("990121100000", "东镇"),
    ("990121100200", "东一村"),
    ("990121100201", "东二村"),
    ("990121101000", "西镇"),
    ("990121101200", "西一村"),
    ("990122000000", "乙县"),
    ("990122100000", "北镇"),
    ("990122100200", "北一村"),
]


@dataclass
class World:
    regions: dict[str, Region]
    units: dict[str, Unit]
    users: dict[str, User]

    def region(self, name: str) -> Region:
        return self.regions[name]


@pytest.fixture(autouse=True, scope="session")
def _flush_may_empty_the_audit_tables():
    """pytest-django empties the database after each transactional test with TRUNCATE, which
    the audit tables refuse even to their owner (config/audit.py). The test run's flush, and
    nothing else, lifts their TRUNCATE triggers inside its own transaction, as an owner may
    (the application's runtime role may not: tests/test_database_roles.py)."""
    from django.db import transaction
    from django.db.backends.postgresql.operations import DatabaseOperations

    from config.audit import APPEND_ONLY_TABLES, truncate_trigger_name

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            for table in APPEND_ONLY_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {truncate_trigger_name(table)}")
            flush(self, sql_list)
            for table in APPEND_ONLY_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {truncate_trigger_name(table)}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests run without `collectstatic`: serve static files by name, not from the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch):
    """`Client.force_login` (Django's test client) also gives the second factor for staff who
    owe one, so tests about other things need not type codes. The tests of two-factor
    enforcement sign in through the real form (tests/stations/test_two_factor.py)."""
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY

    from stations.otp import two_factor_due
    from tests.otp import confirmed_device

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if two_factor_due(user):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = confirmed_device(user).persistent_id
            session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-Hans): a request in English leaves English
    active in the thread, and a later test would read its messages in it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    from config.refcache import invalidate_all

    # Each test's database rows are rolled back: so are the web process's copies of them.
    cache.clear()
    invalidate_all()
    yield
    cache.clear()
    invalidate_all()


@pytest.fixture
def world(db) -> World:
    return build_world()


def build_world() -> World:
    """The cast, for fixtures of a wider scope than one test (tests/e2e/test_axe_browser.py)."""
    regions_import(rows=[RegionRow(i, code, name) for i, (code, name) in enumerate(WORLD_REGIONS, 1)])
    regions = {r.name: r for r in Region.objects.all()}
    r = regions
    units = {
        # Above the counties (five-level linkage): the city hands cases down to them.
        "city_centre": unit_ensure(region=r["示范市"], name="示范市群众诉求中心", kind=Kind.INTAKE),
        "city_commission": unit_ensure(region=r["示范市"], name="示范市纪委监委", kind=Kind.COMMISSION),
        "county_centre": unit_ensure(region=r["甲县"], name="甲县群众诉求中心", kind=Kind.INTAKE),
        "county_commission": unit_ensure(region=r["甲县"], name="甲县纪委监委", kind=Kind.COMMISSION),
        "civil_affairs": unit_ensure(region=r["甲县"], name="甲县民政局", kind=Kind.DEPARTMENT),
        "east_centre": unit_ensure(region=r["东镇"], name="东镇群众诉求中心", kind=Kind.INTAKE),
        "east_finance": unit_ensure(region=r["东镇"], name="东镇财政所", kind=Kind.STATION),
        "east1_desk": unit_ensure(region=r["东一村"], name="东一村群众诉求站", kind=Kind.INTAKE),
        "east2_desk": unit_ensure(region=r["东二村"], name="东二村群众诉求站", kind=Kind.INTAKE),
        "west_centre": unit_ensure(region=r["西镇"], name="西镇群众诉求中心", kind=Kind.INTAKE),
        "west1_desk": unit_ensure(region=r["西一村"], name="西一村群众诉求站", kind=Kind.INTAKE),
        "b_centre": unit_ensure(region=r["乙县"], name="乙县群众诉求中心", kind=Kind.INTAKE),
        "b_commission": unit_ensure(region=r["乙县"], name="乙县纪委监委", kind=Kind.COMMISSION),
        "north1_desk": unit_ensure(region=r["北一村"], name="北一村群众诉求站", kind=Kind.INTAKE),
    }
    cast = {
        "clerk": ("east1_desk", Role.CLERK),
        "other_clerk": ("west1_desk", Role.CLERK),
        "handler": ("east_centre", Role.HANDLER),
        "dept_handler": ("civil_affairs", Role.HANDLER),
        "leader": ("east_centre", Role.LEADER),
        "supervisor": ("county_commission", Role.SUPERVISOR),
        "observer": ("county_commission", Role.OBSERVER),
        "admin": ("county_centre", Role.ADMIN),
        "foreign_clerk": ("north1_desk", Role.CLERK),
        "foreign_supervisor": ("b_commission", Role.SUPERVISOR),
        # The county commission's inspector accepts and disposes reports against officials.
        "inspector": ("county_commission", Role.HANDLER),
        # The city: its centre's handler and the commission's supervisor and inspector.
        "city_handler": ("city_centre", Role.HANDLER),
        "city_supervisor": ("city_commission", Role.SUPERVISOR),
        "city_inspector": ("city_commission", Role.HANDLER),
    }
    users = {}
    for username, (unit_key, role) in cast.items():
        user = UserFactory(username=username)
        membership_grant(user=user, unit=units[unit_key], role=role)
        users[username] = user
    users["nobody"] = UserFactory(username="nobody")
    users["root"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    return World(regions=regions, units=units, users=users)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def api(client):
    """A DRF test client."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def categories(db):
    """The nine categories the data migration loads (reloaded after a transactional flush)."""
    return load_categories()


def reload_migration_data() -> None:
    """Write again what the data migrations put in the test database (the categories, the
    notification routes, the common phrases), after a flush that a module-wide fixture does
    itself: the tests that run after it expect them, as they are after migrating."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    editor = SimpleNamespace(connection=connection)
    load_categories()
    importlib.import_module("petitions.migrations.0005_notification_routes").load_routes(apps, editor)
    importlib.import_module("petitions.migrations.0020_common_phrases").load_phrases(apps, editor)


def load_categories() -> dict:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from petitions.models import Category

    migration = importlib.import_module("petitions.migrations.0002_categories")
    migration.load_categories(apps, SimpleNamespace(connection=connection))
    return {category.code: category for category in Category.objects.all()}


@pytest.fixture
def register(world, categories):
    """Register a case the way the village clerk would at the 东一村 desk."""
    from petitions.services import petition_register

    def _register(actor: str = "clerk", **overrides):
        fields = {
            "channel": "visit",
            "category": categories["infrastructure"],
            "region": world.region("东一村"),
            "title": "村道塌方",
            "content": "东一村三组村道雨后塌方，车辆无法通行。",
            "complainant_name": "字红梅",
            "complainant_phone": "13800138000",
        }
        fields.update(overrides)
        return petition_register(actor=world.users[actor] if actor else None, **fields)

    return _register
