"""Delivers participants' reminders, and drains the whole outbox, with the machinery every kind of outbox row
shares (reminders.outbox):

- a send task claims a participant's due rows atomically (any number of workers send each email once), with the
  participant locked, so two deliveries for one person never overlap and one email a day covers all their due
  reminders;
- the drain, run every few minutes by beat, settles dead and uncertain sends of every kind and picks the
  recipients (participants, managers) whose due rows have no live task.

Each message carries its rows' ids as anymail metadata and a Message-ID made from them, the same on every attempt, so
a tracking event settles an uncertain row (reminders.tracking)."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef

from learning.models import User
from reminders.digests import managers_due
from reminders.emails import compose_reminder_email
from reminders.esp_search import accepted_uncertain_emails
from reminders.models import ManagerDigest, Reminder
from reminders.outbox import (
    Delivery,
    due_recipients,
    due_rows,
    label,
    mark_claimed,
    mark_dispatched,
    mark_skipped,
    record_sent,
    retry_unsettled,
    send_claimed,
    settle_stale_claims,
    undispatched_since,
)
from reminders.scan import eligible_certifications, start_of
from reminders.tracking import apply_waiting_events


def emailed_on(day: datetime.date):
    """Participants who got an email on `day`, or have one on its way or possibly delivered."""
    return Reminder.objects.filter(
        certification__participant=OuterRef("pk"),
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
            due_rows(Reminder, today, now)
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
        claimed = [row for row in rows if row.certification_id in still_due]
        skipped = [row for row in rows if row.certification_id not in still_due]
        mark_claimed(claimed, now)
        mark_skipped(skipped, "no longer due (renewed, booked or opted out)", now)
    return claimed, len(skipped)


def deliver_to_participant(participant_id: int, *, today: datetime.date, now: datetime.datetime) -> Delivery:
    """Sends the participant's due reminders as one email. Raises TransientSendError when the rows wait for a
    later attempt."""
    delivery = Delivery(recipient_id=participant_id)
    rows, delivery.skipped = claim(participant_id, today=today, now=now)
    if not rows:
        return delivery
    return send_claimed(delivery, rows, lambda: compose(participant_id, rows, today), now)


def compose(participant_id: int, rows: list[Reminder], today: datetime.date):
    """The email for the claimed rows, carrying their ids as metadata and a Message-ID made from them."""
    return label(compose_reminder_email(User.objects.get(pk=participant_id), rows, today), rows)


@dataclass
class Drain:
    uncertain: int
    confirmed: int
    retried: int
    failed: int
    dispatched: list[int]  # participants, each to get a send task
    digests_dispatched: list[int] = field(default_factory=list)  # managers, each to get a digest's send task


def drain(*, today: datetime.date, now: datetime.datetime) -> Drain:
    """The outbox's periodic pass, over every kind of row: dead workers' claims become uncertain, unsettled
    uncertain rows get their one more attempt, every participant and manager whose due rows have no live task gets
    one (the caller queues them; a row dispatched within the last half period is left to its task), events that
    waited for a message id now recorded are applied, and, last, uncertain emails the ESP confirms it accepted are
    recorded as sent."""
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
    return Drain(uncertain, confirmed, retried, failed, dispatched=participants, digests_dispatched=managers)
