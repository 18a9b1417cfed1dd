"""Continuing education: participants submit activities with evidence for administrators to review (in the
admin), administrators record approved ones directly, and approved credits count toward the certification period
they fall in. The participant is emailed each decision."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from learning.accounts.models import User
from learning.common.models import portal_settings
from learning.continuing_education.models import ContinuingEducationActivity
from learning.continuing_education.tasks import send_ce_decision_task

Status = ContinuingEducationActivity.Status


def credits_problem(credits: Decimal) -> str | None:
    """Why `credits` cannot be claimed for one activity, or None. The bound is in Settings > Portal settings, so
    that a typo such as 500 for 5.0 is refused rather than counted."""
    most = portal_settings().ce_max_credits
    if credits > most:
        shown = int(most) if most == int(most) else most
        return f"One activity counts for at most {shown} credits; ask the training office about more."
    return None


def check_credits(credits: Decimal) -> None:
    if problem := credits_problem(credits):
        raise ValidationError({"credits": problem}, code="too_many_credits")


def ce_submit(*, participant, title: str, provider: str, completed_on: datetime.date, credits: Decimal, evidence=None):
    """A participant's activity, waiting for an administrator's review. The same activity (title and provider in
    any case, and day) submitted already and not rejected is refused with a ValidationError naming it: the form
    sent twice, at once (the participant's row is locked for the check) or from the back button."""
    check_credits(credits)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=participant.pk).first()
        earlier = (
            ContinuingEducationActivity.objects.filter(
                participant=participant, title__iexact=title, provider__iexact=provider, completed_on=completed_on
            )
            .exclude(status=Status.REJECTED)
            .first()
        )
        if earlier:
            raise ValidationError(
                f"You submitted this activity already, on {timezone.localtime(earlier.submitted_at):%-d %B %Y} "
                f"({earlier.get_status_display().lower()}): see My portal.",
                code="submitted_already",
            )
        return ContinuingEducationActivity.objects.create(
            participant=participant,
            title=title,
            provider=provider,
            completed_on=completed_on,
            credits=credits,
            evidence=evidence or "",
            status=Status.PENDING,
        )


def ce_record(*, reviewer=None, now: datetime.datetime | None = None, **activity):
    """An activity an administrator records directly (the same fields, no evidence): approved at once."""
    check_credits(activity["credits"])
    return ContinuingEducationActivity.objects.create(
        status=Status.APPROVED, reviewed_by=reviewer, reviewed_at=now, **activity
    )


def ce_review(
    *, activity: ContinuingEducationActivity, status: str, note: str = "", reviewer, now: datetime.datetime
) -> ContinuingEducationActivity:
    """Approves or rejects an activity (or puts it back to review) and, once the decision is saved, emails the
    participant about it. Saving the same decision again (a note's typo mended) sends nothing and keeps who
    decided and when."""
    if status not in Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status == Status.REJECTED and not note.strip():
        raise ValidationError({"review_note": "Say why it is rejected: the participant reads this note."})
    changed = status != activity.status
    activity.status, activity.review_note = status, note.strip()
    if changed or activity.reviewed_at is None:
        activity.reviewed_by, activity.reviewed_at = reviewer, now
    activity.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    if changed and status != Status.PENDING:
        send_ce_decision_task.delay_on_commit(activity.pk)
    return activity
