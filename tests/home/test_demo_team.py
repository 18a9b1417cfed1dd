"""The demo's employer: a trust with two departments, a manager for each and one for the trust, whose members
are in every state a manager meets; the managers' sign-in is printed."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from home.demo import DEMO_DEPARTMENTS, DEMO_PASSWORD, DEMO_TRUST, DEMO_TRUST_MANAGER
from learning.models import Organisation, User
from learning.organisations.access import team_scope
from learning.organisations.selectors import team_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("load_demo")
    return capsys.readouterr().out


def standings(manager_email):
    team = team_of(team_scope(User.objects.get(email=manager_email)), today=timezone.localdate())
    return {
        row.participant.first_name: {check.course.code: (check.standing, check.booked) for check in row.checks}
        for row in team.rows
    }


def test_the_trust_has_two_departments_each_with_a_manager_who_can_sign_in(demo):
    trust = Organisation.objects.get(name=DEMO_TRUST, parent=None)

    assert sorted(trust.departments.values_list("name", flat=True)) == sorted(DEMO_DEPARTMENTS)
    for _, _, manager in DEMO_DEPARTMENTS.values():
        assert manager in demo
        assert User.objects.get(email=manager).check_password(DEMO_PASSWORD)
    assert DEMO_TRUST_MANAGER in demo
    assert "/portal/team/" in demo


def test_the_members_are_in_every_state_a_manager_meets(demo):
    emergency = standings("ed.manager@example.com")
    critical_care = standings("ccu.manager@example.com")

    assert emergency["Alice"]["ALS1"] == ("current", False)
    assert emergency["Erin"]["ALS1"] == ("expiring", True)
    assert emergency["Chloe"]["ALS1"][0] == "lapsed"
    assert emergency["Femi"]["ALS1"][0] == "never"
    assert critical_care["Ben"]["ALS2"] == ("expiring", False)
    assert critical_care["Dev"] == {"ALS1": ("current", False), "ALS2": ("current", False)}


def test_the_trust_manager_sees_both_departments(demo):
    assert set(standings(DEMO_TRUST_MANAGER)) == {"Alice", "Erin", "Chloe", "Femi", "Ben", "Dev"}


def test_load_demo_twice_adds_no_second_trust(demo):
    call_command("load_demo")

    assert Organisation.objects.filter(name=DEMO_TRUST).count() == 1
