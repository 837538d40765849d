from __future__ import annotations

import pytest

from petitions import services
from petitions.models import PetitionEvent

pytestmark = pytest.mark.django_db


def test_walk_in_to_closed(world, register):
    reg = register()
    p = reg.petition
    assert p.holder_unit == world.units["east_centre"] and p.status == "registered"
    handler = world.users["handler"]
    services.petition_accept(petition_id=p.pk, actor=handler)
    services.petition_assign(petition_id=p.pk, actor=handler, unit=world.units["east_finance"],
                             co_units=[world.units["civil_affairs"]])
    p.refresh_from_db()
    assert p.status == "in_progress"
    verbs = list(PetitionEvent.objects.filter(petition=p).values_list("verb", flat=True))
    assert verbs == ["registered", "accepted", "assigned"]
