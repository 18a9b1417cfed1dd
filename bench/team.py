"""Benchmark: My team for a large employer. A trust of 20,000 members (in 500 departments, each with its own
manager) that requires three courses, its members in every state, on PostgreSQL; prints, for the trust's manager,
the My team page's time and query count (everyone, and filtered to "expiring within 30 days, not booked"), the
CSV and Excel exports' time and peak memory (Python's allocations while the file is produced and sent), and the
time of the managers' digest run for the 501 managers (composed and sent in this process, to memory).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/team.py [MEMBERS]

It works in a scratch database `resus_bench_team` on that server, dropped afterwards.
"""

import datetime
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import django_on_scratch  # noqa: E402

BATCH = 5000
DEPARTMENTS = 500
COURSES = ("ALS1", "ALS2", "EPALS")
# Each member's standing on each course: days from today to the expiry (None: never certified), drawn with
# these weights: current, expiring within 90 days, lapsed, never.
STATES = [((91, 700), 60), ((1, 90), 15), ((-300, -1), 15), (None, 10)]


def fill(members: int, today: datetime.date):
    """The trust, its departments, requirements, members, certifications, course dates and bookings; returns
    the trust's manager."""
    from django.contrib.auth.hashers import make_password

    from bench.catalogue import make_courses
    from learning.models import Booking, Certification, CourseDate, User
    from learning.organisations.models import ManagerRole, Membership, Organisation, RequiredCourse

    courses = make_courses(COURSES)
    trust = Organisation.objects.create(name="Bench Hospitals NHS Trust")
    departments = Organisation.objects.bulk_create(
        [Organisation(name=f"Department {n}", parent=trust) for n in range(DEPARTMENTS)]
    )
    RequiredCourse.objects.bulk_create(RequiredCourse(organisation=trust, course=course) for course in courses)
    password = make_password(None)
    manager = User.objects.create(
        email="manager@bench.example", first_name="Mia", last_name="Manager", password=password
    )
    ManagerRole.objects.create(organisation=trust, user=manager)
    heads = User.objects.bulk_create(
        [
            User(email=f"head{n}@bench.example", first_name="Head", last_name=str(n), password=password)
            for n in range(DEPARTMENTS)
        ]
    )
    ManagerRole.objects.bulk_create(
        ManagerRole(organisation=d, user=h) for d, h in zip(departments, heads, strict=True)
    )
    dates = [
        CourseDate.objects.create(
            course=course,
            starts_on=today + datetime.timedelta(days=d),
            ends_on=today + datetime.timedelta(days=d),
            venue="Bench",
            instructors=200,
        )
        for course in courses
        for d in (14, 45, 80)
    ]
    rng = random.Random(2026)
    for start in range(0, members, BATCH):
        people = User.objects.bulk_create(
            User(email=f"m{i}@bench.example", first_name=f"First{i}", last_name=f"Last{i}", password=password)
            for i in range(start, min(start + BATCH, members))
        )
        Membership.objects.bulk_create(
            Membership(organisation=departments[p.pk % DEPARTMENTS], participant=p) for p in people
        )
        certifications, bookings = [], []
        for person in people:
            for index, course in enumerate(courses):
                (span,) = rng.choices([s for s, _ in STATES], weights=[w for _, w in STATES])
                if span is None:
                    continue
                expires_on = today + datetime.timedelta(days=rng.randint(*span))
                certifications.append(
                    Certification(
                        participant=person,
                        course=course,
                        number=f"B-{person.pk}-{index}",
                        issued_on=expires_on - datetime.timedelta(days=730),
                        expires_on=expires_on,
                    )
                )
                if span[1] <= 90 and rng.random() < 0.3:
                    bookings.append(
                        Booking(
                            participant=person,
                            course_date=dates[index * 3 + rng.randrange(3)],
                            status=Booking.CONFIRMED,
                        )
                    )
        Certification.objects.bulk_create(certifications)
        Booking.objects.bulk_create(bookings)
    return manager


def measure(client, url: str, repeats: int = 3) -> tuple[float, int, int, int]:
    """The best time of `repeats` requests for `url` (the whole body produced and read), the queries of one, the
    peak of Python's allocations during one, and the body's size."""
    from django.db import connection

    def fetch():
        response = client.get(url, secure=True)
        assert response.status_code == 200, (url, response.status_code)
        return b"".join(response.streaming_content) if response.streaming else response.content

    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        fetch()
        best = min(best, time.perf_counter() - began)
    # Counted as they run: the query log that CaptureQueriesContext reads is emptied when a request starts.
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        fetch()
    tracemalloc.start()
    body = fetch()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, len(queries), peak, len(body)


def digest_run(today: datetime.date) -> tuple[float, int, int]:
    """The managers' digest run of the period, every digest composed and sent in this process: its time, the
    managers planned and the emails sent."""
    from django.core import mail
    from django.utils import timezone

    from reminders.digests import deliver_to_manager, run_manager_digests

    now = timezone.now()
    mail.outbox = []
    began = time.perf_counter()
    run = run_manager_digests(today=today, now=now, dispatch=lambda pk: deliver_to_manager(pk, today=today, now=now))
    return time.perf_counter() - began, run.planned, len(mail.outbox)


def main() -> None:
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with django_on_scratch("resus_bench_team", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        from django.test import Client
        from django.utils import timezone

        today = timezone.localdate()
        began = time.perf_counter()
        manager = fill(members, today)
        print(f"{members:,} members, {len(COURSES)} required courses: filled in {time.perf_counter() - began:.1f} s")
        client = Client()
        client.force_login(manager)
        print(f"{'read':<44} {'time':>8} {'queries':>8} {'peak memory':>12} {'size':>10}")
        for label, url in [
            ("My team, everyone (first page)", "/portal/team/"),
            ("My team, expiring in 30 days, not booked", "/portal/team/?state=30&not_booked=on"),
            ("CSV export, everyone", "/portal/team/export.csv"),
            ("Excel export, everyone", "/portal/team/export.xlsx"),
        ]:
            seconds, queries, peak, size = measure(client, url)
            print(f"{label:<44} {seconds:7.2f}s {queries:8d} {peak / 2**20:10.1f} MB {size / 2**20:8.1f} MB")
        seconds, planned, sent = digest_run(today)
        each = seconds / max(planned, 1) * 1000
        print(f"managers' digest run: {planned} managers, {sent} emails, {seconds:.1f} s ({each:.0f} ms each)")


if __name__ == "__main__":
    main()
