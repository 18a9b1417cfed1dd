"""Managers' digests: once a period (Settings > Portal settings, "manager digest every … days"; weekly by default)
each manager gets one email listing the members they manage who are not compliant, or will not be within the
expiring window, and hold no place that renews in time, each with the next dates with seats and a link to the
member on My team. Whose members are listed is decided by learning.organisations.access.team_scope, as for My team;
nothing else reads members here.

The digests go through the outbox like reminders (reminders.outbox): a run inserts one row per (manager, period),
the unique constraint making a second or concurrent run create nothing; a send claims the manager's rows with SKIP
LOCKED, so two workers never both send one; the ESP's answer, retries, uncertain sends, tracking events and the
drain are the reminders' own. A period in which nobody needs action ends with its row skipped, and no email.

Periods are counted from a Monday (EPOCH): weekly digests go out on the first run of each week, a Monday, and a
run missed that day is caught up by the next one."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from learning.bookings.selectors import next_bookable_dates, renewal_gap
from learning.common.emails import render_email
from learning.common.models import portal_settings
from learning.models import CourseDate, User
from learning.organisations.access import team_scope
from learning.organisations.compliance import MemberRow, RequirementCheck
from learning.organisations.selectors import needing_action
from reminders import outbox
from reminders.emails import unsubscribe_headers, unsubscribe_url
from reminders.models import ManagerDigest, Suppression

EPOCH = datetime.date(2024, 1, 1)  # a Monday
# Members listed in one email, most urgent first: past this the email says how many more need action and links
# My team, since a list of hundreds of names in an email helps no manager.
MEMBERS_SHOWN = 50
TOPIC = "manager_digests"


def period_start(today: datetime.date, days: int) -> datetime.date:
    """The first day of the period of `days` days that holds `today`, periods counted from EPOCH."""
    days = max(1, days)
    return EPOCH + datetime.timedelta(days=(today - EPOCH).days // days * days)


def plan_digests(*, today: datetime.date, now: datetime.datetime) -> int:
    """Inserts a pending digest for this period for every active manager who wants digests; returns how many were
    new. The unique (manager, period) constraint makes a second or concurrent run insert nothing. A manager who
    had one less than a period ago (the period's length was changed since) waits for the next period."""
    days = max(1, portal_settings().manager_digest_days)
    start = period_start(today, days)
    recent = ManagerDigest.objects.filter(
        manager=OuterRef("pk"), period_start__gt=today - datetime.timedelta(days=days)
    )
    managers = (
        User.objects.filter(is_active=True, wants_manager_digest=True, manager_roles__isnull=False)
        .exclude(Exists(recent))
        .values_list("pk", flat=True)
        .distinct()
    )
    ManagerDigest.objects.bulk_create(
        [
            ManagerDigest(manager_id=pk, period_start=start, due_on=today, created_at=now, updated_at=now)
            for pk in managers
        ],
        ignore_conflicts=True,
    )
    return ManagerDigest.objects.filter(period_start=start, created_at=now).count()


def managers_due(today: datetime.date, now: datetime.datetime, *, undispatched_since=None) -> list[int]:
    """Managers with a digest to send now; with `undispatched_since`, only those whose task may have been lost."""
    rows = outbox.due_recipients(ManagerDigest, today, now, undispatched_since=undispatched_since)
    return sorted(set(rows.values_list(ManagerDigest.recipient_field, flat=True)))


def why_not_sent(manager: User) -> str:
    """Why the manager gets no digest at all now, or "" when they may get one."""
    if not manager.is_active:
        return "the manager's account is inactive"
    if not manager.wants_manager_digest:
        return "the manager turned digests off"
    # Unsubscribing from one's own reminders is no reason to miss the team's digest; a dead address is.
    if Suppression.objects.of_address(manager.email).exclude(reason=Suppression.UNSUBSCRIBED).exists():
        return "the address bounced or complained"
    return ""


def claim(manager_id: int, *, today: datetime.date, now: datetime.datetime):
    """Takes the manager's due digests and the members to list, as ([rows], skipped, [members]). SKIP LOCKED: rows
    another worker holds are its to send, so two deliveries for one manager never both send. Rows with nothing to
    send (nobody needs action, the manager turned digests off …) are skipped."""
    with transaction.atomic():
        rows = list(
            outbox.due_rows(ManagerDigest, today, now)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(manager_id=manager_id)
            .select_related("manager")
            .order_by("pk")
        )
        if not rows:
            return [], 0, []
        manager = rows[0].manager
        reason = why_not_sent(manager)
        members = [] if reason else needing_action(team_scope(manager), today=today)
        if not reason and not members:
            reason = "nobody needs action"
        if reason:
            outbox.mark_skipped(rows, reason, now)
            return [], len(rows), []
        outbox.mark_claimed(rows, now)
        ManagerDigest.objects.filter(pk__in=[row.pk for row in rows]).update(members_listed=len(members))
    return rows, 0, members


def deliver_to_manager(manager_id: int, *, today: datetime.date, now: datetime.datetime) -> outbox.Delivery:
    """Sends the manager's due digest, once. Raises TransientSendError when it waits for a later attempt."""
    delivery = outbox.Delivery(recipient_id=manager_id)
    rows, delivery.skipped, members = claim(manager_id, today=today, now=now)
    if not rows:
        return delivery

    def compose():
        return outbox.label(compose_digest_email(rows[0].manager, members, today), rows)

    return outbox.send_claimed(delivery, rows, compose, now)


@dataclass
class DigestRun:
    planned: int
    dispatched: list[int]


def run_manager_digests(
    *, today: datetime.date, now: datetime.datetime, dispatch: Callable[[int], object]
) -> DigestRun:
    """The daily digest run, for beat's task and `manage.py send_manager_digests` alike: this period's rows are
    inserted, and each manager with a digest to send is handed to `dispatch` (a Celery task, or delivery in the
    same process). The drain dispatches again whatever a lost task leaves."""
    planned = plan_digests(today=today, now=now)
    managers = managers_due(today, now, undispatched_since=outbox.undispatched_since(now))
    outbox.mark_dispatched(managers, now, model=ManagerDigest)
    for manager_id in managers:
        dispatch(manager_id)
    return DigestRun(planned=planned, dispatched=managers)


# --- The email ------------------------------------------------------------------------------------------------


@dataclass
class NeededCourse:
    """A required course a listed member must act on: their standing, the next dates with seats, and, when their
    place starts after the certification expires, the first day they will be uncertified."""

    check: RequirementCheck
    next_dates: list[CourseDate]
    gap_from: datetime.date | None = None


@dataclass
class ListedMember:
    """A member as the digest lists them: their row, the courses that need action, the group-booking form with
    them chosen (where the manager books for them) and their page on My team."""

    row: MemberRow
    needs: list[NeededCourse]
    book_url: str
    member_url: str


def needed_course(check: RequirementCheck, next_dates: dict[int, list[CourseDate]]) -> NeededCourse:
    needed = NeededCourse(check, next_dates.get(check.course.pk, []))
    if check.booked and check.certification is not None:
        needed.gap_from = renewal_gap(
            expires_on=check.certification.expires_on, starts_on=check.booking.course_date.starts_on
        )
    return needed


def urgency(row: MemberRow) -> tuple:
    """Most urgent first: never certified, then by the earliest expiry (lapsed longest ago first); then by name."""
    days = [check.days_left for check in row.checks]
    soonest = min((-(10**6) if left is None else left) for left in days)
    return soonest, row.participant.last_name.casefold(), row.participant.first_name.casefold(), row.pk


def digest_context(manager: User, members: list[MemberRow], today: datetime.date) -> dict:
    shown = sorted(members, key=urgency)[:MEMBERS_SHOWN]
    next_dates = next_bookable_dates({check.course.pk for row in shown for check in row.checks}, today)
    base = settings.PORTAL_BASE_URL
    return {
        "manager": manager,
        "today": today,
        "count": len(members),
        "more": len(members) - len(shown),
        "items": [
            ListedMember(
                row=row,
                needs=[needed_course(check, next_dates) for check in row.checks],
                book_url=f"{base}{reverse('group_booking_new')}?participants={row.pk}",
                member_url=base + reverse("team_member", kwargs={"participant_id": row.pk}),
            )
            for row in shown
        ],
        "team_url": base + reverse("team") + "?not_booked=on",
        "preferences_url": base + reverse("reminder_preferences"),
        "unsubscribe_url": unsubscribe_url(manager, TOPIC),
    }


def compose_digest_email(manager: User, members: list[MemberRow], today: datetime.date):
    return render_email(
        "manager_digest",
        digest_context(manager, members, today),
        to=[manager.email],
        headers=unsubscribe_headers(manager, TOPIC),
    )
