"""`import_certifications`: all or nothing by default, every bad row reported with line, column and reason,
--skip-invalid, idempotent re-import, updates by number, invitations only on request."""

import csv
import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from learning.models import Certification, User
from tests.factories import CertificationFactory, UserFactory

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


def run(path, *args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_certifications", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue() + err.getvalue() + str(error), False
    return out.getvalue() + err.getvalue(), True


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


def test_invite_emails_new_participants_only(tmp_path, als1, als2):
    UserFactory(email="bob@example.org")

    output, ok = run(write(tmp_path, GOOD), "--invite")

    assert ok and "Invitations sent: 1 of 1" in output
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


def test_progress_and_a_summary_are_printed(tmp_path, als1, als2):
    output, ok = run(write(tmp_path, GOOD))

    assert ok
    assert "checking 3/3" in output and "writing 3/3" in output


def test_the_admin_upload_imports_the_same_way(client, tmp_path, als1, als2, admin_user):
    client.force_login(admin_user)
    path = write(tmp_path, GOOD + BAD_ROWS[0][0])

    with open(path, "rb") as handle:
        refused = client.post("/admin/certifications/import/", {"file": handle})
    with open(path, "rb") as handle:
        skipped = client.post("/admin/certifications/import/", {"file": handle, "skip_invalid": "on"})

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

    response = admin_client.post(
        "/admin/certifications/import/", {"file": SimpleUploadedFile("from-excel.csv", content())}
    )

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

    response = admin_client.post("/admin/certifications/import/", {"file": upload})

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
