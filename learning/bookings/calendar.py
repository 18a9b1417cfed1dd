"""The calendar file of a booking: the invitation attached to a confirmation (and downloadable from My portal), and
the cancellation that removes it again (METHOD:CANCEL, the same UID, a higher SEQUENCE). When the training office
changes the date's days, times or venue, the invitation is sent again with the date's schedule_version as its
SEQUENCE, so that calendars replace what they hold. One event a day, in the provider's time zone."""

import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, vRecur

from learning.bookings.models import Booking


def booking_uid(booking: Booking) -> str:
    """The event's identity in the participant's calendar: the same in the invitation and in its cancellation."""
    return f"booking-{booking.pk}-date-{booking.course_date_id}@{urlsplit(settings.PORTAL_BASE_URL).hostname}"


def booking_ics(booking: Booking, *, cancelled: bool = False) -> bytes:
    course_date = booking.course_date
    zone = ZoneInfo(settings.TIME_ZONE)
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.PORTAL_NAME}//resus-portal//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", course_date.schedule_version + (1 if cancelled else 0))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", f"{course_date.course.code}: {course_date.course.title}")
    event.add("location", course_date.venue)
    event.add("dtstart", datetime.datetime.combine(course_date.starts_on, course_date.daily_start, tzinfo=zone))
    event.add("dtend", datetime.datetime.combine(course_date.starts_on, course_date.daily_end, tzinfo=zone))
    event.add("dtstamp", datetime.datetime.now(tz=datetime.UTC))
    if course_date.days > 1:
        event.add("rrule", vRecur(freq="DAILY", count=course_date.days))
    event.add("url", settings.PORTAL_BASE_URL + "/portal/")
    event.add(
        "description",
        f"{course_date.course.title} at {course_date.venue}. Your bookings: {settings.PORTAL_BASE_URL}/portal/",
    )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
