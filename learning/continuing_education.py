"""Continuing education: participants submit activities with evidence, administrators approve or reject them,
and the credits approved within a certification's period count toward it."""

import datetime
from decimal import Decimal

from learning.models import ContinuingEducationActivity


def ce_submit(*, participant, title: str, provider: str, completed_on: datetime.date, credits: Decimal, evidence=None):
    return ContinuingEducationActivity.objects.create(
        participant=participant,
        title=title,
        provider=provider,
        completed_on=completed_on,
        credits=credits,
        evidence=evidence or "",
        status=ContinuingEducationActivity.PENDING,
    )


def ce_record(*, participant, title: str, provider: str, completed_on: datetime.date, credits: Decimal):
    """An activity an administrator records directly: approved at once."""
    return ContinuingEducationActivity.objects.create(
        participant=participant,
        title=title,
        provider=provider,
        completed_on=completed_on,
        credits=credits,
        status=ContinuingEducationActivity.APPROVED,
    )


def ce_review(*, activity: ContinuingEducationActivity, approve: bool, note: str = ""):
    activity.status = ContinuingEducationActivity.APPROVED if approve else ContinuingEducationActivity.REJECTED
    activity.review_note = note
    activity.save(update_fields=["status", "review_note"])
    return activity


def approved_credits(participant) -> list[tuple[datetime.date, Decimal]]:
    """(completed on, credits) of the participant's approved activities."""
    return list(
        ContinuingEducationActivity.objects.filter(
            participant=participant, status=ContinuingEducationActivity.APPROVED
        ).values_list("completed_on", "credits")
    )


def credits_between(
    approved: list[tuple[datetime.date, Decimal]], first: datetime.date, last: datetime.date
) -> Decimal:
    return sum((credits for day, credits in approved if first <= day <= last), Decimal("0"))
