"""Template filters: times in the factory's zone, percentages, points, names by language."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import get_locale
from markupsafe import Markup

from server.admin.charts import facts
from server.web import app_config

RATE_KEYS = frozenset({"uptime", "defect_rate", "training", "attendance"})


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time (or its ISO text) in the factory's zone."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(app_config().zone).strftime(fmt)


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def dim_value(value: float | None, key: str, unit: str | None = None) -> str:
    """A dimension's value as people read it: a rate (or a metric in percent) as a
    percentage, anything else as a number."""
    return percent(value) if key in RATE_KEYS or unit == "percent" else number(value)


def local_name(item: Any) -> str:
    """A category's name in the UI language (Chinese name when there is no English one)."""
    english = getattr(item, "name_en", None) or (item.get("name_en") if isinstance(item, dict)
                                                 else None)
    name = item["name"] if isinstance(item, dict) else item.name
    locale = get_locale()
    return english if english and locale is not None and locale.language == "en" else name


def chart_json(value: Any) -> Markup:
    """JSON for a <script type="application/json"> block: no way to close the tag early."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def json_text(value: Any, limit: int = 400) -> str:
    """Readable JSON (Chinese as it is) for the audit table; escaped by the template."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        local_time=local_time, percent=percent, number=number, dim_value=dim_value,
        local_name=local_name, chart_json=chart_json, json_text=json_text,
        chart_facts=facts,
    )
