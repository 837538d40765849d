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
