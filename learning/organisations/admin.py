"""Organisations in the Wagtail admin: employers and their departments with their required courses and managers,
the memberships of participants (filtered by organisation, exported as CSV), and the import of members from CSV
(the certification import's screens, learning.register.import_admin)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import DeleteView, IndexView

from learning.common.admin import RecordViewSet
from learning.common.spreadsheets import FormulaSafeExportMixin
from learning.organisations.members_import import MembersImport
from learning.organisations.models import Membership, Organisation
from learning.organisations.tasks import import_members_task
from learning.register.import_admin import ImportScreen
from learning.register.models import ImportKind


class MembersColumn(Column):
    cell_template_name = "learning/admin/members_cell.html"


class OrganisationIndexView(IndexView):
    default_ordering = "name"

    def get_base_queryset(self):
        return Organisation.objects.select_related("parent").annotate(member_count=Count("memberships"))


class OrganisationDeleteView(DeleteView):
    """An organisation with departments stays (the database protects them): the administrator is told to move or
    delete those first, rather than shown an error page."""

    def form_valid(self, form):
        departments = list(self.object.departments.values_list("name", flat=True))
        if not departments:
            return super().form_valid(form)
        messages.error(
            self.request,
            f"{self.object} was not deleted: it has departments ({', '.join(departments)}). Move or delete them first.",
        )
        return redirect(self.get_success_url())


class OrganisationViewSet(RecordViewSet):
    """Employers and their departments; the required courses and the managers are edited on each one."""

    model = Organisation
    icon = "home"
    menu_label = "Organisations"
    index_view_class = OrganisationIndexView
    delete_view_class = OrganisationDeleteView
    list_display = ["name", Column("parent", label="Department of"), MembersColumn("member_count", label="Members")]
    list_filter = ["parent"]
    search_fields = ["name"]


class MembershipIndexView(FormulaSafeExportMixin, IndexView):
    default_ordering = "organisation__name"
    list_export = [
        "participant.last_name",
        "participant.first_name",
        "participant.email",
        "organisation.name",
        "employer_verified",
    ]
    export_headings = {
        "participant.last_name": "Last name",
        "participant.first_name": "First name",
        "participant.email": "Email",
        "organisation.name": "Organisation",
        "employer_verified": "Confirmed by the employer",
    }
    export_filename = "organisation-members"

    def get_base_queryset(self):
        return Membership.objects.select_related("participant", "organisation")


class MembershipViewSet(RecordViewSet):
    """Who belongs to which organisation; "confirmed by the employer" keeps a participant from leaving it."""

    model = Membership
    icon = "group"
    menu_label = "Members"
    index_view_class = MembershipIndexView
    list_display = [
        Column("participant", label="Participant"),
        Column("participant_email", accessor="participant.email", label="Email"),
        Column("organisation", label="Organisation", sort_key="organisation__name"),
        Column("employer_verified", label="Confirmed by the employer"),
    ]
    list_filter = ["organisation", "employer_verified"]
    search_fields = ["participant__first_name", "participant__last_name", "participant__email", "organisation__name"]
    form_fields = ["organisation", "participant", "employer_verified"]


# Whoever may add memberships by hand may add them by file; managers and participants never can.
MEMBERS_IMPORT_SCREEN = ImportScreen(ImportKind.MEMBERS, "learning.add_membership", MembersImport, import_members_task)
