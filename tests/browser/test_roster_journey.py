"""An administrator records results on a finished course date's roster, sees how many certifications and result
emails issuing will make, confirms, and finds the certifications on the roster."""

import pytest
from django.core import mail
from django.utils import timezone

from learning.models import Booking, CourseIndexPage
from tests.factories import PASSWORD, UserFactory, make_course, make_course_date

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]


def test_administrator_records_results_confirms_and_issues(page, live_server, artifacts_dir):
    from home.models import HomePage

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    course = make_course(catalogue, "ALS1", attendance_required=100)
    # The course ran over the last two days: results may be recorded and certifications issued today.
    course_date = make_course_date(course, starts_in_days=-2, days=2)
    passer, absentee = (
        Booking.objects.create(course_date=course_date, participant=UserFactory(last_name=name), status="confirmed")
        for name in ("Adeyemi", "Brennan")
    )
    UserFactory(email="office@example.org", is_staff=True, is_superuser=True)
    mail.outbox.clear()

    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Email address").fill("office@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    page.goto(f"{live_server.url}/admin/course-dates/{course_date.pk}/roster/")
    page.get_by_test_id(f"roster-{passer.pk}").locator("input[name$='attendance_percent']").fill("100")
    page.get_by_test_id(f"roster-{absentee.pk}").locator("input[name$='attendance_percent']").fill("50")
    page.get_by_role("button", name="Issue certifications to everyone who passed").click()

    page.wait_for_url(f"**/admin/course-dates/{course_date.pk}/issue/")
    summary = page.get_by_test_id("issue-summary").inner_text()
    assert summary == "1 certification will be issued and 2 result emails sent."
    assert not passer.participant.certifications.exists()
    page.screenshot(path=artifacts_dir / "roster-confirm-issue.png", full_page=True)
    page.get_by_role("button", name="Issue 1 certification and send 2 emails").click()

    page.wait_for_url(f"**/admin/course-dates/{course_date.pk}/roster/")
    assert "1 certification issued; 2 result emails sent." in page.locator("main").inner_text()
    certification = passer.participant.certifications.get()
    assert certification.issued_on == timezone.localdate()
    assert certification.number in page.get_by_test_id(f"roster-{passer.pk}").inner_text()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [passer.participant.email, absentee.participant.email]
    )
