"""The walk-in desk types only what is new: a returning resident's phone number offers their
name and open cases (never what the clerk may not see), and each category offers its common
phrases (常用语)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from petitions.models import CommonPhrase
from stations.services import membership_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOOKUP = "/staff/intake/returning/"
PHONE = "13800138000"
UNKNOWN = "13900139000"


@pytest.fixture
def phrases(categories):
    """The phrases the data migration seeds (reloaded after a transactional flush)."""
    migration = importlib.import_module("petitions.migrations.0020_common_phrases")
    migration.load_phrases(apps, SimpleNamespace(connection=connection))


def lookup(client, user, phone: str):
    client.force_login(user)
    return client.get(LOOKUP, {"complainant_phone": phone})


def test_a_returning_residents_number_offers_their_name_and_open_cases(client, world, categories, register):
    first = register(complainant_name="字红梅").petition
    second = register(category=categories["land"], title="宅基地审批", complainant_name="字红梅").petition
    settled = register(category=categories["other"], title="意见建议").petition
    from petitions.services import petition_settle

    petition_settle(petition_id=settled.pk, actor=world.users["clerk"], text="当场答复。")

    response = lookup(client, world.users["clerk"], PHONE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "字红梅" in html
    assert 'data-fill-name="字红梅"' in html
    # The open cases, the latest first, each with a way to register the same matter again;
    # the settled one is not open.
    assert html.index(second.tracking_number) < html.index(first.tracking_number)
    assert settled.tracking_number not in html
    assert (
        f'data-fill-category="{categories["infrastructure"].pk}" data-fill-region="{world.region("东一村").pk}"' in html
    )
    assert f'data-fill-category="{categories["land"].pk}"' in html
    # The phone typed is not echoed, and no ID number or its digest is in the answer.
    assert PHONE not in html


def test_the_name_is_the_latest_one_registered_and_never_an_anonymous_cases(client, world, categories, register):
    register(complainant_name="字红梅")
    register(complainant_name="字红妹")
    register(anonymous=True, complainant_name="", category=categories["land"], title="匿名")

    html = lookup(client, world.users["clerk"], PHONE).content.decode()

    assert 'data-fill-name="字红妹"' in html
    assert "匿名" not in html  # the anonymous case is not among the open cases either


def _other_desk_clerk(world) -> str:
    world.users["east2_clerk"] = UserFactory(username="east2_clerk")
    membership_grant(user=world.users["east2_clerk"], unit=world.units["east2_desk"], role="clerk")
    return "east2_clerk"


SEEN_ELSEWHERE = {
    # 乙县's desk, another county.
    "another county": lambda world, categories: {"actor": "foreign_clerk", "region": world.region("北一村")},
    # 西镇's village desk: another township the clerk's desk does not register for.
    "another township": lambda world, categories: {"actor": "other_clerk", "region": world.region("西一村")},
    # 东二村's desk, in the clerk's own township: a village the desk registers for, but a case it
    # never took in or held.
    "the township's other desk": lambda world, categories: {
        "actor": _other_desk_clerk(world),
        "region": world.region("东二村"),
    },
    # A resident's own online submission about 东一村, held by the township centre.
    "online, held by the township": lambda world, categories: {"actor": None},
    # The desk's own report against officials: the desk sees its shell, the lookup nothing.
    "a confidential report": lambda world, categories: {
        "category": categories["discipline"],
        "accused": [{"name": "杨某某", "post": "村党支部副书记"}],
    },
    # The desk's own anonymous case.
    "an anonymous case": lambda world, categories: {"anonymous": True, "complainant_name": ""},
}


@pytest.mark.parametrize("where", SEEN_ELSEWHERE)
def test_a_number_seen_only_outside_the_clerks_view_answers_as_an_unknown_number(
    client, world, categories, register, where
):
    overrides = SEEN_ELSEWHERE[where](world, categories)
    register(complainant_phone=PHONE, **overrides)
    clerk = world.users["clerk"]

    unknown = lookup(client, clerk, UNKNOWN)
    seen_elsewhere = lookup(client, clerk, PHONE)

    assert seen_elsewhere.status_code == unknown.status_code == 200
    assert seen_elsewhere.content == unknown.content
    assert seen_elsewhere.content.strip() == b""


def test_a_confidential_report_is_never_listed_beside_the_residents_other_cases(client, world, categories, register):
    case = register().petition
    report = register(category=categories["discipline"], accused=[{"name": "杨某某", "post": "村党支部副书记"}])

    html = lookup(client, world.users["clerk"], PHONE).content.decode()

    assert case.tracking_number in html
    assert report.petition.tracking_number not in html
    assert "杨某某" not in html and categories["discipline"].name_zh not in html


def test_the_lookup_needs_a_sign_in_and_an_intake_desk(client, world, register):
    register()
    response = client.get(LOOKUP, {"complainant_phone": PHONE})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for username in ("supervisor", "nobody"):
        assert lookup(client, world.users[username], PHONE).status_code == 403


def test_lookups_are_rate_limited_per_clerk(client, world, register, settings):
    settings.SUQIU_DESK_LOOKUP_RATE_PER_USER = "2/h"
    register()
    clerk = world.users["clerk"]
    assert lookup(client, clerk, PHONE).status_code == 200
    assert lookup(client, clerk, UNKNOWN).status_code == 200
    limited = lookup(client, clerk, PHONE)
    assert limited.status_code == 429
    assert "字红梅" not in limited.content.decode()
    # Another clerk counts on their own.
    assert lookup(client, world.users["handler"], PHONE).status_code == 200


def test_a_number_too_short_to_be_one_asks_nothing(client, world, register, django_assert_num_queries):
    register()
    client.force_login(world.users["clerk"])
    with django_assert_num_queries(4):  # the session, the user and their scope (the desks): no lookup
        response = client.get(LOOKUP, {"complainant_phone": "138"})
    assert response.content.strip() == b""


@pytest.mark.parametrize(("cases", "queries"), [(0, 5), (1, 6), (3, 6)])
def test_the_lookups_queries_are_pinned(client, world, categories, register, django_assert_num_queries, cases, queries):
    # The session, the user and their scope (the desks: 4), the name (5); and the open cases
    # when the number is known (6), as many queries for one open case as for three.
    for i in range(cases):
        register(title=f"村道塌方{i}")
    client.force_login(world.users["clerk"])
    with django_assert_num_queries(queries):
        response = client.get(LOOKUP, {"complainant_phone": PHONE})
    assert response.content.decode().count("data-fill-category") == cases


def test_the_form_offers_each_categorys_phrases_in_the_readers_language(client, world, categories, phrases):
    CommonPhrase.objects.create(category=categories["infrastructure"], text_zh="停用的说法", active=False)
    client.force_login(world.users["clerk"])

    html = client.get("/staff/intake/").content.decode()

    infrastructure = categories["infrastructure"].pk
    assert f'data-phrases-for="{infrastructure}"' in html
    assert (
        f'data-fill-category="{infrastructure}" data-fill-title="村道坑洼、积水" data-fill-content="村道坑洼、积水"'
        in html
    )
    assert "停用的说法" not in html
    assert "{#" not in html and "Tab path" not in html  # the template's comments stay in the template
    land = html.index(f'data-phrases-for="{categories["land"].pk}"')
    assert html.index("宅基地审批") > land  # each phrase under its own category

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/staff/intake/").content.decode()
    assert 'data-fill-title="Potholes and standing water on the village road"' in html
    assert "村道坑洼、积水" not in html


def test_an_administrator_edits_the_phrases(client, world, categories, phrases):
    client.force_login(world.users["root"])
    response = client.get("/admin/petitions/commonphrase/")
    assert response.status_code == 200
    assert "村道坑洼、积水" in response.content.decode()


def test_a_case_the_desk_sees_only_as_a_co_handling_unit_names_nobody(client, world, categories, register):
    """The county centre's clerk sees a case of 东一村 it co-handles, with the complainant's name
    masked (`personal_data_visible`): the lookup must not give that name in full."""
    from petitions.services import petition_accept, petition_assign
    from stations.models import Membership
    from stations.services import membership_grant
    from tests.factories import UserFactory

    county_clerk = UserFactory(username="county_clerk")
    membership_grant(user=county_clerk, unit=world.units["county_centre"], role=Membership.Role.CLERK)
    case = register(complainant_phone=PHONE).petition
    handler = world.users["handler"]
    petition_accept(petition_id=case.pk, actor=handler)
    petition_assign(
        petition_id=case.pk, actor=handler, unit=world.units["east_finance"], co_units=[world.units["county_centre"]]
    )

    unknown = lookup(client, county_clerk, UNKNOWN)
    co_handled = lookup(client, county_clerk, PHONE)
    assert co_handled.content == unknown.content and "字红梅" not in co_handled.content.decode()
