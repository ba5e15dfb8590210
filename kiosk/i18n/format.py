"""How a dimension's value is written, by the unit the server gives it: a share (unit
"percent") as a percentage, counts and points as numbers."""

from __future__ import annotations

from kiosk.i18n.readout import number
from kiosk.model import Dimension


def format_value(dim: Dimension, value: float | None) -> str:
    """`value` (the dimension's own, its target, or one day's) as `dim` is written. A
    percentage where lower is better keeps a decimal under 10 % (4.1 % of defects is not
    4 %)."""
    if value is None:
        return "—"
    if dim.unit == "percent":
        pct = value * 100
        return f"{pct:.1f}%" if pct < 10 and dim.lower_is_better else f"{pct:.0f}%"
    return number(value)
