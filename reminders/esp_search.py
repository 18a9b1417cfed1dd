"""Settling uncertain sends sooner by asking the ESP, where it can be asked. Postmark keeps a searchable list of the
messages it accepted, filterable by metadata: an uncertain email found there was accepted, so its rows are sent
without waiting for a tracking event. Other ESPs are left to their tracking events and the retry after the wait.

The search is an optimisation: any failure of it (no answer, an error) leaves the rows uncertain as they were; the
drain records what it finds (reminders.delivery.drain)."""

import logging
import time
from itertools import groupby

import requests
from anymail.utils import get_anymail_setting
from django.conf import settings

from reminders.models import OUTBOX_MODELS, OutboxRow

logger = logging.getLogger(__name__)

POSTMARK_API_URL = "https://api.postmarkapp.com/"
# Uncertain emails looked up per drain run, and the time the drain gives the look-ups: a burst of timeouts is
# settled over a few runs, and a slow ESP never holds up the drain.
SEARCH_LIMIT = 20
SEARCH_SECONDS = 20


def uncertain_emails(limit: int = SEARCH_LIMIT) -> list[tuple[type[OutboxRow], list[int]]]:
    """The uncertain rows of every kind grouped as they were sent (one email per recipient per attempt), newest
    first within each kind."""
    emails = []
    for model in OUTBOX_MODELS:
        rows = (
            model.objects.filter(status=model.UNCERTAIN)
            .order_by("-claimed_at", model.recipient_field, "pk")
            .values_list("claimed_at", model.recipient_field, "pk")
        )
        for _, group in groupby(rows.iterator(), key=lambda row: row[:2]):
            emails.append((model, [pk for _, _, pk in group]))
            if len(emails) == limit:
                return emails
    return emails


def postmark_accepted(model: type[OutboxRow], ids: list[int]) -> str:
    """The MessageID under which Postmark accepted the email carrying these rows, or "" when it has none."""
    base = get_anymail_setting("api_url", esp_name="postmark", default=POSTMARK_API_URL)
    token = get_anymail_setting("server_token", esp_name="postmark")
    timeout = get_anymail_setting("requests_timeout", default=30)
    if isinstance(timeout, int | float):
        timeout = min(timeout, SEARCH_SECONDS)
    response = requests.get(
        base.rstrip("/") + "/messages/outbound",
        params={"count": 1, "offset": 0, f"metadata_{model.metadata_key}": ",".join(str(pk) for pk in ids)},
        headers={"Accept": "application/json", "X-Postmark-Server-Token": token},
        timeout=timeout,
    )
    response.raise_for_status()
    answer = response.json()
    messages = answer.get("Messages") if isinstance(answer, dict) else None
    if not messages or not isinstance(messages[0], dict):
        return ""
    return str(messages[0].get("MessageID", ""))


def accepted_uncertain_emails() -> list[tuple[type[OutboxRow], list[int], str]]:
    """(kind of row, row ids, ESP message id) of each uncertain email the ESP confirms it accepted."""
    if settings.EMAIL_ESP != "postmark":
        return []
    found = []
    deadline = time.monotonic() + SEARCH_SECONDS
    for model, ids in uncertain_emails():
        if time.monotonic() > deadline:
            break
        try:
            message_id = postmark_accepted(model, ids)
        except Exception as error:  # whatever the ESP or its settings do, the drain goes on
            logger.info("could not ask Postmark about %s %s: %s", model.metadata_key, ids, error)
            break  # ask again next run
        if message_id:
            found.append((model, ids, message_id))
    return found
