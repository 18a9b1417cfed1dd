"""Celery tasks of accounts: each sends an email (learning.accounts.emails, learning.accounts.password_reset)."""

from celery import shared_task

from learning.accounts.emails import send_invitation
from learning.accounts.password_reset import send_reset_links
from learning.accounts.registration import send_registration_link


@shared_task
def send_invitation_task(user_pk: int) -> bool:
    return send_invitation(user_pk)


@shared_task
def send_reset_links_task(address: str, admin: bool = False, next_path: str = "") -> int:
    return send_reset_links(address, admin=admin, next_path=next_path)


@shared_task
def send_registration_link_task(details: dict) -> bool:
    return send_registration_link(details)
