"""Helpers of the organisation tests: members, managers, requirements, certifications, bookings and group
bookings, around a fixed day."""

import csv
import datetime
import io

from openpyxl import load_workbook

from learning.models import Booking
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    ManagerRoleFactory,
    MembershipFactory,
    RequiredCourseFactory,
    UserFactory,
    make_course_date,
)

# The day the compliance tests are asked about: fixed, so that no test depends on the clock.
TODAY = datetime.date(2026, 6, 15)


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def member(organisation, **fields):
    """A new participant, a member of `organisation`."""
    person = UserFactory(**fields)
    MembershipFactory(organisation=organisation, participant=person)
    return person


def manager(organisation, **fields):
    """A new user whom an administrator made a manager of `organisation`."""
    person = UserFactory(**fields)
    ManagerRoleFactory(organisation=organisation, user=person)
    return person


def require(organisation, *courses):
    for course in courses:
        RequiredCourseFactory(organisation=organisation, course=course)


def certify(person, course, *, expires_in: int, issued_days_before: int = 700, today=TODAY, **fields):
    """A certification expiring `expires_in` days after `today` (negative: expired that long ago)."""
    expires_on = today + datetime.timedelta(days=expires_in)
    return CertificationFactory(
        participant=person,
        course=course,
        issued_on=expires_on - datetime.timedelta(days=issued_days_before),
        expires_on=expires_on,
        **fields,
    )


def book(person, course, *, starts_in: int, status=Booking.CONFIRMED, today=TODAY):
    """A place on a one-day date of `course` starting `starts_in` days after `today`."""
    course_date = make_course_date(course, starts_in_days=starts_in, today=today)
    return BookingFactory(course_date=course_date, participant=person, status=status)


def exported_rows(response) -> list[list[str]]:
    """The lines of an export, headings first, whether the CSV (streamed) or the Excel workbook; every cell as
    text, as a spreadsheet shows it."""
    body = b"".join(response.streaming_content)
    if response["Content-Type"].startswith("text/csv"):
        assert body.startswith("\ufeff".encode()), "Excel needs the byte-order mark to read UTF-8"
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def exported(response) -> list[dict]:
    """The lines of an export as dictionaries by heading."""
    headings, *lines = exported_rows(response)
    return [dict(zip(headings, line, strict=True)) for line in lines]


def moment(on: datetime.date = TODAY) -> datetime.datetime:
    """Mid-morning of `on` in the provider's time zone: the `now` a service is given."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(on, datetime.time(10)))


def book_group(boss, organisation, course_date, people, *, purchase_order="PO-2026-0042", seating="all", now=None):
    """The group booking `boss` makes of `people` onto `course_date` on `organisation`'s purchase order."""
    from learning.organisations.services import group_booking_create

    return group_booking_create(
        manager=boss,
        organisation=organisation,
        course_date=course_date,
        participant_ids=[person.pk for person in people],
        purchase_order=purchase_order,
        seating=seating,
        now=now or moment(),
    )
