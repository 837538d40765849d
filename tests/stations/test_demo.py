from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from stations.models import Membership, MembershipEvent, Region, Unit, User
from stations.selectors import regions_visible_to

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


def demo_figures():
    """Everything the demo writes, counted: a re-run must leave every number as it was."""
    return {
        "regions": Region.objects.count(),
        "units": Unit.objects.count(),
        "staff": User.objects.count(),
        "memberships": Membership.objects.count(),
        "role changes": MembershipEvent.objects.count(),
    }


def test_the_demo_county_is_shaped_like_seed_003_and_reloads_without_duplicates(client):
    out = StringIO()
    call_command("demo_county", stdout=out)
    first = county_figures()
    assert first["townships"] == 13 and first["villages"] == 187

    in_county = Region.objects.within("990121")
    villages = in_county.filter(level="village")
    desks = Unit.objects.filter(kind="intake", region__in=villages)
    assert desks.count() == 187 and set(desks.values_list("region", flat=True)) == set(
        villages.values_list("pk", flat=True)
    )
    county_units = Unit.objects.filter(region__in=in_county)
    assert county_units.filter(kind="intake", region__level="township").count() == 13
    assert county_units.filter(kind="intake", region__level="county").count() == 1
    assert county_units.filter(kind="commission").count() == 14  # the county's and each township's
    assert county_units.filter(kind="department").exists()
    assert Unit.objects.filter(kind="station", region__name="洛党镇").count() == 15  # seed 000's 15 stations
    assert set(Membership.objects.values_list("role", flat=True)) == set(Membership.Role.values)
    assert Region.objects.filter(name="新锋村", parent__name="洛党镇").exists()

    printed = out.getvalue()
    assert "suqiu-demo-2026" in printed and "clerk" in printed and "supervisor" in printed

    everything = demo_figures()
    again = StringIO()
    with translation.override("en"):
        call_command("demo_county", stdout=again)
    assert county_figures() == first and demo_figures() == everything
    assert "Kept the existing 示范县" in again.getvalue() and "Kept the existing 示范二县" in again.getvalue()


# (username, role, unit, the unit's region, printed among the logins)
NEW_STAFF = [
    ("city_handler", "handler", "市群众诉求中心", "990100000000", True),
    ("city_supervisor", "supervisor", "市群众诉求中心", "990100000000", True),
    ("city_inspector", "handler", "市纪委监委", "990100000000", True),
    ("city_commission_supervisor", "supervisor", "市纪委监委", "990100000000", True),
    ("county_inspector", "handler", "县纪委监委", "990121000000", True),
    ("county_inspector2", "handler", "县纪委监委", "990121000000", False),
    ("county2_clerk", "clerk", "示范二县群众诉求中心", "990122000000", True),
    ("county2_handler", "handler", "示范二县群众诉求中心", "990122000000", True),
    ("county2_supervisor", "supervisor", "示范二县纪委监委", "990122000000", True),
    ("clerk_990122100200", "clerk", "杏花村群众诉求站", "990122100200", False),
    ("clerk_990122101202", "clerk", "龙潭村群众诉求站", "990122101202", False),
]


def test_the_demo_has_staff_above_the_county_and_in_a_second_county():
    out = StringIO()
    call_command("demo_county", stdout=out)
    printed = {line.split()[0] for line in out.getvalue().splitlines() if line.startswith("  ")}
    for username, role, unit, region, shown in NEW_STAFF:
        held = set(Membership.objects.filter(user__username=username).values_list("role", "unit__name"))
        assert held == {(role, unit)}, username
        assert Unit.objects.filter(name=unit, region__code=region).exists(), unit
        assert (username in printed) == shown, username
    assert not User.objects.filter(username__in=[row[0] for row in NEW_STAFF], is_superuser=True).exists()
    assert User.objects.get(username="city_handler").check_password("suqiu-demo-2026")

    city = Unit.objects.filter(region__code="990100000000")
    assert set(city.values_list("name", "kind")) == {("市群众诉求中心", "intake"), ("市纪委监委", "commission")}
    # 县纪委监委 has handlers of its own to accept and dispose reports, not only a superuser.
    inspectors = Membership.objects.filter(unit__name="县纪委监委", unit__region__code="990121000000", role="handler")
    assert set(inspectors.values_list("user__username", flat=True)) == {"county_inspector", "county_inspector2"}


def test_the_second_county_is_a_tenant_of_its_own():
    out = StringIO()
    with translation.override("en"):
        call_command("demo_county", stdout=out)
    county = Region.objects.get(code="990122000000")
    assert county.name == "示范二县" and county.parent.code == "990100000000"
    subtree = county.subtree()
    assert {r.county_code for r in subtree} == {"990122000000"}
    assert set(subtree.filter(level="township").values_list("code", "name")) == {
        ("990122100000", "北山镇"),
        ("990122101000", "南河乡"),
    }
    villages = subtree.filter(level="village")
    assert sorted(villages.values_list("code", flat=True)) == [
        "990122100200",
        "990122100201",
        "990122100202",
        "990122101200",
        "990122101201",
        "990122101202",
    ]
    units = Unit.objects.filter(region__in=subtree)
    assert units.filter(kind="intake", region__level="village").count() == 6
    assert units.filter(kind="intake", region__level="township").count() == 2
    assert units.filter(kind="commission").count() == 3  # the county's and each township's
    assert "示范二县: 2 townships, 6 villages, 12 units, 9 staff." in out.getvalue()

    # Its staff see only its regions, and 示范县's staff none of them.
    for username in ["county2_clerk", "county2_handler", "county2_supervisor"]:
        visible = regions_visible_to(User.objects.get(username=username))
        assert visible.exists() and all(code.startswith("990122") for code in visible.values_list("code", flat=True))
    for username in ["county_handler", "supervisor", "county_inspector"]:
        visible = regions_visible_to(User.objects.get(username=username))
        assert not visible.filter(code__startswith="990122").exists()


def test_a_demo_clerk_can_sign_in(client):
    call_command("demo_county", stdout=StringIO())
    response = client.post("/accounts/login/", {"username": "clerk", "password": "suqiu-demo-2026"})
    assert response.status_code == 302
    assert "新锋村群众诉求站" in client.get("/staff/").content.decode()
