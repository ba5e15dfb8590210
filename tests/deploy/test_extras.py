"""pyproject.toml's extras: the kiosk installs without the web server, the server without
pygame and the badge reader, and each program declares every library it imports.

Reads pyproject.toml and the metadata of what is installed here; no network.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME = PROJECT["name"]

WEB_SERVER = {"flask", "sqlalchemy", "alembic", "gunicorn", "flask-login", "flask-wtf",
              "flask-babel", "psycopg"}
KIOSK_ONLY = {"pygame-ce", "pygame", "pyscard", "pyttsx3", "espeakng-loader", "zxing-cpp"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*extras: str) -> set[str]:
    """The distributions the project lists for these extras, with the base list,
    following an extra's reference to the project itself (`shopfloor-kiosk[server]`)."""
    requirements = [Requirement(r) for r in PROJECT["dependencies"]]
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for line in PROJECT["optional-dependencies"][extra]:
            req = Requirement(line)
            if canonical(req.name) == canonical(NAME):
                todo.extend(req.extras)
            else:
                requirements.append(req)
    return {canonical(req.name) for req in requirements}


def test_every_extra_is_there() -> None:
    assert set(PROJECT["optional-dependencies"]) >= {"server", "kiosk", "postgresql", "test"}


def test_the_kiosk_extra_pulls_no_web_server() -> None:
    assert not declared("kiosk") & WEB_SERVER


def test_the_server_extra_pulls_no_pygame_and_no_kiosk_hardware() -> None:
    assert not declared("server", "postgresql") & KIOSK_ONLY


def test_the_test_extra_pulls_both_programs_and_postgresql() -> None:
    pulled = declared("test")
    assert declared("server") | declared("kiosk") | declared("postgresql") <= pulled


# --- each program declares what it imports ------------------------------------------------


FIRST_PARTY = {"server", "kiosk", "shopfloor_logging", "shopfloor_trust", "shopfloor_voice"}


def _third_party_imports(package: str) -> set[str]:
    """Top-level names of the non-stdlib, non-project modules a package imports."""
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found
            if name not in sys.stdlib_module_names and name not in FIRST_PARTY}


def _installed_closure(names: set[str]) -> set[str]:
    """The named distributions and everything they require, as installed here."""
    closure: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or Marker(str(req.marker)).evaluate({"extra": ""}):
                todo.append(canonical(req.name))
    return closure


@pytest.mark.parametrize(("package", "extras"), [("server", ("server",)), ("kiosk", ("kiosk",))])
def test_each_program_declares_every_library_it_imports(package: str,
                                                        extras: tuple[str, ...]) -> None:
    providers = metadata.packages_distributions()
    available = _installed_closure(declared(*extras))
    missing = []
    for module in sorted(_third_party_imports(package)):
        dists = {canonical(d) for d in providers.get(module, [])}
        if not dists & available:
            missing.append(f"{module} (from {', '.join(sorted(dists)) or 'nothing installed'})")
    assert not missing, f"{package}/ imports what its extra does not pull: {missing}"


# --- the installers name their extra --------------------------------------------------------


@pytest.mark.parametrize(("path", "extra"), [
    ("Makefile", "'.[server,kiosk]'"),
    ("Makefile", "'.[test]'"),
    ("provisioning/server/install.sh", '"${SOURCE}[server,postgresql]"'),
    ("kiosk-images/build-rootfs.sh", '"${SOURCE}[kiosk]"'),
    ("kiosk-images/build-rootfs.sh", '"shopfloor-kiosk[kiosk]"'),
    ("provisioning/kiosk/ansible/playbook.yml", "basename }}[kiosk]"),
])
def test_each_installer_names_its_extra(path: str, extra: str) -> None:
    assert extra in (ROOT / path).read_text(encoding="utf-8")
