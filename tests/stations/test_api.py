from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def signed_in(api, user):
    api.force_authenticate(user)
    return api


def test_token_sign_in_and_use(api, world, password):
    response = api.post("/api/v1/auth/token/", {"username": "handler", "password": password}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    listed = api.get("/api/v1/regions/")
    assert listed.status_code == 200
    assert {row["name"] for row in listed.json()["results"]} == {"东镇", "东一村", "东二村"}


def test_anonymous_callers_get_401_in_the_error_shape(api, world):
    response = api.get("/api/v1/regions/")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_authenticated" and body["detail"]


def test_regions_filter_by_level_and_parent_id_or_code(api, world):
    signed_in(api, world.users["supervisor"])
    county = world.region("甲县")
    by_id = api.get("/api/v1/regions/", {"parent": county.pk}).json()["results"]
    by_code = api.get("/api/v1/regions/", {"parent": county.code}).json()["results"]
    assert [r["name"] for r in by_id] == [r["name"] for r in by_code] == ["东镇", "西镇"]
    assert by_id[0] == {
        "id": world.region("东镇").pk,
        "code": "990121100000",
        "name": "东镇",
        "level": "township",
        "parent": county.pk,
    }
    villages = api.get("/api/v1/regions/", {"level": "village"}).json()["results"]
    assert {r["name"] for r in villages} == {"东一村", "东二村", "西一村"}


def test_a_bad_filter_is_a_400_with_the_field_named(api, world):
    signed_in(api, world.users["supervisor"])
    response = api.get("/api/v1/regions/", {"parent": "abc", "level": "galaxy"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    assert set(body) >= {"parent", "level"}


def test_units_filter_by_region_and_kind(api, world):
    signed_in(api, world.users["supervisor"])
    east = world.region("东镇")
    rows = api.get("/api/v1/units/", {"region": east.code}).json()["results"]
    assert {r["name"] for r in rows} == {"东镇群众诉求中心", "东镇财政所"}
    rows = api.get("/api/v1/units/", {"within": east.code, "kind": "intake"}).json()["results"]
    assert {r["name"] for r in rows} == {"东镇群众诉求中心", "东一村群众诉求站", "东二村群众诉求站"}


@pytest.mark.parametrize("route", ["regions", "units"])
def test_another_countys_rows_are_404(api, world, route):
    signed_in(api, world.users["foreign_supervisor"])
    target = world.region("东镇") if route == "regions" else world.units["east_centre"]
    assert api.get(f"/api/v1/{route}/{target.pk}/").status_code == 404
    signed_in(api, world.users["supervisor"])
    assert api.get(f"/api/v1/{route}/{target.pk}/").status_code == 200


def test_list_query_counts_are_pinned(api, world, django_assert_max_num_queries):
    signed_in(api, world.users["root"])
    with django_assert_max_num_queries(3):  # count, page, (no per-row queries)
        assert api.get("/api/v1/units/").status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get("/api/v1/regions/").status_code == 200


def test_the_openapi_schema_documents_the_hierarchy(api, world):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {"/api/v1/regions/", "/api/v1/units/", "/api/v1/auth/token/"} <= set(schema["paths"])
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
