"""Delivers the outbox. The rows, not the broker's tasks, are the queue's truth:

- a send task claims a participant's due rows atomically (any number of workers send each email once), with the
  participant locked, so two deliveries for one person never overlap and one email a day covers all their due
  reminders;
- the ESP's answer decides the row: accepted -> sent; refused -> failed; a transient error -> pending again after a
  backoff; no answer (a timeout) -> uncertain, because the ESP may have accepted it;
- the drain, run every few minutes by beat, turns claims whose worker died into uncertain rows, gives an uncertain
  row with no evidence one more attempt after a wait, and queues a task for every due row whose task was lost.

Each message carries its rows' ids as anymail metadata and a Message-ID made from them, the same on every attempt, so
a tracking event settles an uncertain row (reminders.tracking)."""

import datetime
import logging
from dataclasses import dataclass

import requests
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from urllib3.exceptions import NewConnectionError

from learning.models import User
from reminders.emails import compose_reminder_email
from reminders.esp_search import accepted_uncertain_emails
from reminders.models import Reminder
from reminders.scan import eligible_certifications, start_of
from reminders.story import with_story
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
    participant_id: int
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    uncertain: int = 0
    message_id: str = ""


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


def emailed_on(day: datetime.date):
    """Participants who got an email on `day`, or have one on its way or possibly delivered."""
    return Reminder.objects.filter(
        certification__participant=OuterRef("pk"),
        status__in=Reminder.EMAILED,
        claimed_at__gte=start_of(day),
        claimed_at__lt=start_of(day + datetime.timedelta(days=1)),
    )


def due_rows(today: datetime.date, now: datetime.datetime):
    return Reminder.objects.filter(status=Reminder.PENDING, due_on__lte=today).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def participants_due(today: datetime.date, now: datetime.datetime, *, undispatched_since=None) -> list[int]:
    """Participants with a reminder to send now and no email today; with `undispatched_since`, only those whose
    task was queued before that moment (or never): the ones a lost task would leave waiting."""
    rows = due_rows(today, now)
    if undispatched_since is not None:
        rows = rows.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=undispatched_since))
    waiting = User.objects.filter(pk__in=rows.values("certification__participant_id")).exclude(
        Exists(emailed_on(today))
    )
    return list(waiting.values_list("pk", flat=True).order_by("pk"))


def mark_dispatched(participant_ids: list[int], now: datetime.datetime) -> None:
    # In slices: SQLite bounds the parameters of one statement.
    for start in range(0, len(participant_ids), 500):
        Reminder.objects.filter(
            status=Reminder.PENDING, certification__participant_id__in=participant_ids[start : start + 500]
        ).update(dispatched_at=now)


def settle_stale_claims(now: datetime.datetime) -> int:
    """Claims whose worker died mid-send: the ESP may have the message, so the rows are uncertain, not pending."""
    stale = Reminder.objects.filter(status=Reminder.SENDING, claimed_at__lt=now - sending_timeout())
    return stale.update(
        **with_story(
            now,
            "the worker sending it stopped before the ESP answered: it may have been sent",
            status=Reminder.UNCERTAIN,
            uncertain_since=now,
        )
    )


def retry_unsettled(now: datetime.datetime) -> tuple[int, int]:
    """An uncertain row with no tracking event after the wait gets one more attempt, and only one; still uncertain
    after another wait, it is failed ("outcome unknown") for an administrator to decide. Returns (retried, failed)."""
    before = now - datetime.timedelta(minutes=settings.REMINDER_UNCERTAIN_WAIT_MINUTES)
    unsettled = Reminder.objects.filter(status=Reminder.UNCERTAIN, uncertain_since__lt=before)
    gave_up = unsettled.filter(retried_uncertain=True).update(
        **with_story(
            now,
            "still no delivery news after the one more attempt: outcome unknown, not sent again",
            status=Reminder.FAILED,
            last_error="outcome unknown: the ESP never confirmed or refused the email",
        )
    )
    retried = unsettled.filter(retried_uncertain=False).update(
        **with_story(
            now,
            "no delivery news from the ESP: one more attempt",
            status=Reminder.PENDING,
            retried_uncertain=True,
            next_attempt_at=None,
        )
    )
    return retried, gave_up


def claim(participant_id: int, *, today: datetime.date, now: datetime.datetime) -> tuple[list[Reminder], int]:
    """Takes the participant's due pending rows, with the participant locked so that two deliveries for one person
    never overlap; nothing when they were already emailed today (the rest waits for tomorrow). Rows no longer due
    (renewed, booked, opted out, suppressed) are marked skipped."""
    with transaction.atomic():
        # FOR NO KEY UPDATE: it serialises claims for this person without blocking rows that merely refer to them
        # (a certification or booking inserted meanwhile).
        User.objects.select_for_update(no_key=True).filter(pk=participant_id).first()
        if User.objects.filter(pk=participant_id).filter(Exists(emailed_on(today))).exists():
            return [], 0
        rows = list(
            due_rows(today, now)
            .select_for_update(of=("self",))
            .filter(certification__participant_id=participant_id)
            .select_related("stage", "certification__course", "certification__participant")
            .order_by("pk")
        )
        if not rows:
            return [], 0
        still_due = set(
            eligible_certifications(today)
            .filter(pk__in=[row.certification_id for row in rows])
            .values_list("pk", flat=True)
        )
        claimed, skipped = [], []
        for row in rows:
            if row.certification_id in still_due:
                row.status, row.claimed_at, row.attempts = Reminder.SENDING, now, row.attempts + 1
                claimed.append(row)
            else:
                row.status, row.skipped_reason = Reminder.SKIPPED, "no longer due (renewed, booked or opted out)"
                skipped.append(row)
            row.updated_at = now
        Reminder.objects.bulk_update(rows, ["status", "claimed_at", "attempts", "skipped_reason", "updated_at"])
    return claimed, len(skipped)


def reminder_message_id(rows: list[Reminder]) -> str:
    """The same Message-ID on every attempt at the same rows, so a retry is recognisably the same email."""
    ids = ".".join(str(row.pk) for row in sorted(rows, key=lambda row: row.pk))
    return f"<reminder.{ids}@{settings.REMINDER_MESSAGE_ID_DOMAIN}>"


def deliver_to_participant(participant_id: int, *, today: datetime.date, now: datetime.datetime) -> Delivery:
    """Sends the participant's due reminders as one email. Raises TransientSendError when the rows wait for a
    later attempt."""
    delivery = Delivery(participant_id=participant_id)
    rows, delivery.skipped = claim(participant_id, today=today, now=now)
    if not rows:
        return delivery
    try:
        message = compose(participant_id, rows, today)
    except Exception as error:
        # Nothing left: the rows must not wait in "sending" for a worker that is not coming back.
        logger.exception("could not compose the reminder for participant %s", participant_id)
        return after_failure(delivery, rows, error, now, permanent=True)
    try:
        message.send()
    except Exception as error:
        return after_failure(delivery, rows, error, now)
    delivery.message_id = esp_message_id(message, message.to[0]) or message.extra_headers["Message-ID"]
    record_sent([row.pk for row in rows], delivery.message_id, now)
    delivery.sent = len(rows)
    return delivery


def compose(participant_id: int, rows: list[Reminder], today: datetime.date):
    """The email for the claimed rows, carrying their ids as metadata and a Message-ID made from them."""
    message = compose_reminder_email(User.objects.get(pk=participant_id), rows, today)
    message.extra_headers["Message-ID"] = reminder_message_id(rows)
    # A few ids at most: the scan keeps one due row per certification, and a person holds a handful.
    message.metadata = {"reminders": ",".join(str(row.pk) for row in rows)}
    return message


def record_sent(ids: list[int], message_id: str, now: datetime.datetime, how: str = "accepted by the ESP") -> None:
    """The ESP accepted the message. A tracking event may have arrived first and moved a row further on: it keeps
    its status. Events that waited for this message id are applied now."""
    with transaction.atomic():
        Reminder.objects.filter(pk__in=ids).update(sent_at=now, message_id=message_id, last_error="", updated_at=now)
        Reminder.objects.filter(pk__in=ids, status__in=[Reminder.SENDING, Reminder.UNCERTAIN]).update(
            **with_story(now, f"{how} as {message_id}", status=Reminder.SENT)
        )
    apply_waiting_events(now=now, message_id=message_id)


def after_failure(
    delivery: Delivery, rows: list[Reminder], error: BaseException, now: datetime.datetime, *, permanent: bool = False
) -> Delivery:
    """Records why the send did not succeed. Only rows still "sending" change: a tracking event may already have
    settled one while the request was out."""
    claimed = Reminder.objects.filter(pk__in=[row.pk for row in rows], status=Reminder.SENDING)
    reason = f"{type(error).__name__}: {error}"[:2000]
    if not permanent and may_have_been_accepted(error):
        claimed.update(
            **with_story(
                now,
                f"no answer from the ESP ({type(error).__name__}): it may have been sent",
                status=Reminder.UNCERTAIN,
                uncertain_since=now,
                last_error=reason,
            )
        )
        delivery.uncertain = len(rows)
        return delivery
    attempts = min(row.attempts for row in rows)
    if permanent or not is_transient(error) or attempts >= settings.REMINDER_MAX_ATTEMPTS:
        claimed.update(**with_story(now, f"failed: {reason}", status=Reminder.FAILED, last_error=reason))
        logger.warning("reminders for participant %s failed: %s", delivery.participant_id, error)
        delivery.failed = len(rows)
        return delivery
    retry_at = now + datetime.timedelta(seconds=retry_delay(attempts - 1))
    claimed.update(
        **with_story(
            now,
            f"the ESP refused for now ({reason[:120]}): next attempt from {retry_at:%H:%M}",
            status=Reminder.PENDING,
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


@dataclass
class Drain:
    uncertain: int
    confirmed: int
    retried: int
    failed: int
    dispatched: list[int]


def drain(*, today: datetime.date, now: datetime.datetime) -> Drain:
    """The outbox's periodic pass: dead workers' claims become uncertain, unsettled uncertain rows get their one
    more attempt, every participant whose due rows have no live task gets one (the caller queues them; a row
    dispatched within the last half period is left to its task), events that waited for a message id now recorded
    are applied, and, last, uncertain emails the ESP confirms it accepted are recorded as sent."""
    uncertain = settle_stale_claims(now)
    retried, failed = retry_unsettled(now)
    # Half a period, not a whole one: drains run a period apart give or take their own wait in the queue, so with a
    # whole period the drain after a lost dispatch would skip it whenever it started a little earlier in its slot
    # than the dispatching one did, and the rows would wait for the drain after that. A task still queued after half
    # a period merely gets a twin, which finds nothing to claim.
    period = datetime.timedelta(minutes=settings.REMINDER_DRAIN_MINUTES)
    participants = participants_due(today, now, undispatched_since=now - period / 2)
    mark_dispatched(participants, now)
    apply_waiting_events(now=now)
    confirmed = 0
    for ids, message_id in accepted_uncertain_emails():
        record_sent(ids, message_id, now, how="found in the ESP's list of accepted messages")
        confirmed += len(ids)
    return Drain(uncertain=uncertain, confirmed=confirmed, retried=retried, failed=failed, dispatched=participants)
