"""One daily run for beat and `send_reminders` alike: it scans, then hands each participant with due reminders to
the given dispatch, once each, whatever number of certifications they hold."""

import pytest
from django.db import connection

from reminders.daily import daily_run
from tests.conftest import require
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


def outbox_rows_counted() -> float:
    """What PostgreSQL's statistics say the outbox holds (-1 before it was ever counted)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'reminders_reminder'::regclass")
        return cursor.fetchone()[0]


def test_the_outbox_is_counted_again_after_a_scan_that_created_rows_and_before_the_deliveries(als1):
    # The claims plan their reading of the outbox by these statistics (reminders.outbox.refresh_outbox_statistics).
    require(connection.vendor == "postgresql", "the statistics are PostgreSQL's (DATABASE_URL)")
    for days in (30, 31, 32):
        expiring(als1, days)
    counted_when_dispatched = []

    daily_run(today=TODAY, now=at(), dispatch=lambda batch: counted_when_dispatched.append(outbox_rows_counted()))

    assert counted_when_dispatched == [3]
