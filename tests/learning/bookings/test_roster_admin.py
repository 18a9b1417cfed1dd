"""The training office's course dates in the admin: the listing leads to each date's edit screen and roster; the
roster labels every input with whose it is, leads back, marks everyone attended, and prints a sign-in sheet and a
CSV that no spreadsheet runs as a formula."""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.utils import timezone
from pypdf import PdfReader

from learning.models import Booking, Certification
from tests.factories import CertificationFactory, UserFactory, make_course, make_course_date

pytestmark = pytest.mark.django_db


def running(course, **fields):
    """A date of `course` whose first day is today: results may be recorded, certifications not issued yet."""
    return make_course_date(course, starts_in_days=0, **fields)


def booked(course_date, status="confirmed", **person):
    return Booking.objects.create(course_date=course_date, participant=UserFactory(**person), status=status)


def roster_url(course_date, page="roster/"):
    return f"/admin/course-dates/{course_date.pk}/{page}"


def roster_post(rows: list[dict], **buttons) -> dict:
    """The roster form as the admin posts it: one dict of results per booking (with its `id`)."""
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), **buttons}
    for index, row in enumerate(rows):
        data.update({f"form-{index}-{name}": "" if value is None else value for name, value in row.items()})
    return data


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


# --- The course dates listing -----------------------------------------------------------------------------


def test_each_listed_date_links_to_its_edit_screen_and_its_roster(admin_client, assessed_course):
    course_date = make_course_date(assessed_course, venue="Room 9")

    listing = page_of(admin_client.get("/admin/course_dates/"))

    hrefs = [link["href"] for link in listing.select("tbody a[href]")]
    assert f"/admin/course_dates/edit/{course_date.pk}/" in hrefs
    assert roster_url(course_date) in hrefs
    assert roster_url(course_date, "sign-in-sheet.pdf") in hrefs
    assert roster_url(course_date, "roster.csv") in hrefs
    title = listing.select_one(f'tbody a[href="/admin/course_dates/edit/{course_date.pk}/"]')
    assert title.get_text(strip=True) == str(course_date)


def test_staff_who_may_not_keep_rosters_see_the_count_without_a_link_to_the_roster(client, assessed_course):
    course_date = make_course_date(assessed_course, venue="Room 9")
    booked(course_date)
    planner = UserFactory(is_staff=True)
    planner.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "change_coursedate"]))
    client.force_login(planner)

    listing = page_of(client.get("/admin/course_dates/"))

    assert roster_url(course_date) not in [link["href"] for link in listing.select("tbody a[href]")]
    assert "1 booked" in listing.get_text(" ")


# --- The roster page --------------------------------------------------------------------------------------


def test_the_roster_has_an_input_for_each_result_the_course_requires(admin_client, assessed_course, catalogue):
    aed = make_course(catalogue, "AED", attendance_required=100)
    on_als2, on_aed = booked(running(assessed_course)), booked(running(aed))

    def inputs(booking):
        page = page_of(admin_client.get(roster_url(booking.course_date)))
        row = page.select_one(f'[data-testid="roster-{booking.pk}"]')
        return [field["name"].split("-", 2)[2] for field in row.select("input:not([type=hidden]), select")]

    assert inputs(on_als2) == ["attendance_percent", "exam_score", "practical_passed", "scenario_passed"]
    assert inputs(on_aed) == ["attendance_percent"]


def test_every_roster_input_has_a_visible_label_naming_the_participant(admin_client, assessed_course):
    course_date = running(assessed_course)
    booked(course_date, first_name="Ann", last_name="Lee")
    booked(course_date, first_name="Bo", last_name="Chen")

    page = page_of(admin_client.get(roster_url(course_date)))

    form = page.select_one("form[method=post]")
    fields = form.select("input:not([type=hidden]), select")
    labels = {label["for"]: label.get_text(" ", strip=True) for label in form.select("label[for]")}
    assert len(fields) == 8
    assert all(field["id"] in labels for field in fields)
    assert sorted(labels[field["id"]] for field in fields if "Ann Lee" in labels[field["id"]]) == [
        "Attendance for Ann Lee",
        "Practical assessment for Ann Lee",
        "Scenario assessment for Ann Lee",
        "Written exam score for Ann Lee",
    ]


def test_the_roster_leads_back_to_the_course_dates_and_to_its_exports(admin_client, assessed_course):
    course_date = running(assessed_course)

    page = page_of(admin_client.get(roster_url(course_date)))

    links = {
        link.get_text(" ", strip=True): link["href"] for link in page.select('[data-testid="course-date-links"] a')
    }
    assert links == {
        "All course dates": "/admin/course_dates/",
        "Edit this course date": f"/admin/course_dates/edit/{course_date.pk}/",
        "Sign-in sheet (PDF)": roster_url(course_date, "sign-in-sheet.pdf"),
        "Download the roster (CSV)": roster_url(course_date, "roster.csv"),
    }


def test_the_roster_records_the_assessments_and_shows_the_result(admin_client, assessed_course):
    course_date = running(assessed_course)
    passer, failer = booked(course_date), booked(course_date)
    rows = [
        {
            "id": passer.pk,
            "attendance_percent": 100,
            "exam_score": 90,
            "practical_passed": "true",
            "scenario_passed": "true",
        },
        {
            "id": failer.pk,
            "attendance_percent": 100,
            "exam_score": 90,
            "practical_passed": "true",
            "scenario_passed": "false",
        },
    ]

    response = admin_client.post(roster_url(course_date), roster_post(rows, save="1"), follow=True)

    assert "Results saved." in response.content.decode()
    assert Booking.objects.get(pk=passer.pk).passed is True
    assert Booking.objects.get(pk=failer.pk).passed is False
    page = page_of(response)
    assert page.select_one(f'[data-testid="result-{passer.pk}"]').get_text(strip=True) == "Pass"
    assert page.select_one(f'[data-testid="result-{failer.pk}"]').get_text(strip=True) == "Fail"


@pytest.mark.parametrize("gone", ["cancelled", "another date's booking", "not a booking"])
def test_a_row_no_longer_on_the_roster_saves_nothing_and_keeps_what_was_typed(admin_client, assessed_course, gone):
    course_date = running(assessed_course)
    stays, leaves = booked(course_date, last_name="Ames"), booked(course_date, last_name="Baker")
    elsewhere = booked(running(assessed_course))
    typed = [
        {"id": stays.pk, "attendance_percent": 80, "exam_score": 91, "practical_passed": "true"},
        {"id": leaves.pk, "attendance_percent": 100, "exam_score": 70, "practical_passed": "false"},
    ]
    if gone == "cancelled":  # while the page was open
        Booking.objects.filter(pk=leaves.pk).update(status=Booking.CANCELLED, cancelled_at=timezone.now())
    else:
        typed[1]["id"] = elsewhere.pk if gone == "another date's booking" else "abc"

    response = admin_client.post(roster_url(course_date), roster_post(typed, save="1"))

    page = page_of(response)
    assert "Nothing was saved: 1 of the rows you sent is no longer on this roster" in page.get_text(" ")
    assert set(Booking.objects.values_list("attendance_percent", flat=True)) == {None}
    kept = page.select_one(f'[data-testid="roster-{stays.pk}"]')
    assert kept.select_one('input[name$="attendance_percent"]')["value"] == "80"
    assert kept.select_one('input[name$="exam_score"]')["value"] == "91"
    assert kept.select_one('select[name$="practical_passed"] option[selected]')["value"] == "true"


@pytest.mark.parametrize("tampering", ["an extra new row", "too many rows", "no row count"])
def test_a_form_whose_row_counts_were_changed_saves_nothing(admin_client, assessed_course, tampering):
    course_date = running(assessed_course)
    booking = booked(course_date)
    data = roster_post([{"id": booking.pk, "attendance_percent": 80}], save="1")
    if tampering == "an extra new row":
        data.update({"form-TOTAL_FORMS": "2", "form-1-attendance_percent": "50"})
    elif tampering == "too many rows":
        data.update({"form-TOTAL_FORMS": "1500", "form-INITIAL_FORMS": "1500"})
    else:
        del data["form-TOTAL_FORMS"]

    response = admin_client.post(roster_url(course_date), data)

    assert "Nothing was saved: what was sent is not this roster's form" in page_of(response).get_text(" ")
    assert Booking.objects.get(pk=booking.pk).attendance_percent is None
    assert Booking.objects.count() == 1


def test_mark_all_attended_saves_what_was_entered_and_fills_the_empty_attendances(admin_client, assessed_course):
    course_date = running(assessed_course)
    typed, left_empty, waiting = booked(course_date), booked(course_date), booked(course_date, status="waitlisted")
    rows = [{"id": typed.pk, "attendance_percent": 60}, {"id": left_empty.pk, "attendance_percent": None}]

    response = admin_client.post(roster_url(course_date), roster_post(rows, mark_all_attended="1"), follow=True)

    assert response.redirect_chain == [(roster_url(course_date), 302)]
    assert "Attendance of 100% recorded for 1 participant." in response.content.decode()
    attendance = dict(Booking.objects.values_list("pk", "attendance_percent"))
    assert attendance == {typed.pk: 60, left_empty.pk: 100, waiting.pk: None}


def test_mark_all_attended_is_refused_before_the_first_day(admin_client, assessed_course):
    course_date = make_course_date(assessed_course, starts_in_days=4)
    booking = booked(course_date)

    response = admin_client.post(
        roster_url(course_date), roster_post([{"id": booking.pk}], mark_all_attended="1"), follow=True
    )

    assert "can be recorded from its first day" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).attendance_percent is None


# --- The CSV --------------------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_holds_each_confirmed_participant_with_their_results(admin_client, assessed_course):
    course_date = running(assessed_course)
    lee = booked(course_date, first_name="Ann", last_name="Lee", registration_number="NMC 12A", employer="St Mary's")
    booked(course_date, first_name="Bo", last_name="Chen", email="bo@example.org")
    booked(course_date, last_name="Waiting", status="waitlisted")
    Booking.objects.filter(pk=lee.pk).update(
        attendance_percent=100, exam_score=90, practical_passed=True, scenario_passed=True
    )
    certification = CertificationFactory(participant=lee.participant, course=assessed_course, number="ALS2-2026-000777")
    Booking.objects.filter(pk=lee.pk).update(certification=certification)

    response = admin_client.get(roster_url(course_date, "roster.csv"))

    assert response["Content-Disposition"] == f'attachment; filename="als2-{course_date.starts_on}-roster.csv"'
    assert csv_rows(response) == [
        ["Last name", "First name", "Email", "Registration number", "Employer", "Attendance %", "Written exam %",
         "Practical assessment", "Scenario assessment", "Result", "Certification"],
        ["Chen", "Bo", "bo@example.org", "", "", "", "", "", "", "", ""],
        ["Lee", "Ann", lee.participant.email, "NMC 12A", "St Mary's", "100", "90", "Passed", "Passed", "Pass",
         "ALS2-2026-000777"],
    ]  # fmt: skip


def test_no_csv_cell_can_run_as_a_formula(admin_client, assessed_course):
    course_date = running(assessed_course)
    booked(course_date, first_name="=HYPERLINK(\"https://evil.example\")", last_name="-2+3", employer="@SUM(A1:A9)",
           registration_number="+44 1234")  # fmt: skip

    [_, row] = csv_rows(admin_client.get(roster_url(course_date, "roster.csv")))

    assert row[:5] == ["'-2+3", '\'=HYPERLINK("https://evil.example")', row[2], "'+44 1234", "'@SUM(A1:A9)"]


# --- The sign-in sheet ----------------------------------------------------------------------------------------


def sheet(admin_client, course_date) -> PdfReader:
    response = admin_client.get(roster_url(course_date, "sign-in-sheet.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def test_the_sign_in_sheet_has_the_course_facts_and_a_row_per_confirmed_participant(admin_client, assessed_course):
    course_date = running(assessed_course, venue="Simulation Suite", instructors=2)
    booked(course_date, first_name="Ann", last_name="Lee", registration_number="NMC 12A", employer="St Mary's")
    booked(course_date, first_name="Bo", last_name="Chen", registration_number="GMC 7", employer="City Hospital")
    booked(course_date, first_name="Cy", last_name="Waiting", status="waitlisted")

    reader = sheet(admin_client, course_date)

    [page] = reader.pages
    text = page.extract_text()
    for expected in (
        "Sign-in sheet",
        "ALS2 (Advanced Advanced Life Support)",
        f"{course_date.starts_on:%-d %B %Y} (1 day)",
        "08:30 to 17:00 each day",
        "Simulation Suite",
        "Instructors",
        "Registration number",
        "Employer",
        "Signature",
        "Ann Lee",
        "NMC 12A",
        "St Mary's",
        "Bo Chen",
        "GMC 7",
        "City Hospital",
    ):
        assert expected in text, expected
    assert text.index("Bo Chen") < text.index("Ann Lee")  # by last name, as on the roster
    assert "Waiting" not in text
    assert reader.metadata.title == f"Sign-in sheet: {course_date}"


def test_the_sign_in_sheet_has_a_sheet_for_each_day(admin_client, assessed_course):
    course_date = running(assessed_course, days=3)
    booked(course_date, first_name="Ann", last_name="Lee")

    pages = [page.extract_text() for page in sheet(admin_client, course_date).pages]

    assert len(pages) == 3
    for day, text in enumerate(pages, start=1):
        assert f"Day {day} of 3" in text and "Ann Lee" in text


def test_a_long_sign_in_sheet_repeats_its_headings_on_every_page(admin_client, assessed_course):
    course_date = running(assessed_course, instructors=8)
    for number in range(40):
        booked(course_date, first_name="Person", last_name=f"N{number:02d}")

    pages = [page.extract_text() for page in sheet(admin_client, course_date).pages]

    assert len(pages) >= 2
    assert all("Signature" in text for text in pages)
    assert sum(text.count("Person N") for text in pages) == 40


def test_a_name_is_printed_as_written_not_read_as_markup(admin_client, assessed_course):
    course_date = running(assessed_course)
    booked(course_date, first_name="<b>Ann</b> &", last_name="Lee")

    text = sheet(admin_client, course_date).pages[0].extract_text()

    assert "<b>Ann</b> & Lee" in text


# --- Who may see them ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["roster/", "roster.csv", "sign-in-sheet.pdf"])
def test_the_roster_and_its_exports_need_permission_to_keep_rosters(client, assessed_course, page):
    course_date = running(assessed_course)
    booked(course_date)
    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)

    response = client.get(roster_url(course_date, page))

    # The admin answers a refused permission with its home page and a message, not with the data.
    assert (response.status_code, response.url) == (302, "/admin/")


def test_keeping_rosters_does_not_let_anyone_issue_certifications(client, assessed_course):
    course_date = make_course_date(assessed_course, starts_in_days=-2)  # over: issuing is open
    booking = booked(course_date)
    Booking.objects.filter(pk=booking.pk).update(
        attendance_percent=100, exam_score=90, practical_passed=True, scenario_passed=True
    )
    instructor = UserFactory(is_staff=True)
    instructor.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "change_booking"]))
    client.force_login(instructor)

    roster = page_of(client.get(roster_url(course_date)))
    issued = client.post(roster_url(course_date, "issue/"), {"certifications": "1", "emails": "1"})
    through_the_roster = client.post(roster_url(course_date), roster_post([{"id": booking.pk}], issue="1"), follow=True)

    assert roster.select_one('button[name="issue"]') is None
    assert "an administrator issues them" in roster.get_text(" ")
    assert (issued.status_code, issued.url) == (302, "/admin/")
    assert "Issuing certifications needs the permission to add them" in through_the_roster.content.decode()
    assert not Certification.objects.exists()
    instructor.user_permissions.add(Permission.objects.get(codename="add_certification"))
    assert page_of(client.get(roster_url(course_date))).select_one('button[name="issue"]') is not None


# --- The training office cancels bookings -----------------------------------------------------------------


def test_the_office_cancels_a_booking_from_the_roster_after_the_participants_cut_off(
    admin_client, als1, django_capture_on_commit_callbacks, mailoutbox
):
    course_date = make_course_date(als1, starts_in_days=2, instructors=1)  # past the participant's cut-off
    seated = [booked(course_date) for _ in range(6)]
    waiting = booked(course_date, status="waitlisted", first_name="Wendy", last_name="Wait")

    roster = admin_client.get(roster_url(course_date)).content.decode()
    confirm = admin_client.get(roster_url(course_date, f"bookings/{seated[0].pk}/cancel/")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(roster_url(course_date, f"bookings/{seated[0].pk}/cancel/"), follow=True)

    assert f'data-testid="cancel-{seated[0].pk}"' in roster and f'data-testid="cancel-{waiting.pk}"' in roster
    assert "The seat goes to the first on the waiting list, Wendy Wait, who is emailed." in confirm
    assert f"{seated[0].participant}: booking cancelled, and emailed. Wendy Wait moved in from the waiting list." in (
        response.content.decode()
    )
    assert Booking.objects.get(pk=seated[0].pk).status == "cancelled"
    assert Booking.objects.get(pk=waiting.pk).status == "confirmed"
    subjects = {message.to[0]: message.subject for message in mailoutbox}
    assert subjects[seated[0].participant.email].startswith("Cancelled:")
    assert subjects[waiting.participant.email].startswith("A place is free")


def test_a_booking_with_results_stays_and_another_dates_booking_is_not_found(admin_client, als1):
    course_date = running(als1)
    attended = booked(course_date)
    Booking.objects.filter(pk=attended.pk).update(attendance_percent=100)
    elsewhere = booked(make_course_date(als1, starts_in_days=30))

    refused = admin_client.post(roster_url(course_date, f"bookings/{attended.pk}/cancel/"), follow=True)
    not_found = admin_client.get(roster_url(course_date, f"bookings/{elsewhere.pk}/cancel/"))

    assert "has results recorded on this date, so the booking stays on its record." in refused.content.decode()
    assert Booking.objects.get(pk=attended.pk).status == "confirmed"
    assert not_found.status_code == 404


def test_only_staff_who_keep_rosters_cancel_bookings(client, als1):
    course_date = make_course_date(als1, starts_in_days=30)
    booking = booked(course_date)
    planner = UserFactory()
    planner.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "change_coursedate"]))
    client.force_login(planner)

    response = client.post(roster_url(course_date, f"bookings/{booking.pk}/cancel/"))

    assert (response.status_code, response.url) == (302, "/admin/")  # Wagtail's "no permission"
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"
