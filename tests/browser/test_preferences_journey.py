"""A participant who unsubscribed opens the preferences link of a reminder email and turns reminders back on."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command

from home.demo import DEMO_PASSWORD
from learning.models import User
from reminders.emails import compose_reminder_email
from reminders.models import Reminder
from reminders.scan import local_today, scan
from reminders.views import reminders_off

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]


def test_participant_turns_reminders_back_on_from_the_email_link(page, live_server, artifacts_dir):
    call_command("load_demo", quiet_accounts=True)
    ben = User.objects.get(email="ben@example.com")
    scan(today=local_today())
    rows = list(Reminder.objects.filter(certification__participant=ben))
    email = compose_reminder_email(ben, rows, local_today())
    reminders_off(ben)
    link = re.search(r"Reminder preferences: (\S+)", email.body).group(1)

    page.goto(link.replace(settings.PORTAL_BASE_URL, live_server.url))
    page.get_by_label("Email address").fill("ben@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/portal/preferences/")
    checkbox = page.get_by_label("Email me before my certifications expire")
    assert not checkbox.is_checked()
    checkbox.check()
    page.get_by_role("button", name="Save").click()

    assert "Reminder emails are on." in page.locator("main").inner_text()
    assert page.get_by_label("Email me before my certifications expire").is_checked()
    page.screenshot(path=artifacts_dir / "reminder-preferences.png", full_page=True)
    ben.refresh_from_db()
    assert ben.wants_reminders is True
