"""Spreadsheet cells that stay data: the one way every CSV and XLSX export writes a value.

Excel, LibreOffice and WPS read a cell whose text starts with `=`, `+`, `-` or `@` as a
formula, and some strip a leading TAB or CR first or fold the full-width ＝ ＋ － ＠ to
ASCII; a worker named `=HYPERLINK("http://x","y")` would become a live link in HR's
payroll file. Such text is written as text: in CSV behind a single quote (OWASP's advice
for CSV injection), in XLSX as a string cell (openpyxl would store it as a formula) with
Excel's quote prefix, so editing the cell keeps it text. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def risky(value: object) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """The value as a CSV cell: None empty, risky text behind a single quote."""
    if value is None:
        return ""
    return "'" + value if risky(value) else value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, which Excel on a Chinese Windows opens correctly."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([csv_cell(v) for v in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def append_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    """`sheet.append(values)`, with every risky text cell kept a string."""
    sheet.append([_xlsx_cell(sheet, value) for value in values])


def _xlsx_cell(sheet: Worksheet, value: Any) -> Any:
    if not risky(value):
        return value
    cell = Cell(sheet, value=value)  # openpyxl marks it a formula ("f") here
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell
