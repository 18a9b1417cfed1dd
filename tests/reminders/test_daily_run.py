"""One daily run for beat and `send_reminders` alike: it scans, then hands each participant with due reminders to
the given dispatch, once each, whatever number of certifications they hold."""

import pytest

from reminders.daily import daily_run
from tests.factories import UserFactory
from tests.reminders.conftest import TODAY, at, expiring

pytestmark = pytest.mark.django_db


def test_the_run_queues_what_is_due_and_dispatches_its_holder(als1):
    certification = expiring(als1, 30)
    dispatched = []

    run = daily_run(today=TODAY, now=at(), dispatch=dispatched.extend)

    assert run.scanned.created == 1
    assert dispatched == [certification.participant_id]


def test_a_participant_with_two_due_certifications_is_dispatched_once(als1, als2):
    person = UserFactory()
    expiring(als1, 30, participant=person)
    expiring(als2, 7, participant=person)
    dispatched = []

    daily_run(today=TODAY, now=at(), dispatch=dispatched.extend)

    assert dispatched == [person.pk]


def test_nothing_due_dispatches_no_one(als1):
    expiring(als1, 200)
    dispatched = []

    run = daily_run(today=TODAY, now=at(), dispatch=dispatched.extend)

    assert (run.scanned.created, dispatched) == (0, [])
