"""Every assessment a course requires is recorded and decides the result: the pass decision across combinations of
results, the results service that validates what it saves, marking everyone attended, and the result email."""

import datetime

import pytest
from django.core import mail

from learning.bookings.emails import send_result_email
from learning.bookings.models import roster_fields
from learning.bookings.services import ResultsRefused, attendance_mark_all, results_record
from learning.models import Booking
from tests.factories import UserFactory, make_course, make_course_date

pytestmark = pytest.mark.django_db


@pytest.fixture
def practical_only(catalogue):
    return make_course(catalogue, "BLS", attendance_required=100, requires_practical_assessment=True)


def booked(course_date, status="confirmed", **results):
    """A booking on `course_date` with `results` already stored (as a roster saved them earlier)."""
    booking = Booking.objects.create(course_date=course_date, participant=UserFactory(), status=status)
    Booking.objects.filter(pk=booking.pk).update(**results)
    return Booking.objects.get(pk=booking.pk)


def running(course, *, days: int = 1):
    """A date of `course` whose first day is today, so its results may be recorded."""
    return make_course_date(course, starts_in_days=0, days=days)


# --- The pass decision ------------------------------------------------------------------------------------

PASSED, FAILED, UNDECIDED = True, False, None


@pytest.mark.parametrize(
    ("attendance", "score", "practical", "scenario", "expected"),
    [
        (100, 90, True, True, PASSED),
        (100, 85, True, True, PASSED),
        (100, 90, False, True, FAILED),
        (100, 90, True, False, FAILED),
        (100, 84, True, True, FAILED),
        (90, 90, True, True, FAILED),
        (100, 90, True, None, UNDECIDED),
        (100, 90, None, True, UNDECIDED),
        (100, None, True, True, UNDECIDED),
        (None, 90, True, True, UNDECIDED),
        # A missing result keeps the decision open even when another one already failed.
        (100, 90, False, None, UNDECIDED),
        (None, None, None, None, UNDECIDED),
    ],
)
def test_the_result_needs_every_required_assessment_passed(
    assessed_course, attendance, score, practical, scenario, expected
):
    booking = Booking(
        course_date=make_course_date(assessed_course),
        participant=UserFactory(),
        status="confirmed",
        attendance_percent=attendance,
        exam_score=score,
        practical_passed=practical,
        scenario_passed=scenario,
    )

    assert booking.passed is expected


@pytest.mark.parametrize("scenario", [None, False, True])
def test_an_assessment_the_course_does_not_require_does_not_count(practical_only, scenario):
    booking = Booking(
        course_date=make_course_date(practical_only),
        attendance_percent=100,
        practical_passed=True,
        scenario_passed=scenario,
    )

    assert booking.passed is True


def test_a_course_without_assessments_is_decided_by_attendance_alone(catalogue):
    course = make_course(catalogue, "AED", attendance_required=100)
    booking = Booking(course_date=make_course_date(course), attendance_percent=100)

    assert booking.passed is True
    assert roster_fields(course) == ["attendance_percent"]


def test_the_roster_asks_for_the_results_the_course_requires(assessed_course, practical_only):
    assert roster_fields(assessed_course) == ["attendance_percent", "exam_score", "practical_passed", "scenario_passed"]
    assert roster_fields(practical_only) == ["attendance_percent", "practical_passed"]


# --- Recording results through the service ------------------------------------------------------------------


def test_assessment_results_are_recorded(assessed_course):
    course_date = running(assessed_course)
    booking = booked(course_date)
    booking.attendance_percent, booking.exam_score = 100, 90
    booking.practical_passed, booking.scenario_passed = True, False

    results_record(course_date=course_date, bookings=[booking], today=course_date.starts_on)

    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.practical_passed, stored.scenario_passed) == (True, False)
    assert stored.passed is False


def test_a_result_for_an_assessment_the_course_does_not_require_is_refused_and_nothing_is_saved(practical_only):
    course_date = running(practical_only)
    fine, wrong = booked(course_date), booked(course_date)
    fine.attendance_percent = 100
    wrong.attendance_percent, wrong.scenario_passed = 100, True

    with pytest.raises(ResultsRefused) as refused:
        results_record(course_date=course_date, bookings=[fine, wrong], today=course_date.starts_on)

    assert str(refused.value) == (
        f"Nothing was saved: BLS requires no scenario assessment, so none is recorded for {wrong.participant}."
    )
    assert not Booking.objects.filter(attendance_percent__isnull=False).exists()


def test_a_result_kept_from_when_the_course_required_it_does_not_block_saving(practical_only):
    course_date = running(practical_only)
    booking = booked(course_date, scenario_passed=True)  # recorded before the course stopped requiring it
    booking.attendance_percent = 100

    results_record(course_date=course_date, bookings=[booking], today=course_date.starts_on)

    assert Booking.objects.values_list("attendance_percent", "scenario_passed").get(pk=booking.pk) == (100, True)


def test_a_percentage_out_of_range_is_refused_with_whose_it_is(assessed_course):
    course_date = running(assessed_course)
    booking = booked(course_date)
    booking.attendance_percent, booking.exam_score = 100, 140

    with pytest.raises(ResultsRefused) as refused:
        results_record(course_date=course_date, bookings=[booking], today=course_date.starts_on)

    assert f"the exam score of {booking.participant} must be a percentage from 0 to 100, not 140" in str(refused.value)
    assert Booking.objects.get(pk=booking.pk).attendance_percent is None


def test_a_booking_on_the_waiting_list_gets_no_results(assessed_course):
    course_date = running(assessed_course)
    waiting = booked(course_date, status="waitlisted")
    waiting.attendance_percent = 100

    with pytest.raises(ResultsRefused, match="has no confirmed place"):
        results_record(course_date=course_date, bookings=[waiting], today=course_date.starts_on)

    assert Booking.objects.get(pk=waiting.pk).attendance_percent is None


# --- Marking everyone attended ----------------------------------------------------------------------------


def test_mark_all_attended_fills_only_the_confirmed_attendances_still_empty(assessed_course):
    course_date = running(assessed_course, days=2)
    empty, partial, waiting = (
        booked(course_date),
        booked(course_date, attendance_percent=50),
        booked(course_date, status="waitlisted"),
    )

    marked = attendance_mark_all(course_date=course_date, today=course_date.starts_on)

    assert [booking.pk for booking in marked] == [empty.pk]
    attendance = dict(Booking.objects.values_list("pk", "attendance_percent"))
    assert attendance == {empty.pk: 100, partial.pk: 50, waiting.pk: None}


def test_mark_all_attended_is_refused_before_the_first_day(assessed_course):
    course_date = make_course_date(assessed_course, starts_in_days=3)
    booking = booked(course_date)

    with pytest.raises(ResultsRefused, match="can be recorded from its first day"):
        attendance_mark_all(course_date=course_date, today=course_date.starts_on - datetime.timedelta(days=1))

    assert Booking.objects.get(pk=booking.pk).attendance_percent is None


# --- The result email -------------------------------------------------------------------------------------


def test_the_result_email_says_which_assessment_was_not_passed(assessed_course):
    booking = booked(
        make_course_date(assessed_course),
        attendance_percent=100,
        exam_score=90,
        practical_passed=True,
        scenario_passed=False,
    )

    send_result_email(booking.pk)

    [message] = mail.outbox
    assert message.subject == "Your ALS2 result"
    assert "Practical assessment: passed\nScenario assessment: not passed" in message.body
    html = message.alternatives[0][0]
    assert "<br>Practical assessment: passed<br>Scenario assessment: not passed</p>" in html
