"""Emails participants about a guideline update when it is published: everyone entitled to read it through one of
its courses not announced yet (a certification for the course, or one that builds on it, within the grace period;
or a booking on an upcoming date of it) who wants guideline updates, once per participant per update, in batches,
whatever happens twice. The first publication announces all its courses; a later one only a course added since
(GuidelineAnnouncement), so a typo fix emails nobody. Each email carries its own one-click unsubscribe, which stops
guideline updates only."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from learning.catalogue.selectors import builds_on, satisfied_by
from learning.common.batching import batches
from learning.common.emails import render_email, send_or_log
from learning.common.models import portal_settings
from learning.materials.entitlement import admitted_users
from learning.models import (
    Booking,
    Certification,
    GuidelineAnnouncement,
    GuidelineNotification,
    GuidelineUpdatePage,
    User,
)
from reminders.emails import unsubscribe_headers, unsubscribe_url
from reminders.models import Suppression

# Emails per database round trip: each batch's rows are claimed together, so two runs never send one twice.
SEND_BATCH = 100


def recipients(page: GuidelineUpdatePage, today: datetime.date, serves: set[int]):
    """Participants who may read the page on `today` through one of the courses `serves` (learning.materials.
    entitlement's rule, as a query, with the page's Privacy setting), active, wanting guideline updates, and whose
    address did not bounce or complain (having unsubscribed from reminders is not a reason to miss a guideline
    change)."""
    courses = set().union(*satisfied_by(serves, builds_on()).values())  # its courses and those that build on them
    grace = datetime.timedelta(days=portal_settings().grace_days)
    held = Certification.objects.valid_on(today, grace=grace).filter(participant=OuterRef("pk"), course_id__in=courses)
    booked = Booking.objects.filter(
        participant=OuterRef("pk"), status=Booking.CONFIRMED, course_date__ends_on__gte=today
    ).filter(course_date__course_id__in=serves)
    undeliverable = Suppression.objects.of_address(OuterRef("email")).exclude(reason=Suppression.UNSUBSCRIBED)
    return (
        User.objects.filter(is_active=True, wants_guideline_updates=True)
        .filter(Exists(held) | Exists(booked))
        .filter(admitted_users(page))
        .exclude(Exists(undeliverable))
    )


def mark_announced(page: GuidelineUpdatePage, now: datetime.datetime, course_ids=None) -> None:
    """Records the page's courses (or those of `course_ids`) as announced as of `now`; emails nobody (a copy of an
    update announced already needs no more)."""
    if course_ids is None:
        course_ids = [course.pk for course in page.courses.all()]
    GuidelineAnnouncement.objects.bulk_create(
        [GuidelineAnnouncement(page=page, course_id=pk, announced_at=now) for pk in sorted(course_ids)],
        ignore_conflicts=True,
    )


def announce(page: GuidelineUpdatePage, now: datetime.datetime) -> int:
    """Records the page's courses not announced yet, and a notification for each participant they entitle who
    has none for the page, in one transaction: a run cut short announces nothing, and the next one does it all.
    Returns how many courses were new."""
    with transaction.atomic():
        announced = set(GuidelineAnnouncement.objects.filter(page=page).values_list("course_id", flat=True))
        new = {course.pk for course in page.courses.all()} - announced
        if not new:
            return 0
        mark_announced(page, now, new)
        ids = recipients(page, timezone.localdate(now), new).values_list("pk", flat=True).order_by("pk")
        for batch in batches(ids.iterator(chunk_size=1000), 1000):
            GuidelineNotification.objects.bulk_create(
                [GuidelineNotification(page=page, participant_id=pk) for pk in batch], ignore_conflicts=True
            )
    return len(new)


def notify_guideline_update(page_id: int, *, now: datetime.datetime) -> dict:
    """Announces the live page to its courses not announced yet, then sends every notification of it still
    pending (those of an earlier run cut short too)."""
    page = GuidelineUpdatePage.objects.live().filter(pk=page_id).first()
    if page is None:
        return {"courses": 0, "sent": 0}
    courses = announce(page, now)
    sent = 0
    while True:
        with transaction.atomic():
            claimed = list(
                GuidelineNotification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(page=page, status=GuidelineNotification.PENDING)
                .select_related("participant")[:SEND_BATCH]
            )
            if not claimed:
                break
            for notification in claimed:
                notification.status = send_one(page, notification.participant)
                notification.sent_at = now
                sent += notification.status == GuidelineNotification.SENT
            GuidelineNotification.objects.bulk_update(claimed, ["status", "sent_at"])
    return {"courses": courses, "sent": sent}


def send_one(page: GuidelineUpdatePage, participant: User) -> str:
    """One email, in its own error handling: a bad address does not stop the batch."""
    message = render_email(
        "guideline_update",
        {
            "page": page,
            "participant": participant,
            "page_url": settings.PORTAL_BASE_URL + page.url,
            "courses": ", ".join(course.code for course in page.courses.all()),
            "unsubscribe_url": unsubscribe_url(participant, "guideline_updates"),
            "preferences_url": settings.PORTAL_BASE_URL + reverse("reminder_preferences"),
        },
        to=[participant.email],
        headers=unsubscribe_headers(participant, "guideline_updates"),
    )
    sent = send_or_log(message, f"guideline update {page.pk} to participant {participant.pk}")
    return GuidelineNotification.SENT if sent else GuidelineNotification.FAILED
