"""Privacy (PIPL): how long personal records are kept, one worker's data handed over, and
a worker's data erased on request.

    retention   the retention settings (events, worker photos, claim pictures, badge taps)
                and `purge`, which deletes what has outlived them; run nightly by
                `shopfloor-server privacy purge` (provisioning/server/systemd/
                shopfloor-retention.timer). The day, week and month sums and the
                snapshots of closed periods are kept.
    export      `export_worker`: everything held about one worker as JSON files, their
                photo and claim pictures, in one zip with a README and a manifest
    erase       `erase_worker`: name, PIN, badges, photos and pictures removed; the worker
                pseudonymised ("已删除 #12", code ERASED-12) wherever their name or code
                was copied (snapshots, payroll boards, notices, other rows' text)
    scrub       the search-and-replace through every text and JSON column that `erase`
                uses

The audit chain is never rewritten: its entries refer to people by id
(services/audit.py), so it stays valid; each purge, export and erasure is itself an entry,
holding counts, never a name or a code. Files (photos) are removed only after the
database change committed: the services return the paths, `remove_files` deletes them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)


def remove_files(paths: Iterable[Path]) -> int:
    """Delete these files (after the commit that stopped referring to them); how many."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("privacy_file_kept", extra={"fields": {"file": path.name,
                                                                  "error": str(error)}})
    return removed
