"""A task goes through the configured broker to a real worker process, and its result comes back."""

from pathlib import Path

import pytest
from django.conf import settings

from home.tasks import heartbeat
from tests.conftest import IN_CI, celery_worker, require

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
    """A real worker on a queue of its own; after the test, its log must show it ran the task."""
    require(broker_reachable(), f"the broker at {settings.CELERY_BROKER_URL} is not reachable")
    with celery_worker() as worker:
        yield worker.queue
    assert "home.tasks.heartbeat[" in worker.output, worker.output


def test_ci_runs_on_the_redis_broker():
    if not IN_CI:
        pytest.skip("outside CI the embedded filesystem broker is the default")
    assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL
    assert broker_reachable(), f"Redis at {settings.CELERY_BROKER_URL} is not reachable"


def test_a_real_worker_runs_a_task_sent_through_the_broker(worker_queue):
    result = heartbeat.apply_async(queue=worker_queue)

    # Eager tasks run earlier in this process leave Celery believing it is inside one: the test is not.
    stamp = result.get(timeout=90, disable_sync_subtasks=False)

    assert result.successful()
    assert stamp[:4].isdigit() and "T" in stamp
