"""Delivering the outbox, whatever kind of row it holds (a participant's reminders, a manager's digest). The rows,
not the broker's tasks, are the queue's truth:

- a send claims a recipient's due rows atomically (each kind claims in its own way: reminders.delivery,
  reminders.digests), so any number of workers send each email once;
- the ESP's answer decides the rows: accepted -> sent; refused -> failed; a transient error -> pending again after
  a backoff; no answer (a timeout) -> uncertain, because the ESP may have accepted it;
- the drain (reminders.delivery.drain), run every few minutes by beat, turns claims whose worker died into
  uncertain rows, gives an uncertain row with no evidence one more attempt after a wait, and queues a task for
  every recipient whose due rows' task was lost.

Each message carries its rows' ids as anymail metadata (under the kind's key) and a Message-ID made from them, the
same on every attempt, so a tracking event settles an uncertain row (reminders.tracking)."""

import contextlib
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from urllib3.exceptions import NewConnectionError

from reminders.models import OUTBOX_MODELS, OutboxRow, Reminder
from reminders.story import story_line, with_story
from reminders.tracking import apply_waiting_events

logger = logging.getLogger(__name__)


def sending_timeout() -> datetime.timedelta:
    """A claim older than this belongs to a worker that died (REMINDER_SENDING_TIMEOUT_SECONDS; longer than Celery's
    hard time limit, so that no live task holds a claim that long)."""
    return datetime.timedelta(seconds=settings.REMINDER_SENDING_TIMEOUT_SECONDS)


class TransientSendError(Exception):
    """The ESP refused for now (5xx, rate limit, no connection): the rows wait for their next attempt, at
    `retry_at`."""

    def __init__(self, message: str, retry_at: datetime.datetime):
        super().__init__(message)
        self.retry_at = retry_at


@dataclass
class Delivery:
    """What one send task did for one recipient (a participant, a manager)."""

    recipient_id: int
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    uncertain: int = 0
    message_id: str = ""
    out_of_time: bool = False  # the task's soft time limit struck while sending: a batch stops there


def is_transient(error: Exception) -> bool:
    """5xx, 429 and failures to connect are worth another try; a refused recipient or another 4xx is not."""
    if isinstance(error, AnymailRecipientsRefused):
        return False
    status = getattr(error, "status_code", None)
    if status is not None:
        return status == 429 or status >= 500
    if isinstance(error, AnymailRequestsAPIError):
        return True  # no response at all
    # anymail refusing the message itself (settings, invalid data) is permanent; other backends' errors (SMTP …)
    # are retried, bounded by the attempt count.
    return not isinstance(error, AnymailError)


def may_have_been_accepted(error: BaseException) -> bool:
    """The request reached the ESP but its answer never came: the ESP may have accepted the message. That is a read
    timeout, a connection cut mid-answer, a gateway timeout (504), or our own time limit striking mid-send. A
    connection that was never made (refused, no such host, connect timeout, TLS failure) sent nothing, and an
    answer of any other kind is the ESP's decision."""
    if isinstance(error, SoftTimeLimitExceeded):
        return True
    if getattr(error, "status_code", None) is not None:
        return error.status_code == 504
    if not isinstance(error, requests.RequestException):
        return False
    if isinstance(error, requests.ReadTimeout | requests.exceptions.ChunkedEncodingError):
        return True
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return False
    return isinstance(error, requests.ConnectionError) and not never_connected(error)


def never_connected(error: BaseException) -> bool:
    """Whether a connection error happened before a connection existed (urllib3's NewConnectionError, which name
    resolution failures are too), looking through the exceptions it wraps."""
    seen, pending = set(), [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError):
            return True
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False


def due_rows(model: type[OutboxRow], today: datetime.date, now: datetime.datetime):
    """The kind's rows to send now: pending, due, and past any backoff."""
    return model.objects.filter(status=model.PENDING, due_on__lte=today).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def refresh_outbox_statistics() -> None:
    """Has PostgreSQL count the outbox again (ANALYZE) after a scan created rows, before they are delivered. Rows
    are pending only between the morning's scan and its deliveries, so the statistics autovacuum leaves usually
    say that almost none are: each batch's claim then reads every pending row of the day to find its fifty
    participants' (40 ms a batch with 29,000 pending rows), instead of starting from those participants (2 ms)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Reminder._meta.db_table}")


def due_recipients(model: type[OutboxRow], today: datetime.date, now: datetime.datetime, *, undispatched_since=None):
    """The ids of the recipients with rows to send now, as a subquery; with `undispatched_since`, only rows whose
    task was queued before that moment (or never): the ones a lost task would leave waiting."""
    rows = due_rows(model, today, now)
    if undispatched_since is not None:
        rows = rows.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=undispatched_since))
    return rows.values(model.recipient_field)


def undispatched_since(now: datetime.datetime) -> datetime.datetime:
    """Rows dispatched before this moment may have lost their task: half a drain period ago.

    Half a period, not a whole one: drains run a period apart give or take their own wait in the queue, so with a
    whole period the drain after a lost dispatch would skip it whenever it started a little earlier in its slot than
    the dispatching one did, and the rows would wait for the drain after that. A task still queued after half a
    period merely gets a twin, which finds nothing to claim."""
    return now - datetime.timedelta(minutes=settings.REMINDER_DRAIN_MINUTES) / 2


def mark_dispatched(recipient_ids: list[int], now: datetime.datetime, *, model: type[OutboxRow] = Reminder) -> None:
    # In slices: SQLite bounds the parameters of one statement.
    for start in range(0, len(recipient_ids), 500):
        model.objects.filter(
            status=model.PENDING, **{f"{model.recipient_field}__in": recipient_ids[start : start + 500]}
        ).update(dispatched_at=now)


def settle_stale_claims(now: datetime.datetime) -> int:
    """Claims whose worker died mid-send, of every kind: the ESP may have the message, so the rows are uncertain,
    not pending."""
    return sum(
        model.objects.filter(status=model.SENDING, claimed_at__lt=now - sending_timeout()).update(
            **with_story(
                now,
                "the worker sending it stopped before the ESP answered: it may have been sent",
                status=model.UNCERTAIN,
                uncertain_since=now,
            )
        )
        for model in OUTBOX_MODELS
    )


def retry_unsettled(now: datetime.datetime) -> tuple[int, int]:
    """An uncertain row with no tracking event after the wait gets one more attempt, and only one; still uncertain
    after another wait, it is failed ("outcome unknown") for an administrator to decide. Returns (retried, failed)."""
    before = now - datetime.timedelta(minutes=settings.REMINDER_UNCERTAIN_WAIT_MINUTES)
    retried = gave_up = 0
    for model in OUTBOX_MODELS:
        unsettled = model.objects.filter(status=model.UNCERTAIN, uncertain_since__lt=before)
        gave_up += unsettled.filter(retried_uncertain=True).update(
            **with_story(
                now,
                "still no delivery news after the one more attempt: outcome unknown, not sent again",
                status=model.FAILED,
                last_error="outcome unknown: the ESP never confirmed or refused the email",
            )
        )
        retried += unsettled.filter(retried_uncertain=False).update(
            **with_story(
                now,
                "no delivery news from the ESP: one more attempt",
                status=model.PENDING,
                retried_uncertain=True,
                next_attempt_at=None,
            )
        )
    return retried, gave_up


def mark_claimed(rows: list[OutboxRow], now: datetime.datetime) -> None:
    """The claimed rows are being sent: by this worker, now, one attempt more."""
    for row in rows:
        row.status, row.claimed_at, row.attempts, row.updated_at = row.SENDING, now, row.attempts + 1, now
    if rows:
        type(rows[0]).objects.bulk_update(rows, ["status", "claimed_at", "attempts", "updated_at"])


def mark_skipped(rows: list[OutboxRow], reason: str, now: datetime.datetime) -> None:
    """Rows that will never be sent, and why (the outbox shows it)."""
    for row in rows:
        row.status, row.skipped_reason, row.updated_at = row.SKIPPED, reason, now
    if rows:
        type(rows[0]).objects.bulk_update(rows, ["status", "skipped_reason", "updated_at"])


def label(message, rows: list[OutboxRow]):
    """Names the rows in the message: their ids as anymail metadata, and a Message-ID made from them that is the
    same on every attempt at the same rows, so a retry is recognisably the same email."""
    ids = [row.pk for row in sorted(rows, key=lambda row: row.pk)]
    kind = type(rows[0])
    message.extra_headers["Message-ID"] = (
        f"<{kind.message_id_word}.{'.'.join(map(str, ids))}@{settings.REMINDER_MESSAGE_ID_DOMAIN}>"
    )
    # A few ids at most: one email covers one recipient's due rows, and a recipient has a handful.
    message.metadata = {kind.metadata_key: ",".join(map(str, ids))}
    return message


def send_claimed(
    delivery: Delivery, rows: list[OutboxRow], compose: Callable, now: datetime.datetime, *, batched: bool = False
) -> Delivery:
    """Sends the email `compose()` makes for the claimed rows, once, and records what the ESP answered. Raises
    TransientSendError when the rows wait for a later attempt. `batched`: the caller applies the tracking events
    that waited for the batch's message ids once, after its last send (apply_waiting_events)."""
    try:
        message = compose()
    except Exception as error:
        # Nothing left: the rows must not wait in "sending" for a worker that is not coming back.
        logger.exception("could not compose the email of %s", rows)
        return after_failure(delivery, rows, error, now, permanent=True)
    try:
        message.send()
    except Exception as error:
        return after_failure(delivery, rows, error, now)
    delivery.message_id = esp_message_id(message, message.to[0]) or message.extra_headers["Message-ID"]
    record_sent([row.pk for row in rows], delivery.message_id, now, model=type(rows[0]), apply_waiting=not batched)
    delivery.sent = len(rows)
    return delivery


def record_sent(
    ids: list[int],
    message_id: str,
    now: datetime.datetime,
    how: str = "accepted by the ESP",
    *,
    model: type[OutboxRow] = Reminder,
    apply_waiting: bool = True,
) -> None:
    """The ESP accepted the message. A tracking event may have arrived first and moved a row further on: it keeps
    its status. Events that waited for this message id are applied now (unless the caller does it for several
    message ids at once). One UPDATE, written in SQL: it runs once per email, and the ORM's compilation of its two
    CASEs cost more than running it."""
    table = connection.ops.quote_name(model._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    settling = f"status IN ('{model.SENDING}', '{model.UNCERTAIN}')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET sent_at = %s, message_id = %s, last_error = '', updated_at = %s, "  # noqa: S608
            f"story = CASE WHEN {settling} THEN story || %s ELSE story END, "
            f"status = CASE WHEN {settling} THEN %s ELSE status END "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
            [at, message_id, at, story_line(now, f"{how} as {message_id}"), model.SENT, *ids],
        )
    if apply_waiting:
        apply_waiting_events(now=now, message_id=message_id)


@contextlib.contextmanager
def without_waiting_for_disk():
    """Within it, this connection's commits do not wait for the disk (PostgreSQL's synchronous_commit off): for
    the record of what the ESP answered to a batch's sends, where the flush to disk cost as much as the send
    itself, once per email. What it risks: should the database server itself crash, the last fraction of a second
    of these records may be lost, and their rows are "sending" again; the drain turns them uncertain and tracking
    events settle them, as after a worker that died mid-send. Nothing is sent twice silently. Claims are not made
    within it: a lost claim would put a sent row back to pending."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:  # a broken connection is discarded
            cursor.execute("RESET synchronous_commit")


def after_failure(
    delivery: Delivery, rows: list[OutboxRow], error: BaseException, now: datetime.datetime, *, permanent: bool = False
) -> Delivery:
    """Records why the send did not succeed. Only rows still "sending" change: a tracking event may already have
    settled one while the request was out."""
    model = type(rows[0])
    claimed = model.objects.filter(pk__in=[row.pk for row in rows], status=model.SENDING)
    reason = f"{type(error).__name__}: {error}"[:2000]
    delivery.out_of_time = isinstance(error, SoftTimeLimitExceeded)
    if not permanent and may_have_been_accepted(error):
        claimed.update(
            **with_story(
                now,
                f"no answer from the ESP ({type(error).__name__}): it may have been sent",
                status=model.UNCERTAIN,
                uncertain_since=now,
                last_error=reason,
            )
        )
        delivery.uncertain = len(rows)
        return delivery
    attempts = min(row.attempts for row in rows)
    if permanent or not is_transient(error) or attempts >= settings.REMINDER_MAX_ATTEMPTS:
        claimed.update(**with_story(now, f"failed: {reason}", status=model.FAILED, last_error=reason))
        logger.warning("%s for user %s failed: %s", model.metadata_key, delivery.recipient_id, error)
        delivery.failed = len(rows)
        return delivery
    retry_at = now + datetime.timedelta(seconds=retry_delay(attempts - 1))
    claimed.update(
        **with_story(
            now,
            f"the ESP refused for now ({reason[:120]}): next attempt from {retry_at:%H:%M}",
            status=model.PENDING,
            last_error=reason,
            next_attempt_at=retry_at,
            # The task retries itself at retry_at; the drain steps in only if that retry is lost.
            dispatched_at=retry_at,
        )
    )
    raise TransientSendError(str(error), retry_at) from error


def esp_message_id(message, address: str) -> str:
    """The id the ESP gave the message for this recipient (anymail), which its tracking events will name."""
    status = getattr(message, "anymail_status", None)
    if status is None:
        return ""
    recipient = status.recipients.get(address) if status.recipients else None
    if recipient is not None and recipient.message_id:
        return str(recipient.message_id)
    return status.message_id if isinstance(status.message_id, str) else ""


def retry_delay(retries: int) -> int:
    """Exponential backoff in seconds: 1, 2, 4, 8 … minutes, capped at an hour."""
    return min(60 * 2**retries, 3600)
