"""Registers with Wagtail: the register's admin screens and their stylesheet, the organisations' screens, the
import pages, the dashboard chart, the public document collections, and the gate every document download passes."""

from django.core.exceptions import PermissionDenied
from django.templatetags.static import static
from django.urls import include, path
from django.utils.html import format_html
from wagtail import hooks

from learning.accounts.admin import ParticipantViewSet
from learning.bookings.admin import (
    CourseDateViewSet,
    course_date_cancel_booking_view,
    course_date_issue_view,
    course_date_roster_csv_view,
    course_date_roster_view,
    course_date_sign_in_sheet_view,
)
from learning.catalogue.admin import refuse_copying_courses
from learning.common.admin import MenuGroup
from learning.continuing_education.admin import ContinuingEducationViewSet, ce_evidence_view
from learning.materials.admin import PublicCollectionViewSet
from learning.materials.documents import document_gate
from learning.materials.entitlement import sends_to_sign_in
from learning.organisations.admin import (
    MEMBERS_IMPORT_SCREEN,
    GroupBookingViewSet,
    MembershipViewSet,
    OrganisationViewSet,
    group_booking_invoice_view,
    group_booking_mark_paid_view,
)
from learning.register.admin import CERTIFICATION_IMPORT_SCREEN, CertificationViewSet, ExpiryChartPanel
from learning.register.import_admin import ImportViewSet


@hooks.register("register_admin_viewset")
def register_register_menu():
    # One "Register" menu for the training office, each screen owned by its domain package.
    return MenuGroup(
        "Register",
        "list-ul",
        200,
        ParticipantViewSet("participants"),
        CourseDateViewSet("course_dates"),
        CertificationViewSet("certifications"),
        ContinuingEducationViewSet("continuing_education"),
    )


@hooks.register("register_admin_viewset")
def register_organisation_menu():
    # The employers' screens, after the register's.
    return MenuGroup(
        "Organisations",
        "home",
        210,
        OrganisationViewSet("organisations"),
        MembershipViewSet("organisation_members"),
        GroupBookingViewSet("group_bookings"),
        ImportViewSet("members_import", screen=MEMBERS_IMPORT_SCREEN, url_prefix="organisation_members/import"),
    )


@hooks.register("register_admin_viewset")
def register_certification_import():
    # A menu item of its own, after the Register and Organisations menus.
    return ImportViewSet(
        "certification_import",
        screen=CERTIFICATION_IMPORT_SCREEN,
        url_prefix="certifications/import",
        add_to_admin_menu=True,
        menu_order=220,
    )


# Each package's admin pages beyond its viewset: a date's roster and results, CE evidence, a group booking's
# invoice and its payment.
COURSE_DATE_URLS = [
    path("roster/", course_date_roster_view, name="course_date_roster"),
    path("roster.csv", course_date_roster_csv_view, name="course_date_roster_csv"),
    path("sign-in-sheet.pdf", course_date_sign_in_sheet_view, name="course_date_sign_in_sheet"),
    path("issue/", course_date_issue_view, name="course_date_issue"),
    path("bookings/<int:booking_id>/cancel/", course_date_cancel_booking_view, name="course_date_cancel_booking"),
]
GROUP_BOOKING_URLS = [
    path("invoice.pdf", group_booking_invoice_view, name="group_booking_admin_invoice"),
    path("mark-paid/", group_booking_mark_paid_view, name="group_booking_mark_paid"),
]


@hooks.register("register_admin_urls")
def register_urls():
    return [
        path("course-dates/<int:date_id>/", include(COURSE_DATE_URLS)),
        path("continuing-education/<int:activity_id>/evidence/", ce_evidence_view, name="ce_evidence"),
        path("group-bookings/<int:group_booking_id>/", include(GROUP_BOOKING_URLS)),
    ]


@hooks.register("insert_global_admin_css")
def register_stylesheet():
    return format_html('<link rel="stylesheet" href="{}">', static("learning/admin/register.css"))


@hooks.register("construct_homepage_panels")
def add_expiry_chart(request, panels):
    if request.user.has_perm("learning.view_certification"):
        panels.append(ExpiryChartPanel())


# Before Wagtail's own check of the collection's Privacy setting, which sends even a signed-in reader to sign in.
@hooks.register("before_serve_document", order=-1)
def guard_document(document, request):
    return document_gate(document, request)


# Outermost (the lowest order wraps last), so that it sees what Wagtail's own Privacy check answered.
@hooks.register("on_serve_page", order=-1)
def refuse_signed_in_outsiders_of_a_page(serve_next):
    """Wagtail answers a page's Privacy setting "some groups" by sending even a signed-in reader to sign in, whom
    the sign-in sends straight back. A signed-in reader sent to sign in is refused with the site's 403 page
    instead; this costs no query, since Wagtail's check has read the restrictions already."""

    def serve(page, request, args, kwargs):
        response = serve_next(page, request, args, kwargs)
        if sends_to_sign_in(response) and request.user.is_authenticated:
            raise PermissionDenied("This page is private to some groups; your account is not in them.")
        return response

    return serve


@hooks.register("register_admin_viewset")
def register_public_collections():
    return PublicCollectionViewSet("public_collections")


# A course's code is unique and its register belongs to it: courses are not copied (nor aliased).
hooks.register("before_copy_page", refuse_copying_courses)
