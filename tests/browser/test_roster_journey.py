"""An administrator records results on a finished course date's roster, sees how many certifications and result
emails issuing will make, confirms, and finds the certifications on the roster; and, on a course that is running,
comes to its roster from the course dates, marks everyone attended, records each assessment the course requires by
its label, and downloads the roster."""

import csv
import io

import pytest
from django.core import mail
from django.utils import timezone

from learning.models import Booking, CourseIndexPage
from tests.browser.conftest import sign_in_to_the_admin
from tests.factories import UserFactory, make_course, make_course_date

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]


def make_catalogue():
    from home.models import HomePage

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    return catalogue


def test_administrator_records_results_confirms_and_issues(page, live_server, artifacts_dir):
    course = make_course(make_catalogue(), "ALS1", attendance_required=100)
    # The course ran over the last two days: results may be recorded and certifications issued today.
    course_date = make_course_date(course, starts_in_days=-2, days=2)
    passer, absentee = (
        Booking.objects.create(course_date=course_date, participant=UserFactory(last_name=name), status="confirmed")
        for name in ("Adeyemi", "Brennan")
    )
    mail.outbox.clear()

    sign_in_to_the_admin(page, live_server)
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


def test_administrator_marks_everyone_attended_and_records_each_assessment(page, live_server, artifacts_dir):
    course = make_course(
        make_catalogue(), "ALS2", attendance_required=100, written_exam_pass_mark=85, requires_practical_assessment=True
    )
    # The second and last day is today: results may be recorded, certifications not issued yet.
    course_date = make_course_date(course, starts_in_days=-1, days=2, venue="Simulation Suite")
    ann, bo = (
        Booking.objects.create(
            course_date=course_date, participant=UserFactory(first_name=first, last_name=last), status="confirmed"
        )
        for first, last in (("Ann", "Lee"), ("Bo", "Chen"))
    )

    sign_in_to_the_admin(page, live_server)
    page.goto(live_server.url + "/admin/course_dates/")
    page.screenshot(path=artifacts_dir / "course-dates.png", full_page=True)
    page.get_by_role("link", name="Roster (2)").click()
    page.wait_for_url(f"**/admin/course-dates/{course_date.pk}/roster/")
    page.get_by_role("button", name="Mark all attended").click()
    assert "Attendance of 100% recorded for 2 participants." in page.locator("main").inner_text()
    assert page.get_by_label("Attendance for Ann Lee").input_value() == "100"
    page.get_by_label("Written exam score for Ann Lee").fill("90")
    page.get_by_label("Practical assessment for Ann Lee").select_option(label="Passed")
    page.get_by_label("Written exam score for Bo Chen").fill("90")
    page.get_by_label("Practical assessment for Bo Chen").select_option(label="Not passed")
    page.get_by_role("button", name="Save results").click()

    assert "Results saved." in page.locator("main").inner_text()
    assert page.get_by_test_id(f"result-{ann.pk}").inner_text().lower() == "pass"
    assert page.get_by_test_id(f"result-{bo.pk}").inner_text().lower() == "fail"
    page.screenshot(path=artifacts_dir / "roster-assessments.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the roster (CSV)").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [(row[0], row[-3], row[-2]) for row in rows[1:]] == [
        ("Chen", "Not passed", "Fail"),
        ("Lee", "Passed", "Pass"),
    ]
    page.get_by_role("link", name="All course dates").click()
    page.wait_for_url("**/admin/course_dates/")
