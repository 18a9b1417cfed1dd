"""Delivery in batches: one claim for many participants, what their emails share read once, one connection to the
ESP, and every guarantee of a single delivery kept (each email once under concurrent batches, one email a day, a
transient error or a task out of time confined to the participants it struck)."""

import datetime
import json

import pytest
import requests
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from werkzeug import Response

from learning.models import Booking, CourseDate
from reminders.delivery import batches, claim, deliver_to_participants, participants_due
from reminders.esp_search import uncertain_emails
from reminders.models import Reminder
from reminders.outbox import retry_unsettled, sending_timeout, settle_stale_claims
from reminders.scan import scan
from tests.conftest import at_once, celery_worker, require
from tests.factories import UserFactory
from tests.reminders.conftest import TODAY, accepted, at, expiring, worker_env

pytestmark = pytest.mark.django_db


def due_people(course, count: int, *, today=TODAY) -> list:
    people = [UserFactory() for _ in range(count)]
    for person in people:
        expiring(course, 30, participant=person, today=today)
    scan(today=today)
    return people


def next_year_date(course) -> CourseDate:
    starts_on = TODAY + datetime.timedelta(days=365)
    return CourseDate.objects.create(
        course=course, starts_on=starts_on, ends_on=starts_on + datetime.timedelta(days=1), venue="Room 1"
    )


def ids(people) -> list[int]:
    return [person.pk for person in people]


def statuses(person) -> list[str]:
    return sorted(Reminder.objects.filter(certification__participant=person).values_list("status", flat=True))


def recipients(postmark) -> list[str]:
    return sorted(json.loads(request.data)["To"] for request, _ in postmark.log)


def test_a_batch_sends_each_participant_one_email_with_their_own_reminders(postmark, als1, als2):
    people = due_people(als1, 3)
    expiring(als2, 7, participant=people[0])
    scan(today=TODAY)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())

    batch = deliver_to_participants(ids(people), today=TODAY, now=at(TODAY))

    assert [delivery.sent for delivery in batch.deliveries] == [2, 1, 1]
    assert recipients(postmark) == sorted(person.email for person in people)
    first = json.loads(postmark.log[0][0].data)
    assert "ALS1" in first["TextBody"] and "ALS2" in first["TextBody"]
    assert Reminder.objects.filter(status="sent").count() == 4


def test_what_the_emails_share_is_read_once_per_batch(postmark, als1):
    """The queries of a batch grow by the few writes of each email, not by the reads every email shares (dates
    with seats, offers, prerequisites, course pages): 30 participants cost what 3 do, plus 27 times one send's
    writes."""
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())
    next_year_date(als1)
    small, large = due_people(als1, 3), due_people(als1, 30)

    with CaptureQueriesContext(connection) as three:
        deliver_to_participants(ids(small), today=TODAY, now=at(TODAY))
    with CaptureQueriesContext(connection) as thirty:
        deliver_to_participants(ids(large), today=TODAY, now=at(TODAY))

    per_email = (len(thirty) - len(three)) / 27
    assert per_email <= 3, [query["sql"][:80] for query in thirty.captured_queries]
    dates_read = [q for q in thirty.captured_queries if q["sql"].startswith('SELECT "learning_coursedate"."id"')]
    assert len(dates_read) == 1
    assert len(postmark.log) == 33


def test_one_claim_statement_takes_every_participants_rows(postmark, als1):
    people = due_people(als1, 5)

    with CaptureQueriesContext(connection) as queries:
        claimed = claim(ids(people), today=TODAY, now=at(TODAY))

    updates = [query for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "RETURNING" in updates[0]["sql"]
    assert sorted(claimed.rows) == sorted(ids(people))
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sending"}


def outbox_plans(run) -> str:
    """The plans PostgreSQL makes of the statements on the outbox that `run` sends, priced as for a large outbox:
    a test's tables are small enough to be read whole, or probed row by row through other indexes, so sequential
    scans and nested loops are priced out. Which indexes the real queries can be answered by at scale."""
    with CaptureQueriesContext(connection) as queries:
        run()
    statements = [query["sql"] for query in queries.captured_queries if "reminders_reminder" in query["sql"]]
    assert statements, "nothing was asked of the outbox"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_nestloop = off")
        plans = []
        for sql in statements:
            cursor.execute(f"EXPLAIN {sql}")
            plans.extend(line for (line,) in cursor.fetchall())
    return "\n".join(plans)


def test_the_outboxs_partial_indexes_answer_the_queries_that_need_them(postmark, als1):
    # The outbox indexes the due dates of pending rows only, the claim times of rows in flight and of claimed rows
    # only, so that the scan's rows and the sent history cost fewer index entries. The queries of the drain and of
    # every batch must stay within those conditions, or PostgreSQL reads the whole outbox for them.
    require(connection.vendor == "postgresql", "the plans are PostgreSQL's (DATABASE_URL)")
    people = due_people(als1, 3)
    claim(ids(people[:1]), today=TODAY, now=at(TODAY))
    later = at(TODAY) + sending_timeout() * 2

    due = outbox_plans(lambda: participants_due(TODAY, at(TODAY)))
    stale = outbox_plans(lambda: settle_stale_claims(later))
    uncertain = outbox_plans(lambda: (uncertain_emails(), retry_unsettled(later)))

    assert "reminder_pending_due" in due and "reminder_claimed" in due  # due, and not emailed today
    assert "reminder_in_flight" in stale and "reminder_in_flight" in uncertain
    assert participants_due(TODAY, at(TODAY)) == sorted(ids(people[1:]))


def test_a_row_no_longer_due_is_skipped_without_an_attempt(postmark, als1):
    people = due_people(als1, 2)
    course_date = next_year_date(als1)
    Booking.objects.create(course_date=course_date, participant=people[1], status=Booking.CONFIRMED)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())

    batch = deliver_to_participants(ids(people), today=TODAY, now=at(TODAY))

    assert [(d.sent, d.skipped) for d in batch.deliveries] == [(1, 0), (0, 1)]
    skipped = Reminder.objects.get(certification__participant=people[1])
    assert (skipped.status, skipped.attempts, skipped.claimed_at) == ("skipped", 0, None)
    assert recipients(postmark) == [people[0].email]


def test_a_participant_emailed_today_is_left_for_tomorrow_within_a_batch(postmark, als1, als2):
    people = due_people(als1, 2)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())
    deliver_to_participants(ids(people[:1]), today=TODAY, now=at(TODAY))
    expiring(als2, 7, participant=people[0])
    scan(today=TODAY)

    batch = deliver_to_participants(ids(people), today=TODAY, now=at(TODAY, hour=9))

    assert [d.sent for d in batch.deliveries] == [0, 1]
    assert statuses(people[0]) == ["pending", "sent"]
    assert len(postmark.log) == 2


def test_a_transient_error_waits_for_that_participant_alone(postmark, als1):
    people = due_people(als1, 3)
    unlucky = people[1].email

    def handler(request):
        if json.loads(request.data)["To"] == unlucky:
            return Response("down", status=503)
        return accepted()(request)

    postmark.expect_request("/email", method="POST").respond_with_handler(handler)

    batch = deliver_to_participants(ids(people), today=TODAY, now=at(TODAY))

    assert list(batch.waiting) == [people[1].pk]
    assert batch.waiting[people[1].pk].retry_at > at(TODAY)
    assert [statuses(person) for person in people] == [["sent"], ["pending"], ["sent"]]


def test_a_task_out_of_time_puts_the_rows_it_never_attempted_back(postmark, als1):
    """The soft time limit strikes during the second send: the first email stands, the second may have reached
    the ESP (uncertain), and the third participant's claimed rows go back to the queue, unattempted."""
    from unittest import mock

    people = due_people(als1, 3)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())
    real_send = requests.Session.send
    sends = []

    def send(session, request, **kwargs):
        sends.append(request)
        if len(sends) == 2:
            raise SoftTimeLimitExceeded()
        return real_send(session, request, **kwargs)

    with mock.patch.object(requests.Session, "send", send):
        deliver_to_participants(ids(people), today=TODAY, now=at(TODAY))

    assert [statuses(person) for person in people] == [["sent"], ["uncertain"], ["pending"]]
    released = Reminder.objects.get(certification__participant=people[2])
    assert (released.attempts, released.claimed_at, released.dispatched_at) == (0, None, None)
    assert "back in the queue" in released.story


def test_concurrent_batches_over_the_same_people_send_each_email_once(committed_db, postmark, catalogue_with_course):
    require(connection.vendor == "postgresql", "concurrent sending is tested on PostgreSQL (DATABASE_URL)")
    people = due_people(catalogue_with_course, 8)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())
    forwards, backwards = ids(people), ids(reversed(people))

    _, errors = at_once(
        lambda: deliver_to_participants(forwards, today=TODAY, now=at(TODAY)),
        lambda: deliver_to_participants(backwards, today=TODAY, now=at(TODAY)),
        lambda: deliver_to_participants(forwards[2:6], today=TODAY, now=at(TODAY)),
    )

    assert errors == []
    assert recipients(postmark) == sorted(person.email for person in people)
    assert Reminder.objects.filter(status="sent").count() == 8


def test_participants_are_handed_on_in_batches_of_the_configured_size(settings):
    settings.REMINDER_BATCH_SIZE = 3

    assert batches(list(range(1, 8))) == [[1, 2, 3], [4, 5, 6], [7]]
    assert batches([]) == []


def test_the_batch_task_with_a_real_worker(committed_db, httpserver, catalogue_with_course, settings):
    require(connection.vendor == "postgresql", "the worker needs the test database on PostgreSQL (DATABASE_URL)")
    from tests.portal.test_celery import broker_reachable

    require(broker_reachable(), f"the broker at {settings.CELERY_BROKER_URL} is not reachable")
    # The worker reads the real clock: the data is made for the real today.
    people = due_people(catalogue_with_course, 3, today=timezone.localdate())
    httpserver.expect_request("/email", method="POST").respond_with_handler(accepted("pm-batch"))
    from reminders.tasks import send_reminder_batch

    with celery_worker(worker_env(httpserver)) as worker:
        queued = send_reminder_batch.apply_async(args=[ids(people)], queue=worker.queue)
        # Eager tasks run earlier in this process leave Celery believing it is inside one: the test is not.
        outcome = queued.get(timeout=90, disable_sync_subtasks=False)

    assert outcome == {"sent": 3, "skipped": 0, "failed": 0, "uncertain": 0}, worker.output
    assert recipients(httpserver) == sorted(person.email for person in people)
    assert set(Reminder.objects.values_list("message_id", flat=True)) == {"pm-batch"}


def test_only_the_record_of_the_esps_answers_skips_the_wait_for_disk(postmark, als1):
    """The claim commits as usual (a lost claim would put a sent row back to pending); the records of what the
    ESP answered come after it, with the wait for the disk switched off for this connection and back on at the
    end."""
    require(connection.vendor == "postgresql", "synchronous_commit is PostgreSQL's")
    people = due_people(als1, 2)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())

    with CaptureQueriesContext(connection) as queries:
        deliver_to_participants(ids(people), today=TODAY, now=at(TODAY))

    sql = [query["sql"] for query in queries.captured_queries]
    claim_at = next(i for i, text in enumerate(sql) if "RETURNING" in text)
    off_at = sql.index("SET synchronous_commit TO OFF")
    records = [i for i, text in enumerate(sql) if text.startswith('UPDATE "reminders_reminder" SET sent_at')]
    assert claim_at < off_at < min(records) and len(records) == 2
    assert sql.index("RESET synchronous_commit") > max(records)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def dead_batch(people):
    """A batch whose worker died after its first participant's email was accepted and while the second's was out:
    the third's rows were never attempted."""
    from reminders.outbox import record_sent

    claimed = claim(ids(people), today=TODAY, now=at(TODAY))
    first = claimed.rows[people[0].pk]
    record_sent([row.pk for row in first], "pm-first", at(TODAY))
    return claimed


def test_a_dead_workers_batch_leaves_only_its_email_in_flight_uncertain(postmark, als1):
    from reminders.delivery import drain
    from reminders.outbox import sending_timeout

    people = due_people(als1, 3)
    dead_batch(people)
    later = at(TODAY) + sending_timeout() + datetime.timedelta(minutes=1)

    drained = drain(today=TODAY, now=later)

    assert [statuses(person) for person in people] == [["sent"], ["uncertain"], ["pending"]]
    back = Reminder.objects.get(certification__participant=people[2])
    assert (back.attempts, back.claimed_at) == (0, None)
    assert "its worker stopped before sending it" in back.story
    assert (drained.released, drained.uncertain) == (1, 1)
    assert drained.dispatched == [people[2].pk]  # queued again at once


def test_after_the_database_restarted_a_dead_batch_is_all_uncertain(postmark, als1):
    """Records written without waiting for the disk may be lost in a server crash: an email recorded as sent may
    then look unattempted, so nothing of a batch claimed before the restart goes back to the queue."""
    from unittest import mock

    from reminders.delivery import drain
    from reminders.outbox import sending_timeout

    people = due_people(als1, 3)
    dead_batch(people)
    later = at(TODAY) + sending_timeout() + datetime.timedelta(minutes=1)

    restarted = timezone.now() + datetime.timedelta(seconds=1)
    with mock.patch("reminders.delivery.database_started_at", return_value=restarted):
        drained = drain(today=TODAY, now=later)

    assert [statuses(person) for person in people] == [["sent"], ["uncertain"], ["uncertain"]]
    assert drained.released == 0


def test_a_dead_batch_whose_email_in_flight_was_delivered_meanwhile_still_releases_only_the_rest(postmark, als1):
    """The ESP took the email in flight and its delivery event settled the row before the drain looked: that
    participant is still the one in flight, and the one after them goes back to the queue, not to uncertain."""
    from reminders.delivery import drain
    from reminders.outbox import sending_timeout
    from reminders.tracking import record_tracking_event

    people = due_people(als1, 4)
    claimed = dead_batch(people)
    in_flight = claimed.rows[people[1].pk]
    record_tracking_event(
        event_id="late-1",
        event_type="delivered",
        message_id="pm-in-flight",
        recipient=people[1].email,
        reminder_ids=",".join(str(row.pk) for row in in_flight),
        now=at(TODAY),
    )
    later = at(TODAY) + sending_timeout() + datetime.timedelta(minutes=1)

    drained = drain(today=TODAY, now=later)

    assert [statuses(person) for person in people] == [["sent"], ["delivered"], ["pending"], ["pending"]]
    assert drained.released == 2


def test_a_participant_skipped_at_the_claim_is_not_taken_for_the_email_in_flight(postmark, als1):
    """A participant whose rows the claim found no longer due was never going to be sent anything: were they
    counted in the dead batch, the participant after them, whose email may be at the ESP, would be released."""
    from reminders.delivery import drain
    from reminders.outbox import sending_timeout

    people = due_people(als1, 3)
    course_date = next_year_date(als1)
    Booking.objects.create(course_date=course_date, participant=people[0], status=Booking.CONFIRMED)
    claim(ids(people), today=TODAY, now=at(TODAY))  # people[0] skipped; the worker dies sending to people[1]
    later = at(TODAY) + sending_timeout() + datetime.timedelta(minutes=1)

    drain(today=TODAY, now=later)

    assert [statuses(person) for person in people] == [["skipped"], ["uncertain"], ["pending"]]
