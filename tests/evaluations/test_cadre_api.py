"""/api/v1/cadre-sheets/: the same sheets, verbs and refusals as the pages."""

from __future__ import annotations

import pytest

from evaluations.cadre import services
from evaluations.models import CadreSheet
from stations.models import Unit
from stations.services import unit_ensure
from tests.evaluations.test_cadre import PARTS, publish_finance_appraisal

URL = "/api/v1/cadre-sheets/"


@pytest.fixture
def sheet(world) -> CadreSheet:
    return services.cadre_sheet_create(
        actor=world.users["supervisor"], unit=world.units["east_finance"], year=2024, parts=PARTS
    )


def _post(api, path, data):
    return api.post(path, data, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_open_score_and_finalise_over_the_api(world, api):
    publish_finance_appraisal(world)
    api.force_authenticate(world.users["supervisor"])
    parts = [{"name": "党风廉政责任制落实", "weight": 40}, {"name": "日常监督检查", "weight": "30"}]
    created = _post(api, URL, {"unit": world.units["east_finance"].pk, "year": 2024, "parts": parts})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["appraisal"] | {"campaign": None} == {
        "id": None,
        "name": body["appraisal"]["name"],
        "weight": "30",
        "score": "77.78",
        "weighted_score": "23.334",
        "campaign": None,
        "campaign_name": "2024 民主评议基层站所",
        "vetoed": False,
    }
    assert body["total"] is None and len(body["missing"]) == 2 and body["version"] == 1
    sheet_url = f"{URL}{body['id']}/"
    first, second = (part["id"] for part in body["parts"])
    assert _post(api, f"{sheet_url}score/", {"version": 1, "part": first, "score": 90}).status_code == 200
    scored = _post(api, f"{sheet_url}score/", {"version": 2, "part": second, "score": "85"}).json()
    assert scored["total"] == "84.83" and scored["missing"] == []
    assert [p["weighted_score"] for p in scored["parts"]] == ["36", "25.5"]

    stale = _post(api, f"{sheet_url}finalise/", {"version": 2})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    final = _post(api, f"{sheet_url}finalise/", {"version": 3})
    assert final.status_code == 200 and final.json()["state"] == "final"
    again = _post(api, f"{sheet_url}score/", {"version": 4, "part": first, "score": 10})
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"


def test_weights_not_making_100_are_a_400_and_nothing_is_saved(world, api, sheet):
    api.force_authenticate(world.users["supervisor"])
    response = _post(
        api,
        f"{URL}{sheet.pk}/layout/",
        {"version": 1, "appraisal_weight": 30, "parts": [{"name": "日常监督检查", "weight": 60}]},
    )
    assert response.status_code == 400
    assert response.json()["parts"] == ["各项权重合计为90%，应为100%：群众评议30%，其他各项60%。"]
    sheet.refresh_from_db()
    assert sheet.version == 1 and sheet.parts.count() == 2


def test_another_countys_commission_gets_404s(world, api, sheet):
    api.force_authenticate(world.users["foreign_supervisor"])
    assert api.get(f"{URL}{sheet.pk}/").status_code == 404
    assert _post(api, f"{URL}{sheet.pk}/finalise/", {"version": 1}).status_code == 404
    assert api.get(URL).json()["results"] == []
    # Nor can it open a sheet for a unit it cannot see: the unit is unknown to it.
    refused = _post(api, URL, {"unit": world.units["east_finance"].pk, "year": 2025, "parts": []})
    assert refused.status_code == 400 and "unit" in refused.json()
    assert CadreSheet.objects.count() == 1


def test_the_list_pins_its_queries(world, api, sheet, django_assert_num_queries):
    api.force_authenticate(world.users["supervisor"])
    for n in range(3):
        unit = unit_ensure(region=world.region("东镇"), name=f"东镇站所{n}", kind=Unit.Kind.STATION)
        services.cadre_sheet_create(actor=world.users["supervisor"], unit=unit, year=2024, parts=PARTS)
    # Count, page, parts, published appraisals (the roles are already read for this user object).
    with django_assert_num_queries(4):
        response = api.get(URL, {"year": 2024})
    assert response.json()["count"] == 4
    assert api.get(URL, {"year": "x"}).status_code == 400
