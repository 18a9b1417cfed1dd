"""Bulk import of existing certification records from CSV: validated whole before anything is written, streamed
in batches so that memory stays bounded, idempotent on re-import.

Columns: email, first_name, last_name, course_code, number, issued_on, expires_on (optional). Dates are ISO
(2026-03-02) or DD/MM/YYYY. By default any bad row means nothing is written; with `skip_invalid` the good rows
are written and the rejected ones are returned (and written beside the input by the command).

The file is UTF-8 (with or without the BOM that Excel's "CSV UTF-8" writes) or, when it is not UTF-8 at all,
Windows-1252 (Excel's plain "CSV" on Windows). Anything else, a binary file or an empty one, is refused with one
line before any row is read.

A row is refused, with its line and column, when a value would not fit its database column, holds a control
character, is a date outside 1950-2100, reuses a number held by another person or for another course, or names
a participant (by email) differently from the register. The checks and the writes run in one transaction that
holds an import lock, so two imports at once never interleave: the second is refused in one plain sentence.
"""

import csv
import datetime
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, IntegrityError, OperationalError, connection, transaction
from django.db.models.functions import Lower, Upper

from learning.accounts.models import User
from learning.catalogue.models import CoursePage
from learning.common.batching import batches
from learning.common.spreadsheets import csv_cell
from learning.register.models import NUMBER_FORMAT_TEXT, Certification, is_certification_number
from learning.register.services import default_expiry

COLUMNS = ["email", "first_name", "last_name", "course_code", "number", "issued_on", "expires_on"]
REQUIRED_COLUMNS = ["email", "first_name", "last_name", "course_code", "number", "issued_on"]
NAME_COLUMNS = ("first_name", "last_name")
# Rows validated and written per round trip: large enough that the per-query cost vanishes, small enough that
# a batch's users and certifications fit comfortably in memory whatever the file's size.
BATCH_SIZE = 1000
# How files are read: UTF-8 with or without a BOM, or Excel's Windows code page when a file is not UTF-8.
UTF8, WINDOWS_1252 = "utf-8-sig", "cp1252"

# The database column each stored CSV column goes into: lengths are checked against these fields' max_length,
# so that a widened or narrowed column changes the check with it.
STORED_COLUMNS = {
    "email": (User, "email"),
    "first_name": (User, "first_name"),
    "last_name": (User, "last_name"),
    "number": (Certification, "number"),
}
# Dates outside these are typing slips (a year typed as 26 is year 0026, 2205 for 2025), not records: nobody
# holds a certification issued before 1950, and no course is valid into the next century.
EARLIEST_DATE, LATEST_DATE = datetime.date(1950, 1, 1), datetime.date(2100, 12, 31)
# Control characters (C0, DEL and C1) have no place in a name, an address or a number; the file check refuses
# the ASCII ones as binary data, and this catches the rest (a quoted line break, U+0080-U+009F from UTF-8).
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# How much of a bad value a message repeats: enough to find it in the file, never a whole pasted page.
SHOWN_CHARACTERS = 60
# The PostgreSQL advisory lock that one import holds while it checks and writes: any 64-bit number no other
# part of the portal uses. Derived from the module's name so that it is not a magic constant to collide with.
IMPORT_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"learning.certification_import", digest_size=8).digest(), "big", signed=True
)
ANOTHER_IMPORT_RUNNING = (
    "{path}: another import of certifications is running; nothing was imported. Import this file again when it "
    "has finished (re-importing changes nothing that is already in)."
)
REGISTER_CHANGED = "{path}: the register changed while importing ({what}); nothing was imported. Import the file again."

Progress = Callable[[str, int, int], None]


class ImportRefused(Exception):
    """The import did not run and nothing was written; the message says why in one line."""


class ImportFileError(ImportRefused):
    """The file as a whole cannot be read (not CSV, wrong columns)."""


class ImportBusy(ImportRefused):
    """Another import holds the register."""


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


def shown(text: str) -> str:
    """The value as a message repeats it: quoted, and cut short when long."""
    if len(text) > SHOWN_CHARACTERS:
        text = text[: SHOWN_CHARACTERS - 3] + "..."
    return repr(text)


def column_limit(name: str) -> int | None:
    model, field_name = STORED_COLUMNS[name]
    return model._meta.get_field(field_name).max_length


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
                where = column_holding_control_byte(path, lines)
                raise ImportFileError(
                    f"{path}, line {lines}: this is not a CSV file (it holds binary data{where}). {SAVE_AS_CSV_UTF8}"
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


def column_holding_control_byte(path: Path, line: int) -> str:
    """Where on physical `line` the first control byte is, as ", in column 2 (first_name)", so that whoever fixes
    the file finds the cell; empty when the file cannot be read as CSV that far. Read as Latin-1, which maps
    every byte to one character, because the encoding is not known yet and only the separators matter here."""
    with open(path, newline="", encoding="latin-1") as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip().lower() for name in next(reader, [])]
            if header:
                header[0] = header[0].removeprefix(UTF8_BOM.decode("latin-1"))
            values = header
            while reader.line_num < line:
                values = next(reader)
        except (csv.Error, StopIteration):
            return ""
    for index, value in enumerate(values):
        if CONTROL_CHARACTER.search(value):
            name = header[index] if index < len(header) else "beyond the header"
            return f", in column {index + 1} ({name})"
    return ""


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
        # Rows are read from the csv reader itself so that a row whose quoted value holds a line break is named by
        # the line it starts on (the DictReader knows only where a row ends), blank lines skipped as it does.
        records = reader.reader
        ended = records.line_num
        try:
            for record in records:
                started, ended = ended + 1, records.line_num
                if not record:
                    continue
                values = {name: (record[index] if index < len(record) else None) for index, name in enumerate(header)}
                if len(record) > len(header):
                    values["__extra__"] = record[len(header) :]
                yield started, values
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(f"{path}, line {records.line_num}: not readable as CSV ({error})") from None


# (column, reason): why a row is refused, in the order the checks found it.
Problems = list[tuple[str, str]]


def check_row(line: int, values: dict, courses: dict[str, CoursePage]) -> tuple[Row | None, RejectedRow | None]:
    """Checks what a row says on its own; returns the typed row, or every reason to reject it."""
    if "__extra__" in values:
        # The header's columns are the other keys; the first value beyond them is in the column after.
        beyond = f"column {len(values)} (beyond the header)"
        return None, RejectedRow(line, beyond, "more values than columns (a comma inside a value needs quotes)", values)
    clean = {name: (values.get(name) or "").strip() for name in COLUMNS}
    row = Row(line=line, values=values, email=clean["email"].lower(), number=clean["number"])
    problems = empty_or_control_problems(clean)
    problems += value_problems(row, clean, courses, failed={name for name, _ in problems})
    # Checked last, on values that passed their own checks, so that a bad value gets the message that says
    # what it should be (a number's format, an address) rather than only that it is too long.
    problems += length_problems(clean, failed={name for name, _ in problems})
    if not problems and row.expires_on is None:
        problems += default_expiry_problems(row)
    if problems:
        return None, rejection(line, problems, values)
    return row, None


def empty_or_control_problems(clean: dict[str, str]) -> Problems:
    """(column, reason) for each required value that is empty and each value holding a control character."""
    problems = [(name, f"{name} is empty") for name in REQUIRED_COLUMNS if not clean[name]]
    for name in COLUMNS:
        if control := CONTROL_CHARACTER.search(clean[name]):
            problems.append(
                (
                    name,
                    f"{name} holds a control character (U+{ord(control.group()):04X}) at character "
                    f"{control.start() + 1}; values must be plain text on one line",
                )
            )
    return problems


def value_problems(row: Row, clean: dict[str, str], courses: dict[str, CoursePage], *, failed: set[str]) -> Problems:
    """Reads the course and the dates into `row`; (column, reason) for each value, not already `failed`, that is
    not what its column holds, and for an expiry that is not after the issue."""
    problems = []
    if "email" not in failed and not is_email_address(clean["email"]):
        problems.append(("email", f"{shown(clean['email'])} is not an email address"))
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


def is_email_address(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def length_problems(clean: dict[str, str], *, failed: set[str]) -> Problems:
    """(column, reason) for each stored value, not already `failed`, too long for its database column."""
    problems = []
    for name in STORED_COLUMNS:
        limit = column_limit(name)
        if name not in failed and limit is not None and len(clean[name]) > limit:
            problems.append((name, f"{name} is {len(clean[name])} characters long; the register holds at most {limit}"))
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


def rejection(line: int, problems: list[tuple[str, str]], values: dict) -> RejectedRow:
    """One rejected row naming every column at fault and every reason, in the order found."""
    columns = ", ".join(dict.fromkeys(name for name, _ in problems))
    return RejectedRow(line, columns, "; ".join(reason for _, reason in problems), values)


def fingerprint(row: Row) -> bytes:
    text = "|".join([row.email, row.course.code, row.number.upper(), str(row.issued_on), str(row.expires_on)])
    return digest(text)


def digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def comparable_name(name: str) -> str:
    """Names are the same when they differ only in case, spacing or Unicode composition (an é typed as e and
    an accent): those are how spreadsheets and keyboards differ, not who the person is."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def differing_names(was, now) -> list[str]:
    """The name columns whose (comparable) values differ."""
    return [column for column, before, after in zip(NAME_COLUMNS, was, now, strict=True) if before != after]


def row_names(row: Row) -> tuple[str, str]:
    return (row.values.get("first_name") or "").strip(), (row.values.get("last_name") or "").strip()


@dataclass
class EarlierRows:
    """What the good rows read so far say, kept small whatever the file's size: 8 bytes a detail, never the row."""

    # NUMBER IN CAPITALS -> (line, fingerprint): numbers are the same in any case.
    numbers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    # email -> (line, first name, last name) as digests of the comparable names: who this file says the address is.
    names: dict[str, tuple[int, bytes, bytes]] = field(default_factory=dict)

    def disagreements(self, row: Row) -> Problems:
        """A number already on an earlier line, and an address named differently there."""
        problems = []
        first = self.numbers.get(row.number.upper())
        if first is not None:
            same = first[1] == fingerprint(row)
            reason = (
                f"duplicate row in the file (same as line {first[0]})"
                if same
                else (f"number {row.number} is also on line {first[0]} with other details")
            )
            problems.append(("number", reason))
        named, names = self.names.get(row.email), name_digests(row)
        if named is not None and named[1:] != names:
            problems.append(
                (
                    ", ".join(differing_names(named[1:], names)),
                    f"{row.email} is named {' '.join(row_names(row))!r} here but differently on line "
                    f"{named[0]}; one person has one name",
                )
            )
        return problems

    def remember(self, row: Row) -> None:
        self.numbers[row.number.upper()] = (row.line, fingerprint(row))
        self.names.setdefault(row.email, (row.line, *name_digests(row)))


def name_digests(row: Row) -> tuple[bytes, ...]:
    return tuple(digest(comparable_name(name)) for name in row_names(row))


def checked_rows(path: Path, encoding: str, courses, report: ImportReport, progress: Progress | None, total: int):
    """Yields batches of good rows; records rejected ones in `report` (file duplicates, numbers held by someone
    else or for another course, and names that differ from the register's or from an earlier line's)."""
    earlier = EarlierRows()
    done = 0
    for raw_batch in batches(read_rows(path, encoding), BATCH_SIZE):
        good: list[Row] = []
        for line, values in raw_batch:
            row = checked_against_file(line, values, courses=courses, earlier=earlier, report=report)
            if row is not None:
                good.append(row)
        done += len(raw_batch)
        if progress:
            progress("checking", done, total)
        yield against_register(good, report)


def checked_against_file(
    line: int, values: dict, *, courses: dict[str, CoursePage], earlier: EarlierRows, report: ImportReport
) -> Row | None:
    """The row when it passes its own checks and agrees with the file's earlier rows; otherwise None, with the
    rejection recorded in `report`."""
    row, rejected = check_row(line, values, courses)
    if rejected:
        report.rejected.append(rejected)
        return None
    problems = earlier.disagreements(row)
    if problems:
        report.rejected.append(rejection(line, problems, values))
        return None
    earlier.remember(row)
    return row


def against_register(rows: list[Row], report: ImportReport) -> list[Row]:
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


def registered_names(rows: list[Row]) -> dict[str, tuple[str, str]]:
    """email in lower case -> (first name, last name) of the rows' participants already in the register."""
    return {
        user.email.lower(): (user.first_name, user.last_name)
        for user in participants_by_email({row.email for row in rows}).only("email", "first_name", "last_name")
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


def register_name_problems(row: Row, registered: tuple[str, str] | None) -> Problems:
    """A known address must be named as the register names it."""
    if registered is None:
        return []
    columns = differing_names(
        [comparable_name(name) for name in registered], [comparable_name(name) for name in row_names(row)]
    )
    if not columns:
        return []
    return [
        (
            ", ".join(columns),
            f"{row.email} is {' '.join(registered)!r} in the register, not {' '.join(row_names(row))!r}; "
            "correct the file or the participant, then import again",
        )
    ]


def with_numbers(numbers: list[str]):
    """The certifications holding any of `numbers`, in any case (the unique index is on the number in capitals)."""
    return Certification.objects.annotate(number_upper=Upper("number")).filter(
        number_upper__in={number.upper() for number in numbers}
    )


def participants_by_email(emails: set[str]):
    """The users with any of `emails` (given in lower case), however their address was capitalised when stored
    (the unique index is on the address in lower case)."""
    return User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)


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


def participants_for(rows: list[Row], report: ImportReport) -> dict[str, User]:
    """email in lower case -> user for every row, creating the participants the register does not know yet."""
    users = {user.email.lower(): user for user in participants_by_email({row.email for row in rows})}
    new_users = []
    for row in rows:
        if row.email not in users:
            first_name, last_name = row_names(row)
            user = User(email=row.email, password=make_password(None), first_name=first_name, last_name=last_name)
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
    return users


def hold_import_lock(path: Path) -> None:
    """Takes the import lock for the current transaction, or refuses at once when another import holds it: an
    administrator waiting on an upload page is better told plainly than left hanging for minutes."""
    if connection.vendor != "postgresql":
        # SQLite lets one writing transaction in at a time (transaction_mode IMMEDIATE): the second waits.
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise ImportBusy(ANOTHER_IMPORT_RUNNING.format(path=path))


def import_certifications(path: Path, *, skip_invalid: bool = False, progress: Progress | None = None) -> ImportReport:
    """Imports the file. Without `skip_invalid`, any rejected row means nothing is written."""
    path = Path(path)
    facts = inspect_file(path)  # an unreadable file is refused here, before any row is looked at
    try:
        # Checks and writes in one transaction under the lock, so that what was checked is what is written to.
        with transaction.atomic():
            hold_import_lock(path)
            return check_and_write(path, facts, skip_invalid=skip_invalid, progress=progress)
    except OperationalError as error:
        if "locked" in str(error):  # SQLite: another writer held the database longer than its timeout
            raise ImportBusy(ANOTHER_IMPORT_RUNNING.format(path=path)) from None
        raise
    except IntegrityError as error:
        # Only a write from outside the import (an administrator saving the same number a moment ago) gets
        # past the checks; the transaction is rolled back whole.
        raise ImportRefused(REGISTER_CHANGED.format(path=path, what=first_line(error))) from None
    except DataError as error:
        raise ImportRefused(
            f"{path}: the database refused a value, so nothing was imported ({first_line(error)})"
        ) from None


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def check_and_write(path: Path, facts: FileFacts, *, skip_invalid: bool, progress: Progress | None) -> ImportReport:
    courses = {course.code.upper(): course for course in CoursePage.objects.all()}
    total = max(facts.lines - 1, 0)
    report = ImportReport(encoding=facts.encoding)

    # First pass: check every row (reads the file once; nothing is written).
    for batch in checked_rows(path, facts.encoding, courses, report, progress, total):
        report.rows += len(batch)
    report.rows += len(report.rejected)
    if report.rejected and not skip_invalid:
        return report

    # Second pass: write the good rows. The checks run again batch by batch (the file is not held in memory);
    # they see this import's own earlier batches, which never change their outcome, so any new rejection
    # means that someone else changed the register in between.
    rejected_lines = {rejected.line for rejected in report.rejected}
    written = 0
    scratch = ImportReport()
    for batch in checked_rows(path, facts.encoding, courses, scratch, None, total):
        changed = next((rejected for rejected in scratch.rejected if rejected.line not in rejected_lines), None)
        if changed is not None:
            raise ImportRefused(REGISTER_CHANGED.format(path=path, what=changed))
        scratch.rejected.clear()
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
        write_rejected_rows(handle, report.rejected)
    return target


def write_rejected_rows(handle, rejected_rows: Iterable) -> None:
    """Writes rows that have a line, a column, a reason and their values (a RejectedRow, or one kept for a run in
    the admin) as CSV to `handle`: the line and why, then the row as the file had it."""
    writer = csv.writer(handle)
    writer.writerow(["line", "column", "reason", *COLUMNS])
    # Opened in a spreadsheet to be corrected: a cell the upload holds must not run there as a formula.
    for rejected in rejected_rows:
        values = [rejected.values.get(name) or "" for name in COLUMNS]
        writer.writerow([csv_cell(cell) for cell in [rejected.line, rejected.column, rejected.reason, *values]])


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


def write_template(handle, *, course_code: str) -> None:
    """Writes the import's CSV template to `handle`, its example row for the course `course_code`."""
    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    example = {**EXAMPLE_ROW, "course_code": course_code}
    example["number"] = example["number"].format(course_code=course_code)
    writer.writerow([csv_cell(example[name]) for name in COLUMNS])
