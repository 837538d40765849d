"""Who may open a case is one rule read two ways: as a query (`petitions_visible_to`, every
list, page and API) and off a case's facts (`visible_among_people`, the sweep's notifications
of reports against officials). For every person of the cast and every kind of case — ordinary
ones at each stage, reports against officials handled at each level, a desk that stands aside,
a commission that stands aside, a case assigned away and transferred — both give the same
answer."""

from __future__ import annotations

import pytest

from petitions.models import Recusal
from petitions.selectors import petitions_visible_to, visible_among, visible_among_people
from petitions.services import petition_accept, petition_assign, petition_register, petition_transfer
from stations.models import Membership, Unit, User
from stations.services import membership_grant, unit_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world, register, categories, township_commission):
    units, handler, root = world.units, world.users["handler"], world.users["root"]
    made = [register().petition]  # registered at the village desk
    case = register().petition
    petition_accept(petition_id=case.pk, actor=handler)
    petition_assign(petition_id=case.pk, actor=handler, unit=units["east1_desk"], co_units=[units["east_finance"]])
    made.append(case)
    case = register().petition
    petition_accept(petition_id=case.pk, actor=handler)
    petition_transfer(petition_id=case.pk, actor=root, unit=units["civil_affairs"])
    made.append(case)
    made.append(register(actor="other_clerk", region=world.region("西一村")).petition)

    def report(*accused, actor="clerk", region="东一村"):
        return petition_register(
            actor=world.users[actor],
            channel="visit",
            category=categories["discipline"],
            region=world.region(region),
            title="参合金被截留",
            content="村里截留参合金。",
            complainant_name="字某某",
            complainant_phone="13912345678",
            accused=list(accused),
        ).petition

    made.append(report({"name": "杨某某", "post": "村党支部副书记"}))  # the township commission's
    made.append(report({"name": "某某", "post": "镇纪委书记"}))  # the county commission's
    made.append(report({"name": "某某", "post": "东一村群众诉求站站长"}))  # the desk stands aside
    made.append(report({"name": "某某", "post": "村委会主任"}, actor="other_clerk", region="西一村"))
    assert Recusal.objects.filter(petition__in=made).exists()
    return made


@pytest.fixture
def people(world, township_commission):
    """The cast, plus staff of the township commission, one of them also at the village desk."""
    officer = UserFactory(username="twp_officer")
    membership_grant(user=officer, unit=township_commission, role=Membership.Role.HANDLER)
    both_ways = UserFactory(username="twp_officer_and_clerk")
    membership_grant(user=both_ways, unit=township_commission, role=Membership.Role.CLERK)
    membership_grant(user=both_ways, unit=world.units["east1_desk"], role=Membership.Role.CLERK)
    west = unit_ensure(region=world.region("西镇"), name="西镇纪委", kind=Unit.Kind.COMMISSION)
    west_officer = UserFactory(username="west_officer")
    membership_grant(user=west_officer, unit=west, role=Membership.Role.LEADER)
    inactive = UserFactory(username="gone", is_active=False)
    membership_grant(user=inactive, unit=world.units["east1_desk"], role=Membership.Role.CLERK)
    return [*world.users.values(), officer, both_ways, west_officer, inactive]


def test_the_query_and_the_facts_give_the_same_answer_for_everyone(people, cases):
    ids = {case.pk for case in cases}
    by_query = {
        user.pk: set(petitions_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) for user in people
    }
    # Fresh user objects: no scope worked out before.
    fresh = list(User.objects.filter(pk__in=[user.pk for user in people]))
    assert visible_among_people(fresh, cases) == by_query
    for user in people:
        assert visible_among(User.objects.get(pk=user.pk), cases) == by_query[user.pk]
    # The cast sees differently: the comparison means something.
    assert len({frozenset(seen) for seen in by_query.values()}) >= 5
    assert by_query[people[0].pk] != ids  # the village clerk does not see everything


def test_the_facts_cost_a_few_queries_whatever_the_number_of_people(people, cases, django_assert_num_queries):
    fresh = list(User.objects.filter(pk__in=[user.pk for user in people]))
    with django_assert_num_queries(4):  # the roles of all, then the cases, their assignments, recusals
        visible_among_people(fresh, cases)
