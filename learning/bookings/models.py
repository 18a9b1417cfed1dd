"""Course dates, and bookings with their waiting list and results."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q

from learning.common.models import portal_settings
from learning.common.words import long_date

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class CourseDateQuerySet(models.QuerySet):
    def upcoming(self, today: datetime.date):
        return self.filter(starts_on__gt=today)

    def bookable(self, today: datetime.date):
        """The dates anyone may book on `today`: open for booking, not begun, of a published course."""
        return self.upcoming(today).filter(booking_open=True, course__live=True)

    def with_seats(self):
        """Annotates `seats`, `booked` and `seats_left` in the database (one query for any number of dates)."""
        return self.annotate(
            seats=F("instructors") * F("course__max_participants_per_instructor"),
            booked=Count("bookings", filter=Q(bookings__status="confirmed"), distinct=True),
            waiting=Count("bookings", filter=Q(bookings__status="waitlisted"), distinct=True),
        ).annotate(seats_left=F("seats") - F("booked"))


class CourseDate(models.Model):
    """A scheduled run of a course: dates, venue and instructors. Seats = instructors x the course's maximum
    participants per instructor."""

    course = models.ForeignKey("learning.CoursePage", on_delete=models.PROTECT, related_name="dates")
    starts_on = models.DateField()
    ends_on = models.DateField()
    daily_start = models.TimeField(default=datetime.time(8, 30), help_text="Local time each day starts.")
    daily_end = models.TimeField(default=datetime.time(17, 0), help_text="Local time each day ends.")
    venue = models.CharField(max_length=255)
    instructors = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    booking_open = models.BooleanField(default=True)
    # Counts the changes to its days, times and venue: the SEQUENCE of its bookings' calendar events, so that a
    # calendar takes each update (and the cancellation after it) over what it holds.
    schedule_version = models.PositiveIntegerField(default=0, editable=False)

    objects = CourseDateQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="course_date_ends_after_start"),
            models.CheckConstraint(condition=Q(instructors__gte=1), name="course_date_has_an_instructor"),
            models.CheckConstraint(
                condition=Q(daily_end__gt=F("daily_start")), name="course_date_day_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["course", "starts_on"], name="course_date_course_start")]

    def __str__(self):
        return f"{self.course.code} {long_date(self.starts_on)} ({self.venue})"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The course cannot end before it starts."})
        if self.daily_start and self.daily_end and self.daily_end <= self.daily_start:
            raise ValidationError({"daily_end": "Each day must end after it starts."})
        self.clean_seats()

    def clean_seats(self):
        """Taking instructors away may not leave fewer seats than the people who hold one."""
        if self.pk is None or self.course_id is None or not self.instructors:
            return
        held = self.bookings.filter(status=Booking.CONFIRMED).count()
        per_instructor = self.course.max_participants_per_instructor or 0
        if self.total_seats < held and per_instructor:
            needed = -(-held // per_instructor)
            raise ValidationError(
                {
                    "instructors": f"{held} people hold a seat on this date, and {self.instructors} instructor"
                    f"{'s give' if self.instructors != 1 else ' gives'} {self.total_seats} seats: keep at least "
                    f"{needed}, or cancel bookings first."
                }
            )

    @property
    def schedule(self) -> tuple:
        """What its participants are told when it changes: the days, the daily times and the venue."""
        return (self.starts_on, self.ends_on, self.daily_start, self.daily_end, self.venue)

    @property
    def total_seats(self) -> int:
        return self.instructors * (self.course.max_participants_per_instructor or 0)

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


@dataclass(frozen=True)
class PassFailAssessment:
    """An assessment a course may require whose result is passed or not: the booking's field that holds the result,
    and the course's field that says whether the course requires it."""

    result_field: str
    required_by: str
    label: str

    def is_required(self, course) -> bool:
        return getattr(course, self.required_by)


PASS_FAIL_ASSESSMENTS = (
    PassFailAssessment("practical_passed", "requires_practical_assessment", "Practical assessment"),
    PassFailAssessment("scenario_passed", "requires_scenario_assessment", "Scenario assessment"),
)
# Every result a roster records; which of them count for a course follows from the course's facts.
RESULT_FIELDS = ["attendance_percent", "exam_score", *(a.result_field for a in PASS_FAIL_ASSESSMENTS)]


def required_assessments(course) -> list[PassFailAssessment]:
    return [assessment for assessment in PASS_FAIL_ASSESSMENTS if assessment.is_required(course)]


def roster_fields(course) -> list[str]:
    """The results a roster asks for on `course`: attendance always, the exam score when the course has a written
    exam, and each pass-or-fail assessment it requires."""
    exam = ["exam_score"] if course.written_exam_pass_mark is not None else []
    return ["attendance_percent", *exam, *(a.result_field for a in required_assessments(course))]


class Booking(models.Model):
    """A participant's place on a course date (or on its waiting list), and their result there."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        WAITLISTED = "waitlisted", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"

    CONFIRMED, WAITLISTED, CANCELLED = Status.CONFIRMED, Status.WAITLISTED, Status.CANCELLED

    course_date = models.ForeignKey(CourseDate, on_delete=models.PROTECT, related_name="bookings")
    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=12, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attendance_percent = models.PositiveSmallIntegerField(null=True, blank=True, validators=PERCENT)
    exam_score = models.PositiveSmallIntegerField(null=True, blank=True, validators=PERCENT)
    practical_passed = models.BooleanField("practical assessment passed", null=True, blank=True)
    scenario_passed = models.BooleanField("scenario assessment passed", null=True, blank=True)
    result_sent_at = models.DateTimeField(null=True, blank=True)
    certification = models.OneToOneField(
        "learning.Certification", null=True, blank=True, on_delete=models.SET_NULL, related_name="booking"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course_date", "participant"],
                condition=~Q(status="cancelled"),
                name="booking_once_per_date",
                violation_error_message="You are already booked on this date.",
            ),
            models.CheckConstraint(
                condition=Q(attendance_percent__isnull=True) | Q(attendance_percent__lte=100),
                name="booking_attendance_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(exam_score__isnull=True) | Q(exam_score__lte=100), name="booking_score_is_a_percentage"
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="booking_cancelled_has_a_time",
            ),
        ]
        indexes = [models.Index(fields=["course_date", "status", "created_at"], name="booking_date_status")]

    def __str__(self):
        return f"{self.participant} on {self.course_date}"

    def outcomes(self) -> list[bool | None]:
        """Each result the course requires as passed (True), failed (False) or not recorded yet (None)."""
        course = self.course_date.course
        attendance = self.attendance_percent
        outcomes = [None if attendance is None else attendance >= (course.attendance_required or 0)]
        if course.written_exam_pass_mark is not None:
            score = self.exam_score
            outcomes.append(None if score is None else score >= course.written_exam_pass_mark)
        outcomes += [getattr(self, assessment.result_field) for assessment in required_assessments(course)]
        return outcomes

    @property
    def passed(self) -> bool | None:
        """Pass or fail from the course's facts: undecided (None) while any result the course requires is missing,
        failed if any of them failed."""
        outcomes = self.outcomes()
        if any(outcome is None for outcome in outcomes):
            return None
        return all(outcomes)

    def assessment_results(self) -> list[tuple[str, bool | None]]:
        """(label, passed) of each pass-or-fail assessment the course requires, for the roster and the result
        email."""
        return [(a.label, getattr(self, a.result_field)) for a in required_assessments(self.course_date.course)]


def cancellation_deadline(course_date: CourseDate, *, cutoff_days: int | None = None) -> datetime.date:
    """The last day a participant may cancel themselves (the cut-off is in Settings > Portal settings)."""
    if cutoff_days is None:
        cutoff_days = portal_settings().cancellation_cutoff_days
    return course_date.starts_on - datetime.timedelta(days=cutoff_days)
