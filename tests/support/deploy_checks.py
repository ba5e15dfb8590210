"""Checks of deployment files with the real tools: `systemd-analyze verify` on units,
shellcheck on scripts.

systemd-analyze needs no running systemd, but it checks that every Exec*= program exists
and that the standard targets load. Units are therefore verified with `--root` pointing
at a small tree of our own: the host's stock unit folder copied in, the units under test,
and an executable placeholder at each absolute path their Exec*= lines name. Any message it
prints (an unknown key, a bad value) fails the check, since it exits 0 on warnings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

EXEC_LINE = re.compile(r"^Exec\w*=[-@:+!]*(/\S+)", re.MULTILINE)
STOCK_UNITS = Path("/usr/lib/systemd/system")


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: `make test` installs it "
                    "(scripts/packages/test-deploy.txt)")
    return path


def verify_units(units: list[Path], root: Path) -> str:
    """Run `systemd-analyze verify` on the units; return what it printed."""
    tool = require("systemd-analyze")
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(STOCK_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    for merged in ("bin", "sbin", "lib"):
        (root / "usr" / merged).mkdir(parents=True, exist_ok=True)
        (root / merged).symlink_to(f"usr/{merged}")
    target = root / "etc/systemd/system"
    target.mkdir(parents=True)
    for unit in units:
        shutil.copy(unit, target / unit.name)
        for program in EXEC_LINE.findall(unit.read_text()):
            placeholder = root / program.lstrip("/")
            placeholder.parent.mkdir(parents=True, exist_ok=True)
            if not placeholder.exists():
                placeholder.write_text("#!/bin/sh\n")
                placeholder.chmod(0o755)
    result = subprocess.run(
        [tool, "verify", f"--root={root}", *(f"/etc/systemd/system/{u.name}" for u in units)],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": ""},
    )
    return f"rc={result.returncode}\n{result.stdout}{result.stderr}".strip()


def shellcheck(*scripts: Path) -> str:
    tool = require("shellcheck")
    for script in scripts:
        syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                                timeout=30, check=False)
        if syntax.returncode != 0:
            return syntax.stderr
    result = subprocess.run([tool, "--shell=bash", *map(str, scripts)], capture_output=True,
                            text=True, timeout=60, check=False)
    return result.stdout.strip()


def mounted_under(root: Path) -> list[str]:
    """Mount points at or below `root` in this process's namespace (there must be none
    before a build folder is deleted)."""
    prefix = str(root.resolve())
    with open("/proc/self/mountinfo") as mountinfo:
        return [line.split()[4] for line in mountinfo if line.split()[4].startswith(prefix)]
