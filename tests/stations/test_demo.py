from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from stations.models import Membership, Region, Unit, User

pytestmark = pytest.mark.django_db


def county_figures():
    county = Region.objects.get(code="990121000000")
    subtree = county.subtree()
    return {
        "townships": subtree.filter(level="township").count(),
        "villages": subtree.filter(level="village").count(),
        "units": Unit.objects.filter(region__in=subtree).count(),
        "staff": User.objects.count(),
        "memberships": Membership.objects.count(),
    }


def test_the_demo_county_is_shaped_like_seed_003_and_reloads_without_duplicates(client):
    out = StringIO()
    call_command("demo_county", stdout=out)
    first = county_figures()
    assert first["townships"] == 13 and first["villages"] == 187

    villages = Region.objects.filter(level="village")
    desks = Unit.objects.filter(kind="intake", region__level="village")
    assert desks.count() == 187 and set(desks.values_list("region", flat=True)) == set(
        villages.values_list("pk", flat=True)
    )
    assert Unit.objects.filter(kind="intake", region__level="township").count() == 13
    assert Unit.objects.filter(kind="intake", region__level="county").count() == 1
    assert Unit.objects.filter(kind="commission").count() == 14  # the county's and each township's
    assert Unit.objects.filter(kind="department").exists()
    assert Unit.objects.filter(kind="station", region__name="洛党镇").count() == 15  # seed 000's 15 stations
    assert set(Membership.objects.values_list("role", flat=True)) == set(Membership.Role.values)
    assert Region.objects.filter(name="新锋村", parent__name="洛党镇").exists()

    printed = out.getvalue()
    assert "suqiu-demo-2026" in printed and "clerk" in printed and "supervisor" in printed

    call_command("demo_county", stdout=StringIO())
    assert county_figures() == first


def test_a_demo_clerk_can_sign_in(client):
    call_command("demo_county", stdout=StringIO())
    response = client.post("/accounts/login/", {"username": "clerk", "password": "suqiu-demo-2026"})
    assert response.status_code == 302
    assert "新锋村群众诉求站" in client.get("/staff/").content.decode()
