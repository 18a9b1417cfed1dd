"""Fault benchmark of the reminder pipeline: N participants due today, three real Celery workers on Redis, a fake
Postmark in this process, and each fault of issue 12 injected in turn. Prints, per fault, the emails the ESP
accepted, duplicates, misses and the time the outbox took to drain, then a summary table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/faults.py [--participants 500] [--drain-minutes 1]

A scratch database NAME_faults is created on the server and dropped afterwards. The Redis database of
CELERY_BROKER_URL is EMPTIED (FLUSHDB) before each scenario and at the end: give the bench a database of its own.

How it runs:
- The fake ESP is a threaded HTTP server on 127.0.0.1 speaking Postmark's /email for anymail's real Postmark
  backend. Each worker gets its own API URL (/w1/, /w2/ ...), so the ESP knows which worker a request came from.
  It records every message it accepts (recipient, Message-ID header, Metadata) and, like a real ESP, reports it
  delivered a few seconds later.
- Those delivery events are applied by calling reminders.tracking.record_tracking_event from the ESP's own thread,
  not by posting to the portal's webhook URL: the "event before the message id" fault needs the event recorded
  before the ESP answers, which a webhook task queued behind hundreds of send tasks on the same three workers could
  not guarantee; and it saves a web server on a small machine. The webhook's parsing of Postmark's Metadata is
  covered by tests/reminders; the bench normalises the row ids with the same reminder_ids_from.
- This process plays beat: daily_reminders.delay() once per scenario (the scan, which queues the drain), then
  drain_outbox.delay() every drain period. The period is REMINDER_DRAIN_MINUTES (default 1 minute here), the same
  setting the drain uses to decide which dispatched rows may have lost their task, as in production where beat's
  schedule and the drain share it.
- Every scenario starts from a fresh outbox (same participants, reminder rows deleted), an empty broker and three
  fresh workers, and ends when every row is settled (sent, delivered, skipped, failed, or pending for a participant
  already emailed today: those wait for tomorrow), or gives up after GIVE_UP_PERIODS periods and says what is left.
"""

import argparse
import contextlib
import dataclasses
import heapq
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402

WORKERS = 3
# The short timeouts of the bench (real settings, passed to every process).
CLIENT_TIMEOUT_SECONDS = 2  # ANYMAIL_REQUESTS_TIMEOUT
TASK_TIME_LIMIT_SECONDS = 20  # CELERY_TASK_TIME_LIMIT_SECONDS
SENDING_TIMEOUT_SECONDS = 30  # REMINDER_SENDING_TIMEOUT_SECONDS
# A late answer comes well after the client gave up.
LATE_ANSWER_SECONDS = CLIENT_TIMEOUT_SECONDS + 1.5
LATE_EVERY = 10  # one message in this many is answered late
# A real ESP reports a delivery seconds after accepting; here after the client timeout, so that a late answer's row
# is uncertain first and the event has to settle it.
EVENT_LAG_SECONDS = 3.0
HELD_REQUEST = 10  # the kill fault: the worker sending the 10th request is killed while the ESP holds it
SECOND_CERTIFICATION_EVERY = 10  # one participant in this many gets a second certification mid-send
# 2b: the killed message's delivery event comes this long after the first drain period (by then the drain has
# found the claim stale: REMINDER_SENDING_TIMEOUT_SECONDS is shorter than any period).
STALE_NEWS_AFTER_PERIOD_SECONDS = 15.0
STORM_SECONDS = 5
GIVE_UP_PERIODS = 6
POLL_SECONDS = 0.5


# --- The fake ESP ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Accepted:
    """A message the ESP accepted."""

    worker: str
    recipient: str
    message_id_header: str
    metadata: dict
    esp_id: str

    @property
    def reminder_ids(self) -> list[str]:
        return [part for part in str(self.metadata.get("reminders", "")).split(",") if part]


@dataclasses.dataclass
class Fault:
    """What the ESP does wrong in a scenario (nothing by default)."""

    late_every: int = 0  # every n-th accepted message is answered after the client's timeout
    refuse_status: int = 0  # 500 or 429 ...
    refuse_seconds: float = 0.0  # ... for this long from the first request, then it recovers
    hold_request: int = 0  # the n-th request is held, unanswered, until released
    held_event_lag: float = EVENT_LAG_SECONDS  # when the held message is reported delivered
    event_before_answer: bool = False  # the delivery event is recorded before the ESP answers
    while_in_flight: Callable[[Accepted], None] | None = None  # runs after accepting, before answering


class TrackingNews:
    """The ESP's delivery events, applied in its own thread EVENT_LAG_SECONDS after each acceptance."""

    def __init__(self):
        self.pending: list = []
        self.order = itertools.count()
        self.condition = threading.Condition()
        self.busy = False
        self.stopped = False
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self.run, name="tracking-news", daemon=True)
        self.thread.start()

    def later(self, message: Accepted, lag: float) -> None:
        with self.condition:
            heapq.heappush(self.pending, (time.monotonic() + lag, next(self.order), message))
            self.condition.notify()

    def now(self, message: Accepted) -> None:
        self.deliver(message)

    def deliver(self, message: Accepted) -> None:
        from django.utils import timezone

        from reminders.tracking import record_tracking_event, reminder_ids_from

        try:
            record_tracking_event(
                event_id=f"bench-delivered-{message.esp_id}",
                event_type="delivered",
                message_id=message.esp_id,
                recipient=message.recipient,
                reminder_ids=reminder_ids_from(message.metadata.get("reminders", "")),
                now=timezone.now(),
            )
        except Exception as error:
            self.errors.append(f"{type(error).__name__}: {error}")

    def run(self) -> None:
        from django.db import connections

        while True:
            with self.condition:
                while not self.stopped and (not self.pending or self.pending[0][0] > time.monotonic()):
                    wait = self.pending[0][0] - time.monotonic() if self.pending else None
                    self.condition.wait(wait)
                if self.stopped:
                    break
                _, _, message = heapq.heappop(self.pending)
                self.busy = True
            try:
                self.deliver(message)
            finally:
                with self.condition:
                    self.busy = False
                    self.condition.notify_all()
        connections.close_all()

    def forget(self) -> None:
        """Drops the events not yet applied (between scenarios) and waits for the one being applied."""
        with self.condition:
            self.pending.clear()
            while self.busy:
                self.condition.wait()

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify_all()
        self.thread.join(10)


class FakePostmark:
    def __init__(self):
        self.lock = threading.Lock()
        self.news = TrackingNews()
        self.reset(Fault())
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="fake-postmark", daemon=True).start()

    def url(self, worker: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{worker}/"

    def reset(self, fault: Fault) -> None:
        self.news.forget()
        with self.lock:
            self.fault = fault
            self.accepted: list[Accepted] = []
            self.requests = 0
            self.refused = 0
            self.in_flight = 0
            self.last_request_at = time.monotonic()
            self.refusing_until: float | None = None
            self.held, self.release, self.held_by = threading.Event(), threading.Event(), ""
            self.held_message: Accepted | None = None

    def idle_for(self) -> float:
        with self.lock:
            return 0.0 if self.in_flight else time.monotonic() - self.last_request_at

    def receive(self, worker: str, payload: dict) -> tuple[int, dict]:
        fault = self.fault
        with self.lock:
            self.requests += 1
            number = self.requests
            if fault.refuse_status and self.refusing_until is None:
                self.refusing_until = time.monotonic() + fault.refuse_seconds
            if fault.refuse_status and time.monotonic() < self.refusing_until:
                self.refused += 1
                return fault.refuse_status, {"ErrorCode": 0, "Message": "Refused for now (the bench's storm)."}
        headers = {header["Name"]: header["Value"] for header in payload.get("Headers", [])}
        message = Accepted(
            worker=worker,
            recipient=parseaddr(payload["To"])[1].lower(),
            message_id_header=headers.get("Message-ID", ""),
            metadata=payload.get("Metadata") or {},
            esp_id=str(uuid.uuid4()),
        )
        with self.lock:
            self.accepted.append(message)
            accepted_count = len(self.accepted)
        held = fault.hold_request == number
        if fault.event_before_answer:
            self.news.now(message)
        else:
            self.news.later(message, fault.held_event_lag if held else EVENT_LAG_SECONDS)
        if fault.while_in_flight:
            fault.while_in_flight(message)
        if held:
            self.held_message, self.held_by = message, worker
            self.held.set()
            self.release.wait(120)
        if fault.late_every and accepted_count % fault.late_every == 0:
            time.sleep(LATE_ANSWER_SECONDS)
        return 200, {
            "To": payload["To"],
            "SubmittedAt": "2026-11-21T07:00:00Z",
            "MessageID": message.esp_id,
            "ErrorCode": 0,
            "Message": "OK",
        }

    def handler_class(self):
        esp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from django.db import connections

                worker = self.path.strip("/").split("/")[0]
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with esp.lock:
                    esp.in_flight += 1
                try:
                    status, answer = esp.receive(worker, payload)
                finally:
                    connections.close_all()
                    with esp.lock:
                        esp.in_flight -= 1
                        esp.last_request_at = time.monotonic()
                body = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting, or its worker was killed

            def log_message(self, *args):
                pass

        return Handler

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.news.stop()


# --- Workers --------------------------------------------------------------------------------------------------


class Workers:
    """Real `celery worker --pool solo` processes, each sending to its own address on the fake ESP."""

    def __init__(self, env: dict, esp: FakePostmark, folder: Path):
        self.env, self.esp, self.folder = env, esp, folder
        self.running: dict[str, subprocess.Popen] = {}
        self.numbers = itertools.count(1)

    def start(self) -> str:
        from portal.celery import worker_command

        name = f"w{next(self.numbers)}"
        with open(self.folder / f"{name}.log", "w") as log:
            self.running[name] = subprocess.Popen(
                worker_command(hostname=f"{name}@bench", loglevel="WARNING"),
                cwd=ROOT,
                env={**self.env, "ANYMAIL_POSTMARK_API_URL": self.esp.url(name)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return name

    def start_ready(self, count: int) -> None:
        from portal.celery import app

        names = [self.start() for _ in range(count)]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            answered = {name for reply in app.control.ping(timeout=1) for name in reply}
            if {f"{name}@bench" for name in names} <= answered:
                return
            for name in names:
                if self.running[name].poll() is not None:
                    sys.exit(f"worker {name} stopped at start:\n{self.log_tail(name)}")
        sys.exit("the workers did not answer a ping within 2 minutes")

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()

    def log_tail(self, name: str, lines: int = 15) -> str:
        return "\n".join((self.folder / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])


# --- The outbox as the bench sees it ------------------------------------------------------------------------------


@dataclasses.dataclass
class OutboxState:
    statuses: Counter
    waiting_for_tomorrow: int  # pending rows of a participant already emailed today: the rule defers them

    @property
    def unsettled(self) -> dict:
        left = {status: self.statuses[status] for status in ("sending", "uncertain") if self.statuses[status]}
        pending = self.statuses["pending"] - self.waiting_for_tomorrow
        if pending:
            left["pending"] = pending
        return left

    def settled(self, expected_rows: int) -> bool:
        return sum(self.statuses.values()) >= expected_rows and not self.unsettled


def outbox_state(today) -> OutboxState:
    from django.db.models import Count, Exists

    from learning.models import User
    from reminders.delivery import emailed_on
    from reminders.models import Reminder

    statuses = Counter(dict(Reminder.objects.values_list("status").annotate(n=Count("pk")).order_by()))
    emailed = User.objects.filter(Exists(emailed_on(today))).values("pk")
    waiting = Reminder.objects.filter(status=Reminder.PENDING, certification__participant__in=emailed).count()
    return OutboxState(statuses=statuses, waiting_for_tomorrow=waiting)


@dataclasses.dataclass
class Outcome:
    fault: str
    accepted: int
    duplicates: int
    rows_twice: int
    misses: int
    drain_seconds: float | None
    periods: float | None
    left: dict
    note: str


# --- The bench ----------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, participants: int, period: float, esp: FakePostmark, env: dict, folder: Path, broker):
        from bench.catalogue import make_courses
        from reminders.scan import local_today

        self.n, self.period, self.esp, self.broker = participants, period, esp, broker
        self.today = local_today()
        self.workers = Workers(env, self.esp, folder)
        self.first_course, self.second_course = make_courses()
        self.participants = make_participants(participants, self.first_course, self.today)

    def prepare(self, fault: Fault) -> None:
        from learning.models import Certification
        from reminders.models import Recheck, Reminder, ScanProgress, Suppression, TrackingEvent

        self.workers.stop_all()
        self.esp.reset(fault)
        self.broker.flushdb()
        # A fresh outbox, and a fresh scan: the incremental scan would not recreate rows deleted by hand.
        ScanProgress.objects.all().delete()
        Recheck.objects.all().delete()
        Reminder.objects.all().delete()
        TrackingEvent.objects.all().delete()
        Suppression.objects.all().delete()
        Certification.objects.filter(course=self.second_course).delete()
        self.workers.start_ready(WORKERS)

    def run(
        self,
        name: str,
        fault: Fault,
        after_dispatch: Callable[[], str] | None = None,
        afterwards: Callable[[], str] | None = None,
    ) -> Outcome:
        """One scenario: `after_dispatch` injects a fault right after the daily job was queued, `afterwards` adds
        to the printed note."""
        from reminders.tasks import daily_reminders, drain_outbox

        print(f"\n{name} …", flush=True)
        self.prepare(fault)
        started = time.monotonic()
        daily_reminders.delay()
        note = after_dispatch() if after_dispatch else ""
        next_drain, settled_after = started + self.period, None
        while time.monotonic() - started < GIVE_UP_PERIODS * self.period:
            if time.monotonic() >= next_drain:
                drain_outbox.delay()
                next_drain += self.period
            if outbox_state(self.today).settled(self.n):
                settled_after = time.monotonic() - started
                break
            time.sleep(POLL_SECONDS)
        self.quiet()
        if afterwards:
            note = "; ".join(part for part in (note, afterwards()) if part)
        outcome = self.outcome(name, settled_after, note)
        self.workers.stop_all()
        print_outcome(outcome, self.esp)
        return outcome

    def quiet(self) -> None:
        """One more drain after the outbox settled must send nothing: let it and every queued task run out."""
        from reminders.tasks import drain_outbox

        drain_outbox.delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.broker.llen("celery") == 0 and self.esp.idle_for() > 3:
                return
            time.sleep(POLL_SECONDS)

    def outcome(self, name: str, settled_after: float | None, note: str) -> Outcome:
        from reminders.models import Reminder

        accepted = list(self.esp.accepted)
        per_participant = Counter(message.recipient for message in accepted)
        per_row = Counter(row for message in accepted for row in message.reminder_ids)
        state = outbox_state(self.today)
        uncertain = Reminder.objects.filter(story__contains="may have been sent").count()
        if uncertain:
            note = f"{note}; {uncertain} rows were uncertain on the way".lstrip("; ")
        if state.waiting_for_tomorrow:
            note = f"{note}; {state.waiting_for_tomorrow} rows wait for tomorrow".lstrip("; ")
        if self.esp.news.errors:
            note = f"{note}; tracking errors: {self.esp.news.errors[:3]}".lstrip("; ")
        return Outcome(
            fault=name,
            accepted=len(accepted),
            duplicates=sum(1 for count in per_participant.values() if count > 1),
            rows_twice=sum(1 for count in per_row.values() if count > 1),
            misses=len(set(self.participants.values()) - set(per_participant)),
            drain_seconds=settled_after,
            periods=None if settled_after is None else settled_after / self.period,
            left=state.unsettled if settled_after is None else {},
            note=note,
        )


def make_participants(n: int, course, today) -> dict[int, str]:
    """n participants, each with a certification expiring in 30 days: the 30-day reminder is due today."""
    import datetime

    from django.contrib.auth.hashers import make_password

    from learning.models import Certification, User

    password = make_password(None)
    User.objects.bulk_create(
        User(email=f"p{i}@bench.example", first_name="P", last_name=str(i), password=password) for i in range(n)
    )
    people = dict(User.objects.filter(email__endswith="@bench.example").values_list("pk", "email"))
    expires_on = today + datetime.timedelta(days=30)
    Certification.objects.bulk_create(
        Certification(
            participant_id=pk,
            course=course,
            number=f"B1-{pk:08d}",
            issued_on=expires_on - datetime.timedelta(days=730),
            expires_on=expires_on,
        )
        for pk in people
    )
    return people


def print_outcome(outcome: Outcome, esp: FakePostmark) -> None:
    if outcome.drain_seconds is None:
        drained = f"NOT drained after {GIVE_UP_PERIODS} periods, left {outcome.left}"
    else:
        drained = f"drained in {outcome.drain_seconds:.1f} s = {outcome.periods:.2f} periods"
    print(
        f"  accepted {outcome.accepted}, duplicates {outcome.duplicates} (rows sent twice {outcome.rows_twice}), "
        f"misses {outcome.misses}, {drained}; ESP requests {esp.requests}, refused {esp.refused}"
        + (f"; {outcome.note}" if outcome.note else ""),
        flush=True,
    )


# --- The faults ---------------------------------------------------------------------------------------------------


def no_fault(bench: Bench, name: str) -> Outcome:
    return bench.run(name, Fault())


def late_answers(bench: Bench, name: str) -> Outcome:
    return bench.run(name, Fault(late_every=LATE_EVERY))


def killed_worker(news_after_drain: bool) -> Callable[[Bench, str], Outcome]:
    """A worker is killed with SIGKILL while the ESP holds its request (the ESP had the whole message, so it stays
    accepted and is reported delivered, seconds later or, with `news_after_drain`, after the next drain); a
    replacement worker is started."""

    def scenario(bench: Bench, name: str) -> Outcome:
        lag = bench.period + STALE_NEWS_AFTER_PERIOD_SECONDS if news_after_drain else EVENT_LAG_SECONDS

        def kill_mid_send() -> str:
            if not bench.esp.held.wait(bench.period):
                return "no request was held: nothing killed"
            victim = bench.esp.held_by
            unacked = bench.broker.hlen("unacked")
            bench.workers.kill(victim)
            replacement = bench.workers.start()
            bench.esp.release.set()  # the answer goes to a dead socket
            return f"killed {victim} mid-send ({unacked} unacked tasks in Redis then), started {replacement}"

        def killed_rows_story() -> str:
            from reminders.models import Reminder

            message = bench.esp.held_message
            if message is None:
                return ""
            stories = Reminder.objects.filter(pk__in=message.reminder_ids).values_list("status", "story")
            return "; ".join(
                f"its row {status}: " + " -> ".join(line.split(": ", 1)[-1][:60] for line in story.splitlines())
                for status, story in stories
            )

        return bench.run(
            name,
            Fault(hold_request=HELD_REQUEST, held_event_lag=lag),
            after_dispatch=kill_mid_send,
            afterwards=killed_rows_story,
        )

    return scenario


def second_certification_in_flight(bench: Bench, name: str) -> Outcome:
    """One participant in SECOND_CERTIFICATION_EVERY gets a second certification while the ESP holds their first
    email; it is scanned, and two deliveries are attempted for them at once: a send task queued for them (as a
    drain that looked before the first claim would queue) and, overlapping for certain, `send_reminders` run by hand
    in this process."""
    import datetime

    from django.utils import timezone

    from learning.models import Certification
    from reminders.delivery import deliver_to_participant
    from reminders.outbox import TransientSendError
    from reminders.scan import scan
    from reminders.tasks import send_participant_reminders

    chosen = {email: pk for pk, email in bench.participants.items() if pk % SECOND_CERTIFICATION_EVERY == 0}
    seen, lock = set(), threading.Lock()
    expires_on = bench.today + datetime.timedelta(days=7)

    def while_in_flight(message: Accepted) -> None:
        participant_id = chosen.get(message.recipient)
        with lock:
            if participant_id is None or participant_id in seen:
                return
            seen.add(participant_id)
        Certification.objects.create(
            participant_id=participant_id,
            course=bench.second_course,
            number=f"B2-{participant_id:08d}",
            issued_on=expires_on - datetime.timedelta(days=730),
            expires_on=expires_on,
        )
        scan(today=bench.today, now=timezone.now())
        send_participant_reminders.delay(participant_id)
        with contextlib.suppress(TransientSendError):  # a storm is another scenario
            deliver_to_participant(participant_id, today=bench.today, now=timezone.now())

    return bench.run(
        name,
        Fault(while_in_flight=while_in_flight),
        afterwards=lambda: f"{len(seen)} participants got a second certification mid-send",
    )


def emptied_broker(bench: Bench, name: str) -> Outcome:
    """Redis is emptied once the drain has marked every due row dispatched and queued their send tasks."""
    from reminders.models import Reminder

    def flush_after_dispatch() -> str:
        deadline = time.monotonic() + bench.period
        while time.monotonic() < deadline:
            rows = Reminder.objects.filter(status=Reminder.PENDING)
            if Reminder.objects.count() >= bench.n and not rows.filter(dispatched_at__isnull=True).exists():
                break
            time.sleep(0.05)
        # The rows are marked before their tasks are queued: wait until the queue stops growing.
        queued, steady_since = bench.broker.llen("celery"), time.monotonic()
        while time.monotonic() - steady_since < 0.5 and time.monotonic() < deadline:
            time.sleep(0.05)
            now_queued = bench.broker.llen("celery")
            if now_queued > queued:
                queued, steady_since = now_queued, time.monotonic()
        bench.broker.flushdb()
        return f"FLUSHDB with {queued} send tasks queued"

    return bench.run(name, Fault(), after_dispatch=flush_after_dispatch)


def event_before_message_id(bench: Bench, name: str) -> Outcome:
    return bench.run(name, Fault(event_before_answer=True))


def storm(status: int) -> Callable[[Bench, str], Outcome]:
    def scenario(bench: Bench, name: str) -> Outcome:
        return bench.run(name, Fault(refuse_status=status, refuse_seconds=STORM_SECONDS))

    return scenario


# Each fault's key (for --only) is what precedes the first dot of its name.
SCENARIOS = [
    ("0. none (reference)", no_fault),
    (f"1. accepted, answered after the timeout (1 in {LATE_EVERY})", late_answers),
    ("2a. kill -9 of a worker mid-send", killed_worker(news_after_drain=False)),
    # The ESP's news of the killed worker's message comes after the drain found the claim stale: the row must go
    # sending -> uncertain -> delivered, never be sent again.
    ("2b. kill -9 mid-send, delivery news after the next drain", killed_worker(news_after_drain=True)),
    (f"3. second certification scanned in flight (1 in {SECOND_CERTIFICATION_EVERY})", second_certification_in_flight),
    ("4. Redis emptied after the dispatch", emptied_broker),
    ("5. tracking event before the message id", event_before_message_id),
    (f"6a. 500 storm for {STORM_SECONDS} s", storm(500)),
    (f"6b. 429 storm for {STORM_SECONDS} s", storm(429)),
]


# --- Set-up and summary --------------------------------------------------------------------------------------------


def print_summary(outcomes: list[Outcome], period: float) -> None:
    print(f"\nSummary (drain period {period:.0f} s; goal: 0 duplicates, 0 misses, drained within 2 periods)\n")
    width = max(len(outcome.fault) for outcome in outcomes)
    print(f"| {'fault':<{width}} | accepted | duplicates | misses | drain (s) | periods | left |")
    print(f"|{'-' * (width + 2)}|---------:|-----------:|-------:|----------:|--------:|------|")
    for outcome in outcomes:
        drain = "-" if outcome.drain_seconds is None else f"{outcome.drain_seconds:.1f}"
        periods = "-" if outcome.periods is None else f"{outcome.periods:.2f}"
        left = ", ".join(f"{count} {status}" for status, count in outcome.left.items()) or "-"
        print(
            f"| {outcome.fault:<{width}} | {outcome.accepted:>8} | {outcome.duplicates:>10} | "
            f"{outcome.misses:>6} | {drain:>9} | {periods:>7} | {left} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--drain-minutes", type=int, default=1, help="REMINDER_DRAIN_MINUTES: beat's drain period here")
    parser.add_argument("--only", type=lambda text: text.split(","), help="faults to run, e.g. 2b,4 (default: all)")
    options = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not server_url.startswith("postgres") or not broker_url.startswith("redis://"):
        sys.exit(
            "Set DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://host:6379/N (a Redis database of its own)"
        )
    import redis

    broker = redis.Redis.from_url(broker_url)
    scratch = f"{urlparse(server_url).path.strip('/') or 'resus'}_faults"
    period = 60.0 * options.drain_minutes
    folder = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    esp = FakePostmark()
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database(server_url, scratch, create=True),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(folder),
        "EMAIL_ESP": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "bench",
        "ANYMAIL_POSTMARK_API_URL": esp.url("bench"),  # each worker gets its own (Workers.start)
        "ANYMAIL_WEBHOOK_SECRET": "bench:bench",
        "ANYMAIL_REQUESTS_TIMEOUT": str(CLIENT_TIMEOUT_SECONDS),
        "CELERY_TASK_TIME_LIMIT_SECONDS": str(TASK_TIME_LIMIT_SECONDS),
        "REMINDER_SENDING_TIMEOUT_SECONDS": str(SENDING_TIMEOUT_SECONDS),
        "REMINDER_DRAIN_MINUTES": str(options.drain_minutes),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "localhost",
    }
    bench, keep_logs = None, True
    outcomes: list[Outcome] = []
    try:
        broker.flushdb()
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        bench = Bench(options.participants, period, esp, env, folder, broker)
        print(
            f"{options.participants} participants due on {bench.today}, {WORKERS} workers (solo pool), "
            f"drain period {period:.0f} s (REMINDER_DRAIN_MINUTES={options.drain_minutes}), client timeout "
            f"{CLIENT_TIMEOUT_SECONDS} s, task time limit {TASK_TIME_LIMIT_SECONDS} s, stale claim after "
            f"{SENDING_TIMEOUT_SECONDS} s, delivery events {EVENT_LAG_SECONDS:.0f} s after acceptance",
            flush=True,
        )
        for name, scenario in SCENARIOS:
            if not options.only or name.split(".")[0] in options.only:
                outcomes.append(scenario(bench, name))
        print_summary(outcomes, period)
        keep_logs = any(outcome.duplicates or outcome.misses or outcome.drain_seconds is None for outcome in outcomes)
    finally:
        if bench is not None:
            bench.workers.stop_all()
        esp.stop()
        from django.db import connections

        connections.close_all()
        scratch_database(server_url, scratch, create=False)
        broker.flushdb()
        if keep_logs:
            print(f"(worker logs in {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
