"""The emails to managers: a participant left their organisation; a place their organisation pays for changed.
Sent by tasks once the change is committed, to each manager on their own: one bad address keeps no other manager
uninformed."""

from django.conf import settings
from django.urls import reverse

from learning.accounts.models import User
from learning.bookings.models import Booking
from learning.bookings.signals import PLACE_CHANGES
from learning.common.emails import render_email, send_or_log
from learning.organisations.access import team_scope
from learning.organisations.models import GroupBooking, ManagerRole
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


def send_place_changed(booking_pk: int, change: str, by_pk: int | None) -> int:
    """Emails whoever answers for the group booking that made the place (group_booking_managers) what changed,
    who changed it and what the invoice counts now; returns how many emails were accepted."""
    booking = Booking.objects.select_related(
        "participant", "course_date__course", "group_place__group_booking__organisation"
    ).get(pk=booking_pk)
    group = booking.group_place.group_booking
    places = Booking.objects.filter(group_place__group_booking=group)
    context = {
        "booking": booking,
        "participant": booking.participant,
        "course_date": booking.course_date,
        "course": booking.course_date.course,
        "group": group,
        "change": PLACE_CHANGES[change],
        "changed_by": changed_by(booking, User.objects.filter(pk=by_pk).first() if by_pk else None),
        "confirmed": places.filter(status=Booking.CONFIRMED).count(),
        "waiting": places.filter(status=Booking.WAITLISTED).count(),
        "group_url": settings.PORTAL_BASE_URL + reverse("group_booking", args=[group.pk]),
    }
    sent = 0
    for manager in group_booking_managers(group):
        message = render_email("group_place_changed", {**context, "manager": manager}, to=[manager.email])
        sent += send_or_log(message, f"the change of booking {booking_pk} to manager {manager.pk}")
    return sent


def changed_by(booking: Booking, by: User | None) -> str:
    """Who made the change, as the email says it: nobody for what followed from another change."""
    if by is None:
        return ""
    if by.pk == booking.participant_id:
        return "the participant"
    return "the training office" if by.has_perm("wagtailadmin.access_admin") else by.get_full_name() or by.email


def group_booking_managers(group: GroupBooking) -> list[User]:
    """The manager who made the group booking, while they may still see it; otherwise the active managers of its
    organisation and of those above it (who see it on My team)."""
    if team_scope(group.manager).group_bookings().filter(pk=group.pk).exists():
        return [group.manager]
    lineage = [organisation.pk for organisation in OrganisationTree.load().lineage(group.organisation_id)]
    roles = ManagerRole.objects.filter(organisation_id__in=lineage, user__is_active=True).select_related("user")
    return list({role.user_id: role.user for role in roles}.values())
