"""Template files HR fills in: workers or production, CSV or XLSX, headers in Chinese or
English, one example row that imports as it is.

The CSV is UTF-8 with a BOM, so Excel opens the Chinese right; the XLSX keeps codes and
card numbers as text cells (a leading zero stays) and the date as a date.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Literal

from openpyxl import Workbook

from server.services.imports.cards import SAMPLE
from server.services.imports.headers import PRODUCTION_COLUMNS, WORKER_COLUMNS, Column
from shopfloor_trust.cards import card_format as canonical_format
from shopfloor_trust.cards import printed_number

Kind = Literal["workers", "production"]
Format = Literal["csv", "xlsx"]
Lang = Literal["zh_CN", "en"]
TEXT_COLUMNS = frozenset({"code", "workshop", "worker_code", "machine_code", "card"})
EXAMPLE_DAY = date(2026, 3, 2)


def _example(kind: Kind, lang: Lang, card_format: str) -> list[object]:
    chinese = lang == "zh_CN"
    if kind == "workers":
        return ["W001", "张伟" if chinese else "Zhang Wei", "W1", "员工" if chinese else "worker",
                "中文" if chinese else "zh_CN", printed_number(SAMPLE, card_format)]
    return [EXAMPLE_DAY, "白班" if chinese else "day", "W001", "M1", 480, 450, 900, 10]


def _columns(kind: Kind) -> tuple[Column, ...]:
    return WORKER_COLUMNS if kind == "workers" else PRODUCTION_COLUMNS


def template(kind: Kind, fmt: Format, lang: Lang, *, card_format: str = "10D") -> bytes:
    """The template file; the workers' example card is printed in `card_format` (the
    site's, `Config.card_format`). ValueError for an unknown kind, format or language."""
    if kind not in ("workers", "production") or fmt not in ("csv", "xlsx") \
            or lang not in ("zh_CN", "en"):
        raise ValueError(f"no template {kind}/{fmt}/{lang}")
    card_format = canonical_format(card_format)
    columns = _columns(kind)
    header = [c.chinese if lang == "zh_CN" else c.name for c in columns]
    example = _example(kind, lang, card_format)
    if fmt == "csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerow([v.isoformat() if isinstance(v, date) else v for v in example])
        return text.getvalue().encode("utf-8-sig")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = ("员工" if kind == "workers" else "产量") if lang == "zh_CN" else kind
    sheet.append(header)
    sheet.append(example)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index)
        if column.name in TEXT_COLUMNS:
            cell.number_format = "@"  # text: Excel keeps what HR types, leading zeros too
            cell.data_type = "s"
        elif isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
        dimension = sheet.column_dimensions[cell.column_letter]
        dimension.width = max(12, 2 * len(header[index - 1]) + 4)
        if column.name in TEXT_COLUMNS:
            dimension.number_format = "@"  # the rows HR adds below are text as well
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
