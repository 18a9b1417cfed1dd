"""Booking services: book a course date (prerequisites checked for its first day, never more bookings than
seats), cancel (the first on the waiting list moves in), record results (from the first day, for every assessment the
course requires), and issue the certifications (after the last day)."""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from learning.bookings.models import (
    PASS_FAIL_ASSESSMENTS,
    RESULT_FIELDS,
    Booking,
    CourseDate,
    cancellation_deadline,
)
from learning.bookings.selectors import confirmed_bookings
from learning.bookings.signals import announce
from learning.bookings.tasks import send_booking_email_task, send_result_email_task
from learning.catalogue.models import CoursePage
from learning.common.words import long_date
from learning.register.models import Certification
from learning.register.services import certification_issue, certification_renew, prerequisites_check

logger = logging.getLogger(__name__)


@dataclass
class BookingRefused(Exception):
    """Why a booking cannot be made, and the courses that would make it possible."""

    reasons: list[str]
    courses_to_book: list[CoursePage] = field(default_factory=list)

    def __str__(self):
        return "; ".join(self.reasons)


def booking_create(*, participant, course_date: CourseDate, today: datetime.date) -> Booking:
    """Books a seat, or a place on the waiting list when the date is full. The course date's row is locked for
    the count, so concurrent bookings never exceed the seats. One place per course: someone holding a seat on
    another date of it, not yet ended, changes dates by cancelling that one first."""
    refusal = booking_closed_refusal(course_date, today) or prerequisites_refusal(participant, course_date)
    if refusal:
        raise refusal
    with transaction.atomic():
        locked, seats_left = lock_seats(course_date, today=today)
        if already_booked(locked, [participant.pk]):
            raise BookingRefused(["You are already booked on this date (see My portal)."])
        if seat_elsewhere := place_elsewhere_refusal(participant, locked, today):  # under the course's lock
            raise seat_elsewhere
        status = Booking.CONFIRMED if seats_left > 0 else Booking.WAITLISTED
        booking = Booking.objects.create(course_date=locked, participant=participant, status=status)
        queue_booking_email(booking)
    return booking


def booking_closed_refusal(course_date: CourseDate, today: datetime.date) -> BookingRefused | None:
    """Why nobody can book the date on `today`: closed by the training office, already begun, or of a course that
    is not published (CourseDateQuerySet.bookable, for one date)."""
    if not CourseDate.objects.bookable(today).filter(pk=course_date.pk).exists():
        return BookingRefused(["Booking is closed for this date."])
    return None


def prerequisites_refusal(participant, course_date: CourseDate) -> BookingRefused | None:
    """Why the participant cannot book the date: each prerequisite not current on its first day, and the courses
    that would make it so; None when every prerequisite is met. Told before anyone tries, and checked again on
    booking."""
    check = prerequisites_check(participant=participant, course=course_date.course, on=course_date.starts_on)
    if check.met:
        return None
    return BookingRefused(
        [f"{reason} (needed on {long_date(course_date.starts_on)}, the first day)" for reason in check.reasons],
        courses_to_book=check.missing,
    )


def seats_elsewhere(course_date: CourseDate, today: datetime.date):
    """The confirmed places on the other dates of the date's course that have not ended on `today`."""
    return Booking.objects.filter(
        status=Booking.CONFIRMED, course_date__course_id=course_date.course_id, course_date__ends_on__gte=today
    ).exclude(course_date_id=course_date.pk)


def places_elsewhere(participant_ids, course_date: CourseDate, today: datetime.date) -> dict[int, Booking]:
    """participant id -> their (first) seat on another date of the same course not ended on `today`."""
    held = (
        seats_elsewhere(course_date, today)
        .filter(participant_id__in=participant_ids)
        .select_related("course_date__course")
        .order_by("-course_date__starts_on")
    )
    return {booking.participant_id: booking for booking in held}


def place_elsewhere_words(booking: Booking) -> str:
    return f"{booking.course_date.course.code} on {long_date(booking.course_date.starts_on)}"


def place_elsewhere_refusal(participant, course_date: CourseDate, today: datetime.date) -> BookingRefused | None:
    """Why the participant cannot book the date: a seat on another date of its course, not yet ended."""
    held = places_elsewhere([participant.pk], course_date, today).get(participant.pk)
    if held is None:
        return None
    return BookingRefused(
        [
            f"You already have a place on {place_elsewhere_words(held)}. To change to this date, cancel that "
            "booking on My portal first."
        ]
    )


def lock_seats(course_date: CourseDate, *, today: datetime.date) -> tuple[CourseDate, int]:
    """Locks the date's row until the transaction ends, serves the waiting list (serve_waiting_list) and counts
    the seats left: whoever books the date waits here for the one before, so together they never take more than
    the seats, and nobody takes a seat someone is waiting for."""
    locked = locked_date(course_date.pk)
    seats_left, _ = serve_waiting_list(locked, today=today)
    return locked, seats_left


# The first key of the advisory locks that serialise the bookings of one course (its page id is the second).
COURSE_LOCK = 7101


def locked_date(pk: int) -> CourseDate:
    """The course date, its row locked until the transaction ends (its course page read with it, that row not
    locked). The course is locked first, by an advisory lock on PostgreSQL (SQLite lets one writer in at a time
    anyway): bookings and moves from the waiting lists of one course wait for each other, whatever the date, so
    that one seat per course holds when two of its dates are booked at once. Always the course before the date,
    so no two wait on each other."""
    course_id = CourseDate.objects.values_list("course_id", flat=True).get(pk=pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [COURSE_LOCK, course_id])
    return CourseDate.objects.select_for_update(of=("self",)).select_related("course").get(pk=pk)


def serve_waiting_list(locked: CourseDate, *, today: datetime.date) -> tuple[int, list[Booking]]:
    """Gives the date's free seats to its waiting list, in the order people joined it, each emailed once
    committed; returns the seats still free (none below zero: a date the office overbooked by taking away an
    instructor frees nothing) and who moved in. Seats come free when a booking is cancelled, an instructor is
    added or the course takes more per instructor. Nobody moves in once the course has begun on `today`, nor
    anyone whose account the office deactivated, nor anyone who meanwhile took a seat on another date of the
    course (they keep their turn, should that change). The caller holds the date's lock."""
    confirmed = Booking.objects.filter(course_date=locked, status=Booking.CONFIRMED).count()
    free = max(locked.total_seats - confirmed, 0)
    if locked.starts_on <= today:
        return free, []
    promoted = list(
        Booking.objects.filter(course_date=locked, status=Booking.WAITLISTED, participant__is_active=True)
        .exclude(Exists(seats_elsewhere(locked, today).filter(participant_id=OuterRef("participant_id"))))
        .order_by("created_at", "pk")[:free]
    )
    for booking in promoted:
        booking.status = Booking.CONFIRMED
        booking.save(update_fields=["status"])
        send_booking_email_task.delay_on_commit(booking.pk, "booking_promoted")
        announce(booking.pk, "promoted")
    return free - len(promoted), promoted


def schedule_change_refusal(before: CourseDate, after: CourseDate, *, today: datetime.date) -> dict[str, str]:
    """{field: why} for a change the office may not make to a date people hold places on (cancelled ones aside):
    another course (their prerequisites were checked for this one), or a start moved to a day already begun."""
    held = Booking.objects.filter(course_date=before).exclude(status=Booking.CANCELLED).count()
    if not held:
        return {}
    people = f"{held} {'person holds a place' if held == 1 else 'people hold places'} on this date"
    refusals = {}
    if after.course_id != before.course_id:
        refusals["course"] = f"{people}, booked for {before.course.code}: add a date for the other course instead."
    if after.starts_on != before.starts_on and after.starts_on <= today:
        refusals["starts_on"] = f"{people}: it cannot move to a day that has begun."
    return refusals


def reschedule_announce(before: CourseDate, after: CourseDate, *, today: datetime.date) -> int:
    """After the office changed the date's days, times or venue: a new calendar version, and an email to each
    person holding a place or waiting for one, sent once committed (confirmed places carry the updated
    invitation). Returns how many are emailed; nothing when the schedule did not change, or for a course that
    ended before `today` (a correction of the record)."""
    if after.schedule == before.schedule or after.ends_on < today:
        return 0
    CourseDate.objects.filter(pk=after.pk).update(schedule_version=F("schedule_version") + 1)
    after.refresh_from_db(fields=["schedule_version"])
    booked = Booking.objects.filter(course_date=after).exclude(status=Booking.CANCELLED).values_list("pk", flat=True)
    for pk in booked:
        send_booking_email_task.delay_on_commit(pk, "booking_changed")
    return len(booked)


def fill_free_seats(course_date: CourseDate, *, today: datetime.date) -> list[Booking]:
    """Serves the date's waiting list now (after the training office changed its seats); returns who moved in."""
    with transaction.atomic():
        return serve_waiting_list(locked_date(course_date.pk), today=today)[1]


def serve_waiting_lists_of(course: CoursePage, *, today: datetime.date) -> int:
    """Serves the waiting lists of the course's dates not yet begun (after the course was published, perhaps
    with more participants per instructor); returns how many moved in."""
    waiting = CourseDate.objects.filter(course=course, starts_on__gt=today, bookings__status=Booking.WAITLISTED)
    return sum(len(fill_free_seats(course_date, today=today)) for course_date in waiting.distinct())


def on_course_published(sender, instance, **kwargs) -> None:
    """Wagtail's page_published for a course: its dates may have gained seats."""
    serve_waiting_lists_of(instance, today=timezone.localdate())


def already_booked(course_date: CourseDate, participant_ids) -> set[int]:
    """Those of `participant_ids` who hold a place, or a place on the waiting list, on `course_date`."""
    return set(
        Booking.objects.filter(course_date=course_date, participant_id__in=participant_ids)
        .exclude(status=Booking.CANCELLED)
        .values_list("participant_id", flat=True)
    )


def queue_booking_email(booking: Booking) -> None:
    """The confirmation (with its calendar file) or the waiting-list email, sent once the booking is committed."""
    template = "booking_confirmed" if booking.status == Booking.CONFIRMED else "booking_waitlisted"
    send_booking_email_task.delay_on_commit(booking.pk, template)


def booking_cancel(
    *, booking: Booking, now: datetime.datetime, by=None, by_administrator: bool = False
) -> Booking | None:
    """Cancels the booking as of `now`, made by `by` (announced with place_changed); a freed seat goes to the first
    on the waiting list, who is emailed (serve_waiting_list). Returns the first promoted booking, if any. Leaving a
    waiting list frees no seat, so the cut-off does not apply to it."""
    deadline_applies = not by_administrator and booking.status != Booking.WAITLISTED
    if deadline_applies and timezone.localdate(now) > cancellation_deadline(booking.course_date):
        raise BookingRefused(
            [
                f"Bookings can be cancelled online until {long_date(cancellation_deadline(booking.course_date))}; "
                "please contact the training office."
            ]
        )
    with transaction.atomic():
        locked = locked_date(booking.course_date_id)
        booking = Booking.objects.select_related("participant").get(pk=booking.pk)
        if booking.status == Booking.CANCELLED:
            return None
        if booking.certification_id or any(getattr(booking, name) is not None for name in RESULT_FIELDS):
            raise BookingRefused(
                [f"{booking.participant} has results recorded on this date, so the booking stays on its record."]
            )
        was_confirmed = booking.status == Booking.CONFIRMED
        booking.status, booking.cancelled_at = Booking.CANCELLED, now
        booking.save(update_fields=["status", "cancelled_at"])
        # Someone who held a seat gets the calendar cancellation; someone who only waited, a line that they left.
        send_booking_email_task.delay_on_commit(
            booking.pk, "booking_cancelled" if was_confirmed else "waiting_list_left"
        )
        announce(booking.pk, "cancelled" if was_confirmed else "left_waiting_list", by=by)
        if not was_confirmed:
            return None
        _, promoted = serve_waiting_list(locked, today=timezone.localdate(now))
    return promoted[0] if promoted else None


class ResultsRefused(Exception):
    """Results or certifications asked for on a day the course date does not allow them; says from when."""


def results_open_from(course_date: CourseDate) -> datetime.date:
    """Results are recorded from the course's first day (attendance is taken as it runs)."""
    return course_date.starts_on


def issuing_open_from(course_date: CourseDate) -> datetime.date:
    """Certifications are issued once the course is over: from the day after its last day."""
    return course_date.ends_on + datetime.timedelta(days=1)


def results_record(*, course_date: CourseDate, bookings: list[Booking], today: datetime.date) -> int:
    """Saves the results of `bookings` (all confirmed on `course_date`): attendance, exam score and each assessment
    the course requires. All or nothing: refused before the first day, and when any result is out of range or
    records an assessment the course does not require."""
    if today < results_open_from(course_date):
        raise ResultsRefused(
            f"Results for this date can be recorded from its first day, {long_date(results_open_from(course_date))}; "
            "nothing was saved."
        )
    if any(booking.course_date_id != course_date.pk for booking in bookings):
        raise ValueError("Every booking must be on the course date whose results are recorded.")
    with transaction.atomic():
        stored = Booking.objects.select_for_update(of=("self",)).select_related("participant")
        stored = stored.in_bulk([booking.pk for booking in bookings])
        problems = [
            problem
            for booking in bookings
            for problem in result_problems(booking, stored[booking.pk], course=course_date.course)
        ]
        if problems:
            raise ResultsRefused(f"Nothing was saved: {'; '.join(problems)}.")
        for booking in bookings:
            booking.save(update_fields=RESULT_FIELDS)
    return len(bookings)


def result_problems(booking: Booking, stored: Booking, *, course) -> list[str]:
    """What is wrong with the results of `booking`, as they are to be saved over `stored` (its row as it is)."""
    who = stored.participant
    problems = [] if stored.status == Booking.CONFIRMED else [f"{who} has no confirmed place, so no results"]
    for name, label in (("attendance_percent", "attendance"), ("exam_score", "the exam score")):
        value = getattr(booking, name)
        if value is not None and not 0 <= value <= 100:
            problems.append(f"{label} of {who} must be a percentage from 0 to 100, not {value}")
    for assessment in PASS_FAIL_ASSESSMENTS:
        # A result kept from when the course required the assessment stays; only a new one is refused.
        value = getattr(booking, assessment.result_field)
        if not assessment.is_required(course) and value != getattr(stored, assessment.result_field):
            problems.append(f"{course.code} requires no {assessment.label.lower()}, so none is recorded for {who}")
    return problems


def attendance_mark_all(*, course_date: CourseDate, today: datetime.date) -> list[Booking]:
    """Records full attendance for every confirmed participant of `course_date` whose attendance is not recorded
    yet (the usual day: everyone came); an attendance already recorded stays. Refused before the first day."""
    with transaction.atomic():
        unrecorded = list(
            confirmed_bookings(course_date).filter(attendance_percent__isnull=True).select_for_update(of=("self",))
        )
        for booking in unrecorded:
            booking.attendance_percent = 100
        results_record(course_date=course_date, bookings=unrecorded, today=today)
    return unrecorded


@dataclass
class IssuePlan:
    """What issuing would do: who gets a certification, and whose decided result is emailed (once)."""

    to_certify: list[Booking]
    to_notify: list[Booking]

    @property
    def certifications(self) -> int:
        return len(self.to_certify)

    @property
    def emails(self) -> int:
        return len(self.to_notify)


def plan_for(bookings: list[Booking]) -> IssuePlan:
    return IssuePlan(
        to_certify=[b for b in bookings if b.passed is True and not b.certification_id],
        to_notify=[b for b in bookings if b.passed is not None and b.result_sent_at is None],
    )


def check_issuing_open(course_date: CourseDate, today: datetime.date) -> None:
    if today < issuing_open_from(course_date):
        raise ResultsRefused(
            f"Certifications for this date can be issued from {long_date(issuing_open_from(course_date))}, the day "
            f"after its last day ({long_date(course_date.ends_on)}); nothing was issued."
        )


def issue_plan(*, course_date: CourseDate, today: datetime.date) -> IssuePlan:
    """What `issue_certifications` would do on `today`, for the confirmation step; refused as it would be."""
    check_issuing_open(course_date, today)
    return plan_for(list(confirmed_bookings(course_date)))


@dataclass
class Issued:
    """What one issuing did: the certifications it issued and how many result emails it queued (none of either
    when another issuing of the same date got there first)."""

    certifications: list[Certification]
    emails: int


def issue_certifications(*, course_date: CourseDate, now: datetime.datetime) -> Issued:
    """Issues, as of `now`, a certification to every confirmed participant who passed and has none yet, renewing
    their previous certification for the course (so that its reminders stop); then emails every decided result
    once. Refused before the day after the course's last day."""
    today = timezone.localdate(now)
    check_issuing_open(course_date, today)
    issued = []
    with transaction.atomic():
        plan = plan_for(list(confirmed_bookings(course_date).select_for_update(of=("self",))))
        for booking in plan.to_certify:
            previous = (
                Certification.objects.in_force()
                .filter(participant=booking.participant, course=course_date.course)
                .order_by("-expires_on")
                .first()
            )
            if previous:
                certification = certification_renew(previous=previous, issued_on=today)
            else:
                certification = certification_issue(
                    participant=booking.participant, course=course_date.course, issued_on=today
                )
            booking.certification = certification
            booking.save(update_fields=["certification"])
            issued.append(certification)
        to_notify = [booking.pk for booking in plan.to_notify]
        Booking.objects.filter(pk__in=to_notify).update(result_sent_at=now)
        for pk in to_notify:
            send_result_email_task.delay_on_commit(pk)
    return Issued(issued, len(to_notify))
