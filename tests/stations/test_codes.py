from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from stations import codes
from stations.models import Region


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("530000000000", "province", "53"),
        ("530100000000", "city", "5301"),
        ("530121000000", "county", "530121"),
        ("530121100000", "township", "530121100"),
        ("530121100201", "village", "530121100201"),
    ],
)
def test_level_and_prefix_follow_from_the_code(code, level, prefix):
    assert codes.level_of(code) == level
    assert codes.prefix_of(code) == prefix


def test_subtree_range_and_ancestors():
    assert codes.code_range("530121100") == ("530121100000", "530121100999")
    assert codes.ancestor_codes("530121100201") == ["530000000000", "530100000000", "530121000000", "530121100000"]
    assert codes.parent_code("530000000000") is None


@pytest.mark.django_db
def test_region_clean_refuses_a_level_that_contradicts_the_code(world):
    region = Region(code="990121102000", name="错镇", level="village", parent=world.region("甲县"))
    with pytest.raises(ValidationError) as error:
        region.full_clean()
    assert "level" in error.value.message_dict


@pytest.mark.django_db
def test_region_clean_refuses_a_parent_that_is_not_the_prefix(world):
    region = Region(code="990121102000", name="错镇", level="township", parent=world.region("乙县"))
    with pytest.raises(ValidationError) as error:
        region.full_clean()
    assert "parent" in error.value.message_dict


@pytest.mark.django_db
def test_region_clean_refuses_a_malformed_code(world):
    region = Region(code="99012110200", name="短码", level="township", parent=world.region("甲县"))
    with pytest.raises(ValidationError) as error:
        region.full_clean()
    assert "code" in error.value.message_dict
