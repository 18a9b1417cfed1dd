"""A participant opens the home page, signs in, sees their name and signs out, in a real browser."""

import pytest
from django.core.management import call_command

from home.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]


def test_demo_participant_signs_in_sees_their_name_and_signs_out(page, live_server, artifacts_dir):
    call_command("load_demo", quiet_accounts=True)

    page.goto(live_server.url + "/")
    assert "Resuscitation training" in page.title()
    page.get_by_role("link", name="Participant sign-in").click()
    page.get_by_label("Email address").fill("alice@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    signed_in_as = page.get_by_test_id("signed-in-as")
    assert signed_in_as.inner_text() == "Alice Nguyen"
    page.screenshot(path=artifacts_dir / "sign-in-journey.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert page.get_by_test_id("signed-in-as").count() == 0
