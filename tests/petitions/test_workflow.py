"""The verb table (`petitions.workflow.VERBS`) is what the case page, the API and the services
read: every verb there is offered by both, refused by the service in its own words, and a
verb the table does not have exists nowhere."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.serializers import Serializer

from petitions import forms, serializers, services, workflow
from petitions.models import ExtensionRequest, Petition
from petitions.selectors import allowed_actions
from petitions.services import petition_accept, petition_assign, petition_request_extension
from petitions.views import ACTIONS
from stations.models import Membership
from stations.services import membership_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_handler(world):
    """A handler of 东镇财政所, the station the township assigns cases to."""
    user = UserFactory(username="finance_handler")
    membership_grant(user=user, unit=world.units["east_finance"], role=Membership.Role.HANDLER)
    return user


def test_every_verb_has_its_service_form_and_input():
    for verb in workflow.VERBS.values():
        assert callable(getattr(services, verb.service)), verb.name
        assert issubclass(getattr(forms, verb.form), forms.ActionForm), verb.name
        assert issubclass(getattr(serializers, verb.serializer), Serializer), verb.name
        assert verb.states and verb.who and str(verb.label) and str(verb.phrase) and str(verb.done)
    # The page offers the table's verbs, in its order, and a supervision notice (not a step).
    assert list(ACTIONS) == [*workflow.VERBS, "supervise"]


def test_the_api_has_one_path_per_verb_and_no_other(api):
    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]
    posted = {
        path.removeprefix("/api/v1/petitions/{id}/").rstrip("/")
        for path, operations in paths.items()
        if path.startswith("/api/v1/petitions/{id}/") and "post" in operations
    }
    table = {verb.name for verb in workflow.VERBS.values() if verb.api}
    assert posted == table | {"reveal", "attachments"}
    for name in table:
        operation = paths[f"/api/v1/petitions/{{id}}/{name}/"]["post"]
        assert operation["summary"] == str(workflow.VERBS[name].summary)


def _offered_on_page(client: Client, petition: Petition) -> set[str]:
    page = client.get(reverse("petitions:case", kwargs={"pk": petition.pk})).content.decode()
    return {name for name in ACTIONS if f'id="action-{name}"' in page}


@pytest.fixture
def stages(world, register, finance_handler):
    """A case at each stage the table knows, with a waiting extension on one."""
    handler = world.users["handler"]
    registered = register().petition
    accepted = register().petition
    petition_accept(petition_id=accepted.pk, actor=handler)
    assigned = register().petition
    petition_accept(petition_id=assigned.pk, actor=handler)
    petition_assign(petition_id=assigned.pk, actor=handler, unit=world.units["east_finance"])
    waiting = register().petition
    petition_accept(petition_id=waiting.pk, actor=handler)
    petition_assign(petition_id=waiting.pk, actor=handler, unit=world.units["east_finance"])
    petition_request_extension(petition_id=waiting.pk, actor=finance_handler, days=5, reason="需现场勘查")
    assert ExtensionRequest.objects.filter(petition=waiting, state="pending").exists()
    return [Petition.objects.get(pk=p.pk) for p in (registered, accepted, assigned, waiting)]


@pytest.mark.parametrize("person", ["clerk", "handler", "supervisor", "finance_handler", "root"])
def test_the_page_offers_exactly_what_the_person_may_do(client, world, stages, finance_handler, person):
    user = finance_handler if person == "finance_handler" else world.users[person]
    client.force_login(user)
    offered_somewhere = set()
    for petition in stages:
        allowed = allowed_actions(user, Petition.objects.get(pk=petition.pk))
        on_page = _offered_on_page(client, petition) - {"supervise"}
        assert on_page == allowed, (person, petition.status)
        offered_somewhere |= allowed
    assert offered_somewhere  # each of them may do something on one of the cases


def test_a_verb_refused_says_whether_it_is_the_state_or_the_person(api, world, stages):
    registered, accepted, *_rest = stages
    api.force_login(world.users["clerk"])
    # The state allows accepting, the village clerk may not: 403 in the person's terms.
    answer = api.post(f"/api/v1/petitions/{registered.pk}/accept/", {}, format="json")
    assert answer.status_code == 403
    api.force_login(world.users["handler"])
    # The handler could accept, but not a case already accepted: 409 naming the state and verb.
    answer = api.post(f"/api/v1/petitions/{accepted.pk}/accept/", {}, format="json")
    assert answer.status_code == 409, answer.content
    assert str(workflow.VERBS["accept"].phrase) in answer.json()["detail"]
    # A commission's verb on a case no commission holds: refused in its own words.
    answer = api.post(
        f"/api/v1/petitions/{accepted.pk}/dispose/", {"kind": "closed_no_case", "note": "了结"}, format="json"
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == str(workflow.VERBS["dispose"].refused)
    accepted.refresh_from_db()
    assert accepted.status == "accepted" and not accepted.dispositions.exists()
