from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from petitions.models import Category

pytestmark = pytest.mark.django_db


def test_the_nine_categories_of_the_design_are_loaded_with_their_competent_units():
    kinds = dict(Category.objects.values_list("code", "competent_unit_kind"))
    assert kinds == {
        "infrastructure": "department",
        "social_security": "department",
        "land": "station",
        "neighbour_dispute": "intake",
        "forest_land": "station",
        "benefit_policy": "station",
        "discipline": "commission",
        "legal": "department",
        "other": "intake",
    }
    assert list(Category.objects.values_list("code", flat=True))[-1] == "other"


def test_only_discipline_is_confidential():
    assert list(Category.objects.filter(confidential=True).values_list("code", flat=True)) == ["discipline"]


def test_every_category_starts_with_the_national_default_deadlines():
    for category in Category.objects.all():
        assert (
            category.acceptance_days,
            category.handling_days,
            category.extension_max_days,
            category.review_request_days,
            category.review_days,
        ) == (15, 60, 30, 30, 30), category.code
    day_types = dict(Category.objects.values_list("code", "day_type"))
    assert day_types.pop("legal") == Category.DayType.CALENDAR
    assert set(day_types.values()) == {Category.DayType.WORKING}


def test_the_name_follows_the_active_language():
    land = Category.objects.get(code="neighbour_dispute")
    with translation.override("zh-hans"):
        assert land.name == "家庭邻里纠纷"
        assert str(land) == "家庭邻里纠纷"
    with translation.override("en"):
        assert land.name == "Family and neighbour disputes"


def new_category(**fields) -> Category:
    return Category(
        **{"code": "water", "name_zh": "供水", "name_en": "Water", "competent_unit_kind": "station", **fields}
    )


def test_a_new_category_gets_the_default_deadlines():
    category = new_category()
    category.full_clean()
    category.save()
    assert (category.acceptance_days, category.handling_days, category.day_type) == (15, 60, "working")


@pytest.mark.parametrize(
    "field", ["acceptance_days", "handling_days", "extension_max_days", "review_request_days", "review_days"]
)
def test_zero_days_is_refused_by_validation_and_by_the_database(field):
    category = new_category(**{field: 0})
    with pytest.raises(ValidationError) as caught:
        category.full_clean()
    assert field in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        category.save()


def test_the_constraint_says_which_days_are_wrong():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        new_category(handling_days=0).validate_constraints()
    assert caught.value.messages == ["The days to handle must be at least 1."]


def test_an_unknown_unit_kind_or_day_type_is_refused():
    with pytest.raises(ValidationError) as caught:
        new_category(competent_unit_kind="court", day_type="lunar").full_clean()
    assert set(caught.value.message_dict) == {"competent_unit_kind", "day_type"}


def test_a_code_is_unique():
    with pytest.raises(ValidationError) as caught:
        new_category(code="land").full_clean()
    assert "code" in caught.value.message_dict


def test_the_categories_api_lists_codes_and_deadlines_in_the_callers_language(api, world, categories):
    api.force_authenticate(world.users["clerk"])
    rows = api.get("/api/v1/categories/").json()
    assert [row["code"] for row in rows][:2] == ["infrastructure", "social_security"]
    assert len(rows) == 9
    land = api.get("/api/v1/categories/land/").json()
    assert land["name"] == "土地问题" and land["acceptance_days"] == 15 and land["handling_days"] == 60
    api.cookies["suqiu_language"] = "en"
    assert api.get("/api/v1/categories/land/").json()["name"] == "Land"
