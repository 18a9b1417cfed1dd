"""ESP tracking events (anymail webhooks): delivered, bounced or complained reminders, and suppression of the
addresses that must get no more. The webhook only enqueues; the work happens in a task."""

import datetime
import hashlib

from django.db import IntegrityError, transaction

from reminders.models import Reminder, Suppression, TrackingEvent

STATUS_FOR_EVENT = {
    "delivered": Reminder.DELIVERED,
    "bounced": Reminder.BOUNCED,
    "complained": Reminder.COMPLAINED,
    "rejected": Reminder.FAILED,
}
SUPPRESSING = {"bounced": Suppression.BOUNCED, "complained": Suppression.COMPLAINED}


def event_key(event) -> str:
    """The ESP's event id, or a stable digest of the event when the ESP gives none."""
    if getattr(event, "event_id", None):
        return str(event.event_id)
    parts = [str(event.event_type), str(event.message_id), str(event.recipient), str(event.timestamp)]
    return "digest:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def is_soft_bounce(event) -> bool:
    """Postmark reports soft bounces as "bounced" too; they are temporary and must not suppress the address."""
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    return event.event_type == "bounced" and str(esp_event.get("Type", "")).lower().startswith("soft")


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail's tracking signal: hand the event to a task, so the ESP gets a fast answer."""
    from reminders.tasks import process_tracking_event

    if event.event_type not in STATUS_FOR_EVENT or is_soft_bounce(event):
        return
    process_tracking_event.delay_on_commit(
        event_key(event),
        event.event_type,
        event.message_id or "",
        (event.recipient or "").lower(),
        (event.description or "")[:255],
    )


def suppress(email: str, reason: str, detail: str = "") -> None:
    try:
        with transaction.atomic():
            Suppression.objects.create(email=email.lower(), reason=reason, detail=detail[:255])
    except IntegrityError:
        pass  # already suppressed


def record_tracking_event(
    *, event_id: str, event_type: str, message_id: str, recipient: str, now: datetime.datetime, description: str = ""
):
    """Applies one tracking event once, as of `now`: a redelivered event (same id) changes nothing."""
    with transaction.atomic():
        _, created = TrackingEvent.objects.get_or_create(
            event_id=event_id,
            defaults={"event_type": event_type, "message_id": message_id, "recipient": recipient},
        )
        if not created:
            return {"duplicate": True}
        status = STATUS_FOR_EVENT[event_type]
        # Delivery never overwrites a bounce or complaint that arrived first.
        updatable = [Reminder.SENT] if status == Reminder.DELIVERED else [Reminder.SENT, Reminder.DELIVERED]
        updated = 0
        if message_id:
            updated = Reminder.objects.filter(message_id=message_id, status__in=updatable).update(
                status=status, last_error=description, updated_at=now
            )
        if event_type in SUPPRESSING and recipient:
            suppress(recipient, SUPPRESSING[event_type], description)
    return {"duplicate": False, "updated": updated}
