"""My portal: the participant's dashboard."""

import datetime

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
    rows = certification_rows(request.user, today)
    bookings = upcoming_bookings(request.user, today)
    booked_course = {booking.course_date.course_id: booking.course_date for booking in bookings}
    for row in rows:
        row["booked_date"] = booked_course.get(row["certification"].course_id)
    activities = ContinuingEducationActivity.objects.filter(participant=request.user)[:20]
    seen_at = materials_seen_before(request.user)
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


def certification_rows(participant: User, today: datetime.date) -> list[dict]:
    """A row a certification of the participant's, with its status on `today` and, while it is current or expiring,
    the approved CE credits of its period."""
    certifications = (
        Certification.objects.filter(participant=participant)
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
    approved = approved_credits(participant)
    for row in rows:
        if row["status"] in (CURRENT, EXPIRING):
            row["ce_credits"] = credits_between(approved, row["certification"].issued_on, today)
    return rows


def upcoming_bookings(participant: User, today: datetime.date) -> list[Booking]:
    """The participant's bookings not cancelled and not over, soonest first, each with its cancellation deadline."""
    bookings = list(
        Booking.objects.filter(participant=participant, course_date__ends_on__gte=today)
        .exclude(status=Booking.CANCELLED)
        .select_related("course_date__course")
        .order_by("course_date__starts_on")
    )
    for booking in bookings:
        booking.can_cancel = today <= cancellation_deadline(booking.course_date)
        booking.deadline = cancellation_deadline(booking.course_date)
    return bookings


def materials_seen_before(user: User) -> datetime.datetime | None:
    """When the user last saw My portal; this visit becomes the next one's reference ("new" and "updated" are
    since the previous visit)."""
    seen_at = user.materials_seen_at
    User.objects.filter(pk=user.pk).update(materials_seen_at=timezone.now())
    return seen_at
