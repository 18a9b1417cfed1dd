"""A task goes through the configured broker to a real worker process, and its result comes back."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from home.tasks import heartbeat
from tests.conftest import IN_CI, require

ROOT = Path(__file__).resolve().parents[2]


def broker_reachable() -> bool:
    from portal.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception:
        return False
    return True


@pytest.fixture
def worker_queue():
    """Starts `celery worker` on a queue of its own, so no other worker takes the task; stops it after."""
    require(broker_reachable(), f"the broker at {settings.CELERY_BROKER_URL} is not reachable")
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
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    assert "home.tasks.heartbeat[" in output, output


def test_ci_runs_on_the_redis_broker():
    if not IN_CI:
        pytest.skip("outside CI the embedded filesystem broker is the default")
    assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL
    assert broker_reachable(), f"Redis at {settings.CELERY_BROKER_URL} is not reachable"


def test_a_real_worker_runs_a_task_sent_through_the_broker(worker_queue):
    result = heartbeat.apply_async(queue=worker_queue)

    stamp = result.get(timeout=90)

    assert result.successful()
    assert stamp[:4].isdigit() and "T" in stamp
