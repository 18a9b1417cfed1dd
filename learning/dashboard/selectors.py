"""Reads of My portal: the participant's certifications as rows, with what renewing each takes."""

import datetime

from django.db.models import F

from learning.accounts.models import User
from learning.bookings.models import Booking
from learning.bookings.selectors import next_bookable_dates, renewal_gap
from learning.continuing_education.selectors import approved_credits, credits_between
from learning.register.models import CURRENT, EXPIRED, EXPIRING, Certification, expiring_window

# Shown under "My certifications"; renewed and revoked ones are the participant's history.
IN_FORCE = (CURRENT, EXPIRING, EXPIRED)


def certification_rows(participant: User, today: datetime.date) -> list[dict]:
    """A row a certification of the participant's, in force ones first, with its status on `today`, the approved
    CE credits earned in its period (from issue to expiry, or to `today` while it runs) and the course's
    expectation (`ce_required`, None if it has none)."""
    certifications = (
        Certification.objects.filter(participant=participant)
        .select_related("course", "renewed_by")
        .order_by(F("revoked_at").asc(nulls_first=True), F("renewed_by").asc(nulls_first=True), "expires_on")
    )
    expiring = expiring_window()
    rows = [
        {
            "certification": certification,
            "status": certification.status_on(today, expiring=expiring),
            "days_left": certification.days_left(today),
            "days_overdue": -certification.days_left(today),
            "renew_url": f"{certification.course.url}#dates",
        }
        for certification in certifications
    ]
    # One query for the credits, however many certifications: each counts what falls in its own period.
    approved = approved_credits(participant)
    for row in rows:
        certification = row["certification"]
        period_end = today if row["status"] in (CURRENT, EXPIRING) else certification.expires_on
        row["ce_credits"] = credits_between(approved, certification.issued_on, period_end)
        row["ce_required"] = certification.course.ce_credits_required
        row["in_force"] = row["status"] in IN_FORCE
    return rows


def plan_renewals(rows: list[dict], bookings: list[Booking], today: datetime.date) -> list[dict]:
    """The rows that need renewing (expiring or expired), each told its booked renewal (or its place on a waiting
    list), else its next bookable date; and, when the course starts after the certification expires, the first
    day without certification (`gap_from`)."""
    due = [row for row in rows if row["status"] in (EXPIRING, EXPIRED)]
    # The first of each course's bookings, by its first day: that is the one that renews.
    soonest_first = sorted(bookings, key=lambda booking: (booking.course_date.starts_on, booking.pk), reverse=True)
    confirmed = {b.course_date.course_id: b for b in soonest_first if b.status == Booking.CONFIRMED}
    waiting = {b.course_date.course_id: b for b in soonest_first if b.status == Booking.WAITLISTED}
    next_dates = next_bookable_dates({row["certification"].course_id for row in due}, today, per_course=1)
    for row in due:
        certification = row["certification"]
        booked = confirmed.get(certification.course_id)
        row["booked_date"] = booked.course_date if booked else None
        row["waiting"] = waiting.get(certification.course_id)
        row["next_date"] = (next_dates.get(certification.course_id) or [None])[0]
        starts = row["booked_date"] or row["next_date"]
        row["gap_from"] = (
            renewal_gap(expires_on=certification.expires_on, starts_on=starts.starts_on)
            if starts and row["status"] == EXPIRING
            else None
        )
    return due
