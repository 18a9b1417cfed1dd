"""My team as a manager uses it: every member with each required course's status, expiry, days left and booking;
the filters; the compliance rate per course; the CSV of exactly the filtered list, safe to open in a spreadsheet;
and a constant number of queries whatever the number of members."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from tests.learning.organisations.helpers import book, certify, exported, manager, member, require

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def boss(client, emergency, als1, als2, today):
    """The emergency department's manager, signed in; the department requires ALS1 and ALS2."""
    require(emergency, als1, als2)
    person = manager(emergency)
    client.force_login(person)
    return person


def rows_of(response) -> list[dict]:
    return exported(response)


def test_each_member_shows_status_expiry_days_left_and_booking(client, boss, emergency, als1, today):
    nurse = member(emergency, first_name="Nia", last_name="Jones")
    certification = certify(nurse, als1, expires_in=25, today=today)
    booking = book(nurse, als1, starts_in=10, today=today)

    html = client.get("/portal/team/").content.decode()

    cell = html.split(f'data-testid="standing-{nurse.pk}-ALS1"')[1].split("</td>")[0]
    assert "Expiring" in cell
    assert f"{certification.expires_on:%-d %b %Y}" in cell
    assert "25 days left" in cell
    assert f"Booked: ALS1 {booking.course_date.starts_on:%-d %b %Y}" in cell
    never = html.split(f'data-testid="standing-{nurse.pk}-ALS2"')[1].split("</td>")[0]
    assert "Never certified" in never and "Not booked" in never


def test_the_compliance_rate_of_each_course_is_shown(client, boss, emergency, als1, today):
    for expires_in in (100, 200, -5):
        certify(member(emergency), als1, expires_in=expires_in, today=today)
    member(emergency)

    html = client.get("/portal/team/").content.decode()

    rate = html.split('data-testid="rate-ALS1"')[1].split("</li>")[0]
    assert "50% · 2 of 4 hold it" in rate


def test_the_not_compliant_filter_narrows_the_page_and_the_export_alike(client, boss, emergency, als1, als2, today):
    holder = member(emergency, last_name="Holder")
    certify(holder, als2, expires_in=300, today=today)  # ALS2 stands for ALS1 too
    lapsed = member(emergency, last_name="Lapsed")
    certify(lapsed, als1, expires_in=-1, today=today)

    page = client.get("/portal/team/?state=non_compliant").content.decode()
    export = rows_of(client.get("/portal/team/export.csv?state=non_compliant"))

    assert lapsed.email in page and holder.email not in page
    assert {row["Email"] for row in export} == {lapsed.email}
    assert [(row["Course"], row["Status"]) for row in export] == [("ALS1", "Lapsed"), ("ALS2", "Never certified")]


def test_the_course_filter_shows_and_exports_only_that_course(client, boss, emergency, als1, als2, today):
    nurse = member(emergency)
    certify(nurse, als1, expires_in=20, today=today)

    export = rows_of(client.get(f"/portal/team/export.csv?course={als1.pk}&state=30"))

    assert [(row["Email"], row["Course"], row["Days left"]) for row in export] == [(nurse.email, "ALS1", "20")]


def test_the_export_link_carries_the_filters(client, boss, emergency):
    member(emergency)

    html = client.get("/portal/team/?state=60&not_booked=on").content.decode()

    assert 'href="/portal/team/export.csv?state=60&amp;not_booked=on"' in html
    assert 'href="/portal/team/export.xlsx?state=60&amp;not_booked=on"' in html


def test_the_excel_export_holds_the_same_lines_as_the_csv(client, boss, emergency, als1, today):
    nurse = member(emergency, first_name="Nia", last_name="Jones")
    certify(nurse, als1, expires_in=25, today=today)
    other = member(emergency, first_name="Ola", last_name="Berg")

    csv_lines = rows_of(client.get("/portal/team/export.csv?state=non_compliant"))
    xlsx_lines = rows_of(client.get("/portal/team/export.xlsx?state=non_compliant"))

    assert xlsx_lines == csv_lines
    assert {line["Email"] for line in xlsx_lines} == {nurse.email, other.email}


def test_the_export_writes_no_formula(client, boss, emergency):
    member(emergency, first_name='=HYPERLINK("http://evil.example")', last_name="@SUM(A1)")

    [row] = [row for row in rows_of(client.get("/portal/team/export.csv")) if row["Course"] == "ALS1"]

    assert row["First name"] == '\'=HYPERLINK("http://evil.example")'
    assert row["Last name"] == "'@SUM(A1)"


def test_the_excel_export_keeps_a_formula_as_text(client, boss, emergency):
    member(emergency, first_name='=HYPERLINK("http://evil.example")')

    body = b"".join(client.get("/portal/team/export.xlsx").streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    [cell] = [row[1] for row in sheet.iter_rows(min_row=2) if row[4].value == "ALS1"]

    assert cell.value == '=HYPERLINK("http://evil.example")'
    assert cell.data_type == "s" and cell.quotePrefix


def test_the_export_lists_a_member_with_nothing_required_once(client, trust, emergency, als1, today):
    require(emergency, als1)
    boss = manager(trust)
    client.force_login(boss)
    porter = member(trust)

    export = rows_of(client.get("/portal/team/export.csv"))

    assert [(row["Email"], row["Course"]) for row in export] == [(porter.email, "")]


def test_my_portal_links_a_manager_to_my_team(client, boss):
    assert 'data-testid="my-team-link"' in client.get("/portal/").content.decode()


def test_my_portal_offers_no_team_to_a_participant(client, participant):
    client.force_login(participant)

    assert 'data-testid="my-team-link"' not in client.get("/portal/").content.decode()


def query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_members(emergency, course, today, count):
    """Members in every state: current, expiring and booked, lapsed, never certified."""
    for number in range(count):
        person = member(emergency)
        kind = number % 4
        if kind == 0:
            certify(person, course, expires_in=300, today=today)
        elif kind == 1:
            certify(person, course, expires_in=20, today=today)
            book(person, course, starts_in=10, today=today)
        elif kind == 2:
            certify(person, course, expires_in=-20, today=today)


@pytest.mark.parametrize(
    "url",
    ["/portal/team/", "/portal/team/export.csv", "/portal/team/export.xlsx", "/portal/team/?state=30&not_booked=on"],
)
def test_the_team_runs_a_constant_number_of_queries(client, boss, emergency, als1, today, url):
    add_members(emergency, als1, today, 2)
    query_count(client, url)  # the first request also fills caches (content types, site root)
    few = query_count(client, url)

    add_members(emergency, als1, today, 20)

    assert query_count(client, url) == few


def test_the_page_shows_members_a_page_at_a_time_and_the_export_holds_them_all(client, boss, emergency, monkeypatch):
    monkeypatch.setattr("learning.organisations.views.TEAM_PAGE_SIZE", 2)
    # Names no generated one contains (the signed-in manager's own name is on every page).
    for name in ("Aaquist", "Bbarlow", "Ccoleridge"):
        member(emergency, last_name=name)

    first = client.get("/portal/team/?state=non_compliant").content.decode()
    second = client.get("/portal/team/?state=non_compliant&page=2").content.decode()

    assert "Aaquist" in first and "Bbarlow" in first and "Ccoleridge" not in first
    assert 'href="?state=non_compliant&amp;page=2">Next</a>' in first
    assert "Ccoleridge" in second and "Page 2 of 2" in second
    assert len(rows_of(client.get("/portal/team/export.csv?state=non_compliant"))) == 6  # 3 members x 2 courses


def test_the_trend_shows_each_course_at_the_end_of_each_of_the_last_twelve_months(client, boss, emergency, als1, today):
    renewed = member(emergency)
    certify(renewed, als1, expires_in=200, issued_days_before=1000, today=today)  # held all year
    newcomer = member(emergency)
    certify(newcomer, als1, expires_in=1000, issued_days_before=1000, today=today)  # certified today
    member(emergency)  # never certified

    response = client.get(f"/portal/team/?course={als1.pk}")

    [trend] = response.context["trends"]
    assert [day for day, _ in trend.points][-1] == today
    assert len(trend.points) == 12 and trend.points[0][0] < today.replace(day=1) - datetime.timedelta(days=300)
    assert [percent for _, percent in trend.points] == [33] * 11 + [67]
    html = response.content.decode()
    assert 'data-testid="trend-line-ALS1"' in html and "<td>67%</td>" in html


def test_a_revoked_certification_never_counts_in_the_trend(client, boss, emergency, als1, today):
    nurse = member(emergency)
    certify(
        nurse,
        als1,
        expires_in=200,
        issued_days_before=1000,
        today=today,
        revoked_at=timezone.now(),
        revoked_reason="Issued in error",
    )

    [trend] = client.get(f"/portal/team/?course={als1.pk}").context["trends"]

    assert {percent for _, percent in trend.points} == {0}


@pytest.mark.parametrize("export", ["export.csv", "export.xlsx"])
def test_an_export_with_a_refused_filter_downloads_nothing_and_says_what_to_correct(
    client, boss, emergency, elsewhere, export
):
    """An organisation from elsewhere is refused by the filter, which then filters nothing: the export would have
    held the whole team when the manager asked for one organisation."""
    member(emergency)

    response = client.get(f"/portal/team/{export}?organisation={elsewhere.pk}")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Nothing was downloaded: correct the filters below first." in html
    assert 'class="field__error"' in html


def test_the_page_offers_no_download_while_a_filter_is_refused(client, boss, emergency, elsewhere):
    member(emergency)

    html = client.get(f"/portal/team/?organisation={elsewhere.pk}").content.decode()

    assert 'data-testid="team-export"' not in html and 'data-testid="team-export-xlsx"' not in html
    assert "Correct the filters to download the list." in html
