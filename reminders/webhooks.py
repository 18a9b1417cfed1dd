"""The ESP webhooks (anymail's views under /anymail/), refused outright while no webhook secret is configured, and
answered 400 when the body is not what the ESP sends.

anymail itself accepts unauthenticated posts when WEBHOOK_SECRET is empty (it only warns), and some of its
ESP views rely on signatures instead; either way, a post that nobody authenticated could mark reminders
delivered or suppress any address. So every anymail view answers 400 to a post until the secret is set."""

import functools
import json
import logging

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting
from django.http import HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger(__name__)
# ESPs whose webhooks post a JSON array of events; every other JSON webhook posts one object.
ARRAY_BODIES = {"sendgrid", "sparkpost", "mailjet"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def webhook_secret_configured() -> bool:
    secret = get_anymail_setting("webhook_secret", default=None)
    return bool(secret) and (not isinstance(secret, str) or bool(secret.strip()))


def well_formed(request, esp: str) -> bool:
    """Whether a body has the shape the ESP sends. anymail parses the body assuming that shape, so a truncated or
    foreign body ("{", "[1,2]", nothing) would fail inside it: the sender's mistake, answered 400 here. Every body
    but a form post (which anymail reads by field) must be JSON, whatever its content type says: Amazon SNS, for
    one, sends JSON as text/plain."""
    if request.content_type in FORM_TYPES:
        return True
    try:
        body = json.loads(request.body)
    except ValueError:  # not JSON, or not UTF-8
        return False
    if esp in ARRAY_BODIES and isinstance(body, list):
        return all(isinstance(event, dict) for event in body)
    return isinstance(body, dict)


def refuse_without_webhook_secret(view, esp: str):
    """Wraps an anymail view: a post with no secret configured, or with a malformed body, gets a 400 and reaches
    nothing."""

    @functools.wraps(view)  # keeps anymail's csrf_exempt and login_not_required marks
    def guarded(request, *args, **kwargs):
        if request.method == "POST" and not webhook_secret_configured():
            logger.warning("ESP webhook post to %s refused: ANYMAIL_WEBHOOK_SECRET is not set", request.path)
            return HttpResponseBadRequest(
                "Webhook refused: ANYMAIL_WEBHOOK_SECRET is not configured.", content_type="text/plain"
            )
        if request.method == "POST" and not well_formed(request, esp):
            logger.warning("ESP webhook post to %s refused: malformed body", request.path)
            return HttpResponseBadRequest("Webhook refused: the body is not a valid event.", content_type="text/plain")
        return view(request, *args, **kwargs)

    return guarded


def esp_of(url_name: str) -> str:
    """anymail names its URLs "<esp>_tracking_webhook" / "<esp>_inbound_webhook"."""
    return url_name.removesuffix("_webhook").rsplit("_", 1)[0]


def guarded_patterns(patterns) -> list[URLPattern]:
    return [
        URLPattern(
            pattern.pattern,
            refuse_without_webhook_secret(pattern.callback, esp_of(pattern.name)),
            pattern.default_args,
            pattern.name,
        )
        for pattern in patterns
    ]


# anymail's own URL names, in its namespace ("anymail:postmark_tracking_webhook" still reverses).
urlpatterns = guarded_patterns(anymail_urls.urlpatterns)
app_name = anymail_urls.app_name
