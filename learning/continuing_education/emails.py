"""The email that tells a participant an administrator approved or rejected their continuing education."""

import logging

from django.conf import settings
from django.urls import reverse

from learning.common.emails import render_email
from learning.continuing_education.models import ContinuingEducationActivity

logger = logging.getLogger(__name__)


def send_ce_decision(activity_pk: int) -> bool:
    activity = ContinuingEducationActivity.objects.select_related("participant").get(pk=activity_pk)
    if activity.status == ContinuingEducationActivity.PENDING:
        return False  # put back to review before the email left: there is no decision to tell
    message = render_email(
        "ce_decision",
        {
            "activity": activity,
            "participant": activity.participant,
            "approved": activity.status == ContinuingEducationActivity.APPROVED,
            "dashboard_url": settings.PORTAL_BASE_URL + reverse("dashboard"),
        },
        to=[activity.participant.email],
    )
    try:
        message.send()
    except Exception:
        logger.exception("could not send the decision on continuing education %s", activity_pk)
        return False
    return True
