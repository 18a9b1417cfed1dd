"""Imports started in the admin (certifications, organisation members): the upload is kept in private storage, a
run records what it imports, who started it, with which options, and how far it has got, and a Celery worker runs
it (learning.register.import_runner) once the run is committed, so that a long file never holds a page open."""

from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from learning.accounts.models import User
from learning.register.models import ImportKind, ImportRun


def import_run_start(
    *, kind: ImportKind, task, upload: UploadedFile, skip_invalid: bool, invite: bool, started_by: User | None
) -> ImportRun:
    """Keeps the upload and queues `task` (the Celery task that runs imports of `kind`) for a worker once the run
    is committed."""
    with transaction.atomic():
        run = ImportRun(
            kind=kind,
            file_name=Path(upload.name or "upload.csv").name[:255],
            skip_invalid=skip_invalid,
            invite=invite,
            started_by=started_by,
        )
        run.file.save("upload.csv", upload, save=False)
        run.save()
        task.delay_on_commit(run.pk)
    return run
