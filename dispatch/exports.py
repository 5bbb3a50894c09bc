"""Write rows as a CSV or XLSX download (staff exports). Formatting only: callers pass scoped, masked rows.

CSV is UTF-8 with a BOM (Excel opens Chinese text correctly) and streamed. Cells
that a spreadsheet would run as a formula (=, +, -, @ …) are prefixed with an
apostrophe: exported text comes from citizens. XLSX is written by XlsxWriter
in constant-memory mode, with every text cell written as a string.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import xlsxwriter
from django.http import HttpResponse, StreamingHttpResponse

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([_safe(v) for v in row])


def export_response(
    *, fmt: str, filename: str, header: Sequence[StrOrPromise], rows: Iterable[list]
) -> HttpResponse | StreamingHttpResponse:
    """A download of `rows` under `header` as `filename.<fmt>` (header labels in the user's language)."""
    titles = [str(title) for title in header]
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(titles, rows), content_type="text/csv; charset=utf-8")
    else:
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
        sheet = book.add_worksheet()
        bold = book.add_format({"bold": True})
        for col, title in enumerate(titles):
            sheet.write_string(0, col, title, bold)
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if isinstance(value, bool) or value is None:
                    sheet.write_string(r, col, "" if value is None else str(value))
                elif isinstance(value, int | float):
                    sheet.write_number(r, col, value)
                else:
                    sheet.write_string(r, col, str(value))
        book.close()
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
