"""Celery tasks of organisations: each takes ids and sends emails (learning.organisations.emails), or runs an
import of members started in the admin."""

from celery import shared_task
from django.utils import timezone

from learning.organisations.emails import send_member_left, send_place_changed
from learning.organisations.members_import import MembersImport
from learning.register.import_runner import import_run_perform


@shared_task
def send_member_left_task(organisation_pk: int, participant_pk: int) -> int:
    return send_member_left(organisation_pk, participant_pk)


@shared_task
def send_place_changed_task(booking_pk: int, change: str, by_pk: int | None) -> int:
    return send_place_changed(booking_pk, change, by_pk)


@shared_task
def import_members_task(run_id: int) -> str:
    return import_run_perform(run_id=run_id, csv_import=MembersImport, clock=timezone.now)
