"""Whose records a manager may see: one answer, and every way in goes through it (My team, its CSV export, a
member's page, booking a group and its invoice).

A user sees the members of the organisations an administrator made them a manager of, and of all their
departments at any depth; nobody else's. Being staff gives no reach here (staff see participants in the admin,
under its own permissions), nor does belonging to an organisation. What is seen of a member is their name,
address, certifications and bookings (learning.organisations.selectors reads nothing else): never their
continuing-education evidence, and never any material. The answer is computed per request, never kept in the
session, so a role taken away today stops access today.

The same answer decides which group bookings (and their invoices) a manager may see and whom they may book: those
of the organisations in their scope, and their members. Administrators see group bookings in the admin only.
"""

from dataclasses import dataclass

from learning.organisations.models import GroupBooking, ManagerRole, Membership
from learning.organisations.selectors import OrganisationTree


@dataclass(frozen=True)
class TeamScope:
    """The organisations whose members a user may see, and the tree they were found in (for paths and
    requirements, without loading it again)."""

    organisation_ids: frozenset[int]
    tree: OrganisationTree | None = None

    def __bool__(self) -> bool:
        return bool(self.organisation_ids)

    def memberships(self):
        """The memberships the user may see: the only query of members that My team starts from. A member whose
        account the training office deactivated is nobody's to see or book (and gets no email)."""
        return Membership.objects.filter(organisation_id__in=self.organisation_ids, participant__is_active=True)

    def group_bookings(self):
        """The group bookings the user may see, and download the invoices of: those made for an organisation in
        scope, whoever made them."""
        return GroupBooking.objects.filter(organisation_id__in=self.organisation_ids)


NOBODY = TeamScope(frozenset())


def team_scope(user) -> TeamScope:
    """The one question: whose records may `user` see as a manager? Deny by default."""
    if not user.is_authenticated or not user.is_active:
        return NOBODY
    managed = set(ManagerRole.objects.filter(user=user).values_list("organisation_id", flat=True))
    if not managed:
        return NOBODY
    tree = OrganisationTree.load()
    return TeamScope(frozenset(tree.with_departments(managed)), tree)


def team_scope_for(request) -> TeamScope:
    """team_scope for the request's user, computed once per request."""
    if not hasattr(request, "_team_scope"):
        request._team_scope = team_scope(request.user)
    return request._team_scope
