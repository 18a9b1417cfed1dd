"""Benchmark: import a generated CSV of certifications into PostgreSQL; prints rows per second and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_certifications.py [ROWS]

It creates (and afterwards drops) a scratch database `resus_bench` on that server, so your own data is untouched.
Peak memory is measured twice: Python's own allocations (tracemalloc) and the process's resident set.
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

from bench.scratch import scratch_database  # noqa: E402

SCRATCH = "resus_bench"


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


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    os.environ["DATABASE_URL"] = scratch_database(server_url, SCRATCH, create=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # As in production: with DEBUG on, Django would keep every query's SQL in memory and distort the figures.
    os.environ.update({"DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "localhost"})
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from bench.catalogue import make_courses
        from learning.models import Certification
        from learning.register.certification_import import import_certifications

        make_courses()

        with tempfile.TemporaryDirectory() as folder:
            timed, traced = Path(folder) / "timed.csv", Path(folder) / "traced.csv"
            generate(timed, rows, "A")
            generate(traced, rows, "B")
            size_mb = timed.stat().st_size / 1e6
            # Speed is measured without tracing (tracemalloc slows Python down a lot); memory on a second file of
            # the same size, so that both figures are for a first import that creates everything.
            for attempt in ("first import", "re-import (all unchanged)"):
                began = time.perf_counter()
                report = import_certifications(timed)
                seconds = time.perf_counter() - began
                print(
                    f"{attempt:<26} {rows:>9,} rows ({size_mb:.1f} MB) in {seconds:6.1f} s = "
                    f"{rows / seconds:>8,.0f} rows/s; {report.summary}"
                )
            tracemalloc.start()
            import_certifications(traced)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"peak Python memory of a first import of {rows:,} rows (tracemalloc): {peak / 1e6:.1f} MB")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"peak resident memory of the process: {rss_mb:.0f} MB; certifications in the database: "
            f"{Certification.objects.count():,}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        scratch_database(server_url, SCRATCH, create=False)


if __name__ == "__main__":
    main()
