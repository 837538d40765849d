"""Factories for test data. Regions and units are made through the stations services."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from stations.models import User

PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试员{n}")
    password = _PASSWORD_HASH


def walk_in(world, **overrides) -> dict:
    """The fields a clerk types at the 东一村 desk, as the registration API takes them."""
    return {
        "channel": "visit",
        "category": "infrastructure",
        "region": world.region("东一村").code,
        "title": "村道塌方",
        "content": "东一村三组村道雨后塌方，车辆无法通行。",
        "complainant_name": "字红梅",
        "complainant_phone": "13800138000",
        "anonymous": False,
        **overrides,
    }
