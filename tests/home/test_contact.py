"""The contact page and the ways to it: every page's footer, refusals and emails name the training office."""

import pytest

from tests.factories import set_portal_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return set_portal_settings(
        office_name="Resuscitation training office",
        office_email="resus.training@trust.example",
        office_phone="0113 496 0000",
        office_address="Education Centre\nSt James's Hospital",
        office_hours="Monday to Friday, 8am to 4pm",
    )


def test_the_contact_page_shows_the_training_office_as_administrators_keep_it(client, office):
    html = client.get("/contact/").content.decode()

    for shown in ("Resuscitation training office", "mailto:resus.training@trust.example", "tel:01134960000"):
        assert shown in html
    assert "Education Centre<br>St James&#x27;s Hospital" in html
    assert "Monday to Friday, 8am to 4pm" in html


def test_a_change_in_the_admin_shows_on_the_next_visit(client, office):
    client.get("/contact/")
    set_portal_settings(office_email="new.address@trust.example")

    assert "new.address@trust.example" in client.get("/contact/").content.decode()


def test_every_page_links_to_the_contact_page_and_verification(client, office):
    for url in ("/", "/contact/", "/accounts/login/", "/verify/"):
        html = client.get(url).content.decode()
        assert 'href="/contact/"' in html, url
        assert 'href="/verify/"' in html, url
