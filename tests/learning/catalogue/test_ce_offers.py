"""A continuing-education offer says when, where and how to take part, and the section is in the site menu."""

import datetime

import pytest

from tests.factories import ContinuingEducationIndexPageFactory, ContinuingEducationOfferPageFactory

pytestmark = pytest.mark.django_db


def test_an_offer_says_when_where_and_how_to_take_part(client):
    offer = ContinuingEducationOfferPageFactory(
        title="Airway skills refresher",
        held_on=datetime.date(2027, 3, 4),
        starts_at=datetime.time(9),
        ends_at=datetime.time(12, 30),
        venue="Skills Lab 2",
        how_to_take_part="Email the training office with your PIN.",
        credits=2,
    )

    html = client.get(offer.url).content.decode()

    assert "Thursday 4 March 2027, 09:00\u201312:30" in html  # an en dash between the times
    assert "Skills Lab 2" in html
    assert "Email the training office with your PIN." in html
    assert "2 CE credits" in html


def test_an_offer_without_sign_up_words_sends_people_to_the_contact_page(client):
    offer = ContinuingEducationOfferPageFactory(how_to_take_part="")

    html = client.get(offer.url).content.decode()

    assert '<a href="/contact/">Contact the training office</a> to take part.' in html


def test_the_site_menu_leads_to_continuing_education(client):
    listing = ContinuingEducationIndexPageFactory(title="Continuing education")

    html = client.get("/").content.decode()

    menu = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert f'<a href="{listing.url}">Continuing education</a>' in menu
