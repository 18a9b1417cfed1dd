"""Settling uncertain sends sooner by asking the ESP, where it can be asked. Postmark keeps a searchable list of the
messages it accepted, filterable by metadata: an uncertain email found there was accepted, so its rows are sent
without waiting for a tracking event. Other ESPs are left to their tracking events and the retry after the wait.

The search is an optimisation: any failure of it (no answer, an error) leaves the rows uncertain as they were; the
drain records what it finds (reminders.delivery.drain)."""

import logging
from itertools import groupby

import requests
from anymail.utils import get_anymail_setting
from django.conf import settings

from reminders.models import Reminder

logger = logging.getLogger(__name__)

POSTMARK_API_URL = "https://api.postmarkapp.com/"
# Uncertain emails looked up per drain run: a burst of timeouts is settled over a few runs, never in one long run.
SEARCH_LIMIT = 50


def uncertain_emails(limit: int = SEARCH_LIMIT) -> list[list[int]]:
    """The uncertain rows grouped as they were sent: one email per participant per attempt."""
    rows = (
        Reminder.objects.filter(status=Reminder.UNCERTAIN)
        .order_by("certification__participant_id", "claimed_at", "pk")
        .values_list("certification__participant_id", "claimed_at", "pk")
    )
    emails = [[pk for _, _, pk in group] for _, group in groupby(rows, key=lambda row: row[:2])]
    return emails[:limit]


def postmark_accepted(reminder_ids: list[int]) -> str:
    """The MessageID under which Postmark accepted the email carrying these rows, or "" when it has none."""
    base = get_anymail_setting("api_url", esp_name="postmark", default=POSTMARK_API_URL)
    token = get_anymail_setting("server_token", esp_name="postmark")
    timeout = get_anymail_setting("requests_timeout", default=30)
    response = requests.get(
        base.rstrip("/") + "/messages/outbound",
        params={"count": 1, "offset": 0, "metadata_reminders": ",".join(str(pk) for pk in reminder_ids)},
        headers={"Accept": "application/json", "X-Postmark-Server-Token": token},
        timeout=timeout,
    )
    response.raise_for_status()
    messages = response.json().get("Messages") or []
    return str(messages[0].get("MessageID", "")) if messages else ""


def accepted_uncertain_emails() -> list[tuple[list[int], str]]:
    """(row ids, ESP message id) of each uncertain email the ESP confirms it accepted."""
    if settings.EMAIL_ESP != "postmark":
        return []
    found = []
    for ids in uncertain_emails():
        try:
            message_id = postmark_accepted(ids)
        except (requests.RequestException, ValueError) as error:
            logger.info("could not ask Postmark about reminders %s: %s", ids, error)
            break  # the ESP is not answering: ask again next run
        if message_id:
            found.append((ids, message_id))
    return found
