"""The participant dashboard and the register's admin screens: what they show, constant query counts, filters,
search, the CSV export of exactly the filtered list, validated forms, invitations and the expiry chart."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learning.models import Certification, User
from learning.register.services import add_months
from tests.factories import CertificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def held(participant, course, expires_in_days, **fields):
    expires_on = days(expires_in_days)
    return CertificationFactory(
        participant=participant, course=course, issued_on=add_months(expires_on, -24), expires_on=expires_on, **fields
    )


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- Dashboard ------------------------------------------------------------------------------------------


def test_the_dashboard_needs_sign_in(client):
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/portal/"


def test_the_dashboard_shows_each_certification_with_status_and_days_left(client, participant, als1, als2):
    current = held(participant, als1, 400)
    expiring = held(participant, als2, 20)
    CertificationFactory(participant=UserFactory(), course=als1, number="SOMEONE-ELSE")
    client.force_login(participant)

    html = client.get("/portal/").content.decode()

    assert f'data-testid="certification-{current.number}" data-status="current"' in html
    assert f'data-testid="certification-{expiring.number}" data-status="expiring"' in html
    assert "cert--expiring" in html
    assert ">20<" in html and ">400<" in html
    assert f'href="{als2.url}#dates">Renew</a>' in html
    assert "in 20 days" in html
    assert "SOMEONE-ELSE" not in html


def test_an_expired_certification_says_how_long_ago_and_offers_renewal(client, participant, als1):
    held(participant, als1, -12)
    client.force_login(participant)

    html = client.get("/portal/").content.decode()

    assert "expired 12 days ago" in html
    assert f'href="{als1.url}#dates">Renew</a>' in html


def test_the_dashboard_runs_a_constant_number_of_queries(client, participant, als1, als2):
    client.force_login(participant)
    held(participant, als1, 30)
    query_count(client, "/portal/")  # the first request also fills caches (content types, site root)
    few = query_count(client, "/portal/")
    for offset in range(25):
        held(participant, als2 if offset % 2 else als1, offset * 40 - 300)

    assert query_count(client, "/portal/") == few


def test_a_card_of_someone_else_is_not_found(client, participant, als1):
    other = held(UserFactory(), als1, 100)
    client.force_login(participant)

    assert client.get(f"/portal/certifications/{other.number}/card.pdf").status_code == 404


# --- Admin list -----------------------------------------------------------------------------------------


@pytest.fixture
def register(als1, als2):
    ann = UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee")
    bob = UserFactory(email="bob@example.org", first_name="Bob", last_name="Ray")
    return {
        "current": held(ann, als1, 300, number="ALS1-2025-000001"),
        "expiring_20": held(ann, als2, 20, number="ALS2-2025-000001"),
        "expiring_75": held(bob, als1, 75, number="ALS1-2025-000002"),
        "expired_10": held(bob, als2, -10, number="ALS2-2024-000001"),
        "expired_200": held(bob, als1, -200, number="ALS1-2023-000001"),
    }


def listed(admin_client, query=""):
    html = admin_client.get(f"/admin/certifications/?{query}").content.decode()
    return {number for number in Certification.objects.values_list("number", flat=True) if number in html}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=expiring", {"ALS2-2025-000001", "ALS1-2025-000002"}),
        ("status=expired", {"ALS2-2024-000001", "ALS1-2023-000001"}),
        ("expiring_within=30", {"ALS2-2025-000001"}),
        ("expiring_within=90", {"ALS2-2025-000001", "ALS1-2025-000002"}),
        ("expired_in_last_days=30", {"ALS2-2024-000001"}),
        ("q=bob@example", {"ALS1-2025-000002", "ALS2-2024-000001", "ALS1-2023-000001"}),
        ("q=Lee", {"ALS1-2025-000001", "ALS2-2025-000001"}),
        ("q=2024-000001", {"ALS2-2024-000001"}),
    ],
)
def test_admin_filters_and_search(admin_client, register, query, expected):
    assert listed(admin_client, query) == expected


def test_admin_course_filter(admin_client, register, als2):
    assert listed(admin_client, f"course={als2.pk}") == {"ALS2-2025-000001", "ALS2-2024-000001"}


def test_admin_list_is_ordered_by_expiry(admin_client, register):
    html = admin_client.get("/admin/certifications/").content.decode()

    positions = [html.index(c.number) for c in sorted(register.values(), key=lambda c: c.expires_on)]
    assert positions == sorted(positions)


def test_the_csv_export_is_exactly_the_filtered_list(admin_client, register):
    response = admin_client.get("/admin/certifications/?export=csv&status=expiring")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row["Number"] for row in rows] == ["ALS2-2025-000001", "ALS1-2025-000002"]
    assert rows[0]["Email"] == "ann@example.org" and rows[0]["Status"] == "expiring"


def test_the_admin_list_runs_a_constant_number_of_queries(admin_client, register, als1):
    query_count(admin_client, "/admin/certifications/")  # warm the caches
    few = query_count(admin_client, "/admin/certifications/")
    for offset in range(15):
        held(UserFactory(), als1, offset * 10)

    assert query_count(admin_client, "/admin/certifications/") == few


# --- Admin forms ----------------------------------------------------------------------------------------


def test_the_form_refuses_an_expiry_before_the_issue_with_a_message_on_the_field(admin_client, als1):
    person = UserFactory()
    data = {
        "participant": person.pk,
        "course": als1.pk,
        "number": "",
        "issued_on": "2026-03-02",
        "expires_on": "2026-03-01",
    }

    response = admin_client.post("/admin/certifications/new/", data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["expires_on"] == ["The expiry date must be after the issue date."]
    assert not Certification.objects.exists()


def test_the_form_generates_the_number_and_expiry_when_left_empty(admin_client, als1):
    person = UserFactory()
    data = {"participant": person.pk, "course": als1.pk, "number": "", "issued_on": "2026-03-02", "expires_on": ""}

    response = admin_client.post("/admin/certifications/new/", data)

    assert response.status_code == 302
    certification = Certification.objects.get()
    assert (certification.number, certification.expires_on) == ("ALS1-2026-000001", datetime.date(2028, 3, 2))


@pytest.mark.parametrize("number", ["ALS1-2025-000001", "als1-2025-000001", "Als1-2025-000001"])
def test_the_form_refuses_a_number_already_used_in_any_case(admin_client, register, als1, number):
    data = {"participant": UserFactory().pk, "course": als1.pk, "number": number, "issued_on": "2026-03-02"}

    response = admin_client.post("/admin/certifications/new/", data)

    assert response.status_code == 200
    assert response.context["form"].errors["number"] == [
        "ALS1-2025-000001 is already the number of another certification (upper and lower case are the same number)."
    ]
    assert Certification.objects.filter(number__iexact=number).count() == 1


@pytest.mark.parametrize(
    "number",
    [
        "ALS1/2025/1",
        "ALS1 2025 1",
        "A1",
        "-ALS1-1",
        "ALS1-1-",
        "ALS1_2025",
        "ALS1-2025-00000\u0662",
        "Ä-2025",
    ],
)
def test_the_form_refuses_a_number_outside_the_format_on_the_field(admin_client, als1, number):
    data = {"participant": UserFactory().pk, "course": als1.pk, "number": number, "issued_on": "2026-03-02"}

    response = admin_client.post("/admin/certifications/new/", data)

    assert response.status_code == 200
    [message] = response.context["form"].errors["number"]
    assert message.startswith("A certification number is 3 to 40 letters (A-Z), digits and hyphens")
    assert not Certification.objects.exists()


def test_the_form_accepts_a_number_in_the_format(admin_client, als1):
    data = {"participant": UserFactory().pk, "course": als1.pk, "number": "old-ref-77", "issued_on": "2026-03-02"}

    response = admin_client.post("/admin/certifications/new/", data)

    assert response.status_code == 302
    assert Certification.objects.get().number == "old-ref-77"


def test_an_administrator_creates_a_participant_without_a_password_who_is_invited(
    admin_client, django_capture_on_commit_callbacks
):
    data = {
        "email": "New.Person@Example.org",
        "first_name": "New",
        "last_name": "Person",
        "registration_number": "NMC123",
        "employer": "City Hospital",
        "wants_reminders": "on",
        "send_invitation": "on",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/participants/new/", data)

    assert response.status_code == 302
    person = User.objects.get(email="new.person@example.org")
    assert not person.has_usable_password()
    assert (person.registration_number, person.employer) == ("NMC123", "City Hospital")
    assert [message.to for message in mail.outbox] == [["new.person@example.org"]]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/" in line)
    assert admin_client.get(link.strip().removeprefix("http://localhost:8000"), follow=True).context["validlink"]


# --- Dashboard chart ------------------------------------------------------------------------------------


def test_the_admin_dashboard_charts_expiries_per_month_for_twelve_months(admin_client, register):
    html = admin_client.get("/admin/").content.decode()

    assert "Certifications expiring in the next 12 months" in html
    months = {days(n).strftime("%Y-%m") for n in (20, 75, 300)}
    counted = sum(int(html.split(f'data-testid="expiry-{month}">')[1].split("<")[0]) for month in months)
    assert counted == 3
    assert html.count('data-testid="expiry-') == 12
