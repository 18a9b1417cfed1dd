"""Benchmark: import a generated CSV of certifications into PostgreSQL, against the limit of issue 15: a bare COPY
of the same file into a table of similar columns, without indexes or checks. Prints rows per second of each, their
ratio, the import against the goal (25,000 rows/s at 100,000 rows), and peak memory at two sizes to show it flat.

    BENCH_DATABASE=resus_bench_import DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/import_certifications.py [ROWS]

ROWS defaults to 100,000. A scratch database (BENCH_DATABASE, default `resus_bench_import`) is created on that
server and dropped afterwards, so your own data is untouched. Peak memory is Python's own allocations
(tracemalloc) during a first import, at ROWS/10 and at ROWS, and the process's resident set at the end. The
import row by row (the path SQLite keeps) is timed too, on a smaller file, for comparison.
"""

import csv
import datetime
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import django_on_scratch  # noqa: E402

SCRATCH = os.environ.get("BENCH_DATABASE", "resus_bench_import")
GOAL_ROWS_PER_SECOND = 25_000
# The import row by row is timed on a file this long at most: at its speed a larger one only takes longer.
ROW_BY_ROW_ROWS = 10_000
REGISTER_PEOPLE = """
    INSERT INTO learning_user (email, first_name, last_name, password, {others})
    SELECT DISTINCT ON (email) email, first_name, last_name, '!', {values} FROM bench_bare_copy ORDER BY email
"""
REGISTER_HELD = """
    INSERT INTO learning_certification (participant_id, course_id, number, issued_on, expires_on, {others})
    SELECT person.id, course.page_ptr_id, copied.number, copied.issued_on,
        coalesce(copied.expires_on, copied.issued_on + interval '24 months'), {values}
    FROM bench_bare_copy copied JOIN learning_user person ON person.email = copied.email
    JOIN learning_coursepage course ON course.code = copied.course_code
"""
BARE_TABLE = """
    CREATE TABLE bench_bare_copy (
        email varchar(254), first_name varchar(150), last_name varchar(150), course_code varchar(20),
        number varchar(40), issued_on date, expires_on date
    )
"""


def generate(path: Path, rows: int, prefix: str) -> None:
    rng = random.Random(2026)
    start = datetime.date(2022, 1, 1)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name", "course_code", "number", "issued_on", "expires_on"])
        for n in range(rows):
            issued = start + datetime.timedelta(days=rng.randrange(0, 1400))
            code = "ALS1" if n % 3 else "ALS2"
            when = issued.isoformat() if n % 2 else issued.strftime("%d/%m/%Y")
            writer.writerow(
                [
                    f"{prefix.lower()}{n // 2}@example.org",
                    # Two certifications per person, under the one name the import insists on.
                    f"First{n // 2}",
                    f"Last{n // 2}",
                    code,
                    f"{code}-{prefix}-{n:07d}",
                    when,
                    "",
                ]
            )


def rate(rows: int, seconds: float) -> str:
    return f"{rows:>9,} rows in {seconds:6.2f} s = {rows / seconds:>8,.0f} rows/s"


def timed(action) -> tuple[object, float]:
    began = time.perf_counter()
    outcome = action()
    return outcome, time.perf_counter() - began


def bare_copy(path: Path) -> float:
    """Seconds to COPY the file, as it is, into a bare table of similar columns (no index, no check), committed.
    The table stays for `register_writes`."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(BARE_TABLE)
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL datestyle = 'ISO, DMY'")  # the file's dates are 2026-03-02 or 02/03/2026
        with open(path, "rb") as source, cursor.copy("COPY bench_bare_copy FROM STDIN (FORMAT csv, HEADER)") as copy:
            while chunk := source.read(1 << 16):
                copy.write(chunk)
    return time.perf_counter() - began


def register_writes() -> float:
    """Seconds to write the copied rows' participants and certifications into the register's own tables with
    plain INSERT ... SELECT, nothing checked, their indexes maintained and foreign keys checked: what writing
    these rows costs any import. Rolled back, and the bare table dropped."""
    from django.db import connection, transaction
    from django.utils import timezone

    from learning.models import Certification, User
    from learning.register.certification_import_postgres import other_columns

    now = timezone.now()
    people, people_values = other_columns(User, {"email", "first_name", "last_name", "password"}, now)
    held, held_values = other_columns(
        Certification, {"participant", "course", "number", "issued_on", "expires_on"}, now
    )
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys checked here, not at a commit
        cursor.execute(
            REGISTER_PEOPLE.format(others=", ".join(people), values=placeholders(people_values)), people_values
        )
        cursor.execute(REGISTER_HELD.format(others=", ".join(held), values=placeholders(held_values)), held_values)
        seconds = time.perf_counter() - began
        transaction.set_rollback(True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare_copy")
    return seconds


def placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def peak_memory(folder: Path, rows: int, prefix: str) -> float:
    """Peak MB of Python's allocations during a first import of `rows` rows."""
    from learning.register.certification_import import import_certifications

    path = folder / f"traced-{prefix}.csv"
    generate(path, rows, prefix)
    tracemalloc.start()
    import_certifications(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def row_by_row_seconds(folder: Path, rows: int) -> float:
    """Seconds of a first import of `rows` rows the way SQLite runs it, on this PostgreSQL database."""
    from learning.common.csv_import import check_and_write_in_batches, run_import
    from learning.register.certification_import import CertificationImport

    class RowByRow(CertificationImport):
        check_and_write = classmethod(check_and_write_in_batches)

    path = folder / "row-by-row.csv"
    generate(path, rows, "R")
    return timed(lambda: run_import(RowByRow, path))[1]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with django_on_scratch(SCRATCH), tempfile.TemporaryDirectory() as folder:
        from bench.catalogue import make_courses
        from learning.models import Certification
        from learning.register.certification_import import import_certifications

        make_courses()
        folder = Path(folder)
        path = folder / "timed.csv"
        generate(path, rows, "A")
        size_mb = path.stat().st_size / 1e6
        copy_seconds = bare_copy(path)
        print(f"bare COPY of the file (the limit)  {rate(rows, copy_seconds)} ({size_mb:.1f} MB)")
        floor = register_writes()
        print(f"its rows INSERTed, nothing checked {rate(rows, floor)} (the register's indexes and foreign keys)")
        report, first = timed(lambda: import_certifications(path))
        print(f"first import (creates everything)  {rate(rows, first)}; {report.summary}")
        report, again = timed(lambda: import_certifications(path))
        print(f"re-import (all unchanged)          {rate(rows, again)}; {report.summary}")
        small = min(rows, ROW_BY_ROW_ROWS)
        print(f"row by row (SQLite's path), first  {rate(small, row_by_row_seconds(folder, small))}")
        import_rate = rows / first
        print(
            f"first import / bare COPY: {copy_seconds / first:.2f}; "
            f"/ INSERT with nothing checked: {floor / first:.2f}; "
            f"against the goal of {GOAL_ROWS_PER_SECOND:,} rows/s: {import_rate / GOAL_ROWS_PER_SECOND:.2f}x"
        )
        for size, prefix in ((max(rows // 10, 1), "M"), (rows, "B")):
            peak = peak_memory(folder, size, prefix)
            print(f"peak Python memory of a first import of {size:>9,} rows: {peak:6.1f} MB")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        held = Certification.objects.count()
        print(f"peak resident memory of the process: {rss_mb:.0f} MB; certifications: {held:,}")


if __name__ == "__main__":
    main()
