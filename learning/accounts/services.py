"""Participants: created by administrators (or an import) without a password, and invited by email to set one."""

from collections.abc import Iterable

from learning.accounts.models import User
from learning.accounts.tasks import send_invitation_task


def participants_invite(*, user_ids: Iterable[int]) -> int:
    """Queues one invitation email per participant, sent by a worker once the caller's transaction commits (so a
    slow ESP never holds a page, and a rolled-back creation invites nobody). Returns how many were queued."""
    queued = 0
    for pk in user_ids:
        send_invitation_task.delay_on_commit(pk)
        queued += 1
    return queued


def participant_create(*, email: str, invite: bool, **details) -> User:
    """A participant without a password (they set one from the invitation). `details` are User fields:
    first_name and last_name, and as known registration_number, employer, wants_reminders."""
    user = User.objects.create_user(email=email, password=None, **details)
    if invite:
        participants_invite(user_ids=[user.pk])
    return user
