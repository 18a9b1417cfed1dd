"""`import_certifications`: all or nothing by default, every bad row reported with line, column and reason,
--skip-invalid, idempotent re-import, updates by number, invitations only on request."""

import csv
import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase

from learning.models import Certification, User
from learning.register.certification_import import CertificationImport
from tests.conftest import at_once, require
from tests.factories import CertificationFactory, UserFactory
from tests.imports import PausedImport, run_import_command

pytestmark = pytest.mark.django_db
HEADER = "email,first_name,last_name,course_code,number,issued_on,expires_on\n"
GOOD = (
    "ann@example.org,Ann,Lee,ALS1,ALS1-2025-000001,2025-03-02,\n"
    "bob@example.org,Bob,Ray,ALS2,ALS2-2025-000001,02/03/2025,2027-03-01\n"
    "ann@example.org,Ann,Lee,ALS2,ALS2-2025-000002,2025-06-10,\n"
)


def write(tmp_path, body, name="records.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def upload_in_admin(client, data):
    """Posts the admin's upload form, lets the import queued for after the commit run, and returns the page of
    the run that the upload leads to."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/admin/certifications/import/", data)
    assert response.status_code == 302, response.content.decode()
    return client.get(response.url)


def run(path, *args):
    return run_import_command("import_certifications", path, *args)


def register_state():
    return (
        sorted(
            Certification.objects.values_list("number", "participant__email", "course__code", "issued_on", "expires_on")
        ),
        sorted(User.objects.values_list("email", "first_name", "last_name")),
    )


def test_a_good_file_creates_participants_and_certifications(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, GOOD))

    assert ok
    assert "3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected; 2 new participants" in output
    ann = User.objects.get(email="ann@example.org")
    assert (ann.first_name, ann.last_name) == ("Ann", "Lee")
    assert not ann.has_usable_password()
    assert Certification.objects.get(number="ALS1-2025-000001").expires_on == datetime.date(2027, 3, 2)
    bob = Certification.objects.get(number="ALS2-2025-000001")
    assert (bob.issued_on, bob.expires_on) == (datetime.date(2025, 3, 2), datetime.date(2027, 3, 1))
    assert mail.outbox == []


def test_an_address_is_stored_as_accounts_are_signed_in_with(tmp_path, als1, als2):
    # A full-width letter in the domain passes the address check (IDNA maps it), and is one address with "e".
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + "Cy@\uff45xample.org,Cy,Day,ALS1,ALS1-2025-000009,2025-03-02,\n", encoding="utf-8")

    output, ok = run(path)

    assert ok, output
    assert list(User.objects.values_list("email", flat=True)) == ["cy@example.org"]


def test_invite_emails_new_participants_only(tmp_path, als1, als2, django_capture_on_commit_callbacks):
    UserFactory(email="bob@example.org", first_name="Bob", last_name="Ray")

    with django_capture_on_commit_callbacks(execute=True):
        output, ok = run(write(tmp_path, GOOD), "--invite")

    assert ok and "Invitations queued: 1" in output
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-generated"


def test_reimporting_the_same_file_changes_nothing(tmp_path, als1, als2):
    path = write(tmp_path, GOOD)
    run(path)
    before = register_state()

    output, ok = run(path)

    assert ok and "3 rows: 0 created, 0 updated, 3 unchanged, 0 rejected; 0 new participants" in output
    assert register_state() == before


def test_a_row_whose_number_exists_updates_that_certification(tmp_path, als1, als2):
    run(write(tmp_path, GOOD))

    output, ok = run(write(tmp_path, "ann@example.org,Ann,Lee,ALS1,ALS1-2025-000001,2025-03-02,2027-06-30\n"))

    assert ok and "0 created, 1 updated" in output
    assert Certification.objects.get(number="ALS1-2025-000001").expires_on == datetime.date(2027, 6, 30)
    assert Certification.objects.count() == 3


BAD_ROWS = [
    ("cat@example.org,Cat,Fox,XYZ9,X-1,2025-01-01,\n", "course_code", "unknown course 'XYZ9'"),
    ("cat@example.org,Cat,Fox,ALS1,X-2,2025-02-30,\n", "issued_on", "'2025-02-30' is not a date"),
    ("cat@example.org,Cat,Fox,ALS1,X-3,31/12/2025,01/01/2025\n", "expires_on", "is not after issue"),
    ("not-an-email,Cat,Fox,ALS1,X-4,2025-01-01,\n", "email", "'not-an-email' is not an email address"),
    ("cat@example.org,Cat,Fox,ALS1,,2025-01-01,\n", "number", "number is empty"),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_ROWS, ids=["course", "date", "order", "email", "empty"])
def test_a_bad_row_is_reported_with_line_column_and_reason_and_nothing_is_written(
    tmp_path, als1, als2, row, column, reason
):
    before = register_state()

    output, ok = run(write(tmp_path, GOOD + row))

    assert not ok
    assert f"line 5, {column}: " in output and reason in output
    assert "Nothing was imported" in output
    assert register_state() == before


def test_a_number_already_held_by_another_person_is_rejected(tmp_path, als1, als2):
    CertificationFactory(number="ALS1-2025-000001", participant=UserFactory(email="someone@example.org"), course=als1)
    before = register_state()

    output, ok = run(write(tmp_path, GOOD))

    assert not ok
    assert "line 2, number: number ALS1-2025-000001 already belongs to another person" in output
    assert register_state() == before


def test_duplicate_rows_in_the_file_are_rejected_naming_the_first(tmp_path, als1, als2):
    output, ok = run(
        write(
            tmp_path,
            GOOD + GOOD.splitlines(keepends=True)[0] + "zed@example.org,Zed,Ox,ALS1,ALS1-2025-000001,2025-03-02,\n",
        )
    )

    assert not ok
    assert "line 5, number: duplicate row in the file (same as line 2)" in output
    assert "line 6, number: number ALS1-2025-000001 is also on line 2 with other details" in output


def test_every_bad_row_is_reported_not_just_the_first(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, "".join(row for row, _, _ in BAD_ROWS)))

    assert not ok
    for line in range(2, 2 + len(BAD_ROWS)):
        assert f"rejected line {line}, " in output
    assert f"{len(BAD_ROWS)} rejected" in output


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejected_beside_the_input(tmp_path, als1, als2):
    path = write(tmp_path, GOOD + BAD_ROWS[0][0] + BAD_ROWS[1][0])

    output, ok = run(path, "--skip-invalid")

    assert ok and "3 created" in output and "2 rejected" in output
    assert Certification.objects.count() == 3
    with open(tmp_path / "records.rejected.csv", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [(row["line"], row["column"]) for row in rejected] == [("5", "course_code"), ("6", "issued_on")]
    assert "unknown course 'XYZ9'" in rejected[0]["reason"]
    assert rejected[0]["email"] == "cat@example.org" and rejected[0]["number"] == "X-1"


def test_a_file_with_wrong_columns_is_refused_as_a_whole(tmp_path, als1):
    path = tmp_path / "wrong.csv"
    path.write_text("mail,course,number\nann@example.org,ALS1,1\n")

    output, ok = run(path)

    assert not ok
    assert "line 1: missing column(s) email, first_name, last_name, course_code, issued_on" in output
    assert "unknown column(s) mail, course" in output


def test_headings_as_a_spreadsheet_writes_them_and_its_empty_rows_are_read_as_blank(tmp_path, als1, als2):
    path = tmp_path / "excel.csv"
    path.write_text(
        "Email,First Name,Last-Name,Course Code,Number,Issued On,EXPIRES_ON\n" + GOOD + ",,,,,,\n , ,,,,,\n"
    )

    output, ok = run(path)

    assert ok, output
    assert "3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected" in output
    assert Certification.objects.count() == 3


def test_a_file_separated_by_semicolons_is_told_so(tmp_path, als1):
    path = tmp_path / "semicolons.csv"
    path.write_text(HEADER.replace(",", ";") + GOOD.replace(",", ";"))

    output, ok = run(path)

    assert not ok
    assert "line 1: the columns are separated by semicolons; save the file as CSV with commas" in output
    assert not Certification.objects.exists()


def test_progress_and_a_summary_are_printed(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, GOOD))

    assert ok
    assert "checking 3/3" in output and "writing 3/3" in output


def test_the_admin_upload_imports_the_same_way(client, tmp_path, als1, als2, admin_user):
    client.force_login(admin_user)
    path = write(tmp_path, GOOD + BAD_ROWS[0][0])

    with open(path, "rb") as handle:
        refused = upload_in_admin(client, {"file": handle})
    with open(path, "rb") as handle:
        skipped = upload_in_admin(client, {"file": handle, "skip_invalid": "on"})

    assert "Nothing was imported" in refused.content.decode()
    assert "unknown course" in refused.content.decode()
    assert "3 created" in skipped.content.decode()
    assert Certification.objects.count() == 3


# --- Encodings and files that are not CSV -----------------------------------------------------------------

IRISH = (
    "zoe@example.org,Zoë,Ó Briain,ALS1,ALS1-2025-000010,2025-03-02,\n"
    "sean@example.org,Seán,Müller,ALS1,ALS1-2025-000011,2025-03-02,\n"
)


def names_imported():
    return sorted(User.objects.filter(certifications__isnull=False).values_list("first_name", "last_name"))


def xlsx_bytes() -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(HEADER.strip().split(","))
    workbook.active.append(GOOD.splitlines()[0].split(","))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
BAD_FILES = {
    "empty": (lambda: b"", "the file is empty"),
    "blank-lines": (lambda: b"\r\n\r\n  \r\n", "the file is empty"),
    "bom-only": (lambda: b"\xef\xbb\xbf", "the file is empty"),
    "nul-bytes": (lambda: (HEADER + GOOD).encode().replace(b"Bob", b"B\x00b"), "line 3: this is not a CSV file"),
    "png": (lambda: PNG, "it looks like a PNG image"),
    "xlsx": (xlsx_bytes, "it looks like an Excel workbook (.xlsx)"),
    "utf-16": (lambda: (HEADER + IRISH).encode("utf-16"), "UTF-16 text"),
    "utf-8-then-cp1252": (
        lambda: (
            (HEADER + IRISH).encode("utf-8")
            + "ann@example.org,Zoë,Lee,ALS1,ALS1-2025-000012,2025-03-02,\n".encode("cp1252")
        ),
        "line 4: the text is not UTF-8",
    ),
    "not-cp1252-either": (
        lambda: (HEADER + "ann@example.org,Ann,Le\x81e,ALS1,X-1,2025-03-02,\n").encode("latin-1"),
        "line 2: the text is not UTF-8",
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_file_that_is_not_csv_text_is_refused_in_one_line_and_nothing_is_written(tmp_path, als1, als2, kind):
    content, message = BAD_FILES[kind]
    path = tmp_path / "records.csv"
    path.write_bytes(content())
    before = register_state()

    with pytest.raises(CommandError) as refused:
        call_command("import_certifications", str(path), stdout=StringIO(), stderr=StringIO())

    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert str(path) in str(refused.value)
    assert register_state() == before
    assert not Certification.objects.exists()


@pytest.mark.parametrize("kind", BAD_FILES)
def test_the_admin_upload_refuses_a_file_that_is_not_csv_text_with_its_message(admin_client, als1, als2, kind):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content, message = BAD_FILES[kind]
    before = register_state()

    response = upload_in_admin(admin_client, {"file": SimpleUploadedFile("from-excel.csv", content())})

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "from-excel.csv" in page
    assert register_state() == before


def test_a_utf8_file_with_a_bom_is_read_with_its_accented_names(tmp_path, als1):
    path = tmp_path / "records.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + IRISH).encode("utf-8"))

    output, ok = run(path)

    assert ok, output
    assert names_imported() == [("Seán", "Müller"), ("Zoë", "Ó Briain")]
    assert "Windows-1252" not in output


def test_an_excel_windows_1252_file_is_read_with_its_accented_names(tmp_path, als1):
    path = tmp_path / "records.csv"
    path.write_bytes((HEADER + IRISH).replace("\n", "\r\n").encode("cp1252"))

    output, ok = run(path)

    assert ok, output
    assert names_imported() == [("Seán", "Müller"), ("Zoë", "Ó Briain")]
    assert "read as Windows-1252" in output


def test_the_admin_upload_reads_an_excel_windows_1252_file(admin_client, als1):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("excel.csv", (HEADER + IRISH).encode("cp1252"))

    response = upload_in_admin(admin_client, {"file": upload})

    assert "2 created" in response.content.decode()
    assert "read as Windows-1252" in response.content.decode()
    assert names_imported() == [("Seán", "Müller"), ("Zoë", "Ó Briain")]


def test_a_field_longer_than_csv_allows_is_refused_with_its_line(tmp_path, als1):
    path = tmp_path / "records.csv"
    path.write_text(HEADER + GOOD + "ann@example.org,Ann," + "L" * 200_000 + ",ALS1,X-9,2025-03-02,\n")

    output, ok = run(path)

    assert not ok
    assert "line 5: not readable as CSV" in output
    assert not Certification.objects.exists()


@pytest.mark.parametrize("mode", [(), ("--skip-invalid",)])
def test_a_quote_left_open_is_refused_with_its_line_and_nothing_is_lost(tmp_path, als1, mode):
    path = tmp_path / "records.csv"
    path.write_text(
        HEADER
        + "ann@example.org,Ann,Lee,ALS1,ALS1-ANN-0001,2025-03-02,\n"
        + 'bob@example.org,"Bob,Ray,ALS1,ALS1-BOB-0001,2025-03-02,\n'  # line 3: the quote is never closed
        + "cat@example.org,Cat,Fox,ALS1,ALS1-CAT-0001,2025-03-02,\n"
        + "dan@example.org,Dan,Fox,ALS1,ALS1-DAN-0001,2025-03-02,\n"
    )

    output, ok = run(path, *mode)

    assert not ok
    assert (
        "line 3: a quote opened in column 2 (first_name) is not closed on that line, so lines 4 to 5 were read "
        "into that value instead of as rows"
    ) in output
    assert not Certification.objects.exists()


# --- Certification numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["ALS1/2025/1", "ALS1 2025 1", "AB", "X" * 41, "-ALS1-1", "ALS1_2025_1", "ÄLS1-2025-1", "ALS1-2025-1;"]
)
def test_a_number_outside_the_format_is_rejected_with_its_line(tmp_path, als1, als2, number):
    output, ok = run(write(tmp_path, GOOD + f"cat@example.org,Cat,Fox,ALS1,{number},2025-01-01,\n"))

    assert not ok
    assert "line 5, number: " in output
    assert "is not a certification number (3 to 40 letters (A-Z), digits and hyphens" in output
    assert not Certification.objects.exists()


def test_numbers_differing_only_in_case_in_one_file_are_one_number(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, GOOD + GOOD.splitlines(keepends=True)[0].replace("ALS1-2025", "als1-2025")))

    assert not ok
    assert "line 5, number: duplicate row in the file (same as line 2)" in output


def test_a_number_held_in_another_case_updates_that_certification(tmp_path, als1, als2):
    run(write(tmp_path, GOOD))

    output, ok = run(write(tmp_path, "ann@example.org,Ann,Lee,ALS1,als1-2025-000001,2025-03-02,2027-06-30\n"))

    assert ok, output
    assert "0 created, 1 updated" in output
    assert Certification.objects.get(number__iexact="als1-2025-000001").expires_on == datetime.date(2027, 6, 30)
    assert Certification.objects.count() == 3


def test_a_number_held_by_another_person_in_another_case_is_rejected(tmp_path, als1, als2):
    CertificationFactory(number="ALS1-2025-000001", participant=UserFactory(email="someone@example.org"), course=als1)

    output, ok = run(write(tmp_path, GOOD.replace("ALS1-2025-000001", "Als1-2025-000001")))

    assert not ok
    assert "line 2, number: number Als1-2025-000001 already belongs to another person" in output
    assert Certification.objects.count() == 1


# --- Values that do not fit the register ------------------------------------------------------------------


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def too_long_email() -> str:
    # A valid address (64-character local part, labels of 60) that is longer than the email column.
    address = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "org"
    assert len(address) > max_length(User, "email")
    return address


def test_an_email_longer_than_its_column_is_rejected_with_line_and_column(tmp_path, als1, als2):
    address = too_long_email()
    before = register_state()

    output, ok = run(write(tmp_path, GOOD + f"{address},Cat,Fox,ALS1,ALS1-2025-000009,2025-01-01,\n"))

    assert not ok
    limit = max_length(User, "email")
    assert f"line 5, email: email is {len(address)} characters long; the register holds at most {limit}" in output
    assert register_state() == before


@pytest.mark.parametrize("column", ["first_name", "last_name"])
def test_a_name_longer_than_its_column_is_rejected_with_line_and_column(tmp_path, als1, als2, column):
    limit = max_length(User, column)
    names = {"first_name": "Cat", "last_name": "Fox", column: "N" * (limit + 1)}
    before = register_state()

    output, ok = run(
        write(
            tmp_path,
            GOOD + f"cat@example.org,{names['first_name']},{names['last_name']},ALS1,ALS1-2025-000009,2025-01-01,\n",
        )
    )

    assert not ok
    assert f"line 5, {column}: {column} is {limit + 1} characters long; the register holds at most {limit}" in output
    assert "Nothing was imported" in output
    assert register_state() == before


def test_the_length_limit_is_the_model_fields_max_length(tmp_path, als1, als2, monkeypatch):
    # Were the column narrowed to two characters, "Lee" and "Ray" would no longer fit.
    monkeypatch.setattr(User._meta.get_field("last_name"), "max_length", 2)

    output, ok = run(write(tmp_path, GOOD))

    assert not ok
    assert "line 2, last_name: last_name is 3 characters long; the register holds at most 2" in output
    assert "line 3, last_name: last_name is 3 characters long; the register holds at most 2" in output
    assert not Certification.objects.exists()


def test_a_number_longer_than_its_column_is_rejected_by_the_number_format(tmp_path, als1, als2):
    number = "ALS1-" + "9" * max_length(Certification, "number")

    output, ok = run(write(tmp_path, GOOD + f"cat@example.org,Cat,Fox,ALS1,{number},2025-01-01,\n"))

    assert not ok
    assert "line 5, number: " in output and "is not a certification number" in output
    assert not Certification.objects.exists()


def test_a_very_long_value_is_shortened_in_the_report(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, GOOD + "cat@example.org,Cat,Fox," + "Z" * 5000 + ",X-1,2025-01-01,\n"))

    assert not ok
    assert "line 5, course_code: unknown course 'ZZZ" in output
    assert "Z" * 100 not in output


def test_the_admin_upload_reports_a_value_too_long_and_writes_nothing(admin_client, als1, als2):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = register_state()
    body = (
        GOOD
        + "cat@example.org,Cat,"
        + "F" * (max_length(User, "last_name") + 1)
        + ",ALS1,ALS1-2025-000009,2025-01-01,\n"
    )

    response = upload_in_admin(admin_client, {"file": SimpleUploadedFile("records.csv", (HEADER + body).encode())})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "<td>5</td><td>last_name</td>" in page and "characters long; the register holds at most" in page
    assert register_state() == before


# --- Control characters --------------------------------------------------------------------------------


def test_a_nul_byte_in_a_value_is_refused_naming_its_line_and_column(tmp_path, als1, als2):
    path = tmp_path / "records.csv"
    path.write_bytes((HEADER + GOOD).encode().replace(b"Ray", b"R\x00y"))
    before = register_state()

    output, ok = run(path)

    assert not ok
    assert "line 3: this is not a CSV file (it holds binary data, in column 3 (last_name))" in output
    assert register_state() == before


def test_the_admin_upload_names_the_line_and_column_of_a_nul_byte(admin_client, als1, als2):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (HEADER + GOOD).encode().replace(b"ann@example.org,Ann,Lee,ALS2", b"ann@example.org,Ann,Lee,AL\x00S2")

    response = upload_in_admin(admin_client, {"file": SimpleUploadedFile("nul.csv", content)})

    assert response.status_code == 200
    assert "nul.csv, line 4: this is not a CSV file (it holds binary data, in column 4 (course_code))" in (
        response.content.decode()
    )
    assert not Certification.objects.exists()


@pytest.mark.parametrize(
    ("value", "code"), [('"Ann\nMarie"', "U+000A"), ("Ann\u009fe", "U+009F"), ('"Ann\tMarie"', "U+0009")]
)
def test_a_control_character_inside_a_value_is_rejected_with_line_and_column(tmp_path, als1, als2, value, code):
    path = tmp_path / "records.csv"
    path.write_text(
        HEADER + GOOD + f"cat@example.org,{value},Fox,ALS1,ALS1-2025-000009,2025-01-01,\n", encoding="utf-8"
    )
    before = register_state()

    output, ok = run(path)

    assert not ok
    assert f"line 5, first_name: first_name holds a control character ({code}) at character 4" in output
    assert register_state() == before


# --- Dates the register does not take --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_on", "expires_on", "column", "text"),
    [
        ("0026-01-01", "", "issued_on", "'0026-01-01'"),
        ("01/01/0026", "", "issued_on", "'01/01/0026'"),
        ("1949-12-31", "", "issued_on", "'1949-12-31'"),
        ("2025-01-01", "2101-01-01", "expires_on", "'2101-01-01'"),
        ("2025-01-01", "31/12/9999", "expires_on", "'31/12/9999'"),
    ],
    ids=["year-26", "year-26-dmy", "before-1950", "after-2100", "year-9999"],
)
def test_a_date_outside_1950_to_2100_is_rejected_with_line_and_column(
    tmp_path, als1, als2, issued_on, expires_on, column, text
):
    before = register_state()

    output, ok = run(
        write(tmp_path, GOOD + f"cat@example.org,Cat,Fox,ALS1,ALS1-2025-000009,{issued_on},{expires_on}\n")
    )

    assert not ok
    assert f"line 5, {column}: {text} is outside the dates the register takes (1950-01-01 to 2100-12-31)" in output
    assert register_state() == before


def test_the_first_and_last_dates_the_register_takes_are_imported(tmp_path, als1, als2):
    output, ok = run(
        write(
            tmp_path,
            "ann@example.org,Ann,Lee,ALS1,ALS1-1950-000001,1950-01-01,\n"
            "ann@example.org,Ann,Lee,ALS2,ALS2-2098-000001,2098-06-01,2100-12-31\n",
        )
    )

    assert ok, output
    assert sorted(Certification.objects.values_list("issued_on", "expires_on")) == [
        (datetime.date(1950, 1, 1), datetime.date(1952, 1, 1)),
        (datetime.date(2098, 6, 1), datetime.date(2100, 12, 31)),
    ]


def test_an_expiry_computed_beyond_2100_is_rejected_naming_the_expiry_column(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, GOOD + "cat@example.org,Cat,Fox,ALS1,ALS1-2100-000001,2100-06-01,\n"))

    assert not ok
    assert (
        "line 5, expires_on: expires_on is empty, and issue 2100-06-01 + 24 months of ALS1 gives 2102-06-01, "
        "after 2100-12-31"
    ) in output
    assert not Certification.objects.exists()


# --- Numbers and names that disagree with the register -----------------------------------------------------


def test_a_number_held_for_another_course_is_rejected_and_stays_with_its_course(tmp_path, als1, als2):
    ann = UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee")
    CertificationFactory(number="ALS1-2025-000001", participant=ann, course=als2)
    before = register_state()

    output, ok = run(write(tmp_path, GOOD))

    assert not ok
    assert (
        "line 2, number: number ALS1-2025-000001 already belongs to a ALS2 certification, not ALS1; "
        "a certification never changes course"
    ) in output
    assert register_state() == before
    assert Certification.objects.get(number="ALS1-2025-000001").course == als2


def test_a_number_held_by_the_same_person_for_the_same_course_is_updated(tmp_path, als1, als2):
    ann = UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee")
    held = CertificationFactory(number="ALS1-2025-000001", participant=ann, course=als1)

    output, ok = run(write(tmp_path, GOOD))

    assert ok, output
    assert "2 created, 1 updated" in output
    held.refresh_from_db()
    assert (held.participant, held.course, held.issued_on) == (ann, als1, datetime.date(2025, 3, 2))


@pytest.mark.parametrize(
    ("registered", "columns"),
    [(("Anne", "Lee"), "first_name"), (("Ann", "Leigh"), "last_name"), (("Hannah", "Leigh"), "first_name, last_name")],
)
def test_a_name_differing_from_the_participants_is_rejected_naming_both(tmp_path, als1, als2, registered, columns):
    UserFactory(email="ann@example.org", first_name=registered[0], last_name=registered[1])
    before = register_state()

    output, ok = run(write(tmp_path, GOOD))

    assert not ok
    in_register = " ".join(registered)
    assert f"line 2, {columns}: ann@example.org is '{in_register}' in the register, not 'Ann Lee'" in output
    assert f"line 4, {columns}: ann@example.org is '{in_register}' in the register, not 'Ann Lee'" in output
    assert register_state() == before


def test_a_name_differing_only_in_case_and_spacing_is_the_same_name_and_kept(tmp_path, als1, als2):
    ann = UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee")

    output, ok = run(write(tmp_path, GOOD.replace("Ann,Lee", "ANN, lee ")))

    assert ok, output
    ann.refresh_from_db()
    assert (ann.first_name, ann.last_name) == ("Ann", "Lee")
    assert ann.certifications.count() == 2


def test_one_email_with_two_names_in_the_file_is_rejected_naming_the_first_line(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, GOOD.replace("ann@example.org,Ann,Lee,ALS2", "ann@example.org,Anna,Lee,ALS2")))

    assert not ok
    assert "line 4, first_name: ann@example.org is named 'Anna Lee' here but differently on line 2" in output
    assert register_state() == ([], [])


def test_a_participant_whose_address_was_stored_in_capitals_is_matched(tmp_path, als1, als2):
    ann = UserFactory(email="Ann@Example.org", first_name="Ann", last_name="Lee")

    output, ok = run(write(tmp_path, GOOD))

    assert ok, output
    assert "1 new participants" in output
    assert sorted(ann.certifications.values_list("number", flat=True)) == ["ALS1-2025-000001", "ALS2-2025-000002"]


# --- Skipping the bad rows -------------------------------------------------------------------------------

NEW_BAD_ROWS = [
    (f"{'a' * 64}@{('b' * 60 + '.') * 4}org,Cat,Fox,ALS1,ALS1-2025-000020,2025-01-01,\n", "email", "characters long"),
    ("dan@example.org,Dan,Fox,ALS1,ALS1-2025-000021,0026-01-01,\n", "issued_on", "outside the dates"),
    ('eve@example.org,"E\nve",Fox,ALS1,ALS1-2025-000022,2025-01-01,\n', "first_name", "control character"),
    ("kim@example.org,Kim,Fox,ALS1,ALS2-2024-000001,2025-01-01,\n", "number", "already belongs to a ALS2"),
    ("lou@example.org,Louise,Fox,ALS1,ALS1-2025-000024,2025-01-01,\n", "first_name", "in the register"),
]


def test_skip_invalid_imports_the_good_rows_and_reports_each_bad_one_with_line_and_column(tmp_path, als1, als2):
    kim = UserFactory(email="kim@example.org", first_name="Kim", last_name="Fox")
    CertificationFactory(number="ALS2-2024-000001", participant=kim, course=als2)
    UserFactory(email="lou@example.org", first_name="Lou", last_name="Fox")
    path = write(tmp_path, GOOD + "".join(row for row, _, _ in NEW_BAD_ROWS))

    output, ok = run(path, "--skip-invalid")

    assert ok, output
    assert f"3 created, 0 updated, 0 unchanged, {len(NEW_BAD_ROWS)} rejected" in output
    assert sorted(Certification.objects.values_list("number", flat=True)) == [
        "ALS1-2025-000001",
        "ALS2-2024-000001",
        "ALS2-2025-000001",
        "ALS2-2025-000002",
    ]
    with open(tmp_path / "records.rejected.csv", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    # The quoted line break makes the third bad row span two lines: it is named by its first.
    assert [(row["line"], row["column"]) for row in rejected] == [
        ("5", "email"),
        ("6", "issued_on"),
        ("7", "first_name"),
        ("9", "number"),
        ("10", "first_name"),
    ]
    for row, (_, column, reason) in zip(rejected, NEW_BAD_ROWS, strict=True):
        assert reason in row["reason"]
        assert f"rejected line {row['line']}, {column}: " in output
    assert all(f"rejected line {line}," not in output for line in (2, 3, 4))


def test_the_admin_upload_with_skip_invalid_lists_each_bad_row_with_line_and_column(admin_client, als1, als2):
    from django.core.files.uploadedfile import SimpleUploadedFile

    UserFactory(email="lou@example.org", first_name="Lou", last_name="Fox")
    body = GOOD + NEW_BAD_ROWS[1][0] + NEW_BAD_ROWS[4][0]

    response = upload_in_admin(
        admin_client,
        {"file": SimpleUploadedFile("records.csv", (HEADER + body).encode()), "skip_invalid": "on"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "3 created" in page and "2 rejected" in page
    assert "<td>5</td><td>issued_on</td>" in page and "<td>6</td><td>first_name</td>" in page
    assert Certification.objects.count() == 3


# --- Two imports at once (PostgreSQL) -------------------------------------------------------------------


@pytest.fixture
def courses_on_committed_db(committed_db):
    from home.models import HomePage
    from learning.models import CourseIndexPage
    from tests.factories import make_course

    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    als1 = make_course(catalogue, "ALS1")
    return als1, make_course(catalogue, "ALS2", prerequisites=[als1])


def many_rows(count: int) -> str:
    return "".join(f"p{n}@example.org,Pat,Number{n},ALS1,ALS1-2025-{n:06d},2025-03-02,\n" for n in range(1, count + 1))


def test_an_import_while_another_is_running_is_refused_plainly(tmp_path, courses_on_committed_db):
    require(connection.vendor == "postgresql", "the import lock is tested on PostgreSQL (DATABASE_URL)")
    first = write(tmp_path, GOOD, name="first.csv")
    second = write(tmp_path, "cat@example.org,Cat,Fox,ALS1,ALS1-2025-000099,2025-03-02,\n", name="second.csv")

    with PausedImport(CertificationImport, first) as running:
        output, ok = run(second)
        during = register_state()

    assert not ok
    assert "another import of certifications is running; nothing was imported" in output
    assert "Traceback" not in output
    assert during == ([], [])
    assert running.errors == [] and running.report.created == 3
    assert not Certification.objects.filter(number="ALS1-2025-000099").exists()


def test_the_admin_upload_while_an_import_is_running_says_so(courses_on_committed_db, client, tmp_path):
    require(connection.vendor == "postgresql", "the import lock is tested on PostgreSQL (DATABASE_URL)")
    from django.core.files.uploadedfile import SimpleUploadedFile

    # Made here, not by the admin_user fixture: the committed database is restored after fixtures that come first.
    client.force_login(User.objects.create_superuser("admin@example.org", "a-long-enough-password"))
    with PausedImport(CertificationImport, write(tmp_path, GOOD, name="first.csv")):
        second = HEADER + "cat@example.org,Cat,Fox,ALS1,ALS1-2025-000099,2025-03-02,\n"
        response = upload_in_admin(client, {"file": SimpleUploadedFile("second.csv", second.encode())})

    assert response.status_code == 200
    assert "second.csv: another import of certifications is running; nothing was imported" in (
        response.content.decode()
    )
    assert Certification.objects.count() == 3
    assert not User.objects.filter(email="cat@example.org").exists()


def test_two_imports_of_the_same_file_at_once_write_each_row_once(tmp_path, courses_on_committed_db):
    require(connection.vendor == "postgresql", "concurrent imports are tested on PostgreSQL (DATABASE_URL)")
    rows = 2500
    path = write(tmp_path, many_rows(rows))
    outcomes, errors = at_once(lambda: run(path), lambda: run(path))

    assert errors == []
    for output, ok in outcomes:
        assert ok or "another import of certifications is running; nothing was imported" in output, output
    assert any(ok and f"{rows} created" in output for output, ok in outcomes)
    assert Certification.objects.count() == rows
    assert User.objects.filter(email__endswith="@example.org", last_name__startswith="Number").count() == rows
