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
    check = prerequisites_check(participant=request.user, course=course_date.course, on=course_date.starts_on)
    refusal = (
        None
        if check.met
        else BookingRefused(
            [f"{reason} (needed on {course_date.starts_on:%d %B %Y}, the first day)" for reason in check.reasons],
            courses_to_book=check.missing,
        )
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
            "closed": not course_date.booking_open or course_date.starts_on <= today,
        },
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
