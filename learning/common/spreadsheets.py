"""Spreadsheet exports that cannot carry a formula: a cell of text that Excel, LibreOffice or Google Sheets would
read as a formula (a participant who calls themselves `=HYPERLINK(…)`) is written so that it stays text.

In CSV the cell gets a leading apostrophe, as OWASP advises, the one marker every spreadsheet program reads as
"text". In XLSX the value stays exactly as it is, stored as text and flagged with Excel's own "quote prefix"
(what Excel records when someone types a leading apostrophe), so it stays text even when the cell is edited.
"""

import csv
import tempfile
from collections.abc import Iterable

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

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


class _Line:
    """What csv.writer writes into: it hands the line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_stream(filename: str, headings: list[str], lines: Iterable[list]) -> StreamingHttpResponse:
    """A CSV attachment written line by line as it is sent, so that memory stays flat however long the list; with
    the byte-order mark and formula-safe cells of `csv_download`."""
    writer = csv.writer(_Line())

    def chunks():
        yield "\ufeff" + writer.writerow(headings)
        for line in lines:
            yield writer.writerow([csv_cell(cell) for cell in line])

    return StreamingHttpResponse(
        chunks(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(filename: str, headings: list[str], lines: Iterable[list]) -> FileResponse:
    """An Excel workbook of one sheet, written row by row to a temporary file (openpyxl's write-only mode) and sent
    from it, so that memory stays flat; text that reads as a formula is kept as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headings)
    for line in lines:
        sheet.append([xlsx_cell(sheet, value) for value in line])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it once sent
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def xlsx_cell(sheet, value):
    if not starts_a_formula(value):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


class FormulaSafeExportMixin:
    """Put before Wagtail's IndexView (a SpreadsheetExportMixin) in a view's bases. Wagtail only keeps XLSX cells
    that openpyxl takes for a formula (`=`) as text, and writes CSV cells as they are, in UTF-8 without the
    byte-order mark that Excel needs to read it so ("Patelé" would open garbled)."""

    def stream_csv(self, queryset):
        yield "\ufeff"
        yield from super().stream_csv(queryset)

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return csv_cell(value) if export_format == self.FORMAT_CSV else value

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for cell in super().generate_xlsx_row(worksheet, row_dict, date_format=date_format):
            if starts_a_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
            yield cell
