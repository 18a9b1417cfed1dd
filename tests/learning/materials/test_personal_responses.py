"""Personal responses stay out of shared caches: every page a signed-in person gets, and pages that name a person
whoever asks (verification, the unsubscribe page), say `Cache-Control: private`."""

import pytest

from reminders.emails import unsubscribe_token
from tests.factories import CertificationFactory, UserFactory, make_course_date

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip().split("=")[0] for part in response.headers.get("Cache-Control", "").split(",") if part}


PERSONAL_PAGES = {
    "My portal": lambda certification: "/portal/",
    "reminder preferences": lambda certification: "/portal/preferences/",
    "continuing-education form": lambda certification: "/portal/continuing-education/new/",
    "booking": lambda certification: f"/portal/book/{make_course_date(certification.course).pk}/",
    "card": lambda certification: f"/portal/certifications/{certification.number}/card.pdf",
}


@pytest.mark.parametrize("address_of", PERSONAL_PAGES.values(), ids=PERSONAL_PAGES.keys())
def test_pages_for_a_signed_in_participant_are_private(client, als1, address_of):
    certification = CertificationFactory(course=als1)
    client.force_login(certification.participant)

    response = client.get(address_of(certification))

    assert response.status_code == 200
    assert "private" in directives(response)
    assert "public" not in directives(response)


def test_a_verification_result_is_private_though_anyone_may_ask(client, als1):
    certification = CertificationFactory(course=als1)

    response = client.get(f"/verify/{certification.number}/")

    assert response.status_code == 200
    assert "private" in directives(response)


def test_the_unsubscribe_page_is_never_cached(client):
    response = client.get(f"/reminders/unsubscribe/{unsubscribe_token(UserFactory())}/")

    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_a_public_page_for_an_anonymous_visitor_may_be_cached(client, als1):
    response = client.get(als1.url)

    assert response.status_code == 200
    assert "private" not in directives(response)
