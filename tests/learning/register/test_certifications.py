"""Certifications: status from dates (expiry day, leap years, local midnight), issue, renew, revoke, and the
prerequisite check with reasons a participant can act on."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from learning.models import Certification
from learning.register.models import CURRENT, EXPIRED, EXPIRING, RENEWED, REVOKED, is_certification_number
from learning.register.services import (
    add_months,
    certification_issue,
    certification_renew,
    certification_revoke,
    prerequisites_check,
)
from tests.factories import CertificationFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def status_in_database(certification, today):
    return Certification.objects.with_status(today).get(pk=certification.pk).status


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 3, 2), EXPIRING),  # the expiry day itself is still valid
        (D(2026, 3, 3), EXPIRED),  # the day after is not
        (D(2025, 12, 2), EXPIRING),  # 90 days before: inside the first reminder window
        (D(2025, 12, 1), CURRENT),  # 91 days before: not yet
        (D(2024, 3, 2), CURRENT),
    ],
)
def test_status_across_the_expiry_boundaries(today, expected):
    certification = CertificationFactory(issued_on=D(2024, 3, 2), expires_on=D(2026, 3, 2))

    assert certification.status_on(today) == expected
    assert status_in_database(certification, today) == expected


def test_revoked_and_renewed_win_over_dates():
    revoked = CertificationFactory(revoked_at=timezone.now(), revoked_reason="Issued in error")
    renewed = CertificationFactory()
    renewed.renewed_by = CertificationFactory(participant=renewed.participant)
    renewed.save()

    assert revoked.status_on(D(2026, 1, 1)) == status_in_database(revoked, D(2026, 1, 1)) == REVOKED
    assert renewed.status_on(D(2026, 1, 1)) == status_in_database(renewed, D(2026, 1, 1)) == RENEWED


def test_expiry_is_issue_plus_the_course_validity(als2):
    certification = certification_issue(participant=UserFactory(), course=als2, issued_on=D(2026, 3, 2))

    assert certification.expires_on == D(2028, 3, 2)


@pytest.mark.parametrize(
    ("issued_on", "months", "expires_on"),
    [
        (D(2024, 2, 29), 24, D(2026, 2, 28)),  # no 29 February in 2026
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
    ],
)
def test_validity_in_months_across_leap_years_and_short_months(issued_on, months, expires_on):
    assert add_months(issued_on, months) == expires_on


def test_a_certification_issued_on_29_february_is_current_on_its_last_day(als2):
    certification = certification_issue(participant=UserFactory(), course=als2, issued_on=D(2024, 2, 29))

    assert certification.expires_on == D(2026, 2, 28)
    assert certification.status_on(D(2026, 2, 28)) == EXPIRING
    assert certification.status_on(D(2026, 3, 1)) == EXPIRED


@pytest.mark.parametrize(
    ("time_zone", "expected"),
    [("Australia/Sydney", EXPIRED), ("America/New_York", EXPIRING), ("UTC", EXPIRING)],
)
def test_status_uses_the_local_date_around_midnight(settings, time_zone, expected):
    settings.TIME_ZONE = time_zone
    certification = CertificationFactory(issued_on=D(2024, 3, 2), expires_on=D(2026, 3, 2))
    # 23:30 UTC on the expiry day: already the next day in Sydney, still the day in New York.
    moment = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("UTC"))

    assert certification.status_on(timezone.localdate(moment)) == expected


def test_generated_numbers_are_per_course_and_year(als1, als2):
    person = UserFactory()

    first = certification_issue(participant=person, course=als2, issued_on=D(2026, 1, 5))
    second = certification_issue(participant=UserFactory(), course=als2, issued_on=D(2026, 6, 1))
    other = certification_issue(participant=person, course=als1, issued_on=D(2026, 6, 1))

    assert (first.number, second.number, other.number) == ("ALS2-2026-000001", "ALS2-2026-000002", "ALS1-2026-000001")


def test_renewal_marks_the_previous_certification_renewed(als2):
    previous = certification_issue(participant=UserFactory(), course=als2, issued_on=D(2024, 3, 2))

    renewal = certification_renew(previous=previous, issued_on=D(2026, 2, 20))

    previous.refresh_from_db()
    assert previous.renewed_by == renewal
    assert previous.status_on(D(2026, 2, 21)) == RENEWED
    assert renewal.participant == previous.participant and renewal.course == als2
    assert renewal.expires_on == D(2028, 2, 20)


def test_revocation_records_when_and_why(als2):
    certification = CertificationFactory(course=als2)
    moment = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("UTC"))

    certification_revoke(certification=certification, reason="Exam misconduct", now=moment)

    certification.refresh_from_db()
    assert (certification.revoked_at, certification.revoked_reason) == (moment, "Exam misconduct")
    with pytest.raises(ValueError, match="needs a reason"):
        certification_revoke(certification=certification, reason="  ")


def test_the_database_refuses_an_expiry_not_after_issue(als2):
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationFactory(course=als2, issued_on=D(2026, 3, 2), expires_on=D(2026, 3, 2))


def test_the_database_refuses_a_number_twice(als2):
    CertificationFactory(course=als2, number="ALS2-2026-000001")

    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationFactory(course=als2, number="ALS2-2026-000001")


def test_the_database_refuses_a_number_that_differs_only_in_case(als2):
    CertificationFactory(course=als2, number="ALS2-2026-000001")

    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationFactory(course=als2, number="als2-2026-000001")


@pytest.mark.parametrize("code", ["ALS2", "als2", "BLS AED", "EPALS/2", "ABCDEFGHIJKLMNOPQRST", "Ünï-2"])
def test_generated_numbers_fit_the_number_format_whatever_the_course_code(catalogue, code):
    from learning.models import CoursePage
    from tests.factories import make_course

    # An editor may type any code in the admin: set it as typed, whatever the page's slug.
    CoursePage.objects.filter(pk=make_course(catalogue, "X1").pk).update(code=code)
    course = CoursePage.objects.get(code=code)

    numbers = [
        certification_issue(participant=UserFactory(), course=course, issued_on=D(2026, 3, 2)).number for _ in range(2)
    ]

    assert all(is_certification_number(number) for number in numbers), numbers
    assert numbers[1].endswith("-000002")


def test_generated_numbers_continue_after_one_typed_in_lower_case(als2):
    CertificationFactory(course=als2, number="als2-2026-000007")

    issued = certification_issue(participant=UserFactory(), course=als2, issued_on=D(2026, 3, 2))

    assert issued.number == "ALS2-2026-000008"


# --- Prerequisites -------------------------------------------------------------------------------------


def test_prerequisites_met_with_a_current_als1_on_the_start_date(als1, als2):
    person = UserFactory()
    CertificationFactory(participant=person, course=als1, issued_on=D(2025, 1, 10), expires_on=D(2027, 1, 10))

    check = prerequisites_check(participant=person, course=als2, on=D(2026, 9, 1))

    assert check.met and check.reasons == []


def test_an_als1_expiring_on_the_start_date_still_counts(als1, als2):
    person = UserFactory()
    CertificationFactory(participant=person, course=als1, issued_on=D(2024, 9, 1), expires_on=D(2026, 9, 1))

    assert prerequisites_check(participant=person, course=als2, on=D(2026, 9, 1)).met


def test_an_als1_that_expired_before_the_start_date_is_refused_with_its_date(als1, als2):
    person = UserFactory()
    CertificationFactory(participant=person, course=als1, issued_on=D(2024, 3, 2), expires_on=D(2026, 3, 2))

    check = prerequisites_check(participant=person, course=als2, on=D(2026, 3, 3))

    assert not check.met
    assert check.reasons == ["ALS1 certification expired on 2 March 2026"]
    assert check.missing == [als1]


def test_never_holding_als1_is_refused(als1, als2):
    check = prerequisites_check(participant=UserFactory(), course=als2, on=D(2026, 9, 1))

    assert check.reasons == ["no ALS1 certification"]


def test_a_revoked_als1_is_refused_with_when(als1, als2):
    person = UserFactory()
    certification = CertificationFactory(
        participant=person, course=als1, number="ALS1-2025-000007", issued_on=D(2025, 1, 10), expires_on=D(2027, 1, 10)
    )
    certification_revoke(
        certification=certification,
        reason="Exam misconduct",
        now=datetime.datetime(2026, 2, 3, 12, tzinfo=ZoneInfo("UTC")),
    )

    check = prerequisites_check(participant=person, course=als2, on=D(2026, 9, 1))

    assert check.reasons == ["ALS1 certification ALS1-2025-000007 was revoked on 3 February 2026"]


def test_a_renewed_als1_counts_through_its_renewal(als1, als2):
    person = UserFactory()
    old = certification_issue(participant=person, course=als1, issued_on=D(2024, 3, 2))
    certification_renew(previous=old, issued_on=D(2026, 2, 1))

    assert prerequisites_check(participant=person, course=als2, on=D(2027, 5, 1)).met


def test_a_course_without_prerequisites_is_always_met(als1):
    assert prerequisites_check(participant=UserFactory(), course=als1, on=D(2026, 9, 1)).met
