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


WORKER_TASKS = """
import django, json
django.setup()
from portal.celery import app
app.loader.import_default_modules()  # what a worker does at start: autodiscovery of each app's tasks.py
print(json.dumps(sorted(app.tasks)))
"""


def test_the_worker_registers_every_task_of_every_package():
    """A worker imports each app's tasks.py only: a package's task missing from learning/tasks.py would be queued by
    the web process and never run. Checked in a fresh interpreter, as a worker starts."""
    import ast
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    declared = {
        f"learning.{module.parent.name}.tasks.{node.name}"
        for module in root.glob("learning/*/tasks.py")
        for node in ast.parse(module.read_text()).body
        if isinstance(node, ast.FunctionDef) and any("shared_task" in ast.unparse(d) for d in node.decorator_list)
    }
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    shown = subprocess.run([sys.executable, "-c", WORKER_TASKS], cwd=root, env=env, capture_output=True, text=True)

    assert shown.returncode == 0, shown.stderr
    assert len(declared) >= 5  # the walk found the packages' tasks
    assert declared <= set(json.loads(shown.stdout.strip().splitlines()[-1]))
