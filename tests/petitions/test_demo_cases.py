from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from petitions.models import Petition, PetitionEvent

pytestmark = pytest.mark.django_db


def test_demo_cases_cover_the_states_once(categories):
    with pytest.raises(CommandError):
        call_command("demo_cases", stdout=StringIO())
    call_command("demo_county", "--quiet-logins", stdout=StringIO())
    call_command("demo_cases", stdout=StringIO())
    statuses = set(Petition.objects.values_list("status", flat=True))
    assert statuses == {"registered", "accepted", "in_progress", "replied", "closed", "rejected"}
    assert Petition.objects.filter(settled_on_the_spot=True).count() == 1
    assert PetitionEvent.objects.filter(verb="assigned").exists()
    count = Petition.objects.count()
    call_command("demo_cases", stdout=StringIO())
    assert Petition.objects.count() == count == 11


def test_the_demo_shows_cases_handed_down_from_the_city(categories):
    from petitions.models import Referral

    call_command("demo_county", "--quiet-logins", stdout=StringIO())
    call_command("demo_cases", stdout=StringIO())
    water = Petition.objects.get(title="饮水工程停水一个月")
    chain = list(water.referrals.order_by("created_at").values_list("from_unit__name", "to_unit__name", "status"))
    assert chain == [
        ("市群众诉求中心", "县群众诉求中心", Referral.Status.REPORTED),
        ("县群众诉求中心", "洛党镇群众诉求中心", Referral.Status.ACCEPTED),
    ]
    assert (water.source, water.status, water.holder_unit.name) == ("city", "replied", "洛党镇群众诉求中心")
    report = Petition.objects.get(title="村干部虚报冒领危房改造补助")
    assert (report.source, report.holder_unit.name) == ("city", "县纪委监委")
    assert report.referrals.get().status == Referral.Status.REPORTED
    outcomes = report.dispositions.get().outcomes.order_by("accused_id").values_list("outcome", "sanction")
    assert list(outcomes) == [("case_opened", "serious_warning"), ("talk_reminder", "")]


def test_the_demo_has_seed_003s_report_against_an_official(categories):
    call_command("demo_county", "--quiet-logins", stdout=StringIO())
    call_command("demo_cases", stdout=StringIO())
    report = Petition.objects.get(category__code="discipline", source="own")
    assert report.holder_unit.name == "洛党镇纪委" and report.status == "replied"
    assert list(report.accused.values_list("name", "post")) == [("杨某", "村党支部副书记")]
    assert list(report.dispositions.values_list("kind", "sanctioned_count", "sanction_kind")) == [
        ("preliminary_verification", 0, ""),
        ("case_opened", 1, "expulsion"),
    ]
    assert report.events.filter(verb=PetitionEvent.Verb.DISPOSED).count() == 2
