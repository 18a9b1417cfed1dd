"""Composes a participant's reminder email: every certification due for them today in one message, with what to
book (the course page and its next dates with seats), continuing-education options, prerequisite warnings, and
one-click unsubscribe (RFC 8058)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db.models import Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone

from learning.bookings.selectors import next_bookable_dates, renewal_gap
from learning.common.emails import render_email
from learning.common.models import portal_settings
from learning.models import Certification, ContinuingEducationIndexPage, CourseDate, CoursePage, User
from learning.register.services import prerequisites_met
from reminders.models import Reminder

# One salt per kind of email, so that a reminder's link can only stop reminders, an update's only updates and a
# manager's digest only digests.
UNSUBSCRIBE_SALTS = {
    "reminders": "reminders.unsubscribe",
    "guideline_updates": "reminders.unsubscribe.guidelines",
    "manager_digests": "reminders.unsubscribe.manager_digests",
}
UNSUBSCRIBE_ROUTES = {
    "reminders": "reminders_unsubscribe",
    "guideline_updates": "guideline_updates_unsubscribe",
    "manager_digests": "manager_digests_unsubscribe",
}


def unsubscribe_token(user: User, topic: str = "reminders") -> str:
    """A signed, per-participant token: it names the participant and cannot be forged or altered."""
    return signing.Signer(salt=UNSUBSCRIBE_SALTS[topic]).sign(str(user.pk))


def participant_for_token(token: str, topic: str = "reminders") -> User | None:
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALTS[topic]).unsign(token)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=pk).first()


def unsubscribe_url(user: User, topic: str = "reminders") -> str:
    token = unsubscribe_token(user, topic)
    return settings.PORTAL_BASE_URL + reverse(UNSUBSCRIBE_ROUTES[topic], kwargs={"token": token})


def unsubscribe_mailto(user: User, topic: str = "reminders") -> str:
    subject = "unsubscribe" if topic == "reminders" else f"unsubscribe%20{topic}"
    return f"mailto:{settings.REMINDER_UNSUBSCRIBE_MAILTO}?subject={subject}%20{unsubscribe_token(user, topic)}"


def unsubscribe_headers(user: User, topic: str = "reminders", url: str | None = None) -> dict[str, str]:
    """List-Unsubscribe with one-click (RFC 8058): mail clients offer it next to the sender. `url`: the user's
    unsubscribe_url for `topic` when the caller has it already (the email's body shows the same link)."""
    return {
        "List-Unsubscribe": f"<{url or unsubscribe_url(user, topic)}>, <{unsubscribe_mailto(user, topic)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


class SafeFormat(dict):
    def __missing__(self, key):
        return "{" + key + "}"


@dataclass
class DueItem:
    reminder: Reminder
    days_left: int
    opening: str
    subject: str
    lapsed: bool
    course_url: str
    next_dates: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gap_from: datetime.date | None = None  # every date with seats starts after expiry: uncertified from this day


def fill(text: str, course: str, days: int, date: datetime.date) -> str:
    days_text = f"{abs(days)} day{'s' if abs(days) != 1 else ''}"
    return text.format_map(
        SafeFormat(course=course, days=abs(days), days_text=days_text, date=date.strftime("%-d %B %Y"))
    )


@dataclass
class ReminderDay:
    """What the reminder emails of one day have in common, read once for a batch of participants rather than once
    per email: the next dates with seats of their courses, the continuing-education offers, the links, each
    course's prerequisites, and the participants' certifications of those prerequisite courses."""

    today: datetime.date
    next_dates: dict[int, list[tuple[CourseDate, str]]]  # course id -> its next dates with seats, each with its
    # booking link
    course_urls: dict[int, str]
    required: dict[int, list[CoursePage]]
    held: dict[int, list[Certification]]  # participant id -> their prerequisite certifications, latest first
    offers: list[tuple] = field(default_factory=list)
    ce_url: str = ""
    dashboard_url: str = ""
    preferences_url: str = ""
    office: object = None  # the portal settings (the training office's contact details)

    @classmethod
    def load(cls, reminders: list[Reminder], today: datetime.date) -> "ReminderDay":
        """The day's shared facts for `reminders` (of any number of participants), in a constant number of
        queries."""
        courses = {reminder.certification.course_id: reminder.certification.course for reminder in reminders}
        prefetch_related_objects(list(courses.values()), "prerequisites__prerequisite")
        required = {pk: course.prerequisite_courses() for pk, course in courses.items()}
        listing = ContinuingEducationIndexPage.objects.live().first()
        offers = list(listing.upcoming_offers(today)[:3]) if listing else []
        return cls(
            today=today,
            next_dates={
                course_id: [
                    (date, settings.PORTAL_BASE_URL + reverse("book", kwargs={"date_id": date.pk})) for date in dates
                ]
                for course_id, dates in next_bookable_dates(set(courses), today).items()
            },
            course_urls={pk: settings.PORTAL_BASE_URL + course.url + "#dates" for pk, course in courses.items()},
            required=required,
            held=prerequisite_certifications(reminders, required),
            offers=[(offer, settings.PORTAL_BASE_URL + offer.url) for offer in offers],
            ce_url=settings.PORTAL_BASE_URL + listing.url if listing else "",
            dashboard_url=settings.PORTAL_BASE_URL + reverse("dashboard"),
            preferences_url=settings.PORTAL_BASE_URL + reverse("reminder_preferences"),
            office=portal_settings(),
        )


def prerequisite_certifications(
    reminders: list[Reminder], required: dict[int, list[CoursePage]]
) -> dict[int, list[Certification]]:
    """Participant id -> their certifications of every course some reminded course requires, latest first."""
    prerequisites = {course.pk for courses in required.values() for course in courses}
    held: dict[int, list[Certification]] = defaultdict(list)
    if not prerequisites:
        return held
    participants = {reminder.certification.participant_id for reminder in reminders}
    for certification in Certification.objects.filter(
        participant_id__in=participants, course_id__in=prerequisites
    ).order_by("-expires_on", "-pk"):
        held[certification.participant_id].append(certification)
    return held


def reminder_context(
    participant: User, reminders: list[Reminder], today: datetime.date, day: ReminderDay | None = None
) -> dict:
    """The reminder template's context; `day`, the shared facts of the batch this email belongs to (read for
    these reminders alone when not given)."""
    day = day or ReminderDay.load(reminders, today)
    items = [
        due_item(participant, reminder, day) for reminder in sorted(reminders, key=lambda r: r.certification.expires_on)
    ]
    return {
        "participant": participant,
        "items": items,
        "offers": day.offers,
        "ce_url": day.ce_url,
        "dashboard_url": day.dashboard_url,
        "preferences_url": day.preferences_url,
        "office": day.office,
        "unsubscribe_url": unsubscribe_url(participant),
        "subject": items[0].subject if len(items) == 1 else f"{len(items)} of your certifications need renewing",
    }


def due_item(participant: User, reminder: Reminder, day: ReminderDay) -> DueItem:
    """What the email says of one due certification: its stage's words, where to book, and what blocks booking."""
    certification, stage, today = reminder.certification, reminder.stage, day.today
    course = certification.course
    next_dates = day.next_dates.get(course.pk, [])
    days_left = (certification.expires_on - today).days
    subject, opening = stage.subject, stage.opening
    if days_left < 0 and not stage.lapsed:
        # A catch-up after missed days: the stage's words were written for a date that has passed.
        subject = "Your {course} certification expired on {date}"
        opening = "Your {course} certification expired on {date}. Book a date now to be certified again."
    item = DueItem(
        reminder=reminder,
        days_left=days_left,
        opening=fill(opening, course.code, days_left, certification.expires_on),
        subject=fill(subject, course.code, days_left, certification.expires_on),
        lapsed=stage.lapsed or days_left < 0,
        course_url=day.course_urls[course.pk],
        next_dates=next_dates,
    )
    if next_dates and days_left >= 0:
        item.gap_from = renewal_gap(expires_on=certification.expires_on, starts_on=next_dates[0][0].starts_on)
    # A renewal needs its prerequisites on the day it starts: warn if one has lapsed or will lapse first.
    on = next_dates[0][0].starts_on if next_dates else max(certification.expires_on, today)
    check = prerequisites_met(
        course=course, required=day.required[course.pk], held=day.held.get(participant.pk, []), on=on
    )
    item.warnings = [
        f"{reason}: you need a current {missing.code} to book {course.code}. Renew {missing.code} first."
        for reason, missing in zip(check.reasons, check.missing, strict=True)
    ]
    return item


def email_as_sent(reminder: Reminder):
    """The email a reminder went out in, composed as on the day it was sent (or last attempted) and with the
    reminders that shared it (one email covers all of a participant's due certifications); one never attempted, as
    it would go out on its due day. Never today's re-computation: days-left and the wording follow that day."""
    attempted_at = reminder.sent_at or reminder.claimed_at
    if attempted_at is None or reminder.status == Reminder.PENDING:
        return compose_reminder_email(reminder.certification.participant, [reminder], reminder.due_on)
    shared = Q(message_id=reminder.message_id) if reminder.message_id else Q(claimed_at=reminder.claimed_at)
    rows = list(
        Reminder.objects.filter(shared, certification__participant_id=reminder.certification.participant_id)
        .exclude(status__in=[Reminder.PENDING, Reminder.SKIPPED])
        .select_related("stage", "certification__course", "certification__participant")
    ) or [reminder]
    return compose_reminder_email(reminder.certification.participant, rows, timezone.localdate(attempted_at))


def compose_reminder_email(
    participant: User, reminders: list[Reminder], today: datetime.date, day: ReminderDay | None = None
):
    """One participant's reminder email for `reminders`; `day` as for reminder_context."""
    context = reminder_context(participant, reminders, today, day)
    return render_email(
        "reminder",
        context,
        to=[participant.email],
        headers=unsubscribe_headers(participant, url=context["unsubscribe_url"]),
    )
