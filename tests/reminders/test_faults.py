"""Exactly once under faults: an ESP that accepts but answers too late, a worker killed mid-send, a lost task or an
emptied broker, two deliveries for one person at once, a tracking event that arrives before its message id."""

import datetime
import json
import os
import signal
import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone
from werkzeug import Response

from reminders.delivery import deliver_to_participant, drain, record_sent, sending_timeout
from reminders.models import Reminder, Suppression, TrackingEvent
from reminders.scan import scan
from tests.conftest import celery_worker, require
from tests.factories import UserFactory
from tests.reminders.conftest import TODAY, accepted, at, bounce, eager, expiring, post

pytestmark = pytest.mark.django_db


def due_participant(course, *days, email=None):
    person = UserFactory(**({"email": email} if email else {}))
    for day in days:
        expiring(course, day, participant=person)
    scan(today=TODAY, now=at(TODAY))
    return person


def rows_of(person):
    return list(Reminder.objects.filter(certification__participant=person).order_by("pk"))


def accepted_too_late(message_id, delay=1.5):
    """The ESP accepts the message, then answers after the client gave up waiting."""
    answer = accepted(message_id)

    def handler(request):
        time.sleep(delay)
        return answer(request)

    return handler


def delivered_event(message_id, recipient, reminder_ids):
    return {
        "RecordType": "Delivery",
        "MessageID": message_id,
        "Recipient": recipient,
        "DeliveredAt": "2026-11-21T07:01:00Z",
        "Details": "",
        "Metadata": {"reminders": reminder_ids},
        "MessageStream": "outbound",
    }


@pytest.fixture
def slow_postmark(postmark, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.5}
    return postmark


def requests_seen(server, expected, wait=5.0):
    """The fake ESP logs a request when its handler returns: wait for the late ones."""
    deadline = time.monotonic() + wait
    while len(server.log) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(server.log)


def test_an_answer_after_the_timeout_leaves_the_row_uncertain_and_its_event_settles_it(
    client, slow_postmark, webhook_secret, processed, als1
):
    person = due_participant(als1, 30, email="late@example.org")
    slow_postmark.expect_request("/email", method="POST").respond_with_handler(accepted_too_late("pm-late"))

    delivery = deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
    [row] = rows_of(person)
    assert delivery.uncertain == 1 and row.status == "uncertain"
    assert "may have been sent" in row.story

    processed(client, delivered_event("pm-late", person.email, str(row.pk)))
    drain(today=TODAY, now=at(TODAY) + datetime.timedelta(hours=5))

    row.refresh_from_db()
    assert (row.status, row.message_id) == ("delivered", "pm-late")
    assert requests_seen(slow_postmark, 1) == 1  # no second attempt: the event settled it
    sent = json.loads(slow_postmark.log[0][0].data)
    assert sent["Metadata"] == {"reminders": str(row.pk)}
    assert {h["Name"]: h["Value"] for h in sent["Headers"]}["Message-ID"] == f"<reminder.{row.pk}@localhost>"


def test_an_uncertain_row_with_no_event_gets_exactly_one_more_attempt_after_the_wait(slow_postmark, als1):
    person = due_participant(als1, 30)
    slow_postmark.expect_request("/email", method="POST").respond_with_handler(accepted_too_late("pm-x"))
    deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))

    early = drain(today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=119))
    assert (early.retried, early.dispatched) == (0, [])
    later = at(TODAY) + datetime.timedelta(minutes=121)
    retry = drain(today=TODAY, now=later)
    assert (retry.retried, retry.dispatched) == (1, [person.pk])
    deliver_to_participant(person.pk, today=TODAY, now=later)  # no answer in time again
    for hours in (4, 8, 30):
        moment = at(TODAY) + datetime.timedelta(hours=hours)
        assert drain(today=TODAY, now=moment).dispatched == []
        deliver_to_participant(person.pk, today=TODAY, now=moment)

    [row] = rows_of(person)
    assert row.status == "uncertain" and row.retried_uncertain and row.attempts == 2
    assert requests_seen(slow_postmark, 2) == 2
    # Both attempts were the same email, recognisably: one Message-ID.
    ids = {
        {h["Name"]: h["Value"] for h in json.loads(request.data)["Headers"]}["Message-ID"]
        for request, _ in slow_postmark.log
    }
    assert len(ids) == 1


def test_lost_tasks_are_dispatched_again_by_the_drain_within_its_period(als1, settings, mailoutbox):
    people = [due_participant(als1, days) for days in (30, 7, 0)]

    first = drain(today=TODAY, now=at(TODAY))  # the daily run's dispatch: its tasks are lost with the broker
    assert sorted(first.dispatched) == sorted(person.pk for person in people)
    assert drain(today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=2)).dispatched == []  # tasks may still come
    period = datetime.timedelta(minutes=settings.REMINDER_DRAIN_MINUTES)
    again = drain(today=TODAY, now=at(TODAY) + period + datetime.timedelta(seconds=1))
    for participant_id in again.dispatched:
        deliver_to_participant(participant_id, today=TODAY, now=at(TODAY) + period + datetime.timedelta(seconds=2))

    assert sorted(again.dispatched) == sorted(person.pk for person in people)
    assert sorted(message.to[0] for message in mailoutbox) == sorted(person.email for person in people)
    assert drain(today=TODAY, now=at(TODAY) + 3 * period).dispatched == []  # emailed today: nothing more


def test_the_next_drain_requeues_a_lost_task_even_when_it_starts_earlier_in_its_slot_than_the_dispatching_one(
    als1, settings
):
    person = due_participant(als1, 30)
    period = datetime.timedelta(minutes=settings.REMINDER_DRAIN_MINUTES)
    # The dispatching drain ran a few seconds into its slot (queued behind the daily scan); its task is then lost
    # with the broker. Beat's next drain, one period later, finds an empty queue and runs at once.
    assert drain(today=TODAY, now=at(TODAY) + datetime.timedelta(seconds=10)).dispatched == [person.pk]

    assert drain(today=TODAY, now=at(TODAY) + period + datetime.timedelta(seconds=1)).dispatched == [person.pk]


def test_a_tracking_event_before_its_message_id_is_recorded_waits_and_is_applied_then(
    client, webhook_secret, processed, als1
):
    person = due_participant(als1, 30, email="early@example.org")
    Reminder.objects.filter(certification__participant=person).update(status="sending", claimed_at=at(TODAY))
    [row] = rows_of(person)

    processed(client, bounce(event_id=91, message_id="pm-early", email=person.email))
    row.refresh_from_db()
    assert row.status == "sending" and not Suppression.objects.exists()
    assert TrackingEvent.objects.get().applied_at is None

    record_sent([row.pk], "pm-early", at(TODAY))

    row.refresh_from_db()
    assert row.status == "bounced"
    assert Suppression.objects.get().email == person.email
    assert TrackingEvent.objects.get().applied_at is not None


def test_an_event_for_an_unknown_message_changes_nothing_and_suppresses_nobody(client, webhook_secret, processed, als1):
    person = due_participant(als1, 30)

    processed(client, bounce(event_id=92, message_id="pm-nobody-knows", email="stranger@example.org"))

    assert [row.status for row in rows_of(person)] == ["pending"]
    assert not Suppression.objects.exists()


@pytest.fixture
def course_on_committed_db(committed_db):
    from home.models import HomePage
    from learning.models import CourseIndexPage
    from tests.factories import make_course

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    return make_course(catalogue, "ALS1")


def held_until_released(message_id):
    """An ESP that takes the message, then holds its answer until the test lets it go."""
    arrived, release = threading.Event(), threading.Event()
    answer = accepted(message_id)

    def handler(request):
        arrived.set()
        release.wait(60)
        return answer(request)

    return handler, arrived, release


def test_two_overlapping_deliveries_for_one_participant_send_one_email(course_on_committed_db, postmark):
    require(connection.vendor == "postgresql", "overlapping deliveries are tested on PostgreSQL (DATABASE_URL)")
    from tests.factories import make_course

    course = course_on_committed_db
    other_course = make_course(course.get_parent().specific, "ALS2")
    person = due_participant(course, 30)
    handler, arrived, release = held_until_released("pm-first")
    postmark.expect_request("/email", method="POST").respond_with_handler(handler)
    outcomes = {}

    def first_delivery():
        try:
            outcomes["first"] = deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_delivery)
    thread.start()
    assert arrived.wait(30)
    # A second certification of the same person becomes due while the first email is in flight.
    expiring(other_course, 7, participant=person)
    scan(today=TODAY, now=at(TODAY))
    second = deliver_to_participant(person.pk, today=TODAY, now=at(TODAY) + datetime.timedelta(seconds=5))
    release.set()
    thread.join(30)

    assert outcomes["first"].sent == 1 and second.sent == 0
    assert len(postmark.log) == 1
    assert sorted(row.status for row in rows_of(person)) == ["pending", "sent"]  # the new one waits for tomorrow


def test_a_worker_killed_mid_send_is_settled_without_a_duplicate(
    client, course_on_committed_db, httpserver, settings, webhook_secret, django_capture_on_commit_callbacks
):
    require(connection.vendor == "postgresql", "the worker needs the test database on PostgreSQL (DATABASE_URL)")
    from tests.portal.test_celery import broker_reachable

    require(broker_reachable(), f"the broker at {settings.CELERY_BROKER_URL} is not reachable")
    person = due_participant(course_on_committed_db, 30, email="killed@example.org")
    handler, arrived, release = held_until_released("pm-killed")
    httpserver.expect_request("/email", method="POST").respond_with_handler(handler)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_ESP": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "test-server-token",
        "ANYMAIL_POSTMARK_API_URL": httpserver.url_for("/"),
    }
    from reminders.tasks import send_participant_reminders

    with celery_worker(env) as worker:
        send_participant_reminders.apply_async(args=[person.pk], queue=worker.queue)
        reached = arrived.wait(90)
        if reached:
            os.kill(worker.pid, signal.SIGKILL)  # mid-send: the ESP has the message, the worker never hears back
        release.set()
    assert reached, f"the worker never reached the ESP:\n{worker.output}"
    [row] = rows_of(person)
    assert row.status == "sending"

    settled = drain(today=timezone.localdate(), now=timezone.now() + sending_timeout() + datetime.timedelta(minutes=1))
    row.refresh_from_db()
    assert settled.uncertain == 1 and settled.dispatched == [] and row.status == "uncertain"
    with eager(), django_capture_on_commit_callbacks(execute=True):
        post(client, delivered_event("pm-killed", person.email, str(row.pk)))

    row.refresh_from_db()
    assert row.status == "delivered"
    assert requests_seen(httpserver, 1) == 1
    assert drain(today=timezone.localdate(), now=timezone.now() + datetime.timedelta(hours=5)).dispatched == []


def test_a_malformed_webhook_body_is_refused_with_400(client, webhook_secret):
    import base64

    from tests.reminders.test_webhooks_and_admin import SECRET

    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}
    for body in ("{", "[1,2]", "", "null", '"text"'):
        response = client.post("/anymail/postmark/tracking/", body, content_type="application/json", **headers)
        assert response.status_code == 400, body
    assert not TrackingEvent.objects.exists()


def test_the_drain_runs_every_few_minutes_in_beat(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["drain-reminders"]

    assert schedule["task"] == "reminders.tasks.drain_outbox"
    assert schedule["schedule"] == datetime.timedelta(minutes=settings.REMINDER_DRAIN_MINUTES)
    assert settings.REMINDER_DRAIN_MINUTES <= 10


def test_a_response_that_is_not_json_is_a_transient_refusal_not_a_crash(postmark, als1):
    person = due_participant(als1, 30)
    postmark.expect_request("/email", method="POST").respond_with_response(Response("<html>502</html>", status=502))

    from reminders.delivery import TransientSendError

    with pytest.raises(TransientSendError):
        deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
    assert [row.status for row in rows_of(person)] == ["pending"]
