"""Exactly once under faults: an ESP that accepts but answers too late, a worker killed mid-send, a lost task or an
emptied broker, two deliveries for one person at once, a tracking event that arrives before its message id."""

import contextlib
import datetime
import json
import os
import signal
import threading
import time

import pytest
import requests
from anymail.exceptions import AnymailRequestsAPIError
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, connections
from django.utils import timezone
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError
from werkzeug import Response

from reminders.delivery import deliver_to_participant, drain
from reminders.models import Reminder, Suppression, TrackingEvent
from reminders.outbox import TransientSendError, may_have_been_accepted, record_sent, sending_timeout
from reminders.scan import scan
from reminders.tracking import record_tracking_event
from tests.conftest import celery_worker, require
from tests.factories import UserFactory
from tests.reminders.conftest import TODAY, accepted, at, bounce, eager, expiring, post, worker_env

pytestmark = pytest.mark.django_db


def due_participant(course, *days, email=None, today=TODAY):
    person = UserFactory(**({"email": email} if email else {}))
    for day in days:
        expiring(course, day, participant=person, today=today)
    scan(today=today, now=at(today))
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
    later = drain(today=TODAY, now=at(TODAY) + datetime.timedelta(hours=5))

    row.refresh_from_db()
    assert (row.status, row.message_id) == ("delivered", "pm-late")
    assert (later.retried, later.dispatched) == (0, [])  # the event settled it: no second attempt
    assert requests_seen(slow_postmark, 1) == 1
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
    # After the second wait with no news the row is failed, for an administrator to look at; never a third send.
    assert row.status == "failed" and row.retried_uncertain and row.attempts == 2
    assert "outcome unknown" in row.story
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
    assert row.status == "sending"
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


def held_until_released(message_id):
    """An ESP that takes the message, then holds its answer until the test lets it go."""
    arrived, release = threading.Event(), threading.Event()
    answer = accepted(message_id)

    def handler(request):
        arrived.set()
        release.wait(60)
        return answer(request)

    return handler, arrived, release


def test_two_overlapping_deliveries_for_one_participant_send_one_email(catalogue_with_course, postmark):
    require(connection.vendor == "postgresql", "overlapping deliveries are tested on PostgreSQL (DATABASE_URL)")
    from tests.factories import make_course

    course = catalogue_with_course
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


@contextlib.contextmanager
def claim_paused_in(thread_name):
    """While inside, a delivery running in the thread called `thread_name` stops inside its claim (its transaction
    open and its participants locked, its rows not yet claimed); yields (reached, go): set when it stops there,
    and set to let it go on."""
    from unittest import mock

    from reminders import delivery

    reached, go = threading.Event(), threading.Event()
    claim_rows = delivery.claim_rows

    def pausing(*args):
        if threading.current_thread().name == thread_name:
            reached.set()
            go.wait(30)
        return claim_rows(*args)

    with mock.patch("reminders.delivery.claim_rows", side_effect=pausing):
        yield reached, go


def delivery_in_thread(person, name, moment, outcomes) -> threading.Thread:
    """A delivery to `person` started in a thread called `name`, with its own database connection; its outcome
    goes into `outcomes[name]`."""

    def deliver():
        try:
            outcomes[name] = deliver_to_participant(person.pk, today=TODAY, now=moment)
        finally:
            connections.close_all()

    thread = threading.Thread(target=deliver, name=name)
    thread.start()
    return thread


def test_two_claims_racing_for_one_participant_make_one_email(catalogue_with_course, postmark):
    """The first claim holds its transaction open (the participant locked, the rows not yet claimed) while a second
    certification becomes due and a second delivery starts: the participant lock makes the second wait, then see
    the first, whose one email covers both certifications."""
    require(connection.vendor == "postgresql", "racing claims are tested on PostgreSQL (DATABASE_URL)")
    from tests.factories import make_course

    course = catalogue_with_course
    other_course = make_course(course.get_parent().specific, "ALS2")
    person = due_participant(course, 30)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted("pm-one"))
    outcomes = {}

    with claim_paused_in("first") as (reached, go):
        first = delivery_in_thread(person, "first", at(TODAY), outcomes)
        assert reached.wait(30)
        expiring(other_course, 7, participant=person)
        scan(today=TODAY, now=at(TODAY))
        second = delivery_in_thread(person, "second", at(TODAY), outcomes)
        time.sleep(1)  # the second delivery reaches the lock and waits there
        go.set()
        first.join(30)
        second.join(30)

    assert (outcomes["first"].sent, outcomes["second"].sent) == (2, 0)
    assert len(postmark.log) == 1
    assert sorted(row.status for row in rows_of(person)) == ["sent", "sent"]


def test_a_worker_killed_mid_send_is_settled_without_a_duplicate(
    client, catalogue_with_course, httpserver, settings, webhook_secret, django_capture_on_commit_callbacks
):
    require(connection.vendor == "postgresql", "the worker needs the test database on PostgreSQL (DATABASE_URL)")
    from tests.portal.test_celery import broker_reachable

    require(broker_reachable(), f"the broker at {settings.CELERY_BROKER_URL} is not reachable")
    # The worker reads the real clock: the data is made for the real today.
    person = due_participant(catalogue_with_course, 30, email="killed@example.org", today=timezone.localdate())
    handler, arrived, release = held_until_released("pm-killed")
    httpserver.expect_request("/email", method="POST").respond_with_handler(handler)
    from reminders.tasks import send_participant_reminders

    with celery_worker(worker_env(httpserver)) as worker:
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

    from reminders.outbox import TransientSendError

    with pytest.raises(TransientSendError):
        deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
    assert [row.status for row in rows_of(person)] == ["pending"]


def test_the_outbox_shows_an_uncertain_row_with_its_story(admin_client, slow_postmark, als1):
    today = timezone.localdate()  # the dashboard panel counts back from the real today
    person = due_participant(als1, 30, today=today)
    slow_postmark.expect_request("/email", method="POST").respond_with_handler(accepted_too_late("pm-y"))
    deliver_to_participant(person.pk, today=today, now=timezone.now())
    [row] = rows_of(person)

    listing = admin_client.get("/admin/reminders/?status=uncertain").content.decode()
    page = admin_client.get(f"/admin/reminders/{row.pk}/email/").content.decode()
    panel = admin_client.get("/admin/").content.decode()

    assert row.certification.number in listing
    assert "no answer from the ESP (AnymailRequestsAPIError): it may have been sent" in page
    assert "not sent again unless no delivery news arrives within 120 minutes" in page
    assert 'data-testid="reminders-uncertain">1<' in panel


def test_postmarks_list_of_accepted_messages_settles_an_uncertain_send_at_the_next_drain(slow_postmark, settings, als1):
    settings.EMAIL_ESP = "postmark"
    person = due_participant(als1, 30)
    slow_postmark.expect_request("/email", method="POST").respond_with_handler(accepted_too_late("pm-found"))
    deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
    [row] = rows_of(person)
    requests_seen(slow_postmark, 1)  # the fake ESP is free again
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 10}  # the search is not the send that timed out
    slow_postmark.expect_request(
        "/messages/outbound",
        method="GET",
        query_string={"count": "1", "offset": "0", "metadata_reminders": str(row.pk)},
    ).respond_with_json({"TotalCount": 1, "Messages": [{"MessageID": "pm-found", "Status": "Sent"}]})

    drained = drain(today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=5))

    row.refresh_from_db()
    assert drained.confirmed == 1
    assert (row.status, row.message_id) == ("sent", "pm-found")
    assert "found in the ESP's list of accepted messages" in row.story
    assert drain(today=TODAY, now=at(TODAY) + datetime.timedelta(hours=3)).retried == 0


@pytest.mark.parametrize(
    "answer",
    [{"TotalCount": 0, "Messages": []}, Response("down", status=503)],
    ids=["not-found", "search-down"],
)
def test_an_uncertain_send_the_esp_does_not_confirm_stays_uncertain(slow_postmark, settings, als1, answer):
    settings.EMAIL_ESP = "postmark"
    person = due_participant(als1, 30)
    slow_postmark.expect_request("/email", method="POST").respond_with_handler(accepted_too_late("pm-lost"))
    deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
    requests_seen(slow_postmark, 1)
    search = slow_postmark.expect_request("/messages/outbound", method="GET")
    if isinstance(answer, Response):
        search.respond_with_response(answer)
    else:
        search.respond_with_json(answer)

    drained = drain(today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=5))

    assert drained.confirmed == 0
    assert [row.status for row in rows_of(person)] == ["uncertain"]


def test_an_event_that_settles_a_row_during_its_send_is_not_undone_by_the_sends_error(postmark, als1):
    from unittest import mock

    from reminders import delivery

    person = due_participant(als1, 30, email="raced@example.org")
    compose = delivery.compose

    def composed_then_raced(rows, today, *args):
        message = compose(rows, today, *args)

        def send():
            # The ESP's webhook beats its own answer to the portal, and then the answer is an error.
            record_tracking_event(
                event_id="race-1",
                event_type="delivered",
                message_id="pm-raced",
                recipient=person.email,
                reminder_ids=message.metadata["reminders"],
                now=at(TODAY),
            )
            answer = requests.Response()
            answer.status_code, answer.reason, answer._content = 503, "Service Unavailable", b"down"
            raise AnymailRequestsAPIError("Postmark refused for now", response=answer)

        message.send = send
        return message

    with mock.patch("reminders.delivery.compose", side_effect=composed_then_raced), pytest.raises(TransientSendError):
        deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
    deliver_to_participant(person.pk, today=TODAY, now=at(TODAY) + datetime.timedelta(hours=1))

    assert [row.status for row in rows_of(person)] == ["delivered"]
    assert postmark.log == []  # the second run found nothing to send


def test_a_hard_bounce_of_another_email_to_a_participant_suppresses_their_address(
    client, webhook_secret, processed, als1
):
    person = UserFactory(email="booked@example.org")

    processed(client, bounce(event_id=93, message_id="pm-booking-confirmation", email="Booked@example.org"))

    assert Suppression.objects.get().email == "booked@example.org"
    assert person.pk  # a participant's address; a stranger's is not suppressed (test above)


def test_an_email_that_cannot_be_composed_fails_its_rows_instead_of_leaving_them_sending(postmark, als1):
    from unittest import mock

    person = due_participant(als1, 30)

    with mock.patch("reminders.delivery.compose_reminder_email", side_effect=RuntimeError("template broken")):
        delivery = deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))

    assert delivery.failed == 1
    assert [row.status for row in rows_of(person)] == ["failed"]
    assert postmark.log == []


def test_the_drain_applies_an_event_that_lost_its_race_with_the_recorded_message_id(als1):
    person = due_participant(als1, 30)
    [row] = rows_of(person)
    Reminder.objects.filter(pk=row.pk).update(status="sent", message_id="pm-raced", sent_at=at(TODAY))
    # Recorded while the row had no message id yet, and never applied since.
    TrackingEvent.objects.create(
        event_id="late-1", event_type="delivered", message_id="pm-raced", recipient=person.email
    )

    drain(today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=5))

    row.refresh_from_db()
    assert row.status == "delivered"
    assert TrackingEvent.objects.get().applied_at is not None


def test_late_news_of_the_first_attempt_settles_a_row_waiting_for_its_one_more(als1):
    person = due_participant(als1, 30)
    [row] = rows_of(person)
    Reminder.objects.filter(pk=row.pk).update(
        status="uncertain", claimed_at=at(TODAY), uncertain_since=at(TODAY), attempts=1
    )
    drain(today=TODAY, now=at(TODAY) + datetime.timedelta(hours=3))  # the one more attempt is scheduled
    row.refresh_from_db()
    assert (row.status, row.retried_uncertain) == ("pending", True)

    record_tracking_event(
        event_id="late-2",
        event_type="delivered",
        message_id="pm-first",
        recipient=person.email,
        reminder_ids=str(row.pk),
        now=at(TODAY) + datetime.timedelta(hours=3, minutes=1),
    )

    row.refresh_from_db()
    assert row.status == "delivered"


@pytest.mark.parametrize(
    ("error", "uncertain"),
    [
        (requests.ReadTimeout("read timed out"), True),
        (requests.exceptions.ChunkedEncodingError("connection broken mid-answer"), True),
        (requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))), True),
        (requests.ConnectionError(MaxRetryError(None, "/email", NewConnectionError(None, "refused"))), False),
        (requests.ConnectTimeout("connect timed out"), False),
        (requests.exceptions.SSLError("certificate verify failed"), False),
        (SoftTimeLimitExceeded(), True),
    ],
    ids=["read-timeout", "cut-mid-answer", "reset", "refused", "connect-timeout", "tls", "time-limit"],
)
def test_only_a_request_that_reached_the_esp_without_an_answer_is_uncertain(error, uncertain):
    assert may_have_been_accepted(error) is uncertain


@pytest.mark.parametrize(("status", "uncertain"), [(504, True), (502, False), (503, False), (500, False), (422, False)])
def test_of_the_esps_answers_only_a_gateway_timeout_is_uncertain(status, uncertain):
    error = AnymailRequestsAPIError("refused")
    error.status_code = status

    assert may_have_been_accepted(error) is uncertain
