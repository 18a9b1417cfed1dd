"""Organisations in the Wagtail admin: employers and their departments with their required courses and managers,
the memberships of participants (filtered by organisation, exported as CSV), the import of members from CSV
(the certification import's screens, learning.register.import_admin), and the group bookings managers made on
purchase orders, with their invoices, marked paid here."""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import DeleteView, IndexView
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from learning.bookings.models import Booking
from learning.common.admin import RecordViewSet, YesNoColumn, row_action
from learning.common.spreadsheets import FormulaSafeExportMixin
from learning.common.words import plural
from learning.organisations.invoices import invoice_response
from learning.organisations.members_import import MembersImport
from learning.organisations.models import GroupBooking, Membership, Organisation
from learning.organisations.services import group_booking_mark_paid
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
        YesNoColumn("employer_verified", label="Confirmed by the employer"),
    ]
    list_filter = ["organisation", "employer_verified"]
    search_fields = ["participant__first_name", "participant__last_name", "participant__email", "organisation__name"]
    form_fields = ["organisation", "participant", "employer_verified"]


class MadeByManagersPolicy(ModelPermissionPolicy):
    """Group bookings are made by managers on My team, with their bookings: the admin lists them, corrects a
    purchase-order number and marks them paid, but never adds one without its bookings nor deletes one that an
    invoice names."""

    def user_has_permission(self, user, action):
        return action not in ("add", "delete") and super().user_has_permission(user, action)


register_permission_policy(GroupBooking, MadeByManagersPolicy(GroupBooking))


class GroupBookingFilterSet(WagtailFilterSet):
    awaiting_payment = django_filters.BooleanFilter(
        field_name="paid_at", lookup_expr="isnull", label="Awaiting payment"
    )

    class Meta:
        model = GroupBooking
        fields = ["organisation", "awaiting_payment"]


class GroupBookingIndexView(IndexView):
    default_ordering = "-created_at"

    def get_base_queryset(self):
        return GroupBooking.objects.select_related(
            "organisation", "course_date__course", "manager", "paid_by"
        ).annotate(place_count=Count("places", filter=~Q(places__booking__status=Booking.CANCELLED)))

    def get_list_more_buttons(self, instance):
        """Besides correcting the purchase order, each row downloads its invoice and, until it is paid, marks it
        paid."""
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            row_action("Invoice (PDF)", "group_booking_admin_invoice", instance.pk, icon="doc-full", priority=15)
        )
        if not instance.paid and self.request.user.has_perm("learning.change_groupbooking"):
            buttons.append(row_action("Mark paid", "group_booking_mark_paid", instance.pk, icon="success", priority=16))
        return buttons


class PaidColumn(Column):
    cell_template_name = "learning/admin/paid_cell.html"


class GroupBookingViewSet(RecordViewSet):
    """Members booked together on a purchase order by their manager, with their invoices; marked paid here."""

    model = GroupBooking
    icon = "doc-full"
    menu_label = "Group bookings"
    index_view_class = GroupBookingIndexView
    filterset_class = GroupBookingFilterSet
    list_display = [
        Column("invoice_number", label="Invoice"),
        Column("organisation", label="Organisation", sort_key="organisation__name"),
        Column("course_date", label="Course date", sort_key="course_date__starts_on"),
        Column("purchase_order", label="Purchase order"),
        Column("manager", label="Booked by"),
        Column("created_at", label="Booked on", sort_key="created_at"),
        Column("place_count", label="Places held"),  # cancelled ones are not counted
        PaidColumn("paid_at", label="Paid", sort_key="paid_at"),
    ]
    search_fields = ["purchase_order", "organisation__name", "manager__email"]
    form_fields = ["purchase_order"]
    inspect_view_enabled = True


def admin_group_booking(request, group_booking_id, *, permission: str) -> GroupBooking:
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return get_object_or_404(
        GroupBooking.objects.select_related("organisation", "course_date__course", "manager"), pk=group_booking_id
    )


@never_cache
def group_booking_invoice_view(request, group_booking_id):
    """The invoice, for the training office to send or check."""
    return invoice_response(admin_group_booking(request, group_booking_id, permission="learning.view_groupbooking"))


@never_cache
def group_booking_mark_paid_view(request, group_booking_id):
    """GET asks the administrator to confirm; POST marks the invoice paid, stamped with who and when."""
    group = admin_group_booking(request, group_booking_id, permission="learning.change_groupbooking")
    if request.method == "POST":
        if group_booking_mark_paid(group_booking=group, by=request.user, now=timezone.now()):
            messages.success(
                request, f"{group.invoice_number} marked paid, for {plural(group.paid_places, 'confirmed place')}."
            )
        else:
            messages.info(
                request,
                f"{group.invoice_number} was marked paid already, on {timezone.localtime(group.paid_at):%-d %B %Y}.",
            )
        return redirect("group_bookings:index")
    return render(request, "learning/admin/group_booking_mark_paid.html", {"group": group})


# Whoever may add memberships by hand may add them by file; managers and participants never can.
MEMBERS_IMPORT_SCREEN = ImportScreen(ImportKind.MEMBERS, "learning.add_membership", MembersImport, import_members_task)
