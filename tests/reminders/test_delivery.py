"""Delivery through anymail's real Postmark backend to a local fake Postmark: accepted, retried, refused;
exactly once with two workers; a dead worker's rows picked up again; one email per participant per day; and
the Celery path with a real worker."""

import datetime
import json
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from werkzeug import Response

from reminders.delivery import deliver_to_participant
from reminders.models import Reminder
from reminders.outbox import TransientSendError, sending_timeout, settle_stale_claims
from reminders.scan import scan
from tests.conftest import at_once, celery_worker, require
from tests.factories import UserFactory
from tests.reminders.conftest import TODAY, accepted, at, expiring, inactive_recipient, worker_env

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def deliver(participant, **kwargs):
    return deliver_to_participant(participant.pk, today=TODAY, now=kwargs.pop("now", at(TODAY)), **kwargs)


def due_participant(course, *days, today=TODAY):
    person = UserFactory()
    for day in days:
        expiring(course, day, participant=person, today=today)
    scan(today=today)
    return person


def statuses(person):
    return sorted(Reminder.objects.filter(certification__participant=person).values_list("status", flat=True))


def test_an_accepted_email_is_recorded_as_sent_with_the_esp_message_id(postmark, als1):
    person = due_participant(als1, 30)
    postmark.expect_oneshot_request("/email", method="POST").respond_with_handler(accepted("pm-42"))

    delivery = deliver(person)

    assert delivery.sent == 1
    reminder = Reminder.objects.get(certification__participant=person)
    assert (reminder.status, reminder.message_id, reminder.attempts) == ("sent", "pm-42", 1)
    assert reminder.sent_at is not None
    request, _ = postmark.log[0]
    payload = json.loads(request.data)
    assert request.headers["X-Postmark-Server-Token"] == "test-server-token"
    assert payload["To"] == person.email
    headers = {header["Name"]: header["Value"] for header in payload["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_5xx_is_retried_and_the_email_sent_once(postmark, als1):
    person = due_participant(als1, 30)
    postmark.expect_ordered_request("/email", method="POST").respond_with_response(Response("down", status=503))
    postmark.expect_ordered_request("/email", method="POST").respond_with_handler(accepted("pm-7"))

    with pytest.raises(TransientSendError):
        deliver(person)
    assert statuses(person) == ["pending"]
    deliver(person, now=at(TODAY) + datetime.timedelta(seconds=30))  # too early: the backoff holds the row
    assert len(postmark.log) == 1
    deliver(person, now=at(TODAY) + datetime.timedelta(minutes=2))
    deliver(person, now=at(TODAY) + datetime.timedelta(minutes=3))  # a redelivered task finds nothing left to send

    assert len(postmark.log) == 2
    reminder = Reminder.objects.get(certification__participant=person)
    assert (reminder.status, reminder.message_id, reminder.attempts) == ("sent", "pm-7", 2)


def test_a_rate_limit_is_transient_too(postmark, als1):
    person = due_participant(als1, 30)
    postmark.expect_oneshot_request("/email", method="POST").respond_with_json(
        {"ErrorCode": 429, "Message": "Rate limit exceeded"}, status=429
    )

    with pytest.raises(TransientSendError):
        deliver(person)

    assert statuses(person) == ["pending"]


def test_a_rejected_recipient_fails_without_retry(postmark, als1):
    person = due_participant(als1, 30)
    postmark.expect_oneshot_request("/email", method="POST").respond_with_handler(inactive_recipient)

    delivery = deliver(person)
    deliver(person)

    assert delivery.failed == 1
    assert len(postmark.log) == 1
    reminder = Reminder.objects.get(certification__participant=person)
    assert reminder.status == "failed" and "rejected" in reminder.last_error


def test_another_4xx_fails_without_retry(postmark, als1):
    person = due_participant(als1, 30)
    postmark.expect_oneshot_request("/email", method="POST").respond_with_json(
        {"ErrorCode": 10, "Message": "Bad or missing Server API token."}, status=401
    )

    deliver(person)

    assert statuses(person) == ["failed"]


def test_transient_errors_stop_after_the_last_attempt(postmark, als1, settings):
    settings.REMINDER_MAX_ATTEMPTS = 2
    person = due_participant(als1, 30)
    postmark.expect_request("/email", method="POST").respond_with_response(Response("down", status=500))

    with pytest.raises(TransientSendError):
        deliver(person)
    delivery = deliver(person, now=at(TODAY) + datetime.timedelta(minutes=2))

    assert delivery.failed == 1
    assert statuses(person) == ["failed"]
    assert len(postmark.log) == 2


def test_one_email_covers_all_of_a_participants_due_certifications(postmark, als1, als2):
    person = due_participant(als1, 30)
    expiring(als2, 7, participant=person)
    scan(today=TODAY)
    postmark.expect_oneshot_request("/email", method="POST").respond_with_handler(accepted("pm-both"))

    deliver(person)

    assert len(postmark.log) == 1
    body = json.loads(postmark.log[0][0].data)
    assert body["Subject"] == "2 of your certifications need renewing"
    assert "ALS1" in body["TextBody"] and "ALS2" in body["TextBody"]
    assert statuses(person) == ["sent", "sent"]


def test_a_participant_gets_at_most_one_email_a_day(postmark, als1, als2):
    person = due_participant(als1, 30)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())
    deliver(person)
    expiring(als2, 7, participant=person)  # a second certification becomes due later the same day
    scan(today=TODAY)

    deliver(person)

    assert len(postmark.log) == 1
    assert statuses(person) == ["pending", "sent"]


def test_reminders_no_longer_due_at_sending_time_are_skipped(postmark, als1):
    person = due_participant(als1, 30)
    person.wants_reminders = False
    person.save()

    deliver(person)

    assert postmark.log == []
    assert statuses(person) == ["skipped"]


def test_a_claim_whose_worker_died_becomes_uncertain_and_is_not_sent_again(postmark, als1):
    person = due_participant(als1, 30)
    claimed_long_ago = at(TODAY) - sending_timeout() - datetime.timedelta(minutes=1)
    Reminder.objects.filter(certification__participant=person).update(status="sending", claimed_at=claimed_long_ago)
    fresh = due_participant(als1, 29)
    Reminder.objects.filter(certification__participant=fresh).update(status="sending", claimed_at=at(TODAY))
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())

    assert settle_stale_claims(at(TODAY)) == 1
    deliver(person)
    deliver(fresh)

    assert statuses(person) == ["uncertain"]  # the ESP may have it: never silently sent again
    assert "may have been sent" in Reminder.objects.get(certification__participant=person).story
    assert statuses(fresh) == ["sending"]  # still held by a live worker
    assert postmark.log == []


def test_two_workers_sending_at_once_send_each_email_once(committed_db, postmark, catalogue_with_course):
    require(connection.vendor == "postgresql", "concurrent sending is tested on PostgreSQL (DATABASE_URL)")
    people = [due_participant(catalogue_with_course, 30) for _ in range(6)]
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())

    def deliver_everyone():
        for person in people:
            deliver(person)

    _, errors = at_once(deliver_everyone, deliver_everyone)

    assert errors == []
    assert len(postmark.log) == 6
    assert sorted(json.loads(request.data)["To"] for request, _ in postmark.log) == sorted(p.email for p in people)
    assert Reminder.objects.filter(status="sent").count() == 6


def test_the_celery_path_with_a_real_worker(committed_db, httpserver, catalogue_with_course, settings):
    require(connection.vendor == "postgresql", "the worker needs the test database on PostgreSQL (DATABASE_URL)")
    from tests.portal.test_celery import broker_reachable

    require(broker_reachable(), f"the broker at {settings.CELERY_BROKER_URL} is not reachable")
    # The worker reads the real clock: the data is made for the real today.
    person = due_participant(catalogue_with_course, 30, today=timezone.localdate())
    httpserver.expect_request("/email", method="POST").respond_with_handler(accepted("pm-celery"))
    from reminders.tasks import send_participant_reminders

    with celery_worker(worker_env(httpserver)) as worker:
        queued = send_participant_reminders.apply_async(args=[person.pk], queue=worker.queue)
        # Eager tasks run earlier in this process leave Celery believing it is inside one: the test is not.
        outcome = queued.get(timeout=90, disable_sync_subtasks=False)

    assert outcome == {"sent": 1, "skipped": 0, "failed": 0, "uncertain": 0}, worker.output
    assert len(httpserver.log) == 1
    assert Reminder.objects.get(certification__participant=person).message_id == "pm-celery"
