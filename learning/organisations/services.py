"""Writes of organisations: a participant leaving one; a manager booking members onto a course date on a purchase
order, and an administrator marking its invoice paid."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from learning.accounts.models import User
from learning.bookings.models import Booking, CourseDate
from learning.bookings.services import (
    already_booked,
    booking_closed_refusal,
    lock_seats,
    place_elsewhere_words,
    places_elsewhere,
    prerequisites_refusal,
    queue_booking_email,
)
from learning.common.words import plural
from learning.organisations.access import team_scope
from learning.organisations.models import (
    GroupBooking,
    GroupBookingPlace,
    Membership,
    Organisation,
    tidy_purchase_order,
)
from learning.organisations.tasks import send_member_left_task, send_place_changed_task


class LeaveRefused(Exception):
    """The participant may not leave this organisation on their own; the message says why and what to do."""


def membership_leave(*, membership: Membership) -> None:
    """Ends the participant's membership; the managers who saw their record through it are emailed once the
    change is committed. Refused when the employer verified the membership: only the training office ends
    that one."""
    with transaction.atomic():
        # Checked in the delete itself, so that a membership verified a moment ago is not ended all the same.
        deleted, _ = Membership.objects.filter(pk=membership.pk, employer_verified=False).delete()
        if not deleted:
            raise LeaveRefused(
                f"{membership.organisation} confirmed that you work there, so you cannot leave it here: please "
                "contact the training office."
            )
        send_member_left_task.delay_on_commit(membership.organisation_id, membership.participant_id)


def on_place_changed(sender, booking_pk: int, change: str, by=None, **kwargs) -> None:
    """bookings' place_changed: a place that a group booking made changed. Whoever answers for the booking is
    emailed once it is committed (the invoice counts its places), unless they made the change themselves."""
    group = GroupBooking.objects.filter(places__booking_id=booking_pk).only("manager_id").first()
    if group is None or (by is not None and by.pk == group.manager_id):
        return
    send_place_changed_task.delay_on_commit(booking_pk, change, by.pk if by else None)


class Seating(models.TextChoices):
    """What a group booking does when the date has fewer seats left than people."""

    ALL_OR_NOTHING = "all", "All or nothing: book only if there is a seat for everyone"
    WAITING_LIST = "waiting_list", "Book those who fit; put the rest on the waiting list"


@dataclass
class GroupBookingRefused(Exception):
    """Why nothing was booked: what stops the whole group (`reasons`), and each person who cannot be booked with
    what stops them (`people`, in the order they were chosen)."""

    reasons: list[str] = field(default_factory=list)
    people: list[tuple[User, list[str]]] = field(default_factory=list)

    def __str__(self):
        each = [f"{person.get_full_name() or person.email}: {'; '.join(why)}" for person, why in self.people]
        return "; ".join([*self.reasons, *each])


def group_booking_create(
    *,
    manager: User,
    organisation: Organisation,
    course_date: CourseDate,
    participant_ids,
    purchase_order: str,
    seating: str,
    now: datetime.datetime,
) -> GroupBooking:
    """Books the members `participant_ids` onto `course_date` on `organisation`'s purchase order, as of `now`.
    Whom may be booked is asked of the one gate (access.team_scope); prerequisites are checked for the first day.
    Seats are taken in one transaction, under the lock a single booking takes, in the members' order (by name):
    with ALL_OR_NOTHING only if there is a seat for everyone, with WAITING_LIST the rest wait. Anything refused
    refuses the whole group, each person with their reasons; each booked participant is emailed on commit."""
    purchase_order = tidy_purchase_order(purchase_order)
    participants = group_members(
        manager=manager, organisation=organisation, participant_ids=participant_ids, purchase_order=purchase_order
    )
    today = timezone.localdate(now)
    refused = refusals_before_seats(participants, course_date, seating=seating, today=today)
    with transaction.atomic():
        locked, seats_left = lock_seats(course_date, today=today)
        refuse_places_held(refused, participants, locked, today)
        if refused:
            raise GroupBookingRefused(
                people=[(person, refused[person.pk]) for person in participants if person.pk in refused]
            )
        if seating == Seating.ALL_OR_NOTHING and len(participants) > seats_left:
            raise GroupBookingRefused([not_enough_seats(seats_left, len(participants))])
        group = GroupBooking.objects.create(
            organisation=organisation,
            manager=manager,
            course_date=locked,
            purchase_order=purchase_order,
            created_at=now,
        )
        place_members(group, participants, seats_left=seats_left)
    return group


def refuse_places_held(refused: dict, participants: list[User], locked: CourseDate, today) -> None:
    """Adds to `refused` those already booked on the date, and those holding a seat on another date of its course
    (one seat per course); asked under the date's and the course's locks, so that no booking slips in between."""
    ids = [person.pk for person in participants]
    for pk in already_booked(locked, ids):
        refused.setdefault(pk, []).append("already booked on this date")
    for pk, held in places_elsewhere(ids, locked, today).items():
        refused.setdefault(pk, []).append(f"already has a place on {place_elsewhere_words(held)}")


def group_members(*, manager: User, organisation: Organisation, participant_ids, purchase_order: str) -> list[User]:
    """The people to book, each a member the manager may see of `organisation` or its departments, by name. What
    stops the whole group is refused here: no purchase order, nobody chosen, an organisation the manager does not
    manage, anyone outside the manager's team (counted, never named: the manager may not know who they are), and
    members of the team who are not members of `organisation` (named)."""
    scope = team_scope(manager)
    wanted = set(participant_ids)
    if not purchase_order:
        raise GroupBookingRefused(["A purchase-order number is required: it is printed on the invoice."])
    if not wanted:
        raise GroupBookingRefused(["Choose at least one member to book."])
    if organisation.pk not in scope.organisation_ids:
        raise GroupBookingRefused(["You can book only on the purchase orders of the organisations you manage."])
    where = defaultdict(set)
    for pk, organisation_id in (
        scope.memberships().filter(participant_id__in=wanted).values_list("participant_id", "organisation_id")
    ):
        where[pk].add(organisation_id)
    if outside := len(wanted - where.keys()):
        who = "One of the people chosen is not" if outside == 1 else f"{outside} of the people chosen are not"
        raise GroupBookingRefused([f"{who} a member of your team: nothing was booked."])
    people = list(User.objects.filter(pk__in=wanted).order_by("last_name", "first_name", "pk"))
    within = scope.tree.with_departments([organisation.pk])
    elsewhere = [person for person in people if not where[person.pk] & within]
    if elsewhere:
        raise GroupBookingRefused(people=[(person, [f"not a member of {organisation}"]) for person in elsewhere])
    return people


def refusals_before_seats(participants: list[User], course_date: CourseDate, *, seating: str, today) -> dict:
    """participant id -> why they cannot be booked on `course_date` (a prerequisite not current on its first day,
    as for a single booking); a date closed on `today` or no choice of seating refuses the whole group."""
    closed = booking_closed_refusal(course_date, today)
    if closed or seating not in Seating.values:
        raise GroupBookingRefused(closed.reasons if closed else ["Choose how the seats are taken."])
    return {
        person.pk: refusal.reasons for person in participants if (refusal := prerequisites_refusal(person, course_date))
    }


def count_people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def not_enough_seats(seats_left: int, wanted: int) -> str:
    seats = (
        "No seat is" if not seats_left else f"Only {plural(seats_left, 'seat')} {'is' if seats_left == 1 else 'are'}"
    )
    return (
        f"{seats} left for {count_people(wanted)}, so nothing was booked: choose to put those who do not fit on the "
        "waiting list, book fewer people, or choose another date."
    )


def place_members(group: GroupBooking, participants: list[User], *, seats_left: int) -> list[Booking]:
    """A booking for each participant on the group's date, a seat for the first `seats_left` and the waiting list
    for the rest, each linked to the group and emailed once committed."""
    bookings = Booking.objects.bulk_create(
        Booking(
            course_date=group.course_date,
            participant=person,
            status=Booking.CONFIRMED if number < seats_left else Booking.WAITLISTED,
        )
        for number, person in enumerate(participants)
    )
    GroupBookingPlace.objects.bulk_create(
        GroupBookingPlace(group_booking=group, booking=booking) for booking in bookings
    )
    for booking in bookings:
        queue_booking_email(booking)
    return bookings


def group_booking_mark_paid(*, group_booking: GroupBooking, by: User, now: datetime.datetime) -> bool:
    """Records that the group booking's invoice was paid, as of `now`, marked by the administrator `by`, for the
    places confirmed then, at the course page's fee then. Once: a second mark (two administrators at the same
    moment included) changes nothing and returns False."""
    confirmed = (
        GroupBookingPlace.objects.filter(group_booking=OuterRef("pk"), booking__status=Booking.CONFIRMED)
        .values("group_booking")
        .annotate(n=Count("pk"))
        .values("n")
    )
    fee = CourseDate.objects.filter(pk=OuterRef("course_date_id")).values("course__fee_text")[:1]
    marked = GroupBooking.objects.filter(pk=group_booking.pk, paid_at__isnull=True).update(
        paid_at=now, paid_by=by, paid_places=Coalesce(Subquery(confirmed), 0), paid_fee_text=Subquery(fee)
    )
    group_booking.refresh_from_db(fields=["paid_at", "paid_by", "paid_places", "paid_fee_text"])
    return bool(marked)
