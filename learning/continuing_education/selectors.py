"""Reads of continuing education: a participant's approved credits, and how many fall in a period."""

import datetime
from decimal import Decimal

from learning.continuing_education.models import ContinuingEducationActivity


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
