"""The certification import on PostgreSQL, set-based: the same rules, report and register as the import row by
row (learning.register.certification_import, which SQLite, the embedded default, keeps), at many times its speed
and with memory that stays flat however long the file.

1. One streaming pass over the file does what only Python can: decoding, the header, each row's own values
   (dates, lengths, the address's shape, control characters, number format, course, the expiry a course's
   validity gives; learning.register.certification_checks). Rows that pass go with their line number to a
   temporary staging table by COPY; rows that do not are reported at once.
2. Set-based SQL finds what needs the other rows: numbers on more than one line, addresses named more than one
   way, and, against the register, numbers held by someone else or for another course and participants whose
   name differs. It hands to Python only the rows at fault, which word their rejections with the very functions
   the import row by row uses.
3. INSERT … SELECT creates the new participants, and INSERT … SELECT … ON CONFLICT creates the certifications or
   updates the dates of those the register holds, in the transaction and under the lock that run_import holds.

Which earlier line a row is compared with follows the import row by row exactly: the first line that passed its
own checks and agreed with the lines before it. When a number's repeat and an address's other name meet in the
same rows ("tangled"), whether the first of them agreed can only be told in the file's order; those rows alone
(none in nearly every file) are read back in that order and checked as the import row by row checks them.
"""

# The SQL below interpolates only this module's table names and the models' own; every value is a parameter.
# ruff: noqa: S608, S611

import datetime
from array import array
from collections.abc import Iterator
from pathlib import Path

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone

from learning.accounts.models import User
from learning.accounts.participant_import import names_disagreement, register_name_problems, row_names
from learning.catalogue.models import CoursePage
from learning.common.csv_import import (
    BATCH_SIZE,
    REGISTER_CHANGED,
    CsvImport,
    FileFacts,
    ImportRefused,
    ImportReport,
    Problems,
    Progress,
    comparable_name,
    digest,
    read_rows,
    rejection,
)
from learning.register.certification_checks import Row, fingerprint, holder_problems, number_problems
from learning.register.models import Certification
from learning.register.signals import certifications_written

# Records fetched per round trip when the rows at fault are read back: memory stays flat however many.
STREAM_SIZE = 2000
# The temporary tables, gone at the end of the transaction (and dropped before, when the import ends well).
ROWS, NUMBERS, NAMES, TANGLED, PEOPLE, WRITTEN = (
    f"certification_import_{name}" for name in ("rows", "numbers", "names", "tangled", "people", "written")
)
TEMPORARY_TABLES = ", ".join((ROWS, NUMBERS, NAMES, TANGLED, PEOPLE, WRITTEN))
# A staged row as Python rebuilds it (`staged_row`), selected from the staging table as `r` or `f`.
ROW_COLUMNS = ("line", "email", "first_name", "last_name", "course_id", "number", "issued_on", "expires_on")
CREATE_ROWS = f"""
    CREATE TEMPORARY TABLE {ROWS} (
        line integer NOT NULL, email text NOT NULL, first_name text NOT NULL, last_name text NOT NULL,
        first_key text NOT NULL, last_key text NOT NULL, course_id integer NOT NULL, number text NOT NULL,
        number_key text NOT NULL, issued_on date NOT NULL, expires_on date NOT NULL
    ) ON COMMIT DROP
"""
COPY_ROWS = (
    f"COPY {ROWS} (line, email, first_name, last_name, first_key, last_key, course_id, number, number_key, "
    "issued_on, expires_on) FROM STDIN"
)


def columns_of(alias: str) -> str:
    """ROW_COLUMNS of the staging table named `alias` in a query, for `staged_row`."""
    return ", ".join(f"{alias}.{name}" for name in ROW_COLUMNS)


def check_and_write(
    kind: type[CsvImport], path: Path, facts: FileFacts, *, skip_invalid: bool, progress: Progress | None
) -> ImportReport:
    """CsvImport.check_and_write for certifications on PostgreSQL: checks every row and, unless one was rejected
    and `skip_invalid` is false, writes the good ones; the report is the import row by row's."""
    checks = kind()
    report = ImportReport(encoding=facts.encoding)
    run_sql(f"DROP TABLE IF EXISTS {TEMPORARY_TABLES}", CREATE_ROWS)
    report.rows = stage_rows(checks, path, facts, report, progress)
    courses = {course.pk: course for course in checks.courses.values()}
    refused = set_aside(file_problems(checks, courses))
    refused |= set_aside(register_problems(courses))
    report_rejections(report, refused, checks, path, facts)
    if not report.rejected or skip_invalid:
        good = report.rows - len(report.rejected)
        if progress:
            progress("writing", 0, good)
        write(report, path, good, now=timezone.now())  # the moment Django's auto_now would stamp
        if progress:
            progress("writing", good, good)
    run_sql(f"DROP TABLE IF EXISTS {TEMPORARY_TABLES}")
    return report


def run_sql(*statements: str) -> None:
    """Runs statements that take no parameters and return nothing."""
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def one(sql: str, params=None) -> tuple | None:
    """The first record of a query."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def streamed(sql: str, params=None) -> Iterator[tuple]:
    """The records of a query, from a server-side cursor a few thousand at a time."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while records := cursor.fetchmany(STREAM_SIZE):
            yield from records


# --- 1. Each row on its own, and into the staging table --------------------------------------------------------


def stage_rows(checks: CsvImport, path: Path, facts: FileFacts, report: ImportReport, progress: Progress | None) -> int:
    """Checks each row's own values, reporting the rejected ones in `report` and COPYing the others to the
    staging table; returns the number of rows read. Progress moves every BATCH_SIZE rows, as row by row."""
    total, done = max(facts.lines - 1, 0), 0
    with connection.cursor() as cursor, cursor.copy(COPY_ROWS) as copy:
        for line, values in read_rows(path, checks.columns, facts.encoding):
            if (row := checks.values_row(line, values, report)) is not None:
                copy.write_row(staged(row))
            done += 1
            if progress and done % BATCH_SIZE == 0:
                progress("checking", done, total)
    if progress and done % BATCH_SIZE:
        progress("checking", done, total)
    return done


def staged(row: Row) -> tuple:
    """The staging table's record of a row: what it says, its names also as compared (comparable_name), and its
    number as numbers are compared (in capitals)."""
    first_name, last_name = row_names(row)
    return (
        row.line,
        row.email,
        first_name,
        last_name,
        comparable_name(first_name),
        comparable_name(last_name),
        row.course.pk,
        row.number,
        row.number.upper(),
        row.issued_on,
        row.expires_on,
    )


def staged_row(record: tuple, courses: dict[int, CoursePage]) -> Row:
    """The Row that a staging record (ROW_COLUMNS) was made from, as the checks read it."""
    line, email, first_name, last_name, course_id, number, issued_on, expires_on = record[: len(ROW_COLUMNS)]
    values = {"first_name": first_name, "last_name": last_name}
    return Row(line, values, email, number, courses[course_id], issued_on, expires_on)


def set_aside(problems: dict[int, Problems]) -> dict[int, Problems]:
    """Takes the rejected rows out of the staging table, so that the next checks and the writes pass them by."""
    if problems:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ROWS} WHERE line = ANY(%s)", [list(problems)])
    return problems


# --- 2. Against the file's other rows, then against the register -----------------------------------------------

FIND_REPEATS = (
    # Numbers on more than one line, with the first of those lines.
    f"""CREATE TEMPORARY TABLE {NUMBERS} ON COMMIT DROP AS
        SELECT number_key, min(line) AS first_line FROM {ROWS} GROUP BY number_key HAVING count(*) > 1""",
    # Addresses named more than one way (names compared as comparable_name makes them), with their first line.
    f"""CREATE TEMPORARY TABLE {NAMES} ON COMMIT DROP AS
        SELECT email, min(line) AS first_line FROM {ROWS} GROUP BY email
        HAVING min(first_key COLLATE "C") <> max(first_key COLLATE "C")
            OR min(last_key COLLATE "C") <> max(last_key COLLATE "C")""",
    # The numbers and addresses of rows that are both: their groups are checked in the file's order.
    f"""CREATE TEMPORARY TABLE {TANGLED} ON COMMIT DROP AS
        SELECT r.number_key, r.email FROM {ROWS} r JOIN {NUMBERS} USING (number_key) JOIN {NAMES} USING (email)""",
)
# Outside the tangled groups, the first line of a number or an address passed every check of the file (nothing
# before it could refuse it), so each later line is compared with that first line.
REPEATED_NUMBERS = f"""
    SELECT {columns_of("r")}, {columns_of("f")} FROM {NUMBERS} n
    JOIN {ROWS} r ON r.number_key = n.number_key AND r.line > n.first_line
    JOIN {ROWS} f ON f.line = n.first_line
    WHERE n.number_key NOT IN (SELECT number_key FROM {TANGLED})
"""
OTHER_NAMES = f"""
    SELECT {columns_of("r")}, e.first_line, f.first_key, f.last_key FROM {NAMES} e
    JOIN {ROWS} r ON r.email = e.email AND r.line > e.first_line
    JOIN {ROWS} f ON f.line = e.first_line
    WHERE e.email NOT IN (SELECT email FROM {TANGLED}) AND (r.first_key, r.last_key) <> (f.first_key, f.last_key)
"""
TANGLED_ROWS = f"""
    SELECT {columns_of("r")} FROM {ROWS} r
    WHERE r.number_key IN (SELECT number_key FROM {TANGLED}) OR r.email IN (SELECT email FROM {TANGLED})
    ORDER BY r.line
"""
CERTIFICATIONS, USERS, COURSES = Certification._meta.db_table, User._meta.db_table, CoursePage._meta.db_table
# The participants the register knows by the file's addresses (the unique index is on the address in lower case),
# as the checks find them: the writes create the others, so that one created meanwhile collides with its index,
# and add them here (created).
FIND_PEOPLE = f"""
    CREATE TEMPORARY TABLE {PEOPLE} ON COMMIT DROP AS
    SELECT lower(person.email) AS email, person.id, false AS created FROM {USERS} person
    WHERE lower(person.email) IN (SELECT email FROM {ROWS})
"""
# The rows whose number the register holds for another address or course, or whose address the register knows
# under other names, as text compares them: Python then compares them as the checks do (in lower case, as
# comparable names), which text that is equal always passes.
REGISTER_DISAGREEMENTS = f"""
    SELECT {columns_of("r")}, held_by.email, held.course_id, held_course.code, person.first_name, person.last_name
    FROM {ROWS} r
    LEFT JOIN {CERTIFICATIONS} held ON upper(held.number) = r.number_key
    LEFT JOIN {USERS} held_by ON held_by.id = held.participant_id
    LEFT JOIN {COURSES} held_course ON held_course.{CoursePage._meta.pk.column} = held.course_id
    LEFT JOIN {PEOPLE} known ON known.email = r.email
    LEFT JOIN {USERS} person ON person.id = known.id
    WHERE held.id IS NOT NULL AND (held_by.email <> r.email OR held.course_id <> r.course_id)
       OR person.id IS NOT NULL AND (person.first_name <> r.first_name OR person.last_name <> r.last_name)
"""


def file_problems(checks: CsvImport, courses: dict[int, CoursePage]) -> dict[int, Problems]:
    """line -> why, for the rows at odds with an earlier line: a number already there, an address named
    otherwise there."""
    run_sql(*FIND_REPEATS)
    problems = {}
    for record in streamed(REPEATED_NUMBERS):
        row, first = staged_row(record, courses), staged_row(record[len(ROW_COLUMNS) :], courses)
        problems[row.line] = number_problems(row, (first.line, fingerprint(first)))
    for record in streamed(OTHER_NAMES):
        row, (first_line, first_key, last_key) = staged_row(record, courses), record[len(ROW_COLUMNS) :]
        problems[row.line] = names_disagreement(row, (first_line, digest(first_key), digest(last_key)))
    # `checks` has remembered nothing so far: it sees the tangled rows as the import row by row sees the file.
    for record in streamed(TANGLED_ROWS):
        row = staged_row(record, courses)
        if found := checks.earlier_problems(row):
            problems[row.line] = found
        else:
            checks.remember(row)
    return problems


def register_problems(courses: dict[int, CoursePage]) -> dict[int, Problems]:
    """line -> why, for the rows at odds with the register: a number held by someone else or for another
    course, an address the register names otherwise."""
    run_sql(FIND_PEOPLE)
    problems = {}
    for record in streamed(REGISTER_DISAGREEMENTS):
        row = staged_row(record, courses)
        held_email, held_course_id, held_code, first_name, last_name = record[len(ROW_COLUMNS) :]
        holder = None if held_email is None else (held_email.lower(), held_course_id, held_code)
        registered = None if first_name is None else (first_name, last_name)
        if found := holder_problems(row, holder) + register_name_problems(row, registered):
            problems[row.line] = found
    return problems


def report_rejections(
    report: ImportReport, problems: dict[int, Problems], checks: CsvImport, path: Path, facts: FileFacts
) -> None:
    """Adds the rows the set-based checks refused to `report`, each with its values as the file has them: read
    again from the file, for those lines only."""
    if not problems:
        return
    for line, values in read_rows(path, checks.columns, facts.encoding):
        if line in problems:
            report.rejected.append(rejection(line, problems[line], values))


# --- 3. Writing ------------------------------------------------------------------------------------------------

# A participant for each address the register did not know when the rows were checked, named as its first line
# names it, created in the file's order; their ids kept for the invitations. No ON CONFLICT: only a participant
# created meanwhile from outside can collide, unchecked, and the unique index then refuses the whole import.
CREATE_PARTICIPANTS = f"""
    WITH created AS (
        INSERT INTO {USERS} (email, first_name, last_name, password, {{others}})
        SELECT email, first_name, last_name,
            %s || left(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), %s), {{values}}
        FROM (
            SELECT DISTINCT ON (email) line, email, first_name, last_name FROM {ROWS} r
            WHERE NOT EXISTS (SELECT FROM {PEOPLE} known WHERE known.email = r.email)
            ORDER BY email, line
        ) AS new
        ORDER BY line
        RETURNING email, id
    )
    INSERT INTO {PEOPLE} SELECT email, id, true FROM created
"""
# Each row's certification created, or its dates updated when the register holds its number for the same person
# and course; rows the register already holds as they are pass by. The checks let no other number through, so
# each row to write is created or updated: one that is neither met a number given meanwhile to someone else (and
# a participant removed meanwhile fails the foreign key).
# Returns how many rows there were to write, how many were created and how many updated, and keeps the holders.
WRITE_CERTIFICATIONS = (
    f"CREATE TEMPORARY TABLE {WRITTEN} (participant_id bigint NOT NULL) ON COMMIT DROP",
    f"""WITH todo AS (
        SELECT r.line, person.id AS participant_id, r.course_id, r.number, r.issued_on, r.expires_on
        FROM {ROWS} r JOIN {PEOPLE} person ON person.email = r.email
        WHERE NOT EXISTS (
            SELECT FROM {CERTIFICATIONS} held
            WHERE upper(held.number) = r.number_key AND held.participant_id = person.id
                AND held.course_id = r.course_id AND held.issued_on = r.issued_on AND held.expires_on = r.expires_on
        )
    ), written AS (
        INSERT INTO {CERTIFICATIONS} AS held (participant_id, course_id, number, issued_on, expires_on, {{others}})
        SELECT participant_id, course_id, number, issued_on, expires_on, {{values}} FROM todo ORDER BY line
        ON CONFLICT ((upper(number))) DO UPDATE
            SET issued_on = excluded.issued_on, expires_on = excluded.expires_on, updated_at = excluded.updated_at
            WHERE held.participant_id = excluded.participant_id AND held.course_id = excluded.course_id
        -- xmax is 0 on a row this statement inserted, this transaction's id on one it updated
        RETURNING held.participant_id, held.xmax = 0 AS created
    ), holders AS (
        INSERT INTO {WRITTEN} SELECT participant_id FROM written
    )
    SELECT (SELECT count(*) FROM todo), count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created)
    FROM written""",
)


def write(report: ImportReport, path: Path, good: int, *, now: datetime.datetime) -> None:
    """Writes the staged rows that passed: the new participants, then the certifications; says whose
    certifications changed (learning.register.signals)."""
    create_participants(report, now=now)
    columns, values = other_columns(Certification, {"participant", "course", "number", "issued_on", "expires_on"}, now)
    run_sql(WRITE_CERTIFICATIONS[0])
    statement = WRITE_CERTIFICATIONS[1].format(others=", ".join(columns), values=", ".join(["%s"] * len(values)))
    to_write, report.created, report.updated = one(statement, values)
    if report.created + report.updated != to_write:
        what = "a number in the file went to another certification meanwhile"
        raise ImportRefused(REGISTER_CHANGED.format(path=path, what=what))
    report.unchanged = good - to_write
    report.written = True
    if to_write:
        # Written in SQL, so no post_save: the holders, as a query (their ids never come into Python).
        holders = User.objects.filter(pk__in=RawSQL(f"SELECT participant_id FROM {WRITTEN}", ()))
        certifications_written.send(sender=Certification, participant_ids=holders.values_list("pk", flat=True))


def create_participants(report: ImportReport, *, now: datetime.datetime) -> None:
    """Creates a participant without a password for each address the register does not know; counts them and
    keeps their ids in `report` (8 bytes each), in the file's order, for the invitations."""
    columns, values = other_columns(User, {"email", "first_name", "last_name", "password"}, now)
    statement = CREATE_PARTICIPANTS.format(others=", ".join(columns), values=", ".join(["%s"] * len(values)))
    with connection.cursor() as cursor:
        cursor.execute(statement, [UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH, *values])
    created = streamed(f"SELECT id FROM {PEOPLE} WHERE created ORDER BY id")
    report.new_participant_ids = array("q", (pk for (pk,) in created))
    report.participants_created = len(report.new_participant_ids)


def other_columns(model, named: set[str], now: datetime.datetime) -> tuple[list[str], list]:
    """The columns of `model` that a statement creating rows does not name (`named`: field names), each with the
    value that Django would save for a new instance: the field's default, or `now` where it is set on saving
    (auto_now, auto_now_add). The primary key is left to the database."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in named:
            continue
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        columns.append(field.column)
        values.append(field.get_db_prep_save(now if stamped else field.get_default(), connection))
    return columns, values
