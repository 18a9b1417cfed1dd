"""The participant's continuing-education form refuses what cannot be an activity, on its field, and a second
sending of the same one; nothing is added either way."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from learning.models import ContinuingEducationActivity
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORM = "/portal/continuing-education/new/"


def activity(**changes) -> dict:
    data = {
        "title": "Sepsis simulation",
        "provider": "City Hospital",
        "completed_on": timezone.localdate().isoformat(),
        "credits": "2.5",
        "evidence": SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 evidence", content_type="application/pdf"),
    }
    return {**data, **changes}


@pytest.fixture
def signed_in(client):
    client.force_login(UserFactory())
    return client


def test_the_same_activity_sent_twice_is_added_once_and_the_second_says_so(signed_in):
    first = signed_in.post(FORM, activity())
    second = signed_in.post(FORM, activity(title="sepsis SIMULATION"))

    assert first.status_code == 302
    assert second.status_code == 200
    assert "You submitted this activity already" in second.content.decode()
    assert ContinuingEducationActivity.objects.count() == 1


def test_an_activity_rejected_before_may_be_sent_again(signed_in):
    signed_in.post(FORM, activity())
    ContinuingEducationActivity.objects.update(status=ContinuingEducationActivity.REJECTED)

    assert signed_in.post(FORM, activity()).status_code == 302
    assert ContinuingEducationActivity.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"completed_on": "0001-01-01"}, "completed_on", "more than 10 years ago"),
        (
            {"completed_on": (timezone.localdate() - datetime.timedelta(days=3700)).isoformat()},
            "completed_on",
            "more than 10 years ago",
        ),
        ({"evidence": SimpleUploadedFile(".pdf", b"%PDF-1.4")}, "evidence", "with a name before its"),
        ({"evidence": SimpleUploadedFile("notes.docx", b"PK")}, "evidence", "Upload a PDF, PNG or JPEG file"),
    ],
)
def test_what_cannot_be_an_activity_is_refused_on_its_field(signed_in, changes, field, says):
    response = signed_in.post(FORM, activity(**changes))

    assert response.status_code == 200
    assert says in " ".join(response.context["form"].errors[field])
    assert not ContinuingEducationActivity.objects.exists()


def test_an_activity_of_nine_years_ago_is_taken(signed_in):
    nine_years = (timezone.localdate() - datetime.timedelta(days=9 * 365)).isoformat()

    assert signed_in.post(FORM, activity(completed_on=nine_years)).status_code == 302


def test_the_same_activity_sent_twice_at_once_is_added_once(committed_db):
    from django.core.exceptions import ValidationError
    from django.db import connection

    from learning.continuing_education.services import ce_submit
    from tests.conftest import at_once, require

    require(connection.vendor == "postgresql", "concurrent submissions are tested on PostgreSQL (DATABASE_URL)")
    person = UserFactory()
    details = {
        "title": "Sepsis simulation",
        "provider": "City Hospital",
        "completed_on": timezone.localdate(),
        "credits": Decimal("2.5"),
    }

    _, errors = at_once(*(lambda: ce_submit(participant=person, **details) for _ in range(3)))

    assert ContinuingEducationActivity.objects.filter(participant=person).count() == 1
    assert len(errors) == 2 and all(isinstance(error, ValidationError) for error in errors)
