"""Benchmark of the reminder pipeline on PostgreSQL; prints its figures for each N.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/reminders.py [N,N,...] [SENDS]

N (default 10000,100000,1000000) certifications are spread over expiry dates; for each N it prints the scan's
time, the rows it created, a second scan's time and rows (must be 0), the bare indexed query that selects the due
certifications, the ratio of the two, the scan's peak Python memory, and the send throughput through anymail's
Postmark backend to a fake Postmark on loopback with two worker processes (SENDS emails, default 2000).
A scratch database `resus_bench_reminders` is created on the server and dropped afterwards.
"""

import datetime
import json
import multiprocessing
import os
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = "resus_bench_reminders"
BATCH = 5000


class FakePostmark(BaseHTTPRequestHandler):
    def do_POST(self):
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps(
            {
                "To": payload["To"],
                "SubmittedAt": "2026-11-21T07:00:00Z",
                "MessageID": f"bench-{time.monotonic_ns()}",
                "ErrorCode": 0,
                "Message": "OK",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def with_database(server_url: str, name: str, create: bool) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            connection.execute(f"CREATE DATABASE {name}")
    return urlunparse(urlparse(server_url)._replace(path=f"/{name}"))


def fill(n: int, courses, today: datetime.date) -> None:
    """n certifications for n/2 participants (one for each of two courses), expiring from 60 days ago to 400
    days ahead."""
    from django.contrib.auth.hashers import make_password

    from learning.models import Certification, User

    password = make_password(None)
    people = n // 2 or 1
    for start in range(0, people, BATCH):
        User.objects.bulk_create(
            User(email=f"p{i}@bench.example", first_name="P", last_name=str(i), password=password)
            for i in range(start, min(start + BATCH, people))
        )
    first_user = User.objects.order_by("pk").values_list("pk", flat=True).first()
    for start in range(0, n, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, n)):
            expires_on = today + datetime.timedelta(days=(i * 7919) % 461 - 60)
            rows.append(
                Certification(
                    participant_id=first_user + i % people,
                    course=courses[i // people % 2],
                    number=f"B-{i:08d}",
                    issued_on=expires_on - datetime.timedelta(days=730),
                    expires_on=expires_on,
                )
            )
        Certification.objects.bulk_create(rows)


def send_worker(participant_ids, today):
    from django.db import connections
    from django.utils import timezone

    from reminders.delivery import deliver_to_participant

    connections.close_all()
    for participant_id in participant_ids:
        deliver_to_participant(participant_id, today=today, now=timezone.now())


def measure(n: int, sends: int, courses, today: datetime.date) -> None:
    from django.db import connection

    from learning.models import Certification, User
    from reminders.delivery import participants_due
    from reminders.models import Reminder
    from reminders.scan import scan

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reminders_reminder, learning_certification, learning_booking CASCADE")
    User.objects.filter(email__endswith="@bench.example").delete()
    fill(n, courses, today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    tracemalloc.start()
    began = time.perf_counter()
    first = scan(today=today)
    scan_seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    created = Reminder.objects.count()
    began = time.perf_counter()
    second = scan(today=today)
    second_seconds = time.perf_counter() - began

    began = time.perf_counter()
    bare = list(
        Certification.objects.filter(
            expires_on__gte=today - datetime.timedelta(days=44), expires_on__lte=today + datetime.timedelta(days=90)
        ).values_list("pk", "expires_on")
    )
    bare_seconds = time.perf_counter() - began

    participants = participants_due(today)[:sends]
    halves = [participants[0::2], participants[1::2]]
    connection.close()
    began = time.perf_counter()
    workers = [multiprocessing.Process(target=send_worker, args=(half, today)) for half in halves]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    send_seconds = time.perf_counter() - began
    sent = Reminder.objects.filter(status="sent").values("message_id").distinct().count()

    print(
        f"N={n:>9,}  scan {scan_seconds:7.2f} s, {created:>7,} rows ({first.created:,} reported)  "
        f"second scan {second_seconds:6.2f} s, {second.created} rows  bare query {bare_seconds:6.2f} s "
        f"({len(bare):,} certifications)  ratio {scan_seconds / max(bare_seconds, 1e-6):5.1f}  "
        f"scan peak memory {peak / 1e6:6.1f} MB  send {sent:,} emails in {send_seconds:5.1f} s = "
        f"{sent / max(send_seconds, 1e-6):6.1f} emails/s (2 workers)"
    )


def main() -> None:
    sizes = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000,1000000").split(",")]
    sends = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    fake = ThreadingHTTPServer(("127.0.0.1", 0), FakePostmark)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    os.environ.update(
        {
            "DATABASE_URL": with_database(server_url, SCRATCH, create=True),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "EMAIL_ESP": "postmark",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "bench",
            "ANYMAIL_WEBHOOK_SECRET": "bench:bench",
            "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{fake.server_port}/",
            "LOG_LEVEL": "WARNING",
            # As in production: with DEBUG on, Django keeps every query's SQL in memory and distorts the figures.
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "localhost",
        }
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from bench.catalogue import make_courses
        from reminders.scan import local_today

        courses = make_courses()
        for n in sizes:
            measure(n, sends, courses, local_today())
    finally:
        from django.db import connections

        connections.close_all()
        with_database(server_url, SCRATCH, create=False)
        fake.shutdown()


if __name__ == "__main__":
    main()
