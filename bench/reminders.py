"""Benchmark of the reminder pipeline on PostgreSQL; prints its figures for each N.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/reminders.py [N,N,...] [SENDS]

N (default 10000,100000,1000000) certifications are spread over expiry dates. For each N it prints the scans of
the incremental pipeline, each against the bare indexed SELECT a scan cannot beat:

- the first scan (a full one: no progress recorded yet), and a second scan the same day (must create 0 rows);
- the next day's scan, after RECHECKS participants turned their reminders back on (each marked for a recheck);
- the scan after 7 missed days (the catch-up of the stage dates reached on those days);
- each against the bare SELECT of the due rows (every certification inside the stage windows on that day, as the
  issue measured it), and against the floor of a scan that creates as many rows: the bare SELECT of the
  certifications whose stage date it passes (the day's, or the 7 days') plus a bare INSERT of that many outbox rows
  (with the outbox's indexes and foreign keys);
- each scan but the first is the best of three runs rolled back and one for real; between days every due row is
  marked sent, as the day's delivery leaves the outbox.

Then the scan's peak Python memory, and delivery: SENDS participants' emails (default 2000; 0 skips it) through
anymail's Postmark backend to a fake Postmark on loopback (a process of its own), by 1, 2 and 4 worker processes
taking batches of REMINDER_BATCH_SIZE participants from one queue, each in emails/s against the plain loop of
anymail sends of messages of the same size (the limit), in all and per worker, with the duplicates (must be 0).
A scratch database (BENCH_DATABASE, default `resus_bench_reminders`) is created on the server and dropped
afterwards.
"""

import datetime
import json
import multiprocessing
import os
import sys
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scratch import django_on_scratch  # noqa: E402

SCRATCH = os.environ.get("BENCH_DATABASE", "resus_bench_reminders")
RECHECKS = 100
TIMED_RUNS = 3
BATCH = 5000


class FakePostmark(BaseHTTPRequestHandler):
    """Postmark's /email on loopback, answering at once. HTTP/1.1: a client may keep its connection, as with a
    real ESP; and without Nagle's algorithm, so that a kept connection does not wait for delayed ACKs (40 ms)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

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


def serve_fake_postmark(port) -> None:
    """The fake ESP, in a process of its own so that the workers being measured do not share its interpreter."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePostmark)
    port.put(server.server_port)
    server.serve_forever()


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


def fill_obstacles(n: int, courses, today: datetime.date) -> None:
    """What stands between a certification and its reminder in a real register: 1 in 100 participants at a
    suppressed address, and 1 in 50 booked on a date of one of their courses (dates every week from a fortnight
    ago to four months ahead, one of them ending today, so that the next day's scan finds bookings that ended)."""
    from learning.models import Booking, CourseDate, User
    from reminders.models import Suppression

    people = n // 2 or 1
    Suppression.objects.bulk_create(
        Suppression(email=f"p{i}@bench.example", reason=Suppression.BOUNCED) for i in range(0, people, 100)
    )
    dates = []
    for course in courses:
        for start in range(-15, 120, 7):
            starts_on = today + datetime.timedelta(days=start)
            dates.append(
                CourseDate(
                    course=course, starts_on=starts_on, ends_on=starts_on + datetime.timedelta(days=1), venue="B"
                )
            )
    dates = CourseDate.objects.bulk_create(dates)
    first_user = User.objects.filter(email__endswith="@bench.example").order_by("pk").values_list("pk", flat=True)[0]
    for start in range(0, people, BATCH * 50):
        Booking.objects.bulk_create(
            Booking(course_date=dates[(i // 50) % len(dates)], participant_id=first_user + i, status="confirmed")
            for i in range(start + 7, min(start + BATCH * 50, people), 50)
        )


class RolledBack(Exception):
    pass


def rolled_back(run) -> float:
    """The time of `run()` in a transaction that is then rolled back, its deferred foreign keys checked before it
    stops as a commit would check them; the outbox is vacuumed afterwards, as autovacuum does between two daily
    scans, so that the dead rows of one run do not slow the next."""
    from django.db import connection, transaction

    try:
        with transaction.atomic():
            began = time.perf_counter()
            run()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - began
            raise RolledBack
    except RolledBack:
        pass
    vacuum()
    return seconds


def best_of(run) -> tuple[float, object]:
    """The best time of TIMED_RUNS runs of `run` rolled back and one run for real, whose result it returns (the
    noise of a shared machine only ever adds time)."""
    times = [rolled_back(run) for _ in range(TIMED_RUNS)]
    began = time.perf_counter()
    result = run()
    times.append(time.perf_counter() - began)
    vacuum()
    return min(times), result


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reminders_reminder")


def bare_window(today: datetime.date) -> tuple[float, int]:
    """The bare indexed SELECT of every certification inside the stage windows on `today` (-90 … +30, with the
    catch-up): the rows a scan of that day has to consider at most."""
    from django.conf import settings

    from learning.models import Certification

    first = today - datetime.timedelta(days=30 + settings.REMINDER_CATCH_UP_DAYS)
    query = Certification.objects.filter(
        expires_on__gte=first, expires_on__lte=today + datetime.timedelta(days=90)
    ).values_list("pk", "expires_on")
    return timed_select(query)


def bare_reached(since: datetime.date, today: datetime.date) -> tuple[float, int]:
    """The bare indexed SELECT of the certifications whose stage date falls after `since`, up to `today`: the rows
    an incremental scan of that day looks at."""
    from django.db.models import Q

    from learning.models import Certification
    from reminders.models import ReminderStage

    reached = Q()
    for days in ReminderStage.objects.filter(active=True).values_list("days_from_expiry", flat=True):
        offset = datetime.timedelta(days=days)
        reached |= Q(expires_on__gt=since - offset, expires_on__lte=today - offset)
    return timed_select(Certification.objects.filter(reached).values_list("pk", "expires_on"))


def timed_select(query) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(TIMED_RUNS):
        began = time.perf_counter()
        rows = len(list(query.all()))  # a fresh queryset each time: a used one returns its cache
        times.append(time.perf_counter() - began)
    return min(times), rows


def some_participants(count: int):
    from learning.models import User

    return User.objects.filter(email__endswith="@bench.example").order_by("pk")[:count]


def opt_out(count: int) -> None:
    """`count` participants have turned reminders off before the first scan (written in bulk: nothing to mark)."""
    from learning.models import User

    User.objects.filter(pk__in=some_participants(count).values("pk")).update(wants_reminders=False)


def opt_back_in(count: int) -> None:
    """They turn them back on, through the model as the preferences page does, so each is marked for a recheck."""
    for user in some_participants(count):
        user.wants_reminders = True
        user.save(update_fields=["wants_reminders"])


def deliver_due(day: datetime.date) -> None:
    """What the day's delivery leaves behind: every row due by `day` sent (not timed)."""
    from django.utils import timezone

    from reminders.models import Reminder

    Reminder.objects.filter(status=Reminder.PENDING, due_on__lte=day).update(
        status=Reminder.SENT, sent_at=timezone.now()
    )
    vacuum()


def bare_insert(rows: int) -> float:
    """The floor of any scan that creates `rows` rows: an INSERT … SELECT of that many outbox rows from the
    register, with the outbox's indexes and its foreign keys checked, and nothing decided (rolled back)."""
    from django.db import connection

    from reminders.models import ReminderStage

    stage = ReminderStage.objects.order_by("days_from_expiry").first()

    def insert():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO reminders_reminder (certification_id, stage_id, due_on, status, attempts, message_id, "
                "last_error, skipped_reason, story, retried_uncertain, created_at, updated_at) "
                "SELECT id, %s, expires_on, 'pending', 0, '', '', '', '', false, now(), now() "
                "FROM learning_certification c WHERE NOT EXISTS (SELECT 1 FROM reminders_reminder r "
                "WHERE r.certification_id = c.id AND r.stage_id = %s) LIMIT %s "
                "ON CONFLICT (certification_id, stage_id) DO NOTHING",
                [stage.pk, stage.pk, rows],
            )

    return min(rolled_back(insert) for _ in range(TIMED_RUNS))


def measure_scans(n: int, today: datetime.date) -> None:
    from reminders.scan import scan

    opt_out(RECHECKS)
    tracemalloc.start()
    began = time.perf_counter()
    first = scan(today=today)
    first_seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    vacuum()
    deliver_due(today)
    day1, day8 = today + datetime.timedelta(days=1), today + datetime.timedelta(days=8)
    runs = [("first scan (full)", today, None, first_seconds, first)]
    runs.append(("same day, second scan", today, today, *best_of(lambda: scan(today=today))))
    opt_back_in(RECHECKS)
    runs.append(("day+1 scan", day1, today, *best_of(lambda: scan(today=day1))))
    deliver_due(day1)
    runs.append(("7-day catch-up", day8, day1, *best_of(lambda: scan(today=day8))))
    print(f"N={n:,}  (the first scan's peak Python memory {peak / 1e6:.1f} MB)")
    print(
        f"  {'':22} {'seconds':>8} {'rows':>7} {'skipped':>7} {'rechecked':>9}  "
        f"{'bare SELECT of the due rows':>30}  {'floor: the dates passed + INSERT':>38}"
    )
    for label, day, since, seconds, result in runs:
        print_run(label, day, since, seconds, result)


def print_run(label, day, since, seconds, result) -> None:
    """One scan's line: its time and rows, against the bare SELECT of that day's due rows and against the floor
    of a scan that creates as many rows (the SELECT of the certifications whose stage date it passes, and the
    INSERT of its rows)."""
    bare_seconds, bare_rows = bare_window(day)
    against_bare = f"{bare_seconds:6.3f} s ({bare_rows:>7,}) {seconds / bare_seconds:6.2f}x"
    against_floor = ""
    if since is not None and since < day:
        reached_seconds, _ = bare_reached(since, day)
        floor = reached_seconds + bare_insert(result.created)
        against_floor = f"{floor:6.3f} s {seconds / floor:6.2f}x"
    print(
        f"  {label:22} {seconds:8.3f} {result.created:>7,} {result.skipped:>7,} {result.rechecked:>9,}  "
        f"{against_bare:>30}  {against_floor:>38}"
    )


def measure_sends(sends: int, day: datetime.date) -> None:
    """Delivery of the day's reminders to `sends` participants by 1, 2 and 4 worker processes taking batches from
    one queue (as Celery workers take tasks), against a plain loop of anymail sends of messages of the same size
    to the same fake ESP. The same participants each time: their sent rows are put back to pending in between."""
    from django.conf import settings

    from reminders.delivery import batches, participants_due
    from reminders.outbox import refresh_outbox_statistics

    began = time.perf_counter()
    refresh_outbox_statistics()  # as the daily run does between its scan and the deliveries
    counted = time.perf_counter() - began
    print(f"  the outbox counted again after the scan (ANALYZE, once a day): {counted:.3f} s")
    participants = participants_due(day, now_on(day))[:sends]
    sample = sample_email(participants[0], day)
    run_workers(batches(participants), 1, day)  # a warm-up: the rows no longer due are skipped once for all
    size = reset_sent(participants)
    plain = plain_loop(size, sample)
    print(
        f"  delivery of {size:,} emails in batches of {settings.REMINDER_BATCH_SIZE}; plain anymail loop "
        f"(message.send() each, same ESP, {len(sample.message().as_bytes()):,}-byte messages): {plain:6.1f} emails/s"
    )
    for workers in (1, 2, 4):
        seconds = run_workers(batches(participants), workers, day)
        sent, duplicates = sent_and_duplicates(participants)
        rate = sent / seconds
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '}: {sent:,} emails in {seconds:5.1f} s = {rate:6.1f} "
            f"emails/s = {rate / plain:4.2f}x the plain loop, {rate / plain / workers:4.2f}x per worker "
            f"(goal >= 0.5x); {duplicates} duplicates"
        )
        reset_sent(participants)


def now_on(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(7)))


def run_workers(work: list[list[int]], workers: int, day: datetime.date) -> float:
    """The seconds `workers` processes take to deliver every batch of `work`, each taking the next batch."""
    from django.db import connections

    connections.close_all()
    queue = multiprocessing.Queue()
    for batch in work:
        queue.put(batch)
    for _ in range(workers):
        queue.put(None)
    processes = [multiprocessing.Process(target=batch_worker, args=(queue, day)) for _ in range(workers)]
    began = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return time.perf_counter() - began


def batch_worker(queue, day: datetime.date) -> None:
    from django.db import connections

    from reminders.delivery import deliver_to_participants

    connections.close_all()
    while (batch := queue.get()) is not None:
        deliver_to_participants(batch, today=day, now=now_on(day))
    connections.close_all()


def reset_sent(participants: list[int]) -> int:
    """The participants' sent rows pending again, as before their delivery; returns how many emails that is (a
    participant's rows share one)."""
    from reminders.models import Reminder

    sent = Reminder.objects.filter(certification__participant_id__in=participants, status=Reminder.SENT)
    emails = sent.values("certification__participant_id").distinct().count()
    sent.update(status=Reminder.PENDING, claimed_at=None, sent_at=None, message_id="", attempts=0, story="")
    return emails


def sent_and_duplicates(participants: list[int]) -> tuple[int, int]:
    """Emails the ESP accepted for these participants, and how many participants got more than one."""
    from django.db.models import Count

    from reminders.models import Reminder

    per_person = (
        Reminder.objects.filter(certification__participant_id__in=participants, status=Reminder.SENT)
        .values("certification__participant_id")
        .annotate(emails=Count("message_id", distinct=True))
    )
    emails = [row["emails"] for row in per_person]
    return sum(emails), sum(1 for count in emails if count > 1)


def plain_loop(count: int, sample) -> float:
    """Emails/s of the limit: a loop of anymail sends, message.send() each, of messages as large as `sample` (a
    real reminder: its subject, text and HTML bodies and headers) to the same fake ESP, in one process."""
    from django.core.mail import EmailMultiAlternatives

    html = sample.alternatives[0][0]
    began = time.perf_counter()
    for i in range(count):
        message = EmailMultiAlternatives(
            subject=sample.subject, body=sample.body, to=[f"plain{i}@bench.example"], headers=sample.extra_headers
        )
        message.attach_alternative(html, "text/html")
        message.send()
    return count / (time.perf_counter() - began)


def sample_email(participant_id: int, day: datetime.date):
    """A real reminder email of the day, composed and not sent: the size the plain loop sends."""
    from reminders.emails import compose_reminder_email
    from reminders.models import Reminder

    rows = list(
        Reminder.objects.filter(certification__participant_id=participant_id, status=Reminder.PENDING).select_related(
            "stage", "certification__course", "certification__participant"
        )
    )
    return compose_reminder_email(rows[0].certification.participant, rows, day)


def measure(n: int, sends: int, courses, today: datetime.date) -> None:
    from django.db import connection

    from learning.models import User

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reminders_reminder, reminders_recheck, reminders_scanprogress, reminders_suppression, "
            "learning_certification, learning_booking, learning_coursedate CASCADE"
        )
    User.objects.filter(email__endswith="@bench.example").delete()
    fill(n, courses, today)
    fill_obstacles(n, courses, today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    measure_scans(n, today)
    if sends:
        measure_sends(sends, today + datetime.timedelta(days=8))


def main() -> None:
    sizes = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000,1000000").split(",")]
    sends = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    port = multiprocessing.Queue()
    fake = multiprocessing.Process(target=serve_fake_postmark, args=(port,), daemon=True)
    fake.start()
    postmark = {
        "EMAIL_ESP": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "bench",
        "ANYMAIL_WEBHOOK_SECRET": "bench:bench",
        "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{port.get(timeout=10)}/",
    }
    try:
        with django_on_scratch(SCRATCH, **postmark):
            from bench.catalogue import make_courses
            from reminders.scan import local_today

            courses = make_courses()
            for n in sizes:
                measure(n, sends, courses, local_today())
    finally:
        fake.terminate()


if __name__ == "__main__":
    main()
