"""Delivers participants' reminders, and drains the whole outbox, with the machinery every kind of outbox row
shares (reminders.outbox):

- a send task takes a batch of participants and claims all their due rows in one statement (any number of workers
  send each email once), with the participants locked, so two deliveries for one person never overlap and one
  email a day covers all their due reminders; what every email of the day shares (dates with seats, offers,
  links, prerequisites) is read once per batch, and the batch's emails share one connection to the ESP;
- the drain, run every few minutes by beat, settles dead and uncertain sends of every kind and picks the
  recipients (participants, managers) whose due rows have no live task.

Each message carries its rows' ids as anymail metadata and a Message-ID made from them, the same on every attempt, so
a tracking event settles an uncertain row (reminders.tracking)."""

import contextlib
import datetime
import logging
import uuid
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q

from learning.models import CoursePage, User
from reminders.digests import managers_due
from reminders.emails import ReminderDay, compose_reminder_email
from reminders.esp_search import accepted_uncertain_emails
from reminders.models import ManagerDigest, Reminder
from reminders.outbox import (
    Delivery,
    TransientSendError,
    due_recipients,
    due_rows,
    label,
    mark_dispatched,
    record_sent,
    retry_unsettled,
    send_claimed,
    sending_timeout,
    settle_stale_claims,
    undispatched_since,
    without_waiting_for_disk,
)
from reminders.scan import eligible_certifications, start_of
from reminders.story import with_story
from reminders.tracking import apply_waiting_events

logger = logging.getLogger(__name__)


def emailed_on(day: datetime.date, *, recipient: str = "pk"):
    """Participants who got an email on `day`, or have one on its way or possibly delivered: a subquery on the
    outer query's `recipient` (a user's pk, or a reminder's participant)."""
    return Reminder.objects.filter(
        certification__participant=OuterRef(recipient),
        status__in=Reminder.EMAILED,
        claimed_at__gte=start_of(day),
        claimed_at__lt=start_of(day + datetime.timedelta(days=1)),
    )


def participants_due(today: datetime.date, now: datetime.datetime, *, undispatched_since=None) -> list[int]:
    """Participants with a reminder to send now and no email today; with `undispatched_since`, only those whose
    task was queued before that moment (or never): the ones a lost task would leave waiting."""
    rows = due_recipients(Reminder, today, now, undispatched_since=undispatched_since)
    waiting = User.objects.filter(pk__in=rows).exclude(Exists(emailed_on(today)))
    return list(waiting.values_list("pk", flat=True).order_by("pk"))


@dataclass
class Claim:
    """What a batch's claim took: each participant's claimed rows (oldest first), and how many of each
    participant's rows it found no longer due."""

    rows: dict[int, list[Reminder]] = field(default_factory=dict)
    skipped: dict[int, int] = field(default_factory=dict)


def claim(participant_ids: list[int], *, today: datetime.date, now: datetime.datetime) -> Claim:
    """Takes the due pending rows of every participant in `participant_ids` at once, with those participants
    locked so that two deliveries for one person never overlap; a participant already emailed today gets nothing
    (the rest waits for tomorrow). Rows no longer due (renewed, booked, opted out, suppressed) are marked skipped."""
    with transaction.atomic():
        # FOR NO KEY UPDATE, in id order (two batches never wait for each other in a circle): it serialises claims
        # for these people without blocking rows that merely refer to them (a certification or booking inserted
        # meanwhile).
        locked = list(
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=participant_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        claimed_ids = claim_rows(locked, today, now)
        rows = with_courses(
            Reminder.objects.filter(pk__in=claimed_ids)
            .select_related("stage", "certification__participant")
            .order_by("pk")
        )
        still_due = set(
            eligible_certifications(today)
            .filter(pk__in={row.certification_id for row in rows})
            .values_list("pk", flat=True)
        )
        result = Claim()
        for row in rows:
            participant_id = row.certification.participant_id
            if row.certification_id in still_due:
                result.rows.setdefault(participant_id, []).append(row)
            else:
                result.skipped[participant_id] = result.skipped.get(participant_id, 0) + 1
        unclaim_as_skipped([row.pk for row in rows if row.certification_id not in still_due], now)
    return result


def with_courses(rows) -> list[Reminder]:
    """The rows, each certification given its course from one read of the batch's few courses: a course page's
    row (its content sections) costs more to read than the rest of the reminder, and a batch names a handful of
    courses over hundreds of rows."""
    rows = list(rows)
    courses = CoursePage.objects.in_bulk({row.certification.course_id for row in rows})
    for row in rows:
        row.certification.course = courses[row.certification.course_id]
    return rows


def claim_rows(participant_ids: list[int], today: datetime.date, now: datetime.datetime) -> list[int]:
    """One UPDATE … RETURNING: the due pending rows of these participants (none of a participant emailed today)
    become "sending", claimed now, one attempt more; rows another transaction holds are skipped (SKIP LOCKED), not
    waited for. Returns the ids it claimed. The participants must be locked by the caller's transaction: the
    statement then sees every claim committed before it."""
    if not participant_ids:
        return []
    emailed_today = emailed_on(today, recipient="certification__participant_id")
    due = (
        due_rows(Reminder, today, now)
        .filter(certification__participant_id__in=participant_ids)
        .exclude(Exists(emailed_today))
        .select_for_update(skip_locked=True, of=("self",))
        .values("pk")
    )
    subquery, params = due.query.sql_with_params()
    at = connection.ops.adapt_datetimefield_value(now)
    batch = Reminder._meta.get_field("claim").get_db_prep_value(uuid.uuid4(), connection)
    server = ", claim_server_started = pg_postmaster_start_time()" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Reminder._meta.db_table} AS claimed "  # noqa: S608 (names from the model, values as parameters)
            f"SET status = %s, claimed_at = %s, claim = %s, attempts = attempts + 1, updated_at = %s{server} "
            f"WHERE claimed.id IN ({subquery}) RETURNING id",
            [Reminder.SENDING, at, batch, at, *params],
        )
        return [row[0] for row in cursor.fetchall()]


def unclaim_as_skipped(ids: list[int], now: datetime.datetime) -> None:
    """Rows the claim took that turned out no longer due: skipped, and never attempted."""
    if ids:
        Reminder.objects.filter(pk__in=ids).update(
            status=Reminder.SKIPPED,
            skipped_reason="no longer due (renewed, booked or opted out)",
            claimed_at=None,
            claim=None,
            attempts=F("attempts") - 1,
            updated_at=now,
        )


def release(ids: list[int], why: str, now: datetime.datetime) -> int:
    """Claimed rows their batch never attempted: back in the queue, the attempt not counted, for the drain to
    dispatch again."""
    return Reminder.objects.filter(pk__in=ids, status=Reminder.SENDING).update(
        **with_story(
            now,
            f"{why} before sending it: back in the queue",
            status=Reminder.PENDING,
            claimed_at=None,
            claim=None,
            dispatched_at=None,
            attempts=F("attempts") - 1,
        )
    )


def release_unattempted(now: datetime.datetime) -> int:
    """A batch whose worker died (rows of its claim still "sending" past the sending timeout) sent its participants
    in id order and recorded each answer before the next send. The first participant with no answer recorded (no
    sent_at, no error) was in flight and may have reached the ESP: their rows are left to settle_stale_claims,
    which makes them uncertain, or to the tracking event that may already have settled them. The later
    participants' rows were never attempted and go back to the queue. Every doubt keeps rows back, never
    releases one: an answer from an earlier attempt only moves the in-flight mark later. Not at all after the
    database server restarted since the claim: answers recorded without waiting for the disk may have been lost.
    Returns how many rows went back."""
    stale = Reminder.objects.filter(status=Reminder.SENDING, claimed_at__lt=now - sending_timeout()).values("claim")
    rows = (
        Reminder.objects.filter(claim__in=stale)
        .values_list("pk", "claim", "claim_server_started", "certification__participant_id", "status")
        .annotate(answered=Q(sent_at__isnull=False) | ~Q(last_error=""))
        .order_by("claim", "certification__participant_id", "pk")
    )
    started = database_started_at()
    in_flight: dict = {}  # claim -> the participant whose email was out when the worker died
    never_attempted = []
    for pk, batch, server_started, participant_id, status, answered in rows:
        if started != server_started:
            continue
        if not answered:
            in_flight.setdefault(batch, participant_id)
        if status == Reminder.SENDING and in_flight.get(batch, participant_id) < participant_id:
            never_attempted.append(pk)
    return release(never_attempted, "its worker stopped", now)


def database_started_at() -> datetime.datetime | None:
    """When the PostgreSQL server last started, on its own clock (None on SQLite, whose commits always wait for
    the disk)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return cursor.fetchone()[0]


@dataclass
class Batch:
    """What one batch of participants got: a delivery each (in id order), and the participants whose rows
    wait for another attempt after a transient error, with that error (its retry_at says when)."""

    deliveries: list[Delivery] = field(default_factory=list)
    waiting: dict[int, TransientSendError] = field(default_factory=dict)


def deliver_to_participants(participant_ids: list[int], *, today: datetime.date, now: datetime.datetime) -> Batch:
    """Sends each participant their due reminders as one email, for a whole batch at once: one claim, the day's
    shared facts read once (reminders.emails.ReminderDay), one connection to the ESP. A transient error leaves that
    participant's rows for a later attempt and the batch goes on; the task running out of time puts the rows it
    never attempted back in the queue."""
    # In id order, which the drain relies on after a worker died (release_unattempted).
    participant_ids = sorted(set(participant_ids))
    claimed = claim(participant_ids, today=today, now=now)
    batch = Batch()
    day = shared_day(claimed, today)
    with mail_connection() as esp, without_waiting_for_disk():
        for position, participant_id in enumerate(participant_ids):
            delivery = Delivery(recipient_id=participant_id, skipped=claimed.skipped.get(participant_id, 0))
            batch.deliveries.append(delivery)
            rows = claimed.rows.get(participant_id)
            if not rows:
                continue
            try:
                send_claimed(delivery, rows, partial(compose, rows, today, day, esp), now, batched=True)
            except TransientSendError as error:
                batch.waiting[participant_id] = error
            if delivery.out_of_time:
                rest = participant_ids[position + 1 :]
                release([row.pk for pid in rest for row in claimed.rows.get(pid, [])], "its batch ran out of time", now)
                break
    sent = [delivery.message_id for delivery in batch.deliveries if delivery.sent]
    if sent:
        apply_waiting_events(now=now, message_ids=sent)
    return batch


def deliver_to_participant(participant_id: int, *, today: datetime.date, now: datetime.datetime) -> Delivery:
    """Sends one participant's due reminders as one email (a batch of one). Raises TransientSendError when the
    rows wait for a later attempt."""
    batch = deliver_to_participants([participant_id], today=today, now=now)
    if participant_id in batch.waiting:
        raise batch.waiting[participant_id]
    return batch.deliveries[0]


def shared_day(claimed: Claim, today: datetime.date) -> ReminderDay | None:
    """The batch's shared facts; None when there is nothing to send, or when reading them failed (each email then
    reads its own, and one that fails is recorded against its rows)."""
    rows = [row for rows in claimed.rows.values() for row in rows]
    if not rows:
        return None
    try:
        return ReminderDay.load(rows, today)
    except Exception:
        logger.exception("could not read the shared facts of a batch of reminders")
        return None


@contextlib.contextmanager
def mail_connection():
    """One connection to the ESP for a whole batch (anymail keeps its HTTP session open between messages)."""
    esp = get_connection()
    try:
        esp.open()
    except Exception:
        logger.exception("could not open the email connection; each message opens its own")
        esp = None
    try:
        yield esp
    finally:
        if esp is not None:
            with contextlib.suppress(Exception):
                esp.close()


def compose(rows: list[Reminder], today: datetime.date, day: ReminderDay | None = None, esp=None):
    """The email for one participant's claimed rows, carrying their ids as metadata and a Message-ID made from
    them."""
    participant = rows[0].certification.participant
    message = label(compose_reminder_email(participant, rows, today, day), rows)
    if esp is not None:
        message.connection = esp
    return message


def batches(participant_ids: list[int], size: int | None = None) -> list[list[int]]:
    """The participants in send batches of `size` (REMINDER_BATCH_SIZE), each for one task."""
    size = size or settings.REMINDER_BATCH_SIZE
    return [participant_ids[start : start + size] for start in range(0, len(participant_ids), size)]


@dataclass
class Drain:
    uncertain: int
    confirmed: int
    retried: int
    failed: int
    dispatched: list[int]  # participants, in batches to get a send task each
    digests_dispatched: list[int] = field(default_factory=list)  # managers, each to get a digest's send task
    released: int = 0  # rows a dead worker's batch never attempted, back in the queue


def drain(*, today: datetime.date, now: datetime.datetime) -> Drain:
    """The outbox's periodic pass, over every kind of row: the rows a dead worker's batch never attempted go back to
    the queue, the rest of dead workers' claims become uncertain, unsettled
    uncertain rows get their one more attempt, every participant and manager whose due rows have no live task gets
    one (the caller queues them; a row dispatched within the last half period is left to its task), events that
    waited for a message id now recorded are applied, and, last, uncertain emails the ESP confirms it accepted are
    recorded as sent."""
    released = release_unattempted(now)
    uncertain = settle_stale_claims(now)
    retried, failed = retry_unsettled(now)
    participants = participants_due(today, now, undispatched_since=undispatched_since(now))
    mark_dispatched(participants, now)
    managers = managers_due(today, now, undispatched_since=undispatched_since(now))
    mark_dispatched(managers, now, model=ManagerDigest)
    apply_waiting_events(now=now)
    confirmed = 0
    for model, ids, message_id in accepted_uncertain_emails():
        record_sent(ids, message_id, now, how="found in the ESP's list of accepted messages", model=model)
        confirmed += len(ids)
    return Drain(
        uncertain, confirmed, retried, failed, dispatched=participants, digests_dispatched=managers, released=released
    )
