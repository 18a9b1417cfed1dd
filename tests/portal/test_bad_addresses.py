"""An address no view can mean gets the site's "bad request" page, never a server error."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "address",
    [
        "/search/?q=%00",
        "/search/?q=ok&q=%00",
        "/search/?%00=x",
        "/portal/certifications/%00/card.pdf",
        "/portal/certifications/ALS1-2026-000001%00/card.pdf",
        "/verify/ALS1%00/",
        "/courses/%00/",
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_nul_character_in_the_address_is_a_bad_request_with_the_sites_page(address, signed_in):
    client = Client(raise_request_exception=False)
    if signed_in:
        client.force_login(UserFactory())

    response = client.get(address)

    assert response.status_code == 400
    assert "This address cannot be read" in response.content.decode()


def test_an_ordinary_search_is_not_refused(client):
    assert client.get("/search/?q=airway").status_code == 200


def test_a_session_cookie_holding_a_nul_is_dropped_not_a_server_error():
    # A quoted cookie value's \000 is read as a NUL character.
    nul_session = 'sessionid="abcdefgh\\000ijklmnop"'

    response = Client(raise_request_exception=False, HTTP_COOKIE=nul_session).get("/search/")

    assert response.status_code == 200
