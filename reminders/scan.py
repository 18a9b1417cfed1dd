"""The daily expiry scan: finds the due (certification, stage) pairs with set-based queries and inserts them into
the outbox; the unique (certification, stage) constraint makes a second or concurrent scan create nothing.

Due means the provider's local date has reached the stage's date (expiry + the stage's days): a window, not an
exact day, so a scan that did not run for a few days catches up. Each certification gets only its most urgent
reached stage; pending rows of earlier stages are marked skipped.

The scan is incremental: ScanProgress records the last day scanned, and the next scan looks only at the stage dates
reached after it (a day's worth, or the missed days' after a gap), so its cost follows the rows it creates, not the
register's size. What became eligible again since (a booking cancelled or ended, a suppression removed, reminders
turned back on, an expiry changed …) comes through its own path: the participants marked for a recheck
(reminders.rechecks) and those whose booking ended, whose certifications are looked at with every stage window. A
scan with no progress yet, after the stages or the catch-up setting changed, for a day before the last one scanned,
or asked for (`full=True`, `send_reminders --full`) looks at everything, and all of them insert the same rows.
"""

import contextlib
import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from learning.common.batching import batches
from learning.models import Booking, Certification
from reminders import rechecks
from reminders.models import Reminder, ReminderStage, ScanProgress, Suppression

REMINDERS, STAGES = Reminder._meta.db_table, ReminderStage._meta.db_table
# Participants per statement when the scan looks again at the marked ones: well under any database's limit on
# parameters, and large enough that the number of statements stays small.
IDS_PER_STATEMENT = 5000


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


@dataclass(frozen=True)
class Window:
    """The expiry dates for which `stage` is a certification's most urgent stage reached on a day: after `after`,
    up to `upto` (a date range on the indexed expires_on)."""

    stage: ReminderStage
    after: datetime.date
    upto: datetime.date

    @property
    def dates(self) -> Q:
        return Q(expires_on__gt=self.after, expires_on__lte=self.upto)


@dataclass
class Stages:
    """The active stages, from the earliest to the most urgent, and the rules a scan's progress is recorded under."""

    stages: list[ReminderStage] = field(default_factory=list)
    rules: str = ""

    @classmethod
    def active(cls) -> "Stages":
        stages = list(ReminderStage.objects.filter(active=True).order_by("days_from_expiry"))
        rules = ",".join(f"{stage.pk}:{stage.days_from_expiry}" for stage in stages)
        return cls(stages=stages, rules=f"{rules};catch-up {settings.REMINDER_CATCH_UP_DAYS}")

    def windows(self, today: datetime.date, *, reached_after: datetime.date | None = None) -> list[Window]:
        """Each stage's window on `today`: from the day the next stage is reached (excluded) to its own day. With
        `reached_after`, only the dates whose stage day came after that day: a certification whose most urgent
        stage was reached on or before it was looked at by that day's scan. Empty windows are left out."""
        windows = []
        for stage, next_stage in zip(self.stages, [*self.stages[1:], None], strict=True):
            upto = today - datetime.timedelta(days=stage.days_from_expiry)
            if next_stage is not None:
                after = today - datetime.timedelta(days=next_stage.days_from_expiry)
            else:
                # The last stage has no next one to bound it: nobody whose certification lapsed long ago.
                after = upto - datetime.timedelta(days=settings.REMINDER_CATCH_UP_DAYS + 1)
            if reached_after is not None:
                after = max(after, reached_after - datetime.timedelta(days=stage.days_from_expiry))
            if after < upto:
                windows.append(Window(stage, after, upto))
        return windows


def due(today: datetime.date, windows: list[Window], *, outdone: bool = True):
    """The eligible certifications inside any of the windows, each with its stage (`due_stage`, `due_days`), the
    shift from its expiry to its due day (`due_shift`) and whether a more urgent row outdoes it already
    (`due_outdone`; without `outdone`, never: the full scan settles that afterwards for every row at once): one
    query for every stage, so each table the eligibility rule reads is read once, not once a stage. Pairs already
    in the outbox are not filtered out: the INSERT's ON CONFLICT DO NOTHING skips them by the unique index (an
    anti-join with the outbox would re-scan the table it is growing)."""
    dates = Q()
    for window in windows:
        dates |= window.dates

    def by_window(value):
        return Case(*(When(window.dates, then=value(window)) for window in windows))

    rows = (
        eligible_certifications(today)
        .filter(dates)
        .annotate(
            due_stage=by_window(lambda window: Value(window.stage.pk)),
            due_days=by_window(lambda window: Value(window.stage.days_from_expiry)),
        )
    )
    # On PostgreSQL a due day is the expiry plus the stage's days; SQLite's date() takes a modifier.
    shift = F("due_days") if connection.vendor == "postgresql" else by_window(sqlite_shift)
    return rows.annotate(due_shift=shift, due_outdone=outdone_by_a_more_urgent_row() if outdone else Value(False))


def outdone_by_a_more_urgent_row() -> Exists:
    """Whether the certification has a row at a more urgent stage (active or not) already, its expiry having been
    moved later: a probe of the outbox's (certification, stage) index, correlated on the stage's days so that
    PostgreSQL cannot turn it into a hash of the whole outbox."""
    return Exists(
        Reminder.objects.filter(certification=OuterRef("pk"), stage__days_from_expiry__gt=OuterRef("due_days"))
    )


def sqlite_shift(window: Window) -> Value:
    """SQLite's date() modifier that turns an expiry date into the window's stage's due day."""
    return Value(f"{window.stage.days_from_expiry:+d} days")


def compiled(due_rows) -> tuple[str, tuple]:
    """The SELECT of the due rows (`due`) as SQL and its parameters, compiled once for each statement that reads
    it (composing and compiling it costs more than running it on an ordinary day)."""
    columns = due_rows.values(
        due_certification=F("pk"),
        due_expires_on=F("expires_on"),
        stage=F("due_stage"),
        days=F("due_days"),
        shift=F("due_shift"),
        outdone=F("due_outdone"),
    ).order_by()
    return columns.query.sql_with_params()


@dataclass
class ScanResult:
    today: datetime.date
    created: int = 0
    skipped: int = 0
    # The last day scanned before this scan, for an incremental one; None for a full scan.
    since: datetime.date | None = None
    rechecked: int = 0  # participants whose certifications were looked at again

    @property
    def full(self) -> bool:
        return self.since is None


def scan(*, today: datetime.date, now: datetime.datetime | None = None, full: bool = False) -> ScanResult:
    """Inserts the reminders due on `today`; `now` stamps the rows written (by default the start of `today`, so a
    scan for a given day writes the same whatever the clock says). Incremental unless `full` or it cannot be (see
    the module's docstring); one transaction, so a scan that fails records no progress and keeps its marks."""
    now = now or start_of(today)
    with transaction.atomic():
        progress = locked_progress()
        stages = Stages.active()
        incremental = not full and progress.rules == stages.rules and progress.last_day is not None
        since = progress.last_day if incremental and progress.last_day <= today else None
        rechecks.claim()
        result = ScanResult(today=today, since=since)
        if since is None:
            windows = stages.windows(today)
            result.created = insert_due(compiled(due(today, windows, outdone=False)), now) if windows else 0
            result.skipped = skip_superseded(now)
        else:
            scan_since(result, stages, now)
        rechecks.release()
        # Every stage date up to `today` has now been looked at under these rules (after a full scan for an
        # earlier day, the next scan covers again the days after it: more than needed, never less).
        progress.last_day, progress.rules, progress.finished_at, progress.full = today, stages.rules, now, since is None
        progress.save()
    return result


def locked_progress() -> ScanProgress:
    """The progress row, created on first use and locked, so that concurrent scans run one after the other: the
    second finds the first's day recorded and has nothing left to do."""
    ScanProgress.objects.bulk_create([ScanProgress(pk=ScanProgress.ROW)], ignore_conflicts=True)
    return ScanProgress.objects.select_for_update().get(pk=ScanProgress.ROW)


def scan_since(result: ScanResult, stages: Stages, now: datetime.datetime) -> None:
    """The incremental scan: the stage dates reached after `result.since`, and every stage window for the
    participants to look at again."""
    today, since = result.today, result.since
    with index_probes():
        participants = sorted(participants_to_recheck(since, today))
        looked_at = [compiled(due_rows) for due_rows in due_since(today, stages, since, participants)]
        # Every skip first: each starts from the pending rows, and the INSERTs add many the statistics do not know.
        result.skipped = sum(skip_superseded_by(due_select, now) for due_select in looked_at)
        result.created = sum(insert_due(due_select, now) for due_select in looked_at)
    result.rechecked = len(participants)


def due_since(today: datetime.date, stages: Stages, since: datetime.date, participants: list[int]) -> list:
    """The due rows an incremental scan looks at, as few queries (`due`) as it takes: the certifications whose
    stage date came after `since`, and every certification of `participants` in any stage window, in one query
    (a further one for each IDS_PER_STATEMENT participants beyond the first). A certification's stage is decided
    by the full windows either way: the dates reached since are inside their stage's full window."""
    all_windows = stages.windows(today)
    if not all_windows:
        return []
    looked_at = [window.dates for window in stages.windows(today, reached_after=since)]
    chunks = list(batches(participants, IDS_PER_STATEMENT))
    if chunks:
        looked_at.append(Q(participant_id__in=chunks.pop(0)))
    queries = [due(today, all_windows).filter(reduce(or_, looked_at))] if looked_at else []
    return queries + [due(today, all_windows).filter(participant_id__in=chunk) for chunk in chunks]


@contextlib.contextmanager
def index_probes():
    """Has PostgreSQL answer the incremental scan's joins (the holder's flags, the newer certification, the
    booking, the suppression) with index probes for each certification in its windows, never
    by hashing whole tables. Its default costs price a probe as a disk read, so for a few thousand certifications
    it would rather read every participant and certification: the cost the incremental scan exists to avoid.
    Local to the transaction and put back afterwards (a failure rolls the setting back with the rest)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin')")
        saved = cursor.fetchone()
        cursor.execute("SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)")
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_hashjoin', %s, true), set_config('enable_mergejoin', %s, true)", saved
        )


def participants_to_recheck(since: datetime.date, today: datetime.date) -> set[int]:
    """The participants marked since the last scan, and those whose confirmed booking ended after it: on `since`
    the booking still stood in the way of their reminders (it does while its course date has not ended)."""
    ended = Booking.objects.filter(
        status=Booking.CONFIRMED, course_date__ends_on__gte=since, course_date__ends_on__lt=today
    ).values_list("participant_id", flat=True)
    return rechecks.claimed_participants() | set(ended)


def insert_due(due_select: tuple[str, tuple], now: datetime.datetime) -> int:
    """INSERT … SELECT: the due pairs (`due_select`: the compiled `due`) go into the outbox in one statement, never
    through Python objects. ON CONFLICT DO NOTHING leaves a pair a concurrent scan inserted first; the count is of
    rows really inserted. A row outdone by a more urgent one (its certification's expiry was moved later) is born
    skipped, as skip_superseded would leave it."""
    select_sql, params = due_select
    if connection.vendor == "postgresql":
        due_on = "due.due_expires_on + due.shift"
    else:
        due_on = "date(due.due_expires_on, due.shift)"
    stamp = connection.ops.adapt_datetimefield_value(now)
    # Only Django's own SQL and constant names are interpolated; every value is a parameter. "WHERE true" is
    # SQLite's documented way to tell an INSERT … SELECT's ON CONFLICT from a join's ON.
    sql = (
        f"INSERT INTO {REMINDERS} (certification_id, stage_id, due_on, status, attempts, message_id, last_error, "  # noqa: S608
        f"skipped_reason, story, retried_uncertain, created_at, updated_at) "
        f"SELECT due.due_certification, due.stage, {due_on}, CASE WHEN due.outdone THEN %s ELSE %s END, 0, "
        f"'', '', CASE WHEN due.outdone THEN %s ELSE '' END, '', %s, %s, %s "
        f"FROM ({select_sql}) AS due WHERE true "
        f"ON CONFLICT (certification_id, stage_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Reminder.SKIPPED, Reminder.PENDING, SUPERSEDED, False, stamp, stamp, *params])
        return max(cursor.rowcount, 0)


SUPERSEDED = "a more urgent stage is due"


def skip_superseded(now: datetime.datetime) -> int:
    """Pending reminders of a certification that has a more urgent stage in the outbox are never sent."""
    later = Reminder.objects.filter(
        certification=OuterRef("certification"), stage__days_from_expiry__gt=OuterRef("stage__days_from_expiry")
    )
    superseded = Reminder.objects.filter(status=Reminder.PENDING).filter(Exists(later)).values("pk")
    return Reminder.objects.filter(pk__in=superseded).update(
        status=Reminder.SKIPPED, skipped_reason=SUPERSEDED, updated_at=now
    )


def skip_superseded_by(due_select: tuple[str, tuple], now: datetime.datetime) -> int:
    """skip_superseded's rule for the rows about to be inserted (`due_select`: the compiled `due`): only a new row
    supersedes, so the rows to skip are the pending ones whose certification is due at a more urgent stage. Run
    before the INSERT, it starts from the pending rows (few, as the day's deliveries leave the outbox) while the
    outbox's statistics still say so, and probes the due rows by certification."""
    select_sql, params = due_select
    sql = (
        f"UPDATE {REMINDERS} SET status = %s, skipped_reason = %s, updated_at = %s WHERE id IN ("  # noqa: S608
        f"SELECT pending.id FROM {REMINDERS} pending JOIN {STAGES} stage ON stage.id = pending.stage_id "
        f"WHERE pending.status = %s AND EXISTS (SELECT 1 FROM ({select_sql}) AS due "
        f"WHERE due.due_certification = pending.certification_id AND due.days > stage.days_from_expiry))"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [Reminder.SKIPPED, SUPERSEDED, stamp, Reminder.PENDING, *params])
        return max(cursor.rowcount, 0)
