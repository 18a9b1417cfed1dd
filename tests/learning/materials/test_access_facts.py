"""The access check's one statement (learning.materials.facts) against the rule as the ORM states it
(`Certification.objects.valid_on`, confirmed bookings of dates not yet ended, the prerequisite closure), on random
records around every boundary, with the grace period from the portal settings or from the environment."""

import datetime
import random

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from learning.catalogue.selectors import builds_on
from learning.common.models import PortalSettings, portal_settings
from learning.materials.entitlement import participant_course_ids
from learning.materials.facts import read_facts
from learning.models import Booking, Certification
from learning.register.services import certification_revoke
from tests.conftest import require
from tests.factories import CertificationFactory, UserFactory, make_course_date
from tests.learning.conftest import today

pytestmark = pytest.mark.django_db

# Days around today that cross every edge: issue, expiry, the 90-day grace, a booking's last day.
OFFSETS = [-400, -91, -90, -89, -1, 0, 1, 89, 90, 300]


def random_record(rng, person, courses, day):
    """A few certifications (some revoked, some not yet issued) and bookings (some cancelled) for `person`."""
    for _ in range(rng.randint(0, 3)):
        expires_on = day + datetime.timedelta(days=rng.choice(OFFSETS))
        issued_on = day + datetime.timedelta(days=rng.choice([-700, -1, 0, 1]))
        certification = CertificationFactory(
            participant=person,
            course=rng.choice(courses),
            issued_on=min(issued_on, expires_on - datetime.timedelta(days=1)),
            expires_on=expires_on,
        )
        if rng.random() < 0.2:
            certification_revoke(certification=certification, reason="Test")
    for _ in range(rng.randint(0, 2)):
        course_date = make_course_date(rng.choice(courses), starts_in_days=rng.choice([-30, -1, 0, 1, 30]))
        status = rng.choice([Booking.CONFIRMED, Booking.CONFIRMED, Booking.CANCELLED])
        cancelled_at = timezone.now() if status == Booking.CANCELLED else None
        Booking.objects.create(course_date=course_date, participant=person, status=status, cancelled_at=cancelled_at)


def by_the_orm(person, day, grace_days) -> set[int]:
    """The rule as the ORM states it."""
    held = set(
        Certification.objects.valid_on(day, grace=datetime.timedelta(days=grace_days))
        .filter(participant=person)
        .values_list("course_id", flat=True)
    )
    booked = Booking.objects.filter(participant=person, status=Booking.CONFIRMED, course_date__ends_on__gte=day)
    courses = held | set(booked.values_list("course_date__course_id", flat=True))
    for course_id in held:
        courses |= builds_on().get(course_id, set())
    return courses


@pytest.mark.parametrize("grace_days", [None, 0, 30, 90])
def test_the_one_statement_gives_the_orm_rules_answer_on_random_records(als1, als2, settings, grace_days):
    settings.MATERIALS_GRACE_DAYS = 90
    PortalSettings.objects.all().delete()  # no row: the environment's value
    if grace_days is not None:
        PortalSettings.objects.filter(pk=portal_settings().pk).update(grace_days=grace_days)
    rng = random.Random(grace_days or 7)
    day = today()
    people = [UserFactory() for _ in range(25)]
    for person in people:
        random_record(rng, person, [als1, als2], day)

    expected_grace = 90 if grace_days is None else grace_days
    compared = {
        person.pk: (participant_course_ids(person, day), by_the_orm(person, day, expected_grace)) for person in people
    }

    assert all(mine == theirs for mine, theirs in compared.values()), compared
    assert any(mine for mine, _ in compared.values()) and any(not mine for mine, _ in compared.values())


def test_the_statement_reads_the_pages_courses_and_whether_it_was_opened(manual, als1):
    from learning.models import MaterialReading

    person = UserFactory()

    before = read_facts(person.pk, today(), manual)
    MaterialReading.objects.create(participant=person, page=manual, read_at=timezone.now())
    after = read_facts(person.pk, today(), manual)

    assert before.serves == {als1.pk: "ALS1"} and not before.opened
    assert after.opened


def test_postgresql_plans_the_statement_once_per_connection(participant):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's (DATABASE_URL)")

    answers = {str(read_facts(participant.pk, today())) for _ in range(6)}  # psycopg prepares it the fifth time

    assert len(answers) == 1
    with connection.cursor() as cursor:
        # One statement a set of parameter types (an earlier test on this connection may have prepared others).
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%'serves'%"])
        assert cursor.fetchone()[0] >= 1


def test_a_prepared_statement_survives_a_migration_that_widens_a_column_it_reads(committed_db):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's (DATABASE_URL)")
    reader = UserFactory()
    PortalSettings.objects.filter(pk=portal_settings().pk).update(grace_days=30)
    for _ in range(6):
        before = read_facts(reader.pk, today())  # prepared by this connection
    try:
        # A deploy's migration, from another connection: this one's prepared statement stays.
        alter_grace_days("bigint")

        after = read_facts(reader.pk, today())
    finally:
        alter_grace_days("integer")

    assert after.grace_days == before.grace_days == 30


def alter_grace_days(column_type: str) -> None:
    """Changes the column's type through a connection of its own, as `migrate` does beside the web processes."""
    params = connection.get_connection_params()
    address = {name: params[name] for name in ("dbname", "user", "password", "host", "port") if params.get(name)}
    with psycopg.connect(**address, autocommit=True) as other:
        other.execute(f"ALTER TABLE learning_portalsettings ALTER COLUMN grace_days TYPE {column_type}")
