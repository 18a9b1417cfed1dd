"""My portal: the participant's dashboard."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from learning.accounts.models import User
from learning.bookings.models import Booking, cancellation_deadline
from learning.continuing_education.models import ContinuingEducationActivity
from learning.continuing_education.selectors import approved_credits, credits_between
from learning.materials.entitlement import readable_materials
from learning.materials.models import MaterialPage
from learning.register.models import (
    CURRENT,
    EXPIRED,
    EXPIRING,
    Certification,
)


@login_required
@never_cache
def dashboard(request):
    today = timezone.localdate()
    certifications = (
        Certification.objects.filter(participant=request.user)
        .select_related("course")
        .order_by("revoked_at", "renewed_by", "expires_on")
    )
    rows = [
        {
            "certification": certification,
            "status": certification.status_on(today),
            "days_left": certification.days_left(today),
            "days_overdue": -certification.days_left(today),
            "renew_url": f"{certification.course.url}#dates",
        }
        for certification in certifications
    ]
    # One query for the credits, however many certifications: each counts what falls in its own period.
    approved = approved_credits(request.user)
    for row in rows:
        if row["status"] in (CURRENT, EXPIRING):
            row["ce_credits"] = credits_between(approved, row["certification"].issued_on, today)
    bookings = list(
        Booking.objects.filter(participant=request.user, course_date__ends_on__gte=today)
        .exclude(status=Booking.CANCELLED)
        .select_related("course_date__course")
        .order_by("course_date__starts_on")
    )
    for booking in bookings:
        booking.can_cancel = today <= cancellation_deadline(booking.course_date)
        booking.deadline = cancellation_deadline(booking.course_date)
    booked_course = {booking.course_date.course_id: booking.course_date for booking in bookings}
    for row in rows:
        row["booked_date"] = booked_course.get(row["certification"].course_id)
    activities = ContinuingEducationActivity.objects.filter(participant=request.user)[:20]
    # "New" and "updated" are since the previous visit; this visit becomes the next one's reference.
    seen_at = request.user.materials_seen_at
    User.objects.filter(pk=request.user.pk).update(materials_seen_at=timezone.now())
    return render(
        request,
        "learning/dashboard.html",
        {
            "rows": rows,
            "today": today,
            "needs_renewal": [r for r in rows if r["status"] in (EXPIRING, EXPIRED)],
            "bookings": bookings,
            "activities": activities,
            "groups": readable_materials(request.user, MaterialPage.objects.live()),
            "seen_at": seen_at,
        },
    )
