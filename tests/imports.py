"""Helpers of the CSV imports' tests (certifications, organisation members): running an import's management
command, and holding an import still in another thread while a second one starts."""

import threading
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connections


def run_import_command(name: str, path, *args: str) -> tuple[str, bool]:
    """(everything the command wrote, its error included, and whether it succeeded)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(name, str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue() + err.getvalue() + str(error), False
    return out.getvalue() + err.getvalue(), True


class PausedImport:
    """An import of `csv_import` (a learning.common.csv_import.CsvImport) running in another thread, held still
    inside its checks until the `with` block ends."""

    def __init__(self, csv_import, path):
        self.checking, self.resumed, self.errors = threading.Event(), threading.Event(), []
        self.thread = threading.Thread(target=self.run, args=(csv_import, path))

    def run(self, csv_import, path):
        def progress(stage, done, total):
            self.checking.set()
            self.resumed.wait(timeout=60)

        try:
            self.report = csv_import.run(path, progress=progress)
        except Exception as error:  # reported by the test's assertions
            self.errors.append(error)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.checking.wait(timeout=60), "the first import never started checking"
        return self

    def __exit__(self, *exc):
        self.resumed.set()
        self.thread.join()
