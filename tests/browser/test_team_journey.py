"""A demo manager signs in, opens My team from My portal, narrows it to who is not compliant, downloads exactly
that list as CSV and opens a member's page; My team and the member's page meet WCAG 2.1 AA."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import axe_source, violations

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]

__all__ = ["axe_source"]  # the fixture, used by name


def test_a_manager_finds_who_is_not_compliant_and_downloads_the_list(page, live_server, artifacts_dir, axe_source):
    call_command("load_demo", quiet_accounts=True)
    sign_in(page, live_server, "ed.manager@example.com")

    page.get_by_test_id("my-team-link").click()
    page.wait_for_url("**/portal/team/")
    assert page.get_by_test_id("team-count").inner_text() == "(4)"
    assert violations(page, page.url, axe_source) == []

    page.get_by_label("Show").select_option(label="Not compliant")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/portal/team/?*state=non_compliant*")
    members = page.locator(".team-table tbody tr").all_inner_texts()
    assert len(members) == 2
    assert any("Chloe Martin" in text for text in members) and any("Femi Adeyemi" in text for text in members)
    page.screenshot(path=artifacts_dir / "team-not-compliant.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_test_id("team-export").click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    assert sorted(row["Email"] for row in rows) == ["chloe@example.com", "femi.adeyemi@example.com"]

    page.get_by_role("link", name="Chloe Martin").click()
    assert page.get_by_test_id("standing-ALS1").get_attribute("data-standing") == "lapsed"
    assert violations(page, page.url, axe_source) == []
