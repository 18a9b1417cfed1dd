"""A newcomer registers themselves: the form takes their address, and a worker emails a link to it; the account is
made only when the link is followed and the name and password given there, so that no account exists for an
address nobody proved to own (and nobody can make one with another person's address), and nothing about a person
travels in a link. The link carries the address and the page to go on to, signed, for REGISTRATION_LINK_DAYS. For
an address that has an account already, the worker sends that account the usual password link instead
(learning.accounts.password_reset), so the form never tells whether an address has an account: its answer is the
same, in the same time, for every address."""

import datetime
import logging

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from learning.accounts.models import User, canonical_email
from learning.accounts.password_reset import send_reset_links
from learning.common.emails import render_email, send_or_log

logger = logging.getLogger(__name__)

SALT = "learning.accounts.registration"
# What the link carries: the address (canonical) and the page the newcomer started from.
FIELDS = ("email", "next")


def registration_token(details: dict) -> str:
    return signing.dumps({name: details.get(name, "") for name in FIELDS}, salt=SALT, compress=True)


def registration_details(token: str) -> dict | None:
    """What the link carries, or None for a link altered, or older than REGISTRATION_LINK_DAYS."""
    max_age = datetime.timedelta(days=settings.REGISTRATION_LINK_DAYS)
    try:
        details = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return details if isinstance(details, dict) and set(details) == set(FIELDS) else None


def send_registration_link(details: dict) -> bool:
    """The worker's half: a link to finish registering, or, for an address that has an account, that account's
    password link (none for a deactivated one: the office decides about those)."""
    address = canonical_email(details["email"])
    if User.objects.with_email(address).exists():
        send_reset_links(address, next_path=details.get("next", ""))
        return False
    url = settings.PORTAL_BASE_URL + reverse("register_confirm", kwargs={"token": registration_token(details)})
    message = render_email(
        "registration",
        # Nothing typed but the address goes into the email: nobody has proved yet to be the one who typed it.
        {"email": address, "confirm_url": url, "days": settings.REGISTRATION_LINK_DAYS},
        to=[address],
    )
    return bool(send_or_log(message, "a registration link"))


def new_participant(details: dict) -> User:
    """The account the link makes (not saved: its name and password are given first)."""
    return User(email=canonical_email(details["email"]))


def participant_register(participant: User, *, password: str) -> bool:
    """Saves the account the link makes (new_participant) with its chosen password; False when an account has the
    address by now (the same link followed twice at once), and nothing is saved."""
    participant.set_password(password)
    try:
        with transaction.atomic():
            participant.save()
    except IntegrityError:
        return False
    return True
