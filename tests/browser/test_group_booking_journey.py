"""A demo manager signs in, narrows My team to the members who are expiring and not booked, books two of them onto
an ALS2 date on a purchase order, and sees them booked: on the group booking (with its invoice) and on My team.
The booking form and the group booking meet WCAG 2.1 AA."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from learning.models import CourseDate, CoursePage, Membership, Organisation, User
from learning.register.services import add_months, certification_issue
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import axe_source, violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]

__all__ = ["axe_source"]  # the fixture, used by name


def a_second_critical_care_nurse_expiring() -> User:
    """Beside the demo's Ben (ALS2 expiring, not booked): Grace, whose ALS2 expires in 40 days, ALS1 current."""
    today = timezone.localdate()
    grace = UserFactory(email="grace.lee@example.com", first_name="Grace", last_name="Lee")
    Membership.objects.create(organisation=Organisation.objects.get(name="Critical Care Unit"), participant=grace)
    als1, als2 = CoursePage.objects.get(code="ALS1"), CoursePage.objects.get(code="ALS2")
    certification_issue(participant=grace, course=als1, issued_on=today - datetime.timedelta(days=100))
    expires_on = today + datetime.timedelta(days=40)
    certification_issue(participant=grace, course=als2, issued_on=add_months(expires_on, -24), expires_on=expires_on)
    return grace


def test_a_manager_books_two_expiring_members_on_a_purchase_order(page, live_server, artifacts_dir, axe_source):
    call_command("load_demo", quiet_accounts=True)
    ben, grace = User.objects.get(email="ben@example.com"), a_second_critical_care_nurse_expiring()
    roomy_date = CourseDate.objects.filter(course__code="ALS2").order_by("-starts_on").first()  # 12 seats
    sign_in(page, live_server, "trust.manager@example.com")

    page.get_by_test_id("my-team-link").click()
    page.get_by_label("Show").select_option(label="Expiring within 90 days")
    page.get_by_label("Not booked").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/portal/team/?*state=90*not_booked=on*")
    assert page.get_by_test_id("team-count").inner_text() == "(2)"

    page.get_by_label("Choose Ben Okafor").check()
    page.get_by_label("Choose Grace Lee").check()
    page.get_by_test_id("book-chosen").click()
    page.wait_for_url("**/portal/team/group-bookings/new/?*")
    assert violations(page, page.url, axe_source) == []
    book_on_a_purchase_order(page, roomy_date, "RHT-PO-2026-118", artifacts_dir)

    page.wait_for_url("**/portal/team/group-bookings/*/")
    assert "2 with a seat" in page.locator("main").inner_text()
    assert page.get_by_test_id("purchase-order").inner_text() == "RHT-PO-2026-118"
    for person in (ben, grace):
        assert page.get_by_test_id(f"place-{person.pk}").get_attribute("data-status") == "confirmed"
    page.screenshot(path=artifacts_dir / "group-booking.png", full_page=True)
    with page.expect_download() as invoice:
        page.get_by_test_id("invoice-link").click()
    assert invoice.value.suggested_filename.startswith("invoice-GB-")
    invoice.value.save_as(artifacts_dir / "group-booking-invoice.pdf")
    assert violations(page, page.url, axe_source) == []

    page.goto(live_server.url + "/portal/team/?state=90&not_booked=on")
    assert page.get_by_test_id("team-count").inner_text() == "(0)"
    page.goto(live_server.url + "/portal/team/?state=90")
    for person in (ben, grace):
        assert "Booked: ALS2" in page.get_by_test_id(f"standing-{person.pk}-ALS2").inner_text()


def book_on_a_purchase_order(page, course_date, purchase_order: str, artifacts_dir) -> None:
    """Fills the group-booking form (the members are ticked already) and books, all or nothing."""
    page.get_by_label("Course date").select_option(value=str(course_date.pk))
    page.get_by_label("Purchase-order number").fill(purchase_order)
    page.get_by_label("All or nothing").check()
    page.screenshot(path=artifacts_dir / "group-booking-form.png", full_page=True)
    page.get_by_role("button", name="Book", exact=True).click()
