"""Administrators manage organisations in the admin: an employer and its departments with their required courses
and managers, under one "Organisations" menu; its members (filtered by organisation, confirmed by the employer or
not) in their own screen, with a formula-safe export; and no organisation under its own department."""

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu

from learning.models import ManagerRole, Membership, Organisation, RequiredCourse
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def menu_labels(menu, user):
    reverse("wagtailadmin_home")  # the admin's URLs register the viewsets and their menu items
    request = RequestFactory().get("/admin/")
    request.user = user
    return {item.label: item for item in menu.menu_items_for_request(request)}


def test_the_organisation_screens_have_a_menu_of_their_own(admin_user):
    top_level = menu_labels(admin_menu, admin_user)

    assert list(menu_labels(top_level["Organisations"].menu, admin_user)) == [
        "Organisations",
        "Members",
        "Group bookings",
        "Import members",
    ]


def add_data(**fields):
    """The add form as the admin posts it, with inline forms for the required courses and the managers."""
    data = {
        "name": "",
        "parent": "",
        "invoice_address": "",
        "purchase_order_contact": "",
        "purchase_order_email": "",
    }
    for inline in ("required_courses", "manager_roles"):
        data.update({f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0", f"{inline}-MIN_NUM_FORMS": "0"})
        data[f"{inline}-MAX_NUM_FORMS"] = "1000"
    return {**data, **fields}


def test_an_administrator_adds_a_department_with_its_required_course_and_manager(admin_client, trust, als1):
    boss = UserFactory()

    response = admin_client.post(
        "/admin/organisations/new/",
        add_data(
            name="Emergency Department",
            parent=trust.pk,
            invoice_address="Finance, Riverside General",
            **{"required_courses-TOTAL_FORMS": "1", "required_courses-0-course": als1.pk},
            **{"manager_roles-TOTAL_FORMS": "1", "manager_roles-0-user": boss.pk},
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    department = Organisation.objects.get(name="Emergency Department")
    assert department.parent == trust
    assert list(RequiredCourse.objects.filter(organisation=department).values_list("course", flat=True)) == [als1.pk]
    assert ManagerRole.objects.get(organisation=department).user == boss


def test_a_second_organisation_of_the_same_name_is_refused_ignoring_case(admin_client, trust):
    response = admin_client.post("/admin/organisations/new/", add_data(name="riverside hospitals nhs trust"))

    assert response.status_code == 200
    assert "An organisation with this name exists already." in response.content.decode()
    assert Organisation.objects.count() == 1


def test_two_trusts_may_each_have_an_emergency_department(trust, emergency, elsewhere):
    other = Organisation(name="Emergency Department", parent=elsewhere)

    other.full_clean()


def test_an_organisation_cannot_be_placed_under_its_own_department(trust, emergency):
    ward = OrganisationFactory(name="Resus bay", parent=emergency)
    trust.parent = ward

    with pytest.raises(ValidationError, match="cannot be a department of itself"):
        trust.full_clean()


def test_an_organisation_with_departments_is_not_deleted_and_the_administrator_is_told_why(admin_client, emergency):
    trust = emergency.parent

    response = admin_client.post(f"/admin/organisations/delete/{trust.pk}/", follow=True)

    assert Organisation.objects.filter(pk=trust.pk).exists()
    assert "it has departments (Emergency Department)" in response.content.decode()


def test_an_organisation_without_departments_is_deleted_with_its_memberships(admin_client, emergency):
    MembershipFactory(organisation=emergency)

    admin_client.post(f"/admin/organisations/delete/{emergency.pk}/")

    assert not Organisation.objects.filter(pk=emergency.pk).exists()
    assert not Membership.objects.exists()


def test_the_organisations_list_counts_and_links_their_members(admin_client, emergency):
    MembershipFactory.create_batch(3, organisation=emergency)

    html = admin_client.get("/admin/organisations/").content.decode()

    assert f'href="/admin/organisation_members/?organisation={emergency.pk}">3 members</a>' in html


def test_the_members_screen_filters_by_organisation(admin_client, emergency, elsewhere):
    here, there = MembershipFactory(organisation=emergency), MembershipFactory(organisation=elsewhere)

    html = admin_client.get(f"/admin/organisation_members/?organisation={emergency.pk}").content.decode()

    assert here.participant.email in html
    assert there.participant.email not in html


def test_an_administrator_adds_a_member_confirmed_by_the_employer(admin_client, emergency):
    nurse = UserFactory()

    response = admin_client.post(
        "/admin/organisation_members/new/",
        {"organisation": emergency.pk, "participant": nurse.pk, "employer_verified": "on"},
    )

    assert response.status_code == 302
    assert Membership.objects.get(participant=nurse).employer_verified


def test_the_members_export_writes_no_formula(admin_client, emergency):
    MembershipFactory(organisation=emergency, participant=UserFactory(first_name="=cmd|' /C calc'!A0"))

    response = admin_client.get("/admin/organisation_members/?export=csv")

    [row] = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert row["First name"] == "'=cmd|' /C calc'!A0"
    assert row["Organisation"] == "Emergency Department"


def test_the_members_confirmed_column_reads_yes_or_no_to_a_screen_reader(admin_client):
    MembershipFactory(employer_verified=True)
    MembershipFactory(employer_verified=False)

    html = admin_client.get("/admin/organisation_members/").content.decode()

    assert html.count('<span class="w-sr-only">Yes</span>') == 1
    assert html.count('<span class="w-sr-only">No</span>') == 1
    assert not re.search(r'class="w-sr-only">\s*(True|False)\s*<', html)  # what Wagtail's own cell says
