"""Continuing education: participants submit activities with evidence for administrators to approve (in the
admin), administrators record approved ones directly, and approved credits count toward the certification period
they fall in."""

import datetime
from decimal import Decimal

from learning.continuing_education.models import ContinuingEducationActivity


def ce_submit(*, participant, title: str, provider: str, completed_on: datetime.date, credits: Decimal, evidence=None):
    """A participant's activity, waiting for an administrator's review."""
    return ContinuingEducationActivity.objects.create(
        participant=participant,
        title=title,
        provider=provider,
        completed_on=completed_on,
        credits=credits,
        evidence=evidence or "",
        status=ContinuingEducationActivity.PENDING,
    )


def ce_record(**activity):
    """An activity an administrator records directly (the same fields, no evidence): approved at once."""
    return ContinuingEducationActivity.objects.create(status=ContinuingEducationActivity.APPROVED, **activity)
