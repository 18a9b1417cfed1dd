"""What administrators tune in Settings > Portal settings: first values from the environment, then the admin's, and
every rule that reads them."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learning.bookings.emails import send_result_email
from learning.bookings.services import BookingRefused, booking_cancel, booking_create
from learning.common.models import FROM_ENVIRONMENT, PortalSettings, portal_settings
from learning.models import Booking
from tests.factories import BookingFactory, UserFactory, make_course_date, set_portal_settings
from tests.learning.conftest import holding, today

SETTINGS_URL = "/admin/settings/learning/portalsettings/"


@pytest.fixture
def office(db):
    return UserFactory(email="office@example.org", is_staff=True, is_superuser=True)


def form_data(row, **changes):
    data = {field: getattr(row, field) for field in FROM_ENVIRONMENT}
    return {**data, **changes}


def test_a_fresh_install_takes_every_first_value_from_the_environment(db, settings):
    chosen = {
        "TRAINING_OFFICE_NAME": "Resus office",
        "TRAINING_OFFICE_EMAIL": "resus@trust.example",
        "TRAINING_OFFICE_PHONE": "0113 496 0000",
        "TRAINING_OFFICE_ADDRESS": "1 Infirmary Street\nLeeds",
        "TRAINING_OFFICE_HOURS": "Weekdays 8 to 4",
        "CERTIFICATION_EXPIRING_DAYS": 61,
        "MATERIALS_GRACE_DAYS": 14,
        "BOOKING_CANCELLATION_CUTOFF_DAYS": 3,
        "VERIFY_RATE_PER_MINUTE": 9,
        "CE_MAX_CREDITS_PER_ACTIVITY": 12,
        "MANAGER_DIGEST_DAYS": 14,
    }
    for name, value in chosen.items():
        setattr(settings, name, value)

    row = portal_settings()

    assert {name: getattr(row, field) for field, name in FROM_ENVIRONMENT.items()} == chosen
    assert PortalSettings.objects.count() == 1


def test_once_saved_the_admins_values_win_over_the_environment(db, settings):
    set_portal_settings(grace_days=5)
    settings.MATERIALS_GRACE_DAYS = 200

    assert portal_settings().grace_days == 5


def test_the_grace_period_decides_who_reads_an_expired_courses_materials(client, manual, als1):
    client.force_login(holding(als1, expired_days_ago=10))

    set_portal_settings(grace_days=30)
    assert client.get(manual.url).status_code == 200
    set_portal_settings(grace_days=9)
    assert client.get(manual.url).status_code == 403


def test_the_expiring_window_decides_the_status(db, als1):
    certification = holding(als1).certifications.get()  # expires in 300 days
    set_portal_settings(expiring_days=299)
    assert certification.status_on(today()) == "current"
    set_portal_settings(expiring_days=300)
    assert certification.status_on(today()) == "expiring"


def test_the_cancellation_cut_off_decides_whether_a_participant_may_cancel(db, als1):
    booking = booking_create(
        participant=UserFactory(), course_date=make_course_date(als1, starts_in_days=5), today=today()
    )
    set_portal_settings(cancellation_cutoff_days=6)
    with pytest.raises(BookingRefused, match="until"):
        booking_cancel(booking=booking, now=timezone.now())

    set_portal_settings(cancellation_cutoff_days=5)
    booking_cancel(booking=booking, now=timezone.now())
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_the_verification_rate_limits_look_ups(client, db):
    set_portal_settings(verify_rate_per_minute=2)
    statuses = [client.get(f"/verify/ALS2-2026-00000{n}/", REMOTE_ADDR="203.0.113.7").status_code for n in range(3)]

    assert statuses == [404, 404, 429]


def test_a_request_reads_the_settings_once_however_often_they_are_used(client, als1):
    person = holding(als1)
    booking_create(participant=person, course_date=make_course_date(als1, starts_in_days=20), today=today())
    for offset in range(1, 4):  # seats the office gave, past the one-seat-per-course rule of booking_create
        Booking.objects.create(
            participant=person, course_date=make_course_date(als1, starts_in_days=20 + offset), status="confirmed"
        )
    client.force_login(person)
    portal_settings()  # a fresh install's first read creates the row

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/portal/").status_code == 200

    # The access check's one statement reads the grace period with the rest of its facts (learning.materials.facts);
    # no other statement reads the settings' row but the one.
    reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "learning_portalsettings"')]
    assert len(reads) == 1


def test_administrators_change_the_settings_in_the_admin(client, office):
    client.force_login(office)
    row = portal_settings()
    url = client.get(SETTINGS_URL).url  # Wagtail's settings menu opens the one row's form

    assert client.get(url).status_code == 200
    response = client.post(url, form_data(row, grace_days=45, office_phone="0113 496 0001"))

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.grace_days, row.office_phone) == (45, "0113 496 0001")


def test_an_impossible_value_is_refused_on_its_field_and_nothing_changes(client, office):
    client.force_login(office)
    row = set_portal_settings(grace_days=90)

    response = client.post(f"{SETTINGS_URL}{row.pk}/", form_data(row, grace_days=99999, office_email="not an address"))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"grace_days", "office_email"}
    row.refresh_from_db()
    assert row.grace_days == 90


def test_participants_cannot_open_the_settings(client, db):
    client.force_login(UserFactory())

    assert client.get(SETTINGS_URL).status_code == 302  # to the admin's sign-in, as for every admin page


@pytest.fixture
def office_details(db):
    return set_portal_settings(office_email="resus.training@trust.example", office_phone="0113 496 0000")


def test_the_refusal_page_says_how_to_reach_the_training_office(client, office_details, manual):
    client.force_login(UserFactory())

    html = client.get(manual.url).content.decode()

    assert 'href="/contact/"' in html


def test_a_failed_result_email_gives_the_office_address_for_a_resit(office_details, als2):
    course_date = make_course_date(als2, starts_in_days=-2)
    booking = BookingFactory(participant=UserFactory(), course_date=course_date, status=Booking.CONFIRMED)
    Booking.objects.filter(pk=booking.pk).update(attendance_percent=100, exam_score=60)  # ALS2 asks for 85

    assert send_result_email(booking.pk)

    (message,) = mail.outbox
    assert "about a resit" in message.body
    assert "resus.training@trust.example" in message.body
    assert "resus.training@trust.example" in message.alternatives[0][0]
