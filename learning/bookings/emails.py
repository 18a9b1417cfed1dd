"""The emails of a booking (confirmed, waitlisted, promoted, cancelled; confirmations carry the .ics) and of its
result. Sent by the tasks in learning.bookings.tasks, on commit, never in the request: a slow ESP slows no page.
Each is sent in its own error handling: a failure is logged, the booking stands."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from learning.bookings.calendar import booking_ics
from learning.bookings.models import Booking, cancellation_deadline
from learning.common.emails import render_email, send_or_log

# The emails that carry the calendar file, and what it does to the participant's calendar.
CALENDAR_METHODS = {
    "booking_confirmed": "PUBLISH",
    "booking_promoted": "PUBLISH",
    "booking_cancelled": "CANCEL",
    "booking_changed": "PUBLISH",  # only for a confirmed place: see send_booking_email
}


def send_booking_email(booking_pk: int, template: str, *, today=None) -> bool:
    """Sends one booking email (confirmations carry the .ics); a failure is logged, the booking stands. Sent on
    `today` (by default the day it is sent): past the cut-off it says only the office can cancel, not a day gone."""
    booking = Booking.objects.select_related(
        "course_date__course", "participant", "group_place__group_booking__organisation"
    ).get(pk=booking_pk)
    if template == "booking_changed" and booking.status == Booking.CANCELLED:
        return False  # cancelled since the change: the cancellation said all there is
    deadline = cancellation_deadline(booking.course_date)
    message = render_email(
        template,
        {
            "booking": booking,
            "group_booking": booked_for_them_by(booking),
            "course_date": booking.course_date,
            "course": booking.course_date.course,
            "participant": booking.participant,
            "dashboard_url": settings.PORTAL_BASE_URL + reverse("dashboard"),
            "deadline": deadline,
            "cancel_online": deadline >= (today or timezone.localdate()),
        },
        to=[booking.participant.email],
    )
    if template in CALENDAR_METHODS and not (template == "booking_changed" and booking.status != Booking.CONFIRMED):
        method = CALENDAR_METHODS[template]
        message.attach(
            f"{booking.course_date.course.code}-{booking.course_date.starts_on}.ics",
            booking_ics(booking, cancelled=method == "CANCEL"),
            f"text/calendar; method={method}; charset=utf-8",
        )
    return send_or_log(message, f"{template} for booking {booking_pk}")


def booked_for_them_by(booking: Booking):
    """The group booking that made this booking, when a manager booked it for the participant on their employer's
    purchase order (learning.organisations); None for a booking of their own. Read through the booking's reverse
    relation, so that bookings import nothing of the organisations above them."""
    place = getattr(booking, "group_place", None)  # a missing one-to-one raises an AttributeError
    return place.group_booking if place else None


def send_result_email(booking_pk: int) -> bool:
    booking = Booking.objects.select_related("course_date__course", "participant", "certification").get(pk=booking_pk)
    card_url = (
        settings.PORTAL_BASE_URL + reverse("certification_card", kwargs={"number": booking.certification.number})
        if booking.certification
        else ""
    )
    message = render_email(
        "course_result",
        {
            "booking": booking,
            "course": booking.course_date.course,
            "participant": booking.participant,
            "card_url": card_url,
            "dashboard_url": settings.PORTAL_BASE_URL + reverse("dashboard"),
        },
        to=[booking.participant.email],
    )
    return send_or_log(message, f"the result of booking {booking_pk}")
