"""What the CSV imports' management commands share (import_certifications, import_members): the file and its
options, a progress bar, the rejected rows listed and written beside the file, invitations for new participants,
and the summary; a refused file or, without --skip-invalid, any rejected row ends the command with an error."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from learning.accounts.services import participants_invite
from learning.common.csv_import import ImportRefused, ImportReport, run_import, write_rejected

# How many rejected rows the command prints; the rest are counted (and all of them written beside the file
# with --skip-invalid).
REJECTED_ROWS_PRINTED = 200


class ProgressBar:
    """A one-line bar on a terminal; a line every tenth of the way otherwise (logs stay short)."""

    def __init__(self, stream):
        self.stream = stream  # the command's OutputWrapper
        self.tty = stream.isatty()
        self.last_tenth = {}

    def __call__(self, stage: str, done: int, total: int):
        total = max(total, 1)
        fraction = min(done / total, 1)
        if self.tty:
            filled = int(fraction * 30)
            self.stream.write(f"\r{stage:<9} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", ending="")
            if done >= total:
                self.stream.write("")
            self.stream.flush()
        elif int(fraction * 10) != self.last_tenth.get(stage):
            self.last_tenth[stage] = int(fraction * 10)
            self.stream.write(f"{stage} {done}/{total}")


class ImportCommand(BaseCommand):
    """A command importing one CSV file with `csv_import` (a learning.common.csv_import.CsvImport)."""

    csv_import = None

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the good rows; write the rejected ones with their reasons to FILE.rejected.csv.",
        )
        parser.add_argument("--invite", action="store_true", help="Email new participants a link to set a password.")

    def handle(self, *args, file: Path, skip_invalid=False, invite=False, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            report = run_import(self.csv_import, file, skip_invalid=skip_invalid, progress=ProgressBar(self.stderr))
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        self.list_rejected(report, file, skip_invalid=skip_invalid)
        if invite and report.new_participant_ids:
            queued = participants_invite(user_ids=report.new_participant_ids)
            self.stdout.write(f"Invitations queued: {queued} (sent by the Celery worker)")
        if report.encoding_note:
            self.stdout.write(report.encoding_note)
        self.stdout.write(report.summary)
        if not report.written:
            raise CommandError(
                f"Nothing was imported: {len(report.rejected)} rows are invalid (see above). Fix them, or use "
                "--skip-invalid to import the others."
            )

    def list_rejected(self, report: ImportReport, file: Path, *, skip_invalid: bool) -> None:
        for rejected in report.rejected[:REJECTED_ROWS_PRINTED]:
            self.stderr.write(self.style.ERROR(f"rejected {rejected}"))
        if len(report.rejected) > REJECTED_ROWS_PRINTED:
            self.stderr.write(f"... and {len(report.rejected) - REJECTED_ROWS_PRINTED} more rejected rows")
        if report.rejected and skip_invalid:
            target = write_rejected(report, file, self.csv_import.columns)
            self.stderr.write(f"The rejected rows and their reasons are in {target}")
