"""Compliance: whether a member holds what their organisations require, decided from their certifications and
bookings already loaded (learning.organisations.selectors loads them), on the day asked.

A member meets a required course on a day when they hold a certification, not revoked, issued on or before that
day and expiring on or after it, for the course or for a course that builds on it (ALS2 stands for ALS1). It is
"expiring" inside the portal's expiring window (Settings > Portal settings), as on the participant's own
dashboard. A member who met it once and does not now has "lapsed"; one who never did is "never certified"."""

import datetime
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from learning.accounts.models import User
from learning.bookings.models import Booking
from learning.bookings.selectors import renewal_gap
from learning.catalogue.models import CoursePage
from learning.register.models import Certification


class Standing(models.TextChoices):
    CURRENT = "current", "Current"
    EXPIRING = "expiring", "Expiring"
    LAPSED = "lapsed", "Lapsed"
    NEVER = "never", "Never certified"


COMPLIANT = (Standing.CURRENT, Standing.EXPIRING)


@dataclass(slots=True)
class HeldCertification:
    """A certification as the team reads hold it: the few fields they need, read as plain values, because a
    trust's tens of thousands of certifications as model instances cost more than the rest of the page.
    `is_valid_on` and `days_left` are the register's own rules (learning.register.models.Certification)."""

    pk: int
    participant_id: int
    course_id: int
    number: str
    issued_on: datetime.date
    expires_on: datetime.date
    revoked_at: datetime.datetime | None
    course: CoursePage | None = None

    is_valid_on = Certification.is_valid_on
    days_left = Certification.days_left


@dataclass
class RequirementCheck:
    """A member's standing on one required course: the certification that meets it (or the last that did), and
    the earliest upcoming booking that would renew it (a confirmed place before a waiting-list one)."""

    course: CoursePage
    standing: str
    certification: HeldCertification | None
    booking: Booking | None
    today: datetime.date

    @property
    def compliant(self) -> bool:
        return self.standing in COMPLIANT

    @property
    def booked(self) -> bool:
        return self.booking is not None and self.booking.status == Booking.CONFIRMED

    @property
    def renews_in_time(self) -> bool:
        """A confirmed place that renews it in time: on a date starting by the expiry day (the new certification
        follows without a gap), or, for a member without a valid certification, on any upcoming date."""
        if not self.booked:
            return False
        if not self.compliant:
            return True
        starts_on = self.booking.course_date.starts_on
        return renewal_gap(expires_on=self.certification.expires_on, starts_on=starts_on) is None

    @property
    def needs_action(self) -> bool:
        """What a manager's digest is about: not compliant, or expiring (inside the portal's expiring window), and
        no place booked that renews it in time."""
        return self.standing != Standing.CURRENT and not self.renews_in_time

    @property
    def days_left(self) -> int | None:
        """Days until the certification expires; negative when it expired that many days ago."""
        return self.certification.days_left(self.today) if self.certification else None

    @property
    def days_overdue(self) -> int | None:
        return -self.days_left if self.days_left is not None else None

    @property
    def label(self) -> str:
        return Standing(self.standing).label


def check_requirement(
    course: CoursePage,
    *,
    certifications: Iterable[HeldCertification],
    bookings: Iterable[Booking],
    stands_for: set[int],
    today: datetime.date,
    expiring: datetime.timedelta,
) -> RequirementCheck:
    """The member's standing on `course` on `today`, from their certifications and upcoming bookings; `stands_for`
    are the courses whose certification meets it (the course and those that build on it)."""
    held = [c for c in certifications if c.course_id in stands_for and c.issued_on <= today]
    valid = [c for c in held if c.is_valid_on(today)]
    if valid:
        certification = max(valid, key=lambda c: (c.expires_on, c.pk))
        standing = Standing.EXPIRING if certification.expires_on <= today + expiring else Standing.CURRENT
    else:
        certification = max((c for c in held if c.revoked_at is None), key=lambda c: (c.expires_on, c.pk), default=None)
        standing = Standing.LAPSED if held else Standing.NEVER
    renewals = [b for b in bookings if b.course_date.course_id in stands_for and b.status != Booking.CANCELLED]
    booking = min(renewals, key=lambda b: (b.status != Booking.CONFIRMED, b.course_date.starts_on, b.pk), default=None)
    return RequirementCheck(course, standing, certification, booking, today)


@dataclass
class MemberRow:
    """A member of a manager's team: the organisations (in the manager's scope) they belong to, and their
    standing on every course those organisations require of them, by course code."""

    participant: User
    organisation_ids: list[int]
    organisations: list[str]
    checks: list[RequirementCheck]

    @property
    def pk(self) -> int:
        return self.participant.pk

    @property
    def compliant(self) -> bool:
        return all(check.compliant for check in self.checks)

    def cells(self, courses: list[CoursePage]) -> list[tuple[CoursePage, RequirementCheck | None]]:
        """The row's checks lined up with the columns of `courses`; None where a course is not required of them."""
        by_course = {check.course.pk: check for check in self.checks}
        return [(course, by_course.get(course.pk)) for course in courses]


# The states a manager filters the team by: "" is everyone.
NON_COMPLIANT = "non_compliant"
EXPIRING_WITHIN = {"30": 30, "60": 60, "90": 90}
STATES = [
    ("", "Everyone"),
    (NON_COMPLIANT, "Not compliant"),
    *((key, f"Expiring within {days} days") for key, days in EXPIRING_WITHIN.items()),
]


@dataclass(frozen=True)
class TeamFilter:
    """What a manager narrows the team to. A member is listed when one of their required courses (the chosen one,
    if a course is chosen) matches the state and, with `not_booked`, has no confirmed place on an upcoming date.
    "Not booked" alone lists those with something to renew (not current) and no place booked to renew it."""

    organisation_ids: frozenset[int] | None = None  # the chosen organisation and its departments
    course_id: int | None = None
    state: str = ""
    not_booked: bool = False

    def rows(self, rows: list[MemberRow]) -> list[MemberRow]:
        """The rows this filter keeps, each showing only the chosen course when one is chosen."""
        kept = []
        for row in self.in_organisation(rows):
            if (self.state or self.not_booked) and not any(self.matches(check) for check in row.checks):
                continue
            kept.append(row)
        return kept

    def in_organisation(self, rows: list[MemberRow]) -> list[MemberRow]:
        """The rows of the chosen organisation (and its departments) and course, before any state: what the
        compliance rates count."""
        kept = []
        for row in rows:
            if self.organisation_ids is not None and not self.organisation_ids.intersection(row.organisation_ids):
                continue
            if self.course_id is not None:
                checks = [check for check in row.checks if check.course.pk == self.course_id]
                if not checks:
                    continue
                row = MemberRow(row.participant, row.organisation_ids, row.organisations, checks)
            kept.append(row)
        return kept

    def matches(self, check: RequirementCheck) -> bool:
        if self.state == NON_COMPLIANT and check.compliant:
            return False
        if self.state in EXPIRING_WITHIN and not (check.compliant and check.days_left <= EXPIRING_WITHIN[self.state]):
            return False
        # With no state chosen, "not booked" asks who has something to renew: a current certification has not.
        return not (self.not_booked and (check.booked or (not self.state and check.standing == Standing.CURRENT)))


@dataclass
class CourseRate:
    """How many of the members a course is required of hold it (current or expiring)."""

    course: CoursePage
    required: int
    compliant: int

    @property
    def percent(self) -> int:
        return round(100 * self.compliant / self.required) if self.required else 100


def compliance_rates(rows: list[MemberRow], courses: list[CoursePage]) -> list[CourseRate]:
    rates = {course.pk: CourseRate(course, 0, 0) for course in courses}
    for row in rows:
        for check in row.checks:
            rate = rates[check.course.pk]
            rate.required += 1
            rate.compliant += check.compliant
    return [rate for rate in rates.values() if rate.required]


TREND_MONTHS = 12


def trend_days(today: datetime.date) -> list[datetime.date]:
    """The days the trend is read on: the last day of each of the eleven months before this one, then `today`."""
    days, first = [today], today.replace(day=1)
    for _ in range(TREND_MONTHS - 1):
        last = first - datetime.timedelta(days=1)
        days.append(last)
        first = last.replace(day=1)
    return days[::-1]


@dataclass
class CourseTrend:
    """A course's compliance rate on each of `days`: of the members it is required of today, how many held it
    then. A revoked certification never counts, as on the register."""

    course: CoursePage
    days: list[datetime.date]
    required: int
    compliant: list[int]

    @property
    def points(self) -> list[tuple[datetime.date, int]]:
        return [
            (day, round(100 * held / self.required) if self.required else 100)
            for day, held in zip(self.days, self.compliant, strict=True)
        ]


def compliance_trend(
    rows: list[MemberRow], courses: list[CoursePage], *, certifications: dict, stands_for: dict, today: datetime.date
) -> list[CourseTrend]:
    """Each course's trend over the last twelve months for the members in `rows`, from their certifications
    (participant id -> certifications loaded with the team). Each certification marks the days it covers by two
    binary searches, so the cost follows the certifications, not members x days."""
    days = trend_days(today)
    trends = {course.pk: CourseTrend(course, days, 0, [0] * len(days)) for course in courses}
    for row in rows:
        held = certifications.get(row.pk, ())
        for check in row.checks:
            trend = trends[check.course.pk]
            trend.required += 1
            covered = set()
            for certification in held:
                if certification.course_id in stands_for[check.course.pk] and certification.revoked_at is None:
                    covered.update(
                        range(bisect_left(days, certification.issued_on), bisect_right(days, certification.expires_on))
                    )
            for index in covered:
                trend.compliant[index] += 1
    return [trend for trend in trends.values() if trend.required]
