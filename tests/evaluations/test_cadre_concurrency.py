"""Two commission members saving one cadre assessment sheet at the same moment: one wins, the
other is told, and nothing of the loser's is written (the row lock and the version)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from config.errors import StaleVersion
from evaluations.cadre import services
from evaluations.models import CadreSheet, CadreSheetEvent, CadreSheetPart
from tests.evaluations.test_cadre import PARTS
from tests.petitions.test_concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"),
]


def test_a_score_and_a_new_layout_at_once_one_wins(world):
    supervisor, leader = world.users["supervisor"], world.users["leader"]
    sheet = services.cadre_sheet_create(actor=supervisor, unit=world.units["east_finance"], year=2024, parts=PARTS)
    part = sheet.parts.get(name="日常监督检查")
    results = race(
        lambda: services.cadre_sheet_score(
            sheet_id=sheet.pk, part_id=part.pk, actor=supervisor, score="85", expected_version=1
        ),
        lambda: services.cadre_sheet_set_layout(
            sheet_id=sheet.pk,
            actor=leader,
            appraisal_weight=30,
            parts=[("党风廉政责任制落实", 70)],
            expected_version=1,
        ),
    )
    winners = [r for r in results if isinstance(r, CadreSheetPart | CadreSheet)]
    losers = [r for r in results if isinstance(r, StaleVersion)]
    assert len(winners) == 1 and len(losers) == 1, results
    sheet.refresh_from_db()
    assert sheet.version == 2
    changes = CadreSheetEvent.objects.filter(sheet=sheet).exclude(verb="created")
    assert changes.count() == 1
    if isinstance(winners[0], CadreSheetPart):  # the score stands, the layout was not applied
        assert changes.get().verb == "scored" and sheet.parts.get(name="日常监督检查").score == Decimal(85)
    else:  # the part was removed, and no score was written to it
        assert changes.get().verb == "layout" and list(sheet.parts.values_list("name", flat=True)) == [
            "党风廉政责任制落实"
        ]
