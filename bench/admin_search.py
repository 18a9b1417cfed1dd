"""Benchmark: the admin's search of certifications (`/admin/certifications/?q=…`) at 100,000 certifications on
PostgreSQL. Prints the SQL time (EXPLAIN ANALYZE's execution time, best of five) of Wagtail's own form of the
search (one OR of every field across the join) and of the portal's (each column asked on its own, through its
trigram indexes), for a name, an email fragment and a number fragment, against the limit of 20 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/admin_search.py [CERTIFICATIONS]

It works in a scratch database `resus_bench_search` on that server, dropped afterwards.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import django_on_scratch  # noqa: E402

LIMIT_MS = 20.0
FIELDS = ["number", "participant__first_name", "participant__last_name", "participant__email"]
SEARCHES = ["okafor", "riverside", "0001234"]


def execution_ms(queryset) -> float:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            best = min(best, cursor.fetchone()[0][0]["Execution Time"])
    return best


def one_or(text: str):
    from django.db.models import Q

    from learning.models import Certification

    query = Q()
    for field in FIELDS:
        query |= Q(**{f"{field}__icontains": text})
    return Certification.objects.filter(query).values("pk")


def main() -> None:
    certifications = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with django_on_scratch("resus_bench_search"):
        from django.db import connection

        from bench.catalogue import make_courses
        from bench.reminders import fill
        from learning.common.admin import ids_matching
        from learning.models import Certification, User
        from reminders.scan import local_today

        fill(certifications, make_courses(), local_today())
        for n, pk in enumerate(User.objects.order_by("pk").values_list("pk", flat=True)[:3]):
            User.objects.filter(pk=pk).update(last_name="Okafor", email=f"okafor{n}@riverside.example")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{Certification.objects.count():,} certifications, {User.objects.count():,} participants")
        print(f"{'search':<12} {'one OR (Wagtail)':>18} {'column by column':>16} {'ratio to 20 ms':>16}")
        for text in SEARCHES:
            before = execution_ms(one_or(text))
            after = execution_ms(
                Certification.objects.filter(pk__in=ids_matching(Certification, FIELDS, text)).values("pk")
            )
            print(f"{text:<12} {before:15.1f} ms {after:13.1f} ms {after / LIMIT_MS:15.2f}x")


if __name__ == "__main__":
    main()
