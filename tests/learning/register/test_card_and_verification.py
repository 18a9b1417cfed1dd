"""The certification card is a real PDF with the number and a QR code for verification; public verification
shows the name, course, dates and status, nothing more, and is rate-limited."""

import io

import pypdfium2
import pytest
import zxingcpp
from django.utils import timezone
from pypdf import PdfReader

from learning.register.services import certification_revoke
from tests.factories import CertificationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def certification(als2):
    holder = UserFactory(
        first_name="Ann", last_name="Lee", email="ann.lee@example.org", registration_number="NMC-55", employer="City"
    )
    return CertificationFactory(participant=holder, course=als2, number="ALS2-2026-000123")


def card(client, certification):
    client.force_login(certification.participant)
    response = client.get(f"/portal/certifications/{certification.number}/card.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_a_revoked_certification_has_no_card_and_the_number_is_read_in_any_case(client, certification):
    client.force_login(certification.participant)
    assert client.get("/portal/certifications/als2-2026-000123/card.pdf").status_code == 200

    certification_revoke(certification=certification, reason="Issued in error", now=timezone.now())

    assert client.get(f"/portal/certifications/{certification.number}/card.pdf").status_code == 404


def test_the_card_is_a_wallet_size_pdf_with_the_number_and_name(client, certification):
    reader = PdfReader(io.BytesIO(card(client, certification)))

    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (85.6, 54.0)
    text = reader.pages[0].extract_text()
    for expected in ("ALS2-2026-000123", "Ann Lee", "ALS2", "Resus Training"):
        assert expected in text


def test_the_qr_code_on_the_card_opens_the_verification_page(client, certification, settings):
    pdf = pypdfium2.PdfDocument(card(client, certification))
    image = pdf[0].render(scale=8).to_pil()

    decoded = [result.text for result in zxingcpp.read_barcodes(image)]

    assert decoded == [f"{settings.PORTAL_BASE_URL}/verify/ALS2-2026-000123/"]


def test_the_card_prints_the_verification_address_for_anyone_who_cannot_scan(client, certification, settings):
    settings.PORTAL_BASE_URL = "https://training.example.org"

    text = PdfReader(io.BytesIO(card(client, certification))).pages[0].extract_text()

    assert "training.example.org/verify/ALS2-2026-000123/" in text


def test_verification_says_until_when_a_certification_is_valid(client, certification):
    html = client.get("/verify/ALS2-2026-000123/").content.decode()

    assert f"Valid until {certification.expires_on:%-d %B %Y}." in html


def test_verification_shows_name_course_dates_and_status_and_nothing_more(client, certification):
    response = client.get("/verify/ALS2-2026-000123/")

    html = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "Ann Lee",
        "ALS2",
        certification.issued_on.strftime("%-d %B %Y"),
        certification.expires_on.strftime("%-d %B %Y"),
        "Current",
    ):
        assert expected in html
    for private in ("ann.lee@example.org", "NMC-55", "City", "@"):
        assert private not in html.split('<main id="main"', 1)[1]


def test_the_verify_form_leads_to_the_number(client, certification):
    response = client.get("/verify/?number=ALS2-2026-000123")

    assert response.status_code == 302
    assert response.url == "/verify/ALS2-2026-000123/"


def test_an_unknown_number_says_so_plainly(client, certification):
    response = client.get("/verify/ALS2-2026-999999/")

    assert response.status_code == 404
    assert "No certification has the number ALS2-2026-999999" in response.content.decode()


def test_verification_is_rate_limited_per_client(client, certification, settings):
    settings.VERIFY_RATE_PER_MINUTE = 3
    statuses = [client.get(f"/verify/ALS2-2026-00000{n}/", REMOTE_ADDR="203.0.113.9").status_code for n in range(5)]
    other = client.get("/verify/ALS2-2026-000123/", REMOTE_ADDR="203.0.113.10")

    assert statuses[:3] == [404, 404, 404]
    assert statuses[3:] == [429, 429]
    assert other.status_code == 200


@pytest.mark.parametrize("typed", ["als2-2026-000123", "Als2-2026-000123", "ALS2-2026-000123"])
def test_verification_finds_a_number_in_any_case(client, certification, typed):
    response = client.get(f"/verify/{typed}/")

    assert response.status_code == 200
    assert "ALS2-2026-000123" in response.content.decode()
    assert "Ann Lee" in response.content.decode()


def test_the_verify_form_leads_to_a_number_typed_in_lower_case(client, certification):
    response = client.get("/verify/?number=+als2-2026-000123+", follow=True)

    assert response.redirect_chain == [("/verify/als2-2026-000123/", 302)]
    assert response.status_code == 200
    assert "Ann Lee" in response.content.decode()


ODD_ADDRESSES = [
    "/verify/%00/",
    "/verify/ALS2-2026-000123%00/",
    "/verify/%2F/",
    "/verify/..%2F..%2Fadmin/",
    "/verify/%E2%80%AE321000-6202-2SLA/",
    "/verify/%FF%FE/",
    "/verify/" + "A" * 5000 + "/",
    "/verify/ALS2%E2%80%912026%E2%80%91000123/",
    "/verify/?number=ALS2/2026/000123",
    "/verify/?number=a%2Fb",
    "/verify/?number=%00",
    "/verify/?number=%FF",
    "/verify/?number=" + "9" * 5000,
    "/verify/?number=<script>alert(1)</script>",
    "/verify/?number=ALS2-2026-000123&number=x/y",
    "/verify/?number[]=ALS2-2026-000123",
    "/verify/?number=%E2%80%AE",
    "/verify/?number=%20%20",
    "/verify/?number",
    "/verify/?=",
]


@pytest.mark.parametrize("address", ODD_ADDRESSES)
def test_verification_answers_any_address_with_200_or_404_and_a_nul_with_400(client, certification, address):
    response = client.get(address)

    assert response.status_code in ((400,) if "%00" in address else (200, 404))
    assert "Ann Lee" not in response.content.decode()


def test_text_that_cannot_be_a_number_is_called_so(client, certification):
    response = client.get("/verify/?number=ALS2/2026/000123")

    assert response.status_code == 404
    assert "is not a certification number" in response.content.decode()
    assert "letters (A-Z), digits and hyphens" in response.content.decode()
