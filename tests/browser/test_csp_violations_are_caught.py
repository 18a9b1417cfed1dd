"""The journeys' CSP check itself: a page that breaks its policy is reported, so a quiet journey means a page
that kept to it."""

import pytest

from tests.browser.conftest import watch_csp_violations

pytestmark = pytest.mark.browser

BREAKING_PAGE = '<!DOCTYPE html><p style="color:red">Hi</p><script>document.title = "ran"</script>'


def test_inline_script_and_style_under_the_policy_are_reported(browser):
    context = browser.new_context()
    violations = watch_csp_violations(context)
    # No server needed: the browser is handed the response, with the policy the portal sends.
    context.route(
        "http://policy.test/",
        lambda route: route.fulfill(
            body=BREAKING_PAGE,
            content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'"},
        ),
    )
    page = context.new_page()

    page.goto("http://policy.test/")
    title = page.title()
    context.close()

    assert title != "ran"
    assert any("script-src" in violation for violation in violations)
    assert any("style-src" in violation for violation in violations)
