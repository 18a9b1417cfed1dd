"""What the benchmarks share: a scratch PostgreSQL database beside the user's own (created, then dropped), and
Django set up on it with production-like settings."""

import os
import tempfile
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse


def scratch_database(server_url: str, name: str, create: bool) -> str:
    """Drops the database `name` on the server of `server_url` (and creates it afresh when `create`); returns
    its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            connection.execute(f"CREATE DATABASE {name}")
    return urlunparse(urlparse(server_url)._replace(path=f"/{name}"))


@contextmanager
def django_on_scratch(name: str, **environment):
    """Django set up and migrated on the scratch database `name` of DATABASE_URL's PostgreSQL server, with DEBUG
    off as in production (with it on, Django keeps every query's SQL and distorts the figures); dropped after."""
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    os.environ.update(
        {
            "DATABASE_URL": scratch_database(server_url, name, create=True),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "localhost,testserver",
            "PORTAL_VAR_DIR": environment.pop("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="resus-bench-")),
            **environment,
        }
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        # Pages are rendered with production's hashed static files, which need their manifest.
        call_command("collectstatic", interactive=False, verbosity=0)
        yield
    finally:
        from django.db import connections

        connections.close_all()
        scratch_database(server_url, name, create=False)
