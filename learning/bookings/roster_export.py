"""The roster of a course date as a CSV file for the training office's spreadsheets: one row per confirmed participant,
who they are and each result the course requires. A participant's own words (a name, an employer) are written so
that no spreadsheet program runs them as a formula."""

import csv
from collections.abc import Callable

from learning.bookings.models import Booking, CourseDate, PassFailAssessment, required_assessments
from learning.bookings.selectors import confirmed_bookings
from learning.common.spreadsheets import csv_cell

Column = tuple[str, Callable[[Booking], object]]


def passed_text(passed: bool | None) -> str:
    return "" if passed is None else ("Passed" if passed else "Not passed")


def result_text(passed: bool | None) -> str:
    return "" if passed is None else ("Pass" if passed else "Fail")


def assessment_column(assessment: PassFailAssessment) -> Column:
    return assessment.label, lambda booking: passed_text(getattr(booking, assessment.result_field))


def roster_columns(course) -> list[Column]:
    """The columns of `course`'s roster: the participant, then the results the course asks for, then the outcome."""
    columns = [
        ("Last name", lambda booking: booking.participant.last_name),
        ("First name", lambda booking: booking.participant.first_name),
        ("Email", lambda booking: booking.participant.email),
        ("Registration number", lambda booking: booking.participant.registration_number),
        ("Employer", lambda booking: booking.participant.employer),
        ("Attendance %", lambda booking: booking.attendance_percent),
    ]
    if course.written_exam_pass_mark is not None:
        columns.append(("Written exam %", lambda booking: booking.exam_score))
    columns += [assessment_column(assessment) for assessment in required_assessments(course)]
    columns += [
        ("Result", lambda booking: result_text(booking.passed)),
        ("Certification", lambda booking: booking.certification.number if booking.certification else ""),
    ]
    return columns


def write_roster(target, course_date: CourseDate) -> None:
    """Writes the roster as CSV into `target` (a file or a csv_download response), a header row first."""
    columns = roster_columns(course_date.course)
    writer = csv.writer(target)
    writer.writerow([heading for heading, _ in columns])
    for booking in confirmed_bookings(course_date).select_related("certification"):
        writer.writerow([csv_cell("" if (value := cell(booking)) is None else value) for _, cell in columns])
