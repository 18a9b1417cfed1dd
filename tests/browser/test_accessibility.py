"""Every public and participant page of the demo, and the refusal page, passes axe-core's WCAG 2.1 A and AA rules
(axe-core from npm's registry, .ci/axe/; run in the page through the DevTools protocol, so the CSP stays on)."""

from pathlib import Path

import pytest
from django.core.management import call_command

from learning.accounts.registration import registration_token
from learning.models import Certification, CourseDate, MaterialPage
from tests.browser.conftest import sign_in
from tests.conftest import require

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]

AXE = Path(__file__).resolve().parents[2] / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
    v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    require(AXE.is_file(), f"axe-core is not installed at {AXE} (bash .ci/dev test installs it with npm)")
    return AXE.read_text()


def violations(page, url: str, axe_source: str) -> list[str]:
    response = page.goto(url)
    assert response.status in (200, 403, 404), f"{url} answered {response.status}"
    page.evaluate(axe_source)
    return page.evaluate(RUN_AXE, WCAG_21_AA)


NEWCOMER = {"email": "new@example.org", "first_name": "Nia", "last_name": "Jones"}


def public_paths() -> list[str]:
    number = Certification.objects.order_by("pk").first().number
    pages = ["/", "/courses/", "/courses/als1/", "/courses/als2/", "/continuing-education/"]
    offer = "/continuing-education/airway-skills-refresher/"
    return [
        *pages,
        offer,
        "/contact/",
        "/verify/",
        f"/verify/{number}/",
        "/verify/NOPE-0000-000000/",
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accounts/register/",
        f"/accounts/register/{registration_token(NEWCOMER)}/",  # the emailed link's "choose your password"
        "/search/?q=adrenaline",
        "/no-such-page/",
    ]


def participant_paths() -> list[str]:
    materials = [page.url for page in MaterialPage.objects.live().specific()]
    booking = CourseDate.objects.filter(course__code="ALS1").order_by("starts_on").first()
    return [
        "/portal/",
        "/materials/",
        *materials,
        "/portal/preferences/",
        f"/portal/book/{booking.pk}/",
        "/portal/continuing-education/new/",
        "/search/?q=adrenaline",
    ]


def test_public_and_participant_pages_and_the_refusal_meet_wcag_21_aa(page, live_server, axe_source):
    call_command("load_demo", quiet_accounts=True)
    found = {}
    for path in public_paths():
        found[path] = violations(page, live_server.url + path, axe_source)
    sign_in(page, live_server, "ben@example.com")
    for path in participant_paths():
        found[f"{path} (signed in)"] = violations(page, live_server.url + path, axe_source)
    page.context.clear_cookies()
    sign_in(page, live_server, "alice@example.com")  # holds ALS1 only: the ALS2 manual refuses her
    refused = MaterialPage.objects.live().filter(title__icontains="ALS2").first().url
    found[f"{refused} (refused)"] = violations(page, live_server.url + refused, axe_source)

    failing = {path: problems for path, problems in found.items() if problems}
    assert failing == {}, "\n".join(f"{path}:\n  " + "\n  ".join(problems) for path, problems in failing.items())
