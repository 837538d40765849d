"""Who sees which regions and units, role by role, across two townships and two counties."""

from __future__ import annotations

import pytest

from stations.selectors import regions_visible_to, scope_for, units_visible_to

pytestmark = pytest.mark.django_db

EAST = {"东镇", "东一村", "东二村"}
WEST = {"西镇", "西一村"}
COUNTY_A = {"甲县"} | EAST | WEST
COUNTY_B = {"乙县", "北镇", "北一村"}
EVERYWHERE = {"示范省", "示范市"} | COUNTY_A | COUNTY_B


@pytest.mark.parametrize(
    ("actor", "regions"),
    [
        ("clerk", {"东一村"}),
        ("other_clerk", {"西一村"}),
        ("handler", EAST),
        ("leader", EAST),
        ("dept_handler", COUNTY_A),
        ("supervisor", COUNTY_A),
        ("observer", COUNTY_A),
        ("admin", COUNTY_A),
        ("foreign_clerk", {"北一村"}),
        ("foreign_supervisor", COUNTY_B),
        ("nobody", set()),
        ("root", EVERYWHERE),
    ],
)
def test_regions_visible_to_each_role(world, actor, regions):
    user = world.users[actor]
    assert set(regions_visible_to(user).values_list("name", flat=True)) == regions


@pytest.mark.parametrize(
    ("actor", "units"),
    [
        ("clerk", {"东一村群众诉求站"}),
        ("other_clerk", {"西一村群众诉求站"}),
        ("handler", {"东镇群众诉求中心", "东镇财政所", "东一村群众诉求站", "东二村群众诉求站"}),
        ("foreign_supervisor", {"乙县群众诉求中心", "乙县纪委监委", "北一村群众诉求站"}),
        ("nobody", set()),
    ],
)
def test_units_visible_to_each_role(world, actor, units):
    user = world.users[actor]
    assert set(units_visible_to(user).values_list("name", flat=True)) == units


def test_case_scope_by_role(world):
    """The scope the case queries will apply: by unit for desk staff, by subtree above."""
    u = world.units
    clerk = scope_for(world.users["clerk"])
    assert clerk.unit_ids == {u["east1_desk"].pk} and clerk.case_prefixes == ()
    handler = scope_for(world.users["handler"])
    assert handler.unit_ids == {u["east_centre"].pk} and handler.case_prefixes == ()
    assert scope_for(world.users["leader"]).case_prefixes == ("990121100",)
    assert scope_for(world.users["supervisor"]).case_prefixes == ("990121",)
    observer = scope_for(world.users["observer"])
    assert observer.case_prefixes == () and observer.unit_ids == frozenset()
    assert observer.stats_prefixes == ("990121",)
    admin = scope_for(world.users["admin"])
    assert admin.admin_prefixes == ("990121",) and admin.case_prefixes == ()
    assert scope_for(world.users["nobody"]).is_empty
    assert scope_for(world.users["root"]).everything


def test_several_roles_add_up_and_nested_subtrees_collapse(world):
    from stations.services import membership_grant

    user = world.users["leader"]
    membership_grant(user=user, unit=world.units["county_commission"], role="supervisor")
    membership_grant(user=user, unit=world.units["b_centre"], role="leader")
    user = type(user).objects.get(pk=user.pk)  # a fresh object: scopes are cached per object
    assert scope_for(user).case_prefixes == ("990121", "990122")


def test_a_deactivated_user_or_unit_sees_nothing(world):
    clerk = world.users["clerk"]
    world.units["east1_desk"].is_active = False
    world.units["east1_desk"].save(update_fields=["is_active"])
    assert not regions_visible_to(type(clerk).objects.get(pk=clerk.pk)).exists()
    handler = world.users["handler"]
    handler.is_active = False
    assert scope_for(handler).is_empty
