"""Settings come from the environment, with embedded defaults that need no server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARIABLES = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_ESP",
    "EMAIL_BACKEND",
    "TIME_ZONE",
    "PORTAL_BASE_URL",
    "TRUSTED_PROXY_COUNT",
    "DEMO_CONTENT_ALLOWED",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DB_CONN_MAX_AGE",
    "DB_PREPARED_STATEMENTS",
}

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "db_host": settings.DATABASES["default"].get("HOST", ""),
    "db_conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "db_conn_health_checks": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "db_prepare_threshold": settings.DATABASES["default"].get("OPTIONS", {}).get("prepare_threshold"),
    "broker": settings.CELERY_BROKER_URL,
    "result_backend": settings.CELERY_RESULT_BACKEND,
    "email_backend": settings.EMAIL_BACKEND,
    "email_path": str(settings.EMAIL_FILE_PATH),
    "anymail": settings.ANYMAIL,
    "time_zone": settings.TIME_ZONE,
    "celery_time_zone": settings.CELERY_TIMEZONE,
    "base_url": settings.PORTAL_BASE_URL,
    "hashers": settings.PASSWORD_HASHERS,
    "shared_password": settings.WAGTAIL_PRIVATE_PAGE_OPTIONS["SHARED_PASSWORD"],
}))
"""


def run_python(code: str, tmp_path: Path, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES and not k.startswith("ANYMAIL_")}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_VAR_DIR": str(tmp_path / "var")})
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_with(tmp_path: Path, **environment: str) -> dict:
    completed = run_python(SHOW_SETTINGS, tmp_path, **environment)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_embedded_defaults_need_no_server(tmp_path):
    shown = settings_with(tmp_path)

    assert shown["debug"] is True
    assert shown["db_engine"] == "django.db.backends.sqlite3"
    assert shown["db_name"] == str(tmp_path / "var" / "portal.sqlite3")
    assert shown["broker"] == "filesystem://"
    assert (tmp_path / "var" / "broker" / "queue").is_dir()
    assert shown["result_backend"] == f"file://{tmp_path / 'var' / 'results'}"
    assert shown["email_backend"] == "portal.mail.EmlFileBackend"
    assert shown["email_path"] == str(tmp_path / "var" / "mail")
    assert shown["time_zone"] == shown["celery_time_zone"] == "Europe/London"


def test_postgres_and_redis_come_from_the_environment(tmp_path):
    production = {
        "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
        "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
        "TIME_ZONE": "Europe/Amsterdam",
        "PORTAL_BASE_URL": "https://training.example.org/",
    }

    shown = settings_with(tmp_path, **production)

    assert shown["db_engine"] == "django.db.backends.postgresql"
    assert (shown["db_name"], shown["db_host"]) == ("portal", "db.internal")
    assert shown["broker"] == "redis://cache.internal:6379/0"
    assert shown["result_backend"] == "redis://cache.internal:6379/0"
    assert shown["time_zone"] == shown["celery_time_zone"] == "Europe/Amsterdam"
    assert shown["base_url"] == "https://training.example.org"


def test_an_esp_is_chosen_by_environment_variables(tmp_path):
    shown = settings_with(tmp_path, EMAIL_ESP="postmark", ANYMAIL_POSTMARK_SERVER_TOKEN="token-123")

    assert shown["email_backend"] == "anymail.backends.postmark.EmailBackend"
    assert shown["anymail"] == {"POSTMARK_SERVER_TOKEN": "token-123"}


def test_numeric_and_boolean_anymail_variables_become_numbers_and_booleans(tmp_path):
    shown = settings_with(
        tmp_path,
        EMAIL_ESP="postmark",
        ANYMAIL_REQUESTS_TIMEOUT="5",
        ANYMAIL_IGNORE_UNSUPPORTED_FEATURES="true",
        ANYMAIL_POSTMARK_SERVER_TOKEN="123",
    )

    assert shown["anymail"] == {
        "REQUESTS_TIMEOUT": 5.0,
        "IGNORE_UNSUPPORTED_FEATURES": True,
        "POSTMARK_SERVER_TOKEN": "123",  # a token that looks like a number stays text
    }
    assert settings_with(tmp_path, ANYMAIL_REQUESTS_TIMEOUT="3.05,27")["anymail"]["REQUESTS_TIMEOUT"] == [3.05, 27.0]


@pytest.mark.parametrize("value", ["five", "0", "1,2,3", ""])
def test_a_bad_anymail_timeout_stops_the_start_naming_the_variable(tmp_path, value):
    completed = run_python(SHOW_SETTINGS, tmp_path, ANYMAIL_REQUESTS_TIMEOUT=value)

    assert completed.returncode != 0
    assert "ANYMAIL_REQUESTS_TIMEOUT" in completed.stderr


def test_passwords_are_hashed_with_argon2_and_shared_page_passwords_are_off(tmp_path):
    shown = settings_with(tmp_path)

    assert shown["hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert shown["shared_password"] is False


def test_refuses_to_start_with_debug_off_and_the_development_secret(tmp_path):
    completed = run_python(SHOW_SETTINGS, tmp_path, DEBUG="false", ALLOWED_HOSTS="training.example.org")

    assert completed.returncode != 0
    assert "SECRET_KEY is not set" in completed.stderr


def test_a_boolean_variable_with_a_typo_is_a_clear_error(tmp_path):
    completed = run_python(SHOW_SETTINGS, tmp_path, DEBUG="ture")

    assert completed.returncode != 0
    assert "DEBUG='ture' is not a boolean" in completed.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3v9-production-like-secret-" + "x7Qp2" * 10,
    "ALLOWED_HOSTS": "training.example.org",
    "PORTAL_BASE_URL": "https://training.example.org",
    "EMAIL_ESP": "postmark",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": "token",
    "ANYMAIL_WEBHOOK_SECRET": "tracker:" + "w8Zr4" * 8,
}


def test_deploy_check_reports_no_issues_with_production_variables(tmp_path):
    completed = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES and not k.startswith("ANYMAIL_")},
            **PRODUCTION,
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout


@pytest.mark.parametrize("setting", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT"])
def test_production_turns_on_secure_transport(tmp_path, setting):
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{setting})"
    completed = run_python(code, tmp_path, **PRODUCTION)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "True"


def test_production_with_an_esp_refuses_to_start_without_the_webhook_secret(tmp_path):
    without_secret = {name: value for name, value in PRODUCTION.items() if name != "ANYMAIL_WEBHOOK_SECRET"}

    completed = run_python(SHOW_SETTINGS, tmp_path, **without_secret)

    assert completed.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET is not set" in completed.stderr
    assert "EMAIL_ESP=postmark" in completed.stderr


def test_production_without_an_esp_starts_without_the_webhook_secret(tmp_path):
    file_mail = {
        name: value
        for name, value in PRODUCTION.items()
        if name not in {"ANYMAIL_WEBHOOK_SECRET", "EMAIL_ESP", "ANYMAIL_POSTMARK_SERVER_TOKEN"}
    }

    shown = settings_with(tmp_path, **file_mail)

    assert shown["debug"] is False
    assert shown["email_backend"] == "portal.mail.EmlFileBackend"


def test_a_webhook_secret_that_is_not_user_and_password_is_a_clear_error(tmp_path):
    completed = run_python(SHOW_SETTINGS, tmp_path, ANYMAIL_WEBHOOK_SECRET="just-a-password")

    assert completed.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET must be user:password" in completed.stderr


def test_production_keeps_database_connections_and_checks_them_before_reuse(tmp_path):
    production = settings_with(tmp_path, **PRODUCTION, DATABASE_URL="postgres://portal:secret@db.internal:5432/portal")
    development = settings_with(tmp_path)

    assert (production["db_conn_max_age"], production["db_conn_health_checks"]) == (60, True)
    assert (development["db_conn_max_age"], development["db_conn_health_checks"]) == (0, True)


def test_the_connection_age_is_configurable(tmp_path):
    shown = settings_with(tmp_path, **PRODUCTION, DB_CONN_MAX_AGE="0")

    assert shown["db_conn_max_age"] == 0


def test_postgresql_prepares_what_the_portal_binds_unless_a_pooling_proxy_is_in_the_way(tmp_path):
    postgres = "postgres://portal:secret@db.internal:5432/portal"

    prepared = settings_with(tmp_path, **PRODUCTION, DATABASE_URL=postgres)
    pooled = settings_with(tmp_path, **PRODUCTION, DATABASE_URL=postgres, DB_PREPARED_STATEMENTS="false")
    embedded = settings_with(tmp_path)

    assert (prepared["db_prepare_threshold"], pooled["db_prepare_threshold"]) == (5, None)
    assert embedded["db_engine"].endswith("sqlite3") and embedded["db_prepare_threshold"] is None


def test_a_connection_age_that_is_not_a_number_is_a_clear_error(tmp_path):
    completed = run_python(SHOW_SETTINGS, tmp_path, DB_CONN_MAX_AGE="a minute")

    assert completed.returncode != 0
    assert "DB_CONN_MAX_AGE='a minute' is not a whole number" in completed.stderr
