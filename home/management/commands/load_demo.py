"""`manage.py load_demo`: demo pages and accounts; running it again changes nothing."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from home.demo import load_demo_content
from home.site import align_default_site


class Command(BaseCommand):
    help = "Builds the demo page tree and accounts (idempotent) and prints the accounts' sign-in details."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the sign-in details.")

    def handle(self, *args, quiet_accounts=False, **options):
        if not settings.DEMO_CONTENT_ALLOWED:
            raise CommandError(
                "Demo content has published passwords and is refused here (DEBUG is off). "
                "Set DEMO_CONTENT_ALLOWED=true if this really is a demo machine."
            )
        report = load_demo_content()
        if align_default_site():
            report.created.append(f"the default site's address, {settings.PORTAL_BASE_URL}")
        if report.created:
            for item in report.created:
                self.stdout.write(f"created {item}")
        else:
            self.stdout.write("Demo content is already in place: nothing changed.")
        if quiet_accounts:
            return
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo accounts (password for all: {report.password})"))
        for account in report.accounts:
            self.stdout.write(f"  {account.role:<14} {account.email}")
        self.stdout.write("Managers see their team's certifications on My portal > My team (/portal/team/).")
