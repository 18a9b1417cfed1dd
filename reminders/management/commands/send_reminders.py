"""`manage.py send_reminders [--today YYYY-MM-DD] [--dry-run] [--full]`: the daily scan and sending, by hand."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from learning.models import User
from reminders.daily import daily_run
from reminders.delivery import deliver_to_participants, participants_due
from reminders.digests import deliver_to_manager
from reminders.emails import reminder_context
from reminders.models import Reminder
from reminders.outbox import TransientSendError
from reminders.scan import ScanResult, eligible_certifications, local_today, scan


def run_day(today: str | None) -> tuple[datetime.date, datetime.datetime]:
    """The day a run by hand is for (--today, by default the local date), and its `now`: that day at this time of
    day, so that what it writes and the one-email-a-day rule agree with the day it runs for."""
    try:
        day = datetime.date.fromisoformat(today) if today else local_today()
    except ValueError:
        raise CommandError(f"--today {today!r} is not a date like 2026-11-21") from None
    return day, timezone.make_aware(datetime.datetime.combine(day, timezone.localtime().time()))


class InProcess:
    """Delivers in this process what beat's run hands to workers (`deliver` for each recipient id), counting what
    happened; a transient error is reported and left to the drain's retry."""

    def __init__(self, command: BaseCommand, deliver, *, day: datetime.date, now: datetime.datetime, who: str):
        self.command, self.deliver, self.day, self.now, self.who = command, deliver, day, now, who
        self.totals = {"sent": 0, "skipped": 0, "failed": 0, "uncertain": 0, "retry later": 0}

    def __call__(self, recipient_id: int) -> None:
        try:
            delivery = self.deliver(recipient_id, today=self.day, now=self.now)
        except TransientSendError as error:
            self.will_retry(recipient_id, error)
            return
        self.count(delivery)

    def batch(self, recipient_ids: list[int]) -> None:
        """A batch of participants, delivered as a worker delivers it (`self.deliver` takes the list)."""
        batch = self.deliver(recipient_ids, today=self.day, now=self.now)
        for delivery in batch.deliveries:
            if delivery.recipient_id in batch.waiting:
                self.will_retry(delivery.recipient_id, batch.waiting[delivery.recipient_id])
            else:
                self.count(delivery)

    def count(self, delivery) -> None:
        for name in ("sent", "skipped", "failed", "uncertain"):
            self.totals[name] += getattr(delivery, name)

    def will_retry(self, recipient_id: int, error: TransientSendError) -> None:
        self.totals["retry later"] += 1
        self.command.stderr.write(f"{self.who} {recipient_id}: will retry ({error})")

    def summary(self) -> str:
        return ", ".join(f"{name}: {count}" for name, count in self.totals.items())


class DryRun(Exception):
    """Raised to roll back the dry run's scan."""


class Command(BaseCommand):
    help = "Runs the reminder scan and sends the due emails now (the same code as the daily Celery beat job)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="The local date to run for (YYYY-MM-DD); default: today.")
        parser.add_argument("--dry-run", action="store_true", help="Print who would get what; write nothing.")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Look at every certification, not only what changed since the last scan (after changing the "
            "register with SQL or a bulk update that bypasses the portal).",
        )

    def handle(self, *args, today=None, dry_run=False, full=False, **options):
        day, now = run_day(today)
        if dry_run:
            try:
                with transaction.atomic():
                    self.preview(day, now, full=full)
                    raise DryRun
            except DryRun:
                self.stdout.write("Dry run: nothing was written or sent.")
            return
        # The same run as beat's daily job, with the sending done here instead of by workers.
        deliver = InProcess(self, deliver_to_participants, day=day, now=now, who="participant")
        # Claims and uncertain sends age by the real clock, whatever day the run is for.
        digests = InProcess(self, deliver_to_manager, day=day, now=now, who="manager")
        run = daily_run(
            today=day,
            now=now,
            dispatch=deliver.batch,
            dispatch_digest=digests,
            drain_now=timezone.now(),
            full_scan=full,
        )
        deliver.totals["uncertain"] += run.drained.uncertain
        self.stdout.write(
            f"{day}: {run.scanned.created} reminders queued, {run.scanned.skipped} superseded ones skipped "
            f"({scan_kind(run.scanned)})"
        )
        self.stdout.write("Reminders " + deliver.summary())
        if run.drained.digests_dispatched:
            self.stdout.write("Managers' digests found waiting: " + digests.summary())

    def preview(self, day: datetime.date, now: datetime.datetime, *, full: bool) -> None:
        result = scan(today=day, now=now, full=full)
        self.stdout.write(f"{day}: {result.created} reminders would be queued ({scan_kind(result)})")
        for participant_id in participants_due(day, now):
            participant = User.objects.get(pk=participant_id)
            rows = list(
                Reminder.objects.filter(
                    certification__participant=participant, status=Reminder.PENDING, due_on__lte=day
                )
                .filter(certification__in=eligible_certifications(day))
                .select_related("stage", "certification__course")
            )
            context = reminder_context(participant, rows, day)
            courses = ", ".join(
                f"{item.reminder.certification.course.code} ({item.reminder.stage.name})" for item in context["items"]
            )
            self.stdout.write(f'  {participant.email}: "{context["subject"]}" — {courses}')


def scan_kind(result: ScanResult) -> str:
    if result.full:
        return "full scan"
    return f"scanned since {result.since}, {result.rechecked} participants looked at again"
