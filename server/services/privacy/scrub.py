"""Find and replace a person's name, code and badge digests in every text and JSON column.

A worker's name and code are copied into other rows as text: the boards and cards of
closed periods' snapshots (which payroll exports read), notices, a remark's `given_by` in
another worker's event, a claim's reason ("帮王五搬料"), a refused event's body. Erasure
(`erase.py`) replaces them wherever they are: every String, Text and JSON column of every
table except the audit log (never rewritten; it refers to people by id), the settings and
the tables `skip` names. Rows are found by LIKE on the column's text, in SQL, then changed in Python
and written back by primary key with Core statements (no ORM hook sees them: nothing
here changes what the day sums are made of).

Replacing: a code only where it stands alone (not inside a longer code: "A1" is not
replaced in "A10"), a name or a digest wherever it appears, except that a JSON object
naming another person (a `code` that is not the erased one, as in a board's entries) keeps
its own `name`: two workers may share a name. Free text has no such marks: a name there is
replaced wherever it stands. JSON text may hold a name as `\\uXXXX` escapes (json.dumps'
default), so both spellings are searched. The `workers` table is never searched: the
other rows there are other people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Enum, String, Table, Text, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from server.models import Base

# Never searched: the audit chain (history, by id) and its head in the settings (which
# hold no one's data), the migration stamp, and the workers (other people: the erased
# worker's own row is changed by `erase`).
ALWAYS_SKIPPED = frozenset({"audit_entries", "settings", "alembic_version", "workers"})
_CODE_EDGE = "A-Za-z0-9_.-"
# A shorter name is replaced only where a whole value is the name: one letter inside free
# text is too likely someone else's.
MIN_NAME_IN_TEXT = 2


@dataclass(frozen=True)
class Replacement:
    """What to look for and what to put instead. `whole` values are codes: replaced only
    where they stand alone; `name` values are kept in a JSON object naming someone else."""

    old: str
    new: str
    whole: bool = False
    name: bool = False

    def pattern(self) -> re.Pattern[str]:
        text = re.escape(self.old)
        if self.whole:
            text = f"(?<![{_CODE_EDGE}]){text}(?![{_CODE_EDGE}])"
        elif self.name and len(self.old) < MIN_NAME_IN_TEXT:
            text = f"^{text}$"  # a one-letter name: only a value that is the name itself
        return re.compile(text)


@dataclass(frozen=True)
class _Rules:
    patterns: list[tuple[re.Pattern[str], str]]
    others: list[tuple[re.Pattern[str], str]]  # without the names
    codes: frozenset[str]


def _escaped(text: str) -> str:
    """`text` as json.dumps (ensure_ascii) writes it inside a string."""
    return json.dumps(text)[1:-1]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_columns(table: Table) -> list[Any]:
    return [column for column in table.columns
            if isinstance(column.type, (String, Text, JSON))
            and not isinstance(column.type, Enum)]


def _replace(value: Any, rules: _Rules, patterns: list[tuple[re.Pattern[str], str]]
             ) -> Any:
    if isinstance(value, str):
        for pattern, new in patterns:
            value = pattern.sub(new, value)
        return value
    if isinstance(value, list):
        return [_replace(item, rules, patterns) for item in value]
    if isinstance(value, dict):
        code = value.get("code")
        someone_else = isinstance(code, str) and code not in rules.codes
        inner = rules.others if someone_else else rules.patterns
        return {_replace(key, rules, rules.patterns): _replace(item, rules, inner)
                if isinstance(item, str) else _replace(item, rules, rules.patterns)
                for key, item in value.items()}
    return value


def _rules(replacements: list[Replacement]) -> _Rules:
    wanted = [r for r in replacements if r.old]
    return _Rules([(r.pattern(), r.new) for r in wanted],
                  [(r.pattern(), r.new) for r in wanted if not r.name],
                  frozenset(r.old for r in wanted if r.whole))


def replaced(value: Any, replacements: list[Replacement]) -> Any:
    """`value` (text, or JSON as decoded) with the replacements made, as `scrub` makes them."""
    rules = _rules(replacements)
    return _replace(value, rules, rules.patterns)


def scrub(session: Session, replacements: list[Replacement],
          skip: Collection[str] = ()) -> Mapping[str, int]:
    """Replace in every text and JSON column; returns the rows changed per table."""
    wanted = [r for r in replacements if r.old]
    if not wanted:
        return {}
    rules = _rules(wanted)
    needles = {text for r in wanted for text in (r.old, _escaped(r.old))}
    connection = session.connection()
    changed: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ALWAYS_SKIPPED or table.name in skip:
            continue
        columns = _text_columns(table)
        keys = list(table.primary_key.columns)
        if not columns or not keys:
            continue
        found = or_(*(sql_cast(column, String).like(_like(needle), escape="\\")
                      for column in columns for needle in needles))
        rows = connection.execute(select(*keys, *columns).where(found)).all()
        for row in rows:
            ident, values = row[:len(keys)], row[len(keys):]
            new = {column.key: _replace(value, rules, rules.patterns)
                   for column, value in zip(columns, values, strict=True)}
            new = {name: value for (name, value), old in zip(new.items(), values, strict=True)
                   if value != old}
            if not new:
                continue
            connection.execute(update(table).where(
                *(key == value for key, value in zip(keys, ident, strict=True))).values(**new))
            changed[table.name] = changed.get(table.name, 0) + 1
    return changed
