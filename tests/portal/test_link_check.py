"""Every link on every demo page leads somewhere: followed from the home page, the sitemap and My portal, anonymously
and signed in, each answers 200 or a deliberate redirect to a page that does; and with a public address configured,
no page, email or calendar file points to localhost."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.core import mail
from django.core.management import call_command

from tests.portal.test_outsider_crawl import LINK, LOC, crawl

pytestmark = pytest.mark.django_db

PUBLIC_ADDRESS = "https://training.example.org"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "0.0.0.0"}  # noqa: S104 (names, not a bind)
BROKEN = range(400, 600)


@pytest.fixture
def demo(settings, capsys, django_capture_on_commit_callbacks):
    # As portal/settings.py derives them from PORTAL_BASE_URL when the portal starts.
    settings.PORTAL_BASE_URL = settings.WAGTAILADMIN_BASE_URL = PUBLIC_ADDRESS
    settings.REMINDER_UNSUBSCRIBE_MAILTO = "unsubscribe@training.example.org"
    settings.REMINDER_MESSAGE_ID_DOMAIN = "training.example.org"
    settings.ALLOWED_HOSTS = ["training.example.org", "testserver"]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo")  # its guideline updates email the participants
    capsys.readouterr()


def links_in(path: str, body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    return [urljoin("http://testserver" + path, link.strip()) for link in [*LINK.findall(text), *LOC.findall(text)]]


def broken(seen: dict) -> dict[str, int]:
    return {path: status for path, (status, _) in seen.items() if status in BROKEN}


def local_links(seen: dict) -> set[str]:
    return {
        link
        for path, (_, body) in seen.items()
        for link in links_in(path, body)
        if urlsplit(link).hostname in LOCAL_HOSTS
    }


def test_every_link_a_visitor_can_follow_answers(client, demo):
    seen = crawl(client, ["/", "/sitemap.xml", "/contact/", "/verify/"])

    assert len(seen) > 20  # the crawl did walk the site
    assert broken(seen) == {}
    assert local_links(seen) == set()


def test_every_link_a_participant_can_follow_answers(client, demo):
    from learning.models import User

    client.force_login(User.objects.get(email="ben@example.com"))  # holds ALS1 and ALS2: reads every material

    seen = crawl(client, ["/", "/portal/", "/materials/", "/portal/preferences/"])

    assert any(path.startswith("/materials/") and status == 200 for path, (status, _) in seen.items())
    assert broken(seen) == {}
    assert local_links(seen) == set()


def test_no_email_or_calendar_file_points_to_localhost(demo):
    from learning.bookings.emails import send_booking_email
    from learning.models import Booking

    booking = Booking.objects.filter(status=Booking.CONFIRMED).first()
    send_booking_email(booking.pk, "booking_confirmed")

    assert mail.outbox, "the demo sends guideline updates and the booking sends a confirmation"
    for message in mail.outbox:
        parts = [message.body, *(body for body, _ in message.alternatives)]
        parts += [attachment[1] if isinstance(attachment, tuple) else "" for attachment in message.attachments]
        parts += [str(value) for value in message.extra_headers.values()]
        for text in parts:
            text = text.decode() if isinstance(text, bytes) else text
            assert not re.search(r"(?i)\blocalhost\b|127\.0\.0\.1", text), f"{message.subject}: {text[:300]}"
