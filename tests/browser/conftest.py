"""Playwright driving Debian's Chromium against the live test server. Every journey also fails on any
Content-Security-Policy violation, so a page that only works with inline script or style is caught."""

import os
import shutil

import pytest

from tests.conftest import require

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    require(shutil.which(CHROMIUM) is not None, f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield launched
            launched.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


# Runs in every page before its own scripts, through the DevTools protocol, so the policy does not stop it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.effectiveDirective} refused ${event.blockedURI || "inline code"}`
    + ` in ${event.documentURI}${event.sample ? ": " + event.sample : ""}`);
});
"""


def watch_csp_violations(context) -> list[str]:
    """The violations that pages of `context` report, as the page's event and as Chromium's console error."""
    violations: list[str] = []

    def report(text: str) -> None:
        violations.append(text)

    context.expose_function("reportCspViolation", report)
    context.add_init_script(REPORT_VIOLATIONS)

    def console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(message.text)

    context.on("console", console)
    return violations


def fail_on_csp_violations(violations: list[str]) -> None:
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(dict.fromkeys(violations)), pytrace=False)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    violations = watch_csp_violations(context)
    opened = context.new_page()
    yield opened
    context.close()
    fail_on_csp_violations(violations)


def sign_in(page, live_server, email: str) -> None:
    """Signs a demo account in through the sign-in form and waits for My portal."""
    from home.demo import DEMO_PASSWORD

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")


def sign_in_to_the_admin(page, live_server) -> None:
    """Makes an administrator, signs them in to the Wagtail admin and waits for its dashboard."""
    from tests.factories import PASSWORD, UserFactory

    UserFactory(email="office@example.org", is_staff=True, is_superuser=True)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Email address").fill("office@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
