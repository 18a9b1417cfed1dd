"""Celery tasks of organisations: each takes ids and sends emails (learning.organisations.emails)."""

from celery import shared_task

from learning.organisations.emails import send_member_left


@shared_task
def send_member_left_task(organisation_pk: int, participant_pk: int) -> int:
    return send_member_left(organisation_pk, participant_pk)
