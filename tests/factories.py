"""Factories for the tests: realistic objects with the fewest lines in each test."""

from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from learning.models import User

PASSWORD = "correct-horse-battery-staple"


@cache
def password_hash() -> str:
    # Argon2 is deliberately slow: hash the shared test password once, not once per user.
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"participant{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.LazyFunction(password_hash)
