"""Tasks of the home app."""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """Scheduled by beat every minute so that beat -> broker -> worker can be seen working in the log."""
    now = timezone.localtime().isoformat(timespec="seconds")
    logger.info("heartbeat at %s", now)
    return now


@shared_task
def publish_scheduled() -> None:
    """Publishes pages whose go-live time has come and unpublishes expired ones (Wagtail's scheduled
    publishing), every few minutes from beat."""
    from django.core.management import call_command

    call_command("publish_scheduled", verbosity=0)
