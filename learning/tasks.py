"""Celery tasks of the learning app: each takes ids and calls one function."""

from celery import shared_task
from django.utils import timezone

from reminders.guideline_notifications import notify_guideline_update


@shared_task(acks_late=True)
def notify_guideline_update_task(page_id: int) -> dict:
    return notify_guideline_update(page_id, now=timezone.now())
