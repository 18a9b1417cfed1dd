"""The embedded mail backend: each message becomes one .eml file that any mail client opens."""

import itertools
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class EmlFileBackend(BaseEmailBackend):
    """Writes every message to EMAIL_FILE_PATH as <time>-<n>.eml (Django's file backend writes .log files
    holding several messages, which a mail client cannot open)."""

    _counter = itertools.count()
    _lock = threading.Lock()

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        self.file_path.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            with self._lock:
                number = next(self._counter)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
            path = self.file_path / f"{stamp}-{os.getpid()}-{number:04d}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent
