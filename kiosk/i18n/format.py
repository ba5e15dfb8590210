"""How a dimension's value is written: ratios as percentages, counts as numbers."""

from __future__ import annotations

from kiosk.i18n.readout import number

PERCENT_KEYS = {"uptime", "defect_rate", "training", "attendance"}


def format_value(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    if key in PERCENT_KEYS:
        pct = value * 100
        return f"{pct:.1f}%" if pct < 10 and key == "defect_rate" else f"{pct:.0f}%"
    return number(value)
