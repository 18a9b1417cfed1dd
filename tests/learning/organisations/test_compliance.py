"""Compliance: a member meets a required course while a certification for it, or for a course that builds on it, is
current on the day asked; departments require what their parents require; bookings that renew a course show, and
the team filters and rates count what the page says."""

import pytest

from learning.organisations.access import team_scope
from learning.organisations.compliance import NON_COMPLIANT, TeamFilter, compliance_rates
from learning.organisations.selectors import team_of
from learning.register.models import expiring_window
from learning.register.services import certification_revoke
from tests.factories import MembershipFactory, make_course
from tests.learning.organisations.helpers import TODAY, book, certify, day, manager, member, require

pytestmark = pytest.mark.django_db


def standings(organisation, today=TODAY, *, boss=None):
    """participant email -> {course code: standing} as the organisation's manager sees them on `today`."""
    boss = boss or manager(organisation)
    team = team_of(team_scope(boss), today=today)
    return {row.participant.email: {check.course.code: check.standing for check in row.checks} for row in team.rows}


def standing(person, organisation, code, today=TODAY):
    return standings(organisation, today)[person.email][code]


def check_of(person, organisation, code, today=TODAY):
    team = team_of(team_scope(manager(organisation)), today=today)
    [row] = [row for row in team.rows if row.participant.pk == person.pk]
    [check] = [check for check in row.checks if check.course.code == code]
    return check


# --- Dates ----------------------------------------------------------------------------------------------------


def test_a_certification_meets_the_requirement_on_its_last_day_and_lapses_the_day_after(emergency, als1):
    require(emergency, als1)
    nurse = member(emergency)
    certification = certify(nurse, als1, expires_in=0)

    assert standing(nurse, emergency, "ALS1", today=certification.expires_on) == "expiring"
    assert standing(nurse, emergency, "ALS1", today=day(1)) == "lapsed"


def test_a_certification_meets_the_requirement_from_its_first_day_not_before(emergency, als1):
    require(emergency, als1)
    nurse = member(emergency)
    certification = certify(nurse, als1, expires_in=700, issued_days_before=700)

    assert certification.issued_on == TODAY
    assert standing(nurse, emergency, "ALS1", today=TODAY) == "current"
    assert standing(nurse, emergency, "ALS1", today=day(-1)) == "never"


def test_expiring_starts_where_the_portal_says_a_certification_is_expiring(emergency, als1):
    require(emergency, als1)
    window = expiring_window().days
    inside, outside = member(emergency), member(emergency)
    certify(inside, als1, expires_in=window)
    certify(outside, als1, expires_in=window + 1)

    seen = standings(emergency)

    assert seen[inside.email]["ALS1"] == "expiring"
    assert seen[outside.email]["ALS1"] == "current"


def test_someone_who_never_held_the_course_is_never_certified_and_someone_who_did_has_lapsed(emergency, als1):
    require(emergency, als1)
    newcomer, lapsed = member(emergency), member(emergency)
    certify(lapsed, als1, expires_in=-30)

    seen = standings(emergency)

    assert seen[newcomer.email]["ALS1"] == "never"
    assert seen[lapsed.email]["ALS1"] == "lapsed"


def test_a_revoked_certification_meets_nothing(emergency, als1):
    require(emergency, als1)
    nurse = member(emergency)
    certification_revoke(certification=certify(nurse, als1, expires_in=300), reason="Issued in error")

    check = check_of(nurse, emergency, "ALS1")

    assert check.standing == "lapsed"
    assert check.certification is None


def test_days_left_count_to_the_expiry_and_days_overdue_from_it(emergency, als1):
    require(emergency, als1)
    nurse, lapsed = member(emergency), member(emergency)
    certify(nurse, als1, expires_in=45)
    certify(lapsed, als1, expires_in=-12)

    assert check_of(nurse, emergency, "ALS1").days_left == 45
    assert check_of(lapsed, emergency, "ALS1").days_overdue == 12


# --- Courses that build on each other ----------------------------------------------------------------------------


def test_a_course_that_builds_on_the_required_one_meets_it(emergency, als1, als2):
    require(emergency, als1)
    senior = member(emergency)
    certify(senior, als1, expires_in=-100)
    via = certify(senior, als2, expires_in=400)

    check = check_of(senior, emergency, "ALS1")

    assert check.standing == "current"
    assert check.certification.pk == via.pk


def test_the_required_course_does_not_meet_one_that_builds_on_it(emergency, als1, als2):
    require(emergency, als2)
    nurse = member(emergency)
    certify(nurse, als1, expires_in=400)

    assert standing(nurse, emergency, "ALS2") == "never"


def test_courses_build_on_each_other_through_a_chain(catalogue, emergency):
    bls = make_course(catalogue, "BLS")
    ils = make_course(catalogue, "ILS", prerequisites=[bls])
    advanced = make_course(catalogue, "ADV", prerequisites=[ils])
    require(emergency, bls)
    nurse = member(emergency)
    certify(nurse, advanced, expires_in=200)

    assert standing(nurse, emergency, "BLS") == "current"


def test_the_latest_of_several_certifications_that_meet_a_requirement_counts(emergency, als1, als2):
    require(emergency, als1)
    nurse = member(emergency)
    certify(nurse, als1, expires_in=20)
    longest = certify(nurse, als2, expires_in=500)

    assert check_of(nurse, emergency, "ALS1").certification.pk == longest.pk


# --- Departments --------------------------------------------------------------------------------------------------


def test_a_department_requires_what_its_parent_requires_and_its_own(trust, emergency, als1, als2):
    require(trust, als1)
    require(emergency, als2)
    porter, doctor = member(trust), member(emergency)

    seen = standings(trust)

    assert set(seen[porter.email]) == {"ALS1"}
    assert set(seen[doctor.email]) == {"ALS1", "ALS2"}


def test_a_member_of_two_departments_is_one_row_with_what_both_require(trust, emergency, critical_care, als1, als2):
    require(emergency, als1)
    require(critical_care, als2)
    nurse = member(emergency)
    MembershipFactory(organisation=critical_care, participant=nurse)

    team = team_of(team_scope(manager(trust)), today=TODAY)

    [row] = team.rows
    assert {check.course.code for check in row.checks} == {"ALS1", "ALS2"}
    assert len(row.organisations) == 2


# --- Bookings -------------------------------------------------------------------------------------------------


def test_an_upcoming_booking_on_the_course_or_one_that_builds_on_it_renews_it(emergency, als1, als2):
    require(emergency, als1)
    booked, booked_higher = member(emergency), member(emergency)
    certify(booked, als1, expires_in=20)
    certify(booked_higher, als1, expires_in=20)
    book(booked, als1, starts_in=10)
    book(booked_higher, als2, starts_in=12)

    assert check_of(booked, emergency, "ALS1").booked
    assert check_of(booked_higher, emergency, "ALS1").booked


def test_a_cancelled_past_or_waiting_list_booking_is_not_a_booked_place(emergency, als1):
    require(emergency, als1)
    cancelled, past, waiting = member(emergency), member(emergency), member(emergency)
    booking = book(cancelled, als1, starts_in=10)
    booking.status, booking.cancelled_at = "cancelled", booking.created_at
    booking.save()
    book(past, als1, starts_in=-5)
    book(waiting, als1, starts_in=10, status="waitlisted")

    assert check_of(cancelled, emergency, "ALS1").booking is None
    assert check_of(past, emergency, "ALS1").booking is None
    on_the_list = check_of(waiting, emergency, "ALS1")
    assert on_the_list.booking is not None and not on_the_list.booked


# --- Filters and rates ----------------------------------------------------------------------------------------


@pytest.fixture
def ward(emergency, als1):
    """One member in each state: current, expiring in 20, 50 and 80 days (the last one booked), lapsed, never."""
    require(emergency, als1)
    people = {name: member(emergency, last_name=name) for name in ("Current", "In20", "In50", "In80", "Lapsed", "New")}
    certify(people["Current"], als1, expires_in=400)
    certify(people["In20"], als1, expires_in=20)
    certify(people["In50"], als1, expires_in=50)
    certify(people["In80"], als1, expires_in=80)
    book(people["In80"], als1, starts_in=30)
    certify(people["Lapsed"], als1, expires_in=-3)
    return team_of(team_scope(manager(emergency)), today=TODAY)


def names(rows):
    return [row.participant.last_name for row in rows]


def test_no_filter_lists_everyone(ward):
    assert names(TeamFilter().rows(ward.rows)) == ["Current", "In20", "In50", "In80", "Lapsed", "New"]


def test_not_compliant_lists_the_lapsed_and_the_never_certified(ward):
    assert names(TeamFilter(state=NON_COMPLIANT).rows(ward.rows)) == ["Lapsed", "New"]


@pytest.mark.parametrize(
    ("within", "expected"), [("30", ["In20"]), ("60", ["In20", "In50"]), ("90", ["In20", "In50", "In80"])]
)
def test_expiring_within_lists_who_holds_it_until_then(ward, within, expected):
    assert names(TeamFilter(state=within).rows(ward.rows)) == expected


def test_not_booked_lists_who_has_something_to_renew_and_no_place(ward):
    assert names(TeamFilter(not_booked=True).rows(ward.rows)) == ["In20", "In50", "Lapsed", "New"]


def test_filters_combine(ward):
    assert names(TeamFilter(state="90", not_booked=True).rows(ward.rows)) == ["In20", "In50"]


def test_the_compliance_rate_counts_current_and_expiring_holders(ward):
    [rate] = compliance_rates(ward.rows, ward.courses)

    assert (rate.course.code, rate.compliant, rate.required, rate.percent) == ("ALS1", 4, 6, 67)


def test_the_organisation_filter_keeps_its_departments(trust, emergency, critical_care, als1):
    require(trust, als1)
    er, icu = member(emergency, last_name="Er"), member(critical_care, last_name="Icu")
    scope = team_scope(manager(trust))
    team = team_of(scope, today=TODAY)

    assert names(TeamFilter(organisation_ids=frozenset({emergency.pk})).rows(team.rows)) == [er.last_name]
    everyone = TeamFilter(organisation_ids=frozenset(scope.tree.with_departments([trust.pk]))).rows(team.rows)
    assert names(everyone) == [er.last_name, icu.last_name]


# --- What a manager's digest is about ---------------------------------------------------------------------------


@pytest.mark.parametrize(("starts_in", "needs_action"), [(30, False), (31, True)])
def test_a_place_renews_in_time_when_its_date_starts_by_the_expiry_day(emergency, als1, starts_in, needs_action):
    require(emergency, als1)
    nurse = member(emergency)
    certify(nurse, als1, expires_in=30)
    book(nurse, als1, starts_in=starts_in)

    assert check_of(nurse, emergency, "ALS1").needs_action is needs_action


def test_any_upcoming_place_renews_a_lapsed_requirement_and_a_current_one_needs_nothing(emergency, als1):
    require(emergency, als1)
    lapsed, current = member(emergency), member(emergency)
    certify(lapsed, als1, expires_in=-100)
    book(lapsed, als1, starts_in=60)
    certify(current, als1, expires_in=400)

    assert check_of(lapsed, emergency, "ALS1").needs_action is False
    assert check_of(current, emergency, "ALS1").needs_action is False
