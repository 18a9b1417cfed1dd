"""Group bookings: a manager books members of their team onto a course date on a purchase order. Each person's
prerequisites are checked for the first day and refusals are listed per person; the seats are taken all or
nothing, or as many as fit with the rest on the waiting list; a purchase order is required; nobody outside the
manager's team is ever booked; a concurrent single booking never takes the group past the seats (PostgreSQL); each
participant is emailed with the calendar file; and an administrator marks the invoice paid, once."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.utils import timezone

from learning.bookings.emails import send_booking_email
from learning.bookings.services import booking_cancel
from learning.common.words import long_date
from learning.models import Booking, GroupBooking
from learning.organisations.services import GroupBookingRefused, group_booking_mark_paid
from tests.conftest import at_once, require
from tests.factories import BookingFactory, UserFactory, make_course_date
from tests.learning.organisations.helpers import TODAY, book_group, certify, day, manager, member, moment

pytestmark = pytest.mark.django_db

ALL_OR_NOTHING, WAITING_LIST = "all", "waiting_list"


@pytest.fixture
def boss(emergency):
    return manager(emergency, first_name="Emma", last_name="Reid")


@pytest.fixture
def als1_date(als1):
    """A one-day ALS1 date 30 days after the fixed day, 6 seats."""
    return make_course_date(als1, starts_in_days=30, today=TODAY)


def nurses(organisation, *names):
    return [member(organisation, first_name=first, last_name=last) for first, last in names]


def statuses(group: GroupBooking) -> dict[str, str]:
    return {booking.participant.last_name: booking.status for booking in group.bookings.select_related("participant")}


def fill(course_date, seats: int) -> None:
    for _ in range(seats):
        BookingFactory(course_date=course_date)


# --- Booking and its emails -----------------------------------------------------------------------------


def test_members_are_booked_on_the_purchase_order(boss, emergency, als1_date):
    people = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))

    group = book_group(boss, emergency, als1_date, people, purchase_order="  PO 2026/77 ")

    assert statuses(group) == {"Ames": "confirmed", "Baker": "confirmed"}
    assert (group.organisation, group.manager, group.course_date) == (emergency, boss, als1_date)
    assert group.purchase_order == "PO 2026/77"
    assert group.created_at == moment()
    assert group.paid_at is None


def test_each_participant_is_emailed_their_booking_with_the_calendar_file_once_committed(
    boss, emergency, als1_date, django_capture_on_commit_callbacks
):
    people = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        book_group(boss, emergency, als1_date, people)
        assert mail.outbox == []  # nothing leaves before the commit

    assert len(callbacks) == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted(person.email for person in people)
    for message in mail.outbox:
        assert message.subject == f"Booked: ALS1 on {als1_date.starts_on:%-d %B %Y}"
        assert message.attachments[0][2].startswith("text/calendar")


def test_the_emails_say_who_booked_the_place_and_on_which_purchase_order(
    boss, emergency, als1_date, django_capture_on_commit_callbacks
):
    people = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))
    fill(als1_date, 5)  # one seat left: Ames gets it, Baker waits
    own = BookingFactory(course_date=make_course_date(als1_date.course, starts_in_days=60, today=TODAY))

    with django_capture_on_commit_callbacks(execute=True):
        book_group(boss, emergency, als1_date, people, purchase_order="PO 2026/77", seating=WAITING_LIST)
    send_booking_email(own.pk, "booking_confirmed")
    waiting = Booking.objects.get(participant=people[1], course_date=als1_date)
    send_booking_email(waiting.pk, "booking_promoted")  # as when a seat comes free

    said = "Emergency Department made this booking for you on its purchase order PO 2026/77"
    sent = [(message.to[0], message.subject.split(":")[0], message) for message in mail.outbox]
    kinds = {(to, kind): message for to, kind, message in sent}
    for to, kind in [
        (people[0].email, "Booked"),
        (people[1].email, "Waiting list"),
        (people[1].email, "A place is free"),
    ]:
        message = kinds[(to, kind)]
        assert said in message.body and said in message.alternatives[0][0]
    own_email = kinds[(own.participant.email, "Booked")]
    assert "purchase order" not in own_email.body and "purchase order" not in own_email.alternatives[0][0]


def test_a_member_booked_by_their_manager_who_never_set_a_password_is_told_how_to_sign_in(
    boss, emergency, als1_date, django_capture_on_commit_callbacks
):
    never, regular = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))
    never.set_unusable_password()
    never.save()

    with django_capture_on_commit_callbacks(execute=True):
        book_group(boss, emergency, als1_date, [never, regular], purchase_order="PO 2026/78")

    sent = {message.to[0]: message for message in mail.outbox}
    for body in (sent[never.email].body, sent[never.email].alternatives[0][0]):
        assert f"Your account is {never.email}, and it has no password yet" in body
        assert "/accounts/password/reset/" in body
    assert "no password yet" not in sent[regular.email].body


# --- Prerequisites, per person --------------------------------------------------------------------------


def test_prerequisite_refusals_are_listed_per_person_and_nothing_is_booked(boss, emergency, als1, als2):
    als2_date = make_course_date(als2, starts_in_days=30, today=TODAY)
    ready, lapsing, never = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"), ("Cal", "Cole"))
    certify(ready, als1, expires_in=200)
    certify(lapsing, als1, expires_in=10)  # current today, expired by the first day

    with pytest.raises(GroupBookingRefused) as refused:
        book_group(boss, emergency, als2_date, [ready, lapsing, never])

    first_day = f"needed on {long_date(als2_date.starts_on)}, the first day"
    assert refused.value.people == [
        (lapsing, [f"ALS1 certification expired on {long_date(day(10))} ({first_day})"]),
        (never, [f"no ALS1 certification ({first_day})"]),
    ]
    assert not Booking.objects.exists()
    assert not GroupBooking.objects.exists()


def test_a_member_holding_a_seat_on_another_date_of_the_course_is_refused_by_name(boss, emergency, als1, als1_date):
    other_date = make_course_date(als1, starts_in_days=60, today=TODAY)
    booked, free = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))
    BookingFactory(participant=booked, course_date=other_date, status="confirmed")

    with pytest.raises(GroupBookingRefused) as refused:
        book_group(boss, emergency, als1_date, [booked, free])

    assert refused.value.people == [(booked, [f"already has a place on ALS1 on {long_date(other_date.starts_on)}"])]
    assert not GroupBooking.objects.exists()


def test_members_who_all_hold_a_current_als1_are_booked_on_als2(boss, emergency, als1, als2):
    als2_date = make_course_date(als2, starts_in_days=30, today=TODAY)
    people = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))
    for person in people:
        certify(person, als1, expires_in=200)

    group = book_group(boss, emergency, als2_date, people)

    assert statuses(group) == {"Ames": "confirmed", "Baker": "confirmed"}


def test_someone_already_booked_on_the_date_is_named_and_nobody_is_booked(boss, emergency, als1_date):
    ann, bea = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))
    BookingFactory(course_date=als1_date, participant=bea)

    with pytest.raises(GroupBookingRefused) as refused:
        book_group(boss, emergency, als1_date, [ann, bea])

    assert refused.value.people == [(bea, ["already booked on this date"])]
    assert not Booking.objects.filter(participant=ann).exists()


def test_a_date_of_an_unpublished_course_is_neither_offered_nor_booked(boss, emergency, als1):
    from learning.organisations.selectors import group_booking_dates

    course_date = make_course_date(als1, starts_in_days=30, today=TODAY)
    als1.unpublish()

    assert course_date not in group_booking_dates(TODAY)
    with pytest.raises(GroupBookingRefused, match="Booking is closed for this date"):
        book_group(boss, emergency, course_date, nurses(emergency, ("Ann", "Ames")))


def test_a_closed_date_is_refused_for_the_whole_group(boss, emergency, als1):
    closed = make_course_date(als1, starts_in_days=30, today=TODAY, booking_open=False)

    with pytest.raises(GroupBookingRefused, match="Booking is closed for this date"):
        book_group(boss, emergency, closed, nurses(emergency, ("Ann", "Ames")))


# --- Seats: all or nothing, or the waiting list ---------------------------------------------------------


def test_all_or_nothing_books_nobody_when_there_are_not_seats_for_everyone(boss, emergency, als1_date):
    fill(als1_date, 4)  # 2 of 6 seats left
    people = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"), ("Cal", "Cole"))

    with pytest.raises(GroupBookingRefused) as refused:
        book_group(boss, emergency, als1_date, people, seating=ALL_OR_NOTHING)

    assert refused.value.reasons[0].startswith("Only 2 seats are left for 3 people, so nothing was booked")
    assert not Booking.objects.filter(participant__in=people).exists()
    assert not GroupBooking.objects.exists()


def test_all_or_nothing_books_everyone_when_the_seats_suffice(boss, emergency, als1_date):
    fill(als1_date, 3)
    people = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"), ("Cal", "Cole"))

    group = book_group(boss, emergency, als1_date, people, seating=ALL_OR_NOTHING)

    assert set(statuses(group).values()) == {"confirmed"}


def test_those_who_fit_get_seats_in_name_order_and_the_rest_wait(
    boss, emergency, als1_date, django_capture_on_commit_callbacks
):
    fill(als1_date, 4)
    people = nurses(emergency, ("Cal", "Cole"), ("Ann", "Ames"), ("Bea", "Baker"))

    with django_capture_on_commit_callbacks(execute=True):
        group = book_group(boss, emergency, als1_date, people, seating=WAITING_LIST)

    assert statuses(group) == {"Ames": "confirmed", "Baker": "confirmed", "Cole": "waitlisted"}
    waiting = [message for message in mail.outbox if message.subject.startswith("Waiting list")]
    assert [message.to for message in waiting] == [[people[0].email]]


def test_on_a_full_date_everyone_goes_on_the_waiting_list_when_the_manager_chose_so(boss, emergency, als1_date):
    fill(als1_date, 6)

    group = book_group(boss, emergency, als1_date, nurses(emergency, ("Ann", "Ames")), seating=WAITING_LIST)

    assert statuses(group) == {"Ames": "waitlisted"}


# --- The purchase order and whom a manager may book -----------------------------------------------------


@pytest.mark.parametrize("purchase_order", ["", "   "])
def test_a_purchase_order_number_is_required(boss, emergency, als1_date, purchase_order):
    with pytest.raises(GroupBookingRefused, match="A purchase-order number is required"):
        book_group(boss, emergency, als1_date, nurses(emergency, ("Ann", "Ames")), purchase_order=purchase_order)

    assert not Booking.objects.exists()


def test_a_member_of_another_organisation_is_never_booked_nor_named(boss, emergency, elsewhere, als1_date):
    ours = nurses(emergency, ("Ann", "Ames"))[0]
    theirs = member(elsewhere, first_name="Zed", last_name="Zimmer")

    with pytest.raises(GroupBookingRefused) as refused:
        book_group(boss, emergency, als1_date, [ours, theirs])

    assert refused.value.reasons == ["One of the people chosen is not a member of your team: nothing was booked."]
    assert "Zimmer" not in str(refused.value)
    assert not Booking.objects.exists()


def test_a_user_who_belongs_to_no_organisation_is_never_booked(boss, emergency, als1_date):
    with pytest.raises(GroupBookingRefused, match="not a member of your team"):
        book_group(boss, emergency, als1_date, [UserFactory()])

    assert not Booking.objects.exists()


def test_a_department_manager_cannot_book_on_the_trusts_purchase_order(boss, trust, emergency, als1_date):
    with pytest.raises(GroupBookingRefused, match="organisations you manage"):
        book_group(boss, trust, als1_date, nurses(emergency, ("Ann", "Ames")))


def test_a_member_of_another_department_is_named_when_booked_on_one_departments_purchase_order(
    trust, emergency, critical_care, als1_date
):
    ann = nurses(emergency, ("Ann", "Ames"))[0]
    bea = nurses(critical_care, ("Bea", "Baker"))[0]

    with pytest.raises(GroupBookingRefused) as refused:
        book_group(manager(trust), emergency, als1_date, [ann, bea])

    assert refused.value.people == [(bea, ["not a member of Emergency Department"])]
    assert not Booking.objects.exists()


def test_a_trust_manager_books_members_of_its_departments_on_the_trusts_purchase_order(
    trust, emergency, critical_care, als1_date
):
    people = [*nurses(emergency, ("Ann", "Ames")), *nurses(critical_care, ("Bea", "Baker"))]

    group = book_group(manager(trust), trust, als1_date, people)

    assert statuses(group) == {"Ames": "confirmed", "Baker": "confirmed"}


def test_a_manager_who_lost_the_role_books_nobody(boss, emergency, als1_date):
    people = nurses(emergency, ("Ann", "Ames"))
    boss.manager_roles.all().delete()

    with pytest.raises(GroupBookingRefused):
        book_group(boss, emergency, als1_date, people)

    assert not Booking.objects.exists()


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------------------


def race(course, *, group_size: int, singles: int, seating: str):
    """A department's manager books `group_size` members onto a 6-seat date of `course` while `singles` other
    participants book it themselves, each in a thread of its own, all released together; the data is committed
    first, so that every connection sees it. Returns the members, the date and the errors raised."""
    from learning.bookings.services import booking_create
    from tests.factories import OrganisationFactory

    department = OrganisationFactory(name="Emergency Department")
    boss = manager(department)
    people = [member(department) for _ in range(group_size)]
    others = [UserFactory() for _ in range(singles)]
    course_date = make_course_date(course, instructors=1)
    today, now = timezone.localdate(), timezone.now()
    _, errors = at_once(
        lambda: book_group(boss, department, course_date, people, seating=seating, now=now),
        *(
            lambda person=person: booking_create(participant=person, course_date=course_date, today=today)
            for person in others
        ),
    )
    return people, course_date, errors


def test_a_group_and_concurrent_single_bookings_never_exceed_the_seats(committed_db, catalogue_for_threads):
    require(connection.vendor == "postgresql", "concurrent bookings are tested on PostgreSQL (DATABASE_URL)")

    _, course_date, errors = race(catalogue_for_threads, group_size=5, singles=5, seating=WAITING_LIST)

    assert errors == []
    found = list(Booking.objects.filter(course_date=course_date).values_list("status", flat=True))
    assert (found.count("confirmed"), found.count("waitlisted")) == (6, 4)


def test_an_all_or_nothing_group_racing_single_bookings_is_booked_whole_or_not_at_all(
    committed_db, catalogue_for_threads
):
    require(connection.vendor == "postgresql", "concurrent bookings are tested on PostgreSQL (DATABASE_URL)")

    people, course_date, errors = race(catalogue_for_threads, group_size=4, singles=4, seating=ALL_OR_NOTHING)

    assert Booking.objects.filter(course_date=course_date, status="confirmed").count() <= 6
    group_places = set(Booking.objects.filter(participant__in=people).values_list("status", flat=True))
    if errors:  # the singles came first and left fewer than 4 seats
        assert [type(error) for error in errors] == [GroupBookingRefused] and group_places == set()
    else:
        assert group_places == {"confirmed"}


# --- The payer hears of every change to a place ---------------------------------------------------------


def emails_to(person) -> list:
    return [message for message in mail.outbox if message.to == [person.email]]


def test_a_participant_cancelling_an_employer_paid_seat_is_told_to_the_manager_who_booked_it(
    boss, emergency, als1_date, django_capture_on_commit_callbacks
):
    ann, bea = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"))
    fill(als1_date, 4)  # two seats left: both get one
    group = book_group(boss, emergency, als1_date, [ann, bea], purchase_order="PO 2026/77")
    waiting = BookingFactory(course_date=als1_date, status=Booking.WAITLISTED)  # the date is full now

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.get(participant=ann), now=moment(), by=ann)

    (told,) = emails_to(boss)
    assert told.subject == f"Ann Ames: seat cancelled, ALS1 on {als1_date.starts_on:%-d %B %Y} ({group.invoice_number})"
    for body in (told.body, told.alternatives[0][0]):
        assert "booked for Emergency Department on purchase order PO 2026/77" in body
        assert "seat cancelled</strong>, by the participant" in body or "seat cancelled, by the participant" in body
        assert f"Invoice {group.invoice_number} now counts 1 confirmed place." in body
        assert f"/portal/team/group-bookings/{group.pk}/" in body
        assert "refund" not in body
    assert emails_to(ann)[0].subject.startswith("Cancelled:")
    # The seat went to someone booked on their own: their organisation, if any, is no business of this one.
    assert Booking.objects.get(pk=waiting.pk).status == Booking.CONFIRMED
    assert len(mail.outbox) == 3


def test_a_seat_that_comes_free_for_a_place_on_the_waiting_list_is_told_to_its_payer(
    boss, emergency, als1_date, django_capture_on_commit_callbacks, admin_user
):
    ann = nurses(emergency, ("Ann", "Ames"))[0]
    fill(als1_date, 6)
    group = book_group(boss, emergency, als1_date, [ann], purchase_order="PO 2026/78", seating=WAITING_LIST)
    group_booking_mark_paid(group_booking=group, by=admin_user, now=moment())

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.filter(group_place=None).first(), now=moment(), by=admin_user)

    (told,) = emails_to(boss)
    assert told.subject.startswith("Ann Ames: moved from the waiting list into a seat, ALS1")
    assert "into a seat." in told.body  # nobody in particular moved them: no "by"
    assert f"now counts 1 confirmed place. It was marked paid on {TODAY:%-d %B %Y}: for a refund or credit" in (
        told.body
    )


def test_a_change_the_manager_made_is_not_told_back_to_them_and_another_managers_is(
    boss, emergency, als1_date, django_capture_on_commit_callbacks, trust, admin_user
):
    ann, bea, cai, dee = nurses(emergency, ("Ann", "Ames"), ("Bea", "Baker"), ("Cai", "Cole"), ("Dee", "Dunn"))
    book_group(boss, emergency, als1_date, [ann, bea, cai, dee])
    colleague = manager(trust, first_name="Tom", last_name="Hale")
    officer = UserFactory(first_name="Olive", is_staff=False)  # in the admin by a group's permission
    officer.user_permissions.add(Permission.objects.get(codename="access_admin"))

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.get(participant=ann), now=moment(), by=boss)
        booking_cancel(booking=Booking.objects.get(participant=bea), now=moment(), by=colleague)
        booking_cancel(booking=Booking.objects.get(participant=cai), now=moment(), by=admin_user)
        booking_cancel(booking=Booking.objects.get(participant=dee), now=moment(), by=officer)

    told = sorted(message.body.split(":")[1].split(".")[0].strip() for message in emails_to(boss))
    assert told == ["seat cancelled, by Tom Hale", *["seat cancelled, by the training office"] * 2]


def test_when_the_booker_no_longer_manages_it_the_organisations_managers_are_told(
    boss, emergency, trust, als1_date, django_capture_on_commit_callbacks
):
    ann = nurses(emergency, ("Ann", "Ames"))[0]
    book_group(boss, emergency, als1_date, [ann])
    boss.manager_roles.all().delete()
    heads = [manager(trust), manager(emergency)]
    manager(trust, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.get(participant=ann), now=moment(), by=ann)

    assert emails_to(boss) == []
    assert sorted(message.to[0] for message in mail.outbox if "seat cancelled" in message.subject) == sorted(
        head.email for head in heads
    )


# --- Paid -----------------------------------------------------------------------------------------------


def test_marking_paid_stamps_who_and_when(boss, emergency, als1_date, admin_user):
    group = book_group(boss, emergency, als1_date, nurses(emergency, ("Ann", "Ames")))
    paid_at = moment(TODAY + datetime.timedelta(days=20))

    assert group_booking_mark_paid(group_booking=group, by=admin_user, now=paid_at) is True

    group.refresh_from_db()
    assert (group.paid_at, group.paid_by) == (paid_at, admin_user)


def test_marking_paid_twice_keeps_the_first_stamp(boss, emergency, als1_date, admin_user):
    group = book_group(boss, emergency, als1_date, nurses(emergency, ("Ann", "Ames")))
    first = moment(TODAY + datetime.timedelta(days=20))
    group_booking_mark_paid(group_booking=group, by=admin_user, now=first)

    again = group_booking_mark_paid(
        group_booking=group, by=UserFactory(is_staff=True), now=first + datetime.timedelta(days=1)
    )

    group.refresh_from_db()
    assert again is False
    assert (group.paid_at, group.paid_by) == (first, admin_user)
