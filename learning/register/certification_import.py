"""Bulk import of existing certification records from CSV: validated whole before anything is written, streamed
in batches so that memory stays bounded, idempotent on re-import.

Columns: email, first_name, last_name, course_code, number, issued_on, expires_on (optional). Dates are ISO
(2026-03-02) or DD/MM/YYYY. By default any bad row means nothing is written; with `skip_invalid` the good rows
are written and the rejected ones are returned (and written beside the input by the command).

The file is read, and refused as a whole, as every import's is (learning.common.csv_import: UTF-8 with or without
a BOM, or Windows-1252; never a binary or empty file), and its participants are found or created by email with
the name rules of learning.accounts.participant_import.

A row is refused, with its line and column, when a value would not fit its database column, holds a control
character, is a date outside 1950-2100, reuses a number held by another person or for another course, or names
a participant (by email) differently from the register. The checks and the writes run in one transaction that
holds an import lock, so two imports at once never interleave: the second is refused in one plain sentence.
"""

import datetime
import re
from dataclasses import dataclass

from django.db.models.functions import Upper

from learning.accounts.participant_import import PARTICIPANT_COLUMNS, ParticipantImport, participants_for
from learning.catalogue.models import CoursePage
from learning.common.csv_import import (
    CsvColumns,
    ImportReport,
    Problems,
    digest,
    shown,
)
from learning.register.models import NUMBER_FORMAT_TEXT, Certification, is_certification_number
from learning.register.services import default_expiry
from learning.register.signals import certifications_written

COLUMNS = CsvColumns(
    names=("email", "first_name", "last_name", "course_code", "number", "issued_on", "expires_on"),
    required=("email", "first_name", "last_name", "course_code", "number", "issued_on"),
    stored={**PARTICIPANT_COLUMNS, "number": (Certification, "number")},
)
# Dates outside these are typing slips (a year typed as 26 is year 0026, 2205 for 2025), not records: nobody
# holds a certification issued before 1950, and no course is valid into the next century.
EARLIEST_DATE, LATEST_DATE = datetime.date(1950, 1, 1), datetime.date(2100, 12, 31)
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


# The template's example row, its course and the number's prefix filled in from the catalogue.
EXAMPLE_ROW = {
    "email": "ann.lee@example.org",
    "first_name": "Ann",
    "last_name": "Lee",
    "number": "{course_code}-2025-000123",
    "issued_on": "2025-03-02",
    "expires_on": "",
}


class CertificationImport(ParticipantImport):
    """A participant's checks (learning.accounts.participant_import), then each row's number, course and dates; a
    number already on an earlier line; a number held by someone else or for another course. Writes the
    certifications, a number already held by the same person for the same course updating its dates."""

    subject = "certifications"
    columns = COLUMNS
    values_help = "Dates as 2026-03-02 or 02/03/2026."
    identifying_columns = ("email", "number")

    def __init__(self):
        super().__init__()
        self.courses = {course.code.upper(): course for course in CoursePage.objects.all()}
        # NUMBER IN CAPITALS -> (line, fingerprint): numbers are the same in any case; 8 bytes a detail.
        self.numbers: dict[str, tuple[int, bytes]] = {}

    @classmethod
    def example_row(cls) -> dict[str, str]:
        """The example row, for a course the catalogue has (an expiry left empty is the issue date plus the
        course's validity)."""
        code = CoursePage.objects.order_by("code").values_list("code", flat=True).first() or "ALS1"
        return {**EXAMPLE_ROW, "course_code": code, "number": EXAMPLE_ROW["number"].format(course_code=code)}

    def new_row(self, line: int, values: dict) -> Row:
        return Row(line=line, values=values)

    def value_problems(self, row: Row, clean: dict[str, str], failed: set[str]) -> Problems:
        problems = super().value_problems(row, clean, failed)
        problems += value_problems(row, clean, self.courses, failed=failed)
        # Only a row whose course and issue date are sound has an expiry to compute.
        if not failed and not problems and row.expires_on is None:
            problems += default_expiry_problems(row)
        return problems

    def earlier_problems(self, row: Row) -> Problems:
        first = self.numbers.get(row.number.upper())
        if first is None:
            numbers = []
        elif first[1] == fingerprint(row):
            numbers = [("number", f"duplicate row in the file (same as line {first[0]})")]
        else:
            numbers = [("number", f"number {row.number} is also on line {first[0]} with other details")]
        return numbers + super().earlier_problems(row)

    def remember(self, row: Row) -> None:
        self.numbers[row.number.upper()] = (row.line, fingerprint(row))
        super().remember(row)

    def register_problems(self, rows: list[Row]):
        """A number already held is held by the same person for the same course (then the row updates it)."""
        holders, names = number_holders(rows), super().register_problems(rows)
        return lambda row: holder_problems(row, holders.get(row.number.upper())) + names(row)

    def write_batch(self, rows: list[Row], report: ImportReport) -> None:
        write_certifications(rows, report)


def number_holders(rows: list[Row]) -> dict[str, tuple[str, int, str]]:
    """NUMBER IN CAPITALS -> (holder's email in lower case, course id, course code) for the rows' numbers already
    in the register."""
    return {
        number.upper(): (email.lower(), course_id, course_code)
        for number, email, course_id, course_code in with_numbers([row.number for row in rows]).values_list(
            "number", "participant__email", "course_id", "course__code"
        )
    }


def holder_problems(row: Row, holder: tuple[str, int, str] | None) -> Problems:
    """A number already held may be updated only for the same person and course."""
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


def with_numbers(numbers: list[str]):
    """The certifications holding any of `numbers`, in any case (the unique index is on the number in capitals)."""
    return Certification.objects.annotate(number_upper=Upper("number")).filter(
        number_upper__in={number.upper() for number in numbers}
    )


def write_certifications(rows: list[Row], report: ImportReport) -> None:
    users = participants_for(rows, report)
    existing = {c.number.upper(): c for c in with_numbers([row.number for row in rows])}
    to_create, to_update = [], []
    for row in rows:
        found = existing.get(row.number.upper())
        if found is None:
            to_create.append(
                Certification(
                    participant=users[row.email],
                    course=row.course,
                    number=row.number,
                    issued_on=row.issued_on,
                    expires_on=row.expires_on,
                )
            )
        elif (found.issued_on, found.expires_on) != (row.issued_on, row.expires_on):
            # The checks let through only the same person's number for the same course: only dates change.
            found.issued_on, found.expires_on = row.issued_on, row.expires_on
            to_update.append(found)
        else:
            report.unchanged += 1
    Certification.objects.bulk_create(to_create)
    Certification.objects.bulk_update(to_update, ["issued_on", "expires_on", "updated_at"])
    if to_create or to_update:
        # bulk writes send no post_save: say whose certifications changed (a new expiry may be due already).
        participant_ids = {certification.participant_id for certification in to_create + to_update}
        certifications_written.send(sender=Certification, participant_ids=participant_ids)
    report.created += len(to_create)
    report.updated += len(to_update)


# The name the command, the admin's runs and the benchmark have imported files by from the start.
import_certifications = CertificationImport.run
