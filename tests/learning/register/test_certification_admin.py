"""The certifications' admin edits through the register's services: issuing generates the number as the services
do, and revoking records when and why through certification_revoke, with the reason required; a renewal is never
typed into the form."""

import pytest

from learning.models import Certification
from tests.factories import CertificationFactory

pytestmark = pytest.mark.django_db


def edit_data(certification, **changes):
    data = {
        "participant": certification.participant_id,
        "course": certification.course_id,
        "number": certification.number,
        "issued_on": certification.issued_on.isoformat(),
        "expires_on": certification.expires_on.isoformat(),
    }
    return {**data, **changes}


def test_revoking_in_the_admin_records_the_moment_and_the_reason(admin_client):
    certification = CertificationFactory()

    response = admin_client.post(
        f"/admin/certifications/edit/{certification.pk}/",
        edit_data(certification, revoke="on", revocation_reason="Issued in error"),
    )

    assert response.status_code == 302
    certification.refresh_from_db()
    assert certification.revoked_at is not None
    assert certification.revoked_reason == "Issued in error"


def test_revoking_without_a_reason_is_refused_on_the_reason_field_and_changes_nothing(admin_client):
    certification = CertificationFactory()

    response = admin_client.post(
        f"/admin/certifications/edit/{certification.pk}/", edit_data(certification, revoke="on")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["revocation_reason"] == ["A revocation needs a reason."]
    certification.refresh_from_db()
    assert certification.revoked_at is None


def test_an_edit_without_revoking_leaves_the_certification_in_force(admin_client):
    certification = CertificationFactory()

    response = admin_client.post(
        f"/admin/certifications/edit/{certification.pk}/", edit_data(certification, number="NEW-REF-1")
    )

    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.number, certification.revoked_at) == ("NEW-REF-1", None)


def test_the_forms_offer_no_field_for_the_renewal_or_the_revocation_moment(admin_client):
    certification = CertificationFactory()

    for url in ("/admin/certifications/new/", f"/admin/certifications/edit/{certification.pk}/"):
        fields = admin_client.get(url).context["form"].fields
        assert not {"renewed_by", "revoked_at"} & set(fields)


def test_issuing_offers_no_revocation(admin_client):
    fields = admin_client.get("/admin/certifications/new/").context["form"].fields
    assert "revoke" not in fields
    assert not Certification.objects.exists()


def test_a_certification_can_be_inspected_without_opening_its_form(admin_client):
    certification = CertificationFactory()

    response = admin_client.get(f"/admin/certifications/inspect/{certification.pk}/")

    assert response.status_code == 200
    assert certification.number in response.content.decode()


def test_adding_a_later_certification_in_the_admin_renews_the_earlier_one(admin_client):
    import datetime

    earlier = CertificationFactory()
    issued_on = earlier.expires_on - datetime.timedelta(days=20)
    data = {
        "participant": earlier.participant_id,
        "course": earlier.course_id,
        "number": "",
        "issued_on": issued_on.isoformat(),
        "expires_on": "",
    }

    assert admin_client.post("/admin/certifications/new/", data).status_code == 302

    renewal = Certification.objects.exclude(pk=earlier.pk).get()
    earlier.refresh_from_db()
    assert earlier.renewed_by == renewal
    assert renewal.issued_on == issued_on


def test_a_first_certification_added_in_the_admin_renews_nothing(admin_client):
    other_course = CertificationFactory()
    person = other_course.participant
    from tests.factories import CoursePageFactory

    course = CoursePageFactory()
    data = {"participant": person.pk, "course": course.pk, "number": "", "issued_on": "2026-03-02", "expires_on": ""}

    assert admin_client.post("/admin/certifications/new/", data).status_code == 302

    other_course.refresh_from_db()
    assert other_course.renewed_by is None


@pytest.mark.parametrize(
    ("issued_on", "expires_on", "field", "message"),
    [
        (
            "9999-12-01",
            "",
            "issued_on",
            "01/12/9999 is outside the dates the register takes (01/01/1950 to 31/12/2100).",
        ),
        ("0026-01-10", "", "issued_on", "10/01/0026 is outside the dates the register takes"),
        ("2026-01-10", "9999-12-31", "expires_on", "31/12/9999 is outside the dates the register takes"),
        ("2099-06-01", "", "expires_on", "is valid 24 months from 01/06/2099, which ends after 31/12/2100"),
    ],
)
def test_the_admin_form_takes_only_the_dates_the_import_takes(admin_client, issued_on, expires_on, field, message):
    from tests.factories import CoursePageFactory, UserFactory

    data = {
        "participant": UserFactory().pk,
        "course": CoursePageFactory(validity_months=24).pk,
        "number": "",
        "issued_on": issued_on,
        "expires_on": expires_on,
    }

    response = admin_client.post("/admin/certifications/new/", data)

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Certification.objects.exists()


def test_an_edit_cannot_move_a_certification_to_another_holder_or_course(admin_client, als2):
    from tests.factories import UserFactory

    certification = CertificationFactory()
    holder, course = certification.participant_id, certification.course_id
    someone_else = UserFactory()

    form = admin_client.get(f"/admin/certifications/edit/{certification.pk}/").content.decode()
    response = admin_client.post(
        f"/admin/certifications/edit/{certification.pk}/",
        edit_data(certification, participant=someone_else.pk, course=als2.pk),
    )

    assert "to correct either, revoke it (saying why) and issue a new one" in form
    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.participant_id, certification.course_id) == (holder, course)
