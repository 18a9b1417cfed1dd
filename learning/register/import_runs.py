"""Certification imports started in the admin: the upload is kept in private storage, a run records who started
it, with which options, and how far it has got, and a Celery worker runs it (learning.register.import_runner)
once the run is committed, so that a long file never holds a page open."""

from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from learning.accounts.models import User
from learning.register.models import CertificationImportRun
from learning.register.tasks import import_certifications_task


def import_run_start(
    *, upload: UploadedFile, skip_invalid: bool, invite: bool, started_by: User | None
) -> CertificationImportRun:
    """Keeps the upload and queues its import for a worker once the run is committed."""
    with transaction.atomic():
        run = CertificationImportRun(
            file_name=Path(upload.name or "upload.csv").name[:255],
            skip_invalid=skip_invalid,
            invite=invite,
            started_by=started_by,
        )
        run.file.save("upload.csv", upload, save=False)
        run.save()
        import_certifications_task.delay_on_commit(run.pk)
    return run
