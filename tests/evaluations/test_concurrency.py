"""The same appraisal verb sent twice at the same moment (a resend racing the first request),
and a verb racing a change of state: the campaign row lock decides, nothing is done twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from config.errors import InvalidState
from evaluations import services
from evaluations.models import AppraisalEvent, Campaign, Question, RectificationItem
from tests.petitions.test_concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"),
]
Verb = AppraisalEvent.Verb


@pytest.fixture
def campaign(world) -> Campaign:
    today = timezone.localdate()
    campaign = services.campaign_create(
        actor=world.users["supervisor"],
        region=world.region("东镇"),
        name="民主评议基层站所",
        year=today.year,
        period_start=today - timedelta(days=365),
        period_end=today,
    )
    services.question_add(campaign_id=campaign.pk, actor=world.users["supervisor"], text="办事效率")
    return campaign


def test_the_same_question_sent_twice_at_once_is_asked_once(world, campaign):
    supervisor = world.users["supervisor"]
    results = race(*[lambda: services.question_add(campaign_id=campaign.pk, actor=supervisor, text="服务态度")] * 2)
    assert all(isinstance(r, Question) for r in results), results
    assert results[0].pk == results[1].pk
    assert list(campaign.questions.values_list("text", flat=True)) == ["办事效率", "服务态度"]
    assert campaign.events.filter(verb=Verb.QUESTION, note="服务态度").count() == 1


def test_the_same_rectification_item_sent_twice_at_once_is_listed_once(world, campaign):
    supervisor = world.users["supervisor"]
    services.campaign_open(campaign_id=campaign.pk, actor=supervisor)
    add = lambda: services.rectification_add(  # noqa: E731
        campaign_id=campaign.pk,
        actor=supervisor,
        owner=world.units["east_finance"],
        description="窗口服务时间公示",
        deadline=date(2030, 1, 1),
    )
    results = race(add, add)
    assert all(isinstance(r, RectificationItem) for r in results), results
    assert RectificationItem.objects.filter(campaign=campaign).count() == 1
    assert campaign.events.filter(verb=Verb.RECTIFICATION).count() == 1


def test_a_question_racing_the_opening_is_either_in_before_it_or_refused(world, campaign):
    supervisor = world.users["supervisor"]
    results = race(
        lambda: services.campaign_open(campaign_id=campaign.pk, actor=supervisor),
        lambda: services.question_add(campaign_id=campaign.pk, actor=supervisor, text="廉洁自律"),
    )
    opened, added = results
    assert isinstance(opened, Campaign), results
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.OPEN
    verbs = list(campaign.events.order_by("pk").values_list("verb", flat=True))
    if isinstance(added, InvalidState):
        assert list(campaign.questions.values_list("text", flat=True)) == ["办事效率"]
        assert verbs[-1] == Verb.OPENED
    else:
        assert isinstance(added, Question), results
        assert verbs[-2:] == [Verb.QUESTION, Verb.OPENED]  # the question came in before the opening
