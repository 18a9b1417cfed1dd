"""Spreadsheet exports that cannot carry a formula: a cell of text that Excel, LibreOffice or Google Sheets would
read as a formula (a participant who calls themselves `=HYPERLINK(…)`) is written so that it stays text.

In CSV the cell gets a leading apostrophe, as OWASP advises, the one marker every spreadsheet program reads as
"text". In XLSX the value stays exactly as it is, stored as text and flagged with Excel's own "quote prefix"
(what Excel records when someone types a leading apostrophe), so it stays text even when the cell is edited.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

# `=`, `+`, `-` and `@` start a formula; a leading tab or carriage return hides one that follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_a_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value):
    """`value` as a CSV cell that no spreadsheet program evaluates."""
    return f"'{value}" if starts_a_formula(value) else value


def csv_download(filename: str) -> HttpResponse:
    """An empty CSV attachment to write into. It starts with a byte-order mark, because Excel reads a CSV without
    one in the machine's legacy encoding, which garbles every accented name."""
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )
    response.write("\ufeff")
    return response


class FormulaSafeExportMixin:
    """Put before Wagtail's IndexView (a SpreadsheetExportMixin) in a view's bases. Wagtail only keeps XLSX cells
    that openpyxl takes for a formula (`=`) as text, and writes CSV cells as they are."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return csv_cell(value) if export_format == self.FORMAT_CSV else value

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for cell in super().generate_xlsx_row(worksheet, row_dict, date_format=date_format):
            if starts_a_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
            yield cell
