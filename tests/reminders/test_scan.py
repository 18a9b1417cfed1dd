"""The scan: each stage's window, catch-up, only the most urgent stage, the exclusions, exactly once (also with
two concurrent scans), and local dates across a daylight-saving change."""

import datetime
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from learning.models import Booking
from learning.register.services import certification_renew, certification_revoke
from reminders.models import Reminder, Suppression
from reminders.scan import local_today, scan
from tests.conftest import require
from tests.factories import UserFactory, make_course_date
from tests.reminders.conftest import TODAY, expiring

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def stages_of(certification):
    return list(certification.reminders.values_list("stage__days_from_expiry", "status"))


@pytest.mark.parametrize(
    ("days_left", "stage"),
    [
        (91, None),
        (90, -90),
        (61, -90),
        (60, -60),
        (31, -60),
        (30, -30),
        (8, -30),
        (7, -7),
        (1, -7),
        (0, 0),
        (-1, 0),
        (-29, 0),
        (-30, 30),
        (-44, 30),
        (-45, None),
    ],
)
def test_each_stage_has_its_window(als1, days_left, stage):
    certification = expiring(als1, days_left)

    scan(today=TODAY)

    assert stages_of(certification) == ([] if stage is None else [(stage, "pending")])
    if stage is not None:
        reminder = certification.reminders.get()
        assert reminder.due_on == certification.expires_on + datetime.timedelta(days=stage)


def test_a_scan_that_missed_days_catches_up(als1):
    # The -60 stage of this certification was reached two days ago, while the scan did not run.
    certification = expiring(als1, 58)

    scan(today=TODAY)

    reminder = certification.reminders.get()
    assert (reminder.stage.days_from_expiry, reminder.due_on) == (-60, TODAY - datetime.timedelta(days=2))


def test_only_the_most_urgent_stage_is_sent_earlier_ones_are_skipped(als1):
    certification = expiring(als1, 61)
    scan(today=TODAY)  # -90 is due, and stays unsent

    scan(today=TODAY + datetime.timedelta(days=1))  # now -60 is reached

    assert sorted(stages_of(certification)) == [(-90, "skipped"), (-60, "pending")]


def test_scanning_twice_creates_nothing_twice(als1):
    for days in (90, 60, 30, 7, 0, -30):
        expiring(als1, days)

    first = scan(today=TODAY)
    second = scan(today=TODAY)

    assert (first.created, second.created) == (6, 0)
    assert Reminder.objects.count() == 6


def test_renewed_revoked_and_superseded_certifications_get_nothing(als1):
    renewed = expiring(als1, 30)
    certification_renew(previous=renewed, issued_on=TODAY - datetime.timedelta(days=2))
    revoked = expiring(als1, 30)
    certification_revoke(certification=revoked, reason="Issued in error")
    older = expiring(als1, 30)
    expiring(als1, 700, participant=older.participant)  # imported later, without the renewal link

    scan(today=TODAY)

    assert Reminder.objects.filter(certification__in=[renewed, revoked, older]).count() == 0


def test_holders_booked_on_an_upcoming_date_of_the_course_get_nothing(als1, als2):
    booked = expiring(als1, 30)
    make_course_date_for = make_course_date(als1, today=TODAY, starts_in_days=20)
    Booking.objects.create(course_date=make_course_date_for, participant=booked.participant, status="confirmed")
    waitlisted_only = expiring(als1, 30)
    Booking.objects.create(
        course_date=make_course_date(als1, today=TODAY, starts_in_days=21),
        participant=waitlisted_only.participant,
        status="waitlisted",
    )
    other_course = expiring(als1, 30)
    Booking.objects.create(
        course_date=make_course_date(als2, today=TODAY, starts_in_days=22),
        participant=other_course.participant,
        status="confirmed",
    )

    scan(today=TODAY)

    assert not booked.reminders.exists()
    assert waitlisted_only.reminders.exists()
    assert other_course.reminders.exists()


def test_opted_out_inactive_and_suppressed_holders_get_nothing(als1):
    opted_out = expiring(als1, 30, participant=UserFactory(wants_reminders=False))
    inactive = expiring(als1, 30, participant=UserFactory(is_active=False))
    suppressed = expiring(als1, 30, participant=UserFactory(email="bounces@example.org"))
    Suppression.objects.create(email="Bounces@Example.org", reason=Suppression.BOUNCED)
    wanted = expiring(als1, 30)

    scan(today=TODAY)

    assert list(Reminder.objects.values_list("certification", flat=True)) == [wanted.pk]
    assert not Reminder.objects.filter(certification__in=[opted_out, inactive, suppressed]).exists()


def test_local_dates_across_a_daylight_saving_change(settings, als1):
    settings.TIME_ZONE = "America/New_York"  # the server clock stays in UTC
    utc = ZoneInfo("UTC")
    # New York moves from UTC-5 to UTC-4 at 02:00 local on 14 March 2027.
    assert local_today(datetime.datetime(2027, 3, 14, 4, 59, tzinfo=utc)) == datetime.date(2027, 3, 13)
    assert local_today(datetime.datetime(2027, 3, 14, 5, 0, tzinfo=utc)) == datetime.date(2027, 3, 14)
    assert local_today(datetime.datetime(2027, 3, 15, 3, 59, tzinfo=utc)) == datetime.date(2027, 3, 14)
    assert local_today(datetime.datetime(2027, 3, 15, 4, 0, tzinfo=utc)) == datetime.date(2027, 3, 15)
    certification = expiring(als1, 30, today=datetime.date(2027, 3, 15))  # its -30 stage falls on 15 March

    scan(today=local_today(datetime.datetime(2027, 3, 15, 3, 59, tzinfo=utc)))
    # Still the 14th in New York, though the 15th in UTC: the -30 stage is not due yet.
    assert not certification.reminders.filter(stage__days_from_expiry=-30).exists()
    scan(today=local_today(datetime.datetime(2027, 3, 15, 4, 0, tzinfo=utc)))
    assert certification.reminders.get(stage__days_from_expiry=-30).due_on == datetime.date(2027, 3, 15)


def test_the_daily_job_is_scheduled_at_the_local_send_time(settings):
    from portal.celery import app

    entry = app.conf.beat_schedule["daily-reminders"]
    assert entry["task"] == "reminders.tasks.daily_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {0})
    assert app.conf.timezone == settings.TIME_ZONE


def test_two_concurrent_scans_in_two_processes_create_each_row_once(committed_db, catalogue_for_processes):
    require(connection.vendor == "postgresql", "concurrent scans are tested on PostgreSQL (DATABASE_URL)")
    course = catalogue_for_processes
    for offset in range(300):
        expiring(course, 1 + offset % 90)  # every one of them due (1 to 90 days left)
    expected = Reminder.objects.count() + 300
    code = (
        "import django, datetime; django.setup(); from reminders.scan import scan; "
        f"print(scan(today=datetime.date.fromisoformat('{TODAY.isoformat()}')).created)"
    )
    env = {**os.environ, "DATABASE_URL": test_database_url()}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    assert Reminder.objects.count() == expected
    assert Reminder.objects.values("certification", "stage").distinct().count() == expected


def test_database_url():
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )


test_database_url.__test__ = False


@pytest.fixture
def catalogue_for_processes(committed_db):
    from home.models import HomePage
    from learning.models import CourseIndexPage
    from tests.factories import make_course

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    return make_course(catalogue, "ALS1")


def test_the_scan_reads_the_time_zone_not_the_server_clock(settings):
    settings.TIME_ZONE = "Pacific/Auckland"

    assert local_today(datetime.datetime(2026, 11, 21, 12, 0, tzinfo=ZoneInfo("UTC"))) == datetime.date(2026, 11, 22)
    assert local_today() == timezone.localdate()
