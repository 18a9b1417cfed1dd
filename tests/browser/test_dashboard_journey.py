"""A demo participant signs in, sees the expiring certification highlighted, and downloads its card."""

import pytest
from django.core.management import call_command

from home.demo import DEMO_PASSWORD
from learning.models import Certification

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]


def test_participant_sees_the_expiring_certification_and_downloads_its_card(page, live_server, artifacts_dir):
    call_command("load_demo", quiet_accounts=True)
    expiring = Certification.objects.get(participant__email="ben@example.com", course__code="ALS2")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("ben@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/portal/")
    row = page.get_by_test_id(f"certification-{expiring.number}")
    assert row.get_attribute("data-status") == "expiring"
    assert "rgb(254, 243, 199)" in row.evaluate("element => getComputedStyle(element).backgroundColor")
    assert "ALS2" in page.get_by_test_id("renewal-notice").inner_text()
    page.screenshot(path=artifacts_dir / "dashboard-expiring.png", full_page=True)

    with page.expect_download() as download_info:
        row.get_by_role("link", name="Card (PDF)").click()
    download = download_info.value
    path = artifacts_dir / download.suggested_filename
    download.save_as(path)
    assert download.suggested_filename == f"{expiring.number}.pdf"
    assert path.read_bytes().startswith(b"%PDF")
