"""Files HR brings in: workers, production and card numbers as CSV, XLSX or XLS
(docs/ARCHITECTURE.md, "Files HR brings in").

    files.py       reading a file within `Limits` (CSV in UTF-8 or GB18030, XLSX streamed,
                   XLS in a child process held to limits: xls.py, xls_child.py)
    headers.py     the columns and values in English or Chinese; `read_table`
    workers.py     `import_workers`, `preview_workers` (an optional card column)
    production.py  `import_production`, `preview_production`
    metrics.py     `import_metrics` (per worker, or per machine shared by run minutes)
    cards.py       `import_cards` (`badge import`: worker_code,card) and the card column
    templates.py   `template(kind, fmt, lang)`: files HR fills in
    report.py      `ImportReport`, `ImportPreview`; messages.py: reasons HR reads translated

Problems with the file as a whole (unreadable, empty, too big, wrong header) raise
`Refused` (an InvalidInput the admin shows translated). Problems with rows are collected,
each with the row's line in the file (the header is line 1) and a reason that is a
`Message`, so HR can fix them all in one go, in their language. A file with any bad row
imports nothing unless `skip_bad` is given; then the good rows are imported and the bad
ones reported. Nothing is added to the session before every row has been checked, and a
preview runs the import in a savepoint it rolls back. The caller commits.
"""

from server.services.imports.cards import import_cards
from server.services.imports.files import LIMITS, MB, Limits, Source
from server.services.imports.headers import (
    CARD_COLUMNS,
    METRIC_COLUMNS,
    PRODUCTION_COLUMNS,
    WORKER_COLUMNS,
    Column,
    Table,
    read_table,
)
from server.services.imports.messages import Message, translated
from server.services.imports.metrics import import_metrics
from server.services.imports.production import import_production, preview_production
from server.services.imports.report import ImportPreview, ImportReport
from server.services.imports.templates import template
from server.services.imports.workers import MAX_NAME, import_workers, preview_workers

__all__ = [
    "CARD_COLUMNS", "LIMITS", "MAX_NAME", "MB", "METRIC_COLUMNS", "PRODUCTION_COLUMNS",
    "WORKER_COLUMNS",
    "Column", "ImportPreview", "ImportReport", "Limits", "Message", "Source", "Table",
    "import_cards", "import_metrics", "import_production", "import_workers", "preview_production",
    "preview_workers", "read_table", "template", "translated",
]
