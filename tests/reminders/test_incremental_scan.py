"""The incremental scan: it records how far it got, looks only at the stage dates reached since (catching up on
missed days), and looks again at every certification a change may have made due again, whichever way the change
came: a booking cancelled, ended or moved, a suppression removed, reminders turned back on, a participant
reactivated or at a new address, an expiry edited in the admin or by an import, an old record imported, a newer
certification revoked or a renewal deleted."""

import datetime
from functools import partial
from unittest import mock

import pytest
from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning.bookings.services import booking_cancel, results_record
from learning.models import Booking, User
from learning.register.certification_import import import_certifications
from learning.register.services import certification_renew, certification_revoke
from reminders.models import Recheck, ReminderStage, ScanProgress, Suppression
from reminders.scan import scan
from reminders.views import reminders_off, reminders_on
from tests.factories import UserFactory, make_course_date
from tests.reminders.conftest import TODAY, at, expiring

pytestmark = pytest.mark.django_db


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def stages_of(certification):
    return sorted(certification.reminders.values_list("stage__days_from_expiry", "due_on", "status"))


# An ALS1 certification 20 days from expiry: its -30 stage was reached 10 days before TODAY, so a scan after
# TODAY looks at it only when something marks it.
DAYS_LEFT = 20
DUE = [(-30, day(-10), "pending")]


# --- How far it got --------------------------------------------------------------------------------------------


def test_the_first_scan_is_full_and_records_the_day_it_scanned(als1):
    expiring(als1, DAYS_LEFT)

    result = scan(today=TODAY)

    assert result.full
    progress = ScanProgress.objects.get()
    assert (progress.last_day, progress.full) == (TODAY, True)


def test_the_next_scan_starts_from_the_last_day_scanned(als1):
    scan(today=TODAY)

    result = scan(today=day(3))

    assert (result.full, result.since) == (False, TODAY)
    assert ScanProgress.objects.get().last_day == day(3)


def test_the_next_days_scan_creates_the_rows_of_the_stage_dates_it_reached(als1):
    scan(today=TODAY)
    reaches_90_tomorrow = expiring(als1, 91)

    scan(today=day(1))

    assert stages_of(reaches_90_tomorrow) == [(-90, day(1), "pending")]


def test_a_scan_after_missed_days_catches_up_on_each_of_them(als1):
    first = expiring(als1, 62)  # -90 reached 28 days ago: written by the first scan
    scan(today=TODAY)
    fifth_day = expiring(als1, 95)  # -90 reached on day 5, while no scan ran

    scan(today=day(7))

    assert stages_of(fifth_day) == [(-90, day(5), "pending")]
    assert stages_of(first) == [(-90, day(-28), "skipped"), (-60, day(2), "pending")]


def test_a_change_written_around_the_portal_waits_for_a_full_scan(als1):
    certification = expiring(als1, DAYS_LEFT, participant=UserFactory(wants_reminders=False))
    scan(today=TODAY)
    # A bulk write sends no signal, so nothing marks the participant.
    User.objects.filter(pk=certification.participant_id).update(wants_reminders=True)

    assert scan(today=day(1)).created == 0
    assert scan(today=day(1), full=True).created == 1
    assert stages_of(certification) == DUE


def test_new_stage_rules_make_the_next_scan_full(als1):
    scan(today=TODAY)
    ReminderStage.objects.filter(days_from_expiry=-7).update(days_from_expiry=-14)

    assert scan(today=day(1)).full


def test_a_scan_for_a_day_before_the_last_one_scanned_is_full(als1):
    scan(today=TODAY)

    assert scan(today=day(-1)).full


def test_a_failed_scan_records_no_progress_and_keeps_its_marks(als1):
    scan(today=TODAY)
    certification = expiring(als1, DAYS_LEFT)

    failing = mock.patch("reminders.scan.insert_due", side_effect=RuntimeError("database went away"))
    with failing, pytest.raises(RuntimeError):
        scan(today=day(1))

    assert ScanProgress.objects.get().last_day == TODAY
    assert Recheck.objects.filter(participant=certification.participant, claimed=False).exists()


def test_a_scan_uses_up_the_marks_it_read(als1):
    expiring(als1, DAYS_LEFT)

    scan(today=TODAY)

    assert not Recheck.objects.exists()


def test_the_days_scan_runs_as_many_statements_whatever_the_size_of_the_register(als1):
    for offset in range(3):
        expiring(als1, 200 + offset)
    scan(today=TODAY)
    with CaptureQueriesContext(connection) as small:
        scan(today=day(1))
    for offset in range(40):
        expiring(als1, 200 + offset)
    scan(today=day(2))  # looks at the new certifications' holders, as they were marked
    with CaptureQueriesContext(connection) as large:
        scan(today=day(3))

    assert len(large.captured_queries) == len(small.captured_queries)


# --- What becomes due again ------------------------------------------------------------------------------------


def due_after(certification, change) -> list:
    """Scans on TODAY (no reminder: something stands in the way), makes the change, scans the next day, and
    returns the certification's outbox rows."""
    scan(today=TODAY)
    assert stages_of(certification) == []
    change()
    scan(today=day(1))
    return stages_of(certification)


def booked(certification, **course_date):
    course_date = make_course_date(certification.course, today=TODAY, **course_date)
    return Booking.objects.create(course_date=course_date, participant=certification.participant, status="confirmed")


def saved(instance, **fields):
    """The change an administrator makes in the admin: fields set, the whole row saved."""

    def change():
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.save()

    return change


def test_a_cancelled_booking_lets_the_reminder_through(als1):
    certification = expiring(als1, DAYS_LEFT)
    booking = booked(certification, starts_in_days=10)

    cancel = partial(booking_cancel, booking=booking, now=at(day(1)), by_administrator=True)

    assert due_after(certification, cancel) == DUE


def test_a_booking_that_ended_lets_the_reminder_through_with_nothing_marked(als1):
    certification = expiring(als1, DAYS_LEFT)
    booked(certification, starts_in_days=-1, days=2)  # its last day is TODAY

    def nothing_marked():
        assert not Recheck.objects.exists()

    assert due_after(certification, nothing_marked) == DUE


def test_a_course_date_moved_to_another_course_lets_the_reminder_through(als1, als2):
    certification = expiring(als1, DAYS_LEFT)
    booking = booked(certification, starts_in_days=10)

    assert due_after(certification, saved(booking.course_date, course=als2)) == DUE


def test_a_removed_suppression_lets_the_reminder_through(als1):
    certification = expiring(als1, DAYS_LEFT, participant=UserFactory(email="fixed@example.org"))
    suppression = Suppression.objects.create(email="Fixed@Example.org", reason=Suppression.BOUNCED)

    assert due_after(certification, suppression.delete) == DUE  # as the admin's delete button does


def test_reminders_turned_back_on_let_the_reminder_through(als1):
    certification = expiring(als1, DAYS_LEFT)
    reminders_off(certification.participant)

    assert due_after(certification, partial(reminders_on, certification.participant)) == DUE


def test_a_reactivated_participant_gets_the_reminder(als1):
    certification = expiring(als1, DAYS_LEFT, participant=UserFactory(is_active=False))

    assert due_after(certification, saved(certification.participant, is_active=True)) == DUE


def test_a_participant_who_moved_away_from_a_suppressed_address_gets_the_reminder(als1):
    certification = expiring(als1, DAYS_LEFT, participant=UserFactory(email="old@example.org"))
    Suppression.objects.create(email="old@example.org", reason=Suppression.BOUNCED)

    assert due_after(certification, saved(certification.participant, email="new@example.org")) == DUE


def test_an_expiry_edited_in_the_admin_is_looked_at_with_every_stage(als1):
    certification = expiring(als1, 200)

    assert due_after(certification, saved(certification, expires_on=day(DAYS_LEFT))) == DUE


def test_participants_looked_at_again_beyond_one_statements_worth_get_their_reminders(als1):
    certifications = [expiring(als1, DAYS_LEFT) for _ in range(5)]
    for certification in certifications:
        reminders_off(certification.participant)
    scan(today=TODAY)
    for certification in certifications:
        reminders_on(certification.participant)

    with mock.patch("reminders.scan.IDS_PER_STATEMENT", 2), CaptureQueriesContext(connection) as queries:
        result = scan(today=day(1))

    assert (result.rechecked, result.created) == (5, 5)
    assert [stages_of(certification) for certification in certifications] == [DUE] * 5
    inserts = [query for query in queries.captured_queries if query["sql"].startswith("INSERT INTO reminders_reminder")]
    assert len(inserts) == 3  # the dates reached and two participants, then two, then one


def test_a_reminder_not_sent_yet_stays_pending_when_its_participant_is_looked_at_again(als1):
    certification = expiring(als1, DAYS_LEFT)
    scan(today=TODAY)  # its -30 row, not delivered before the next scan
    saved(certification.participant, email="moved@example.org")()  # marks the participant

    result = scan(today=day(1))

    assert (result.rechecked, result.skipped, result.created) == (1, 0, 0)
    assert stages_of(certification) == DUE  # the row due at the same stage does not outdo it


def imported(tmp_path, participant, number, expires_on):
    """The import of one line: `number` for `participant`, expiring on `expires_on`."""

    def change():
        path = tmp_path / "records.csv"
        path.write_text(
            "email,first_name,last_name,course_code,number,issued_on,expires_on\n"
            f"{participant.email},{participant.first_name},{participant.last_name},ALS1,{number},"
            f"{(expires_on - datetime.timedelta(days=700)).isoformat()},{expires_on.isoformat()}\n"
        )
        report = import_certifications(path)
        assert report.written, report.rejected

    return change


def test_an_expiry_changed_by_an_import_is_looked_at_with_every_stage(als1, tmp_path):
    certification = expiring(als1, 200)
    change = imported(tmp_path, certification.participant, certification.number, day(DAYS_LEFT))

    assert due_after(certification, change) == DUE


def test_an_old_record_imported_gets_the_reminder_its_stage_already_called_for(als1, tmp_path):
    scan(today=TODAY)

    imported(tmp_path, UserFactory(), "ALS1-2024-000777", day(DAYS_LEFT))()
    scan(today=day(1))

    assert stages_of(als1.certifications.get(number="ALS1-2024-000777")) == DUE


def test_a_revoked_newer_certification_lets_the_older_ones_reminder_through(als1):
    older = expiring(als1, DAYS_LEFT)
    newer = expiring(als1, 700, participant=older.participant)  # imported later, without the renewal link

    revoke = partial(certification_revoke, certification=newer, reason="Issued in error", now=at(day(1)))

    assert due_after(older, revoke) == DUE


def test_a_deleted_renewal_lets_the_renewed_ones_reminder_through(als1):
    older = expiring(als1, DAYS_LEFT)
    renewal = certification_renew(previous=older, issued_on=day(-2))

    assert due_after(older, renewal.delete) == DUE


# --- What marks nobody -----------------------------------------------------------------------------------------


def test_a_sign_in_marks_nobody(als1, rf):
    participant = UserFactory()
    Recheck.objects.all().delete()

    user_logged_in.send(sender=User, request=rf.get("/"), user=participant)  # saves last_login only

    assert not Recheck.objects.exists()


def test_recording_results_marks_nobody(als1):
    course_date = make_course_date(als1, today=TODAY, starts_in_days=-1)
    booking = Booking.objects.create(course_date=course_date, participant=UserFactory(), status="confirmed")
    Recheck.objects.all().delete()

    booking.attendance_percent = 100
    results_record(course_date=course_date, bookings=[booking], today=TODAY)

    assert not Recheck.objects.exists()


def test_a_new_booking_marks_nobody(als1):
    course_date = make_course_date(als1, today=TODAY, starts_in_days=10)
    participant = UserFactory()
    Recheck.objects.all().delete()

    Booking.objects.create(course_date=course_date, participant=participant, status="confirmed")

    assert not Recheck.objects.exists()
