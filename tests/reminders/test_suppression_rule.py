"""One rule for "a suppressed address": a suppression matches its address in any case, whether asked with a value
or inside a query."""

import pytest
from django.db.models import Exists, OuterRef

from learning.models import User
from reminders.models import Suppression
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_address_is_suppressed_in_any_case():
    Suppression.objects.create(email="ann@example.org", reason=Suppression.BOUNCED)
    assert Suppression.objects.of_address("Ann@Example.ORG").exists()


def test_another_address_is_not_suppressed():
    Suppression.objects.create(email="ann@example.org", reason=Suppression.BOUNCED)
    assert not Suppression.objects.of_address("bob@example.org").exists()


def test_the_rule_works_inside_a_query_of_people():
    suppressed = UserFactory(email="Ann@Example.org")
    UserFactory(email="bob@example.org")
    Suppression.objects.create(email="ann@example.org", reason=Suppression.COMPLAINED)
    found = User.objects.filter(Exists(Suppression.objects.of_address(OuterRef("email"))))
    assert list(found) == [suppressed]
