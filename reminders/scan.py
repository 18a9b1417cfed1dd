"""The daily expiry scan: finds the due (certification, stage) pairs with set-based queries and inserts them into
the outbox; the unique (certification, stage) constraint makes a second or concurrent scan create nothing.

Due means the provider's local date has reached the stage's date (expiry + the stage's days): a window, not an
exact day, so a scan that did not run for a few days catches up. Each certification gets only its most urgent
reached stage; pending rows of earlier stages are marked skipped.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from learning.models import Booking, Certification
from reminders.models import Reminder, ReminderStage, Suppression


def local_today(now: datetime.datetime | None = None) -> datetime.date:
    """The date in the provider's time zone (TIME_ZONE) at `now`, whatever the server clock's zone."""
    return timezone.localdate(now or timezone.now())


def start_of(day: datetime.date) -> datetime.datetime:
    """The first moment of `day` in the provider's time zone: the moment a caller that names only a day writes."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def eligible_certifications(today: datetime.date):
    """Certifications whose holder may get a reminder today: in force (not revoked or renewed), no newer one for
    the same course, holder active and opted in, address not suppressed, not booked on an upcoming date of the
    course."""
    newer = Certification.objects.filter(
        participant=OuterRef("participant"),
        course=OuterRef("course"),
        revoked_at__isnull=True,
        expires_on__gt=OuterRef("expires_on"),
    )
    booked = Booking.objects.filter(
        participant=OuterRef("participant"),
        course_date__course=OuterRef("course"),
        status=Booking.CONFIRMED,
        course_date__ends_on__gte=today,
    )
    suppressed = Suppression.objects.of_address(OuterRef("participant__email"))
    return (
        Certification.objects.in_force()
        .filter(participant__is_active=True, participant__wants_reminders=True)
        .exclude(Exists(newer))
        .exclude(Exists(booked))
        .exclude(Exists(suppressed))
    )


def due_for_stage(stage: ReminderStage, next_stage: ReminderStage | None, today: datetime.date):
    """The eligible certifications for which `stage` is the most urgent stage reached today. An indexed range on
    expires_on does the work."""
    reached = today - datetime.timedelta(days=stage.days_from_expiry)
    window = eligible_certifications(today).filter(expires_on__lte=reached)
    if next_stage is not None:
        window = window.filter(expires_on__gt=today - datetime.timedelta(days=next_stage.days_from_expiry))
    else:
        # The last stage has no next one to bound it: do not write to people whose certification lapsed long ago.
        window = window.filter(expires_on__gte=reached - datetime.timedelta(days=settings.REMINDER_CATCH_UP_DAYS))
    # Pairs already in the outbox are not filtered out here: the INSERT's ON CONFLICT DO NOTHING skips them by the
    # unique index. (An anti-join with the outbox inside the INSERT re-scans the table it is growing.)
    return window


@dataclass
class ScanResult:
    today: datetime.date
    created: int = 0
    skipped: int = 0


def scan(*, today: datetime.date, now: datetime.datetime | None = None) -> ScanResult:
    """Inserts the reminders due on `today`; `now` stamps the rows written (by default the start of `today`, so a
    scan for a given day writes the same whatever the clock says)."""
    now = now or start_of(today)
    result = ScanResult(today=today)
    stages = list(ReminderStage.objects.filter(active=True).order_by("days_from_expiry"))
    for index, stage in enumerate(stages):
        next_stage = stages[index + 1] if index + 1 < len(stages) else None
        result.created += insert_due(due_for_stage(stage, next_stage, today), stage, now)
    result.skipped = skip_superseded(now)
    return result


def insert_due(due, stage: ReminderStage, now: datetime.datetime) -> int:
    """INSERT … SELECT: the due pairs go into the outbox in one statement, never through Python objects. ON
    CONFLICT DO NOTHING leaves a pair a concurrent scan inserted first; the count is of rows really inserted."""
    columns = due.values(due_certification=F("pk"), due_expires_on=F("expires_on")).order_by()
    select_sql, params = columns.query.sql_with_params()
    if connection.vendor == "postgresql":
        due_on, offset = "due.due_expires_on + %s", stage.days_from_expiry
    else:
        due_on, offset = "date(due.due_expires_on, %s)", f"{stage.days_from_expiry:+d} days"
    stamp = connection.ops.adapt_datetimefield_value(now)
    table = Reminder._meta.db_table
    # Only Django's own SQL and constant names are interpolated; every value is a parameter. "WHERE true" is
    # SQLite's documented way to tell an INSERT … SELECT's ON CONFLICT from a join's ON.
    sql = (
        f"INSERT INTO {table} (certification_id, stage_id, due_on, status, attempts, message_id, last_error, "  # noqa: S608
        f"skipped_reason, story, retried_uncertain, created_at, updated_at) "
        f"SELECT due.due_certification, %s, {due_on}, %s, 0, '', '', '', '', %s, %s, %s "
        f"FROM ({select_sql}) AS due WHERE true "
        f"ON CONFLICT (certification_id, stage_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [stage.pk, offset, Reminder.PENDING, False, stamp, stamp, *params])
        return max(cursor.rowcount, 0)


def skip_superseded(now: datetime.datetime) -> int:
    """Pending reminders of a certification that has a more urgent stage in the outbox are never sent."""
    later = Reminder.objects.filter(
        certification=OuterRef("certification"), stage__days_from_expiry__gt=OuterRef("stage__days_from_expiry")
    )
    superseded = Reminder.objects.filter(status=Reminder.PENDING).filter(Exists(later)).values("pk")
    return Reminder.objects.filter(pk__in=superseded).update(
        status=Reminder.SKIPPED, skipped_reason="a more urgent stage is due", updated_at=now
    )
