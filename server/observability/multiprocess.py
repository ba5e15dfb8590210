"""prometheus_client's multiprocess mode for the gunicorn server (serving/gunicorn.py).

gunicorn's workers are processes: each counts what it serves, and a scrape lands on one
of them. So each value is kept in a small memory-mapped file of its process, in one
folder per server start, and a scrape adds up every file there (views.py), those of
workers that have exited included, so counters never go back while the server runs.

`enable` runs in the master before the app is built: it makes the start's fresh folder
under `<data dir>/prometheus/` (named by the master's pid; folders of servers no longer
running are removed) and names it in `PROMETHEUS_MULTIPROC_DIR`, the variable
prometheus_client reads for it, which the forked workers inherit. prometheus_client
picks how values are kept when it is first imported; if that happened before the
variable was set, `enable` switches it, before any of the app's metrics exists.
`child_exit` is gunicorn's hook for a worker that ended (`mark_process_dead`), `remove`
its `on_exit`: the folder goes with the server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

FOLDER = "prometheus"  # not "metrics": that word is the custom KPIs here
# The app's extension holding the folder, set by serve() once the app is made; an app
# without it (the test client, one process) is scraped from its own registry.
METRICS_DIR = "shopfloor.metrics_dir"


def enable(data_dir: Path) -> Path:
    """This start's empty folder for metric files, in force in this process and the
    workers it forks. Call before the app (and so any metric) is made."""
    root = data_dir / FOLDER
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_stale(root)
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
    # Written, not read: the environment is how prometheus_client is told, here and in
    # the workers forked from this process.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    from prometheus_client import values

    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()
    return folder


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a folder of an earlier process that had this pid (a container's)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(root: Path) -> None:
    """Folders left by servers that are no longer running (killed, or a crash)."""
    for folder in root.iterdir():
        pid, _, _ = folder.name.partition("-")
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def child_exit(folder: Path) -> Callable[[Any, Any], None]:
    """gunicorn's `child_exit` hook: the ended worker's live gauges no longer count."""
    from prometheus_client import multiprocess

    def hook(_arbiter: Any, worker: Any) -> None:
        multiprocess.mark_process_dead(worker.pid, str(folder))

    return hook


def remove(folder: Path) -> None:
    """The start's folder, once the server has stopped."""
    with contextlib.suppress(OSError):
        shutil.rmtree(folder)
