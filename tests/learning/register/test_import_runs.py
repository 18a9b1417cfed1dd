"""Imports started in the admin run in the background: the upload is kept privately, a run records who started
it, with which options, how far it has got and what came of it; its page follows the progress across reloads,
offers the rejected rows as CSV, and only those who may add certifications start or see runs."""

import csv
import io
import threading

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import TestCase

from learning.models import Certification, ImportRun, User
from learning.register.certification_import import CertificationImport
from learning.register.import_runner import PROGRESS_EVERY_ROWS, RunProgress, import_run_perform
from learning.register.import_runs import import_run_start
from learning.register.models import ImportKind, ImportRunStatus
from learning.register.tasks import import_certifications_task
from tests.conftest import celery_worker, require
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HEADER = "email,first_name,last_name,course_code,number,issued_on,expires_on\n"
GOOD = (
    "ann@example.org,Ann,Lee,ALS1,ALS1-2025-000001,2025-03-02,\n"
    "bob@example.org,Bob,Ray,ALS2,ALS2-2025-000001,02/03/2025,2027-03-01\n"
)
BAD = 'cat@example.org,=HYPERLINK("http://x"),Fox,ALS1,ALS1-2025-000003,2025-02-30,\n'


def csv_upload(body: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("records.csv", (HEADER + body).encode(), content_type="text/csv")


def start_certification_import(*, started_by: User) -> ImportRun:
    """A run started as the upload page starts one, its import queued for after the commit."""
    return import_run_start(
        kind=ImportKind.CERTIFICATIONS,
        task=import_certifications_task,
        upload=csv_upload(GOOD),
        skip_invalid=False,
        invite=False,
        started_by=started_by,
    )


def start(client, body: str, *, header: str = HEADER, **options):
    """Uploads `header` and `body` on the import page as an administrator does; returns the response (the way to
    the run) and the run, whose import is queued for after the commit and has run by the time this returns."""
    upload = SimpleUploadedFile("records.csv", (header + body).encode(), content_type="text/csv")
    data = {"file": upload, **{name: "on" for name, chosen in options.items() if chosen}}
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/admin/certifications/import/", data)
    return response, ImportRun.objects.get()


def register_state():
    return sorted(Certification.objects.values_list("number", "issued_on", "expires_on")), User.objects.count()


def staff_client(client, *permissions: str):
    """`client` signed in as a member of staff who may use the admin and holds `permissions` (codenames)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        *Permission.objects.filter(codename__in=permissions, content_type__app_label="learning"),
    )
    client.force_login(user)
    return client


# --- Starting a run -------------------------------------------------------------------------------------


def test_an_upload_records_who_started_it_with_which_file_and_options_and_leads_to_its_page(
    admin_client, admin_user, als1, als2
):
    response, run = start(admin_client, GOOD, skip_invalid=True, invite=True)

    assert response.status_code == 302
    assert response.url == f"/admin/certifications/import/{run.pk}/"
    assert (run.started_by, run.file_name, run.skip_invalid, run.invite) == (admin_user, "records.csv", True, True)
    assert run.created_at <= run.started_at <= run.finished_at


def test_the_upload_is_kept_under_private_and_never_served(admin_client, als1, als2):
    _, run = start(admin_client, GOOD)

    assert run.file.name.startswith("private/certification-imports/")
    assert run.file.name != "private/certification-imports/records.csv"  # a name of its own, not the upload's
    with run.file.open("rb") as stored:
        assert stored.read() == (HEADER + GOOD).encode()
    assert admin_client.get(f"/media/{run.file.name}").status_code == 404


def test_the_import_waits_for_the_commit_and_the_run_is_queued_until_then(admin_user, als1):
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        run = start_certification_import(started_by=admin_user)

    assert run.status == ImportRunStatus.QUEUED
    assert len(queued) == 1
    assert not Certification.objects.exists()


def test_a_good_file_is_imported_and_the_run_records_its_report(admin_client, als1, als2):
    response, run = start(admin_client, GOOD)

    assert run.status == ImportRunStatus.DONE
    assert run.summary == "2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected; 2 new participants"
    assert (run.rows_done, run.rows_total, run.percent, run.rejected_count) == (2, 2, 100, 0)
    assert Certification.objects.count() == 2
    page = admin_client.get(response.url).content.decode()
    assert "Imported." in page and run.summary in page


# --- Progress -------------------------------------------------------------------------------------------


class RecordedProgress(RunProgress):
    """A RunProgress that keeps what it would write, instead of writing it."""

    def __init__(self):
        super().__init__(run_id=0)
        self.writes = []

    def write(self, **fields):
        self.writes.append((fields["stage"], fields["rows_done"], fields["rows_total"]))


def test_progress_is_recorded_every_hundredth_of_the_rows_and_at_each_stage_and_its_end():
    progress = RecordedProgress()

    for done in range(1, 1001):
        progress("checking", done, 1000)
    progress("writing", 1, 990)

    checking = [done for stage, done, _ in progress.writes if stage == "checking"]
    assert checking == [*range(1, 1001, 10), 1000]
    assert progress.writes[-1] == ("writing", 1, 990)


def test_progress_of_a_large_file_is_recorded_at_least_every_few_hundred_rows():
    progress = RecordedProgress()

    for done in range(100, 1_000_001, 100):
        progress("checking", done, 1_000_000)

    checking = [done for _, done, _ in progress.writes]
    assert checking == [*range(100, 1_000_001, PROGRESS_EVERY_ROWS), 1_000_000]


def test_the_bar_is_halfway_once_the_rows_are_checked_even_with_none_left_to_write():
    run = ImportRun(status=ImportRunStatus.RUNNING, stage="writing", rows_done=0, rows_total=0)

    assert run.percent == 50


@pytest.fixture
def courses_on_committed_db(committed_db):
    from home.models import HomePage
    from learning.models import CourseIndexPage
    from tests.factories import make_course

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    return make_course(catalogue, "ALS1")


def many_rows(count: int) -> str:
    return "".join(f"p{n}@example.org,Pat,Number{n},ALS1,ALS1-2025-{n:06d},2025-03-02,\n" for n in range(1, count + 1))


def test_the_progress_is_seen_by_others_while_the_import_is_still_running(courses_on_committed_db, client, monkeypatch):
    require(connection.vendor == "postgresql", "progress during the import is written on PostgreSQL (DATABASE_URL)")
    admin = User.objects.create_superuser("admin@example.org", "a-long-enough-password")
    client.force_login(admin)
    run = queued_run(many_rows(2500), started_by=admin)
    recorded, resume = threading.Event(), threading.Event()

    def write_and_pause(progress, **fields):
        original_write(progress, **fields)
        recorded.set()
        resume.wait(timeout=60)

    original_write = RunProgress.write
    monkeypatch.setattr(RunProgress, "write", write_and_pause)
    worker = threading.Thread(target=lambda: (perform(run.pk), connections.close_all()))
    worker.start()
    try:
        assert recorded.wait(timeout=60)
        seen = client.get(f"/admin/certifications/import/{run.pk}/progress/").json()
        page = client.get(f"/admin/certifications/import/{run.pk}/").content.decode()
    finally:
        monkeypatch.setattr(RunProgress, "write", original_write)
        resume.set()
        worker.join()

    assert seen["status"] == "running" and not seen["finished"]
    assert (seen["stage"], seen["rows_done"], seen["rows_total"], seen["percent"]) == ("checking", 1000, 2500, 20)
    assert 'value="20"' in page and "Checking the rows: 1000 of 2500." in page
    run.refresh_from_db()
    assert run.status == ImportRunStatus.DONE and Certification.objects.count() == 2500


def queued_run(body: str, *, started_by: User) -> ImportRun:
    """A run as an upload leaves it, without its task: the test decides who runs it, and when."""
    run = ImportRun(kind=ImportKind.CERTIFICATIONS, file_name="records.csv", started_by=started_by)
    run.file.save("upload.csv", csv_upload(body))
    return run


def perform(run_id: int, csv_import=CertificationImport) -> str:
    from django.utils import timezone

    return import_run_perform(run_id=run_id, csv_import=csv_import, clock=timezone.now)


def running_run(**fields) -> ImportRun:
    return ImportRun.objects.create(
        kind=ImportKind.CERTIFICATIONS,
        file_name="big.csv",
        status=ImportRunStatus.RUNNING,
        file="private/certification-imports/x.csv",
        **fields,
    )


def test_a_reload_of_a_running_runs_page_shows_its_progress_and_follows_it(admin_client):
    run = running_run(stage="writing", rows_done=300, rows_total=1000)

    page = admin_client.get(f"/admin/certifications/import/{run.pk}/").content.decode()

    assert 'value="65"' in page and "Writing the good rows: 300 of 1000." in page
    assert f'data-import-progress="/admin/certifications/import/{run.pk}/progress/"' in page
    assert "learning/admin/import_run.js" in page  # polls, then reloads when the run has finished
    assert '<noscript><meta http-equiv="refresh"' in page  # without JavaScript, the page reloads itself


def test_the_progress_address_answers_how_far_the_run_is(admin_client):
    run = running_run(stage="checking", rows_done=250, rows_total=1000)

    answer = admin_client.get(f"/admin/certifications/import/{run.pk}/progress/")

    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {
        "status": "running",
        "finished": False,
        "stage": "checking",
        "rows_done": 250,
        "rows_total": 1000,
        "percent": 12,
        "progress_text": "Checking the rows: 250 of 1000.",
    }


def test_a_finished_runs_page_neither_polls_nor_reloads(admin_client, als1, als2):
    response, _ = start(admin_client, GOOD)

    page = admin_client.get(response.url).content.decode()

    assert "import_run.js" not in page and "http-equiv" not in page and "<progress" not in page


def test_the_progress_script_is_a_static_file_that_polls_and_reloads():
    from django.contrib.staticfiles import finders

    script = open(finders.find("learning/admin/import_run.js")).read()  # noqa: SIM115

    assert "fetch(" in script and "location.reload()" in script


# --- Outcomes -------------------------------------------------------------------------------------------


def test_a_bad_row_refuses_the_file_with_each_line_reported_and_nothing_written(admin_client, als1, als2):
    before = register_state()

    response, run = start(admin_client, GOOD + BAD)

    assert run.status == ImportRunStatus.REFUSED
    assert register_state() == before
    assert [(row.line, row.column) for row in run.rejected_rows.all()] == [(4, "issued_on")]
    page = admin_client.get(response.url).content.decode()
    assert "Nothing was imported" in page
    assert "<td>4</td><td>issued_on</td>" in page and "&#x27;2025-02-30&#x27; is not a date" in page


def test_a_file_refused_as_a_whole_says_why_under_its_own_name(admin_client, als1):
    response, run = start(admin_client, "ann@example.org,Ann\n", header="email,name\n", invite=True)

    assert run.status == ImportRunStatus.REFUSED
    assert run.refusal.startswith("records.csv, line 1: missing column(s) first_name, last_name, course_code")
    assert admin_client.get(response.url).context["run"].refusal == run.refusal
    page = admin_client.get(response.url).content.decode()
    assert "records.csv, line 1: missing column(s)" in page
    assert run.rejected_count == 0 and mail.outbox == [] and not User.objects.filter(email="ann@example.org")


def test_skip_invalid_imports_the_good_rows_and_keeps_the_rejected_ones(admin_client, als1, als2):
    _, run = start(admin_client, GOOD + BAD, skip_invalid=True)

    assert run.status == ImportRunStatus.DONE
    assert Certification.objects.count() == 2
    assert run.rejected_count == 1 and run.rejected_rows.get().line == 4


def test_new_participants_are_invited_after_a_run_that_imported_when_asked(admin_client, als1, als2):
    UserFactory(email="bob@example.org", first_name="Bob", last_name="Ray")

    _, run = start(admin_client, GOOD, invite=True)

    assert run.invited == 1
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


def test_nobody_is_invited_after_a_refused_run_or_when_not_asked(admin_client, als1, als2):
    start(admin_client, GOOD + BAD, invite=True)
    ImportRun.objects.all().delete()
    start(admin_client, GOOD)

    assert mail.outbox == []


def test_a_run_that_has_finished_is_not_run_again(admin_client, als1, als2):
    _, run = start(admin_client, GOOD)
    Certification.objects.all().delete()

    assert perform(run.pk) == ImportRunStatus.DONE
    assert not Certification.objects.exists()


def test_an_unexpected_error_refuses_the_run_in_plain_words_and_is_raised_for_the_log(admin_user, als1, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    with TestCase.captureOnCommitCallbacks(execute=False):
        run = start_certification_import(started_by=admin_user)

    with pytest.raises(RuntimeError):
        perform(run.pk, csv_import=type("Broken", (CertificationImport,), {"__init__": broken}))

    run.refresh_from_db()
    assert run.status == ImportRunStatus.REFUSED and "unexpected error; nothing was imported" in run.refusal


# --- Downloads ------------------------------------------------------------------------------------------


def test_the_template_has_the_expected_header_and_an_example_row_that_imports(admin_client, als1, als2):
    response = admin_client.get("/admin/certifications/import/template.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="certifications-template.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER.strip()
    assert len(text.splitlines()) == 2
    _, run = start(admin_client, text, header="")
    assert run.status == ImportRunStatus.DONE and run.summary.startswith("1 rows: 1 created")


def test_the_import_page_links_the_template(admin_client):
    page = admin_client.get("/admin/certifications/import/").content.decode()

    assert 'href="/admin/certifications/import/template.csv"' in page


def test_the_rejected_rows_download_gives_line_values_and_reasons_formula_safe(admin_client, als1, als2):
    response, run = start(admin_client, GOOD + BAD)
    page = admin_client.get(response.url).content.decode()
    assert f'href="/admin/certifications/import/{run.pk}/rejected.csv"' in page

    download = admin_client.get(f"/admin/certifications/import/{run.pk}/rejected.csv")

    assert 'filename="records.rejected.csv"' in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["line"], row["column"], row["email"], row["issued_on"]) == (
        "4",
        "issued_on",
        "cat@example.org",
        "2025-02-30",
    )
    assert "is not a date" in row["reason"]
    assert row["first_name"] == '\'=HYPERLINK("http://x")'  # stays text in a spreadsheet


def test_the_import_page_lists_the_latest_runs(admin_client, als1, als2):
    _, run = start(admin_client, GOOD)

    page = admin_client.get("/admin/certifications/import/").content.decode()

    assert f'href="/admin/certifications/import/{run.pk}/"' in page and "records.csv" in page


# --- Who may ---------------------------------------------------------------------------------------------


def run_addresses(run) -> list[str]:
    return [
        "/admin/certifications/import/",
        "/admin/certifications/import/template.csv",
        f"/admin/certifications/import/{run.pk}/",
        f"/admin/certifications/import/{run.pk}/progress/",
        f"/admin/certifications/import/{run.pk}/rejected.csv",
    ]


def refused(response) -> bool:
    """Wagtail turns a refusal into a redirect to the dashboard, with a message saying so."""
    return response.status_code == 403 or (response.status_code == 302 and response.url == "/admin/")


def test_staff_who_may_not_add_certifications_neither_start_nor_see_runs(client, als1):
    run = running_run()
    staff_client(client, "view_certification", "change_certification")

    for address in run_addresses(run):
        assert refused(client.get(address)), address
    assert refused(client.post("/admin/certifications/import/", {"file": csv_upload(GOOD)}))
    assert ImportRun.objects.count() == 1


def test_staff_who_may_add_certifications_start_and_see_runs(client, als1, als2):
    run = running_run()
    staff_client(client, "add_certification")

    for address in run_addresses(run):
        assert client.get(address).status_code == 200, address
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/admin/certifications/import/", {"file": csv_upload(GOOD)})
    assert response.status_code == 302
    assert Certification.objects.exists()


def test_a_participant_is_kept_away_from_runs(client, participant):
    run = running_run()
    client.force_login(participant)

    for address in run_addresses(run):
        response = client.get(address)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), address


# --- Through a real worker ------------------------------------------------------------------------------


def test_a_real_worker_imports_the_run_and_its_page_reports_it(courses_on_committed_db, client, settings):
    require(connection.vendor == "postgresql", "the worker needs the test database on PostgreSQL (DATABASE_URL)")
    from tests.portal.test_celery import broker_reachable

    require(broker_reachable(), f"the broker at {settings.CELERY_BROKER_URL} is not reachable")
    import os
    import time

    from learning.register.tasks import import_certifications_task

    admin = User.objects.create_superuser("admin@example.org", "a-long-enough-password")
    client.force_login(admin)
    run = queued_run(many_rows(30), started_by=admin)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }

    with celery_worker(env) as worker:
        import_certifications_task.apply_async(args=[run.pk], queue=worker.queue)
        for _ in range(180):
            answer = client.get(f"/admin/certifications/import/{run.pk}/progress/").json()
            if answer["finished"]:
                break
            time.sleep(0.5)

    assert answer["status"] == "done", worker.output
    assert answer["progress_text"].startswith("30 rows: 30 created")
    assert Certification.objects.count() == 30
