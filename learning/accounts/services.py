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


def participant_create(
    *, email: str, first_name: str, last_name: str, registration_number: str = "", employer: str = "", invite: bool
) -> User:
    user = User.objects.create_user(
        email=email,
        password=None,
        first_name=first_name,
        last_name=last_name,
        registration_number=registration_number,
        employer=employer,
    )
    if invite:
        participants_invite(user_ids=[user.pk])
    return user
