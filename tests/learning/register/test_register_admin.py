"""The register's look in the admin: each status of a certification in a style of its own (an expired one never
looks current), and the dashboard's expiry chart, which counts what expires from today on."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from learning.register.admin import expiry_chart
from tests.factories import CertificationFactory

pytestmark = pytest.mark.django_db
STATUSES = ["current", "expiring", "expired", "revoked", "renewed"]


def one_of_each_status(today: datetime.date) -> dict:
    """status -> a certification that has it on `today`."""
    days = datetime.timedelta
    renewal = CertificationFactory(issued_on=today - days(5), expires_on=today + days(700))
    return {
        "current": renewal,
        "expiring": CertificationFactory(issued_on=today - days(700), expires_on=today + days(10)),
        "expired": CertificationFactory(issued_on=today - days(700), expires_on=today - days(10)),
        "revoked": CertificationFactory(revoked_at=timezone.now(), revoked_reason="Issued in error"),
        "renewed": CertificationFactory(issued_on=today - days(700), expires_on=today + days(20), renewed_by=renewal),
    }


def status_cells(html: str) -> dict[str, tuple[str, str]]:
    """status -> (the classes of its tag, its label), for each status cell of the certifications' list."""
    found = re.findall(r'<td data-status="(\w+)">\s*<span class="([^"]+)"[^>]*>\s*(.*?)\s*</span>', html, re.S)
    return {status: (classes, label) for status, classes, label in found}


def test_each_status_of_a_certification_has_its_own_label_and_style_in_the_list(admin_client):
    one_of_each_status(timezone.localdate())

    cells = status_cells(admin_client.get("/admin/certifications/").content.decode())

    assert sorted(cells) == sorted(STATUSES)
    for status in STATUSES:
        classes, label = cells[status]
        assert f"register-status--{status}" in classes.split()
        assert label == status.capitalize()
    assert cells["expired"][0] != cells["current"][0]


def colours(css: str, status: str) -> tuple[str, str]:
    rule = re.search(rf"\.register-status--{status}\s*\{{(.*?)\}}", css, re.S).group(1)
    text = re.search(r"(?<!-)color:\s*([^;]+);", rule).group(1)
    return text, re.search(r"background-color:\s*([^;]+);", rule).group(1)


def test_the_statuses_have_distinct_colours_in_the_admins_stylesheet(admin_client):
    with open(finders.find("learning/admin/register.css")) as handle:
        css = handle.read()

    assert len({colours(css, status) for status in STATUSES}) == len(STATUSES)
    assert "learning/admin/register.css" in admin_client.get("/admin/certifications/").content.decode()


def test_the_expiry_chart_counts_from_today_not_what_already_expired_this_month():
    today = datetime.date(2026, 3, 15)
    for expires_on in ["2026-03-01", "2026-03-14", "2026-03-15", "2026-03-31", "2027-02-28", "2027-03-01"]:
        CertificationFactory(issued_on=datetime.date(2025, 1, 1), expires_on=datetime.date.fromisoformat(expires_on))

    chart = expiry_chart(today=today)

    assert [bar["month"] for bar in chart["bars"]][::11] == [datetime.date(2026, 3, 1), datetime.date(2027, 2, 1)]
    assert chart["bars"][0]["count"] == 2  # the 15th and the 31st; not the 1st or the 14th
    assert chart["bars"][-1]["count"] == 1
    assert chart["total"] == 3


def test_the_dashboards_chart_leaves_out_a_certification_that_expired_yesterday(admin_client):
    today = timezone.localdate()
    CertificationFactory(issued_on=today - datetime.timedelta(days=700), expires_on=today - datetime.timedelta(days=1))
    CertificationFactory(issued_on=today - datetime.timedelta(days=700), expires_on=today)

    html = admin_client.get("/admin/").content.decode()

    assert "Certifications expiring in the next 12 months (1)" in html
    assert f'data-testid="expiry-{today:%Y-%m}">1<' in html
