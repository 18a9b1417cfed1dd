"""What a worker does with an import started in the admin (learning.register.import_runs): it runs the import of
the run's kind (learning.common.csv_import.CsvImport) on the stored upload, as `manage.py import_<kind>` does (all
or nothing unless `skip_invalid`), records its progress on the run as it goes, then what came of it.

While the import runs, its checks and writes are one transaction, which nobody else sees until it commits. The
progress is therefore written on a connection of its own, committed at once, so that the run's page sees the
rows go by. That takes a database that lets two connections write at once (PostgreSQL); SQLite lets one writer
in at a time, so there the run shows its progress only when it has finished.
"""

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from learning.accounts.services import participants_invite
from learning.common.csv_import import CsvImport, ImportRefused, ImportReport, run_import
from learning.register.models import ImportRun, ImportRunStatus, RejectedImportRow

UNFINISHED = (ImportRunStatus.QUEUED, ImportRunStatus.RUNNING)
# The progress is written when the import has gone this many rows, or a hundredth of its rows, further (the
# import reports once a batch): often enough for a bar to move, rarely enough to cost nothing.
PROGRESS_EVERY_ROWS = 500
TOO_LONG = (
    "The import took longer than a worker may run a task (CELERY_TASK_TIME_LIMIT_SECONDS); nothing was imported. "
    "Import the file in parts, or with manage.py import_{kind} on the server."
)
UNEXPECTED_ERROR = (
    "The import stopped on an unexpected error; nothing was imported. Try again, and tell the portal's "
    "maintainers if it happens again."
)


def import_run_perform(*, run_id: int, csv_import: type[CsvImport], clock: Callable[[], datetime]) -> str:
    """Runs a queued import with `csv_import` (the import of the run's kind) and records its outcome; returns the
    run's status. A run already finished is left alone, so that a task delivered twice imports once. `clock`
    gives the moments it starts and finishes."""
    claimed = ImportRun.objects.filter(pk=run_id, status__in=UNFINISHED).update(
        status=ImportRunStatus.RUNNING, started_at=clock(), stage="", rows_done=0, rows_total=0
    )
    run = ImportRun.objects.get(pk=run_id)
    if not claimed:
        return run.status
    progress = RunProgress(run_id)
    try:
        report, refusal = import_stored_file(run, csv_import, progress)
    except SoftTimeLimitExceeded:
        report, refusal = None, TOO_LONG.format(kind=run.kind)
    except Exception:
        # Raised on for the worker's log; the run says plainly that nothing was imported (the import is one
        # transaction, rolled back).
        record_outcome(run, report=None, refusal=UNEXPECTED_ERROR, now=clock())
        raise
    finally:
        progress.close()
    record_outcome(run, report=report, refusal=refusal, now=clock())
    return run.status


def import_stored_file(
    run: ImportRun, csv_import: type[CsvImport], progress: "RunProgress"
) -> tuple[ImportReport | None, str]:
    """(the report, "") when the import ran; (None, why) when it refused the file, said with the uploaded name."""
    with stored_copy(run) as path:
        try:
            return run_import(csv_import, path, skip_invalid=run.skip_invalid, progress=progress), ""
        except ImportRefused as refusal:
            return None, str(refusal).replace(str(path), run.file_name)


@contextmanager
def stored_copy(run: ImportRun) -> Iterator[Path]:
    """The upload as a local file for the import to read, whatever storage keeps it; removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        with run.file.open("rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target)
        yield path


def record_outcome(run: ImportRun, *, report: ImportReport | None, refusal: str, now: datetime) -> ImportRun:
    """Records the report (or the refusal) on the run with its rejected rows, and queues the invitations of a
    run that imported and was asked to invite, all at once."""
    with transaction.atomic():
        if report is not None:
            run.summary, run.encoding_note = report.summary, report.encoding_note
            run.rejected_count, run.rows_done = len(report.rejected), report.rows
            run.rows_total = report.rows
            RejectedImportRow.objects.filter(run=run).delete()
            RejectedImportRow.objects.bulk_create(
                (
                    RejectedImportRow(run=run, line=row.line, column=row.column, reason=row.reason, values=row.values)
                    for row in report.rejected
                ),
                batch_size=1000,
            )
            if report.written and run.invite:
                run.invited = participants_invite(user_ids=report.new_participant_ids)
        run.status = ImportRunStatus.DONE if report is not None and report.written else ImportRunStatus.REFUSED
        run.refusal, run.stage, run.finished_at = refusal, "", now
        run.save()
    return run


class RunProgress:
    """The import's progress callback for one run: records the stage and the rows done of its total on the run,
    on a connection of its own (see the module's docstring), each time it has gone far enough to show."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.recorded: tuple[str, int] = ("", 0)
        self.side_connection = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        recorded_stage, recorded_done = self.recorded
        step = min(PROGRESS_EVERY_ROWS, max(1, total // 100))
        if stage == recorded_stage and done < total and done - recorded_done < step:
            return
        self.recorded = (stage, done)
        self.write(stage=stage, rows_done=done, rows_total=total)

    def write(self, **fields) -> None:
        if connection.vendor != "postgresql":
            return
        if self.side_connection is None:
            self.side_connection = connections.create_connection(DEFAULT_DB_ALIAS)
        quote = self.side_connection.ops.quote_name
        meta = ImportRun._meta
        assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in fields)
        with self.side_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608
                [*fields.values(), self.run_id],
            )

    def close(self) -> None:
        if self.side_connection is not None:
            self.side_connection.close()
            self.side_connection = None
