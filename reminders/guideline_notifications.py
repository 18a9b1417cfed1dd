"""Emails participants about a guideline update when it is first published: everyone currently entitled to
its courses who has not opted out, once per participant per update, in batches, whatever happens twice."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from learning.common.batching import batches
from learning.common.emails import render_email
from learning.materials.entitlement import builds_on
from learning.models import Certification, GuidelineNotification, GuidelineUpdatePage, User
from reminders.models import Suppression

logger = logging.getLogger(__name__)

# Emails per database round trip: each batch's rows are claimed together, so two runs never send one twice.
SEND_BATCH = 100


def recipients(page: GuidelineUpdatePage, today: datetime.date):
    """Participants with a certification current on `today` for one of the page's courses, or for a course that
    builds on one of them; active, opted in, and not suppressed."""
    serves = {course.pk for course in page.courses.all()}
    closure = builds_on()
    courses = serves | {course_id for course_id, required in closure.items() if required & serves}
    current = Certification.objects.valid_on(today).filter(participant=OuterRef("pk"), course_id__in=courses)
    suppressed = Suppression.objects.of_address(OuterRef("email"))
    return User.objects.filter(is_active=True, wants_reminders=True).filter(Exists(current)).exclude(Exists(suppressed))


def is_first_publication(page: GuidelineUpdatePage) -> bool:
    return page.first_published_at is not None and page.first_published_at == page.last_published_at


def notify_guideline_update(page_id: int, *, now: datetime.datetime) -> dict:
    page = GuidelineUpdatePage.objects.live().filter(pk=page_id).first()
    if page is None:
        return {"queued": 0, "sent": 0}
    ids = recipients(page, timezone.localdate(now)).values_list("pk", flat=True).order_by("pk")
    for batch in batches(ids.iterator(chunk_size=1000), 1000):
        GuidelineNotification.objects.bulk_create(
            [GuidelineNotification(page=page, participant_id=pk) for pk in batch], ignore_conflicts=True
        )
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
    return {"sent": sent}


def send_one(page: GuidelineUpdatePage, participant: User) -> str:
    """One email, in its own error handling: a bad address does not stop the batch."""
    message = render_email(
        "guideline_update",
        {
            "page": page,
            "participant": participant,
            "page_url": settings.PORTAL_BASE_URL + page.url,
            "courses": ", ".join(course.code for course in page.courses.all()),
        },
        to=[participant.email],
    )
    try:
        message.send()
    except Exception:
        logger.exception("could not email guideline update %s to participant %s", page.pk, participant.pk)
        return GuidelineNotification.FAILED
    return GuidelineNotification.SENT
