"""The training office reviews continuing education: a page that only shows an activity, decisions stamped and
emailed through the service, the evidence linked, credits bounded by the portal settings."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from learning.models import ContinuingEducationActivity
from tests.factories import ContinuingEducationActivityFactory, UserFactory, set_portal_settings

pytestmark = pytest.mark.django_db


def test_an_activity_can_be_inspected_without_opening_its_form(admin_client):
    activity = ContinuingEducationActivityFactory(title="Sepsis study day")

    response = admin_client.get(f"/admin/continuing_education/inspect/{activity.pk}/")

    assert response.status_code == 200
    assert "Sepsis study day" in response.content.decode()


def edit(admin_client, activity, **changes):
    data = {
        "participant": activity.participant_id,
        "title": activity.title,
        "provider": activity.provider,
        "completed_on": activity.completed_on.isoformat(),
        "credits": str(activity.credits),
        "decision": activity.status,
        "note": activity.review_note,
        **changes,
    }
    return admin_client.post(f"/admin/continuing_education/edit/{activity.pk}/", data)


def test_approving_in_the_admin_stamps_the_decision_and_emails_the_participant(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    activity = ContinuingEducationActivityFactory(title="Sepsis study day", credits=Decimal("2.5"))

    with django_capture_on_commit_callbacks(execute=True):
        assert edit(admin_client, activity, decision="approved").status_code == 302

    activity.refresh_from_db()
    assert (activity.status, activity.reviewed_by) == ("approved", admin_user)
    assert activity.reviewed_at is not None
    (message,) = mail.outbox
    assert message.to == [activity.participant.email]
    assert message.subject == "Continuing education approved: Sepsis study day"
    assert "2.5 credits now count toward" in message.body


def test_a_rejection_needs_a_note_which_the_participant_reads(admin_client, django_capture_on_commit_callbacks):
    activity = ContinuingEducationActivityFactory()

    refused = edit(admin_client, activity, decision="rejected", note="")
    assert refused.status_code == 200
    assert refused.context["form"].errors["note"] == ["Say why it is rejected: the participant reads this note."]
    activity.refresh_from_db()
    assert activity.status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        edit(admin_client, activity, decision="rejected", note="The certificate has no date.")
    (message,) = mail.outbox
    assert "not approved" in message.subject
    assert "The certificate has no date." in message.body


def test_saving_the_same_decision_again_sends_nothing_and_keeps_who_decided(
    admin_client, django_capture_on_commit_callbacks
):
    decided = timezone.now() - datetime.timedelta(days=3)
    first_reviewer = UserFactory(is_staff=True)
    activity = ContinuingEducationActivityFactory(status="approved", reviewed_by=first_reviewer, reviewed_at=decided)

    with django_capture_on_commit_callbacks(execute=True):
        edit(admin_client, activity, title="Sepsis study day (morning)", note="Certificate seen.")

    activity.refresh_from_db()
    assert (activity.title, activity.review_note) == ("Sepsis study day (morning)", "Certificate seen.")
    assert (activity.reviewed_by, activity.reviewed_at) == (first_reviewer, decided)
    assert mail.outbox == []


def test_the_decision_email_leaves_the_request(admin_client):
    activity = ContinuingEducationActivityFactory()

    with mock.patch("learning.continuing_education.services.send_ce_decision_task.delay_on_commit") as queued:
        edit(admin_client, activity, decision="approved")

    queued.assert_called_once_with(activity.pk)
    assert mail.outbox == []


def test_the_review_screen_links_the_evidence(admin_client):
    activity = ContinuingEducationActivityFactory(evidence=ContentFile(b"%PDF-1.4 x", name="certificate.pdf"))

    html = admin_client.get(f"/admin/continuing_education/edit/{activity.pk}/").content.decode()

    assert f'href="/admin/continuing-education/{activity.pk}/evidence/"' in html


def test_an_activity_an_administrator_records_is_approved_at_once_with_its_reviewer(admin_client, admin_user):
    person = UserFactory()
    data = {"participant": person.pk, "title": "ALS instructor day", "provider": "Trust", "credits": "3"}

    response = admin_client.post("/admin/continuing_education/new/", {**data, "completed_on": "2026-01-05"})

    assert response.status_code == 302
    activity = ContinuingEducationActivity.objects.get(participant=person)
    assert (activity.status, activity.reviewed_by) == ("approved", admin_user)


@pytest.mark.parametrize("credits", ["50.5", "500"])
def test_credits_above_the_settings_bound_are_refused_on_the_field(admin_client, client, credits):
    set_portal_settings(ce_max_credits=Decimal("50"))
    person = UserFactory()
    data = {"participant": person.pk, "title": "Typo", "provider": "Trust", "credits": credits}

    response = admin_client.post("/admin/continuing_education/new/", {**data, "completed_on": "2026-01-05"})
    client.force_login(person)
    evidence = SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    submitted = client.post(
        "/portal/continuing-education/new/", {**data, "completed_on": "2026-01-05", "evidence": evidence}
    )

    message = "One activity counts for at most 50 credits; ask the training office about more."
    assert response.context["form"].errors["credits"] == [message]
    assert submitted.context["form"].errors["credits"] == [message]
    assert not ContinuingEducationActivity.objects.exists()
