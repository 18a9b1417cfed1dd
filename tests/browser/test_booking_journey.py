"""A participant with an expiring ALS2 opens the course page, books a date, sees it on My portal, cancels it."""

import pytest
from django.core.management import call_command

from home.demo import DEMO_PASSWORD
from learning.models import Booking, CourseDate

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]


def test_participant_books_an_als2_date_sees_it_and_cancels_it(page, live_server, artifacts_dir):
    call_command("load_demo", quiet_accounts=True)
    course_date = CourseDate.objects.filter(course__code="ALS2").order_by("starts_on").first()

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("ben@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")

    page.get_by_role("link", name="Courses").first.click()
    page.get_by_role("link", name="About ALS2").click()
    page.get_by_role("link", name="Book your ALS2 course").first.click()
    page.get_by_test_id(f"course-date-{course_date.pk}").get_by_role("link", name="Book").click()
    assert page.get_by_test_id("seats-left").inner_text() == "1 of 6"
    page.get_by_role("button", name="Confirm booking").click()

    page.wait_for_url("**/portal/")
    booking = Booking.objects.get(participant__email="ben@example.com")
    item = page.get_by_test_id(f"booking-{booking.pk}")
    assert "Confirmed" in item.inner_text()
    page.screenshot(path=artifacts_dir / "booking-confirmed.png", full_page=True)

    with page.expect_download() as calendar:
        item.get_by_role("link", name="Add to calendar").click()
    assert calendar.value.suggested_filename.endswith(".ics")

    item.get_by_role("link", name="Cancel booking").click()
    assert "Cancel your booking?" in page.get_by_test_id("cancel-confirmation").inner_text()
    page.get_by_role("button", name="Cancel my booking").click()
    page.wait_for_url("**/portal/")
    assert "is cancelled" in page.locator("main").inner_text()
    assert page.get_by_test_id(f"booking-{booking.pk}").count() == 0
    booking.refresh_from_db()
    assert booking.status == "cancelled"
