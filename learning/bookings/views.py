"""Participant views for booking a course date and cancelling."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from learning.bookings.models import Booking, CourseDate
from learning.bookings.services import BookingRefused, booking_cancel, booking_create
from learning.register.services import prerequisites_check


@login_required
def book(request, date_id):
    course_date = get_object_or_404(CourseDate.objects.with_seats().select_related("course"), pk=date_id)
    today = timezone.localdate()
    if request.method == "POST":
        return place_booking(request, course_date, today=today)
    refusal = prerequisites_refusal(request.user, course_date)
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
            "closed": not course_date.booking_open or course_date.starts_on <= today,
        },
    )


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


def prerequisites_refusal(participant, course_date: CourseDate) -> BookingRefused | None:
    """Why the participant could not book the date, told before they try: a prerequisite not current on its first
    day."""
    check = prerequisites_check(participant=participant, course=course_date.course, on=course_date.starts_on)
    if check.met:
        return None
    return BookingRefused(
        [f"{reason} (needed on {course_date.starts_on:%d %B %Y}, the first day)" for reason in check.reasons],
        courses_to_book=check.missing,
    )


@login_required
@require_POST
def cancel(request, booking_id):
    booking = get_object_or_404(
        Booking.objects.select_related("course_date__course"), pk=booking_id, participant=request.user
    )
    try:
        booking_cancel(booking=booking, now=timezone.now())
    except BookingRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Your booking on {booking.course_date} is cancelled.")
    return redirect("dashboard")
