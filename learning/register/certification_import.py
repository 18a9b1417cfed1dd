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

from pathlib import Path

from django.db import connection
from django.db.models.functions import Upper

from learning.accounts.participant_import import ParticipantImport, participants_for
from learning.catalogue.models import CoursePage
from learning.common.csv_import import FileFacts, ImportReport, Problems, Progress
from learning.register import certification_import_postgres
from learning.register.certification_checks import (
    COLUMNS,
    Row,
    default_expiry_problems,
    fingerprint,
    holder_problems,
    number_problems,
    value_problems,
)
from learning.register.models import Certification
from learning.register.signals import certifications_written

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

    @classmethod
    def check_and_write(
        cls, path: Path, facts: FileFacts, *, skip_invalid: bool, progress: Progress | None
    ) -> ImportReport:
        """Set-based on PostgreSQL (learning.register.certification_import_postgres); row by row elsewhere (SQLite,
        the embedded default), to the same report and register."""
        if connection.vendor == "postgresql":
            return certification_import_postgres.check_and_write(
                cls, path, facts, skip_invalid=skip_invalid, progress=progress
            )
        return super().check_and_write(path, facts, skip_invalid=skip_invalid, progress=progress)

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
        return number_problems(row, self.numbers.get(row.number.upper())) + super().earlier_problems(row)

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
            # bulk_update stamps no auto_now field: updated_at is stamped as save() would.
            Certification._meta.get_field("updated_at").pre_save(found, add=False)
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
