"""The seed-000 township: 15 service stations appraised in 2024 (民主评议基层站所)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.models import Campaign, Participant, Question
from petitions.models import Assignment, Petition, Satisfaction
from stations.models import Unit
from stations.services import unit_ensure

STATION_NAMES = [
    "东镇财政所",
    "东镇农业综合服务站",
    "东镇林业站",
    "东镇水利站",
    "东镇国土资源所",
    "东镇司法所",
    "东镇派出所",
    "东镇卫生院",
    "东镇中心学校",
    "东镇供电所",
    "东镇社保所",
    "东镇文化站",
    "东镇畜牧兽医站",
    "东镇计生服务站",
    "东镇便民服务中心窗口",
]
# The three stations that end as basically satisfied units (基本满意单位).
BASIC = {"东镇林业站", "东镇司法所", "东镇文化站"}
PROMISES = ["首问首办", "一次性告知", "限时办结"]


@dataclass
class Appraisal:
    campaign: Campaign
    stations: dict[str, Unit]
    questions: list[Question]

    def participant(self, name: str) -> Participant:
        return self.campaign.participants.get(unit=self.stations[name])


def _phone(i: int) -> str:
    return f"139{i:08d}"


@pytest.fixture
def appraisal(world, register) -> Appraisal:
    """An open campaign over 东镇's 15 stations, commitments published, the questionnaire
    answered (12 stations all 5s, 3 stations all 4s) and one station's case record mixed."""
    east = world.region("东镇")
    stations = {"东镇财政所": world.units["east_finance"]}
    for name in STATION_NAMES[1:]:
        stations[name] = unit_ensure(region=east, name=name, kind=Unit.Kind.STATION)
    today = timezone.localdate()
    supervisor = world.users["supervisor"]
    campaign = services.campaign_create(
        actor=supervisor,
        region=east,
        name="民主评议基层站所",
        year=2024,
        period_start=today - timedelta(days=365),
        period_end=today,
        weight_questionnaire=50,
        weight_hearing=30,
        weight_cases=20,
    )
    questions = [
        services.question_add(campaign_id=campaign.pk, actor=supervisor, text=text)
        for text in ("办事效率", "服务态度", "廉洁自律")
    ]
    for participant in campaign.participants.all():
        services.commitment_publish(participant_id=participant.pk, actor=supervisor, texts=PROMISES)
    services.campaign_open(campaign_id=campaign.pk, actor=supervisor)

    phone = 0
    for name, unit in stations.items():
        value = 4 if name in BASIC else 5
        participant = campaign.participants.get(unit=unit)
        for _ in range(3):
            phone += 1
            services.questionnaire_answer(
                participant_id=participant.pk, phone=_phone(phone), answers={q.pk: value for q in questions}
            )

    # 东镇财政所 led two cases: one replied on time and rated satisfied, one late and unsatisfied.
    now = timezone.now()
    for i, (late, satisfaction) in enumerate(((False, Satisfaction.SATISFIED), (True, Satisfaction.UNSATISFIED))):
        petition = register(
            title=f"补贴未发放{i}", content=f"第{i}组补贴未发放。", complainant_phone=f"1380013800{i}"
        ).petition
        Assignment.objects.filter(petition=petition).update(active=False)  # transferred to the station
        Assignment.objects.create(petition=petition, unit=stations["东镇财政所"], role=Assignment.Role.LEAD)
        Petition.objects.filter(pk=petition.pk).update(
            due_at=now - timedelta(days=1),
            replied_at=now if late else now - timedelta(days=2),
            satisfaction=satisfaction,
        )
    return Appraisal(campaign=campaign, stations=stations, questions=questions)


def enter_hearing(appraisal: Appraisal, actor) -> None:
    for name, unit in appraisal.stations.items():
        participant = appraisal.campaign.participants.get(unit=unit)
        services.hearing_score_set(
            participant_id=participant.pk, actor=actor, score=Decimal(80) if name in BASIC else Decimal(95)
        )
