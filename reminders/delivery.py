"""Delivers the outbox: rows are claimed atomically (any number of workers send each email once), one email per
participant per day covers all their due reminders, transient ESP errors are retried with backoff, permanent
ones are recorded as failed. The row's state, not the task, decides whether an email goes out."""

import datetime
import logging
from dataclasses import dataclass

from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail.message import make_msgid
from django.db import transaction

from learning.models import User
from reminders.emails import compose_reminder_email
from reminders.models import Reminder
from reminders.scan import eligible_certifications, start_of

logger = logging.getLogger(__name__)

# A row left in "sending" this long belongs to a worker that died mid-task: it is put back in the queue.
SENDING_TIMEOUT = datetime.timedelta(minutes=15)


class TransientSendError(Exception):
    """The ESP may accept the message if asked again later (timeout, 5xx, rate limit)."""


@dataclass
class Delivery:
    participant_id: int
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    message_id: str = ""


def is_transient(error: Exception) -> bool:
    """Timeouts, connection failures, 5xx and 429 are worth another try; a refused recipient or another 4xx is not."""
    if isinstance(error, AnymailRecipientsRefused):
        return False
    status = getattr(error, "status_code", None)
    if status is not None:
        return status == 429 or status >= 500
    if isinstance(error, AnymailRequestsAPIError):
        return True  # no response at all: a timeout or a connection failure
    # anymail refusing the message itself (settings, invalid data) is permanent; other backends' errors (SMTP …)
    # are retried, bounded by the attempt count.
    return not isinstance(error, AnymailError)


def participants_due(today: datetime.date) -> list[int]:
    return list(
        Reminder.objects.filter(status=Reminder.PENDING, due_on__lte=today)
        .values_list("certification__participant_id", flat=True)
        .distinct()
        .order_by()
    )


def requeue_stale(now: datetime.datetime) -> int:
    return Reminder.objects.filter(status=Reminder.SENDING, claimed_at__lt=now - SENDING_TIMEOUT).update(
        status=Reminder.PENDING, updated_at=now
    )


def claim(participant_id: int, *, today: datetime.date, now: datetime.datetime) -> tuple[list[Reminder], int]:
    """Atomically takes the participant's due pending rows (rows another worker holds are skipped, not waited
    for); rows no longer due (renewed, booked, opted out, suppressed) are marked skipped."""
    with transaction.atomic():
        sent_today = Reminder.objects.filter(
            certification__participant_id=participant_id,
            sent_at__gte=start_of(today),
            sent_at__lt=start_of(today + datetime.timedelta(days=1)),
        )
        if sent_today.exists():
            return [], 0  # one email per participant per day: the rest waits for tomorrow's run
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(certification__participant_id=participant_id, status=Reminder.PENDING, due_on__lte=today)
            .select_related("stage", "certification__course", "certification__participant")
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


def deliver_to_participant(participant_id: int, *, today: datetime.date, now: datetime.datetime) -> Delivery:
    """Sends the participant's due reminders as one email. Raises TransientSendError when the rows went back to
    the queue for a later retry."""
    delivery = Delivery(participant_id=participant_id)
    rows, delivery.skipped = claim(participant_id, today=today, now=now)
    if not rows:
        return delivery
    participant = User.objects.get(pk=participant_id)
    message = compose_reminder_email(participant, rows, today)
    message.extra_headers.setdefault("Message-ID", make_msgid(domain=settings.REMINDER_MESSAGE_ID_DOMAIN))
    try:
        message.send()
    except Exception as error:
        transient = is_transient(error)
        give_up = not transient or min(row.attempts for row in rows) >= settings.REMINDER_MAX_ATTEMPTS
        status = Reminder.FAILED if give_up else Reminder.PENDING
        Reminder.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=status, last_error=f"{type(error).__name__}: {error}"[:2000], updated_at=now
        )
        if give_up:
            logger.warning("reminders for participant %s failed: %s", participant_id, error)
            delivery.failed = len(rows)
            return delivery
        raise TransientSendError(str(error)) from error
    delivery.message_id = esp_message_id(message, participant.email) or message.extra_headers["Message-ID"]
    Reminder.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=Reminder.SENT,
        sent_at=now,
        message_id=delivery.message_id,
        last_error="",
        updated_at=now,
    )
    delivery.sent = len(rows)
    return delivery


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
