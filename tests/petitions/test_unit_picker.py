"""The lead-unit picker (主办单位 / 协办单位) of the assign and transfer forms: every option
has a name of its own, the units that may take the case come first (issue 20)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from petitions.services import petition_accept
from stations.models import Region, Unit
from stations.services import unit_ensure

pytestmark = pytest.mark.django_db


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def assign_select(page: str) -> str:
    return re.search(r'<select name="unit"[^>]*id="assign-unit"[^>]*>(.*?)</select>', page, re.S).group(1)


def groups(select: str) -> list[tuple[str, list[str]]]:
    return [
        (label, re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", body))
        for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    ]


@pytest.fixture
def twin_village(world):
    """西镇 has a village called 东一村 too, with its own 东一村群众诉求站: the same name as
    东镇's station (22 such pairs in a real county)."""
    village = Region.objects.create(code="990121101201", name="东一村", level="village", parent=world.region("西镇"))
    return unit_ensure(region=village, name="东一村群众诉求站", kind=Unit.Kind.INTAKE)


def test_every_option_has_a_name_of_its_own(client, world, register, twin_village):
    petition = petition_accept(petition_id=register().petition.pk, actor=world.users["handler"])
    client.force_login(world.users["handler"])
    options = [
        name
        for _, names in groups(assign_select(client.get(f"/staff/cases/{petition.pk}/").content.decode()))
        for name in names
    ]
    assert len(options) == len(set(options))
    # The two stations of the same name are told apart by their township.
    assert "东镇 / 东一村群众诉求站" in options and "西镇 / 东一村群众诉求站" in options
    assert "东一村群众诉求站" not in options


def test_the_units_that_may_take_the_case_come_first(client, world, register, categories):
    # 基础设施 is a station's matter: the stations of the case's township are suggested.
    category = categories["infrastructure"]
    category.competent_unit_kind = Unit.Kind.STATION
    category.save()
    petition = petition_accept(petition_id=register().petition.pk, actor=world.users["handler"])
    client.force_login(world.users["handler"])
    found = groups(assign_select(client.get(f"/staff/cases/{petition.pk}/").content.decode()))
    assert found[0] == (zh("Suggested for this case"), ["东镇财政所"])
    # Then one group per township and one for the county, not one per village.
    assert [label for label, _ in found[1:]] == ["甲县", "东镇", "西镇"]
    assert "东镇财政所" not in [name for _, names in found[1:] for name in names]


def test_the_picker_is_searchable_in_the_readers_language(client, world, register):
    petition = petition_accept(petition_id=register().petition.pk, actor=world.users["handler"])
    client.force_login(world.users["handler"])
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    prompt = zh("Type to find a unit")
    assert re.search(rf'<select name="unit"[^>]*data-filter="{prompt}"[^>]*id="assign-unit"', page)
