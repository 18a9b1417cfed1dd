"""What the portal's CSV imports have in common, whatever their rows mean (certifications in
learning.register.certification_import, organisation members in learning.organisations.members_import):

- the file is checked as a whole before any row is read: UTF-8 with or without the BOM that Excel's "CSV UTF-8"
  writes, or, when it is not UTF-8 at all, Windows-1252 (Excel's plain "CSV" on Windows); anything else, a
  binary file or an empty one, is refused with one line;
- the header is checked against the import's columns, and each row is named by the line it starts on, also when a
  quoted value holds a line break;
- the checks every column has: a required value that is empty, a control character, a value longer than the
  database column it goes into;
- all or nothing: every row is checked first, and only then, if none was rejected or the caller asked to skip the
  invalid ones, the good rows are written, in one transaction under a lock that lets one import of a kind run at
  a time;
- the report, with each rejected row's line, columns and reasons, and the rejected rows and the template as CSV.
"""

import csv
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from operator import attrgetter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, IntegrityError, OperationalError, connection, transaction

from learning.common.batching import batches
from learning.common.spreadsheets import csv_cell

# Rows checked and written per round trip: large enough that the per-query cost vanishes, small enough that a
# batch's rows and what they resolve to fit comfortably in memory whatever the file's size.
BATCH_SIZE = 1000
# How files are read: UTF-8 with or without a BOM, or Excel's Windows code page when a file is not UTF-8.
UTF8, WINDOWS_1252 = "utf-8-sig", "cp1252"
# Control characters (C0, DEL and C1) have no place in a name, an address or a number; the file check refuses
# the ASCII ones as binary data, and this catches the rest (a quoted line break, U+0080-U+009F from UTF-8).
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The longest address validate_email takes (RFC 3696, section 3).
EMAIL_MAX_LENGTH = 320
# How much of a bad value a message repeats: enough to find it in the file, never a whole pasted page.
SHOWN_CHARACTERS = 60
ANOTHER_IMPORT_RUNNING = (
    "{path}: another import of {subject} is running; nothing was imported. Import this file again when it "
    "has finished (re-importing changes nothing that is already in)."
)
REGISTER_CHANGED = "{path}: the register changed while importing ({what}); nothing was imported. Import the file again."

Progress = Callable[[str, int, int], None]


class ImportRefused(Exception):
    """The import did not run and nothing was written; the message says why in one line."""


class ImportFileError(ImportRefused):
    """The file as a whole cannot be read (not CSV, wrong columns)."""


class ImportBusy(ImportRefused):
    """Another import of the same kind holds the register."""


@dataclass(frozen=True)
class CsvColumns:
    """The columns of an import: all of them, in the template's order; those a row must fill; and, for those that
    are stored as they are, the model and field that hold them (their max_length bounds the value, so that a
    widened or narrowed column changes the check with it)."""

    names: tuple[str, ...]
    required: tuple[str, ...]
    stored: dict = field(default_factory=dict)

    @property
    def header(self) -> str:
        return ",".join(self.names)

    def limit(self, name: str) -> int | None:
        model, field_name = self.stored[name]
        return model._meta.get_field(field_name).max_length

    def limits(self) -> dict[str, int | None]:
        """Each stored column's limit, as the models say now: read once per pass over a file, not once a row."""
        return {name: self.limit(name) for name in self.stored}


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


def shown(text: str) -> str:
    """The value as a message repeats it: quoted, and cut short when long."""
    if len(text) > SHOWN_CHARACTERS:
        text = text[: SHOWN_CHARACTERS - 3] + "..."
    return repr(text)


# --- The file as a whole --------------------------------------------------------------------------------------

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


def inspect_file(path: Path, columns: CsvColumns) -> FileFacts:
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
        raise ImportFileError(f"{path}: the file is empty; expected a header line: {columns.header}")
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
            # A header of binary data is shown escaped: the message is stored, and PostgreSQL refuses a NUL.
            return f", in column {index + 1} ({shown(name) if CONTROL_CHARACTER.search(name) else name})"
    return ""


def decodes_as(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def read_rows(path: Path, columns: CsvColumns, encoding: str = UTF8) -> Iterator[tuple[int, dict]]:
    """(line number, values) for each data row; the header is checked first."""
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.DictReader(handle)
        try:
            fieldnames = reader.fieldnames
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(f"{path}, line 1: not readable as CSV ({error})") from None
        if fieldnames is None:
            raise ImportFileError(f"{path}: the file is empty; expected a header line: {columns.header}")
        header = [heading_name(name) for name in fieldnames]
        check_header(path, header, columns)
        # Rows are read from the csv reader itself so that a row whose quoted value holds a line break is named by
        # the line it starts on (the DictReader knows only where a row ends), blank lines skipped as it does.
        records = reader.reader
        ended = records.line_num
        try:
            for record in records:
                started, ended = ended + 1, records.line_num
                if not any(value.strip() for value in record):
                    continue  # a blank line, or one of only separators (a spreadsheet's empty row)
                if ended > started and len(record) < len(header):
                    raise ImportFileError(unclosed_quote(path, record, header, started, ended))
                values = {name: (record[index] if index < len(record) else None) for index, name in enumerate(header)}
                if len(record) > len(header):
                    values["__extra__"] = record[len(header) :]
                yield started, values
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(f"{path}, line {records.line_num}: not readable as CSV ({error})") from None


def unclosed_quote(path: Path, record: list[str], header: list[str], started: int, ended: int) -> str:
    """Why a row that runs over several lines and still falls short of the header's columns is refused: a quote
    opened in one of its values is never closed where it should be, so the lines after it were read into that
    value rather than as rows (skipping the row would lose them without a word)."""
    index = next((i for i, value in enumerate(record) if "\n" in value or "\r" in value), len(record) - 1)
    column = f"column {index + 1} ({header[index]})" if index < len(header) else f"column {index + 1}"
    return (
        f"{path}, line {started}: a quote opened in {column} is not closed on that line, so lines {started + 1} "
        f"to {ended} were read into that value instead of as rows. Close the quote on line {started} (or remove "
        "it) and import the file again."
    )


def heading_name(heading: str) -> str:
    """The column a heading names, as a spreadsheet's user may write it: "First Name", "issued-on" and
    "issued_on" are the same column."""
    return "_".join(heading.strip().lower().replace("-", " ").replace("_", " ").split())


def check_header(path: Path, header: list[str], columns: CsvColumns) -> None:
    """Refuses a header that lacks a required column or names one the import does not know; a header that holds
    the columns separated by semicolons (a spreadsheet set up for another country) is told so."""
    missing = [name for name in columns.required if name not in header]
    unknown = [name for name in header if name not in columns.names]
    if len(header) == 1 and ";" in header[0] and all(name in columns.names for name in header[0].split(";")):
        raise ImportFileError(
            f"{path}, line 1: the columns are separated by semicolons; save the file as CSV with commas (in Excel: "
            f"CSV UTF-8, with the list separator set to a comma). Expected: {columns.header}"
        )
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        raise ImportFileError(f"{path}, line 1: {'; '.join(problems)}. Expected: {columns.header}")


# --- A row's values on their own ------------------------------------------------------------------------------

# (column, reason): why a row is refused, in the order the checks found it.
Problems = list[tuple[str, str]]


def too_many_values(line: int, values: dict) -> RejectedRow | None:
    """The rejection of a row holding more values than the header has columns, or None."""
    if "__extra__" not in values:
        return None
    # The header's columns are the other keys; the first value beyond them is in the column after.
    beyond = f"column {len(values)} (beyond the header)"
    return RejectedRow(line, beyond, "more values than columns (a comma inside a value needs quotes)", values)


def checked_values(
    line: int,
    values: dict,
    columns: CsvColumns,
    value_problems: Callable[[dict[str, str], set[str]], Problems],
    limits: dict[str, int | None],
) -> RejectedRow | None:
    """The rejection of a row whose values do not pass, or None: no more values than columns, the required ones
    given, no control character, each what its column holds (`value_problems`, given the values without
    surrounding spaces and the columns already failed, reads them into the import's row and says what is wrong),
    and each fitting its database column (`limits`: columns.limits())."""
    if too_many := too_many_values(line, values):
        return too_many
    clean = clean_values(values, columns)
    problems = empty_or_control_problems(clean, columns)
    problems += value_problems(clean, {name for name, _ in problems})
    # Checked last, on values that passed their own checks, so that a bad value gets the message that says
    # what it should be (a number's format, an address) rather than only that it is too long.
    problems += length_problems(clean, limits, failed={name for name, _ in problems})
    return rejection(line, problems, values) if problems else None


def clean_values(values: dict, columns: CsvColumns) -> dict[str, str]:
    """Every column's value without surrounding spaces; a column the file leaves out is empty."""
    return {name: (values.get(name) or "").strip() for name in columns.names}


def empty_or_control_problems(clean: dict[str, str], columns: CsvColumns) -> Problems:
    """(column, reason) for each required value that is empty and each value holding a control character."""
    problems = [(name, f"{name} is empty") for name in columns.required if not clean[name]]
    if CONTROL_CHARACTER.search("".join(clean.values())) is None:
        return problems  # the usual row, found clean in one search rather than one a column
    for name in columns.names:
        if control := CONTROL_CHARACTER.search(clean[name]):
            problems.append(
                (
                    name,
                    f"{name} holds a control character (U+{ord(control.group()):04X}) at character "
                    f"{control.start() + 1}; values must be plain text on one line",
                )
            )
    return problems


def email_problems(clean: dict[str, str], *, failed: set[str]) -> Problems:
    """The email column's value, unless it already `failed`, must be an address."""
    if "email" in failed or is_email_address(clean["email"]):
        return []
    return [("email", f"{shown(clean['email'])} is not an email address")]


def is_email_address(text: str) -> bool:
    """Whether Django's validate_email takes `text`. An address that its two patterns accept is taken at once, as
    the validator itself takes it, without the validator's per-call overhead (a few microseconds, which an import
    of a million rows pays a million times); anything else is left to the validator."""
    user_pattern, domain_pattern = email_patterns()
    user, _, domain = text.rpartition("@")
    if len(text) <= EMAIL_MAX_LENGTH and user_pattern.match(user) and domain_pattern.match(domain):
        return True
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


@cache
def email_patterns() -> tuple[re.Pattern, re.Pattern]:
    """Django's own patterns for an address's user and domain parts, compiled once as plain patterns."""
    patterns = (validate_email.user_regex, validate_email.domain_regex)
    return tuple(re.compile(lazy.pattern, lazy.flags) for lazy in patterns)


def length_problems(clean: dict[str, str], limits: dict[str, int | None], *, failed: set[str]) -> Problems:
    """(column, reason) for each stored value, not already `failed`, too long for its database column (`limits`:
    CsvColumns.limits())."""
    problems = []
    for name, limit in limits.items():
        if limit is not None and len(clean[name]) > limit and name not in failed:
            problems.append((name, f"{name} is {len(clean[name])} characters long; the register holds at most {limit}"))
    return problems


def rejection(line: int, problems: Problems, values: dict) -> RejectedRow:
    """One rejected row naming every column at fault and every reason, in the order found."""
    columns = ", ".join(dict.fromkeys(name for name, _ in problems))
    return RejectedRow(line, columns, "; ".join(reason for _, reason in problems), values)


def digest(text: str) -> bytes:
    """8 bytes that stand for `text`: what an import remembers of earlier lines, whatever the file's size."""
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def comparable_name(name: str) -> str:
    """Names are the same when they differ only in case, spacing or Unicode composition (an é typed as e and
    an accent): those are how spreadsheets and keyboards differ, not what is named."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


# --- Checking, then writing -----------------------------------------------------------------------------------


class CsvImport:
    """An import of one kind: what it is called in a refusal ("another import of {subject} is running"), its
    columns, and the steps a subclass fills in. A new instance checks each pass over the file, since it
    remembers what the file's earlier rows said: each row's values on their own (the checks every column has,
    then `value_problems`, which reads them into a row of the import's own made by `new_row`); the row against the
    file's earlier good rows (`earlier_problems`, then `remember`); each batch of rows that passed against the
    database (`register_problems`); and, on the writing pass, `write_batch`. Rows have a `line` and `values`."""

    subject: str
    columns: CsvColumns
    # How values are written, for the upload form's help (which lists the columns itself).
    values_help = ""
    # The columns that tell a reader which row a rejection is about (the admin shows them beside each reason).
    identifying_columns: tuple[str, ...] = ("email",)

    @classmethod
    def file_help(cls) -> str:
        names = ", ".join(name if name in cls.columns.required else f"{name} (optional)" for name in cls.columns.names)
        return f"CSV (UTF-8, or Excel's CSV) with the columns {names}. {cls.values_help}".strip()

    @classmethod
    def example_row(cls) -> dict[str, str]:
        """The template's example row: values as the import takes them, naming what the database holds."""
        raise NotImplementedError

    def new_row(self, line: int, values: dict):
        raise NotImplementedError

    def value_problems(self, row, clean: dict[str, str], failed: set[str]) -> Problems:
        """Reads the values (without surrounding spaces) into `row`; what is wrong with those not already
        `failed`."""
        return []

    def earlier_problems(self, row) -> Problems:
        return []

    @cached_property
    def limits(self) -> dict[str, int | None]:
        """The columns' limits (CsvColumns.limits), read when a pass first needs them."""
        return self.columns.limits()

    def remember(self, row) -> None:
        """Keeps what later rows are compared with: only what that takes, so that memory stays small."""

    def register_problems(self, rows: list) -> Callable[..., Problems]:
        """What is wrong with a row of `rows` against the database, looked up for the batch at once."""
        return lambda row: []

    def write_batch(self, rows: list, report: ImportReport) -> None:
        """Writes a batch of good rows, counting in `report` what it created, updated and left unchanged."""
        raise NotImplementedError

    def row(self, line: int, values: dict, report: ImportReport):
        """The typed row, or None with the rejection recorded in `report`."""
        row = self.values_row(line, values, report)
        if row is None:
            return None
        if problems := self.earlier_problems(row):
            report.rejected.append(rejection(line, problems, values))
            return None
        self.remember(row)
        return row

    def values_row(self, line: int, values: dict, report: ImportReport):
        """The typed row when its values pass their own checks (the file's other rows and the register aside), or
        None with the rejection recorded in `report`."""
        row = self.new_row(line, values)
        if rejected := checked_values(line, values, self.columns, partial(self.value_problems, row), self.limits):
            report.rejected.append(rejected)
            return None
        return row

    def batch(self, rows: list, report: ImportReport) -> list:
        """The rows that agree with the database; the others' rejections recorded in `report`."""
        problems_of, kept = self.register_problems(rows), []
        for row in rows:
            if problems := problems_of(row):
                report.rejected.append(rejection(row.line, problems, row.values))
            else:
                kept.append(row)
        return kept

    @classmethod
    def lock_key(cls) -> int:
        """The PostgreSQL advisory lock one import of this kind holds while it checks and writes: a 64-bit number
        derived from the subject, so that it is not a magic constant to collide with."""
        name = f"learning: import of {cls.subject}".encode()
        return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)

    @classmethod
    def check_and_write(
        cls, path: Path, facts: FileFacts, *, skip_invalid: bool, progress: Progress | None
    ) -> ImportReport:
        """Checks every row and, unless one was rejected and `skip_invalid` is false, writes the good ones, inside
        run_import's transaction and lock. Row by row in Python batches here; an import may override it with a
        faster way where the database has one, reaching the same report and register."""
        return check_and_write_in_batches(cls, path, facts, skip_invalid=skip_invalid, progress=progress)

    @classmethod
    def run(cls, path: Path, *, skip_invalid: bool = False, progress: Progress | None = None) -> ImportReport:
        """Imports the file. Without `skip_invalid`, any rejected row means nothing is written."""
        return run_import(cls, path, skip_invalid=skip_invalid, progress=progress)


def run_import(
    kind: type[CsvImport], path: Path, *, skip_invalid: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Imports the file. Without `skip_invalid`, any rejected row means nothing is written."""
    path = Path(path)
    facts = inspect_file(path, kind.columns)  # an unreadable file is refused here, before any row is looked at
    try:
        # Checks and writes in one transaction under the lock, so that what was checked is what is written to.
        with transaction.atomic():
            hold_import_lock(kind, path)
            report = kind.check_and_write(path, facts, skip_invalid=skip_invalid, progress=progress)
    except OperationalError as error:
        if "locked" in str(error):  # SQLite: another writer held the database longer than its timeout
            raise ImportBusy(ANOTHER_IMPORT_RUNNING.format(path=path, subject=kind.subject)) from None
        raise
    except IntegrityError as error:
        # Only a write from outside the import (an administrator saving the same thing a moment ago) gets past
        # the checks; the transaction is rolled back whole.
        raise ImportRefused(REGISTER_CHANGED.format(path=path, what=first_line(error))) from None
    except DataError as error:
        raise ImportRefused(
            f"{path}: the database refused a value, so nothing was imported ({first_line(error)})"
        ) from None
    # However the rows were checked, the report names them in the file's order.
    report.rejected.sort(key=attrgetter("line"))
    return report


def hold_import_lock(kind: type[CsvImport], path: Path) -> None:
    """Takes the import's lock for the current transaction, or refuses at once when another import of the kind
    holds it: an administrator waiting on an upload page is better told plainly than left hanging for minutes."""
    if connection.vendor != "postgresql":
        # SQLite lets one writing transaction in at a time (transaction_mode IMMEDIATE): the second waits.
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [kind.lock_key()])
        if not cursor.fetchone()[0]:
            raise ImportBusy(ANOTHER_IMPORT_RUNNING.format(path=path, subject=kind.subject))


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def checked_rows(
    checks: CsvImport, path: Path, facts: FileFacts, report: ImportReport, progress: Progress | None
) -> Iterator[list]:
    """Yields batches of good rows, read from the file a batch at a time; records rejected ones in `report`."""
    total, done = max(facts.lines - 1, 0), 0
    for raw_batch in batches(read_rows(path, checks.columns, facts.encoding), BATCH_SIZE):
        good = [row for line, values in raw_batch if (row := checks.row(line, values, report)) is not None]
        done += len(raw_batch)
        if progress:
            progress("checking", done, total)
        yield checks.batch(good, report)


def check_and_write_in_batches(
    kind: type[CsvImport], path: Path, facts: FileFacts, *, skip_invalid: bool, progress: Progress | None
) -> ImportReport:
    """Checks every row, then writes the good ones, a batch of rows at a time in Python: the way every database
    runs."""
    report = ImportReport(encoding=facts.encoding)

    # First pass: check every row (reads the file once; nothing is written).
    for batch in checked_rows(kind(), path, facts, report, progress):
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
    checks = kind()
    for batch in checked_rows(checks, path, facts, scratch, None):
        changed = next((rejected for rejected in scratch.rejected if rejected.line not in rejected_lines), None)
        if changed is not None:
            raise ImportRefused(REGISTER_CHANGED.format(path=path, what=changed))
        scratch.rejected.clear()
        batch = [row for row in batch if row.line not in rejected_lines]
        checks.write_batch(batch, report)
        written += len(batch)
        if progress:
            progress("writing", written, report.rows - len(report.rejected))
    report.written = True
    return report


# --- What an import hands back as CSV -------------------------------------------------------------------------


def write_rejected(report: ImportReport, path: Path, columns: CsvColumns) -> Path:
    """Writes the rejected rows, with their line and reason, to `<input>.rejected.csv` beside the input."""
    target = path.with_name(f"{path.stem}.rejected.csv")
    with open(target, "w", newline="", encoding="utf-8") as handle:
        write_rejected_rows(handle, report.rejected, columns)
    return target


def write_rejected_rows(handle, rejected_rows: Iterable, columns: CsvColumns) -> None:
    """Writes rows that have a line, a column, a reason and their values (a RejectedRow, or one kept for a run in
    the admin) as CSV to `handle`: the line and why, then the row as the file had it."""
    writer = csv.writer(handle)
    writer.writerow(["line", "column", "reason", *columns.names])
    # Opened in a spreadsheet to be corrected: a cell the upload holds must not run there as a formula.
    for rejected in rejected_rows:
        values = [rejected.values.get(name) or "" for name in columns.names]
        writer.writerow([csv_cell(cell) for cell in [rejected.line, rejected.column, rejected.reason, *values]])


def write_template(handle, columns: CsvColumns, example: dict[str, str]) -> None:
    """Writes an import's CSV template to `handle`: its header, and `example` as a row showing how values are
    written."""
    writer = csv.writer(handle)
    writer.writerow(columns.names)
    writer.writerow([csv_cell(example.get(name, "")) for name in columns.names])
