"""Booking course dates: seats, the waiting list and its promotion, prerequisites for the first day, the
cancellation cut-off, concurrent bookings, the .ics invitation, results and certifications, and CE credits."""

import datetime
from decimal import Decimal

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from learning.bookings.calendar import booking_ics, booking_uid
from learning.bookings.models import cancellation_deadline
from learning.bookings.services import (
    BookingRefused,
    ResultsRefused,
    booking_cancel,
    booking_create,
    issue_certifications,
    issue_plan,
    results_record,
)
from learning.common.words import long_date
from learning.models import Booking, Certification, ContinuingEducationActivity, CourseDate
from learning.register.models import RENEWED
from learning.register.services import add_months, certification_revoke
from tests.conftest import at_once, require
from tests.factories import CertificationFactory, UserFactory, make_course_date, set_portal_settings

pytestmark = pytest.mark.django_db


def moment_on(day: datetime.date) -> datetime.datetime:
    """Mid-morning of `day` in the provider's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def today():
    return timezone.localdate()


def with_als1(person, als1, valid_until):
    return CertificationFactory(
        participant=person, course=als1, issued_on=add_months(valid_until, -24), expires_on=valid_until
    )


def book(person, course_date, **kwargs):
    return booking_create(participant=person, course_date=course_date, today=today(), **kwargs)


# --- Seats and the waiting list -------------------------------------------------------------------------


def test_seats_are_instructors_times_the_course_maximum(als2):
    course_date = make_course_date(als2, instructors=2)

    annotated = CourseDate.objects.with_seats().get(pk=course_date.pk)

    assert course_date.total_seats == annotated.seats == 12
    assert annotated.seats_left == 12


def test_bookings_fill_the_seats_then_the_waiting_list(als1, django_capture_on_commit_callbacks):
    course_date = make_course_date(als1, instructors=1)  # 6 seats
    people = [UserFactory() for _ in range(8)]

    with django_capture_on_commit_callbacks(execute=True):
        bookings = [book(person, course_date) for person in people]

    assert [b.status for b in bookings] == ["confirmed"] * 6 + ["waitlisted"] * 2
    assert CourseDate.objects.with_seats().get(pk=course_date.pk).seats_left == 0
    subjects = [message.subject for message in mail.outbox]
    assert subjects.count(f"Booked: ALS1 on {course_date.starts_on:%-d %B %Y}") == 6
    assert subjects.count(f"Waiting list: ALS1 on {course_date.starts_on:%-d %B %Y}") == 2


def test_a_cancellation_moves_the_first_on_the_waiting_list_in_and_emails_them(
    als1, django_capture_on_commit_callbacks
):
    course_date = make_course_date(als1, instructors=1)
    bookings = [book(UserFactory(), course_date) for _ in range(8)]
    first_waiting, second_waiting = bookings[6], bookings[7]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        promoted = booking_cancel(booking=bookings[2], now=timezone.now())

    assert promoted == first_waiting
    first_waiting.refresh_from_db()
    second_waiting.refresh_from_db()
    assert (first_waiting.status, second_waiting.status) == ("confirmed", "waitlisted")
    promoted_mail = next(m for m in mail.outbox if m.to == [first_waiting.participant.email])
    assert promoted_mail.subject.startswith("A place is free")
    assert promoted_mail.attachments[0][2].startswith("text/calendar")
    assert any(m.subject.startswith("Cancelled: ALS1") for m in mail.outbox)


def test_a_deactivated_account_on_the_waiting_list_is_passed_over_for_the_next(
    als1, django_capture_on_commit_callbacks
):
    course_date = make_course_date(als1, instructors=1)
    bookings = [book(UserFactory(), course_date) for _ in range(8)]
    gone, next_waiting = bookings[6], bookings[7]
    gone.participant.is_active = False
    gone.participant.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        promoted = booking_cancel(booking=bookings[0], now=timezone.now())

    gone.refresh_from_db()
    assert promoted == next_waiting and gone.status == "waitlisted"
    assert gone.participant.email not in [address for message in mail.outbox for address in message.to]


def test_one_seat_per_course_at_a_time_on_the_page_and_in_the_service(client, als1):
    first, second = make_course_date(als1, starts_in_days=20), make_course_date(als1, starts_in_days=50)
    person = UserFactory()
    book(person, first)
    client.force_login(person)

    page = client.get(f"/portal/book/{second.pk}/").content.decode()
    posted = client.post(f"/portal/book/{second.pk}/")

    reason = f"You already have a place on ALS1 on {long_date(first.starts_on)}."
    assert reason in page and "Confirm booking" not in page
    assert posted.status_code == 409 and reason in posted.content.decode()
    assert not Booking.objects.filter(course_date=second).exists()
    with pytest.raises(BookingRefused, match="cancel that booking on My portal first"):
        book(person, second)


def test_a_course_that_has_ended_does_not_stand_in_the_way_of_booking_it_again(als1):
    person = UserFactory()
    ended = make_course_date(als1, starts_in_days=-10)
    Booking.objects.create(course_date=ended, participant=person, status="confirmed")

    assert book(person, make_course_date(als1, starts_in_days=20)).status == "confirmed"


def test_someone_waiting_who_took_a_seat_on_another_date_is_passed_over(als1, django_capture_on_commit_callbacks):
    course_date, waiting = full_with_a_waiting_list(als1, 2)
    first_waiting, second_waiting = waiting
    book(first_waiting.participant, make_course_date(als1, starts_in_days=60))  # a seat elsewhere meanwhile

    promoted = booking_cancel(booking=Booking.objects.filter(course_date=course_date).first(), now=timezone.now())

    first_waiting.refresh_from_db()
    assert promoted == second_waiting and first_waiting.status == "waitlisted"


def test_my_portal_says_a_waiting_place_is_passed_over_while_a_seat_elsewhere_is_held(client, als1):
    _, waiting = full_with_a_waiting_list(als1, 1)
    person = waiting[0].participant
    seat = book(person, make_course_date(als1, starts_in_days=60))
    client.force_login(person)

    html = client.get("/portal/").content.decode()

    note = html.split(f'data-testid="held-elsewhere-{waiting[0].pk}"')[1].split("</span>")[0]
    assert f"while you hold your place on {seat.course_date.starts_on:%-d %b %Y}" in note


def test_cancelling_a_waiting_list_place_promotes_nobody(als1):
    course_date = make_course_date(als1, instructors=1)
    bookings = [book(UserFactory(), course_date) for _ in range(8)]

    assert booking_cancel(booking=bookings[7], now=timezone.now()) is None
    assert Booking.objects.filter(course_date=course_date, status="confirmed").count() == 6


def full_with_a_waiting_list(course, waiting: int):
    """A date of `course` with one instructor (6 seats), every seat taken and `waiting` on the waiting list."""
    course_date = make_course_date(course, instructors=1)
    bookings = [book(UserFactory(), course_date) for _ in range(6 + waiting)]
    return course_date, bookings[6:]


def edit_form(course_date, **changes) -> dict:
    """The course date's edit form as the admin posts it."""
    data = {
        "course": course_date.course_id,
        "starts_on": course_date.starts_on.isoformat(),
        "ends_on": course_date.ends_on.isoformat(),
        "daily_start": "08:30",
        "daily_end": "17:00",
        "venue": course_date.venue,
        "instructors": course_date.instructors,
        "booking_open": "on",
    }
    return {**data, **changes}


def test_seats_added_by_the_office_go_to_the_waiting_list_in_its_order(
    admin_client, als1, django_capture_on_commit_callbacks
):
    course_date, waiting = full_with_a_waiting_list(als1, waiting=8)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, instructors=2), follow=True
        )

    statuses = [Booking.objects.get(pk=booking.pk).status for booking in waiting]
    assert statuses == ["confirmed"] * 6 + ["waitlisted"] * 2
    assert "6 people from the waiting list moved into the new seats" in response.content.decode()
    promoted = sorted(message.to[0] for message in mail.outbox if message.subject.startswith("A place is free"))
    assert promoted == sorted(booking.participant.email for booking in waiting[:6])


@pytest.mark.parametrize("started_days_ago", [0, 20])
def test_nobody_moves_in_once_the_course_has_begun(admin_client, als1, started_days_ago):
    course_date, waiting = full_with_a_waiting_list(als1, waiting=1)
    move_date(course_date, starts_in_days=-started_days_ago)

    admin_client.post(f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, instructors=2))
    cancelled = booking_cancel(
        booking=Booking.objects.filter(course_date=course_date, status="confirmed").first(),
        now=timezone.now(),
        by_administrator=True,
    )

    assert CourseDate.objects.get(pk=course_date.pk).instructors == 2
    assert cancelled is None
    assert Booking.objects.get(pk=waiting[0].pk).status == "waitlisted"


def test_nobody_books_a_free_seat_before_those_waiting_for_it(als1, django_capture_on_commit_callbacks):
    # Seats that appeared without the waiting list being served (an instructor added in the shell, a course
    # published with more per instructor): the next booking serves the waiting list first.
    course_date, waiting = full_with_a_waiting_list(als1, waiting=2)
    CourseDate.objects.filter(pk=course_date.pk).update(instructors=2)  # 6 seats more, 2 people waiting

    with django_capture_on_commit_callbacks(execute=True):
        late = book(UserFactory(), course_date)

    assert [Booking.objects.get(pk=booking.pk).status for booking in waiting] == ["confirmed", "confirmed"]
    assert late.status == "confirmed"
    assert CourseDate.objects.with_seats().get(pk=course_date.pk).seats_left == 3


def test_a_course_published_with_more_per_instructor_serves_its_waiting_lists(als1):
    _, waiting = full_with_a_waiting_list(als1, waiting=2)

    als1.max_participants_per_instructor = 7
    als1.save_revision().publish()

    assert [Booking.objects.get(pk=booking.pk).status for booking in waiting] == ["confirmed", "waitlisted"]


def assert_seven_keep_two_instructors(response, course_date) -> None:
    """The edit form refused taking away one of two instructors from a date seven people hold seats on."""
    assert response.status_code == 200
    assert "7 people hold a seat on this date, and 1 instructor gives 6 seats: keep at least 2" in (
        response.content.decode()
    )
    course_date.refresh_from_db()
    assert course_date.instructors == 2


def test_instructors_cannot_be_taken_away_below_the_seats_held(admin_client, als1):
    course_date = make_course_date(als1, instructors=2)  # 12 seats
    for _ in range(7):
        book(UserFactory(), course_date)

    response = admin_client.post(f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, instructors=1))

    assert_seven_keep_two_instructors(response, course_date)


def test_a_booking_made_while_the_form_was_checked_keeps_its_seat(admin_client, als1, monkeypatch):
    # The form's check passes (6 of 12 seats held, 1 instructor gives 6); a participant books in that instant.
    course_date = make_course_date(als1, instructors=2)  # 12 seats
    for _ in range(6):
        book(UserFactory(), course_date)
    checked = CourseDate.clean

    def checked_then_booked(self):
        checked(self)
        book(UserFactory(), CourseDate.objects.get(pk=self.pk))

    monkeypatch.setattr(CourseDate, "clean", checked_then_booked)

    response = admin_client.post(f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, instructors=1))

    assert_seven_keep_two_instructors(response, course_date)


def test_a_booked_date_is_not_deleted_and_the_page_says_why(admin_client, als1):
    course_date = make_course_date(als1)
    booking_cancel(booking=book(UserFactory(), course_date), now=timezone.now())  # a cancelled booking names it too
    empty = make_course_date(als1, starts_in_days=50)

    page = admin_client.get(f"/admin/course_dates/delete/{course_date.pk}/").content.decode()
    response = admin_client.post(f"/admin/course_dates/delete/{course_date.pk}/")
    admin_client.post(f"/admin/course_dates/delete/{empty.pk}/")

    assert "1 booking (cancelled ones included) names this date, so it cannot be deleted" in page
    assert "Yes, delete" not in page
    assert response.status_code == 302 and response.url == f"/admin/course_dates/edit/{course_date.pk}/"
    assert CourseDate.objects.filter(pk=course_date.pk).exists()
    assert not CourseDate.objects.filter(pk=empty.pk).exists()


def test_a_new_day_or_venue_is_emailed_to_those_booked_with_an_invitation_that_replaces_the_old(
    admin_client, als1, django_capture_on_commit_callbacks
):
    course_date, waiting = full_with_a_waiting_list(als1, waiting=1)
    left = book(UserFactory(), make_course_date(als1, starts_in_days=60))
    booking_cancel(booking=Booking.objects.filter(course_date=course_date).first(), now=timezone.now())
    first_invitation = icalendar.Calendar.from_ical(booking_ics(waiting[0]))  # before: the old day
    moved = course_date.starts_on + datetime.timedelta(days=7)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/course_dates/edit/{course_date.pk}/",
            edit_form(course_date, starts_on=moved.isoformat(), ends_on=moved.isoformat(), venue="Room 9"),
            follow=True,
        )

    changed = [message for message in mail.outbox if message.subject.startswith("Changed:")]
    assert sorted(message.to[0] for message in changed) == sorted(
        booking.participant.email for booking in Booking.objects.filter(course_date=course_date, status="confirmed")
    )  # the six with a seat now (the one who waited moved in when a seat came free); not the one who cancelled
    assert left.participant.email not in [message.to[0] for message in changed]
    assert changed[0].subject == f"Changed: ALS1, now {moved:%-d %B %Y} at Room 9"
    assert "6 people booked on this date are being emailed the change." in response.content.decode()
    invitation = icalendar.Calendar.from_ical(changed[0].attachments[0][1])
    event = invitation.walk("VEVENT")[0]
    assert event["location"] == "Room 9" and event.decoded("dtstart").date() == moved
    assert event["sequence"] > first_invitation.walk("VEVENT")[0]["sequence"]
    same_booking = Booking.objects.get(course_date=course_date, participant__email=changed[0].to[0])
    assert event["uid"] == booking_uid(same_booking)  # the calendar replaces the event it holds


def test_someone_waiting_is_told_of_the_change_without_an_invitation(
    admin_client, als1, django_capture_on_commit_callbacks
):
    course_date, waiting = full_with_a_waiting_list(als1, waiting=1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, venue="Room 9"))

    (told,) = [message for message in mail.outbox if message.to == [waiting[0].participant.email]]
    assert "You are still on its waiting list." in told.body and "Room 9" in told.body
    assert told.attachments == []


def test_a_change_of_instructors_or_booking_alone_emails_nobody(admin_client, als1, django_capture_on_commit_callbacks):
    course_date = make_course_date(als1, instructors=1)
    book(UserFactory(), course_date)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, instructors=2))

    assert mail.outbox == []


def test_a_booked_date_keeps_its_course_and_does_not_move_into_the_past(admin_client, als1, als2):
    course_date = make_course_date(als1)
    book(UserFactory(), course_date)
    yesterday = (today() - datetime.timedelta(days=1)).isoformat()

    other_course = admin_client.post(
        f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, course=als2.pk)
    )
    past = admin_client.post(
        f"/admin/course_dates/edit/{course_date.pk}/", edit_form(course_date, starts_on=yesterday, ends_on=yesterday)
    )

    assert other_course.status_code == past.status_code == 200
    assert "1 person holds a place on this date, booked for ALS1: add a date for the other course instead." in (
        other_course.content.decode()
    )
    assert "1 person holds a place on this date: it cannot move to a day that has begun." in past.content.decode()
    assert CourseDate.objects.get(pk=course_date.pk).course_id == als1.pk


def test_a_course_cannot_take_fewer_per_instructor_than_its_dates_have_booked(als1):
    full, _ = full_with_a_waiting_list(als1, waiting=0)  # 6 of 6 seats held
    past = make_course_date(als1, instructors=1)
    for _ in range(6):
        book(UserFactory(), past)
    move_date(past, starts_in_days=-5)  # begun: its seats no longer matter

    als1.max_participants_per_instructor = 5
    with pytest.raises(ValidationError) as refused:
        als1.full_clean()
    als1.max_participants_per_instructor = 8
    als1.full_clean()

    assert f"With 5 per instructor, {full} would have 5 seats for the 6 people who hold one" in str(refused.value)


def test_a_cancellation_on_an_overbooked_date_frees_no_seat(als1):
    course_date, waiting = full_with_a_waiting_list(als1, waiting=1)
    CourseDate.objects.filter(pk=course_date.pk).update(instructors=1)
    extra = Booking.objects.create(course_date=course_date, participant=UserFactory(), status=Booking.CONFIRMED)

    assert booking_cancel(booking=extra, now=timezone.now()) is None  # 7 held 6 seats; now 6 hold 6
    assert Booking.objects.get(pk=waiting[0].pk).status == "waitlisted"


def test_booking_twice_is_refused(als1):
    person, course_date = UserFactory(), make_course_date(als1)
    book(person, course_date)

    with pytest.raises(BookingRefused, match="already booked"):
        book(person, course_date)


def test_a_participant_cannot_cancel_after_the_cut_off_but_an_administrator_can(als1):
    set_portal_settings(cancellation_cutoff_days=7)
    booking = book(UserFactory(), make_course_date(als1, starts_in_days=5))

    with pytest.raises(BookingRefused, match="until"):
        booking_cancel(booking=booking, now=timezone.now())
    booking_cancel(booking=booking, now=timezone.now(), by_administrator=True)

    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_booking_inside_the_cut_off_is_said_before_and_no_email_names_a_day_gone(
    client, als1, django_capture_on_commit_callbacks
):
    set_portal_settings(cancellation_cutoff_days=7)
    soon, later = make_course_date(als1, starts_in_days=3), make_course_date(als1, starts_in_days=30)
    person = UserFactory()
    client.force_login(person)

    soon_page = client.get(f"/portal/book/{soon.pk}/").content.decode()
    later_page = client.get(f"/portal/book/{later.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/portal/book/{soon.pk}/")
        book(UserFactory(), later)  # one seat per course: someone else books the later date
    dashboard = client.get("/portal/").content.decode()

    assert "once you book, only the training office can cancel your place" in soon_page
    assert 'data-testid="cancel-closed"' not in later_page
    soon_mail, later_mail = (
        next(m.body for m in mail.outbox if f"{date.starts_on:%-d %B %Y}" in m.subject) for date in (soon, later)
    )
    assert "Online cancellation has closed for this date" in soon_mail and "cancel online until" not in soon_mail
    assert f"You can cancel online until {long_date(cancellation_deadline(later))}" in " ".join(later_mail.split())
    assert "Online cancellation has closed for this date" in dashboard
    assert f"closed on {long_date(cancellation_deadline(soon))}" not in dashboard


def test_someone_promoted_inside_the_cut_off_is_asked_to_tell_the_office(als1):
    from learning.bookings.emails import send_booking_email

    set_portal_settings(cancellation_cutoff_days=7)
    course_date = make_course_date(als1, starts_in_days=3)
    booking = book(UserFactory(), course_date)

    send_booking_email(booking.pk, "booking_promoted", today=today())

    body = " ".join(mail.outbox[-1].body.split())
    assert "please tell the training office at once" in body and "cancel by" not in body


def test_closed_or_past_dates_cannot_be_booked(als1):
    with pytest.raises(BookingRefused, match="closed"):
        book(UserFactory(), make_course_date(als1, booking_open=False))
    with pytest.raises(BookingRefused, match="closed"):
        book(UserFactory(), make_course_date(als1, starts_in_days=0))


def test_a_date_of_an_unpublished_course_cannot_be_booked_or_found(client, als1):
    course_date = make_course_date(als1)
    als1.unpublish()
    person = UserFactory()
    client.force_login(person)

    with pytest.raises(BookingRefused, match="closed"):
        book(person, course_date)
    assert client.get(f"/portal/book/{course_date.pk}/").status_code == 404
    assert client.post(f"/portal/book/{course_date.pk}/").status_code == 404
    assert not Booking.objects.filter(course_date=course_date).exists()
    assert not CourseDate.objects.bookable(today()).filter(pk=course_date.pk).exists()


def test_concurrent_bookings_never_exceed_the_seats(committed_db, catalogue_for_threads):
    require(connection.vendor == "postgresql", "concurrent bookings are tested on PostgreSQL (DATABASE_URL)")
    course_date = make_course_date(catalogue_for_threads, instructors=1)  # 6 seats
    people = [UserFactory() for _ in range(16)]
    _, errors = at_once(*(lambda person=person: book(person, course_date) for person in people))

    assert errors == []
    statuses = list(Booking.objects.filter(course_date=course_date).values_list("status", flat=True))
    assert statuses.count("confirmed") == 6
    assert statuses.count("waitlisted") == 10


def test_two_dates_of_one_course_booked_at_once_give_one_seat(committed_db, catalogue_for_threads):
    require(connection.vendor == "postgresql", "concurrent bookings are tested on PostgreSQL (DATABASE_URL)")
    course = catalogue_for_threads
    person = UserFactory()
    dates = [make_course_date(course, starts_in_days=days) for days in (20, 50, 80)]

    _, errors = at_once(*(lambda course_date=course_date: book(person, course_date) for course_date in dates))

    assert Booking.objects.filter(participant=person, status="confirmed").count() == 1
    assert len(errors) == 2 and all("You already have a place on" in str(error) for error in errors)


def test_two_cancellations_at_once_move_someone_waiting_on_both_dates_into_one(committed_db, catalogue_for_threads):
    require(connection.vendor == "postgresql", "concurrent promotions are tested on PostgreSQL (DATABASE_URL)")
    course = catalogue_for_threads
    person = UserFactory()
    seated = []
    for days in (20, 50):
        course_date = make_course_date(course, starts_in_days=days, instructors=1)
        bookings = [book(UserFactory(), course_date) for _ in range(6)]
        seated.append(bookings[0])
        book(person, course_date)  # waits on both

    _, errors = at_once(*(lambda held=held: booking_cancel(booking=held, now=timezone.now()) for held in seated))

    assert errors == []
    assert Booking.objects.filter(participant=person, status="confirmed").count() == 1
    assert Booking.objects.filter(participant=person, status="waitlisted").count() == 1


# --- Prerequisites --------------------------------------------------------------------------------------


def test_als2_is_booked_with_an_als1_current_on_the_first_day(als1, als2):
    person = UserFactory()
    course_date = make_course_date(als2, starts_in_days=30)
    with_als1(person, als1, valid_until=course_date.starts_on)

    assert book(person, course_date).status == "confirmed"


def test_an_als1_expiring_before_the_first_day_is_refused_with_the_reason(als1, als2):
    person = UserFactory()
    course_date = make_course_date(als2, starts_in_days=30)
    expiry = course_date.starts_on - datetime.timedelta(days=1)
    with_als1(person, als1, valid_until=expiry)

    with pytest.raises(BookingRefused) as refused:
        book(person, course_date)

    first_day = long_date(course_date.starts_on)
    reason = f"ALS1 certification expired on {long_date(expiry)} (needed on {first_day}, the first day)"
    assert refused.value.reasons == [reason]
    assert refused.value.courses_to_book == [als1]
    assert not Booking.objects.exists()


def test_never_holding_als1_is_refused(als1, als2):
    with pytest.raises(BookingRefused) as refused:
        book(UserFactory(), make_course_date(als2))

    assert refused.value.reasons[0].startswith("no ALS1 certification")


def test_a_revoked_als1_is_refused(als1, als2):
    person = UserFactory()
    course_date = make_course_date(als2)
    certification = with_als1(person, als1, valid_until=course_date.starts_on + datetime.timedelta(days=200))
    certification_revoke(certification=certification, reason="Misconduct")

    with pytest.raises(BookingRefused) as refused:
        book(person, course_date)

    assert f"ALS1 certification {certification.number} was revoked on" in refused.value.reasons[0]


def test_the_booking_page_says_what_is_missing_and_which_course_to_book(client, als1, als2):
    person = UserFactory()
    client.force_login(person)
    course_date = make_course_date(als2)

    response = client.post(f"/portal/book/{course_date.pk}/")

    html = response.content.decode()
    assert response.status_code == 409
    assert "no ALS1 certification" in html
    assert f'href="{als1.url}">book an ALS1 course</a>' in html


def test_booking_through_the_site_confirms_and_shows_on_the_dashboard(client, als1):
    person = UserFactory()
    client.force_login(person)
    course_date = make_course_date(als1, venue="Simulation Suite")

    response = client.post(f"/portal/book/{course_date.pk}/", follow=True)

    assert "You are booked on" in response.content.decode()
    assert "Simulation Suite" in response.content.decode()
    assert Booking.objects.get().status == "confirmed"


# --- Course pages ---------------------------------------------------------------------------------------


def test_course_and_catalogue_pages_show_upcoming_dates_with_seats_left(client, catalogue, als1):
    course_date = make_course_date(als1, instructors=1, venue="Room 7")
    make_course_date(als1, starts_in_days=-3, venue="Past room")
    make_course_date(als1, booking_open=False, venue="Closed room")
    book(UserFactory(), course_date)

    course_html = client.get(als1.url).content.decode()
    catalogue_html = client.get(catalogue.url).content.decode()

    assert "Room 7" in course_html and "5 of 6" in course_html
    assert "Past room" not in course_html and "Closed room" not in course_html
    assert 'href="#dates">Book your ALS1 course' in course_html
    assert f"{course_date.starts_on:%-d %b} (5 left)" in catalogue_html


# --- Calendar -------------------------------------------------------------------------------------------


def test_the_confirmation_carries_an_ics_with_the_right_dates_and_time_zone(
    als2, als1, settings, django_capture_on_commit_callbacks
):
    settings.TIME_ZONE = "Europe/London"
    person = UserFactory()
    course_date = make_course_date(als2, days=3, venue="Simulation Suite")
    with_als1(person, als1, valid_until=course_date.ends_on + datetime.timedelta(days=100))

    with django_capture_on_commit_callbacks(execute=True):
        book(person, course_date)

    name, content, mimetype = mail.outbox[0].attachments[0]
    assert name.endswith(".ics") and mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    event = next(component for component in calendar.walk("VEVENT"))
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert (start.date(), start.hour, start.minute) == (course_date.starts_on, 8, 30)
    assert (end.date(), end.hour) == (course_date.starts_on, 17)
    assert str(start.tzinfo) == "Europe/London"
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert event["rrule"]["FREQ"] == ["DAILY"] and event["rrule"]["COUNT"] == [3]
    assert str(event["location"]) == "Simulation Suite"


# --- Results --------------------------------------------------------------------------------------------


def test_results_decide_pass_or_fail_from_the_course_facts(als1, als2):
    course_date = make_course_date(als2)
    booking = Booking(course_date=course_date, participant=UserFactory(), status="confirmed")

    cases = [((100, 85), True), ((100, 84), False), ((95, 99), False), ((100, None), None), ((None, 90), None)]
    for (attendance, score), expected in cases:
        booking.attendance_percent, booking.exam_score = attendance, score
        assert booking.passed is expected, (attendance, score)


def roster_data(bookings_and_results) -> dict:
    """The roster formset as the admin posts it, for (booking, attendance, score) triples."""
    data = {"form-TOTAL_FORMS": str(len(bookings_and_results)), "form-INITIAL_FORMS": str(len(bookings_and_results))}
    for index, (booking, attendance, score) in enumerate(bookings_and_results):
        data.update(
            {
                f"form-{index}-id": booking.pk,
                f"form-{index}-attendance_percent": "" if attendance is None else attendance,
                f"form-{index}-exam_score": "" if score is None else score,
            }
        )
    return data


def move_date(course_date, *, starts_in_days: int, days: int = 1):
    """Moves a date that was booked ahead to another time relative to today (bookings are only taken ahead)."""
    starts_on = today() + datetime.timedelta(days=starts_in_days)
    CourseDate.objects.filter(pk=course_date.pk).update(
        starts_on=starts_on, ends_on=starts_on + datetime.timedelta(days=days - 1)
    )
    course_date.refresh_from_db()
    return course_date


def with_results(course_date, *results):
    """Confirmed bookings on `course_date` with the given (attendance, score) recorded."""
    bookings = []
    for attendance, score in results:
        booking = Booking.objects.create(course_date=course_date, participant=UserFactory(), status="confirmed")
        Booking.objects.filter(pk=booking.pk).update(attendance_percent=attendance, exam_score=score)
        bookings.append(Booking.objects.get(pk=booking.pk))
    return bookings


def test_issuing_renews_previous_certifications_and_emails_results_after_confirmation(
    admin_client, als1, als2, django_capture_on_commit_callbacks
):
    course_date = make_course_date(als2, starts_in_days=10)
    renewer, newcomer, failer = UserFactory(), UserFactory(), UserFactory()
    for person in (renewer, newcomer, failer):
        with_als1(person, als1, valid_until=course_date.starts_on + datetime.timedelta(days=300))
    old = CertificationFactory(
        participant=renewer, course=als2, issued_on=add_months(today(), -23), expires_on=add_months(today(), 1)
    )
    bookings = {person: book(person, course_date) for person in (renewer, newcomer, failer)}
    move_date(course_date, starts_in_days=-2)
    url = f"/admin/course-dates/{course_date.pk}/roster/"
    results = [(bookings[renewer], 100, 90), (bookings[newcomer], 100, 85), (bookings[failer], 100, 60)]
    mail.outbox.clear()

    to_confirm = admin_client.post(url, {**roster_data(results), "issue": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(to_confirm.url, {"certifications": "2", "emails": "3"})

    assert to_confirm.url == f"/admin/course-dates/{course_date.pk}/issue/"
    assert response.status_code == 302
    old.refresh_from_db()
    renewal = Certification.objects.get(participant=renewer, course=als2, renewed_by__isnull=True)
    assert old.renewed_by == renewal and old.status_on(today()) == RENEWED
    assert renewal.issued_on == today()
    assert old not in Certification.objects.in_force()
    # Reminders stop for the renewed certification: the scan finds nothing due for it.
    from reminders.scan import scan

    scan(today=today())
    assert not old.reminders.exists()
    assert Certification.objects.filter(participant=newcomer, course=als2).count() == 1
    assert not Certification.objects.filter(participant=failer, course=als2).exists()
    by_person = {m.to[0]: m for m in mail.outbox}
    assert by_person[renewer.email].subject == "You passed ALS2"
    assert f"/portal/certifications/{renewal.number}/card.pdf" in by_person[renewer.email].body
    assert by_person[failer.email].subject == "Your ALS2 result"
    assert "Written exam: 60% (pass mark: 85%)" in by_person[failer.email].body


def test_issuing_twice_issues_and_emails_nothing_more(als1, django_capture_on_commit_callbacks):
    course_date = make_course_date(als1)
    with_results(course_date, (100, None))
    after = course_date.ends_on + datetime.timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        first = issue_certifications(course_date=course_date, now=moment_on(after))
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        second = issue_certifications(course_date=course_date, now=moment_on(after))

    assert (len(first.certifications), first.emails, len(second.certifications), second.emails) == (1, 1, 0, 0)
    assert len(mail.outbox) == sent == 1


# --- Results only from the first day, certifications only after the last ------------------------------------


def test_results_are_refused_before_the_first_day_and_nothing_is_saved(als1):
    course_date = make_course_date(als1, days=3)
    [booking] = with_results(course_date, (None, None))
    booking.attendance_percent = 100

    with pytest.raises(ResultsRefused) as refused:
        results_record(
            course_date=course_date, bookings=[booking], today=course_date.starts_on - datetime.timedelta(days=1)
        )

    assert str(refused.value) == (
        f"Results for this date can be recorded from its first day, {course_date.starts_on:%-d %B %Y}; "
        "nothing was saved."
    )
    assert Booking.objects.get(pk=booking.pk).attendance_percent is None


def test_results_are_recorded_from_the_first_day(als1):
    course_date = make_course_date(als1, days=3)
    [booking] = with_results(course_date, (None, None))
    booking.attendance_percent, booking.exam_score = 100, 70

    saved = results_record(course_date=course_date, bookings=[booking], today=course_date.starts_on)

    assert saved == 1
    assert Booking.objects.values_list("attendance_percent", "exam_score").get(pk=booking.pk) == (100, 70)


@pytest.mark.parametrize("days_after_start", [-1, 0, 2], ids=["before", "first-day", "last-day"])
def test_certifications_are_refused_until_the_day_after_the_last_day(
    als1, django_capture_on_commit_callbacks, days_after_start
):
    course_date = make_course_date(als1, days=3)
    with_results(course_date, (100, None), (50, None))

    with pytest.raises(ResultsRefused) as refused, django_capture_on_commit_callbacks(execute=True):
        issue_certifications(
            course_date=course_date, now=moment_on(course_date.starts_on + datetime.timedelta(days=days_after_start))
        )

    assert str(refused.value) == (
        f"Certifications for this date can be issued from {course_date.ends_on + datetime.timedelta(days=1):%-d %B %Y},"
        f" the day after its last day ({course_date.ends_on:%-d %B %Y}); nothing was issued."
    )
    assert not Certification.objects.exists()
    assert not Booking.objects.filter(result_sent_at__isnull=False).exists()
    assert mail.outbox == []


def test_the_plan_counts_certifications_to_issue_and_result_emails_to_send(als2):
    course_date = make_course_date(als2)
    passed, failed, undecided = with_results(course_date, (100, 90), (100, 60), (100, None))
    already = with_results(course_date, (100, 95))[0]
    Booking.objects.filter(pk=already.pk).update(
        certification=CertificationFactory(course=als2, participant=already.participant), result_sent_at=timezone.now()
    )

    plan = issue_plan(course_date=course_date, today=course_date.ends_on + datetime.timedelta(days=1))

    assert (plan.certifications, plan.emails) == (1, 2)
    assert [b.pk for b in plan.to_certify] == [passed.pk]
    assert sorted(b.pk for b in plan.to_notify) == sorted([passed.pk, failed.pk])
    assert undecided.pk not in [b.pk for b in plan.to_notify]


def test_the_roster_refuses_results_before_the_first_day(admin_client, als1):
    course_date = make_course_date(als1, starts_in_days=5)
    [booking] = with_results(course_date, (None, None))

    response = admin_client.post(
        f"/admin/course-dates/{course_date.pk}/roster/", {**roster_data([(booking, 100, 80)]), "save": "1"}
    )

    assert response.status_code == 200
    assert "can be recorded from its first day" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).attendance_percent is None


def test_the_roster_saves_results_but_refuses_to_issue_while_the_course_runs(admin_client, als1):
    course_date = move_date(make_course_date(als1, starts_in_days=10, days=3), starts_in_days=-1, days=3)
    [booking] = with_results(course_date, (None, None))

    response = admin_client.post(
        f"/admin/course-dates/{course_date.pk}/roster/",
        {**roster_data([(booking, 100, None)]), "issue": "1"},
        follow=True,
    )

    page = response.content.decode()
    assert response.redirect_chain == [(f"/admin/course-dates/{course_date.pk}/roster/", 302)]
    assert "Results saved." in page
    assert "can be issued from" in page
    assert Booking.objects.get(pk=booking.pk).attendance_percent == 100
    assert not Certification.objects.exists()


def test_the_confirmation_says_how_many_certifications_and_emails_and_issues_nothing_yet(admin_client, als2):
    course_date = move_date(make_course_date(als2, starts_in_days=10), starts_in_days=-3)
    with_results(course_date, (100, 90), (100, 85), (100, 30), (None, None))

    response = admin_client.get(f"/admin/course-dates/{course_date.pk}/issue/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "2 certifications will be issued and 3 result emails sent." in page
    assert not Certification.objects.exists()
    assert not Booking.objects.filter(result_sent_at__isnull=False).exists()
    assert mail.outbox == []


def test_confirming_numbers_that_changed_since_the_page_was_shown_issues_nothing(admin_client, als2):
    course_date = move_date(make_course_date(als2, starts_in_days=10), starts_in_days=-3)
    with_results(course_date, (100, 90), (100, 85), (100, 30))

    response = admin_client.post(f"/admin/course-dates/{course_date.pk}/issue/", {"certifications": "1", "emails": "1"})

    assert response.status_code == 200
    assert "The results changed since the confirmation was shown" in response.content.decode()
    assert "2 certifications will be issued and 3 result emails sent." in response.content.decode()
    assert not Certification.objects.exists()


def test_the_same_confirmation_twice_says_it_was_done_already(admin_client, als2):
    course_date = move_date(make_course_date(als2, starts_in_days=10), starts_in_days=-3)
    with_results(course_date, (100, 90), (100, 30))
    url = f"/admin/course-dates/{course_date.pk}/issue/"

    first = admin_client.post(url, {"certifications": "1", "emails": "2"}, follow=True)
    again = admin_client.post(url, {"certifications": "1", "emails": "2"}, follow=True)

    assert "1 certification issued; 2 result emails sent." in first.content.decode()
    assert again.redirect_chain == [(f"/admin/course-dates/{course_date.pk}/roster/", 302)]
    assert "These results were issued already: nothing more was issued or sent." in again.content.decode()
    assert "changed since the confirmation" not in again.content.decode()
    assert Certification.objects.count() == 1


def test_confirming_with_no_result_recorded_says_nothing_is_decided(admin_client, als2):
    course_date = move_date(make_course_date(als2, starts_in_days=10), starts_in_days=-3)
    Booking.objects.create(course_date=course_date, participant=UserFactory(), status=Booking.CONFIRMED)

    response = admin_client.post(
        f"/admin/course-dates/{course_date.pk}/issue/", {"certifications": "0", "emails": "0"}, follow=True
    )

    assert "Nothing was issued: no recorded result decides a pass or a fail yet." in response.content.decode()
    assert "issued already" not in response.content.decode()


def test_the_confirmation_page_refuses_before_the_day_after_the_last_day(admin_client, als1):
    course_date = make_course_date(als1, starts_in_days=3)
    with_results(course_date, (100, None))

    shown = admin_client.get(f"/admin/course-dates/{course_date.pk}/issue/", follow=True)
    confirmed = admin_client.post(
        f"/admin/course-dates/{course_date.pk}/issue/", {"certifications": "1", "emails": "1"}, follow=True
    )

    for response in (shown, confirmed):
        assert response.redirect_chain == [(f"/admin/course-dates/{course_date.pk}/roster/", 302)]
        assert "can be issued from" in response.content.decode()
    assert not Certification.objects.exists()


# --- Continuing education -------------------------------------------------------------------------------


@pytest.fixture
def ce_holder(client, als1):
    """A participant signed in on `client` with an ALS1 valid for over a year: the period their credits count in."""
    person = UserFactory()
    certification = with_als1(person, als1, valid_until=today() + datetime.timedelta(days=400))
    client.force_login(person)
    return certification


def submit_ce_activity(client):
    """The participant's form for a CE activity, 2.5 credits today, with a certificate as evidence."""
    evidence = SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    return client.post(
        "/portal/continuing-education/new/",
        {
            "title": "Sepsis simulation",
            "provider": "City Hospital",
            "completed_on": today().isoformat(),
            "credits": "2.5",
            "evidence": evidence,
        },
    )


def approved_before_the_period(certification):
    return ContinuingEducationActivity.objects.create(
        participant=certification.participant,
        title="Before this period",
        provider="X",
        completed_on=certification.issued_on - datetime.timedelta(days=5),
        credits=4,
        status="approved",
    )


def approve_in_the_admin(admin_client, activity):
    admin_client.post(
        f"/admin/continuing_education/edit/{activity.pk}/",
        {
            "participant": activity.participant.pk,
            "title": activity.title,
            "provider": activity.provider,
            "completed_on": activity.completed_on.isoformat(),
            "credits": "2.5",
            "decision": "approved",
            "note": "",
        },
    )


def test_a_ce_submission_waits_for_approval(client, ce_holder):
    response = submit_ce_activity(client)

    assert response.status_code == 302
    activity = ContinuingEducationActivity.objects.get()
    assert activity.status == "pending"


def test_neither_a_pending_activity_nor_one_before_the_period_earns_credits(client, ce_holder):
    submit_ce_activity(client)
    approved_before_the_period(ce_holder)

    dashboard = client.get("/portal/").content.decode()

    assert f'data-testid="ce-credits-{ce_holder.number}">0 CE credits' in dashboard


def test_an_activity_approved_in_the_admin_earns_its_credits_in_the_current_period(client, admin_client, ce_holder):
    submit_ce_activity(client)
    activity = ContinuingEducationActivity.objects.get()
    approved_before_the_period(ce_holder)

    approve_in_the_admin(admin_client, activity)

    activity.refresh_from_db()
    assert activity.status == "approved"
    dashboard = client.get("/portal/").content.decode()
    assert f'data-testid="ce-credits-{ce_holder.number}">2.5 CE credits' in dashboard


def test_ce_evidence_is_downloaded_by_staff_only(client, admin_client, ce_holder):
    submit_ce_activity(client)
    activity = ContinuingEducationActivity.objects.get()
    approve_in_the_admin(admin_client, activity)

    assert admin_client.get(f"/admin/continuing-education/{activity.pk}/evidence/").status_code == 200
    assert client.get(f"/admin/continuing-education/{activity.pk}/evidence/").status_code in (302, 403)


def test_ce_submission_refuses_a_future_date_and_a_missing_file(client, participant):
    client.force_login(participant)
    future = (today() + datetime.timedelta(days=3)).isoformat()

    response = client.post(
        "/portal/continuing-education/new/", {"title": "Later", "provider": "X", "completed_on": future, "credits": "1"}
    )

    form = response.context["form"]
    assert form.errors["completed_on"] == ["The date cannot be in the future."]
    assert "evidence" in form.errors
    assert not ContinuingEducationActivity.objects.exists()
    assert Decimal("0") == sum(a.credits for a in ContinuingEducationActivity.objects.all())


def test_the_admin_lists_dates_with_seats_booked_and_waiting_and_opens_the_roster(admin_client, als1):
    course_date = make_course_date(als1, instructors=1, venue="Room 9")
    for _ in range(7):
        book(UserFactory(), course_date)

    listing = admin_client.get("/admin/course_dates/").content.decode()
    roster = admin_client.get(f"/admin/course-dates/{course_date.pk}/roster/").content.decode()

    assert "Room 9" in listing and "Roster (6)" in listing
    assert roster.count('data-testid="roster-') == 6
    assert "Waiting list" in roster


def test_a_booking_email_leaves_the_request_as_a_task_queued_on_commit(
    client, als1, django_capture_on_commit_callbacks
):
    from unittest import mock

    person = UserFactory()
    course_date = make_course_date(als1)
    client.force_login(person)

    with (
        mock.patch("learning.bookings.services.send_booking_email_task.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/portal/book/{course_date.pk}/")

    assert response.status_code == 302
    booking = Booking.objects.get(participant=person)
    queued.assert_called_once_with(booking.pk, "booking_confirmed")
    assert mail.outbox == []  # nothing was sent while the participant waited for the page


def test_result_emails_are_tasks_queued_on_commit(als1, django_capture_on_commit_callbacks):
    from unittest import mock

    course_date = make_course_date(als1)
    [booking] = with_results(course_date, (100, None))
    after = course_date.ends_on + datetime.timedelta(days=1)

    with (
        mock.patch("learning.bookings.services.send_result_email_task.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        issue_certifications(course_date=course_date, now=moment_on(after))

    queued.assert_called_once_with(booking.pk)
    assert mail.outbox == []
