"""Fixtures of the reminder tests: courses, certifications that expire a given number of days from 'today'."""

import base64
import contextlib
import datetime
import json

import pytest
from werkzeug import Response

from learning.register.services import add_months
from tests.factories import CertificationFactory, UserFactory
from tests.learning.conftest import als1, als2, catalogue  # noqa: F401 - fixtures shared with the learning tests
from tests.learning.organisations.conftest import critical_care, elsewhere, emergency, trust  # noqa: F401 - for digests

TODAY = datetime.date(2026, 11, 21)


def at(day: datetime.date = TODAY, hour: int = 7) -> datetime.datetime:
    """A moment on `day` in the provider's time zone: the `now` of a run on that day."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def expiring(course, days_from_today: int, *, today: datetime.date = TODAY, participant=None, **fields):
    expires_on = today + datetime.timedelta(days=days_from_today)
    return CertificationFactory(
        participant=participant or UserFactory(),
        course=course,
        issued_on=add_months(expires_on, -course.validity_months),
        expires_on=expires_on,
        **fields,
    )


@contextlib.contextmanager
def eager():
    """Tasks run in the test's process (to check a task's effect, not the broker)."""
    from portal.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def eager_celery():
    with eager():
        yield


@pytest.fixture
def postmark(settings, httpserver):
    """The real Postmark backend of anymail, pointed at a local fake Postmark API."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test-server-token", "POSTMARK_API_URL": httpserver.url_for("/")}
    return httpserver


def accepted(message_id="pm-0001"):
    """A handler answering like Postmark's /email for an accepted message (echoing its recipient)."""

    def handler(request):
        to = json.loads(request.data)["To"]
        body = {
            "To": to,
            "SubmittedAt": "2026-11-21T07:00:00Z",
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }
        return Response(json.dumps(body), status=200, content_type="application/json")

    return handler


def inactive_recipient(request):
    """Postmark's answer when the recipient has hard-bounced or complained before (ErrorCode 406)."""
    address = json.loads(request.data)["To"].split("<")[-1].rstrip(">").lower()
    body = {
        "ErrorCode": 406,
        "Message": "You tried to send to a recipient that has been marked as inactive.\n"
        f"Found inactive addresses: {address}.\nInactive recipients are ones that have generated a hard bounce "
        "or a spam complaint. ",
    }
    return Response(json.dumps(body), status=422, content_type="application/json")


# --- ESP tracking webhooks -------------------------------------------------------------------------------

SECRET = "tracker:s3cret-webhook"


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


@pytest.fixture
def processed(eager_celery, django_capture_on_commit_callbacks):
    """Posts whose queued task (sent on commit) runs in the test, as a worker would run it."""

    def post_and_process(client, payload, auth=SECRET):
        with django_capture_on_commit_callbacks(execute=True):
            return post(client, payload, auth)

    return post_and_process


def post(client, payload, auth=SECRET):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    return client.post("/anymail/postmark/tracking/", json.dumps(payload), content_type="application/json", **headers)


def bounce(event_id=4323372036854775807, message_id="pm-123", email="ann@example.org", kind="HardBounce"):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "TypeCode": 1,
        "MessageID": message_id,
        "Email": email,
        "BouncedAt": "2026-11-21T07:05:00Z",
        "Description": "The server was unable to deliver",
        "Details": "smtp;550 5.1.1 The email account does not exist",
        "MessageStream": "outbound",
    }


# --- Real workers ---------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue_with_course(committed_db):
    from home.models import HomePage
    from learning.models import CourseIndexPage
    from tests.factories import make_course

    courses = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=courses)
    return make_course(courses, "ALS1")


def worker_env(esp) -> dict:
    """The environment of a real worker process: the test's database, anymail's Postmark backend at the fake `esp`."""
    import os

    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_ESP": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "test-server-token",
        "ANYMAIL_POSTMARK_API_URL": esp.url_for("/"),
        "ANYMAIL_WEBHOOK_SECRET": SECRET,  # required beside an ESP where DEBUG is off
    }
