"""The public pages (commitments, questionnaire, results), the API and the commission's pages."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import services
from evaluations.models import Band, Campaign
from tests.evaluations.conftest import BASIC, PROMISES, enter_hearing


def _published(world, appraisal) -> Campaign:
    supervisor = world.users["supervisor"]
    enter_hearing(appraisal, supervisor)
    services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=supervisor)
    return services.campaign_publish(campaign_id=appraisal.campaign.pk, actor=supervisor)


def test_public_commitments_with_questionnaire_link_and_qr(client, appraisal):
    response = client.get(reverse("evaluations:public_detail", args=[appraisal.campaign.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert all(promise in body for promise in PROMISES) and "东镇林业站" in body
    assert body.count("<svg") == 15
    participant = appraisal.participant("东镇水利站")
    assert reverse("evaluations:questionnaire", args=[appraisal.campaign.pk, participant.pk]) in body
    assert "go-appraisals" in client.get(reverse("grievances:home") + "?county=990121000000").content.decode()


def _answers(appraisal, value=5, phone="13600000001"):
    data = {f"q{q.pk}": value for q in appraisal.questions}
    return data | {"phone": phone}


def test_questionnaire_page_counts_one_answer_per_phone(client, appraisal):
    participant = appraisal.participant("东镇水利站")
    url = reverse("evaluations:questionnaire", args=[appraisal.campaign.pk, participant.pk])
    assert client.get(url).status_code == 200
    first = client.post(url, _answers(appraisal))
    assert first.status_code == 200 and "谢谢" in first.content.decode()
    again = client.post(url, _answers(appraisal, value=1))
    assert again.status_code == 400
    assert "该手机号码已对该站所填写过问卷。" in again.content.decode()
    assert participant.questionnaires.count() == 4


def test_questionnaire_is_rate_limited(client, appraisal, settings):
    settings.SUQIU_APPRAISAL_ANSWER_RATE_PER_ADDRESS = "2/h"
    participant = appraisal.participant("东镇水利站")
    url = reverse("evaluations:questionnaire", args=[appraisal.campaign.pk, participant.pk])
    assert client.post(url, _answers(appraisal, phone="13600000001")).status_code == 200
    assert client.post(url, _answers(appraisal, phone="13600000002")).status_code == 200
    assert client.post(url, _answers(appraisal, phone="13600000003")).status_code == 429
    assert participant.questionnaires.count() == 5


def test_questionnaire_closed_outside_open_campaign(client, world, appraisal):
    services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=world.users["supervisor"])
    participant = appraisal.participant("东镇水利站")
    url = reverse("evaluations:questionnaire", args=[appraisal.campaign.pk, participant.pk])
    assert client.get(url).status_code == 404


def test_results_page_and_api_show_twelve_satisfied_three_basic(client, api, world, appraisal):
    campaign = _published(world, appraisal)
    body = client.get(reverse("evaluations:results", args=[campaign.pk])).content.decode()
    bands = dict(re.findall(r'data-station="([^"]+)" data-band="([^"]+)"', body))
    assert len(bands) == 15
    assert sum(b == Band.SATISFIED for b in bands.values()) == 12
    assert {name for name, band in bands.items() if band == Band.BASIC} == BASIC

    response = api.get(f"/api/v1/appraisals/{campaign.pk}/results/")  # anonymous: published is public
    assert response.status_code == 200
    results = response.json()["results"]
    # Tied scores share a rank: each station's is 1 + the stations scored above it.
    scores = [Decimal(str(r["composite"])) for r in results]
    assert [r["rank"] for r in results] == [1 + sum(s > mine for s in scores) for mine in scores]
    assert sum(r["band"] == "satisfied" for r in results) == 12
    assert {r["station"] for r in results if r["band"] == "basic"} == BASIC
    assert response.json()["campaign"]["state"] == "published"

    xlsx = client.get(reverse("evaluations:results_xlsx", args=[campaign.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 15 and rows[0][0] == 1


def test_veto_shows_on_the_published_results(client, world, appraisal):
    supervisor = world.users["supervisor"]
    enter_hearing(appraisal, supervisor)
    services.campaign_start_scoring(campaign_id=appraisal.campaign.pk, actor=supervisor)
    client.force_login(supervisor)
    participant = appraisal.participant("东镇供电所")
    url = reverse("evaluations:staff_veto", args=[appraisal.campaign.pk, participant.pk])
    client.post(url, {"reason": "违规收费，查实"})
    client.post(reverse("evaluations:staff_transition", args=[appraisal.campaign.pk, "publish"]))
    body = client.get(reverse("evaluations:results", args=[appraisal.campaign.pk])).content.decode()
    assert 'data-station="东镇供电所" data-band="unsatisfied"' in body and "违规收费" in body


def test_unpublished_results_are_staff_only(client, api, world, appraisal):
    campaign = appraisal.campaign
    assert client.get(reverse("evaluations:results", args=[campaign.pk])).status_code == 404
    assert api.get(f"/api/v1/appraisals/{campaign.pk}/results/").status_code == 404
    assert api.get("/api/v1/appraisals/").status_code in (401, 403)
    api.force_authenticate(world.users["foreign_supervisor"])
    assert api.get(f"/api/v1/appraisals/{campaign.pk}/").status_code == 404
    assert api.get("/api/v1/appraisals/").json()["count"] == 0
    api.force_authenticate(world.users["supervisor"])
    listed = api.get("/api/v1/appraisals/").json()
    assert [c["id"] for c in listed["results"]] == [campaign.pk]
    assert api.get(f"/api/v1/appraisals/{campaign.pk}/results/").json()["results"][0]["composite"] is None


def test_commission_pages(client, world, appraisal):
    supervisor = world.users["supervisor"]
    client.force_login(supervisor)
    assert appraisal.campaign.name in client.get(reverse("evaluations:staff_list")).content.decode()
    detail = reverse("evaluations:staff_detail", args=[appraisal.campaign.pk])
    assert client.get(detail).status_code == 200
    participant = appraisal.participant("东镇水利站")
    hearing = reverse("evaluations:staff_hearing", args=[appraisal.campaign.pk, participant.pk])
    page = client.post(hearing, {"score": "120"}, follow=True).content.decode()
    assert "听证得分须在 0 至 100 之间。" in page
    client.post(hearing, {"score": "88.5"})
    participant.refresh_from_db()
    assert str(participant.hearing_score) == "88.50"
    client.force_login(world.users["foreign_supervisor"])
    assert client.get(detail).status_code == 404


def test_commission_creates_a_campaign_and_bad_weights_are_refused(client, world):
    client.force_login(world.users["supervisor"])
    data = {
        "region": world.region("东镇").pk,
        "name": "民主评议",
        "year": 2024,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "weight_questionnaire": 50,
        "weight_hearing": 30,
        "weight_cases": 30,
        "satisfied_min": 90,
        "basic_min": 70,
    }
    response = client.post(reverse("evaluations:staff_list"), data)
    assert response.status_code == 400
    assert "权重之和必须为 100%" in response.content.decode()
    response = client.post(reverse("evaluations:staff_list"), data | {"weight_cases": 20})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.participants.count() == 1


@pytest.mark.parametrize("path", ["/appraisals/"])
def test_public_list(client, appraisal, path):
    assert appraisal.campaign.name in client.get(path).content.decode()
