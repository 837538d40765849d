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
