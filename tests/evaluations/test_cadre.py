"""The cadre link (干部考核挂钩, seed 000): the residents' appraisal counts 30 % of a unit's
cadre assessment, beside the parts the commission scores; computed, audited, scoped."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation

from config.errors import InvalidState, NotPermitted, StaleVersion
from evaluations import services as appraisals
from evaluations.cadre import services
from evaluations.cadre.selectors import Line, sheet_result, total_of
from evaluations.models import CadreSheet, CadreSheetEvent, CadreSheetPart, Campaign

Verb = CadreSheetEvent.Verb
PARTS = [("党风廉政责任制落实", 40), ("日常监督检查", 30)]


def publish_finance_appraisal(world, year: int = 2024) -> Campaign:
    """东镇's appraisal of 东镇财政所 alone, published: one question answered 3, 4 and 5 (mean 4 →
    75), hearing 67.6, no cases (case record 100): 75 × 50 % + 67.6 × 30 % + 100 × 20 % = 77.78."""
    supervisor = world.users["supervisor"]
    today = timezone.localdate()
    campaign = appraisals.campaign_create(
        actor=supervisor,
        region=world.region("东镇"),
        name="民主评议基层站所",
        year=year,
        period_start=today - timedelta(days=365),
        period_end=today,
        stations=[world.units["east_finance"]],
    )
    question = appraisals.question_add(campaign_id=campaign.pk, actor=supervisor, text="廉洁自律")
    appraisals.campaign_open(campaign_id=campaign.pk, actor=supervisor)
    participant = campaign.participants.get()
    for n, value in enumerate((3, 4, 5)):
        appraisals.questionnaire_answer(
            participant_id=participant.pk, phone=f"1390000000{n}", answers={question.pk: value}
        )
    appraisals.campaign_start_scoring(campaign_id=campaign.pk, actor=supervisor)
    appraisals.hearing_score_set(participant_id=participant.pk, actor=supervisor, score="67.6")
    campaign = appraisals.campaign_publish(campaign_id=campaign.pk, actor=supervisor)
    assert campaign.participants.get().composite == Decimal("77.78")
    return campaign


@pytest.fixture
def published(world) -> Campaign:
    return publish_finance_appraisal(world)


def _sheet(world, actor="supervisor", year=2024, parts=PARTS, weight=30) -> CadreSheet:
    return services.cadre_sheet_create(
        actor=world.users[actor], unit=world.units["east_finance"], year=year, parts=parts, appraisal_weight=weight
    )


def _score(world, sheet, name, score, actor="supervisor", version=None):
    part = sheet.parts.get(name=name)
    return services.cadre_sheet_score(
        sheet_id=sheet.pk, part_id=part.pk, actor=world.users[actor], score=score, expected_version=version
    )


def test_the_arithmetic_rounds_once_half_up():
    lines = [
        Line("appraisal", Decimal(30), Decimal("77.78")),
        Line("党风廉政责任制落实", Decimal(40), Decimal(90)),
        Line("日常监督检查", Decimal(30), Decimal(85)),
    ]
    assert [line.contribution for line in lines] == [Decimal("23.334"), Decimal(36), Decimal("25.5")]
    assert total_of(lines) == Decimal("84.83")  # 84.834
    # Half up, not to even: 45.005 + 45 = 90.005 → 90.01.
    assert total_of([Line("a", Decimal(50), Decimal("90.01")), Line("b", Decimal(50), Decimal(90))]) == Decimal("90.01")
    assert total_of([Line("a", Decimal(50), None), Line("b", Decimal(50), Decimal(90))]) is None


def test_seed_000_the_appraisal_counts_thirty_percent(world, published):
    sheet = _sheet(world)
    assert sheet.appraisal_weight == Decimal(30) and sheet.version == 1
    _score(world, sheet, "党风廉政责任制落实", 90)
    _score(world, sheet, "日常监督检查", "85")

    result = sheet_result(CadreSheet.objects.get(pk=sheet.pk))
    assert result.participant.campaign == published and result.appraisal.score == Decimal("77.78")
    assert result.appraisal.contribution == Decimal("23.334")
    assert result.total == Decimal("84.83") and result.missing == []

    sheet = services.cadre_sheet_finalise(sheet_id=sheet.pk, actor=world.users["supervisor"], expected_version=3)
    sheet.refresh_from_db()
    assert sheet.state == CadreSheet.State.FINAL and sheet.total == Decimal("84.83")
    assert sheet.appraisal.campaign == published and sheet.appraisal_score == Decimal("77.78")
    event = sheet.events.get(verb=Verb.FINALISED)
    assert event.actor == world.users["supervisor"]
    # The final sheet reads what it kept, whatever becomes of the campaign's rows later.
    published.participants.update(composite=Decimal(10))
    assert sheet_result(sheet).appraisal.score == Decimal("77.78") and sheet_result(sheet).total == Decimal("84.83")
    assert event.data == {
        "total": "84.83",
        "appraisal": {"campaign": published.pk, "campaign_name": "2024 民主评议基层站所", "score": "77.78"},
    }


def test_without_a_published_appraisal_the_total_is_incomplete_not_zero(world):
    sheet = _sheet(world)
    _score(world, sheet, "党风廉政责任制落实", 90)
    _score(world, sheet, "日常监督检查", 85)
    with translation.override("en"):
        result = sheet_result(sheet)
        assert result.total is None and result.appraisal.score is None
        assert result.missing == [
            "No published appraisal of 2024 covers 东镇财政所: the residents' appraisal has no score yet, "
            "so the total is incomplete."
        ]
        with pytest.raises(ValidationError, match="No published appraisal of 2024"):
            services.cadre_sheet_finalise(sheet_id=sheet.pk, actor=world.users["supervisor"])
    sheet.refresh_from_db()
    assert sheet.state == CadreSheet.State.DRAFT and sheet.total is None
    assert not sheet.events.filter(verb=Verb.FINALISED).exists()


def test_an_appraisal_of_another_year_or_not_yet_published_does_not_count(world, published):
    sheet = _sheet(world, year=2025)
    assert sheet_result(sheet).appraisal.score is None
    Campaign.objects.filter(pk=published.pk).update(state=Campaign.State.SCORING)
    assert sheet_result(_sheet(world, year=2024)).appraisal.score is None


def test_a_part_without_score_leaves_the_total_incomplete(world, published):
    sheet = _sheet(world)
    _score(world, sheet, "党风廉政责任制落实", 90)
    with translation.override("en"):
        result = sheet_result(sheet)
    assert result.total is None and result.missing == ["日常监督检查 has no score yet."]


@pytest.mark.parametrize(
    ("weight", "parts", "message"),
    [
        (30, [("党风廉政责任制落实", 40), ("日常监督检查", 20)], "The weights add up to 90 %, not 100 %"),
        (30, [("党风廉政责任制落实", 40), ("日常监督检查", "30.5")], "add up to 100.5 %"),
        (30, [("党风廉政责任制落实", 70), ("党风廉政责任制落实", 0)], "Two parts are named"),
        (30, [("", 70)], "Name every part"),
        (30, [("党风廉政责任制落实", "七十")], "Give the weight of 党风廉政责任制落实 as a number"),
        (101, [], "A weight is between 0 and 100 %."),
        ("30.001", [("党风廉政责任制落实", "69.999")], "at most two decimals"),
    ],
)
def test_bad_weights_are_refused_and_nothing_is_saved(world, weight, parts, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        _sheet(world, parts=parts, weight=weight)
    assert not CadreSheet.objects.exists() and not CadreSheetEvent.objects.exists()


def test_changing_the_layout_is_checked_audited_and_keeps_the_scores(world, published):
    supervisor = world.users["supervisor"]
    sheet = _sheet(world)
    _score(world, sheet, "党风廉政责任制落实", 90)
    _score(world, sheet, "日常监督检查", 85)
    with translation.override("en"), pytest.raises(ValidationError, match="add up to 110 %"):
        services.cadre_sheet_set_layout(
            sheet_id=sheet.pk, actor=supervisor, appraisal_weight=30, parts=[*PARTS, ("信访举报办理", 10)]
        )
    sheet.refresh_from_db()
    assert sheet.version == 3 and sheet.parts.count() == 2 and sheet.events.count() == 3

    services.cadre_sheet_set_layout(
        sheet_id=sheet.pk,
        actor=supervisor,
        appraisal_weight=20,
        parts=[("党风廉政责任制落实", 50), ("信访举报办理", 30)],
        expected_version=3,
    )
    sheet.refresh_from_db()
    assert sheet.version == 4 and sheet.appraisal_weight == Decimal(20)
    assert list(sheet.parts.values_list("name", "weight", "score")) == [
        ("党风廉政责任制落实", Decimal(50), Decimal(90)),
        ("信访举报办理", Decimal(30), None),
    ]
    event = sheet.events.get(verb=Verb.LAYOUT)
    assert event.actor == supervisor
    assert event.data == {
        "old": {
            "appraisal_weight": "30",
            "parts": [
                {"name": "党风廉政责任制落实", "weight": "40", "score": "90"},
                {"name": "日常监督检查", "weight": "30", "score": "85"},
            ],
        },
        "new": {
            "appraisal_weight": "20",
            "parts": [{"name": "党风廉政责任制落实", "weight": "50"}, {"name": "信访举报办理", "weight": "30"}],
        },
    }
    # The same layout again changes nothing and writes nothing.
    services.cadre_sheet_set_layout(
        sheet_id=sheet.pk,
        actor=supervisor,
        appraisal_weight="20",
        parts=[("党风廉政责任制落实", "50"), ("信访举报办理", 30)],
    )
    sheet.refresh_from_db()
    assert sheet.version == 4 and sheet.events.filter(verb=Verb.LAYOUT).count() == 1


def test_each_score_is_an_event_old_to_new(world, published):
    sheet = _sheet(world)
    _score(world, sheet, "党风廉政责任制落实", 90)
    _score(world, sheet, "党风廉政责任制落实", "88.5")
    events = list(sheet.events.filter(verb=Verb.SCORED).values_list("actor__username", "data"))
    assert events == [
        ("supervisor", {"part": "党风廉政责任制落实", "old": None, "new": "90"}),
        ("supervisor", {"part": "党风廉政责任制落实", "old": "90", "new": "88.5"}),
    ]
    with translation.override("en"):
        for bad, message in (("101", "between 0 and 100"), ("-1", "between 0 and 100"), ("abc", "is a number")):
            with pytest.raises(ValidationError, match=message):
                _score(world, sheet, "日常监督检查", bad)
    assert sheet.parts.get(name="日常监督检查").score is None
    assert sheet.events.filter(verb=Verb.SCORED).count() == 2


def test_a_final_sheet_cannot_change(world, published):
    sheet = _sheet(world)
    _score(world, sheet, "党风廉政责任制落实", 90)
    _score(world, sheet, "日常监督检查", 85)
    services.cadre_sheet_finalise(sheet_id=sheet.pk, actor=world.users["supervisor"])
    with translation.override("en"), pytest.raises(InvalidState, match="final"):
        _score(world, sheet, "日常监督检查", 60)
    with pytest.raises(InvalidState):
        services.cadre_sheet_set_layout(
            sheet_id=sheet.pk, actor=world.users["supervisor"], appraisal_weight=30, parts=[("党风廉政责任制落实", 70)]
        )
    assert sheet.parts.get(name="日常监督检查").score == Decimal(85)
    assert sheet.events.count() == 4  # created, two scores, final


def test_two_editors_at_once_cannot_overwrite_each_other(world, published):
    """Both loaded version 1; the first to save wins, the second is told, and nothing of his is
    written (in the browser he reloads and sees the first one's score)."""
    sheet = _sheet(world)
    _score(world, sheet, "党风廉政责任制落实", 90, version=1)
    with translation.override("en"), pytest.raises(StaleVersion, match="Someone else changed this sheet"):
        _score(world, sheet, "党风廉政责任制落实", 60, actor="leader", version=1)
    with pytest.raises(StaleVersion):
        services.cadre_sheet_set_layout(
            sheet_id=sheet.pk, actor=world.users["leader"], appraisal_weight=30, parts=PARTS, expected_version=1
        )
    assert sheet.parts.get(name="党风廉政责任制落实").score == Decimal(90)
    assert sheet.events.filter(verb=Verb.SCORED).count() == 1


def test_only_the_commission_of_the_region_assesses_and_not_the_units_own_staff(world, published):
    from stations.models import Membership
    from stations.services import membership_grant
    from tests.factories import UserFactory

    for outsider in ("foreign_supervisor", "other_clerk", "clerk", "observer", "handler"):
        with pytest.raises(NotPermitted):
            _sheet(world, actor=outsider)
    # The township's leader sits on its commission but also leads the finance office: he stands aside.
    chief = UserFactory(username="finance_chief")
    membership_grant(user=chief, unit=world.units["east_finance"], role=Membership.Role.LEADER)
    with pytest.raises(NotPermitted):
        services.cadre_sheet_create(actor=chief, unit=world.units["east_finance"], year=2024, parts=PARTS)
    sheet = _sheet(world)
    with pytest.raises(NotPermitted):
        _score(world, sheet, "党风廉政责任制落实", 100, actor="foreign_supervisor")
    assert CadreSheetPart.objects.filter(score__isnull=False).count() == 0


def test_one_sheet_per_unit_and_year(world):
    _sheet(world)
    with translation.override("en"), pytest.raises(ValidationError, match="already has an assessment sheet"):
        _sheet(world, parts=[("党风廉政责任制落实", 70)])
    assert CadreSheet.objects.count() == 1


def test_the_events_are_append_only(world):
    """In Python (the model) and in the database (the trigger of migration 0004), as the
    appraisal events are (tests/petitions/test_audit_trigger.py)."""
    sheet = _sheet(world)
    event = sheet.events.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    if connection.vendor != "postgresql":
        return
    message = "cadre sheet events are append-only: {op} of evaluations_cadresheetevent refused"
    for op, run in (
        ("UPDATE", lambda: CadreSheetEvent.objects.filter(pk=event.pk).update(note="改写")),
        ("DELETE", lambda: CadreSheetEvent.objects.filter(pk=event.pk).delete()),
    ):
        with pytest.raises(DatabaseError, match=message.format(op=op)), transaction.atomic():
            run()
    with pytest.raises(DatabaseError, match="TRUNCATE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE evaluations_cadresheetevent")
    assert CadreSheetEvent.objects.get(pk=event.pk).note == ""
