from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from petitions.models import Petition, PetitionEvent

pytestmark = pytest.mark.django_db


def test_demo_cases_cover_the_states_once(categories):
    with pytest.raises(CommandError):
        call_command("demo_cases", stdout=StringIO())
    call_command("demo_county", "--quiet-logins", stdout=StringIO())
    call_command("demo_cases", stdout=StringIO())
    statuses = set(Petition.objects.values_list("status", flat=True))
    assert statuses == {"registered", "accepted", "in_progress", "replied", "closed", "rejected"}
    assert Petition.objects.filter(settled_on_the_spot=True).count() == 1
    assert PetitionEvent.objects.filter(verb="assigned").exists()
    count = Petition.objects.count()
    call_command("demo_cases", stdout=StringIO())
    assert Petition.objects.count() == count == 8
