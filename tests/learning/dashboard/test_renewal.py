"""Renewal that fits: My portal says when every bookable date starts after a certification expires (a gap, and from
when), stops offering "Renew" once a renewal is booked, shows a waiting-list place, and lets a participant leave a
waiting list, cancel after confirming, and add a booking to their calendar."""

import datetime

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from learning.bookings.selectors import renewal_gap, waiting_positions
from learning.bookings.services import booking_create
from learning.models import Booking
from learning.register.services import add_months
from tests.factories import CertificationFactory, UserFactory, make_course_date

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def expiring_in(person, course, days):
    expires_on = today() + datetime.timedelta(days=days)
    return CertificationFactory(
        participant=person, course=course, issued_on=add_months(expires_on, -24), expires_on=expires_on
    )


def book(person, course_date):
    return booking_create(participant=person, course_date=course_date, today=today())


def notice(client) -> str:
    return client.get("/portal/").content.decode()


def test_the_gap_starts_the_day_after_expiry_only_when_the_course_starts_later():
    expires = datetime.date(2027, 3, 10)

    assert renewal_gap(expires_on=expires, starts_on=datetime.date(2027, 3, 10)) is None
    assert renewal_gap(expires_on=expires, starts_on=datetime.date(2027, 3, 11)) == datetime.date(2027, 3, 11)


def portal_of_someone_expiring_in(client, als1, *, expires_in: int, course_in: int):
    person = UserFactory()
    certification = expiring_in(person, als1, expires_in)
    course_date = make_course_date(als1, starts_in_days=course_in)
    client.force_login(person)
    return certification, course_date, notice(client)


def test_my_portal_warns_of_a_gap_when_every_date_with_seats_starts_after_expiry(client, als1):
    certification, _, html = portal_of_someone_expiring_in(client, als1, expires_in=20, course_in=45)

    gap_from = certification.expires_on + datetime.timedelta(days=1)
    assert 'data-testid="renewal-gap"' in html
    assert f"you will not be certified from {gap_from:%-d %B %Y} until you complete it" in html


def test_no_gap_is_announced_when_a_date_starts_in_time(client, als1):
    _, course_date, html = portal_of_someone_expiring_in(client, als1, expires_in=40, course_in=20)

    assert 'data-testid="renewal-gap"' not in html
    assert f"the next date with seats starts on {course_date.starts_on:%-d %B %Y}" in html


def test_renew_disappears_once_a_renewal_is_booked(client, als1):
    person = UserFactory()
    expiring_in(person, als1, 40)
    course_date = make_course_date(als1, starts_in_days=20)
    client.force_login(person)
    assert ">Renew</a>" in notice(client)

    book(person, course_date)

    html = notice(client)
    assert ">Renew</a>" not in html
    assert f"You are booked on {course_date.starts_on:%-d %B %Y}." in html


def test_with_two_seats_the_renewal_named_is_the_first(client, als1):
    # Held before the one-seat-per-course rule, or given by the office: the first date renews.
    person = UserFactory()
    expiring_in(person, als1, 40)
    first, later = make_course_date(als1, starts_in_days=20), make_course_date(als1, starts_in_days=60)
    for course_date in (later, first):
        Booking.objects.create(course_date=course_date, participant=person, status="confirmed")
    client.force_login(person)

    html = notice(client)

    assert f"You are booked on {first.starts_on:%-d %B %Y}." in html


def test_the_waiting_list_shows_each_persons_place(client, als1):
    course_date = make_course_date(als1, instructors=1)  # 6 seats
    for _ in range(6):
        book(UserFactory(), course_date)
    first, second = UserFactory(), UserFactory()
    waiting = [book(first, course_date), book(second, course_date)]
    client.force_login(second)

    html = notice(client)

    assert waiting_positions(waiting) == {waiting[0].pk: 1, waiting[1].pk: 2}
    assert "On the waiting list: number 2" in html
    assert "Leave the waiting list" in html
    assert "Cancel booking" not in html


def test_leaving_the_waiting_list_is_allowed_after_the_cut_off_and_says_so(
    client, als1, django_capture_on_commit_callbacks
):
    course_date = make_course_date(als1, instructors=1, starts_in_days=2)
    for _ in range(6):
        book(UserFactory(), course_date)
    person = UserFactory()
    waiting = book(person, course_date)
    client.force_login(person)

    confirm = client.get(f"/portal/bookings/{waiting.pk}/cancel/").content.decode()
    assert "Leave the waiting list?" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/portal/bookings/{waiting.pk}/cancel/")

    waiting.refresh_from_db()
    assert waiting.status == Booking.CANCELLED
    assert mail.outbox[-1].subject.startswith("Left the waiting list: ALS1")


def test_cancelling_asks_first_and_a_get_changes_nothing(client, als1):
    person = UserFactory()
    booking = book(person, make_course_date(als1, starts_in_days=30))
    client.force_login(person)

    page = client.get(f"/portal/bookings/{booking.pk}/cancel/")

    assert "Cancel your booking?" in page.content.decode()
    assert "Your seat is freed for someone else to book" in page.content.decode()  # nobody is waiting
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED


def test_the_cancel_page_says_the_seat_goes_to_the_waiting_list_only_when_someone_waits(client, als1):
    course_date = make_course_date(als1, instructors=1, starts_in_days=30)
    person = UserFactory()
    booking = book(person, course_date)
    for _ in range(6):
        book(UserFactory(), course_date)  # the last one waits
    client.force_login(person)

    page = client.get(f"/portal/bookings/{booking.pk}/cancel/").content.decode()

    assert "Your seat goes to the first person on the waiting list" in page


def test_cancelling_twice_says_it_is_cancelled_already_and_emails_once(
    client, als1, django_capture_on_commit_callbacks
):
    person = UserFactory()
    booking = book(person, make_course_date(als1, starts_in_days=30))
    client.force_login(person)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/portal/bookings/{booking.pk}/cancel/")
        again = client.post(f"/portal/bookings/{booking.pk}/cancel/", follow=True)

    assert again.status_code == 200 and again.redirect_chain[-1][0] == "/portal/"
    assert "is cancelled already" in again.content.decode()
    assert len(mail.outbox) == 1
    assert client.get(f"/portal/bookings/{booking.pk}/cancel/").status_code == 302
    client.force_login(UserFactory())
    assert client.post(f"/portal/bookings/{booking.pk}/cancel/").status_code == 404  # someone else's stays unknown


def test_the_cancellation_email_removes_the_event_from_the_calendar(als1, django_capture_on_commit_callbacks):
    from learning.bookings.services import booking_cancel

    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(person, make_course_date(als1, starts_in_days=30))
        booking_cancel(booking=booking, now=timezone.now())

    confirmation, cancellation = mail.outbox
    invite = icalendar.Calendar.from_ical(confirmation.attachments[0][1])
    cancel = icalendar.Calendar.from_ical(cancellation.attachments[0][1])
    (invited,), (cancelled,) = invite.walk("VEVENT"), cancel.walk("VEVENT")
    assert str(cancel["METHOD"]) == "CANCEL"
    assert str(cancelled["UID"]) == str(invited["UID"])
    assert int(cancelled["SEQUENCE"]) > int(invited["SEQUENCE"])
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "method=CANCEL" in cancellation.attachments[0][2]


def test_a_confirmed_booking_can_be_added_to_a_calendar_from_my_portal(client, als1):
    person, other = UserFactory(), UserFactory()
    booking = book(person, make_course_date(als1, starts_in_days=30))

    client.force_login(other)
    assert client.get(f"/portal/bookings/{booking.pk}/calendar.ics").status_code == 404
    client.force_login(person)
    response = client.get(f"/portal/bookings/{booking.pk}/calendar.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert event["DTSTART"].dt.date() == booking.course_date.starts_on


def test_the_booking_page_warns_of_the_gap_a_late_date_leaves(client, als1):
    person = UserFactory()
    certification = expiring_in(person, als1, 10)
    late, early = make_course_date(als1, starts_in_days=30), make_course_date(als1, starts_in_days=5)
    client.force_login(person)

    warned = client.get(f"/portal/book/{late.pk}/").content.decode()
    in_time = client.get(f"/portal/book/{early.pk}/").content.decode()

    gap_from = certification.expires_on + datetime.timedelta(days=1)
    assert f"you will not be certified from {gap_from:%-d %B %Y}" in warned
    assert 'data-testid="renewal-gap"' not in in_time


# --- My record -----------------------------------------------------------------------------------------------


def test_my_record_lists_renewed_and_revoked_certifications_with_the_credits_of_each_period(client, als1):
    from decimal import Decimal

    from learning.register.services import certification_revoke
    from tests.factories import ContinuingEducationActivityFactory

    als1.ce_credits_required = Decimal("8")
    als1.save_revision().publish()
    person = UserFactory()
    old = CertificationFactory(
        participant=person,
        course=als1,
        issued_on=today() - datetime.timedelta(days=900),
        expires_on=today() - datetime.timedelta(days=170),
    )
    new = expiring_in(person, als1, 560)
    old.renewed_by = new
    old.save(update_fields=["renewed_by"])
    revoked = expiring_in(person, als1, 100)
    certification_revoke(certification=revoked, reason="Issued in error", now=timezone.now())
    for days_ago, credits in ((400, 5), (300, 4), (10, 2)):
        ContinuingEducationActivityFactory(
            participant=person,
            completed_on=today() - datetime.timedelta(days=days_ago),
            credits=credits,
            status="approved",
        )
    client.force_login(person)

    html = client.get("/portal/").content.decode()

    record = html.split('data-testid="history"', 1)[1]
    assert f'data-testid="history-{old.number}"' in record
    assert f"by {new.number}" in record
    assert "9 of 8 (met)" in record  # 5 + 4 credits fell in the old period
    assert f'data-testid="history-{revoked.number}"' in record
    assert f'data-testid="certification-{new.number}"' in html.split('data-testid="history"', 1)[0]
    assert "2 of 8 CE credits this period" in html


def test_one_credit_is_said_in_the_singular(client):
    from tests.factories import ContinuingEducationActivityFactory

    person = UserFactory()
    ContinuingEducationActivityFactory(participant=person, credits=1, title="Sepsis update")
    client.force_login(person)

    assert "<strong>Sepsis update</strong> (Hospital education team) · 1 credit</span>" in notice(client)
