"""The kiosk's exception tree is drawn completely in kiosk/errors.py's docstring: every
exception class defined anywhere in kiosk/ is named there, under its own base, and derives
from KioskError (read from the source with ast, so a new module cannot slip past)."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import kiosk.errors

KIOSK = Path(kiosk.errors.__file__).resolve().parent
ROOT = "KioskError"
# Exceptions that may stay outside KioskError, each with its reason. None today.
OUTSIDE_THE_ROOT: dict[str, str] = {}
BUILTIN_EXCEPTIONS = {name for name, value in vars(builtins).items()
                      if isinstance(value, type) and issubclass(value, BaseException)}


def base_name(node: ast.expr) -> str:
    """`Name` or `module.Name` as written in a class statement."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def kiosk_exceptions() -> dict[str, tuple[str, list[str]]]:
    """Every exception class in kiosk/: name -> (module path, base names)."""
    classes: dict[str, tuple[str, list[str]]] = {}
    places: dict[str, list[str]] = {}
    for path in sorted(KIOSK.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                where = str(path.relative_to(KIOSK.parent))
                classes.setdefault(node.name, (where, [base_name(b) for b in node.bases]))
                places.setdefault(node.name, []).append(where)
    exceptions: set[str] = set()
    grew = True
    while grew:  # a class is an exception when one of its bases is
        grew = False
        for name, (_, bases) in classes.items():
            if name not in exceptions and any(
                    b in BUILTIN_EXCEPTIONS or b in exceptions for b in bases):
                exceptions.add(name)
                grew = True
    twice = {name: places[name] for name in exceptions if len(places[name]) > 1}
    assert not twice, f"exception names defined twice: {twice}"
    return {name: classes[name] for name in exceptions}


def ancestors(name: str, found: dict[str, tuple[str, list[str]]]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for base in found.get(todo.pop(), ("", []))[1]:
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return seen


def drawn_tree(names: set[str]) -> dict[str, str | None]:
    """The docstring's tree: each exception named at the start of a line -> its parent."""
    parents: dict[str, str | None] = {}
    open_: list[tuple[int, str]] = []  # (column, name) of the branch being drawn
    for line in (kiosk.errors.__doc__ or "").splitlines():
        match = re.match(r"([\s│├└─]*)([A-Z]\w*)", line)
        if match is None or match.group(2) not in names:
            continue
        column, name = len(match.group(1)), match.group(2)
        while open_ and open_[-1][0] >= column:
            open_.pop()
        parents[name] = open_[-1][1] if open_ else None
        open_.append((column, name))
    return parents


def test_every_kiosk_exception_is_drawn_in_errors_and_derives_from_the_root():
    found = kiosk_exceptions()
    assert {"KioskError", "PlaybackError", "EnrolmentFailed", "UntrustedServer"} <= set(found)
    tree = drawn_tree(set(found))
    missing = sorted(set(found) - set(tree))
    assert not missing, f"not drawn in kiosk/errors.py's docstring: {missing}"
    for name, (where, bases) in found.items():
        if name == ROOT or name in OUTSIDE_THE_ROOT:
            continue
        assert ROOT in ancestors(name, found), f"{name} ({where}) does not derive from {ROOT}"
        assert tree[name] in bases, f"{name} ({where}) is drawn under {tree[name]}, not {bases}"
    assert tree[ROOT] is None


def test_playback_error_is_a_hardware_error():
    from kiosk.hardware.video import PlaybackError

    assert issubclass(PlaybackError, kiosk.errors.HardwareError)
