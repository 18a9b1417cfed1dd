"""Celery tasks of the reminder pipeline: each takes ids, calls one function, and decides retries.

Beat runs `daily_reminders` once a day (the scan), `manager_digests` once a day (a digest per manager and period),
and `drain_outbox` every REMINDER_DRAIN_MINUTES: the drain queues a send task for each batch of participants
(REMINDER_BATCH_SIZE) and for each manager with due rows and no live task, so a lost task, an emptied broker or a
killed worker delays an email by minutes. The Celery settings that make this safe are in portal/settings.py
("Celery")."""

from celery import shared_task
from django.utils import timezone

from reminders.daily import daily_run
from reminders.delivery import batches, deliver_to_participant, deliver_to_participants, drain
from reminders.digests import deliver_to_manager, run_manager_digests
from reminders.guideline_notifications import notify_guideline_update
from reminders.outbox import TransientSendError
from reminders.scan import local_today
from reminders.tracking import record_tracking_event


@shared_task
def daily_reminders() -> dict:
    """The daily run: the scan, then the drain, with a send task queued for each batch of participants with due
    rows."""
    now = timezone.now()
    run = daily_run(
        today=local_today(now),
        now=now,
        dispatch=send_reminder_batch.delay,
        dispatch_digest=send_manager_digest.delay,
    )
    return {
        "today": run.scanned.today.isoformat(),
        "created": run.scanned.created,
        "skipped": run.scanned.skipped,
        "dispatched": len(run.drained.dispatched),
    }


@shared_task
def manager_digests() -> dict:
    """The daily digest run: this period's digests into the outbox, a send task for each manager with one due."""
    now = timezone.now()
    run = run_manager_digests(today=local_today(now), now=now, dispatch=send_manager_digest.delay)
    return {"planned": run.planned, "dispatched": len(run.dispatched)}


@shared_task
def drain_outbox() -> dict:
    now = timezone.now()
    result = drain(today=local_today(now), now=now)
    for batch in batches(result.dispatched):
        send_reminder_batch.delay(batch)
    for manager_id in result.digests_dispatched:
        send_manager_digest.delay(manager_id)
    return {
        "released": result.released,
        "uncertain": result.uncertain,
        "confirmed": result.confirmed,
        "retried": result.retried,
        "failed": result.failed,
        "dispatched": len(result.dispatched) + len(result.digests_dispatched),
    }


def deliver_or_retry(task, deliver, recipient_id: int) -> dict:
    """Runs `deliver` for the recipient now; after a transient error the task retries itself when the rows' backoff
    ends (error.retry_at). The attempt count on the rows bounds the retries (REMINDER_MAX_ATTEMPTS); should a retry
    be lost, the drain dispatches the rows again."""
    now = timezone.now()
    try:
        delivery = deliver(recipient_id, today=local_today(now), now=now)
    except TransientSendError as error:
        countdown = max(1, int((error.retry_at - now).total_seconds()))
        raise task.retry(exc=error, countdown=countdown) from error
    return {
        "sent": delivery.sent,
        "skipped": delivery.skipped,
        "failed": delivery.failed,
        "uncertain": delivery.uncertain,
    }


@shared_task(bind=True, max_retries=None)
def send_reminder_batch(self, participant_ids: list[int]) -> dict:
    """Sends a batch of participants their reminders (reminders.delivery.deliver_to_participants). Those whose
    rows wait after a transient error are retried by one task when the latest backoff ends; should that retry be
    lost, the drain dispatches them again."""
    now = timezone.now()
    batch = deliver_to_participants(participant_ids, today=local_today(now), now=now)
    if batch.waiting:
        retry_at = max(error.retry_at for error in batch.waiting.values())
        countdown = max(1, int((retry_at - now).total_seconds()))
        error = next(iter(batch.waiting.values()))
        raise self.retry(args=[sorted(batch.waiting)], countdown=countdown, exc=error) from error
    return {
        name: sum(getattr(delivery, name) for delivery in batch.deliveries)
        for name in ("sent", "skipped", "failed", "uncertain")
    }


@shared_task(bind=True, max_retries=None)
def send_participant_reminders(self, participant_id: int) -> dict:
    """One participant's reminders now (an administrator's "send again"; tasks queued before batches existed)."""
    return deliver_or_retry(self, deliver_to_participant, participant_id)


@shared_task(bind=True, max_retries=None)
def send_manager_digest(self, manager_id: int) -> dict:
    return deliver_or_retry(self, deliver_to_manager, manager_id)


@shared_task
def process_tracking_event(
    event_id: str,
    event_type: str,
    message_id: str,
    recipient: str,
    description: str = "",
    reminder_ids: str = "",
    digest_ids: str = "",
):
    return record_tracking_event(
        event_id=event_id,
        event_type=event_type,
        message_id=message_id,
        recipient=recipient,
        description=description,
        reminder_ids=reminder_ids,
        digest_ids=digest_ids,
        now=timezone.now(),
    )


@shared_task(acks_late=True)
def notify_guideline_update_task(page_id: int) -> dict:
    return notify_guideline_update(page_id, now=timezone.now())
