"""ESP tracking webhooks (anymail, Postmark's format) and the reminder admin screens."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from reminders.models import Reminder, Suppression, TrackingEvent
from reminders.scan import scan
from tests.factories import UserFactory
from tests.reminders.conftest import SECRET, TODAY, at, bounce, expiring, post

pytestmark = pytest.mark.django_db


def sent_reminder(course, message_id="pm-123", email="ann@example.org", today=TODAY):
    certification = expiring(course, 30, participant=UserFactory(email=email), today=today)
    scan(today=today)
    reminder = certification.reminders.get()
    Reminder.objects.filter(pk=reminder.pk).update(status="sent", message_id=message_id, sent_at=at(today))
    return reminder


def test_a_signed_bounce_marks_the_reminder_and_suppresses_the_address(client, webhook_secret, processed, als1):
    reminder = sent_reminder(als1)

    response = processed(client, bounce())

    assert response.status_code == 200
    reminder.refresh_from_db()
    assert reminder.status == "bounced"
    assert Suppression.objects.get(email="ann@example.org").reason == "bounced"


def test_an_unsigned_webhook_is_refused(client, webhook_secret, processed, als1):
    reminder = sent_reminder(als1)

    assert processed(client, bounce(), auth=None).status_code == 400
    assert processed(client, bounce(), auth="tracker:wrong").status_code == 400
    reminder.refresh_from_db()
    assert reminder.status == "sent" and not Suppression.objects.exists()


@pytest.fixture
def no_webhook_secret(settings):
    settings.ANYMAIL = {name: value for name, value in settings.ANYMAIL.items() if name != "WEBHOOK_SECRET"}


@pytest.mark.parametrize("auth", [None, SECRET, "anyone:anything"], ids=["unsigned", "old-secret", "guessed"])
def test_with_no_secret_configured_every_post_is_refused_and_nothing_recorded(
    client, no_webhook_secret, processed, als1, auth
):
    reminder = sent_reminder(als1)

    response = processed(client, bounce(), auth=auth)

    assert response.status_code == 400
    reminder.refresh_from_db()
    assert reminder.status == "sent"
    assert not Suppression.objects.exists()
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("esp", ["mailgun", "sendgrid", "amazon_ses", "brevo"])
def test_with_no_secret_configured_every_esp_webhook_refuses_posts(client, no_webhook_secret, esp):
    response = client.post(f"/anymail/{esp}/tracking/", "{}", content_type="application/json")

    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()


def test_an_event_seen_before_is_ignored(client, webhook_secret, processed, als1):
    reminder = sent_reminder(als1)
    delivered = {
        "RecordType": "Delivery",
        "ID": 777,
        "MessageID": "pm-123",
        "Recipient": "ann@example.org",
        "DeliveredAt": "2026-11-21T07:01:00Z",
        "Details": "",
        "MessageStream": "outbound",
    }
    processed(client, delivered)
    processed(client, bounce(event_id=778))
    processed(client, delivered)  # the ESP redelivers the delivery event

    reminder.refresh_from_db()
    assert reminder.status == "bounced"
    assert TrackingEvent.objects.count() == 2


def test_a_spam_complaint_suppresses_and_a_soft_bounce_does_not(client, webhook_secret, processed, als1):
    complained = sent_reminder(als1, "pm-1", "one@example.org")
    soft = sent_reminder(als1, "pm-2", "two@example.org")
    processed(
        client,
        {
            "RecordType": "SpamComplaint",
            "ID": 1,
            "Type": "SpamComplaint",
            "MessageID": "pm-1",
            "Email": "one@example.org",
            "BouncedAt": "2026-11-21T08:00:00Z",
            "MessageStream": "outbound",
        },
    )
    processed(client, bounce(event_id=2, message_id="pm-2", email="two@example.org", kind="SoftBounce"))

    complained.refresh_from_db()
    soft.refresh_from_db()
    assert complained.status == "complained"
    assert soft.status == "sent"
    assert list(Suppression.objects.values_list("email", "reason")) == [("one@example.org", "complained")]


def test_the_webhook_answers_fast_and_leaves_the_work_to_a_task(
    client, webhook_secret, als1, django_capture_on_commit_callbacks
):
    from unittest import mock

    reminder = sent_reminder(als1)
    with (
        mock.patch("reminders.tasks.process_tracking_event.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(client, bounce())

    assert response.status_code == 200
    assert delay.call_count == 1
    reminder.refresh_from_db()
    assert reminder.status == "sent"  # not yet: the task does it


# --- Admin ----------------------------------------------------------------------------------------------


def test_the_outbox_filters_shows_the_email_and_requeues_failed_ones(
    admin_client, als1, django_capture_on_commit_callbacks
):
    from unittest import mock

    failed = sent_reminder(als1, "pm-9")
    Reminder.objects.filter(pk=failed.pk).update(status="failed", sent_at=None, last_error="AnymailRecipientsRefused")
    other = sent_reminder(als1, "pm-10", "bob@example.org")

    listing = admin_client.get("/admin/reminders/?status=failed").content.decode()
    email = admin_client.get(f"/admin/reminders/{failed.pk}/email/").content.decode()
    with (
        mock.patch("reminders.tasks.send_participant_reminders.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        admin_client.post(f"/admin/reminders/{failed.pk}/requeue/")

    assert failed.certification.number in listing and other.certification.number not in listing
    assert "Your ALS1 certification expires in 30 days" in email and "List-Unsubscribe" in email
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    delay.assert_called_once_with(failed.certification.participant_id)


def test_the_outbox_and_the_digests_are_read_not_written_in_the_admin(admin_client, als1):
    sent = sent_reminder(als1, "pm-11")

    listing = admin_client.get("/admin/reminders/").content.decode()
    inspect = admin_client.get(f"/admin/reminders/inspect/{sent.pk}/")
    attempts = {
        "add reminder": admin_client.post("/admin/reminders/new/", {"status": "pending"}),
        "edit reminder": admin_client.post(f"/admin/reminders/edit/{sent.pk}/", {"status": "pending"}),
        "delete reminder": admin_client.post(f"/admin/reminders/delete/{sent.pk}/"),
        "add digest": admin_client.post("/admin/manager_digests/new/", {"status": "pending"}),
    }

    assert "/admin/reminders/new/" not in listing and f"/admin/reminders/edit/{sent.pk}/" not in listing
    assert inspect.status_code == 200 and sent.certification.number in inspect.content.decode()
    assert {what: response.status_code for what, response in attempts.items()} == dict.fromkeys(attempts, 302)
    assert all(response.url == "/admin/" for response in attempts.values())  # Wagtail's "no permission"
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_the_outbox_shows_a_sent_email_as_it_went_out_on_its_day_with_the_reminders_it_covered(
    admin_client, als1, als2, mailoutbox
):
    from reminders.delivery import deliver_to_participant

    person = UserFactory(email="two@example.org")
    first = expiring(als1, 30, participant=person)
    expiring(als2, 7, participant=person)
    scan(today=TODAY)
    deliver_to_participant(person.pk, today=TODAY, now=at(TODAY))
    sent = mailoutbox[0]

    page = admin_client.get(f"/admin/reminders/{first.reminders.get().pk}/email/").content.decode()

    assert sent.subject == "2 of your certifications need renewing"
    assert f'data-testid="subject">{sent.subject}<' in page
    assert "in 30 days" in page and "in 7 days" in page  # each certification's days left on the day it was sent


def test_the_outbox_preview_frame_holds_the_whole_html_body(admin_client, als1):
    reminder = sent_reminder(als1)

    page = admin_client.get(f"/admin/reminders/{reminder.pk}/email/").content.decode()

    srcdoc = page.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert srcdoc.startswith("&lt;") and "&lt;/html&gt;" in srcdoc  # escaped, so the attribute is not cut short
    assert "in 30 days" in srcdoc


def test_the_dashboard_panel_counts_the_last_30_days(admin_client, als1):
    # The panel looks back from the real today: the data is made for it.
    today = timezone.localdate()
    sent_reminder(als1, "pm-1", "a@example.org", today=today)
    delivered = sent_reminder(als1, "pm-2", "b@example.org", today=today)
    Reminder.objects.filter(pk=delivered.pk).update(status="delivered")

    html = admin_client.get("/admin/").content.decode()

    assert 'data-testid="reminders-delivered">1<' in html
    assert "Reminders in the last 30 days" in html


def test_suppressions_are_listed_and_removable(admin_client):
    suppression = Suppression.objects.create(email="gone@example.org", reason="bounced")

    assert "gone@example.org" in admin_client.get("/admin/suppressions/").content.decode()
    admin_client.post(f"/admin/suppressions/delete/{suppression.pk}/")

    assert not Suppression.objects.exists()


def test_stages_are_editable_by_administrators(admin_client):
    html = admin_client.get("/admin/reminder_stages/").content.decode()

    for name in (
        "90 days before",
        "60 days before",
        "30 days before",
        "7 days before",
        "On the expiry day",
        "30 days after (lapsed)",
    ):
        assert name in html


def test_send_reminders_dry_run_prints_and_writes_nothing(als1, capsys):
    expiring(als1, 30, participant=UserFactory(email="dry@example.org"))

    call_command("send_reminders", "--today", TODAY.isoformat(), "--dry-run")

    output = capsys.readouterr().out
    assert 'dry@example.org: "Your ALS1 certification expires in 30 days"' in output
    assert "nothing was written" in output
    assert not Reminder.objects.exists()


def test_send_reminders_sends_once(als1, mailoutbox):
    expiring(als1, 30, participant=UserFactory(email="now@example.org"))

    call_command("send_reminders", "--today", TODAY.isoformat())
    call_command("send_reminders", "--today", TODAY.isoformat())

    assert [message.to for message in mailoutbox] == [["now@example.org"]]
    assert Reminder.objects.get().status == "sent"


def test_the_reminder_screens_are_grouped_under_one_menu(admin_user):
    from wagtail.admin.menu import admin_menu

    from tests.learning.dashboard.test_admin_menu import items

    top_level = items(admin_menu, admin_user)
    [reminders] = [item for item in top_level if item.label == "Reminders"]

    screens = ["Reminder outbox", "Manager digests", "Reminder stages", "Suppressed addresses"]
    assert [item.label for item in items(reminders.menu, admin_user)] == screens
    assert not set(screens) & {item.label for item in top_level}
