"""Celery tasks of the register: each takes ids and calls one function."""

from celery import shared_task
from django.utils import timezone

from learning.register.certification_import import CertificationImport
from learning.register.import_runner import import_run_perform


@shared_task
def import_certifications_task(run_id: int) -> str:
    return import_run_perform(run_id=run_id, csv_import=CertificationImport, clock=timezone.now)
