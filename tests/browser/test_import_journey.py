"""An administrator imports certifications in the admin: the upload leads to the run's page, which follows the
run while it goes (its bar moves, then the page reloads itself) and ends on the report with its rejected rows."""

import pytest

from learning.models import CourseIndexPage, ImportRun
from learning.register.models import ImportKind, ImportRunStatus
from tests.browser.conftest import sign_in_to_the_admin
from tests.factories import make_course

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("committed_db")]
HEADER = "email,first_name,last_name,course_code,number,issued_on,expires_on\n"


def test_an_upload_with_a_bad_row_ends_on_its_report_with_the_rejected_rows(page, live_server, artifacts_dir, tmp_path):
    from home.models import HomePage

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    make_course(catalogue, "ALS1")
    upload = tmp_path / "records.csv"
    upload.write_text(
        HEADER
        + "ann@example.org,Ann,Lee,ALS1,ALS1-2025-000001,2025-03-02,\n"
        + "bob@example.org,Bob,Ray,ALS1,ALS1-2025-000002,2025-02-30,\n"
    )
    sign_in_to_the_admin(page, live_server)

    page.goto(live_server.url + "/admin/certifications/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_role("button", name="Import").click()

    run = ImportRun.objects.get()
    page.wait_for_url(f"**/admin/certifications/import/{run.pk}/")
    assert "Nothing was imported" in page.get_by_test_id("import-summary").inner_text()
    assert "is not a date" in page.locator("main table").inner_text()
    assert page.get_by_test_id("import-rejected-csv").is_visible()
    page.screenshot(path=artifacts_dir / "import-refused.png", full_page=True)


def test_a_running_imports_page_moves_its_bar_then_shows_the_report(page, live_server, artifacts_dir):
    run = ImportRun.objects.create(
        kind=ImportKind.CERTIFICATIONS,
        file_name="big.csv",
        file="private/certification-imports/big.csv",
        status=ImportRunStatus.RUNNING,
        stage="checking",
        rows_done=100,
        rows_total=1000,
    )
    sign_in_to_the_admin(page, live_server)
    page.goto(f"{live_server.url}/admin/certifications/import/{run.pk}/")
    bar = page.locator("progress")
    assert bar.get_attribute("value") == "5"

    ImportRun.objects.filter(pk=run.pk).update(stage="writing", rows_done=500, rows_total=1000)
    page.wait_for_function("document.querySelector('progress').value === 75")
    assert page.get_by_text("Writing the good rows: 500 of 1000.").is_visible()
    page.screenshot(path=artifacts_dir / "import-running.png", full_page=True)

    summary = "1000 rows: 1000 created, 0 updated, 0 unchanged, 0 rejected; 1000 new participants"
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRunStatus.DONE, summary=summary)
    page.get_by_test_id("import-summary").wait_for()
    assert summary in page.get_by_test_id("import-summary").inner_text()
    assert page.locator("progress").count() == 0
