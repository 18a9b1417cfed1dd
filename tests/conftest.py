"""Shared fixtures, and the rule for tests that need a service: under CI=true they fail, elsewhere skip."""

import contextlib
import dataclasses
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.db import connections

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS_DIR = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parent.parent / "var" / "artifacts"))


def require(condition: bool, reason: str) -> None:
    """Skips the test outside CI when `condition` is false; under CI=true the test fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run here)")
    pytest.skip(reason)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def participant(db):
    from tests.factories import UserFactory

    return UserFactory(email="pat.participant@example.org", first_name="Pat", last_name="Participant")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_run_in_the_test():
    """Tasks queued by the code under test (emails sent on commit) run in the test's process, so a test sees their
    effect; tests of the broker path start a real worker (`celery_worker`), which turns this off."""
    from portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _no_closure_from_another_test():
    """Each test starts without the prerequisite closure another test's rolled-back courses left in the cache."""
    from learning.catalogue.selectors import forget_builds_on

    forget_builds_on()


@pytest.fixture(scope="session")
def db_baseline(django_db_setup, django_db_blocker) -> str:
    """The migrated database's content (home page, groups, …), to start committed-data tests from."""
    from django.db import connection

    with django_db_blocker.unblock():
        return connection.creation.serialize_db_to_string()


@pytest.fixture
def committed_db(transactional_db, db_baseline):
    """A database whose writes other connections see (the live server, other threads and processes). It is
    emptied after each such test, so each starts by restoring the migrated baseline."""
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection
    from wagtail.models import Page

    if not Page.objects.exists():
        # The flush after the previous such test re-created content types and permissions with new ids:
        # empty everything, then restore the baseline with its own ids.
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connection.creation.deserialize_db_from_string(db_baseline)
        # Rows came back with their ids: move the sequences past them (PostgreSQL), as loaddata does.
        statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


@contextlib.contextmanager
def celery_worker(env: dict | None = None):
    """A real `celery worker` process on a queue of its own (so no other worker takes the test's tasks); yields
    the queue's name, and the worker's output once it has stopped as `.output` of the yielded holder."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env or os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = WorkerRun(queue=queue, pid=process.pid)
    try:
        with tasks_through_the_broker():
            yield worker
    finally:
        worker.output = stopped_output(process)


@contextlib.contextmanager
def tasks_through_the_broker():
    """Tasks queued inside go through the broker to a worker, whatever the test's setting was; it is restored after."""
    from portal.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def stopped_output(process: subprocess.Popen) -> str:
    """Stops the worker, killing it when it does not stop within 30 seconds, and returns what it printed."""
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def at_once(*calls) -> tuple[list, list[Exception]]:
    """Runs each call (a function of no arguments) in its own thread, all released together, each with its own
    database connection; returns (their results, the errors they raised), so a test can assert on both."""
    start = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            start.wait()
            results.append(call())
        except Exception as error:  # returned to the test, which asserts on it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@dataclasses.dataclass
class WorkerRun:
    queue: str
    pid: int = 0
    output: str = ""
