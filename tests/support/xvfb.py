"""A private Xvfb X server for tests and benchmarks that need a real window."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def xvfb_display(size: str = "1280x800") -> Iterator[str]:
    """A private Xvfb for the duration; stopped by its PID."""
    number = next(n for n in range(140, 190) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{size}x24",
                                "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            assert process.poll() is None and time.monotonic() < deadline, "no Xvfb"
            time.sleep(0.05)
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(10)
