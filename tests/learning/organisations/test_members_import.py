"""Administrators import organisation members from CSV with the certification import's rules: every rejected row
named with its line, column and reason, nothing written when any row is bad (unless skipping the invalid ones),
re-importing changes nothing, a department written as its path from the trust, the files Excel writes, and an
admin screen only administrators reach, which answers garbage with a sentence, never an error page."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase

from learning.models import ImportRun, Membership, Organisation, User
from learning.organisations.members_import import MembersImport
from learning.register.models import ImportKind, ImportRunStatus
from tests.conftest import require
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.imports import PausedImport, run_import_command
from tests.learning.organisations.helpers import manager

pytestmark = pytest.mark.django_db
HEADER = "email,first_name,last_name,organisation,employer_verified\n"
GOOD = (
    "ann@example.org,Ann,Lee,Riverside Hospitals NHS Trust,yes\n"
    "bob@example.org,Bob,Ray,Riverside Hospitals NHS Trust \u203a Emergency Department,\n"
    "ann@example.org,Ann,Lee,Hilltop Ambulance Service,no\n"
)
IMPORT_PAGE = "/admin/organisation_members/import/"


@pytest.fixture(autouse=True)
def _uploads_in_a_folder_of_the_test(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def organisations(trust, emergency, critical_care, elsewhere):
    """Riverside Hospitals NHS Trust with its Emergency Department and Critical Care Unit, and Hilltop."""
    return trust, emergency, critical_care, elsewhere


def write(tmp_path, body: str, *, header: str = HEADER):
    path = tmp_path / "members.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def command(path, *args) -> tuple[str, bool]:
    return run_import_command("import_members", path, *args)


def members() -> list[tuple[str, str, bool]]:
    """(email, organisation, employer_verified) of every membership, sorted."""
    return sorted(Membership.objects.values_list("participant__email", "organisation__name", "employer_verified"))


def register_state():
    return members(), sorted(User.objects.values_list("email", "first_name", "last_name", "employer"))


# --- A good file ---------------------------------------------------------------------------------------------


def test_a_good_file_creates_participants_and_their_memberships(tmp_path, organisations):
    output, ok = command(write(tmp_path, GOOD))

    assert ok, output
    assert "3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected; 2 new participants" in output
    assert members() == [
        ("ann@example.org", "Hilltop Ambulance Service", False),
        ("ann@example.org", "Riverside Hospitals NHS Trust", True),
        ("bob@example.org", "Emergency Department", False),
    ]
    bob = User.objects.get(email="bob@example.org")
    assert (bob.first_name, bob.last_name, bob.has_usable_password()) == ("Bob", "Ray", False)
    assert mail.outbox == []


def test_an_empty_employer_gets_the_name_of_the_trust_not_the_department(tmp_path, organisations):
    command(write(tmp_path, GOOD))

    assert User.objects.get(email="bob@example.org").employer == "Riverside Hospitals NHS Trust"
    # Ann's first line names the trust, so the later Hilltop line leaves her employer as it is.
    assert User.objects.get(email="ann@example.org").employer == "Riverside Hospitals NHS Trust"


def test_an_employer_already_written_is_kept(tmp_path, organisations):
    UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee", employer="Agency nurse")

    output, ok = command(write(tmp_path, GOOD))

    assert ok, output
    assert User.objects.get(email="ann@example.org").employer == "Agency nurse"


def test_a_known_participant_joins_without_being_created_again(tmp_path, organisations):
    ann = UserFactory(email="Ann@Example.org", first_name="Ann", last_name="Lee")

    output, ok = command(write(tmp_path, GOOD))

    assert ok, output
    assert "1 new participants" in output
    assert ann.memberships.count() == 2


def test_invite_emails_new_participants_once_the_import_is_committed(
    tmp_path, organisations, django_capture_on_commit_callbacks
):
    UserFactory(email="bob@example.org", first_name="Bob", last_name="Ray")

    with django_capture_on_commit_callbacks(execute=True):
        output, ok = command(write(tmp_path, GOOD), "--invite")

    assert ok and "Invitations queued: 1" in output
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


def test_progress_and_a_summary_are_printed(tmp_path, organisations):
    output, ok = command(write(tmp_path, GOOD))

    assert ok
    assert "checking 3/3" in output and "writing 3/3" in output


# --- Re-importing --------------------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(tmp_path, organisations):
    path = write(tmp_path, GOOD)
    first, _ = command(path)
    imported = register_state()

    again, ok = command(path)

    assert "3 rows: 3 created" in first
    assert ok and "3 rows: 0 created, 0 updated, 3 unchanged, 0 rejected; 0 new participants" in again
    assert register_state() == imported


def test_a_membership_held_already_is_kept_with_its_verification_when_the_file_says_nothing(
    tmp_path, organisations, emergency
):
    bob = UserFactory(email="bob@example.org", first_name="Bob", last_name="Ray")
    held = MembershipFactory(participant=bob, organisation=emergency, employer_verified=True)

    output, ok = command(write(tmp_path, GOOD.splitlines(keepends=True)[1]))

    assert ok and "0 created, 0 updated, 1 unchanged" in output
    held.refresh_from_db()
    assert held.employer_verified is True
    assert Membership.objects.count() == 1


@pytest.mark.parametrize(("given", "verified"), [("no", False), ("FALSE", False), ("0", False), ("Yes", True)])
def test_a_given_employer_verified_updates_the_membership_held(tmp_path, organisations, trust, given, verified):
    ann = UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee")
    held = MembershipFactory(participant=ann, organisation=trust, employer_verified=not verified)

    output, ok = command(write(tmp_path, f"ann@example.org,Ann,Lee,Riverside Hospitals NHS Trust,{given}\n"))

    assert ok and "0 created, 1 updated, 0 unchanged" in output
    held.refresh_from_db()
    assert held.employer_verified is verified


# --- Naming the organisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Riverside Hospitals NHS Trust \u203a Emergency Department",
        "Riverside Hospitals NHS Trust > Emergency Department",
        "riverside   hospitals nhs trust>EMERGENCY department",
        "  Riverside Hospitals NHS Trust\u203aEmergency  Department ",
        "Emergency Department",
    ],
    ids=["angle-quote", "greater-than", "case-and-spacing", "no-spaces", "department-alone"],
)
def test_a_department_is_found_by_its_path_ignoring_case_and_spacing(tmp_path, organisations, written):
    output, ok = command(write(tmp_path, f'bob@example.org,Bob,Ray,"{written}",\n'))

    assert ok, output
    assert members() == [("bob@example.org", "Emergency Department", False)]


def test_a_department_of_a_department_is_found_by_the_end_of_its_path(tmp_path, organisations, emergency):
    OrganisationFactory(name="Resus Team", parent=emergency)

    output, ok = command(write(tmp_path, "bob@example.org,Bob,Ray,Emergency Department > Resus Team,\n"))

    assert ok, output
    assert members() == [("bob@example.org", "Resus Team", False)]


def test_a_name_two_organisations_share_is_rejected_listing_their_paths(tmp_path, organisations, elsewhere):
    OrganisationFactory(name="Emergency Department", parent=elsewhere)

    paths = f"Hilltop Ambulance Service \u203a Emergency Department; {TRUST} \u203a Emergency Department"

    output, ok = command(write(tmp_path, GOOD + "cat@example.org,Cat,Fox,emergency department,\n"))

    assert not ok
    assert f"line 5, organisation: 'emergency department' names 2 organisations ({paths}); write the whole" in output
    assert register_state() == ([], [])


def test_the_whole_path_tells_two_departments_of_the_same_name_apart(tmp_path, organisations, elsewhere):
    OrganisationFactory(name="Emergency Department", parent=elsewhere)

    output, ok = command(write(tmp_path, "cat@example.org,Cat,Fox,Hilltop Ambulance Service > Emergency Department,\n"))

    assert ok, output
    assert Membership.objects.get().organisation.parent == elsewhere


# --- Rejected rows -------------------------------------------------------------------------------------------

TRUST = "Riverside Hospitals NHS Trust"
# id -> (the row, the column it is rejected for, what the reason says)
BAD_ROWS = {
    "unknown": (
        "cat@example.org,Cat,Fox,Riverside General,\n",
        "organisation",
        "unknown organisation 'Riverside General'",
    ),
    "unknown-path": (
        "cat@example.org,Cat,Fox,Trust > Ward 9,\n",
        "organisation",
        "unknown organisation 'Trust > Ward 9'",
    ),
    "empty-part": (
        f"cat@example.org,Cat,Fox,{TRUST} >,\n",
        "organisation",
        "has an empty part",
    ),
    "no-organisation": (
        "cat@example.org,Cat,Fox,,\n",
        "organisation",
        "organisation is empty",
    ),
    "verified": (
        f"cat@example.org,Cat,Fox,{TRUST},maybe\n",
        "employer_verified",
        "'maybe' is not yes or no",
    ),
    "email": (
        f"not-an-email,Cat,Fox,{TRUST},\n",
        "email",
        "'not-an-email' is not an email address",
    ),
    "no-email": (
        f",Cat,Fox,{TRUST},\n",
        "email",
        "email is empty",
    ),
    "no-first-name": (
        f"cat@example.org,,Fox,{TRUST},\n",
        "first_name",
        "first_name is empty",
    ),
    "control": (
        f'cat@example.org,"Ca\tt",Fox,{TRUST},\n',
        "first_name",
        "holds a control character",
    ),
    "extra-value": (
        f"cat@example.org,Cat,Fox,{TRUST},yes,extra\n",
        "column 6 (beyond the header)",
        "quotes",
    ),
    "too-long": (
        f"cat@example.org,Cat,{'F' * 151},{TRUST},\n",
        "last_name",
        "151 characters long",
    ),
}


@pytest.mark.parametrize(("row", "column", "reason"), list(BAD_ROWS.values()), ids=list(BAD_ROWS))
def test_a_bad_row_is_reported_with_line_column_and_reason_and_nothing_is_written(
    tmp_path, organisations, row, column, reason
):
    output, ok = command(write(tmp_path, GOOD + row))

    assert not ok
    assert f"rejected line 5, {column}: " in output and reason in output, output
    assert "Nothing was imported" in output
    assert register_state() == ([], [])


def test_every_bad_row_is_reported_not_just_the_first(tmp_path, organisations):
    output, ok = command(
        write(tmp_path, "".join(row.replace("cat@", f"cat{n}@") for n, (row, _, _) in enumerate(BAD_ROWS.values())))
    )

    assert not ok
    for line in range(2, 2 + len(BAD_ROWS)):
        assert f"rejected line {line}, " in output
    assert f"{len(BAD_ROWS)} rejected" in output


def test_a_name_differing_from_the_participants_is_rejected_naming_both(tmp_path, organisations):
    UserFactory(email="ann@example.org", first_name="Anne", last_name="Lee")

    output, ok = command(write(tmp_path, GOOD))

    assert not ok
    assert "line 2, first_name: ann@example.org is 'Anne Lee' in the register, not 'Ann Lee'" in output
    assert "line 4, first_name: ann@example.org is 'Anne Lee' in the register, not 'Ann Lee'" in output
    assert not Membership.objects.exists()


def test_one_email_with_two_names_in_the_file_is_rejected_naming_the_first_line(tmp_path, organisations):
    output, ok = command(
        write(tmp_path, GOOD.replace("ann@example.org,Ann,Lee,Hilltop", "ann@example.org,Anna,Lee,Hilltop"))
    )

    assert not ok
    assert "line 4, first_name: ann@example.org is named 'Anna Lee' here but differently on line 2" in output
    assert register_state() == ([], [])


def test_the_same_membership_twice_is_rejected_naming_the_first_line(tmp_path, organisations):
    again = "ANN@example.org,Ann,Lee,riverside hospitals nhs trust,yes\n"
    other = "ann@example.org,Ann,Lee,Riverside Hospitals NHS Trust,no\n"

    output, ok = command(write(tmp_path, GOOD + again + other))

    assert not ok
    assert "line 5, organisation: duplicate row in the file (same as line 2)" in output
    assert (
        "line 6, employer_verified: ann@example.org is a member of Riverside Hospitals NHS Trust on line 2 too, "
        "with another employer_verified"
    ) in output


def test_a_file_with_wrong_columns_is_refused_as_a_whole(tmp_path, organisations):
    output, ok = command(write(tmp_path, "ann@example.org,Ann Lee,Riverside\n", header="email,name,employer\n"))

    assert not ok
    assert "line 1: missing column(s) first_name, last_name, organisation; unknown column(s) name, employer" in output


def test_the_employer_verified_column_may_be_left_out(tmp_path, organisations):
    without = "email,first_name,last_name,organisation\n"

    output, ok = command(write(tmp_path, "ann@example.org,Ann,Lee,Emergency Department\n", header=without))

    assert ok, output
    assert members() == [("ann@example.org", "Emergency Department", False)]


# --- Skipping the invalid rows -------------------------------------------------------------------------------


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejected_beside_the_input(tmp_path, organisations):
    path = write(tmp_path, GOOD + BAD_ROWS["unknown"][0] + BAD_ROWS["verified"][0].replace("cat@", "dan@"))

    output, ok = command(path, "--skip-invalid")

    assert ok, output
    assert "5 rows: 3 created, 0 updated, 0 unchanged, 2 rejected; 2 new participants" in output
    assert len(members()) == 3
    assert not User.objects.filter(email__in=["cat@example.org", "dan@example.org"]).exists()
    with open(tmp_path / "members.rejected.csv", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [(row["line"], row["column"], row["organisation"]) for row in rejected] == [
        ("5", "organisation", "Riverside General"),
        ("6", "employer_verified", "Riverside Hospitals NHS Trust"),
    ]


# --- Files as spreadsheets write them ------------------------------------------------------------------------

IRISH = "zoe@example.org,Zoë,Ó Briain,Emergency Department,yes\nsean@example.org,Seán,Müller,Critical Care Unit,\n"


def names_imported():
    return sorted(User.objects.filter(memberships__isnull=False).values_list("first_name", "last_name"))


@pytest.mark.parametrize(
    ("encoded", "windows_1252"),
    [(b"\xef\xbb\xbf" + (HEADER + IRISH).encode("utf-8"), False), ((HEADER + IRISH).encode("cp1252"), True)],
    ids=["utf-8-with-bom", "windows-1252"],
)
def test_accented_names_are_read_from_either_encoding_excel_saves_and_windows_1252_is_said(
    tmp_path, organisations, encoded, windows_1252
):
    (tmp_path / "members.csv").write_bytes(encoded)

    output, ok = command(tmp_path / "members.csv")

    assert ok, output
    assert names_imported() == [("Seán", "Müller"), ("Zoë", "Ó Briain")]
    assert ("read as Windows-1252" in output) is windows_1252


def test_an_excel_csv_is_imported(tmp_path, organisations):
    # As Excel saves "CSV UTF-8": a byte-order mark, the header as typed in the sheet, CRLF line ends, a value
    # holding a comma in quotes, an optional column left empty at the line's end, and a department's path.
    excel = (
        "\ufeffEmail,First_Name,Last_Name,Organisation,Employer_Verified\r\n"
        'ann@example.org,Ann,"Lee, Jr",Riverside Hospitals NHS Trust \u203a Critical Care Unit,\r\n'
        "bob@example.org,Bob,Ray,Hilltop Ambulance Service,TRUE\r\n"
    )
    path = tmp_path / "members.csv"
    path.write_bytes(excel.encode("utf-8"))

    output, ok = command(path)

    assert ok, output
    assert User.objects.get(email="ann@example.org").last_name == "Lee, Jr"
    assert members() == [
        ("ann@example.org", "Critical Care Unit", False),
        ("bob@example.org", "Hilltop Ambulance Service", True),
    ]


def test_an_excel_workbook_is_refused_in_one_line(tmp_path, organisations):
    from openpyxl import Workbook

    workbook, path = Workbook(), tmp_path / "members.xlsx"
    workbook.active.append(HEADER.strip().split(","))
    workbook.save(path)

    output, ok = command(path)

    assert not ok
    assert "this is not a CSV file; it looks like an Excel workbook (.xlsx)" in output
    assert register_state() == ([], [])


# --- One import of members at a time (PostgreSQL) -----------------------------------------------------------


@pytest.fixture
def organisations_on_committed_db(committed_db):
    trust = Organisation.objects.create(name=TRUST)
    Organisation.objects.create(name="Emergency Department", parent=trust)
    Organisation.objects.create(name="Hilltop Ambulance Service")


def test_an_import_of_members_while_another_is_running_is_refused_plainly(tmp_path, organisations_on_committed_db):
    require(connection.vendor == "postgresql", "the import lock is tested on PostgreSQL (DATABASE_URL)")
    second = tmp_path / "second.csv"
    second.write_text(HEADER + "cat@example.org,Cat,Fox,Hilltop Ambulance Service,\n")

    with PausedImport(MembersImport, write(tmp_path, GOOD)) as running:
        output, ok = command(second)
        during = members()

    assert not ok
    assert f"{second}: another import of members is running; nothing was imported" in output
    assert during == []
    assert running.errors == [] and running.report.created == 3
    assert not User.objects.filter(email="cat@example.org").exists()


# --- In the admin --------------------------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "members.csv", **options):
    """Posts the admin's upload form, lets the import queued for after the commit run, and returns the page it
    leads to (the run's, or the form again when the form was refused)."""
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
    data.update({option: "on" for option, chosen in options.items() if chosen})
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(IMPORT_PAGE, data)
    return client.get(response.url) if response.status_code == 302 else response


def test_the_admin_upload_imports_and_its_page_reports_it(admin_client, organisations):
    page = upload(admin_client, (HEADER + GOOD).encode())

    assert page.status_code == 200
    assert "Imported." in page.content.decode()
    assert "3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected; 2 new participants" in page.content.decode()
    run = ImportRun.objects.get()
    assert (run.kind, run.status) == (ImportKind.MEMBERS, ImportRunStatus.DONE)
    assert run.file.name.startswith("private/member-imports/")
    assert len(members()) == 3


def test_the_admin_upload_refuses_a_bad_row_naming_its_line_and_writes_nothing(admin_client, organisations):
    before = register_state()

    page = upload(admin_client, (HEADER + GOOD + BAD_ROWS["unknown"][0]).encode()).content.decode()

    assert "Nothing was imported" in page
    assert "<td>5</td><td>organisation</td>" in page and "unknown organisation" in page
    assert "<td>Riverside General</td>" in page  # the row's organisation, beside its email
    assert register_state() == before


def test_the_admin_upload_with_skip_invalid_imports_the_good_rows(admin_client, organisations):
    page = upload(admin_client, (HEADER + GOOD + BAD_ROWS["unknown"][0]).encode(), skip_invalid=True).content.decode()

    assert "Imported." in page and "3 created" in page and "1 rejected" in page
    assert len(members()) == 3


def test_the_admin_invites_new_participants_when_asked(admin_client, organisations):
    upload(admin_client, (HEADER + GOOD).encode(), invite=True)

    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.org", "bob@example.org"]
    assert ImportRun.objects.get().invited == 2


def test_the_rejected_rows_download_gives_line_values_and_reasons(admin_client, organisations):
    upload(admin_client, (HEADER + GOOD + "=cmd(),Cat,Fox,Riverside General,\n").encode())
    run = ImportRun.objects.get()

    download = admin_client.get(f"{IMPORT_PAGE}{run.pk}/rejected.csv")

    assert 'filename="members.rejected.csv"' in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [(row["line"], row["email"], row["organisation"]) for row in rows] == [
        ("5", "'=cmd()", "Riverside General")  # the formula stays text in a spreadsheet
    ]
    assert "unknown organisation" in rows[0]["reason"]


def test_the_template_has_the_columns_and_an_example_row_that_imports(admin_client, organisations):
    response = admin_client.get(f"{IMPORT_PAGE}template.csv")

    assert 'filename="members-template.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER.strip()
    assert "\u203a" in text.splitlines()[1]  # a department, written as its path
    page = upload(admin_client, text.encode("utf-8"))
    assert "1 rows: 1 created" in page.content.decode()


def test_the_import_page_links_the_template_and_lists_only_member_imports(admin_client, organisations):
    upload(admin_client, (HEADER + GOOD).encode())
    member_run = ImportRun.objects.get()
    ImportRun.objects.create(kind=ImportKind.CERTIFICATIONS, file_name="certificates.csv", file="private/x.csv")

    page = admin_client.get(IMPORT_PAGE).content.decode()

    assert f'href="{IMPORT_PAGE}template.csv"' in page
    assert f'href="{IMPORT_PAGE}{member_run.pk}/"' in page and "certificates.csv" not in page


def test_a_certification_runis_not_shown_on_the_members_screen(admin_client):
    other = ImportRun.objects.create(kind=ImportKind.CERTIFICATIONS, file_name="c.csv", file="private/c.csv")

    assert admin_client.get(f"{IMPORT_PAGE}{other.pk}/").status_code == 404


# --- Garbage ---------------------------------------------------------------------------------------------------

GARBAGE = {
    "empty": (b"", "the file is empty"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "it looks like a PNG image"),
    "random-bytes": (bytes(range(256)) * 4, "this is not a CSV file"),
    "utf-16": ((HEADER + IRISH).encode("utf-16"), "UTF-16 text"),
    "nul-in-a-name": ((HEADER + GOOD).encode().replace(b"Bob", b"B\x00b"), "line 3: this is not a CSV file"),
    "a-huge-field": ((HEADER + "a@example.org," + "x" * 200_000 + ",Lee,Trust,\n").encode(), "not readable as CSV"),
    "unclosed-quote": ((HEADER + 'a@example.org,"Ann,Lee,Trust,\n').encode(), "Nothing was imported"),
    "no-header": (b"\n\n,,,\n", "missing column(s)"),
}


@pytest.mark.parametrize("kind", GARBAGE)
def test_garbage_gets_a_sentence_never_an_error_page(admin_client, organisations, kind):
    content, message = GARBAGE[kind]
    before = register_state()

    page = upload(admin_client, content, name="garbage.csv")

    assert page.status_code == 200
    assert message in page.content.decode()
    assert register_state() == before


def test_a_post_without_a_file_shows_the_form_again_with_its_error(admin_client):
    response = admin_client.post(IMPORT_PAGE, {})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ImportRun.objects.exists()


# --- Who may -------------------------------------------------------------------------------------------------


def addresses(run) -> list[str]:
    return [
        IMPORT_PAGE,
        f"{IMPORT_PAGE}template.csv",
        f"{IMPORT_PAGE}{run.pk}/",
        f"{IMPORT_PAGE}{run.pk}/progress/",
        f"{IMPORT_PAGE}{run.pk}/rejected.csv",
    ]


def a_members_run() -> ImportRun:
    return ImportRun.objects.create(
        kind=ImportKind.MEMBERS, file_name="m.csv", file="private/member-imports/m.csv", status=ImportRunStatus.DONE
    )


def staff(*permissions: str) -> User:
    """A member of staff who may use the admin and holds `permissions` (codenames of the learning app)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        *Permission.objects.filter(codename__in=permissions, content_type__app_label="learning"),
    )
    return user


def refused(response) -> bool:
    """Wagtail turns a refusal into a redirect (to the dashboard, or to sign in), or answers 403."""
    return response.status_code == 403 or (
        response.status_code == 302 and (response.url == "/admin/" or response.url.startswith("/admin/login/"))
    )


def test_a_superuser_reaches_every_address(admin_client):
    run = a_members_run()

    for address in addresses(run):
        assert admin_client.get(address).status_code == 200, address


def test_an_administrator_who_may_add_members_starts_an_import(client, organisations):
    run = a_members_run()
    client.force_login(staff("add_membership"))

    for address in addresses(run):
        assert client.get(address).status_code == 200, address
    upload(client, (HEADER + GOOD).encode())
    assert len(members()) == 3


@pytest.mark.parametrize(
    "who",
    ["manager", "participant", "staff-who-may-add-certifications", "staff-who-may-only-view-members"],
)
def test_anyone_else_is_refused_every_address_and_imports_nothing(client, organisations, trust, who):
    run = a_members_run()
    user = {
        "manager": lambda: manager(trust),
        "participant": lambda: UserFactory(),
        "staff-who-may-add-certifications": lambda: staff("add_certification"),
        "staff-who-may-only-view-members": lambda: staff("view_membership"),
    }[who]()
    client.force_login(user)

    for address in addresses(run):
        assert refused(client.get(address)), address
    assert refused(client.post(IMPORT_PAGE, {"file": SimpleUploadedFile("m.csv", (HEADER + GOOD).encode())}))
    assert ImportRun.objects.count() == 1 and not Membership.objects.exists()


def test_the_menu_item_is_shown_only_to_those_who_may_import(organisations):
    from django.test import RequestFactory
    from django.urls import reverse
    from wagtail.admin.menu import admin_menu

    reverse("wagtailadmin_home")  # the admin's URLs register the viewsets and their menu items

    def organisation_menu(user) -> list[str]:
        request = RequestFactory().get("/admin/")
        request.user = user
        items = {item.label: item for item in admin_menu.menu_items_for_request(request)}
        return [item.label for item in items["Organisations"].menu.menu_items_for_request(request)]

    assert "Import members" in organisation_menu(staff("add_membership", "view_organisation", "view_membership"))
    assert "Import members" not in organisation_menu(staff("view_organisation", "view_membership"))
