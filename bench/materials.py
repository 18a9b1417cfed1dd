"""Benchmark: the cost of the access check, with production settings. Serves a private material page (a manual) to
an entitled participant and a public page of about the same size at the same depth (a continuing-education offer)
through the same gunicorn server on loopback; prints, for each, requests per second and queries per request, and
their ratio against the issue's goal (private / public >= 0.95).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres [CACHE_URL=redis://127.0.0.1:6379/9] \\
        .venv/bin/python bench/materials.py [--requests 100] [--concurrency 4] [--rounds 15] [--workers 2] [--threads 2]

Production settings: DEBUG off (hashed static files, secure cookies, HTTPS redirect), PostgreSQL in a scratch
database (BENCH_DATABASE, default `resus_bench_materials`, dropped afterwards) with persistent, health-checked
connections (DB_CONN_MAX_AGE's production default unless set), sessions in the database, the cache CACHE_URL names
(as production with several web processes; per process without it), and gunicorn behind a TLS proxy (one trusted
proxy; the client sends X-Forwarded-Proto: https as the proxy would). The demo content is loaded into it.

The machine may be shared, so the two pages are measured in short alternating rounds and each round's ratio is
printed; the median is the figure, the spread says how far to trust it.
"""

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import django_on_scratch  # noqa: E402

SCRATCH = os.environ.get("BENCH_DATABASE", "resus_bench_materials")
GOAL = 0.95
PARTICIPANT = "ben@example.com"  # holds ALS1 and ALS2 in the demo
# What a TLS-terminating proxy adds to every request it passes on.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn as production runs it (README, "Production"), with `workers` processes of `threads` threads (by
    default one process per core of a 2-core machine) and the bench's environment; waits until it answers."""
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["-w", str(workers), "--threads", str(threads), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/", headers=PROXY_HEADERS, timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 20 s")


def signed_in_client():
    """A test client signed in as the participant, its session in the database as the sign-in form would leave it;
    it runs requests in this process with what a proxy adds to them."""
    from django.test import Client

    from learning.models import User

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(User.objects.get(email=PARTICIPANT))
    return client


def pages() -> tuple:
    """The private page (the ALS1 manual) and the public candidates at the same depth (the CE offers)."""
    from learning.models import ContinuingEducationOfferPage, ManualPage

    private = ManualPage.objects.live().filter(courses__code="ALS1").order_by("path").first()
    public = list(ContinuingEducationOfferPage.objects.live().public().order_by("path"))
    return private, public


class Load:
    """Requests from a pool of threads, each with its own kept-alive connection, all signed in as the participant."""

    def __init__(self, base: str, cookie: str, concurrency: int):
        self.base, self.concurrency = base, concurrency
        self.headers = {**PROXY_HEADERS, "Cookie": cookie}
        self.local = threading.local()

    def fetch(self, path: str) -> int:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        response = self.local.session.get(self.base + path, headers=self.headers, allow_redirects=False)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}, not 200")
        return len(response.content)

    def rate(self, path: str, total: int) -> float:
        """Requests per second for `total` requests of `path`, `concurrency` at a time."""
        began = time.perf_counter()
        with ThreadPoolExecutor(self.concurrency) as pool:
            list(pool.map(lambda _: self.fetch(path), range(total)))
        return total / (time.perf_counter() - began)


def queries_per_request(client, path: str) -> int:
    """The queries one request of `path` runs (the same code in this process, warmed up as the server is)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def connections_opened(database: str) -> int:
    """How many connections the scratch database has been sent so far (PostgreSQL's own count)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [database])
        return cursor.fetchone()[0]


def refuse_strangers(load: Load, path: str) -> None:
    """The private page really is private: without the participant's session it sends to the sign-in page."""
    response = requests.get(load.base + path, headers=PROXY_HEADERS, allow_redirects=False, timeout=10)
    if response.status_code != 302 or "/accounts/login/" not in response.headers.get("Location", ""):
        raise SystemExit(f"{path} answered {response.status_code} without a session: it is not private")


def same_size_public_page(load: Load, private_size: int, candidates) -> tuple[str, int]:
    """The public candidate whose response is nearest in bytes to the private page's."""
    sizes = {page.url: load.fetch(page.url) for page in candidates}
    url = min(sizes, key=lambda candidate: abs(sizes[candidate] - private_size))
    return url, sizes[url]


def measure(load: Load, private: str, public: str, total: int, rounds: int) -> list[tuple[float, float]]:
    """(private, public) requests per second for each round; the order alternates so that drift hits both."""
    results = []
    print("ratio of each round:", end="", flush=True)
    for round_number in range(rounds):
        order = (private, public) if round_number % 2 == 0 else (public, private)
        rates = {path: load.rate(path, total) for path in order}
        results.append((rates[private], rates[public]))
        print(f" {rates[private] / rates[public]:.2f}", end="", flush=True)
    print()
    return results


def describe_settings(workers: int, threads: int) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return (
        f"DEBUG={settings.DEBUG}, {database['ENGINE'].rsplit('.', 1)[-1]} with CONN_MAX_AGE={database['CONN_MAX_AGE']}"
        f" (health checks {'on' if database['CONN_HEALTH_CHECKS'] else 'off'}), sessions {settings.SESSION_ENGINE}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"gunicorn {workers} workers x {threads} threads"
    )


def report(results, sizes, queries, connections: tuple[int, int], goal=GOAL) -> None:
    ratios = sorted(private / public for private, public in results)
    median = statistics.median(ratios)
    private_rate = statistics.median(private for private, _ in results)
    public_rate = statistics.median(public for _, public in results)
    print(f"private material page: {private_rate:6.1f} requests/s, {queries[0]} queries, {sizes[0]:,} bytes")
    print(f"public page:           {public_rate:6.1f} requests/s, {queries[1]} queries, {sizes[1]:,} bytes")
    print(f"database connections opened while serving {connections[1]:,} requests: {connections[0]}")
    print(
        f"ratio private / public: {median:.2f} (median of {len(ratios)} rounds, {ratios[0]:.2f}-{ratios[-1]:.2f}); "
        f"goal >= {goal}: {'met' if median >= goal else 'not met'} ({median / goal:.2f}x the goal)"
    )


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="requests of each page per round")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads of each gunicorn worker")
    return parser.parse_args()


def main() -> None:
    options = arguments()
    production = {"ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "TRUSTED_PROXY_COUNT": "1"}
    with django_on_scratch(SCRATCH, DEMO_CONTENT_ALLOWED="true", **production):
        from django.core.management import call_command

        call_command("load_demo", "--quiet-accounts", stdout=io.StringIO())
        port = free_port()
        server = start_gunicorn(port, options.workers, options.threads)
        try:
            client = signed_in_client()
            load = Load(
                f"http://127.0.0.1:{port}", f"sessionid={client.cookies['sessionid'].value}", options.concurrency
            )
            private_page, candidates = pages()
            private_size = load.fetch(private_page.url)
            refuse_strangers(load, private_page.url)
            public, public_size = same_size_public_page(load, private_size, candidates)
            print(f"{private_page.url} against {public}; {describe_settings(options.workers, options.threads)}")
            for path in (private_page.url, public):  # every server thread opens its connection and warms up
                load.rate(path, 10 * options.workers * options.threads)
            before = connections_opened(SCRATCH)
            results = measure(load, private_page.url, public, options.requests, options.rounds)
            connections = (connections_opened(SCRATCH) - before, 2 * options.requests * options.rounds)
            queries = (queries_per_request(client, private_page.url), queries_per_request(client, public))
            report(results, (private_size, public_size), queries, connections)
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
