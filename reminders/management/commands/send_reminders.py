"""`manage.py send_reminders [--today YYYY-MM-DD] [--dry-run]`: the daily scan and sending, by hand."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from learning.models import User
from reminders.daily import daily_run
from reminders.delivery import TransientSendError, deliver_to_participant, participants_due
from reminders.emails import reminder_context
from reminders.models import Reminder
from reminders.scan import eligible_certifications, local_today, scan


class DryRun(Exception):
    """Raised to roll back the dry run's scan."""


class Command(BaseCommand):
    help = "Runs the reminder scan and sends the due emails now (the same code as the daily Celery beat job)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="The local date to run for (YYYY-MM-DD); default: today.")
        parser.add_argument("--dry-run", action="store_true", help="Print who would get what; write nothing.")

    def handle(self, *args, today=None, dry_run=False, **options):
        try:
            day = datetime.date.fromisoformat(today) if today else local_today()
        except ValueError:
            raise CommandError(f"--today {today!r} is not a date like 2026-11-21") from None
        # A run for another day acts as if it were that day at this time of day, so that what it writes and the
        # one-email-a-day rule agree with the day it runs for.
        now = timezone.make_aware(datetime.datetime.combine(day, timezone.localtime().time()))
        if dry_run:
            try:
                with transaction.atomic():
                    self.preview(day, now)
                    raise DryRun
            except DryRun:
                self.stdout.write("Dry run: nothing was written or sent.")
            return
        # The same run as beat's daily job, with the sending done here instead of by workers.
        totals = {"sent": 0, "skipped": 0, "failed": 0, "uncertain": 0, "retry later": 0}

        def deliver(participant_id: int) -> None:
            try:
                delivery = deliver_to_participant(participant_id, today=day, now=now)
            except TransientSendError as error:
                totals["retry later"] += 1
                self.stderr.write(f"participant {participant_id}: will retry ({error})")
                return
            for name in ("sent", "skipped", "failed", "uncertain"):
                totals[name] += getattr(delivery, name)

        # Claims and uncertain sends age by the real clock, whatever day the run is for.
        run = daily_run(today=day, now=now, dispatch=deliver, drain_now=timezone.now())
        totals["uncertain"] += run.drained.uncertain
        self.stdout.write(
            f"{day}: {run.scanned.created} reminders queued, {run.scanned.skipped} superseded ones skipped"
        )
        self.stdout.write("Reminders " + ", ".join(f"{name}: {count}" for name, count in totals.items()))

    def preview(self, day: datetime.date, now: datetime.datetime) -> None:
        result = scan(today=day, now=now)
        self.stdout.write(f"{day}: {result.created} reminders would be queued")
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
