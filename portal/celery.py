"""The Celery app: configured from Django's settings (CELERY_*), tasks discovered in every app's tasks.py."""

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def worker_command(*, hostname: str, loglevel: str, queue: str = "") -> list[str]:
    """The command line of a worker of this app in a process of its own, as tests and benchmarks start one. Its
    tasks run in that process (the solo pool), so stopping or killing it stops exactly one task; it goes without
    heartbeat, gossip and mingle, which a short-lived worker has no use for (mingle would hold up its start).
    `queue`, when given, is the only queue it consumes."""
    command = [sys.executable, "-m", "celery", "-A", app.main, "worker", "--pool", "solo", "--hostname", hostname]
    if queue:
        command += ["--queues", queue]
    return [*command, "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", loglevel]
