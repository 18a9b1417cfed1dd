"""The certification register's services: issue, renew and revoke certifications, and decide whether a
participant meets a course's prerequisites on a day. Views, commands and tasks all call these."""

import calendar
import datetime
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from learning.catalogue.models import CoursePage
from learning.common.words import long_date
from learning.register.models import Certification

# How often number generation retries when another process took the same next number at the same moment.
NUMBER_ATTEMPTS = 5


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day when it has no such day (29 Feb + 12 months = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if day.day <= 28:  # every month has the day (the import computes millions of these)
        return datetime.date(year, month, day.day)
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_expiry(course: CoursePage, issued_on: datetime.date) -> datetime.date:
    return add_months(issued_on, course.validity_months)


def number_prefix(course: CoursePage, issued_on: datetime.date) -> str:
    """CODE-YEAR- for the course and year: the code in capitals, anything but letters and digits made a hyphen,
    so that every generated number fits the one format (NUMBER_FORMAT) whatever an editor typed as the code."""
    code = re.sub(r"[^A-Z0-9]+", "-", course.code.upper()).strip("-") or "CERT"
    return f"{code}-{issued_on.year}-"


def next_number(course: CoursePage, issued_on: datetime.date) -> str:
    """The next free number of the form CODE-YEAR-000123 for the course and year of issue."""
    prefix = number_prefix(course, issued_on)
    taken = (
        Certification.objects.filter(number__istartswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    last = taken[len(prefix) :] if taken else ""
    sequence = int(last) + 1 if last.isascii() and last.isdigit() else 1
    return f"{prefix}{sequence:06d}"


def certification_issue(
    *,
    participant,
    course: CoursePage,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
    number: str | None = None,
    renewing_earlier: bool = False,
) -> Certification:
    """Issues a certification; its number is generated when not given, its expiry follows the course's validity.
    With `renewing_earlier` (an administrator adding one by hand), it renews the participant's latest earlier
    certification for the course that is neither revoked nor renewed, if there is one."""
    previous = earlier_in_force(participant, course, issued_on) if renewing_earlier else None
    if previous is not None:
        return certification_renew(previous=previous, issued_on=issued_on, expires_on=expires_on, number=number)
    expires_on = expires_on or default_expiry(course, issued_on)
    if number:
        return Certification.objects.create(
            participant=participant, course=course, number=number, issued_on=issued_on, expires_on=expires_on
        )
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return Certification.objects.create(
                    participant=participant,
                    course=course,
                    number=next_number(course, issued_on),
                    issued_on=issued_on,
                    expires_on=expires_on,
                )
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def earlier_in_force(participant, course: CoursePage, issued_on: datetime.date) -> Certification | None:
    return (
        Certification.objects.filter(participant=participant, course=course, issued_on__lt=issued_on)
        .filter(renewed_by__isnull=True, revoked_at__isnull=True)
        .order_by("-expires_on")
        .first()
    )


@transaction.atomic
def certification_renew(
    *,
    previous: Certification,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
    number: str | None = None,
) -> Certification:
    """Issues the next certification for the same course and marks `previous` as renewed by it."""
    previous = Certification.objects.select_for_update().get(pk=previous.pk)
    renewal = certification_issue(
        participant=previous.participant,
        course=previous.course,
        issued_on=issued_on,
        expires_on=expires_on,
        number=number,
    )
    previous.renewed_by = renewal
    previous.save(update_fields=["renewed_by", "updated_at"])
    return renewal


def certification_revoke(*, certification: Certification, reason: str, now: datetime.datetime | None = None):
    if not reason.strip():
        raise ValueError("A revocation needs a reason.")
    certification.revoked_at = now or timezone.now()
    certification.revoked_reason = reason.strip()
    certification.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
    return certification


@dataclass
class PrerequisiteCheck:
    course: CoursePage
    on: datetime.date
    reasons: list[str] = field(default_factory=list)
    missing: list[CoursePage] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return not self.reasons


def prerequisites_check(*, participant, course: CoursePage, on: datetime.date) -> PrerequisiteCheck:
    """Whether `participant` holds, on the day `on`, a valid certification for each prerequisite course of
    `course`; when not, one reason per missing course ("ALS1 certification expired on 2 March 2026")."""
    required = course.prerequisite_courses()
    if not required:
        return PrerequisiteCheck(course=course, on=on)
    held = list(
        Certification.objects.filter(participant=participant, course__in=required).order_by("-expires_on", "-pk")
    )
    return prerequisites_met(course=course, required=required, held=held, on=on)


def prerequisites_met(
    *, course: CoursePage, required: list[CoursePage], held: list[Certification], on: datetime.date
) -> PrerequisiteCheck:
    """The check of prerequisites_check on what was read already: `required`, the course's prerequisite courses;
    `held`, the participant's certifications of those courses (any others are ignored), latest expiry first. A
    batch of reminders reads both once for all its participants."""
    check = PrerequisiteCheck(course=course, on=on)
    for prerequisite in required:
        own = [c for c in held if c.course_id == prerequisite.pk]
        if any(c.is_valid_on(on) for c in own):
            continue
        check.missing.append(prerequisite)
        check.reasons.append(missing_reason(prerequisite, own, on))
    return check


def missing_reason(prerequisite: CoursePage, held: list[Certification], on: datetime.date) -> str:
    code = prerequisite.code
    in_force = [c for c in held if c.revoked_at is None]
    if in_force:
        latest = in_force[0]
        if latest.expires_on < on:
            return f"{code} certification expired on {long_date(latest.expires_on)}"
        return f"{code} certification is only valid from {long_date(latest.issued_on)}"
    if held:
        revoked = held[0]
        return (
            f"{code} certification {revoked.number} was revoked on {long_date(timezone.localdate(revoked.revoked_at))}"
        )
    return f"no {code} certification"
