"""A participant opens a manual from My materials and its PDF; without the course, the 403 page names it."""

import pytest
from django.core.management import call_command

from learning.models import ManualPage
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]


def test_participant_opens_a_manual_and_its_pdf_and_is_refused_another_course(page, live_server, artifacts_dir):
    call_command("load_demo", quiet_accounts=True)
    sign_in(page, live_server, "alice@example.com")  # ALS1 current

    page.get_by_test_id("materials-ALS1").get_by_role("link", name="ALS1 course manual").click()
    assert page.get_by_role("heading", name="ALS1 course manual").is_visible()
    attachment = page.get_by_test_id("attachment")
    pdf = page.context.request.get(live_server.url + attachment.get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    assert "no-store" in pdf.headers["cache-control"]
    page.screenshot(path=artifacts_dir / "materials-manual.png", full_page=True)

    als2_manual = ManualPage.objects.get(title="ALS2 advanced manual")
    response = page.goto(live_server.url + als2_manual.url)
    assert response.status == 403
    assert "This material is for course participants" in page.get_by_test_id("forbidden").inner_text()
    assert page.get_by_role("link", name="Book ALS2").is_visible()
    page.screenshot(path=artifacts_dir / "materials-forbidden.png", full_page=True)
