"""The selectors the statistics read (grievances/stats/): the cases a statistic counts, the
dashboard's overdue list, and the reports a commission's figures cover."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from petitions.models import Petition
from petitions.selectors import (
    commission_prefixes_of,
    commission_reports_for,
    petitions_counted_for,
    petitions_overdue_for,
    petitions_visible_to,
)
from stations.selectors import scope_for

pytestmark = pytest.mark.django_db


def test_an_observer_counts_the_cases_of_the_subtree_but_is_shown_none(world, register, django_assert_num_queries):
    case = register().petition
    Petition.objects.filter(pk=case.pk).update(current_due_at=timezone.now() - timedelta(hours=1))
    observer = world.users["observer"]
    assert case in petitions_counted_for(observer) and case not in petitions_visible_to(observer)
    assert case not in petitions_counted_for(world.users["other_clerk"])
    assert list(petitions_overdue_for(world.users["handler"])) == [case]
    scope_for(observer)
    with django_assert_num_queries(0):
        assert list(petitions_overdue_for(observer)) == []


def test_a_commissions_figures_leave_out_the_reports_it_stands_aside_from(
    world, register, categories, township_commission
):
    plain = register(category=categories["discipline"], accused=[{"name": "杨某某", "post": "村党支部副书记"}]).petition
    leader = world.users["leader"]
    against_leader = register(
        category=categories["discipline"], accused=[{"name": leader.full_name, "post": "镇党委书记"}]
    ).petition
    register()  # an ordinary case: in no commission's figures
    assert set(commission_reports_for(world.users["twp_officer"])) == {plain}
    assert set(commission_reports_for(world.users["county_officer"])) == {plain, against_leader}
    assert set(commission_reports_for(world.users["root"])) == {plain, against_leader}
    # Another county's commission, even when it names a region of this county; and an observer
    # of a commission, who works in none.
    foreign = world.users["foreign_supervisor"]
    assert not commission_reports_for(foreign, region=world.region("东镇")).exists()
    assert commission_prefixes_of(world.users["observer"]) == ()
    assert not commission_reports_for(world.users["observer"]).exists()
