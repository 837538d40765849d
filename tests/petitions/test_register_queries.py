"""One registration through the API (the W1 workload of bench/README.md) runs a fixed, small
number of queries, and its answer is built from what was just written."""

from __future__ import annotations

import pytest

from petitions.models import Assignment, Petition, PetitionEvent
from tests.tokens import token_headers

pytestmark = pytest.mark.django_db

CASES = "/api/v1/petitions/"

# The caller's token; whether the caller owes a second factor (a token issued without a
# code is refused then, stations.tokens); the clerk's roles (their desks come with them); the
# repeat check; the case (in a savepoint, for the tracking-number retry), its lead assignment
# and its event; the registration's own transaction (a savepoint inside the test's). Nothing
# is read back for the answer. The categories, the holiday calendar, the village with its
# township and the township's intake centre come from the process's copies
# (config/refcache.py): the first registration of a process reads them, once.
REGISTRATION_QUERIES = 11
FIRST_IN_PROCESS = REGISTRATION_QUERIES + 4


def walk_in(world, n: int, **overrides) -> dict:
    return {
        "channel": "visit",
        "category": "infrastructure",
        "region": world.region("东一村").code,
        "title": f"村道塌方 {n}",
        "content": "东一村三组村道雨后塌方，车辆无法通行。",
        "complainant_name": "字红梅",
        "complainant_phone": f"1380013{n:04d}",
        **overrides,
    }


@pytest.fixture
def headers(world):
    return token_headers(world.users["clerk"], HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_a_registration_through_the_api_runs_a_fixed_number_of_queries(
    client, world, categories, headers, django_assert_max_num_queries
):
    for n, queries in ((1, FIRST_IN_PROCESS), (2, REGISTRATION_QUERIES), (3, REGISTRATION_QUERIES)):
        with django_assert_max_num_queries(queries):
            response = client.post(CASES, walk_in(world, n), content_type="application/json", **headers)
        assert response.status_code == 201, response.content

    answer = response.json()
    petition = Petition.objects.get(pk=answer["id"])
    assert answer["tracking_number"] == petition.tracking_number
    assert answer["holder_unit"] == {"id": world.units["east_centre"].pk, "name": world.units["east_centre"].name}
    assert answer["intake_unit"]["id"] == world.units["east1_desk"].pk
    assert answer["parts"] == [
        {
            "unit": {"id": petition.holder_unit_id, "name": petition.holder_unit.name},
            "role": "lead",
            "active": True,
            "due_at": None,
            "replied_at": None,
            "reply_text": "",
        }
    ]
    assert answer["attachments"] == [] and answer["accused"] == []
    assert "accept" in answer["allowed_actions"] or "settle" in answer["allowed_actions"]
    assert Assignment.objects.filter(petition=petition, role="lead").count() == 1
    assert PetitionEvent.objects.filter(petition=petition, verb="registered").count() == 1


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"accused": [{"name": "张某", "post": "村委会主任"}, {"name": "李某", "post": "", "unit": "east_finance"}]},
        {"anonymous": True, "complainant_name": ""},
        # A confidential report: the desk that took it in sees the shell its answer shows.
        {"category": "discipline", "accused": [{"name": "杨某", "post": "村党支部书记"}]},
        {"category": "legal", "complainant_id_number": "11010519491231002X"},
    ],
)
def test_the_answer_built_in_hand_is_the_case_as_read_back(client, api, world, categories, headers, extra):
    """The registration's answer says what a read of the case says right after (but the due
    date, which the answer gives as the acceptance deadline, and the query code)."""
    for person in extra.get("accused", []):
        if "unit" in person:
            person["unit"] = world.units[person["unit"]].pk
    response = client.post(CASES, walk_in(world, 3, **extra), content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    answer = response.json()
    api.force_authenticate(world.users["clerk"])
    read = api.get(f"{CASES}{answer['id']}/").json()
    assert answer.pop("query_code")
    assert answer.pop("due_at") == answer["acceptance_due_at"]
    read.pop("due_at")
    assert answer == read
    if extra.get("category") == "discipline":
        # The desk that took it in sees a shell: nothing of who, nor of what the report says.
        assert answer["accused"] == [] and answer["title"] == answer["content"] == "保密"  # "confidential"
        assert answer["complainant_name"] == "保密" and "纪委" in answer["holder_unit"]["name"]
    elif extra.get("accused"):
        assert [person["name"] for person in answer["accused"]] == ["张某", "李某"]
        assert answer["accused"][1]["unit"] == "东镇财政所"
