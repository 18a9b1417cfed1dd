"""Public and participant pages carry a Content-Security-Policy that allows no inline script or style and
nothing from elsewhere, and the Permissions-Policy, Referrer-Policy and X-Content-Type-Options headers; the
Wagtail admin keeps working without the policy."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from learning.register.services import add_months
from tests.factories import CertificationFactory, UserFactory, make_manual

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.fixture
def holder(als1):
    person = UserFactory()
    expires_on = timezone.localdate() + datetime.timedelta(days=300)
    CertificationFactory(participant=person, course=als1, issued_on=add_months(expires_on, -24), expires_on=expires_on)
    return person


def test_a_course_page_allows_scripts_and_styles_only_from_the_site(client, als1):
    response = client.get(als1.url)

    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_a_material_page_carries_the_policy(client, library, als1, holder):
    manual = make_manual(library, [als1])
    client.force_login(holder)

    response = client.get(manual.url)

    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]


def test_my_portal_carries_the_policy(client, participant):
    client.force_login(participant)

    response = client.get("/portal/")

    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]


def test_the_sign_in_page_carries_the_policy(client):
    response = client.get("/accounts/login/")

    assert directives(response)["form-action"] == ["'self'"]


def test_pages_switch_off_browser_features_they_never_use(client, als1):
    response = client.get(als1.url)

    features = dict(item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert features[feature] == "()"


def test_pages_keep_the_referrer_on_the_site_and_forbid_content_sniffing(client, als1):
    response = client.get(als1.url)

    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_admin_works_and_is_left_without_the_policy(admin_client, als1):
    dashboard = admin_client.get("/admin/")
    editor = admin_client.get(f"/admin/pages/{als1.pk}/edit/")

    assert dashboard.status_code == 200
    assert editor.status_code == 200
    assert "Content-Security-Policy" not in editor.headers
    assert "Permissions-Policy" in editor.headers


def test_a_served_document_keeps_wagtails_stricter_policy(client, library, als1, holder):
    manual = make_manual(library, [als1])
    client.force_login(holder)

    response = client.get(manual.document.url)

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"


INLINE = re.compile(r"""<script(?![^>]*\bsrc=)[^>]*>|\sstyle\s*=|\son[a-z]+\s*=|<style[\s>]|javascript:""", re.I)


def site_templates() -> list[Path]:
    # Emails are read in mail clients (which want inline styles); the admin's screens keep no policy.
    return [
        path
        for path in TEMPLATES_DIR.rglob("*.html")
        if "email" not in path.relative_to(TEMPLATES_DIR).parts and "admin" not in path.relative_to(TEMPLATES_DIR).parts
    ]


@pytest.mark.parametrize("template", site_templates(), ids=lambda path: str(path.relative_to(TEMPLATES_DIR)))
def test_site_templates_hold_no_inline_script_or_style(template):
    found = INLINE.findall(template.read_text())

    assert found == [], f"{template.name}: the CSP would block {found}; move it to home/static/"
