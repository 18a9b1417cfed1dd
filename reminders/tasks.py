"""Celery tasks of the reminder pipeline: each takes ids, calls one function, and decides retries."""

from celery import shared_task
from django.utils import timezone

from reminders.delivery import (
    TransientSendError,
    deliver_to_participant,
    participants_due,
    requeue_stale,
    retry_delay,
)
from reminders.scan import local_today, scan
from reminders.tracking import record_tracking_event


@shared_task
def daily_reminders() -> dict:
    """Run by beat once a day at REMINDER_SEND_TIME (local): scan, then one send task per participant."""
    now = timezone.now()
    today = local_today(now)
    result = scan(today=today, now=now)
    requeue_stale(now)
    participants = participants_due(today)
    for participant_id in participants:
        send_participant_reminders.delay(participant_id)
    return {"today": today.isoformat(), "created": result.created, "participants": len(participants)}


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_participant_reminders(self, participant_id: int) -> dict:
    try:
        now = timezone.now()
        delivery = deliver_to_participant(participant_id, today=local_today(now), now=now)
    except TransientSendError as error:
        # The rows are pending again; the attempt count on them bounds the retries (REMINDER_MAX_ATTEMPTS).
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error
    return {"sent": delivery.sent, "skipped": delivery.skipped, "failed": delivery.failed}


@shared_task
def process_tracking_event(event_id: str, event_type: str, message_id: str, recipient: str, description: str = ""):
    return record_tracking_event(
        event_id=event_id,
        event_type=event_type,
        message_id=message_id,
        recipient=recipient,
        description=description,
        now=timezone.now(),
    )
