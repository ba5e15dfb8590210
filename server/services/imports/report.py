"""What an import did or would do: counts, what it created, and every bad row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.services.imports.messages import Gettext, translated
from server.services.production.records import RowError


@dataclass
class ImportReport:
    """The outcome of one file; `imported` is False when bad rows stopped the whole file.

    A reason is English text (the CLI, the API); `to_dict(gettext=...)` gives each one in
    the reader's language, for the admin."""

    kind: str
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    created_workshops: list[str] = field(default_factory=list)
    created_machines: list[str] = field(default_factory=list)
    # Card badges (the workers import's card column, `badge import`): given out, and the
    # cards they replaced (revoked: a worker holds one card).
    cards_assigned: int = 0
    cards_replaced: int = 0
    # Late rows let in with `into_open`: the adjustment lines they booked.
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    imported: bool = False

    def to_dict(self, gettext: Gettext | None = None) -> dict[str, Any]:
        def reason(error: RowError) -> str:
            return translated(error.reason, gettext) if gettext else str(error.reason)

        return {
            "kind": self.kind, "file": self.filename, "rows": self.rows,
            "imported": self.imported, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": len(self.errors),
            "errors": [{"line": e.row, "field": e.field, "reason": reason(e)}
                       for e in self.errors],
            "created_workshops": list(self.created_workshops),
            "created_machines": list(self.created_machines),
            "cards_assigned": self.cards_assigned, "cards_replaced": self.cards_replaced,
            "adjustments": list(self.adjustments),
        }

    def to_text(self) -> str:
        """For a person at a terminal: the counts, what was created, then each bad row."""
        lines = [f"{self.filename}: {self.rows} {self.kind} row(s)"]
        if self.imported:
            lines[0] += (f": {self.created} created, {self.updated} updated, "
                         f"{self.unchanged} unchanged")
        if self.created_workshops:
            lines.append(f"created workshops: {', '.join(self.created_workshops)}")
        if self.created_machines:
            lines.append(f"created machines: {', '.join(self.created_machines)}")
        if self.cards_assigned or self.cards_replaced:
            lines.append(f"cards: {self.cards_assigned} given out, {self.cards_replaced} "
                         "replaced (revoked)")
        lines += [f"adjustment for {a['worker']}: {a['points']:+g} points on {a['booked_on']} "
                  f"(for {a['original_date']})" for a in self.adjustments]
        lines += [f"line {e.row}: {e.reason}" for e in self.errors]
        if self.errors:
            lines.append(f"{len({e.row for e in self.errors})} bad row(s) "
                         + ("skipped" if self.imported else "- nothing imported"))
        return "\n".join(lines)


@dataclass
class ImportPreview:
    """What importing a file would do, nothing stored: the report of a dry run (every
    workshop and machine the file names allowed), and the workshops and machines it would
    create, for HR to confirm one by one (`create=` of the import)."""

    report: ImportReport
    new_workshops: list[str] = field(default_factory=list)
    new_machines: list[str] = field(default_factory=list)
