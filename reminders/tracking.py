"""ESP tracking events (anymail webhooks): delivered, bounced or complained outbox rows (reminders, managers'
digests), and suppression of the addresses that must get no more. The webhook only enqueues; the work happens in a
task. Events are matched by the ESP's message id and by the outbox row ids each message carries as metadata, so an
event settles an uncertain send; one that matches nothing yet waits for its message id."""

import datetime
import hashlib

from django.db import IntegrityError, transaction
from django.db.models import Q

from reminders.models import OUTBOX_MODELS, OutboxRow, Reminder, Suppression, TrackingEvent
from reminders.story import with_story

STATUS_FOR_EVENT = {
    "delivered": Reminder.DELIVERED,
    "bounced": Reminder.BOUNCED,
    "complained": Reminder.COMPLAINED,
    "rejected": Reminder.FAILED,
}
SUPPRESSING = {"bounced": Suppression.BOUNCED, "complained": Suppression.COMPLAINED}
# What each outcome may overwrite: a delivery never undoes a bounce or complaint that arrived first, and any event
# settles a row still sending or uncertain (the ESP had the message after all).
IN_FLIGHT = [Reminder.SENDING, Reminder.UNCERTAIN]
UPDATABLE_FROM = {
    Reminder.DELIVERED: [*IN_FLIGHT, Reminder.SENT],
    Reminder.BOUNCED: [*IN_FLIGHT, Reminder.SENT, Reminder.DELIVERED],
    Reminder.COMPLAINED: [*IN_FLIGHT, Reminder.SENT, Reminder.DELIVERED],
    Reminder.FAILED: [*IN_FLIGHT, Reminder.SENT],
}


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


def ids_column(model: type[OutboxRow]) -> str:
    """The TrackingEvent column holding the ids of `model`'s rows an event's message carried."""
    return f"{model.message_id_word}_ids"


def reminder_ids_from(value) -> str:
    """The outbox row ids a message carried in its metadata, normalised ("12,13"); anything else is dropped, and
    so are whole ids past the column's length (never a cut one, which would name another row)."""
    ids = [part.strip() for part in str(value).split(",")]
    kept = ""
    for part in ids:
        if part.isascii() and part.isdigit() and len(kept) + len(part) + 1 <= 255:
            kept = f"{kept},{part}" if kept else part
    return kept


def suppress(email: str, reason: str, detail: str = "") -> None:
    try:
        with transaction.atomic():
            Suppression.objects.create(email=email.lower(), reason=reason, detail=detail[:255])
    except IntegrityError:
        pass  # already suppressed


def record_tracking_event(
    *,
    event_id: str,
    event_type: str,
    message_id: str,
    recipient: str,
    now: datetime.datetime,
    description: str = "",
    reminder_ids: str = "",
    digest_ids: str = "",
):
    """Records one tracking event once (a redelivered event, same id, changes nothing) and applies it, or keeps it
    waiting when no outbox row matches it yet."""
    with transaction.atomic():
        event, created = TrackingEvent.objects.get_or_create(
            event_id=event_id,
            defaults={
                "event_type": event_type,
                "message_id": message_id,
                "recipient": recipient,
                "description": description[:255],
                "reminder_ids": reminder_ids,
                "digest_ids": digest_ids,
            },
        )
        if not created:
            return {"duplicate": True}
        updated = apply_event(event, now)
    return {"duplicate": False, "updated": updated}


def named_rows(event: TrackingEvent, model: type[OutboxRow]):
    """`model`'s rows the event names: by the ESP's message id, or by the row ids the message carried."""
    ids = [int(part) for part in getattr(event, ids_column(model)).split(",") if part]
    matching = Q(pk__in=ids) if ids else Q()
    if event.message_id:
        matching |= Q(message_id=event.message_id)
    return model.objects.filter(matching) if matching else model.objects.none()


def apply_event(event: TrackingEvent, now: datetime.datetime) -> int:
    """Moves the outbox rows the event names and suppresses the address on a hard bounce or complaint. An event
    that names no row changes no row: it waits for its message id to be recorded (apply_waiting_events); it
    still suppresses a participant's address (a booking or guideline email bounced), never anyone else's."""
    named = [named_rows(event, model) for model in OUTBOX_MODELS]
    anything = any(rows.exists() for rows in named)
    if event.event_type in SUPPRESSING and event.recipient and (anything or is_participant(event.recipient)):
        suppress(event.recipient, SUPPRESSING[event.event_type], event.description)
    if not anything:
        return 0
    status = STATUS_FOR_EVENT[event.event_type]
    updated = 0
    for rows in named:
        # A row given its one more attempt is settled too by late news of the first one.
        rows = rows.filter(Q(status__in=UPDATABLE_FROM[status]) | Q(status=Reminder.PENDING, retried_uncertain=True))
        if event.message_id:
            rows.filter(message_id="").update(message_id=event.message_id)
        updated += rows.update(
            **with_story(now, f"the ESP reports it {event.event_type}", status=status, last_error=event.description)
        )
    TrackingEvent.objects.filter(pk=event.pk).update(applied_at=now)
    return updated


def is_participant(address: str) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.with_email(address).exists()


# Waiting events applied per drain run: a backlog is worked off over a few runs.
WAITING_EVENTS_PER_RUN = 500


def apply_waiting_events(
    *, now: datetime.datetime, message_id: str | None = None, message_ids: list[str] | None = None
) -> int:
    """Events that arrived before their message id was recorded, applied now that it is: those of `message_id`
    right after a send records it (of `message_ids` after a batch's sends), or (the drain) every waiting event
    whose message id an outbox row now has."""
    waiting = TrackingEvent.objects.filter(applied_at__isnull=True).exclude(message_id="")
    if message_id is not None:
        waiting = waiting.filter(message_id=message_id)
    elif message_ids is not None:
        waiting = waiting.filter(message_id__in=message_ids)
    else:
        recorded = Q()
        for model in OUTBOX_MODELS:
            recorded |= Q(message_id__in=model.objects.exclude(message_id="").values("message_id"))
        waiting = waiting.filter(recorded)
    applied = 0
    for event in waiting.order_by("pk")[:WAITING_EVENTS_PER_RUN]:
        with transaction.atomic():
            applied += apply_event(event, now)
    return applied
