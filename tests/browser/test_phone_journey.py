"""At phone widths (360 px) the course page, My portal, the library and My team fit the screen, and the menu opens
from the keyboard as a real button that says whether it is open."""

import pytest
from django.core.management import call_command

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import axe_source, violations

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]

__all__ = ["axe_source"]  # the fixture, used by name


@pytest.fixture
def phone(browser):
    from tests.browser.conftest import fail_on_csp_violations, watch_csp_violations

    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    context.set_default_timeout(15_000)
    violations = watch_csp_violations(context)
    yield context.new_page()
    context.close()
    fail_on_csp_violations(violations)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def check_fits(page, live_server, path, artifacts_dir):
    page.goto(live_server.url + path)
    page.screenshot(path=artifacts_dir / f"phone{path.rstrip('/').replace('/', '-') or '-home'}.png", full_page=True)
    assert fits(page), f"{path} scrolls sideways at 360 px"
    clipped = page.evaluate(
        """[...document.querySelectorAll("main *")].filter((element) => {
             const box = element.getBoundingClientRect();
             return box.width > 0 && (box.right > window.innerWidth + 1 || box.left < -1);
           }).map((element) => element.tagName + "." + element.className).slice(0, 5)"""
    )
    assert clipped == [], f"{path}: cut off at the edge of a 360 px screen: {clipped}"


def test_the_pages_a_participant_uses_fit_a_phone(phone, live_server, artifacts_dir):
    call_command("load_demo", quiet_accounts=True)

    for path in ("/courses/als2/", "/courses/als1/", "/"):
        check_fits(phone, live_server, path, artifacts_dir)
    sign_in(phone, live_server, "ben@example.com")
    for path in ("/portal/", "/materials/"):
        check_fits(phone, live_server, path, artifacts_dir)


def test_the_phone_menu_opens_and_closes_from_the_keyboard(phone, live_server):
    call_command("load_demo", quiet_accounts=True)
    phone.goto(live_server.url + "/courses/als2/")
    menu = phone.get_by_role("button", name="Menu")
    courses = phone.get_by_role("navigation", name="Main").get_by_role("link", name="Courses")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not courses.is_visible()

    phone.keyboard.press("Tab")  # the skip link
    phone.keyboard.press("Tab")  # the brand
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.getAttribute('aria-controls')") == "site-nav"
    phone.keyboard.press("Enter")

    assert menu.get_attribute("aria-expanded") == "true"
    assert courses.is_visible()
    phone.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not courses.is_visible()


def test_my_team_fits_a_phone_and_its_wide_tables_scroll_from_the_keyboard(phone, live_server, axe_source):
    call_command("load_demo", quiet_accounts=True)
    sign_in(phone, live_server, "trust.manager@example.com")

    phone.goto(live_server.url + "/portal/team/")

    assert fits(phone), "My team scrolls sideways at 360 px"
    region = phone.get_by_test_id("trend-table-region")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
    assert violations(phone, phone.url, axe_source) == []
