"""Links to set a new password, or a first one: who gets them, how often, and the email that carries them.

The site's and the admin's reset forms only queue `send_reset_links` with the address as typed, for a Celery
worker, whatever the address: so the form answers in the same time whether or not an account has the address
(sending takes a mail provider hundreds of milliseconds, which would tell). The worker finds the account, counts
the link against that account's hourly limit too, and sends it to the address the account holds, never to the one
typed. Every link is made from PORTAL_BASE_URL, never from the request's Host header."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

from learning.accounts.models import User, canonical_email
from learning.common.emails import render_email, send_or_log
from learning.common.rate_limits import over_limit

logger = logging.getLogger(__name__)


def reset_recipients(address: str):
    """Who a link for `address` goes to: the active account whose address is its canonical spelling (through the
    unique index on the lower-cased address), whether or not it has a password yet. Django's own rule leaves out
    accounts without one, and so every participant an import or an administrator created whose invitation
    lapsed: they asked for a link, were told to check their email, and nothing came. Searched by the canonical
    spelling, as the sign-in and the limits read it, so that no spelling reaches an account they would not."""
    return User.objects.with_email(canonical_email(address)).filter(is_active=True)


def send_reset_links(address: str, *, admin: bool = False, next_path: str = "") -> int:
    """Emails a link to the account `reset_recipients` finds for `address`, unless that account has had its
    hourly number of links (PASSWORD_RESET_PER_ADDRESS_PER_HOUR; the forms count the address too, in the web
    process, so the limit holds even where workers do not share a cache). From the admin's form (`admin`),
    someone who may use the admin gets the admin's link; anyone else the site's, leading on to `next_path` (a path
    on this site, checked by the form) once the password is set. Returns how many were sent."""
    sent = 0
    for user in reset_recipients(address):
        if over_limit(
            "password-reset-account",
            user.email,
            limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR,
            window=datetime.timedelta(hours=1),
        ):
            logger.warning("password link for user %s over its hourly limit; not sent", user.pk)
            continue
        uses_admin = admin and user.has_perm("wagtailadmin.access_admin")
        message = admin_reset_email(user) if uses_admin else site_reset_email(user, next_path)
        sent += send_or_log(message, f"the password link to user {user.pk}")
    return sent


def link_parts(user: User) -> dict:
    """The link's account and one-time token, as the reset-confirm URLs take them."""
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}


def site_reset_email(user: User, next_path: str = ""):
    """The site's email: "reset" for an account with a password, "set" for one that never had one."""
    url = settings.PORTAL_BASE_URL + reverse("password_reset_confirm", kwargs=link_parts(user))
    if next_path:
        url += "?" + urlencode({"next": next_path})
    return render_email("password_reset", {"user": user, "email": user.email, "reset_url": url}, to=[user.email])


def admin_reset_email(user: User) -> EmailMessage:
    """The Wagtail admin's own email, its link to the admin's page (made from WAGTAILADMIN_BASE_URL)."""
    parts = link_parts(user)
    context = {"user": user, "email": user.email, "uid": parts["uidb64"], "token": parts["token"]}
    subject = render_to_string("wagtailadmin/account/password_reset/email_subject.txt", context)
    body = render_to_string("wagtailadmin/account/password_reset/email.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()), body=body, to=[user.email], headers={"Auto-Submitted": "auto-generated"}
    )
