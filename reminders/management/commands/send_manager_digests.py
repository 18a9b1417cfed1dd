"""`manage.py send_manager_digests [--today YYYY-MM-DD]`: the managers' digests of the period, by hand."""

from django.core.management.base import BaseCommand

from reminders.digests import deliver_to_manager, run_manager_digests
from reminders.management.commands.send_reminders import InProcess, run_day


class Command(BaseCommand):
    help = "Sends the managers' digests of the period now (the same code as the daily Celery beat job)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="The local date to run for (YYYY-MM-DD); default: today.")

    def handle(self, *args, today=None, **options):
        day, now = run_day(today)
        deliver = InProcess(self, deliver_to_manager, day=day, now=now, who="manager")
        run = run_manager_digests(today=day, now=now, dispatch=deliver)
        self.stdout.write(f"{day}: {run.planned} digests queued for the period")
        self.stdout.write("Digests " + deliver.summary())
