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
