"""Composes the portal's emails from templates/email/<name>/ (subject.txt, body.txt, body.html)."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.text import format_lazy

from learning.common.models import portal_settings

logger = logging.getLogger(__name__)


def render_email(name: str, context: dict, *, to: list[str], headers: dict | None = None) -> EmailMultiAlternatives:
    """One message: the subject on one line, a plain-text body and its HTML alternative, marked as automatic.
    Every template may link to the page where an account without a password gets one (email/_first_sign_in.*),
    worked out only if one is shown."""
    context = {
        "site_name": settings.PORTAL_NAME,
        "base_url": settings.PORTAL_BASE_URL,
        "set_password_url": format_lazy("{}{}", settings.PORTAL_BASE_URL, reverse_lazy("password_reset")),
        **context,
    }
    if "office" not in context:  # a batch of emails passes the settings it read once
        context["office"] = portal_settings()
    subject = " ".join(render_to_string(f"email/{name}/subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"email/{name}/body.txt", context),
        to=to,
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(render_to_string(f"email/{name}/body.html", context), "text/html")
    return message


def send_or_log(message: EmailMultiAlternatives, what: str) -> bool:
    """Sends one message; a failure is logged (naming `what`), not raised, so that the change that caused the
    email stands and one bad address stops no batch. True if the backend accepted it."""
    try:
        message.send()
    except Exception:
        logger.exception("could not send %s", what)
        return False
    return True
