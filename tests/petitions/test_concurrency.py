"""Two people acting on one case at the same moment: exactly one wins, the other is told."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from config.errors import InvalidState, StaleVersion
from petitions import services
from petitions.models import Petition, PetitionEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"),
]


def race(*actions):
    """Run the actions in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait()
            results[i] = action()
        except Exception as error:  # noqa: BLE001 - the outcome is what we compare
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_accept_and_reject_at_once_one_wins_and_the_other_gets_a_clear_error(world, register):
    case = register().petition
    handler, leader = world.users["handler"], world.users["leader"]
    results = race(
        lambda: services.petition_accept(petition_id=case.pk, actor=handler),
        lambda: services.petition_reject(
            petition_id=case.pk, actor=leader, reason="不属受理范围", guidance="请向法院起诉"
        ),
    )
    winners = [r for r in results if isinstance(r, Petition)]
    losers = [r for r in results if isinstance(r, InvalidState)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].message
    case.refresh_from_db()
    assert case.status == winners[0].status and case.version == 2
    decisions = PetitionEvent.objects.filter(petition=case, verb__in=["accepted", "rejected"])
    assert (
        decisions.count() == 1 and decisions.get().verb == {"accepted": "accepted", "rejected": "rejected"}[case.status]
    )


def test_two_notes_on_the_same_version_one_is_refused_as_stale(world, register):
    case = register().petition
    results = race(
        lambda: services.petition_note(
            petition_id=case.pk, actor=world.users["handler"], text="已电话联系", expected_version=1
        ),
        lambda: services.petition_note(
            petition_id=case.pk, actor=world.users["leader"], text="请尽快处理", expected_version=1
        ),
    )
    assert sum(isinstance(r, StaleVersion) for r in results) == 1, results
    assert PetitionEvent.objects.filter(petition=case, verb="note").count() == 1


@pytest.mark.parametrize("send_version", [True, False], ids=["with-version", "without-version"])
def test_two_transfers_of_one_case_at_once_the_loser_gets_409_in_chinese(world, register, send_version):
    """Two handlers of the township centre transfer the same case at the same moment, through
    the API, twelve times over: one transfer wins each round, the other is told in Chinese that
    someone changed the case (409), never a 500, and no write is lost."""
    from rest_framework.test import APIClient

    handler, leader = world.users["handler"], world.users["leader"]
    targets = [world.units["east_finance"], world.units["civil_affairs"]]
    for _round in range(12):
        case = register().petition
        case = services.petition_accept(petition_id=case.pk, actor=handler)

        def transfer(user, unit, version=case.version, pk=case.pk):
            client = APIClient()
            client.force_authenticate(user)
            body = {"unit": unit.pk, "note": "转办"} | ({"version": version} if send_version else {})
            return client.post(f"/api/v1/petitions/{pk}/transfer/", body, format="json")

        answers = race(lambda: transfer(handler, targets[0]), lambda: transfer(leader, targets[1]))
        codes = sorted(answer.status_code for answer in answers)
        # Both read the case before either held its lock: the loser's is stale (409). A loser that
        # read it after the winner's commit no longer holds it and is refused (403): never a 500.
        assert codes in ([200, 409], [200, 403]) if not send_version else codes == [200, 409], codes
        winner = next(answer for answer in answers if answer.status_code == 200)
        loser = next(answer for answer in answers if answer.status_code != 200)
        if loser.status_code == 409:
            assert loser.json()["code"] == "stale_version"
            assert loser.json()["detail"] == "他人刚刚修改了此件，请刷新后重试。", loser.json()
        case.refresh_from_db()
        assert case.holder_unit_id == winner.json()["holder_unit"]["id"]
        assert case.version == 3
        moves = PetitionEvent.objects.filter(petition=case, verb=PetitionEvent.Verb.TRANSFERRED)
        assert moves.count() == 1 and moves.get().to_unit_id == case.holder_unit_id


def test_two_people_deciding_one_referral_at_once_one_wins_and_the_other_gets_409(world, register):
    from petitions.models import Referral
    from stations.models import Membership
    from stations.services import membership_grant
    from tests.factories import UserFactory

    units, city = world.units, world.users["city_handler"]
    county = UserFactory(username="county_handler")
    membership_grant(user=county, unit=units["county_centre"], role=Membership.Role.HANDLER)
    colleague = UserFactory(username="city_colleague")
    membership_grant(user=colleague, unit=units["city_centre"], role=Membership.Role.HANDLER)
    case = register(actor="city_handler", channel="hotline", intake_unit=units["city_centre"]).petition
    referral = services.petition_hand_down(petition_id=case.pk, actor=city, unit=units["county_centre"])
    services.referral_report(referral_id=referral.pk, actor=county, text="已办结")
    results = race(
        lambda: services.referral_accept(referral_id=referral.pk, actor=city),
        lambda: services.referral_return(referral_id=referral.pk, actor=colleague, reason="证据不足"),
    )
    winners = [r for r in results if isinstance(r, Referral)]
    losers = [r for r in results if isinstance(r, InvalidState)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].message
    referral.refresh_from_db()
    assert referral.status == winners[0].status
    decisions = PetitionEvent.objects.filter(petition=case, verb__in=["referral_accepted", "referral_returned"])
    assert decisions.count() == 1
