"""Reads of bookings: the dates a participant can book next, their bookings with what they may do with each, the
waiting-list position, whether a renewal leaves a gap in certification, and the confirmed participants of a course
date in the order a roster lists them."""

import datetime
from collections import defaultdict

from learning.bookings.models import Booking, CourseDate, cancellation_deadline
from learning.common.models import portal_settings


def next_bookable_dates(course_ids: set[int], today: datetime.date, *, per_course: int = 3) -> dict[int, list]:
    """Course id -> its first `per_course` upcoming dates that are open for booking and have a seat left."""
    dates = (
        CourseDate.objects.filter(course_id__in=course_ids)
        .bookable(today)
        .with_seats()
        .filter(seats_left__gt=0)
        .order_by("starts_on")
    )
    next_dates: dict[int, list] = defaultdict(list)
    for course_date in dates:
        if len(next_dates[course_date.course_id]) < per_course:
            next_dates[course_date.course_id].append(course_date)
    return dict(next_dates)


def renewal_gap(*, expires_on: datetime.date, starts_on: datetime.date) -> datetime.date | None:
    """The first day without certification when a renewal starting on `starts_on` follows a certification
    expiring on `expires_on` (the new one is issued after the course), or None when the course starts in time."""
    if starts_on <= expires_on:
        return None
    return expires_on + datetime.timedelta(days=1)


def waiting_positions(bookings: list[Booking]) -> dict[int, int]:
    """Booking id -> its place on its date's waiting list (1 is next in), for the waitlisted ones among `bookings`;
    one query. The list is first come, first served, as booking_cancel promotes."""
    date_ids = {booking.course_date_id for booking in bookings if booking.status == Booking.WAITLISTED}
    if not date_ids:
        return {}
    queues = (
        Booking.objects.filter(course_date_id__in=date_ids, status=Booking.WAITLISTED)
        .order_by("course_date_id", "created_at", "pk")
        .values_list("pk", "course_date_id")
    )
    positions, places = {}, defaultdict(int)
    for pk, date_id in queues:
        places[date_id] += 1
        positions[pk] = places[date_id]
    return positions


def upcoming_bookings(participant, today: datetime.date) -> list[Booking]:
    """The participant's bookings not cancelled and not over, soonest first, each with its cancellation deadline,
    whether it may still be cancelled online, and (waitlisted ones) its place on the list and the seat held on
    another date of the course, if any."""
    bookings = list(
        Booking.objects.filter(participant=participant, course_date__ends_on__gte=today)
        .exclude(status=Booking.CANCELLED)
        .select_related("course_date__course")
        .order_by("course_date__starts_on")
    )
    cutoff_days = portal_settings().cancellation_cutoff_days
    positions = waiting_positions(bookings)
    seats = {b.course_date.course_id: b for b in reversed(bookings) if b.status == Booking.CONFIRMED}
    for booking in bookings:
        booking.deadline = cancellation_deadline(booking.course_date, cutoff_days=cutoff_days)
        booking.can_cancel = today <= booking.deadline
        booking.waiting_position = positions.get(booking.pk)
        # A place on a waiting list is passed over while the participant holds a seat on another date of the
        # course (learning.bookings.services.serve_waiting_list): said beside it.
        seat = seats.get(booking.course_date.course_id)
        booking.held_elsewhere = seat if booking.status == Booking.WAITLISTED else None
    return bookings


def confirmed_bookings(course_date: CourseDate):
    return (
        Booking.objects.filter(course_date=course_date, status=Booking.CONFIRMED)
        .select_related("course_date__course", "participant")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )
