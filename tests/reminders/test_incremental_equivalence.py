"""The incremental scan writes the same outbox as the full scan. A seeded random register lives through many days
(certifications issued, renewed, revoked, deleted and edited in the admin or by an import; bookings made and
cancelled, course dates moved; reminders turned off and on; suppressions added and removed; participants
deactivated and moving address; a stage switched off and on; some days with no scan at all), once with a full scan
each day and once with the incremental one, and the two outboxes are compared after every day."""

import contextlib
import datetime
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction

from learning.bookings.services import BookingRefused, booking_cancel, booking_create
from learning.models import Booking, Certification, CourseDate, User
from learning.register.certification_import import import_certifications
from learning.register.services import certification_issue, certification_renew, certification_revoke
from reminders.models import Reminder, ReminderStage, Suppression
from reminders.scan import scan
from reminders.views import reminders_off, reminders_on
from tests.factories import UserFactory, make_course_date
from tests.reminders.conftest import TODAY, at

pytestmark = pytest.mark.django_db
DAYS = 75
PARTICIPANTS = 24


class RolledBack(Exception):
    pass


@dataclass
class World:
    """The register every event works on, named by what stays the same in both runs (numbers, addresses)."""

    courses: list
    rng: random.Random
    tmp_path: Path
    imports: int = 0
    issued: int = 0

    def participants(self) -> list[User]:
        return list(User.objects.filter(email__endswith="@world.example").order_by("email"))

    def certifications(self) -> list[Certification]:
        return list(Certification.objects.filter(number__startswith="W-").order_by("number"))

    def pick(self, items):
        return self.rng.choice(items) if items else None


def outbox() -> list[tuple]:
    return sorted(
        Reminder.objects.values_list(
            "certification__number", "stage__days_from_expiry", "due_on", "status", "skipped_reason"
        )
    )


def build_register(world: World) -> None:
    """Participants with one or two certifications each, expiring from two months ago to seven months ahead, and
    course dates over the days the run covers."""
    for index in range(PARTICIPANTS):
        participant = UserFactory(email=f"p{index:02d}@world.example", first_name="Pat", last_name=f"P{index}")
        for course in world.courses[: world.rng.randint(1, 2)]:
            issue(world, participant, course, TODAY + datetime.timedelta(days=world.rng.randint(-60, 210)))
    for start in range(-3, DAYS, 9):
        for course in world.courses:
            make_course_date(course, today=TODAY, starts_in_days=start, days=world.rng.randint(1, 3), instructors=2)


def issue(world: World, participant, course, expires_on: datetime.date) -> Certification:
    world.issued += 1
    return certification_issue(
        participant=participant,
        course=course,
        issued_on=expires_on - datetime.timedelta(days=700),
        expires_on=expires_on,
        number=f"W-{world.issued:04d}",
    )


# --- Events: each takes the world and the day; they choose with the world's random generator only. --------------


def new_certification(world: World, today: datetime.date) -> None:
    """A certification entered by hand or from old records: its stages may have passed already."""
    course = world.pick(world.courses)
    issue(world, world.pick(world.participants()), course, today + datetime.timedelta(days=world.rng.randint(-40, 120)))


def renewal(world: World, today: datetime.date) -> None:
    certification = world.pick([c for c in world.certifications() if c.renewed_by_id is None and not c.revoked_at])
    if certification is not None:
        world.issued += 1
        certification_renew(previous=certification, issued_on=today, number=f"W-{world.issued:04d}")


def revocation(world: World, today: datetime.date) -> None:
    certification = world.pick([c for c in world.certifications() if not c.revoked_at])
    if certification is not None:
        certification_revoke(certification=certification, reason="Issued in error", now=at(today))


def deletion(world: World, today: datetime.date) -> None:
    certification = world.pick(list(Certification.objects.filter(number__startswith="W-", renews__isnull=False)))
    if certification is not None:
        certification.delete()  # a renewal entered by mistake: the one it renewed is in force again


def expiry_edited(world: World, today: datetime.date) -> None:
    certification = world.pick(world.certifications())
    if certification is not None:
        certification.expires_on = today + datetime.timedelta(days=world.rng.randint(-40, 120))
        certification.issued_on = certification.expires_on - datetime.timedelta(days=700)
        certification.save()


def expiry_imported(world: World, today: datetime.date) -> None:
    certification = world.pick(world.certifications())
    if certification is None:
        return
    expires_on = today + datetime.timedelta(days=world.rng.randint(-40, 120))
    participant = certification.participant
    world.imports += 1
    path = world.tmp_path / f"import-{world.imports}.csv"
    path.write_text(
        "email,first_name,last_name,course_code,number,issued_on,expires_on\n"
        f"{participant.email},{participant.first_name},{participant.last_name},{certification.course.code},"
        f"{certification.number},{expires_on - datetime.timedelta(days=700)},{expires_on}\n"
    )
    assert import_certifications(path).written


def booking(world: World, today: datetime.date) -> None:
    """A holder of a certification near its expiry books a date of its course (reminders stop until it ends)."""
    near = [c for c in world.certifications() if -30 <= (c.expires_on - today).days <= 90]
    certification = world.pick(near)
    if certification is None:
        return
    dates = CourseDate.objects.filter(course=certification.course, starts_on__gt=today).order_by("starts_on")
    course_date = world.pick(list(dates[:3]))
    if course_date is not None:
        with contextlib.suppress(BookingRefused):  # a full date, a missing prerequisite: the register says no
            booking_create(participant=certification.participant, course_date=course_date, today=today)


def cancellation(world: World, today: datetime.date) -> None:
    booked = list(
        Booking.objects.exclude(status=Booking.CANCELLED).order_by("course_date__starts_on", "participant__email")
    )
    if booked:
        booking_cancel(booking=world.pick(booked), now=at(today), by_administrator=True)


def course_date_moved(world: World, today: datetime.date) -> None:
    course_date = world.pick(list(CourseDate.objects.filter(starts_on__gt=today).order_by("starts_on", "course")))
    if course_date is not None:
        shift = datetime.timedelta(days=world.rng.randint(-5, 5))
        course_date.starts_on, course_date.ends_on = course_date.starts_on + shift, course_date.ends_on + shift
        course_date.save()


def reminders_switched(world: World, today: datetime.date) -> None:
    participant = world.pick(world.participants())
    (reminders_on if not participant.wants_reminders else reminders_off)(participant)


def suppression_switched(world: World, today: datetime.date) -> None:
    participant = world.pick(world.participants())
    found = Suppression.objects.of_address(participant.email)
    if found.exists():
        found.delete()
    else:
        Suppression.objects.create(email=participant.email, reason=Suppression.BOUNCED)


def participant_switched(world: World, today: datetime.date) -> None:
    participant = world.pick(world.participants())
    participant.is_active = not participant.is_active
    participant.save()


def address_changed(world: World, today: datetime.date) -> None:
    """A participant moves to a new address, or back: a suppression of the one they leave no longer applies."""
    participant = world.pick(world.participants())
    name, _, domain = participant.email.partition("@")
    participant.email = f"{name.removesuffix('.new')}@{domain}" if name.endswith(".new") else f"{name}.new@{domain}"
    participant.save()


def stage_switched(world: World, today: datetime.date) -> None:
    stage = ReminderStage.objects.get(days_from_expiry=-7)
    stage.active = not stage.active
    stage.save()


EVENTS = [
    (new_certification, 6),
    (renewal, 3),
    (revocation, 2),
    (deletion, 1),
    (expiry_edited, 3),
    (expiry_imported, 1),
    (booking, 6),
    (cancellation, 3),
    (course_date_moved, 1),
    (reminders_switched, 3),
    (suppression_switched, 3),
    (participant_switched, 2),
    (address_changed, 2),
    (stage_switched, 1),
]


def deliver(today: datetime.date, now) -> None:
    """What a day's delivery leaves behind, the same in both runs whatever their outboxes: the due rows of every
    other certification (by number) marked sent, the rest left pending for a later day."""
    due = Reminder.objects.filter(status=Reminder.PENDING, due_on__lte=today).select_related("certification")
    sent = [row.pk for row in due if int(row.certification.number[2:]) % 2 == today.toordinal() % 2]
    Reminder.objects.filter(pk__in=sent).update(status=Reminder.SENT, sent_at=now)


def live(seed: int, courses, tmp_path: Path, *, full: bool) -> list[list[tuple]]:
    """Runs the days and returns the outbox after each of them; everything it wrote is rolled back."""
    world = World(courses=courses, rng=random.Random(seed), tmp_path=tmp_path / ("full" if full else "incremental"))
    world.tmp_path.mkdir()
    days = []
    try:
        with transaction.atomic():
            build_register(world)
            for offset in range(DAYS):
                today = TODAY + datetime.timedelta(days=offset)
                for _ in range(world.rng.randint(0, 4)):
                    event = world.rng.choices([e for e, _ in EVENTS], weights=[w for _, w in EVENTS])[0]
                    event(world, today)
                if world.rng.random() < 0.8:  # some days the scan does not run
                    scan(today=today, now=at(today), full=full)
                deliver(today, at(today, 9))
                days.append(outbox())
            raise RolledBack
    except RolledBack:
        pass
    return days


@pytest.mark.parametrize("seed", [15, 2026])
def test_the_incremental_scan_writes_the_same_outbox_as_the_full_scan_day_after_day(seed, als1, als2, tmp_path):
    full = live(seed, [als1, als2], tmp_path, full=True)
    incremental = live(seed, [als1, als2], tmp_path, full=False)

    assert sum(len(rows) for rows in full) > 0
    for offset, (expected, got) in enumerate(zip(full, incremental, strict=True)):
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        assert got == expected, f"day {offset}: missing {missing}, extra {extra}"
