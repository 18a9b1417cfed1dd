"""The email that tells a participant an administrator approved or rejected their continuing education."""

from django.conf import settings
from django.urls import reverse

from learning.common.emails import render_email, send_or_log
from learning.continuing_education.models import ContinuingEducationActivity


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
    return send_or_log(message, f"the decision on continuing education {activity_pk}")
