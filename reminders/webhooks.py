"""The ESP webhooks (anymail's views under /anymail/), refused outright while no webhook secret is configured, and
answered 400 when the body is not what the ESP sends.

anymail itself accepts unauthenticated posts when WEBHOOK_SECRET is empty (it only warns), and some of its
ESP views rely on signatures instead; either way, a post that nobody authenticated could mark reminders
delivered or suppress any address. So every anymail view answers 400 to a post until the secret is set."""

import functools
import logging

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting
from django.http import HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger(__name__)
# What a body of the wrong shape raises inside anymail's parsers (JSON errors are ValueErrors).
MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def webhook_secret_configured() -> bool:
    secret = get_anymail_setting("webhook_secret", default=None)
    return bool(secret) and (not isinstance(secret, str) or bool(secret.strip()))


def refuse_without_webhook_secret(view):
    """Wraps an anymail view: a post with no secret configured gets a 400 and reaches nothing."""

    @functools.wraps(view)  # keeps anymail's csrf_exempt and login_not_required marks
    def guarded(request, *args, **kwargs):
        if request.method == "POST" and not webhook_secret_configured():
            logger.warning("ESP webhook post to %s refused: ANYMAIL_WEBHOOK_SECRET is not set", request.path)
            return HttpResponseBadRequest(
                "Webhook refused: ANYMAIL_WEBHOOK_SECRET is not configured.", content_type="text/plain"
            )
        try:
            return view(request, *args, **kwargs)
        except MALFORMED as error:
            # anymail parses the body after checking the secret and assumes the ESP's shape: a truncated or foreign
            # body ("{", "[1,2]", nothing) fails inside it. That is the sender's mistake, not ours: 400, not 500.
            logger.warning("ESP webhook post to %s refused: malformed body (%s)", request.path, error)
            return HttpResponseBadRequest("Webhook refused: the body is not a valid event.", content_type="text/plain")

    return guarded


def guarded_patterns(patterns) -> list[URLPattern]:
    return [
        URLPattern(pattern.pattern, refuse_without_webhook_secret(pattern.callback), pattern.default_args, pattern.name)
        for pattern in patterns
    ]


# anymail's own URL names, in its namespace ("anymail:postmark_tracking_webhook" still reverses).
urlpatterns = guarded_patterns(anymail_urls.urlpatterns)
app_name = anymail_urls.app_name
