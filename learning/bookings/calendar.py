"""The calendar invitation attached to a booking confirmation: one event a day, in the provider's time zone."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, vRecur

from learning.bookings.models import Booking


def booking_ics(booking: Booking) -> bytes:
    course_date = booking.course_date
    zone = ZoneInfo(settings.TIME_ZONE)
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.PORTAL_NAME}//resus-portal//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking.pk}-date-{course_date.pk}@{settings.PORTAL_BASE_URL.split('//')[-1]}")
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
