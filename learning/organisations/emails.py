"""The email that tells managers a participant left their organisation. Sent by a task once the leaving is
committed, to each manager on their own: one bad address keeps no other manager uninformed."""

from django.conf import settings
from django.urls import reverse

from learning.accounts.models import User
from learning.common.emails import render_email, send_or_log
from learning.organisations.models import ManagerRole
from learning.organisations.selectors import OrganisationTree


def send_member_left(organisation_pk: int, participant_pk: int) -> int:
    """Emails the managers of the organisation and of those above it (everyone who saw the participant's record
    through it) that the participant left, once each; returns how many emails were accepted."""
    tree = OrganisationTree.load()
    lineage = [organisation.pk for organisation in tree.lineage(organisation_pk)]
    participant = User.objects.filter(pk=participant_pk).first()
    if not lineage or participant is None:
        return 0
    roles = ManagerRole.objects.filter(organisation_id__in=lineage, user__is_active=True).select_related("user")
    managers = {role.user_id: role.user for role in roles}
    sent = 0
    for manager in managers.values():
        message = render_email(
            "member_left",
            {
                "manager": manager,
                "participant": participant,
                "organisation": tree.path(organisation_pk),
                "team_url": settings.PORTAL_BASE_URL + reverse("team"),
            },
            to=[manager.email],
        )
        sent += send_or_log(message, f"the leaving of participant {participant_pk} to manager {manager.pk}")
    return sent
