"""Celery tasks of the reminder pipeline: each takes ids, calls one function, and decides retries.

Beat runs `daily_reminders` once a day (the scan) and `drain_outbox` every REMINDER_DRAIN_MINUTES: the drain queues
one send task per participant with due rows and no live task, so a lost task, an emptied broker or a killed worker
delays an email by minutes. The Celery settings that make this safe are in portal/settings.py ("Celery")."""

from celery import shared_task
from django.utils import timezone

from reminders.daily import daily_run
from reminders.delivery import TransientSendError, deliver_to_participant, drain
from reminders.guideline_notifications import notify_guideline_update
from reminders.scan import local_today
from reminders.tracking import record_tracking_event


@shared_task
def daily_reminders() -> dict:
    """The daily run: the scan, then the drain, with a send task queued for each participant with due rows."""
    now = timezone.now()
    run = daily_run(today=local_today(now), now=now, dispatch=send_participant_reminders.delay)
    return {
        "today": run.scanned.today.isoformat(),
        "created": run.scanned.created,
        "skipped": run.scanned.skipped,
        "dispatched": len(run.drained.dispatched),
    }


@shared_task
def drain_outbox() -> dict:
    now = timezone.now()
    result = drain(today=local_today(now), now=now)
    for participant_id in result.dispatched:
        send_participant_reminders.delay(participant_id)
    return {
        "uncertain": result.uncertain,
        "confirmed": result.confirmed,
        "retried": result.retried,
        "failed": result.failed,
        "dispatched": len(result.dispatched),
    }


@shared_task(bind=True, max_retries=None)
def send_participant_reminders(self, participant_id: int) -> dict:
    now = timezone.now()
    try:
        delivery = deliver_to_participant(participant_id, today=local_today(now), now=now)
    except TransientSendError as error:
        # The rows are pending again until error.retry_at; the attempt count on them bounds the retries
        # (REMINDER_MAX_ATTEMPTS). Should this retry be lost, the drain dispatches them.
        countdown = max(1, int((error.retry_at - now).total_seconds()))
        raise self.retry(exc=error, countdown=countdown) from error
    return {
        "sent": delivery.sent,
        "skipped": delivery.skipped,
        "failed": delivery.failed,
        "uncertain": delivery.uncertain,
    }


@shared_task
def process_tracking_event(
    event_id: str, event_type: str, message_id: str, recipient: str, description: str = "", reminder_ids: str = ""
):
    return record_tracking_event(
        event_id=event_id,
        event_type=event_type,
        message_id=message_id,
        recipient=recipient,
        description=description,
        reminder_ids=reminder_ids,
        now=timezone.now(),
    )


@shared_task(acks_late=True)
def notify_guideline_update_task(page_id: int) -> dict:
    return notify_guideline_update(page_id, now=timezone.now())
