"""Celery tasks of continuing education: each takes ids and sends one email."""

from celery import shared_task

from learning.continuing_education.emails import send_ce_decision


@shared_task
def send_ce_decision_task(activity_pk: int) -> bool:
    return send_ce_decision(activity_pk)
