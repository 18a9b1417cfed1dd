"""Participant views for booking a course date, cancelling, and submitting continuing education."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from learning.bookings.services import BookingRefused, booking_cancel, booking_create
from learning.continuing_education.services import ce_submit
from learning.models import Booking, CourseDate
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


class ContinuingEducationForm(forms.Form):
    title = forms.CharField(max_length=255)
    provider = forms.CharField(max_length=255, help_text="Who ran it, e.g. the hospital's education team.")
    completed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Completed on")
    credits = forms.DecimalField(min_value=0.5, max_digits=5, decimal_places=1)
    evidence = forms.FileField(help_text="A certificate of attendance or similar (PDF or image, up to 10 MB).")

    def clean_completed_on(self):
        completed_on = self.cleaned_data["completed_on"]
        if completed_on > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return completed_on

    def clean_evidence(self):
        evidence = self.cleaned_data["evidence"]
        if evidence.size > 10 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 10 MB.")
        if not evidence.name.lower().endswith((".pdf", ".png", ".jpg", ".jpeg")):
            raise forms.ValidationError("Upload a PDF, PNG or JPEG file.")
        return evidence


@login_required
def submit_continuing_education(request):
    form = ContinuingEducationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        ce_submit(participant=request.user, **form.cleaned_data)
        messages.success(request, "Thank you: your activity is waiting for review by the training office.")
        return redirect("dashboard")
    return render(request, "learning/ce_form.html", {"form": form})
