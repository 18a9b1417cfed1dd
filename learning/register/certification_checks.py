"""What makes a row of the certification import good, shared by its two ways of running
(learning.register.certification_import, row by row in Python batches on any database, and
learning.register.certification_import_postgres, set-based on PostgreSQL), so that both refuse the same rows with
the same words.

A row's own values are read and checked here (number, course, dates, the expiry a course's validity gives); so
are a row against the file's first line with the same number (`number_problems`) and against the certification
already holding its number (`holder_problems`). Which line is that first line, and which certification holds the
number, each way finds for itself.
"""

import datetime
import re
from dataclasses import dataclass

from learning.accounts.participant_import import PARTICIPANT_COLUMNS
from learning.catalogue.models import CoursePage
from learning.common.csv_import import CsvColumns, Problems, digest, shown
from learning.register.models import (
    EARLIEST_DATE,
    LATEST_DATE,
    NUMBER_FORMAT_TEXT,
    Certification,
    is_certification_number,
)
from learning.register.services import default_expiry

COLUMNS = CsvColumns(
    names=("email", "first_name", "last_name", "course_code", "number", "issued_on", "expires_on"),
    required=("email", "first_name", "last_name", "course_code", "number", "issued_on"),
    stored={**PARTICIPANT_COLUMNS, "number": (Certification, "number")},
)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# The same two formats with every digit written out, as nearly every file writes them: read without strptime,
# which costs ten times as much. (year, month, day) groups; anything else is left to strptime.
WRITTEN_OUT_DATES = (
    (re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"), (1, 2, 3)),
    (re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})"), (3, 2, 1)),
)


@dataclass
class Row:
    line: int
    values: dict
    # What the row says, and what it resolves to.
    email: str = ""
    number: str = ""
    course: CoursePage | None = None
    issued_on: datetime.date | None = None
    expires_on: datetime.date | None = None


def parse_date(text: str) -> datetime.date:
    text = text.strip()
    day = written_date(text)
    if day is None:
        raise ValueError(f"{shown(text)} is not a date (use 2026-03-02 or 02/03/2026)")
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"{shown(text)} is outside the dates the register takes ({EARLIEST_DATE} to {LATEST_DATE})")
    return day


def written_date(text: str) -> datetime.date | None:
    """The day `text` writes in one of DATE_FORMATS (which no text matches more than one of), or None."""
    for pattern, (year, month, day) in WRITTEN_OUT_DATES:
        if match := pattern.fullmatch(text):
            try:
                return datetime.date(int(match[year]), int(match[month]), int(match[day]))
            except ValueError:
                break  # not a day of the calendar: strptime says so too
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


def value_problems(row: Row, clean: dict[str, str], courses: dict[str, CoursePage], *, failed: set[str]) -> Problems:
    """Reads the number, the course and the dates into `row`; (column, reason) for each value, not already
    `failed`, that is not what its column holds, and for an expiry that is not after the issue."""
    row.number, problems = clean["number"], []
    if "number" not in failed and not is_certification_number(clean["number"]):
        problems.append(("number", f"{shown(clean['number'])} is not a certification number ({NUMBER_FORMAT_TEXT})"))
    if "course_code" not in failed:
        row.course = courses.get(clean["course_code"].upper())
        if row.course is None:
            known = ", ".join(sorted(courses)) or "none yet"
            problems.append(("course_code", f"unknown course {shown(clean['course_code'])} (known: {known})"))
    for name in ("issued_on", "expires_on"):
        if clean[name] and name not in failed:
            try:
                setattr(row, name, parse_date(clean[name]))
            except ValueError as error:
                problems.append((name, str(error)))
    if row.issued_on and row.expires_on and row.expires_on <= row.issued_on:
        problems.append(("expires_on", f"expiry {row.expires_on} is not after issue {row.issued_on}"))
    return problems


def default_expiry_problems(row: Row) -> Problems:
    """Sets the expiry of a row that gives none from its course's validity; refuses one that lands too late."""
    row.expires_on = default_expiry(row.course, row.issued_on)
    if row.expires_on <= LATEST_DATE:
        return []
    return [
        (
            "expires_on",
            f"expires_on is empty, and issue {row.issued_on} + {row.course.validity_months} months of "
            f"{row.course.code} gives {row.expires_on}, after {LATEST_DATE}",
        )
    ]


def fingerprint(row: Row) -> bytes:
    text = "|".join([row.email, row.course.code, row.number.upper(), str(row.issued_on), str(row.expires_on)])
    return digest(text)


def number_problems(row: Row, first: tuple[int, bytes] | None) -> Problems:
    """A number the file has on an earlier good line (`first`: that line and its row's fingerprint) is refused:
    as a duplicate when the rows say the same, as a contradiction otherwise."""
    if first is None:
        return []
    if first[1] == fingerprint(row):
        return [("number", f"duplicate row in the file (same as line {first[0]})")]
    return [("number", f"number {row.number} is also on line {first[0]} with other details")]


def holder_problems(row: Row, holder: tuple[str, int, str] | None) -> Problems:
    """A number already held (`holder`: the holder's email in lower case, the course's id and code) may be
    updated only for the same person and course."""
    if holder is not None and holder[0] != row.email:
        return [("number", f"number {row.number} already belongs to another person")]
    if holder is not None and holder[1] != row.course.pk:
        return [
            (
                "number",
                f"number {row.number} already belongs to a {holder[2]} certification, not {row.course.code}; "
                "a certification never changes course",
            )
        ]
    return []
