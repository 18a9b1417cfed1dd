"""The reminder email has everything a participant needs, in text and HTML, with one-click unsubscribe headers;
unsubscribing works without sign-in and only by POST; the preferences page turns reminders back on."""

import datetime
import re

import pytest
from django.test import Client

from learning.common.words import long_date
from learning.models import ContinuingEducationIndexPage, ContinuingEducationOfferPage
from reminders.emails import compose_reminder_email, unsubscribe_token
from reminders.models import Reminder, Suppression
from reminders.scan import scan
from tests.factories import UserFactory, make_course_date
from tests.reminders.conftest import TODAY, expiring

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(catalogue):
    from home.models import HomePage

    listing = ContinuingEducationIndexPage(title="Continuing education", slug="continuing-education")
    HomePage.objects.get().add_child(instance=listing)
    offer = ContinuingEducationOfferPage(
        title="Airway skills refresher", held_on=TODAY + datetime.timedelta(days=20), credits=2
    )
    listing.add_child(instance=offer)
    return listing


def email_for(person):
    rows = list(
        Reminder.objects.filter(certification__participant=person).select_related(
            "stage", "certification__course", "certification__participant"
        )
    )
    message = compose_reminder_email(person, rows, TODAY)
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    return message, message.body, html


def test_the_email_has_every_element_in_text_and_html(settings, als1, als2, offers):
    person = UserFactory(first_name="Ann", email="ann@example.org")
    certification = expiring(als2, 21, participant=person, number="ALS2-2024-000009")
    expiring(als1, 400, participant=person)
    course_date = make_course_date(als2, today=TODAY, starts_in_days=14, instructors=1, venue="Simulation Suite")
    scan(today=TODAY)

    message, text, html = email_for(person)

    assert message.subject == "Your ALS2 certification expires in 21 days"
    base = settings.PORTAL_BASE_URL
    for body in (text, html):
        assert "Ann" in body
        assert "ALS2-2024-000009" in body
        assert certification.expires_on.strftime("%-d %B %Y") in body and "21 days" in body
        assert f"{base}{als2.url}#dates" in body
        assert f"{base}/portal/book/{course_date.pk}/" in body and "Simulation Suite" in body
        assert "6 seats left" in body or "6 left" in body
        assert "Airway skills refresher" in body and f"{base}{offers.url}" in body
        assert f"{base}/portal/" in body
        assert f"{base}/portal/preferences/" in body
        assert f"{base}/reminders/unsubscribe/{unsubscribe_token(person)}/" in body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert f"<{base}/reminders/unsubscribe/{unsubscribe_token(person)}/>" in unsubscribe
    assert "<mailto:" in unsubscribe
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_participant_who_never_set_a_password_is_told_how_to_sign_in(settings, als1):
    # Made by the register's import: the reminder is often the first thing of the portal they see.
    imported = UserFactory(email="imported@example.org")
    imported.set_unusable_password()
    imported.save()
    signed_in_before = UserFactory(email="regular@example.org")
    for person in (imported, signed_in_before):
        expiring(als1, 30, participant=person)
    scan(today=TODAY)

    _, text, html = email_for(imported)
    _, their_text, their_html = email_for(signed_in_before)

    said = "Your account is imported@example.org, and it has no password yet."
    url = f"{settings.PORTAL_BASE_URL}/accounts/password/reset/"
    assert said in text and url in text
    assert said in html and f'<a href="{url}"' in html
    for body in (their_text, their_html):
        assert "no password yet" not in body and url not in body


def test_the_html_looks_right_in_a_mail_client(als1):
    person = UserFactory()
    expiring(als1, 30, participant=person)
    scan(today=TODAY)

    _, _, html = email_for(person)

    assert "<link" not in html and "<script" not in html and "<style" not in html
    assert not re.search(r'src="(https?:)?//', html)  # no external images or assets
    assert 'style="' in html  # styles are inline


def test_a_lapsed_certification_says_to_book_the_full_course(als1):
    person = UserFactory()
    expiring(als1, -30, participant=person)
    scan(today=TODAY)

    message, text, html = email_for(person)

    assert message.subject == "Your ALS1 certification has lapsed"
    assert "book the full ALS1 course" in text and "Book the full ALS1 course" in html


def test_an_als2_holder_whose_als1_lapsed_is_warned(als1, als2):
    person = UserFactory()
    expiring(als2, 30, participant=person)
    expiring(als1, -10, participant=person)
    scan(today=TODAY)
    Reminder.objects.filter(certification__course=als1).delete()

    _, text, html = email_for(person)

    expired = long_date(TODAY - datetime.timedelta(days=10))
    warning = f"ALS1 certification expired on {expired}: you need a current ALS1 to book ALS2. Renew ALS1 first."
    assert warning in text and warning in html


def test_an_als1_that_will_lapse_before_the_renewal_is_warned(als1, als2):
    person = UserFactory()
    expiring(als2, 60, participant=person)
    expiring(als1, 20, participant=person)
    make_course_date(als2, today=TODAY, starts_in_days=45)
    scan(today=TODAY)
    Reminder.objects.filter(certification__course=als1).delete()

    _, text, _ = email_for(person)

    assert "ALS1 certification expired on" in text and "Renew ALS1 first" in text


# --- Unsubscribe ----------------------------------------------------------------------------------------


def test_one_click_unsubscribe_works_without_sign_in_or_csrf_token(participant):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        f"/reminders/unsubscribe/{unsubscribe_token(participant)}/", {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    participant.refresh_from_db()
    assert participant.wants_reminders is False
    assert Suppression.objects.filter(email=participant.email, reason="unsubscribed").exists()


def test_a_get_of_the_unsubscribe_address_shows_a_button_and_changes_nothing(client, participant):
    response = client.get(f"/reminders/unsubscribe/{unsubscribe_token(participant)}/")

    assert response.status_code == 200
    assert "Unsubscribe from all reminders</button>" in response.content.decode()
    participant.refresh_from_db()
    assert participant.wants_reminders is True


def test_a_tampered_token_is_refused(client, participant):
    other = UserFactory()
    token = unsubscribe_token(participant)
    forged = f"{other.pk}:{token.split(':', 1)[1]}"

    for bad in (forged, token[:-2] + "xx", "nonsense"):
        response = client.post(f"/reminders/unsubscribe/{bad}/")
        assert response.status_code == 400

    participant.refresh_from_db()
    other.refresh_from_db()
    assert participant.wants_reminders and other.wants_reminders


def test_the_preferences_page_turns_reminders_back_on(client, participant):
    client.post(f"/reminders/unsubscribe/{unsubscribe_token(participant)}/")
    client.force_login(participant)

    response = client.post("/portal/preferences/", {"wants_reminders": "on"}, follow=True)

    assert "Reminder emails are on." in response.content.decode()
    participant.refresh_from_db()
    assert participant.wants_reminders is True
    assert not Suppression.objects.filter(email=participant.email).exists()


def test_the_preferences_page_needs_sign_in(client):
    response = client.get("/portal/preferences/")

    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_reminder_says_there_will_be_a_gap_when_every_date_starts_after_expiry(als1):
    person = UserFactory()
    certification = expiring(als1, 30, participant=person)
    make_course_date(als1, starts_in_days=45, today=TODAY)
    scan(today=TODAY)

    _, text, html = email_for(person)

    gap_from = certification.expires_on + datetime.timedelta(days=1)
    assert f"you will not be certified from {gap_from:%-d %B %Y} until you complete the course" in text
    assert "There will be a gap:" in html


def test_a_reminder_with_a_date_in_time_announces_no_gap(als1):
    person = UserFactory()
    expiring(als1, 30, participant=person)
    make_course_date(als1, starts_in_days=20, today=TODAY)
    scan(today=TODAY)

    _, text, html = email_for(person)

    assert "gap" not in text and "gap" not in html
