"""Reads of organisations: the tree of employers and their departments, a participant's memberships, a
manager's team with each member's standing on every required course, and group bookings with their places. The
team and group-booking reads take the scope that learning.organisations.access.team_scope gave, and nothing else
decides whose records they hold.

Every read here runs a fixed number of queries, whatever the number of members: the organisations are few and
loaded whole, and the members' certifications and bookings are fetched together."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Q

from learning.accounts.models import User
from learning.bookings.models import Booking, CourseDate
from learning.bookings.selectors import upcoming_bookings
from learning.catalogue.models import CoursePage
from learning.catalogue.selectors import builds_on, satisfied_by
from learning.organisations.compliance import (
    CourseTrend,
    HeldCertification,
    MemberRow,
    check_requirement,
    compliance_trend,
)
from learning.organisations.models import (
    GroupBooking,
    Membership,
    Organisation,
    RequiredCourse,
    tidy_purchase_order,
)
from learning.register.models import Certification, expiring_window

# How department names are joined into a path: the trust, a single right-pointing angle quote, the department.
PATH_SEPARATOR = " \u203a "


class OrganisationNode(NamedTuple):
    """An organisation as the tree holds it: read as plain values, since a model instance of each of a trust's
    hundreds of departments, on every request and in every digest, costs more than the rest of the read."""

    pk: int
    name: str
    parent_id: int | None


@dataclass
class OrganisationTree:
    """Every organisation with its parent, loaded in one query: there are tens or hundreds, never many more."""

    by_id: dict[int, OrganisationNode]
    children: dict[int | None, list[int]]

    @classmethod
    def load(cls) -> "OrganisationTree":
        by_id, children = {}, defaultdict(list)
        for values in Organisation.objects.order_by("name", "pk").values_list("pk", "name", "parent_id"):
            node = OrganisationNode(*values)
            by_id[node.pk] = node
            children[node.parent_id].append(node.pk)
        return cls(by_id, dict(children))

    def with_departments(self, ids) -> set[int]:
        """`ids` and every department under them, at any depth."""
        found, stack = set(), [pk for pk in ids if pk in self.by_id]
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self.children.get(current, ()))
        return found

    def lineage(self, pk: int) -> list[OrganisationNode]:
        """The organisation and those above it, the top one first."""
        line, seen = [], set()
        while pk is not None and pk in self.by_id and pk not in seen:
            seen.add(pk)
            line.append(self.by_id[pk])
            pk = self.by_id[pk].parent_id
        return line[::-1]

    def path(self, pk: int) -> str:
        return PATH_SEPARATOR.join(organisation.name for organisation in self.lineage(pk))


@dataclass
class OrganisationMembership:
    """One of a participant's memberships, as My portal shows it: who sees the record through it."""

    membership: Membership
    path: str
    seen_by: list[str]  # the organisations whose managers see the record: this one and those above it


def memberships_of(participant: User) -> list[OrganisationMembership]:
    """The participant's memberships, each with the organisations whose managers see their record (two queries)."""
    memberships = list(Membership.objects.filter(participant=participant).select_related("organisation"))
    if not memberships:
        return []
    tree = OrganisationTree.load()
    shown = [
        OrganisationMembership(
            membership=membership,
            path=tree.path(membership.organisation_id),
            seen_by=[organisation.name for organisation in reversed(tree.lineage(membership.organisation_id))],
        )
        for membership in memberships
    ]
    return sorted(shown, key=lambda item: item.path.casefold())


@dataclass
class Team:
    """A manager's members, each with their standing on every course required of them; `courses` are all the
    courses required of anyone in the team, by code."""

    rows: list[MemberRow]
    courses: list[CoursePage]
    records: "TeamRecords"  # what the rows were made from
    organisation_paths: dict[int, str] = field(default_factory=dict)  # the scope's organisations, by path

    def trend(self, rows: list[MemberRow], today: datetime.date) -> list[CourseTrend]:
        """The compliance trend of `rows` (some of this team's), from the certifications already loaded."""
        return compliance_trend(
            rows,
            self.courses,
            certifications=self.records.certifications,
            stands_for=self.records.stands_for,
            today=today,
        )


def team_of(scope, *, today: datetime.date, participant_id: int | None = None) -> Team:
    """The members of the organisations in `scope` (access.team_scope), or only the one `participant_id` when
    given and visible, each with their standing on `today`."""
    memberships = scope.memberships()
    if participant_id is not None:
        memberships = memberships.filter(participant_id=participant_id)
    people, organisations = {}, defaultdict(list)
    for membership in (
        memberships.select_related("participant")
        .only("participant_id", "organisation_id", *PARTICIPANT_FIELDS)
        .order_by("participant_id", "organisation_id")
    ):
        people[membership.participant_id] = membership.participant
        organisations[membership.participant_id].append(membership.organisation_id)
    required = required_courses(scope.tree, {pk for pks in organisations.values() for pk in pks})
    course_ids = {course.pk for courses in required.values() for course in courses}
    records = TeamRecords.load(memberships.values("participant_id"), course_ids, today)
    rows = [records.row(person, organisations[pk], scope.tree, required) for pk, person in people.items()]
    rows.sort(key=lambda row: (row.participant.last_name.casefold(), row.participant.first_name.casefold(), row.pk))
    courses = {check.course.pk: check.course for row in rows for check in row.checks}
    paths = {pk: scope.tree.path(pk) for pk in scope.organisation_ids}
    return Team(
        rows=rows,
        courses=sorted(courses.values(), key=lambda course: course.code),
        organisation_paths=dict(sorted(paths.items(), key=lambda item: item[1].casefold())),
        records=records,
    )


def needing_action(scope, *, today: datetime.date) -> list[MemberRow]:
    """The members of `scope` (access.team_scope) a manager must act on, for their digest: each with only the
    required courses they are not compliant with, or will not be within the expiring window, and hold no place
    that renews in time (compliance.RequirementCheck.needs_action). Members with none are left out."""
    rows = []
    for row in team_of(scope, today=today).rows:
        checks = [check for check in row.checks if check.needs_action]
        if checks:
            rows.append(MemberRow(row.participant, row.organisation_ids, row.organisations, checks))
    return rows


# What a manager's page and export show of a member: their name and address, nothing else of their account.
PARTICIPANT_FIELDS = ("participant__first_name", "participant__last_name", "participant__email")


def required_courses(tree: OrganisationTree, organisation_ids: set[int]) -> dict[int, list[CoursePage]]:
    """organisation id -> the courses it requires, its own and those of the organisations above it (one query)."""
    lineages = {pk: [above.pk for above in tree.lineage(pk)] for pk in organisation_ids}
    own = defaultdict(dict)
    for requirement in RequiredCourse.objects.filter(
        organisation_id__in={pk for lineage in lineages.values() for pk in lineage}
    ).select_related("course"):
        own[requirement.organisation_id][requirement.course_id] = requirement.course
    return {
        pk: list({course.pk: course for above in lineage for course in own[above].values()}.values())
        for pk, lineage in lineages.items()
    }


@dataclass
class TeamRecords:
    """The members' certifications and upcoming bookings for the required courses (and the courses that stand
    for them), fetched together, and the rule that turns them into each member's row."""

    today: datetime.date
    expiring: datetime.timedelta
    stands_for: dict[int, set[int]]
    certifications: dict[int, list[HeldCertification]]
    bookings: dict[int, list[Booking]]
    paths: dict[int, str] = field(default_factory=dict)  # each organisation's path, worked out once

    @classmethod
    def load(cls, participant_ids, course_ids: set[int], today: datetime.date) -> "TeamRecords":
        """`participant_ids` is a query of the members' ids, run inside the queries rather than listed."""
        stands_for = satisfied_by(course_ids, builds_on()) if course_ids else {}
        counted = {pk for pks in stands_for.values() for pk in pks}
        certifications, bookings = defaultdict(list), defaultdict(list)
        if counted:
            courses = CoursePage.objects.in_bulk(counted)
            for values in Certification.objects.filter(
                participant_id__in=participant_ids, course_id__in=counted
            ).values_list(*HELD_FIELDS):
                held = HeldCertification(*values)
                held.course = courses.get(held.course_id)
                certifications[held.participant_id].append(held)
            for booking in renewal_bookings(participant_ids, counted, today):
                booking.course_date.course = courses[booking.course_date.course_id]
                bookings[booking.participant_id].append(booking)
        return cls(today, expiring_window(), stands_for, dict(certifications), dict(bookings))

    def row(self, person: User, organisation_ids: list[int], tree: OrganisationTree, required: dict) -> MemberRow:
        """The member's row: the courses required by any of their organisations, each checked once."""
        courses = {course.pk: course for pk in organisation_ids for course in required.get(pk, ())}
        checks = [
            check_requirement(
                course,
                certifications=self.certifications.get(person.pk, ()),
                bookings=self.bookings.get(person.pk, ()),
                stands_for=self.stands_for[course.pk],
                today=self.today,
                expiring=self.expiring,
            )
            for course in sorted(courses.values(), key=lambda course: course.code)
        ]
        paths = [self.path(tree, pk) for pk in organisation_ids]
        return MemberRow(participant=person, organisation_ids=organisation_ids, organisations=paths, checks=checks)

    def path(self, tree: OrganisationTree, pk: int) -> str:
        if pk not in self.paths:
            self.paths[pk] = tree.path(pk)
        return self.paths[pk]


HELD_FIELDS = ("pk", "participant_id", "course_id", "number", "issued_on", "expires_on", "revoked_at")


def renewal_bookings(participant_ids, course_ids: set[int], today: datetime.date):
    """The participants' bookings, not cancelled, on dates of `course_ids` that are not over yet, soonest first."""
    return (
        Booking.objects.filter(
            participant_id__in=participant_ids, course_date__course_id__in=course_ids, course_date__ends_on__gte=today
        )
        .exclude(status=Booking.CANCELLED)
        .select_related("course_date")
        .only(
            "participant_id",
            "status",
            "course_date__starts_on",
            "course_date__ends_on",
            "course_date__venue",
            "course_date__course_id",
        )
        .order_by("course_date__starts_on", "pk")
    )


@dataclass
class MemberRecord:
    """What a manager sees of one member: their standing, certifications and upcoming bookings."""

    row: MemberRow
    certifications: list[Certification]
    bookings: list[Booking]


def member_record(scope, participant_id: int, *, today: datetime.date) -> MemberRecord | None:
    """One member of the team, or None when `scope` does not reach them."""
    team = team_of(scope, today=today, participant_id=participant_id)
    if not team.rows:
        return None
    certifications = list(
        Certification.objects.filter(participant_id=participant_id)
        .select_related("course")
        .order_by("course__code", "-expires_on")
        .only("number", "issued_on", "expires_on", "revoked_at", "renewed_by_id", "course__code", "course__title")
    )
    expiring = expiring_window()
    for certification in certifications:
        certification.status = certification.status_on(today, expiring=expiring)
    bookings = upcoming_bookings(team.rows[0].participant, today)
    return MemberRecord(row=team.rows[0], certifications=certifications, bookings=bookings)


@dataclass
class Chosen:
    """A member chosen for a group booking, as the booking form lists them: who, and their organisations in the
    manager's scope (ids and paths)."""

    participant: User
    organisation_ids: list[int]
    organisations: list[str]

    @property
    def pk(self) -> int:
        return self.participant.pk


def chosen_members(scope, participant_ids) -> list[Chosen]:
    """Those of `participant_ids` whom `scope` reaches, by name, with their organisations in it (one query); anyone
    else is left out, unnamed."""
    organisations = defaultdict(list)
    people = {}
    for membership in (
        scope.memberships()
        .filter(participant_id__in=participant_ids)
        .select_related("participant")
        .only("participant_id", "organisation_id", *PARTICIPANT_FIELDS)
    ):
        people[membership.participant_id] = membership.participant
        organisations[membership.participant_id].append(membership.organisation_id)
    chosen = [
        Chosen(person, organisations[pk], sorted(scope.tree.path(org) for org in organisations[pk]))
        for pk, person in people.items()
    ]
    return sorted(chosen, key=lambda c: (c.participant.last_name.casefold(), c.participant.first_name.casefold(), c.pk))


def paying_organisation(scope, chosen: list[Chosen]) -> int | None:
    """The organisation a group's invoice most likely goes to, offered first: the deepest one in scope that every
    chosen member belongs to, directly or through a department."""
    reach = {pk: scope.tree.with_departments([pk]) for pk in scope.organisation_ids}
    common = [pk for pk in reach if chosen and all(reach[pk].intersection(c.organisation_ids) for c in chosen)]
    return max(common, key=lambda pk: (len(scope.tree.lineage(pk)), -pk), default=None)


def group_booking_dates(today: datetime.date):
    """The dates a group may be booked onto on `today`: open for booking and not begun, full ones too (for the
    waiting list), each with its seats counted; by course, then soonest first."""
    return (
        CourseDate.objects.bookable(today)
        .with_seats()
        .select_related("course")
        .order_by("course__code", "starts_on", "pk")
    )


def group_bookings_of(scope):
    """The group bookings `scope` sees, newest first, each with how many of its places are confirmed and waiting."""
    return (
        scope.group_bookings()
        .select_related("organisation", "course_date__course", "manager")
        .annotate(
            confirmed=Count("places", filter=Q(places__booking__status=Booking.CONFIRMED)),
            waiting=Count("places", filter=Q(places__booking__status=Booking.WAITLISTED)),
        )
        .order_by("-created_at", "-pk")
    )


def same_group_booking(scope, *, manager, cleaned: dict, since: datetime.datetime) -> GroupBooking | None:
    """The group booking that `manager` made since `since` of exactly the people in the group-booking form's
    `cleaned` data, on its date and purchase order: what a form sent twice (a double click, a reload) made the
    first time. None when there is none."""
    made = scope.group_bookings().filter(
        manager=manager,
        organisation_id=cleaned["organisation"],
        course_date=cleaned["course_date"],
        purchase_order=tidy_purchase_order(cleaned["purchase_order"]),
        created_at__gte=since,
    )
    wanted = set(cleaned["participants"])
    for group in made.order_by("-created_at", "-pk"):
        if set(group.bookings.exclude(status=Booking.CANCELLED).values_list("participant_id", flat=True)) == wanted:
            return group
    return None


def group_booking_places(group_booking: GroupBooking) -> list[Booking]:
    """The bookings the group booking made, by the participants' names, each with its participant."""
    return list(
        Booking.objects.filter(group_place__group_booking=group_booking)
        .select_related("participant")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )


@dataclass
class InvoiceRecipient:
    """Whom an organisation's invoices name (its path: the trust, then the department), where they go and for
    whose attention."""

    name: str
    address: str
    contact: str


def invoice_recipient(organisation: Organisation) -> InvoiceRecipient:
    """The organisation's invoice details: its own invoice address and purchase-order contact, or those of the
    nearest organisation above it that has an address (a department is usually invoiced at its trust's finance
    office)."""
    tree = OrganisationTree.load()
    lineage = [above.pk for above in reversed(tree.lineage(organisation.pk))]
    details = {
        pk: (address, contact)
        for pk, address, contact in Organisation.objects.filter(pk__in=lineage)
        .exclude(invoice_address="")
        .values_list("pk", "invoice_address", "purchase_order_contact")
    }
    billed = next((details[pk] for pk in lineage if pk in details), ("", organisation.purchase_order_contact))
    return InvoiceRecipient(tree.path(organisation.pk), *billed)
