"""The outbox export keeps text as text: an error message or address that reads like a formula comes out of
the CSV and Excel exports as a cell no spreadsheet program evaluates."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from reminders.models import Reminder, ReminderStage
from tests.factories import CertificationFactory

pytestmark = pytest.mark.django_db

FORMULA_ERROR = "=cmd|' /C calc'!A0"


@pytest.fixture
def failed_reminder(als1):
    return Reminder.objects.create(
        certification=CertificationFactory(course=als1),
        stage=ReminderStage.objects.first(),
        due_on=timezone.localdate() - datetime.timedelta(days=1),
        status="failed",
        last_error=FORMULA_ERROR,
    )


def test_the_outbox_csv_export_prefixes_formula_cells_with_an_apostrophe(admin_client, failed_reminder):
    response = admin_client.get("/admin/reminders/?export=csv")

    row = next(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert row["Last error"] == f"'{FORMULA_ERROR}"


def test_the_outbox_excel_export_keeps_formula_cells_as_quoted_text(admin_client, failed_reminder):
    response = admin_client.get("/admin/reminders/?export=xlsx")

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headings = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=headings.index("Last error") + 1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA_ERROR, "s", True)
