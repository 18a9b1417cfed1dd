"""Every refusal on the site (a document, an image, any PermissionDenied) is a 403 page in the site's look that
says what happened and how to get access, and nothing about what was refused."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import include, path

from tests.factories import UserFactory, make_manual

pytestmark = pytest.mark.django_db

SECRET = "Zephyrocardiology"


def refusing_view(request):
    raise PermissionDenied(f"the {SECRET} register is for instructors only")


# The portal's URLs plus one view that refuses, for the test that any PermissionDenied gets the page.
urlpatterns = [path("refuse/", refusing_view), path("", include("portal.urls"))]


def in_the_sites_look(html: str) -> bool:
    return 'class="site-header"' in html and "/static/home/css/site.css" in html


@pytest.fixture
def manual(library, als1):
    return make_manual(library, [als1], title=f"{SECRET} manual", text=f"<p>{SECRET} explained.</p>")


def test_a_refused_document_gets_the_sites_403_page_and_nothing_of_the_document(client, manual):
    client.force_login(UserFactory())

    response = client.get(manual.document.url)

    html = response.content.decode()
    assert response.status_code == 403
    assert in_the_sites_look(html)
    assert "You do not have access to this" in html
    assert SECRET not in html
    assert manual.document.filename not in html


@pytest.mark.urls(__name__)
def test_any_refusal_gets_the_page_without_the_reason_given_in_the_code(client):
    response = client.get("/refuse/")

    html = response.content.decode()
    assert response.status_code == 403
    assert in_the_sites_look(html)
    assert SECRET not in html


@pytest.mark.urls(__name__)
def test_a_visitor_is_offered_to_sign_in_and_come_back(client):
    response = client.get("/refuse/")

    assert 'href="/accounts/login/?next=/refuse/"' in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_signed_in_participant_is_told_which_account_was_refused_and_whom_to_ask(client):
    client.force_login(UserFactory(email="pat@example.org"))

    response = client.get("/refuse/")

    html = response.content.decode()
    assert "signed in as pat@example.org" in html
    assert "contact the training office" in html
    assert 'href="/portal/"' in html
