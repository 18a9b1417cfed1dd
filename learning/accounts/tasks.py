"""Celery tasks of accounts: each takes ids and sends one email (learning.accounts.emails)."""

from celery import shared_task

from learning.accounts.emails import send_invitation


@shared_task
def send_invitation_task(user_pk: int) -> bool:
    return send_invitation(user_pk)
