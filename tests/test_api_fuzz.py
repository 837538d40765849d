"""The API against its own OpenAPI schema, fuzzed with schemathesis (part of issue #9).

Every operation the schema served at /api/schema/ describes is called in process, through
Django's WSGI application, with data schemathesis derives from the schema: valid data
(positive) and data the schema forbids (negative). Each request goes out as several people
— anonymous, the 东一村 clerk and the county commission's supervisor (API tokens) — after a
small county has been seeded, and path ids are drawn from real objects half the time so
detail routes get past their 404. The checks:

- not_a_server_error: no 5xx, whatever comes in;
- response_schema_conformance: every documented answer has the documented shape;
- negative_data_rejection: data the schema forbids is refused with a 4xx;
- ignored_auth: an operation that says it needs a token refuses a request without one.

Reproducible: Hypothesis is derandomized (a fixed seed per operation) and keeps no example
database. Bounded: a few examples per operation and mode, so the whole walk stays within a
couple of minutes on PostgreSQL. Locally `SUQIU_SKIP_FUZZ=1` skips it; in CI (`CI=true`)
it always runs.

Rate limits: the public endpoints answer 429 past a per-address rate (documented in the
schema). All fuzz requests come from one address, so the limits are raised for this test
through a settings override; otherwise most public requests would stop at 429 and the
validation behind the limit would go untested.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
)

from tests.conftest import World
from tests.tokens import token_for

_in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.django_db,
    pytest.mark.skipif(
        os.environ.get("SUQIU_SKIP_FUZZ", "") not in {"", "0"} and not _in_ci,
        reason="SUQIU_SKIP_FUZZ is set (the fuzz walk always runs in CI)",
    ),
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CHECKS = [not_a_server_error, response_schema_conformance, negative_data_rejection, ignored_auth]
# Examples per operation, per mode; each example is sent once per identity below.
EXAMPLES = {GenerationMode.POSITIVE: int(os.environ.get("SUQIU_FUZZ_EXAMPLES", "10"))}
EXAMPLES[GenerationMode.NEGATIVE] = max(EXAMPLES[GenerationMode.POSITIVE] * 2 // 3, 1)
IDENTITIES = ("anonymous", "clerk", "supervisor")

# Operations whose schema cannot tell invalid data from valid, so negative_data_rejection
# would report noise rather than bugs; each with the reason. Every other check still runs.
NEGATIVE_EXEMPT: dict[str, str] = {}


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the schema, read at collection time."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


OPERATIONS = _operations()
_APP = None
_SCHEMA = None


def _schema():
    """The schema as the app serves it, loaded once, with the WSGI app attached."""
    global _APP, _SCHEMA
    if _SCHEMA is None:
        django_app = get_wsgi_application()

        def app(environ, start_response):
            # Every WSGI server says who is calling (the rate limits count per address);
            # Werkzeug's test client, which schemathesis uses in process, does not.
            environ.setdefault("REMOTE_ADDR", "203.0.113.9")
            return django_app(environ, start_response)

        _APP = app
        _SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _APP)
    return _SCHEMA


def _nothing_to_negate(operation) -> bool:
    """No body, no query parameter and only string path parameters: no request is invalid."""
    definition = operation.definition.raw
    parameters = definition.get("parameters", [])
    return "requestBody" not in definition and all(
        p.get("in") == "path" and p.get("schema", {}).get("type") == "string" for p in parameters
    )


@pytest.fixture
def _keep_the_test_connection():
    """Django's own handler closes the database connection at the end of each request (a
    no-op on SQLite's in-memory test database, fatal inside PostgreSQL's test transaction);
    the test client suspends that, and so must a test that calls the real WSGI handler."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def _fast_limits(settings):
    settings.SUQIU_LOOKUP_RATE_PER_ADDRESS = "100000/h"
    settings.SUQIU_LOOKUP_RATE_PER_CASE = "100000/h"
    settings.SUQIU_SUBMIT_RATE_PER_ADDRESS = "100000/h"
    settings.SUQIU_APPRAISAL_ANSWER_RATE_PER_ADDRESS = "100000/h"
    # The token endpoint hashes every guessed password (argon2 is slow on purpose); a fast
    # hasher keeps the walk's time for the fuzzing. Existing hashes then never match: no
    # generated credentials can sign in either way.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(world: World, register, settings, tmp_path, _fast_limits, _keep_the_test_connection) -> dict[str, list]:
    """A county with cases in several states, a notice and a campaign; the real ids by kind."""
    from evaluations import services as appraisals
    from petitions import services
    from petitions.models import Category

    settings.MEDIA_ROOT = tmp_path
    users = world.users
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    fresh = register(attachments=[photo]).petition
    accepted = services.petition_accept(petition_id=register(title="路灯不亮").petition.pk, actor=users["handler"])
    assigned = services.petition_assign(
        petition_id=services.petition_accept(
            petition_id=register(title="低保未发").petition.pk, actor=users["handler"]
        ).pk,
        actor=users["handler"],
        unit=world.units["east_finance"],
        note="请核实",
    )
    replied = services.petition_reply(petition_id=accepted.pk, actor=users["handler"], text="已修复。")
    foreign = register(actor="foreign_clerk", region=world.region("北一村"), title="乙县的案件").petition
    from_city = register(actor="city_handler", channel="hotline", intake_unit=world.units["city_centre"]).petition
    referral = services.petition_hand_down(
        petition_id=from_city.pk, actor=users["city_handler"], unit=world.units["east_centre"], instructions="请核实"
    )
    notice = services.notice_issue(petition_id=assigned.pk, actor=users["supervisor"], text="请按期办结。", days=5)
    today = timezone.localdate()
    campaign = appraisals.campaign_create(
        actor=users["supervisor"],
        region=world.region("东镇"),
        name="民主评议基层站所",
        year=today.year,
        period_start=today - timedelta(days=365),
        period_end=today,
    )
    from evaluations.cadre.services import cadre_sheet_create

    sheet = cadre_sheet_create(
        actor=users["supervisor"], unit=world.units["east_finance"], year=today.year, parts=[("日常监督检查", 70)]
    )
    return {
        "petition": [fresh.pk, replied.pk, assigned.pk, foreign.pk],
        "attachment": [fresh.attachments.get().pk],
        "notice": [notice.pk],
        "referral": [referral.pk],
        "appraisal": [campaign.pk],
        "cadre_sheet": [sheet.pk],
        "region": [r.pk for r in world.regions.values()],
        "unit": [u.pk for u in world.units.values()],
        "category": list(Category.objects.values_list("code", flat=True)),
    }


def _real_ids(path: str, seeded: dict[str, list]) -> dict[str, list]:
    """For each path parameter of `path`, the real values it may take."""
    resource = path.removeprefix("/api/v1/").split("/", 1)[0]
    kinds = {
        "petitions": "petition",
        "supervision-notices": "notice",
        "referrals": "referral",
        "appraisals": "appraisal",
        "cadre-sheets": "cadre_sheet",
        "regions": "region",
        "units": "unit",
        "categories": "category",
    }
    found = {}
    if "{id}" in path:
        found["id"] = seeded[kinds[resource]]
    if "{code}" in path:
        found["code"] = seeded["category"]
    if "{attachment_id}" in path:
        found["attachment_id"] = seeded["attachment"]
    if "{station_id}" in path:
        found["station_id"] = seeded["unit"]
    return found


def _headers(world: World) -> dict[str, dict[str, str]]:
    # Tokens made directly: commission staff cannot get one from the token endpoint without an OTP.
    tokens = {name: token_for(world.users[name]) for name in IDENTITIES if name != "anonymous"}
    return {name: ({"Authorization": f"Token {tokens[name]}"} if name in tokens else {}) for name in IDENTITIES}


def _fuzz(operation, mode: GenerationMode, real: dict[str, list], headers: dict, checks: list) -> None:
    """Send EXAMPLES[mode] generated requests, each as every identity, and run the checks."""
    strategy = operation.as_strategy(generation_mode=mode)
    if real:
        with_real_ids = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in real.items()}).flatmap(
            lambda ids: operation.as_strategy(generation_mode=mode, path_parameters=ids)
        )
        strategy = st.one_of(with_real_ids, strategy)

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=["explicit", "generate"],  # no shrinking: the first failure is reported as found
    )
    @given(case=strategy)
    def fuzz(case):
        for identity in IDENTITIES:
            case.call_and_validate(headers=headers[identity], checks=checks)

    fuzz()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_keeps_its_contract(world, seeded, method, path):
    """Valid data first (positive), then data the schema forbids (negative), on one seeded county."""
    operation = _schema()[path][method]
    label = f"{method} {path}"
    headers = _headers(world)
    real = _real_ids(path, seeded)
    _fuzz(operation, GenerationMode.POSITIVE, real, headers, CHECKS)
    if _nothing_to_negate(operation):
        return  # no body, no query, a string path: schemathesis can make no invalid request
    checks = [check for check in CHECKS if not (check is negative_data_rejection and label in NEGATIVE_EXEMPT)]
    _fuzz(operation, GenerationMode.NEGATIVE, real, headers, checks)
