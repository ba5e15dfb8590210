"""Reads the first sheet of an XLS workbook from stdin, inside limits; run only by xls.py.

    python -I xls_child.py MEMORY SECONDS ROWS COLUMNS OUTPUT < workbook.xls

The limits are set before python-calamine is loaded: MEMORY bytes of address space (an
allocation past it fails: a Python MemoryError, or an abort inside calamine) and SECONDS
of CPU (then the kernel ends the process). Prints JSON lines: {"line": N, "cells": [...]}
for each row that holds a value (at most ROWS of them, each cut to COLUMNS cells, empty
cells null, dates as {"date": ISO}, {"datetime": ISO}, {"time": ISO}, {"seconds": N}), then
{"wide": N} when row N has a value right of COLUMNS, or {"problem": "unreadable" |
"too_much"} (too_much: more than OUTPUT bytes would be printed). This file
imports only the standard library and python_calamine: it runs with `-I`, without the
project on its path.
"""

from __future__ import annotations

import io
import json
import logging
import math
import resource
import sys
from datetime import date, datetime, time, timedelta
from typing import Any


def _cell(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, time):
        return {"time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"seconds": value.total_seconds()}
    return str(value)


def _say(out: Any, record: dict[str, Any]) -> int:
    line = json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
    out.write(line)
    return len(line.encode())


def main() -> int:
    memory, seconds, rows, columns, output = (int(arg) for arg in sys.argv[1:6])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    logging.disable(logging.CRITICAL)  # calamine's warnings must not pile up anywhere
    data = sys.stdin.buffer.read()
    out = sys.stdout
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        _say(out, {"problem": "unreadable"})
        return 3
    written = emitted = 0
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        start = sheet.start
        # iter_rows gives every row from the sheet's first (so the line is the index + 1),
        # each from the range's first column (so the columns left of it are put back).
        rows_of = sheet.iter_rows() if start is not None else iter(())
        first_column = start[1] if start is not None else 0
        for line, values in enumerate(rows_of, start=1):
            cells = [None] * first_column + [_cell(v) for v in values]
            if any(c is not None for c in cells[columns:]):
                _say(out, {"wide": line})
                break
            cells = cells[:columns]
            if all(c is None for c in cells):
                continue
            written += _say(out, {"line": line, "cells": cells})
            emitted += 1
            if written > output:
                _say(out, {"problem": "too_much"})
                break
            if emitted >= rows:
                break
    except MemoryError:
        _say(out, {"problem": "too_much"})
    except BaseException as error:  # noqa: BLE001 - pyo3's PanicException is a BaseException
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        _say(out, {"problem": "unreadable"})
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
