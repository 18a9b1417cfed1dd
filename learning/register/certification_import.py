"""Bulk import of existing certification records from CSV: validated whole before anything is written, streamed
in batches so that memory stays bounded, idempotent on re-import.

Columns: email, first_name, last_name, course_code, number, issued_on, expires_on (optional). Dates are ISO
(2026-03-02) or DD/MM/YYYY. By default any bad row means nothing is written; with `skip_invalid` the good rows
are written and the rejected ones are returned (and written beside the input by the command).

The file is UTF-8 (with or without the BOM that Excel's "CSV UTF-8" writes) or, when it is not UTF-8 at all,
Windows-1252 (Excel's plain "CSV" on Windows). Anything else, a binary file or an empty one, is refused with one
line before any row is read.
"""

import csv
import datetime
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Upper

from learning.accounts.models import User
from learning.catalogue.models import CoursePage
from learning.common.batching import batches
from learning.common.spreadsheets import csv_cell
from learning.register.models import NUMBER_FORMAT_TEXT, Certification, is_certification_number
from learning.register.services import default_expiry

COLUMNS = ["email", "first_name", "last_name", "course_code", "number", "issued_on", "expires_on"]
REQUIRED_COLUMNS = ["email", "first_name", "last_name", "course_code", "number", "issued_on"]
# Rows validated and written per round trip: large enough that the per-query cost vanishes, small enough that
# a batch's users and certifications fit comfortably in memory whatever the file's size.
BATCH_SIZE = 1000
# How files are read: UTF-8 with or without a BOM, or Excel's Windows code page when a file is not UTF-8.
UTF8, WINDOWS_1252 = "utf-8-sig", "cp1252"

Progress = Callable[[str, int, int], None]


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV, wrong columns)."""


@dataclass
class RejectedRow:
    line: int
    column: str
    reason: str
    values: dict

    def __str__(self):
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    participants_created: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    written: bool = False
    new_participant_ids: list[int] = field(default_factory=list)
    encoding: str = UTF8

    @property
    def encoding_note(self) -> str:
        """Said when the file was not UTF-8, so that whoever imports it can check the names came out right."""
        if self.encoding == WINDOWS_1252:
            return "The file was read as Windows-1252 (Excel's plain CSV); CSV UTF-8 is preferred."
        return ""

    @property
    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rejected; {self.participants_created} new participants"
        )


@dataclass
class Row:
    line: int
    values: dict
    email: str = ""
    course: CoursePage | None = None
    number: str = ""
    issued_on: datetime.date | None = None
    expires_on: datetime.date | None = None


def parse_date(text: str) -> datetime.date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use 2026-03-02 or 02/03/2026)")


# Files people upload by mistake for a CSV, by their first bytes.
BINARY_SIGNATURES = [
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"),
]
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"
# Control characters that no spreadsheet writes into a CSV (tab, line feed and carriage return are allowed).
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAVE_AS_CSV_UTF8 = 'Save it from the spreadsheet as "CSV UTF-8 (Comma delimited)" and import that file.'


@dataclass
class FileFacts:
    encoding: str
    lines: int


def inspect_file(path: Path) -> FileFacts:
    """Reads the file once, as bytes: refuses an empty or binary file, and text that is not UTF-8; takes it as
    Windows-1252 only when no line is UTF-8 beyond ASCII and every line decodes as Windows-1252 text (a file
    mixing the two would otherwise turn names into mojibake). Returns the encoding and the number of lines."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        for signature, what in BINARY_SIGNATURES:
            if head.startswith(signature):
                raise ImportFileError(f"{path}: this is not a CSV file; it looks like {what}. {SAVE_AS_CSV_UTF8}")
        if head.startswith(UTF16_BOMS):
            raise ImportFileError(f'{path}: this file is UTF-16 text ("Unicode Text"). {SAVE_AS_CSV_UTF8}')
        handle.seek(0)
        lines, first_not_utf8, utf8_beyond_ascii, windows_1252_text, blank = 0, 0, False, True, True
        for line in handle:
            lines += 1
            if lines == 1 and line.startswith(UTF8_BOM):
                # Excel's "CSV UTF-8" says so at the start: the rest must then be UTF-8 too.
                line, utf8_beyond_ascii = line.removeprefix(UTF8_BOM), True
            if CONTROL_BYTES.search(line):
                raise ImportFileError(
                    f"{path}, line {lines}: this is not a CSV file (it holds binary data). {SAVE_AS_CSV_UTF8}"
                )
            blank = blank and not line.strip()
            if line.isascii():
                continue
            if decodes_as(line, "utf-8"):
                utf8_beyond_ascii = True
            else:
                first_not_utf8 = first_not_utf8 or lines
                windows_1252_text = windows_1252_text and decodes_as(line, WINDOWS_1252)
    if blank:
        raise ImportFileError(f"{path}: the file is empty; expected a header line: {','.join(COLUMNS)}")
    if not first_not_utf8:
        return FileFacts(UTF8, lines)
    if windows_1252_text and not utf8_beyond_ascii:
        return FileFacts(WINDOWS_1252, lines)
    raise ImportFileError(f"{path}, line {first_not_utf8}: the text is not UTF-8. {SAVE_AS_CSV_UTF8}")


def decodes_as(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def read_rows(path: Path, encoding: str = UTF8) -> Iterator[tuple[int, dict]]:
    """(line number, values) for each data row; the header is checked first."""
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.DictReader(handle)
        try:
            fieldnames = reader.fieldnames
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(f"{path}, line 1: not readable as CSV ({error})") from None
        if fieldnames is None:
            raise ImportFileError(f"{path}: the file is empty; expected a header line: {','.join(COLUMNS)}")
        header = [name.strip().lower() for name in fieldnames]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        unknown = [name for name in header if name not in COLUMNS]
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing column(s) {', '.join(missing)}")
            if unknown:
                problems.append(f"unknown column(s) {', '.join(unknown)}")
            raise ImportFileError(f"{path}, line 1: {'; '.join(problems)}. Expected: {','.join(COLUMNS)}")
        reader.fieldnames = header
        try:
            for values in reader:
                if None in values:
                    yield reader.line_num, {"__extra__": values.pop(None), **values}
                else:
                    yield reader.line_num, values
        except (csv.Error, UnicodeDecodeError) as error:
            # The DictReader counts a line only once it is read whole; its csv reader knows where it stopped.
            line = reader.reader.line_num
            raise ImportFileError(f"{path}, line {line}: not readable as CSV ({error})") from None


def check_row(line: int, values: dict, courses: dict[str, CoursePage]) -> tuple[Row | None, RejectedRow | None]:
    """Checks what a row says on its own; returns the typed row, or every reason to reject it."""
    if "__extra__" in values:
        return None, RejectedRow(
            line, "(row)", "more values than columns (a comma inside a value needs quotes)", values
        )
    clean = {name: (values.get(name) or "").strip() for name in COLUMNS}
    problems: list[tuple[str, str]] = [(name, "is empty") for name in REQUIRED_COLUMNS if not clean[name]]
    empty = {name for name, _ in problems}
    row = Row(line=line, values=values, email=clean["email"].lower(), number=clean["number"])
    if "email" not in empty:
        try:
            validate_email(clean["email"])
        except ValidationError:
            problems.append(("email", f"{clean['email']!r} is not an email address"))
    if "number" not in empty and not is_certification_number(clean["number"]):
        shown = clean["number"] if len(clean["number"]) <= 60 else clean["number"][:57] + "..."
        problems.append(("number", f"{shown!r} is not a certification number ({NUMBER_FORMAT_TEXT})"))
    if "course_code" not in empty:
        row.course = courses.get(clean["course_code"].upper())
        if row.course is None:
            known = ", ".join(sorted(courses)) or "none yet"
            problems.append(("course_code", f"unknown course {clean['course_code']!r} (known: {known})"))
    for name in ("issued_on", "expires_on"):
        if clean[name]:
            try:
                setattr(row, name, parse_date(clean[name]))
            except ValueError as error:
                problems.append((name, str(error)))
    if row.issued_on and row.expires_on and row.expires_on <= row.issued_on:
        problems.append(("expires_on", f"expiry {row.expires_on} is not after issue {row.issued_on}"))
    if problems:
        columns = ", ".join(dict.fromkeys(name for name, _ in problems))
        reasons = "; ".join(f"{name} {reason}" if reason == "is empty" else reason for name, reason in problems)
        return None, RejectedRow(line, columns, reasons, values)
    if row.expires_on is None:
        row.expires_on = default_expiry(row.course, row.issued_on)
    return row, None


def fingerprint(row: Row) -> bytes:
    text = "|".join([row.email, row.course.code, row.number.upper(), str(row.issued_on), str(row.expires_on)])
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def checked_rows(path: Path, encoding: str, courses, report: ImportReport, progress: Progress | None, total: int):
    """Yields batches of good rows; records rejected ones in `report` (file duplicates and numbers held by
    someone else included)."""
    # NUMBER IN CAPITALS -> (line, fingerprint): 8 bytes a row, not the row; numbers are the same in any case.
    seen: dict[str, tuple[int, bytes]] = {}
    done = 0
    for raw_batch in batches(read_rows(path, encoding), BATCH_SIZE):
        good: list[Row] = []
        for line, values in raw_batch:
            row, rejected = check_row(line, values, courses)
            if rejected:
                report.rejected.append(rejected)
                continue
            first = seen.get(row.number.upper())
            if first is not None:
                same = first[1] == fingerprint(row)
                reason = (
                    f"duplicate row in the file (same as line {first[0]})"
                    if same
                    else (f"number {row.number} is also on line {first[0]} with other details")
                )
                report.rejected.append(RejectedRow(line, "number", reason, values))
                continue
            seen[row.number.upper()] = (line, fingerprint(row))
            good.append(row)
        holders = {
            number.upper(): email
            for number, email in with_numbers([row.number for row in good]).values_list("number", "participant__email")
        }
        kept = []
        for row in good:
            holder = holders.get(row.number.upper())
            if holder is not None and holder.lower() != row.email:
                report.rejected.append(
                    RejectedRow(
                        row.line, "number", f"number {row.number} already belongs to another person", row.values
                    )
                )
            else:
                kept.append(row)
        done += len(raw_batch)
        if progress:
            progress("checking", done, total)
        yield kept


def with_numbers(numbers: list[str]):
    """The certifications holding any of `numbers`, in any case (the unique index is on the number in capitals)."""
    return Certification.objects.annotate(number_upper=Upper("number")).filter(
        number_upper__in={number.upper() for number in numbers}
    )


def write_batch(rows: list[Row], report: ImportReport) -> None:
    emails = {row.email for row in rows}
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    new_users = []
    for row in rows:
        if row.email not in users:
            clean = {name: (row.values.get(name) or "").strip() for name in ("first_name", "last_name")}
            user = User(email=row.email, password=make_password(None), **clean)
            users[row.email] = user
            new_users.append(user)
    if new_users:
        User.objects.bulk_create(new_users)
        # bulk_create sets primary keys on PostgreSQL and SQLite; fetch them where a backend does not.
        if any(user.pk is None for user in new_users):
            fetched = {u.email: u for u in User.objects.filter(email__in=[u.email for u in new_users])}
            new_users = [fetched[user.email] for user in new_users]
            users.update(fetched)
        report.participants_created += len(new_users)
        report.new_participant_ids.extend(user.pk for user in new_users)

    existing = {c.number.upper(): c for c in with_numbers([row.number for row in rows])}
    to_create, to_update = [], []
    for row in rows:
        participant = users[row.email]
        found = existing.get(row.number.upper())
        if found is None:
            to_create.append(
                Certification(
                    participant=participant,
                    course=row.course,
                    number=row.number,
                    issued_on=row.issued_on,
                    expires_on=row.expires_on,
                )
            )
        elif (found.course_id, found.issued_on, found.expires_on) != (row.course.pk, row.issued_on, row.expires_on):
            found.course, found.issued_on, found.expires_on = row.course, row.issued_on, row.expires_on
            to_update.append(found)
        else:
            report.unchanged += 1
    Certification.objects.bulk_create(to_create)
    Certification.objects.bulk_update(to_update, ["course", "issued_on", "expires_on", "updated_at"])
    report.created += len(to_create)
    report.updated += len(to_update)


def import_certifications(path: Path, *, skip_invalid: bool = False, progress: Progress | None = None) -> ImportReport:
    """Imports the file. Without `skip_invalid`, any rejected row means nothing is written."""
    path = Path(path)
    facts = inspect_file(path)  # an unreadable file is refused here, before any row is looked at
    courses = {course.code.upper(): course for course in CoursePage.objects.all()}
    total = max(facts.lines - 1, 0)
    report = ImportReport(encoding=facts.encoding)

    # First pass: check every row (reads the file once; nothing is written).
    for batch in checked_rows(path, facts.encoding, courses, report, progress, total):
        report.rows += len(batch)
    report.rows += len(report.rejected)
    if report.rejected and not skip_invalid:
        return report

    # Second pass: write the good rows, all in one transaction.
    rejected_lines = {rejected.line for rejected in report.rejected}
    written = 0
    with transaction.atomic():
        scratch = ImportReport()
        for batch in checked_rows(path, facts.encoding, courses, scratch, None, total):
            batch = [row for row in batch if row.line not in rejected_lines]
            write_batch(batch, report)
            written += len(batch)
            if progress:
                progress("writing", written, report.rows - len(report.rejected))
    report.written = True
    return report


def write_rejected(report: ImportReport, path: Path) -> Path:
    """Writes the rejected rows, with their line and reason, to `<input>.rejected.csv` beside the input."""
    target = path.with_name(f"{path.stem}.rejected.csv")
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "column", "reason", *COLUMNS])
        # Opened in a spreadsheet to be corrected: a cell the upload holds must not run there as a formula.
        for rejected in report.rejected:
            values = [rejected.values.get(name, "") for name in COLUMNS]
            writer.writerow([csv_cell(cell) for cell in [rejected.line, rejected.column, rejected.reason, *values]])
    return target
