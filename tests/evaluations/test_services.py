"""Seed 000 replayed: 15 stations appraised, 12 satisfied units (≥ 90), 3 basically
satisfied (70–90); the refusals; the veto; the rectification chase."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from config.errors import InvalidState, NotPermitted
from evaluations import services
from evaluations.models import AppraisalEvent, Band, Campaign, RectificationItem
from evaluations.tasks import chase_overdue_rectifications
from petitions.deadlines import CHINA
from tests.evaluations.conftest import BASIC, enter_hearing

Verb = AppraisalEvent.Verb


def _publish(appraisal, actor):
    enter_hearing(appraisal, actor)
    services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=actor)
    return services.campaign_publish(campaign_id=appraisal.campaign.pk, actor=actor)


def test_seed_000_twelve_satisfied_three_basically_satisfied(world, appraisal):
    supervisor = world.users["supervisor"]
    campaign = _publish(appraisal, supervisor)

    assert campaign.state == Campaign.State.PUBLISHED and campaign.published_at
    participants = list(campaign.participants.select_related("unit"))
    assert len(participants) == 15
    bands = {p.unit.name: p.band for p in participants}
    assert sum(b == Band.SATISFIED for b in bands.values()) == 12
    assert {name for name, band in bands.items() if band == Band.BASIC} == BASIC
    assert all(p.composite >= 90 for p in participants if p.band == Band.SATISFIED)
    assert all(70 <= p.composite < 90 for p in participants if p.band == Band.BASIC)
    # Tied scores share a rank (1, 1, 3, …): each station's rank is 1 + the stations above it.
    assert all(p.rank == 1 + sum(q.composite > p.composite for q in participants) for p in participants)
    assert len({p.rank for p in participants}) < 15  # seed 000 has ties
    assert all(p.responses == 3 for p in participants)

    # The case record of 东镇财政所: 1 of 2 on time, 1 of 2 satisfied, no repeats → 60.
    finance = appraisal.participant("东镇财政所")
    assert finance.cases == 2
    assert finance.on_time_rate == Decimal("0.5") and finance.satisfaction_rate == Decimal("0.5")
    assert finance.case_score == Decimal("60.00")
    assert finance.composite == Decimal("90.50")  # 100×50% + 95×30% + 60×20%
    assert appraisal.participant("东镇林业站").composite == Decimal("81.50")  # 75×50% + 80×30% + 100×20%

    verbs = list(campaign.events.values_list("verb", flat=True))
    assert verbs.count(Verb.OPENED) == verbs.count(Verb.SCORING) == verbs.count(Verb.PUBLISHED) == 1
    assert verbs.count(Verb.HEARING) == 15 and verbs.count(Verb.COMMITMENT) == 15
    assert campaign.events.get(verb=Verb.PUBLISHED).actor == supervisor


def test_veto_moves_a_station_to_the_bottom_band(world, appraisal):
    supervisor = world.users["supervisor"]
    enter_hearing(appraisal, supervisor)
    services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=supervisor)
    top = appraisal.participant("东镇农业综合服务站")
    assert top.band == Band.SATISFIED

    with pytest.raises(ValidationError, match="一票否决须说明理由"):
        services.participant_veto(participant_id=top.pk, actor=supervisor, reason="  ")
    services.participant_veto(participant_id=top.pk, actor=supervisor, reason="工作人员索要好处费，查实")

    top.refresh_from_db()
    assert top.vetoed and top.band == Band.UNSATISFIED and top.rank == 15
    assert top.composite >= 90  # the score stands; the veto decides the band
    event = appraisal.campaign.events.get(verb=Verb.VETOED)
    assert event.participant == top and event.actor == supervisor and "好处费" in event.note
    campaign = services.campaign_publish(campaign_id=appraisal.campaign.pk, actor=supervisor)
    assert campaign.participants.filter(band=Band.SATISFIED).count() == 11


def test_duplicate_answer_from_one_phone_is_refused(appraisal):
    participant = appraisal.participant("东镇水利站")
    answers = {q.pk: 5 for q in appraisal.questions}
    with pytest.raises(ValidationError, match="已对该站所填写过问卷"):
        services.questionnaire_answer(participant_id=participant.pk, phone="13900000010", answers=answers)
    # The same phone may answer for another station; the number itself is not stored.
    other = appraisal.participant("东镇财政所")
    response = services.questionnaire_answer(participant_id=other.pk, phone="139 0000 0010", answers=answers)
    assert "13900000010" not in response.phone_hash and len(response.phone_hash) == 64
    assert participant.questionnaires.count() == 3


def test_questionnaire_refuses_bad_input(appraisal):
    participant = appraisal.participant("东镇水利站")
    answers = {q.pk: 5 for q in appraisal.questions}
    with pytest.raises(ValidationError, match="11 位手机号码"):
        services.questionnaire_answer(participant_id=participant.pk, phone="12345", answers=answers)
    with pytest.raises(ValidationError, match="1 至 5 之间"):
        services.questionnaire_answer(
            participant_id=participant.pk, phone="13700000000", answers={q.pk: 6 for q in appraisal.questions}
        )
    with pytest.raises(ValidationError, match="回答所有题目"):
        services.questionnaire_answer(participant_id=participant.pk, phone="13700000000", answers={})


def _create(world, **overrides):
    fields = {
        "actor": world.users["supervisor"],
        "region": world.region("东镇"),
        "name": "评议",
        "year": 2024,
        "period_start": date(2024, 1, 1),
        "period_end": date(2024, 12, 31),
    }
    return services.campaign_create(**(fields | overrides))


def test_weights_must_add_up_to_100(world):
    with pytest.raises(ValidationError, match="权重之和必须为 100%"):
        _create(world, weight_questionnaire=50, weight_hearing=30, weight_cases=30)
    assert not Campaign.objects.exists()


def test_thresholds_must_be_in_order(world):
    with pytest.raises(ValidationError, match="等次线须满足"):
        _create(world, satisfied_min=Decimal(70), basic_min=Decimal(90))
    with pytest.raises(ValidationError, match="等次线须满足"):
        _create(world, satisfied_min=Decimal(120))
    with pytest.raises(ValidationError, match="等次线须满足"):
        _create(world, basic_min=Decimal(-5))


def test_hearing_score_out_of_range_is_refused(world, appraisal):
    participant = appraisal.participant("东镇水利站")
    for bad in (Decimal(101), Decimal(-1), "abc"):
        with pytest.raises(ValidationError, match=r"0 至 100 之间|须为数字"):
            services.hearing_score_set(participant_id=participant.pk, actor=world.users["supervisor"], score=bad)
    participant.refresh_from_db()
    assert participant.hearing_score is None


def test_only_the_commission_runs_the_campaign(world, appraisal):
    with pytest.raises(NotPermitted):
        services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=world.users["other_clerk"])
    with pytest.raises(NotPermitted):
        _create(world, actor=world.users["foreign_supervisor"])
    with pytest.raises(InvalidState):
        services.campaign_publish(campaign_id=appraisal.campaign.pk, actor=world.users["supervisor"])


def test_publish_needs_every_hearing_score(world, appraisal):
    supervisor = world.users["supervisor"]
    services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=supervisor)
    with pytest.raises(ValidationError, match="听证得分"):
        services.campaign_publish(campaign_id=appraisal.campaign.pk, actor=supervisor)


def test_campaign_takes_only_stations_of_its_region(world):
    campaign = _create(world)
    assert [p.unit for p in campaign.participants.all()] == [world.units["east_finance"]]
    with pytest.raises(ValidationError, match=r"不是 .* 的基层站所"):
        services.campaign_add_station(
            campaign_id=campaign.pk, unit=world.units["east_centre"], actor=world.users["supervisor"]
        )


def test_overdue_rectification_items_are_chased_once(world, appraisal):
    supervisor = world.users["supervisor"]
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=CHINA), tick=False):
        late = services.rectification_add(
            campaign_id=appraisal.campaign.pk,
            actor=supervisor,
            owner=appraisal.stations["东镇林业站"],
            description="办事指南未上墙公示",
            deadline=date(2026, 3, 31),
        )
        done = services.rectification_add(
            campaign_id=appraisal.campaign.pk,
            actor=supervisor,
            owner=appraisal.stations["东镇司法所"],
            description="窗口无人值守",
            deadline=date(2026, 3, 31),
        )
        services.rectification_complete(item_id=done.pk, actor=supervisor, evidence="已排班值守，照片存档")
        assert chase_overdue_rectifications() == 0

    with time_machine.travel(datetime(2026, 3, 31, 20, tzinfo=CHINA), tick=False):
        assert chase_overdue_rectifications() == 0  # due today: not late yet

    with time_machine.travel(datetime(2026, 4, 1, 8, tzinfo=CHINA), tick=False):
        assert chase_overdue_rectifications() == 1
        assert chase_overdue_rectifications() == 0  # a re-run reminds nobody twice

    late.refresh_from_db()
    assert late.reminded_at is not None and late.status == RectificationItem.Status.OPEN
    reminders = AppraisalEvent.objects.filter(verb=Verb.REMINDED)
    assert [e.rectification_id for e in reminders] == [late.pk]
    assert reminders[0].actor is None and "东镇林业站" in reminders[0].note


def test_closing_a_rectification_needs_evidence(world, appraisal):
    supervisor = world.users["supervisor"]
    item = services.rectification_add(
        campaign_id=appraisal.campaign.pk,
        actor=supervisor,
        owner=appraisal.stations["东镇林业站"],
        description="办事指南未上墙公示",
        deadline=date(2030, 1, 1),
    )
    with pytest.raises(ValidationError, match="佐证材料"):
        services.rectification_complete(item_id=item.pk, actor=supervisor, evidence=" ")


def test_self_inspection_report_type_is_read_from_its_bytes(world, appraisal, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    participant = appraisal.participant("东镇林业站")
    fake = SimpleUploadedFile("report.pdf", b"#!/bin/sh\nrm -rf /\n", content_type="application/pdf")
    with translation.override("en"), pytest.raises(ValidationError, match="not a photo"):
        services.report_upload(participant_id=participant.pk, actor=world.users["supervisor"], upload=fake)
    pdf = SimpleUploadedFile(
        "自查报告.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", content_type="x/y"
    )
    report = services.report_upload(participant_id=participant.pk, actor=world.users["supervisor"], upload=pdf)
    assert report.content_type == "application/pdf" and report.original_name == "自查报告.pdf"
    assert appraisal.campaign.events.filter(verb=Verb.REPORT, participant=participant).count() == 1


def test_weights_can_change_until_scoring(world, appraisal):
    supervisor = world.users["supervisor"]
    kwargs = {"campaign_id": appraisal.campaign.pk, "actor": supervisor, "satisfied_min": 90, "basic_min": 70}
    with pytest.raises(ValidationError, match="权重之和必须为 100%"):
        services.campaign_update_weights(weight_questionnaire=60, weight_hearing=30, weight_cases=20, **kwargs)
    campaign = services.campaign_update_weights(weight_questionnaire=60, weight_hearing=20, weight_cases=20, **kwargs)
    assert campaign.weight_questionnaire == 60
    assert campaign.events.filter(verb=Verb.SETTINGS, actor=supervisor).count() == 1
    services.campaign_start_scoring(campaign_id=campaign.pk, actor=supervisor)
    with pytest.raises(InvalidState):
        services.campaign_update_weights(weight_questionnaire=50, weight_hearing=30, weight_cases=20, **kwargs)


def test_two_stations_with_the_same_score_share_a_rank_and_the_next_counts_them(world, appraisal):
    """Seed 000's ranking put two stations at 77.78 13th and 14th; they are both 13th, the
    next is 15th (standard competition ranking), and a veto still goes last."""
    campaign = _publish(appraisal, world.users["supervisor"])
    ranked = sorted(campaign.participants.all(), key=lambda p: p.rank)
    ranks = [p.rank for p in ranked]
    for position, participant in enumerate(ranked, 1):
        tied_above = [p for p in ranked[: position - 1] if p.composite == participant.composite]
        assert participant.rank == (tied_above[0].rank if tied_above else position)
    assert ranks[0] == 1 and ranks == sorted(ranks)
