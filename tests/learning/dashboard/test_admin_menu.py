"""The training office finds the register under one "Register" menu: participants, course dates, certifications
and continuing education."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu

pytestmark = pytest.mark.django_db

REGISTER = ["Participants", "Course dates", "Certifications", "Continuing education"]


def items(menu, user):
    reverse("wagtailadmin_home")  # the admin's URLs register the viewsets and their menu items
    request = RequestFactory().get("/admin/")
    request.user = user
    return menu.menu_items_for_request(request)


def test_the_register_screens_are_grouped_under_one_menu(admin_user):
    [register] = [item for item in items(admin_menu, admin_user) if item.label == "Register"]

    assert [item.label for item in items(register.menu, admin_user)] == REGISTER


def test_the_register_screens_are_not_also_top_level_items(admin_user):
    top_level = {item.label for item in items(admin_menu, admin_user)}

    assert "Register" in top_level
    assert not set(REGISTER) & top_level
