"""Participant views for booking a course date and cancelling."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from learning.bookings.calendar import booking_ics
from learning.bookings.models import Booking, CourseDate, cancellation_deadline
from learning.bookings.selectors import renewal_gap
from learning.bookings.services import (
    BookingRefused,
    booking_cancel,
    booking_closed_refusal,
    booking_create,
    place_elsewhere_refusal,
    prerequisites_refusal,
)
from learning.register.models import Certification


@login_required
def book(request, date_id):
    """GET shows the date with what stands in the way of booking it; POST books it. A date of a course that is not
    published is not found, as the course page is not."""
    course_date = get_object_or_404(
        CourseDate.objects.with_seats().select_related("course"), pk=date_id, course__live=True
    )
    today = timezone.localdate()
    if request.method == "POST":
        return place_booking(request, course_date, today=today)
    refusal = prerequisites_refusal(request.user, course_date) or place_elsewhere_refusal(
        request.user, course_date, today
    )
    already = (
        Booking.objects.filter(course_date=course_date, participant=request.user)
        .exclude(status=Booking.CANCELLED)
        .first()
    )
    return render(
        request,
        "learning/book.html",
        {
            "course_date": course_date,
            "refusal": refusal,
            "already": already,
            "closed": booking_closed_refusal(course_date, today) is not None,
            "gap": renewal_gap_for(request.user, course_date, today),
            # Inside the cut-off already: once booked, the place cannot be cancelled online.
            "cancel_closed": cancellation_deadline(course_date) < today,
        },
    )


def renewal_gap_for(participant, course_date: CourseDate, today) -> tuple | None:
    """(expiry, first uncertified day) when this date would renew the participant's certification for its course
    only after that certification has expired; None when it starts in time or renews nothing."""
    held = (
        Certification.objects.valid_on(today)
        .filter(participant=participant, course=course_date.course, renewed_by__isnull=True)
        .order_by("-expires_on")
        .first()
    )
    if held is None:
        return None
    gap_from = renewal_gap(expires_on=held.expires_on, starts_on=course_date.starts_on)
    return (held.expires_on, gap_from) if gap_from else None


def place_booking(request, course_date: CourseDate, *, today):
    """Books the participant (or puts them on the waiting list) and says which; a refusal is shown on the page."""
    try:
        booking = booking_create(participant=request.user, course_date=course_date, today=today)
    except BookingRefused as refusal:
        return render(request, "learning/book.html", {"course_date": course_date, "refusal": refusal}, status=409)
    if booking.status == Booking.CONFIRMED:
        messages.success(
            request,
            f"You are booked on {course_date}. A confirmation email with a calendar invitation is on its way.",
        )
    else:
        messages.info(
            request,
            f"{course_date} is full: you are on the waiting list and will be emailed if a place comes free.",
        )
    return redirect("dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, booking_id):
    """GET asks for confirmation (saying what will happen); POST cancels, or leaves the waiting list. A booking
    cancelled already (the form sent twice, the back button) says so on My portal."""
    booking = get_object_or_404(
        Booking.objects.select_related("course_date__course", "group_place__group_booking__organisation"),
        pk=booking_id,
        participant=request.user,
    )
    if booking.status == Booking.CANCELLED:
        messages.info(request, f"Your booking on {booking.course_date} is cancelled already.")
        return redirect("dashboard")
    waiting = booking.status == Booking.WAITLISTED
    if request.method == "GET":
        someone_waiting = Booking.objects.filter(course_date=booking.course_date_id, status=Booking.WAITLISTED).exists()
        context = {"booking": booking, "waiting": waiting, "someone_waiting": someone_waiting}
        return render(request, "learning/cancel_booking.html", context)
    try:
        booking_cancel(booking=booking, now=timezone.now(), by=request.user)
    except BookingRefused as refusal:
        messages.error(request, str(refusal))
    else:
        done = "You have left the waiting list for" if waiting else "Your booking is cancelled:"
        messages.success(request, f"{done} {booking.course_date}.")
    return redirect("dashboard")


@login_required
@require_GET
def booking_calendar(request, booking_id):
    """The confirmed booking's calendar file, to add to a calendar from My portal."""
    booking = get_object_or_404(
        Booking.objects.select_related("course_date__course"),
        pk=booking_id,
        participant=request.user,
        status=Booking.CONFIRMED,
    )
    response = HttpResponse(booking_ics(booking), content_type="text/calendar; charset=utf-8")
    filename = f"{booking.course_date.course.code}-{booking.course_date.starts_on}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
