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
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models.functions import Upper

from learning.accounts.participant_import import (
    PARTICIPANT_COLUMNS,
    NamesSeen,
    participants_for,
    register_name_problems,
    registered_names,
)
from learning.catalogue.models import CoursePage
from learning.common.csv_import import (
    CsvColumns,
    CsvImport,
    ImportReport,
    Problems,
    Progress,
    RejectedRow,
    RowChecks,
    checked_values,
    digest,
    email_problems,
    rejection,
    run_import,
    shown,
)
from learning.register.models import NUMBER_FORMAT_TEXT, Certification, is_certification_number
from learning.register.services import default_expiry

COLUMNS = CsvColumns(
    names=("email", "first_name", "last_name", "course_code", "number", "issued_on", "expires_on"),
    required=("email", "first_name", "last_name", "course_code", "number", "issued_on"),
    stored={**PARTICIPANT_COLUMNS, "number": (Certification, "number")},
)
# Dates outside these are typing slips (a year typed as 26 is year 0026, 2205 for 2025), not records: nobody
# holds a certification issued before 1950, and no course is valid into the next century.
EARLIEST_DATE, LATEST_DATE = datetime.date(1950, 1, 1), datetime.date(2100, 12, 31)


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
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValueError(
                f"{shown(text)} is outside the dates the register takes ({EARLIEST_DATE} to {LATEST_DATE})"
            )
        return day
    raise ValueError(f"{shown(text)} is not a date (use 2026-03-02 or 02/03/2026)")


def check_row(line: int, values: dict, courses: dict[str, CoursePage]) -> tuple[Row | None, RejectedRow | None]:
    """Checks what a row says on its own; returns the typed row, or every reason to reject it."""
    row = Row(line=line, values=values)

    def problems_of(clean: dict[str, str], failed: set[str]) -> Problems:
        row.email, row.number = clean["email"].lower(), clean["number"]
        problems = value_problems(row, clean, courses, failed=failed)
        if not failed and not problems and row.expires_on is None:
            problems += default_expiry_problems(row)
        return problems

    rejected = checked_values(line, values, COLUMNS, problems_of)
    return (None, rejected) if rejected else (row, None)


def value_problems(row: Row, clean: dict[str, str], courses: dict[str, CoursePage], *, failed: set[str]) -> Problems:
    """Reads the course and the dates into `row`; (column, reason) for each value, not already `failed`, that is
    not what its column holds, and for an expiry that is not after the issue."""
    problems = email_problems(clean, failed=failed)
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


@dataclass
class CertificationChecks(RowChecks):
    """One pass's checks: each row on its own; against the file's earlier rows (a number already on an earlier
    line, an address named differently there); then a batch against the register (a number held by someone else
    or for another course, an address the register names differently)."""

    courses: dict[str, CoursePage] = field(
        default_factory=lambda: {course.code.upper(): course for course in CoursePage.objects.all()}
    )
    # NUMBER IN CAPITALS -> (line, fingerprint): numbers are the same in any case; 8 bytes a detail, never the row.
    numbers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    names: NamesSeen = field(default_factory=NamesSeen)

    def row(self, line: int, values: dict, report: ImportReport) -> Row | None:
        row, rejected = check_row(line, values, self.courses)
        if rejected:
            report.rejected.append(rejected)
            return None
        problems = [*self.number_disagreement(row), *self.names.disagreement(row)]
        if problems:
            report.rejected.append(rejection(line, problems, values))
            return None
        self.numbers[row.number.upper()] = (row.line, fingerprint(row))
        self.names.remember(row)
        return row

    def number_disagreement(self, row: Row) -> Problems:
        first = self.numbers.get(row.number.upper())
        if first is None:
            return []
        if first[1] == fingerprint(row):
            return [("number", f"duplicate row in the file (same as line {first[0]})")]
        return [("number", f"number {row.number} is also on line {first[0]} with other details")]

    def batch(self, rows: list[Row], report: ImportReport) -> list[Row]:
        """The rows that agree with the register: a number already held is held by the same person for the same
        course (then the row updates it), and a known address belongs to a participant of the same name."""
        holders = number_holders(rows)
        participants = registered_names(rows)
        kept = []
        for row in rows:
            problems = [
                *holder_problems(row, holders.get(row.number.upper())),
                *register_name_problems(row, participants.get(row.email)),
            ]
            if problems:
                report.rejected.append(rejection(row.line, problems, row.values))
            else:
                kept.append(row)
        return kept


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


def write_batch(rows: list[Row], report: ImportReport) -> None:
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
    report.created += len(to_create)
    report.updated += len(to_update)


CERTIFICATION_IMPORT = CsvImport(
    columns=COLUMNS,
    subject="certifications",
    # The lock's name predates the other imports: kept, so that its key stays what it was.
    lock_name="learning.certification_import",
    checks=CertificationChecks,
    write_batch=write_batch,
)


def import_certifications(path: Path, *, skip_invalid: bool = False, progress: Progress | None = None) -> ImportReport:
    """Imports the file. Without `skip_invalid`, any rejected row means nothing is written."""
    return run_import(CERTIFICATION_IMPORT, path, skip_invalid=skip_invalid, progress=progress)


# The template offered for download: the header the import expects, and one row showing how values are written
# (an expiry left empty is the issue date plus the course's validity).
EXAMPLE_ROW = {
    "email": "ann.lee@example.org",
    "first_name": "Ann",
    "last_name": "Lee",
    "number": "{course_code}-2025-000123",
    "issued_on": "2025-03-02",
    "expires_on": "",
}


def example_row(*, course_code: str) -> dict[str, str]:
    """The template's example row, for the course `course_code`."""
    return {**EXAMPLE_ROW, "course_code": course_code, "number": EXAMPLE_ROW["number"].format(course_code=course_code)}
