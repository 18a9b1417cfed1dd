"""Writes of organisations: a participant leaving one."""

from django.db import transaction

from learning.organisations.models import Membership
from learning.organisations.tasks import send_member_left_task


class LeaveRefused(Exception):
    """The participant may not leave this organisation on their own; the message says why and what to do."""


def membership_leave(*, membership: Membership) -> None:
    """Ends the participant's membership; the managers who saw their record through it are emailed once the
    change is committed. Refused when the employer verified the membership: only the training office ends
    that one."""
    with transaction.atomic():
        # Checked in the delete itself, so that a membership verified a moment ago is not ended all the same.
        deleted, _ = Membership.objects.filter(pk=membership.pk, employer_verified=False).delete()
        if not deleted:
            raise LeaveRefused(
                f"{membership.organisation} confirmed that you work there, so you cannot leave it here: please "
                "contact the training office."
            )
        send_member_left_task.delay_on_commit(membership.organisation_id, membership.participant_id)
