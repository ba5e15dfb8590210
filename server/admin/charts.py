"""ECharts options built on the server, so the page carries data and labels, not code.

Each function returns a plain dict that admin.js hands to `echarts.init(...).setOption`.
Labels arrive already translated; nothing here reads a request.

Every chart has ECharts' `aria` on (the chart says what it shows to a screen reader) and
decal patterns (series told apart by pattern as well as colour); `facts` pulls from an
option what its text description says (lowest, highest, latest per series), which the
page writes beside the chart (templates/admin/_chart.html).
"""

from __future__ import annotations

from typing import Any

PALETTE = ["#1f5fa8", "#d9822b", "#2e9e5b", "#a83279", "#6b5fd3", "#b38f00", "#2a9fb0"]
# Lines are told apart by their marker and dash as well as by colour (decals fill areas).
SYMBOLS = ["circle", "rect", "triangle", "diamond", "pin", "arrow", "roundRect"]
DASHES = ["solid", "dashed", "dotted"]


def _base() -> dict[str, Any]:
    return {"color": PALETTE, "animation": False,
            "aria": {"enabled": True, "decal": {"show": True}},
            "grid": {"left": 16, "right": 16, "top": 56, "bottom": 40, "containLabel": True},
            "tooltip": {"trigger": "axis"},
            "textStyle": {"fontFamily": "Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"}}


def lines(title: str, categories: list[str], series: dict[str, list[Any]],
          unit: str = "", y_names: tuple[str, str] | None = None,
          right: set[str] | None = None) -> dict[str, Any]:
    """A line per series; names in `right` use a second y axis (process beside result)."""
    right = right or set()
    option = _base()
    option.update({
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14}},
        "legend": {"bottom": 0, "type": "scroll"},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": [{"type": "value", "name": y_names[0] if y_names else "",
                   "axisLabel": {"formatter": "{value}" + unit}}],
        "series": [{"name": name, "type": "line", "data": values, "connectNulls": False,
                    "symbol": SYMBOLS[index % len(SYMBOLS)], "symbolSize": 7,
                    "lineStyle": {"type": DASHES[index % len(DASHES)]},
                    "yAxisIndex": 1 if name in right else 0}
                   for index, (name, values) in enumerate(series.items())],
    })
    if y_names:
        option["grid"] = {**option["grid"], "top": 72}
    if right:
        option["yAxis"].append({"type": "value", "name": y_names[1] if y_names else "",
                                "splitLine": {"show": False}})
    return option


# The dual track's colours, as the kiosk draws them: the process line blue, the result red.
TRACK_COLORS = {"process": "#1e6ebe", "result": "#d64541"}


def tracks(title: str, weeks: list[str], lines_by_track: dict[str, list[float | None]],
           names: dict[str, str]) -> dict[str, Any]:
    """The process and result lines over the last weeks, in percent of each track's
    maximum; with ECharts' aria (a description a screen reader reads)."""
    option = lines(title, weeks, {names[key]: [None if v is None else round(v * 100, 1)
                                                for v in values]
                                  for key, values in lines_by_track.items()}, "%")
    option["color"] = [TRACK_COLORS[key] for key in lines_by_track]
    option["yAxis"][0].update({"min": 0, "max": 100})
    option["aria"] = {"enabled": True}
    return option


def bars(title: str, categories: list[str], series: dict[str, list[Any]]) -> dict[str, Any]:
    option = _base()
    option.update({
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14}},
        "legend": {"bottom": 0},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": {"type": "value"},
        "series": [{"name": name, "type": "bar", "data": values, "barMaxWidth": 36}
                   for name, values in series.items()],
    })
    return option


def heatmap(title: str, columns: list[str], rows: list[str], cells: list[list[Any]],
            label: str) -> dict[str, Any]:
    option = _base()
    option.update({
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14}},
        "tooltip": {"position": "top"},
        "grid": {"left": 16, "right": 16, "top": 40, "bottom": 64, "containLabel": True},
        "xAxis": {"type": "category", "data": columns, "splitArea": {"show": True},
                  "axisLabel": {"interval": 0, "formatter": "{value}"}},
        "yAxis": {"type": "category", "data": rows, "splitArea": {"show": True}},
        "visualMap": {"min": 0, "max": 100, "calculable": False, "orient": "horizontal",
                      "left": "center", "bottom": 0, "text": ["100%", "0%"],
                      "inRange": {"color": ["#fde7e5", "#fff4d6", "#e4f4ea", "#2e9e5b"]}},
        # each cell shows its number, so no decal pattern over it
        "series": [{"name": label, "type": "heatmap", "data": cells,
                    "label": {"show": True}, "itemStyle": {"decal": {"symbol": "none"}}}],
    })
    return option


def radar(title: str, axes: list[tuple[str, float]], values: list[float],
          name: str) -> dict[str, Any]:
    option = _base()
    option.pop("grid")
    option.update({
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item"},
        "radar": {"indicator": [{"name": label, "max": top} for label, top in axes],
                  "radius": "62%", "center": ["50%", "56%"]},
        "series": [{"type": "radar", "name": name,
                    "data": [{"value": values, "name": name, "areaStyle": {"opacity": .25}}]}],
    })
    return option


def _unit(option: dict[str, Any]) -> str:
    axes = option.get("yAxis")
    first = (axes[0] if isinstance(axes, list) and axes else axes) or {}
    formatter = str(first.get("axisLabel", {}).get("formatter", "{value}"))
    return formatter.replace("{value}", "") if "{value}" in formatter else ""


def _shown(value: Any, unit: str) -> str:
    number = float(value)
    text = f"{number:.2f}".rstrip("0").rstrip(".") if number % 1 else f"{number:.0f}"
    return text + unit


def facts(option: dict[str, Any]) -> list[dict[str, Any]]:
    """What a chart shows, series by series, for its text description: `kind` "trend"
    (lowest, highest and latest value with where each is), "values" (each category's
    value: bars), "range" (lowest and highest cell: heat maps), "pairs" (each axis's value:
    radar) or "empty". Values are strings with the chart's unit."""
    x_axis = option.get("xAxis") or {}
    categories = [str(c) for c in (x_axis.get("data") or [])] if isinstance(x_axis, dict) else []
    unit = _unit(option)
    found: list[dict[str, Any]] = []
    for series in option.get("series", []):
        name, data = str(series.get("name") or ""), series.get("data") or []
        if series.get("type") == "heatmap":
            rows = [str(r) for r in option.get("yAxis", {}).get("data", [])]
            cells = [(c[2], f"{rows[c[1]]} {categories[c[0]]}") for c in data
                     if c[2] is not None and c[2] != "-"]
            if not cells:
                found.append({"kind": "empty", "name": name})
                continue
            low, high = min(cells, key=lambda c: c[0]), max(cells, key=lambda c: c[0])
            found.append({"kind": "range", "name": name, "low": _shown(low[0], "%"),
                          "low_at": low[1], "high": _shown(high[0], "%"), "high_at": high[1]})
        elif series.get("type") == "radar":
            axes = [str(i["name"]) for i in option.get("radar", {}).get("indicator", [])]
            for item in data:
                pairs = ", ".join(f"{axis} {_shown(value, '')}"
                                  for axis, value in zip(axes, item.get("value", []), strict=False))
                found.append({"kind": "pairs", "name": str(item.get("name", name)),
                              "pairs": pairs})
        else:
            points = [(v, categories[i] if i < len(categories) else str(i + 1))
                      for i, v in enumerate(data) if v is not None]
            if not points:
                found.append({"kind": "empty", "name": name})
            elif series.get("type") == "bar":
                found.append({"kind": "values", "name": name, "pairs": ", ".join(
                    f"{at} {_shown(v, unit)}" for v, at in points)})
            else:
                low, high = min(points, key=lambda p: p[0]), max(points, key=lambda p: p[0])
                found.append({"kind": "trend", "name": name,
                              "low": _shown(low[0], unit), "low_at": low[1],
                              "high": _shown(high[0], unit), "high_at": high[1],
                              "last": _shown(points[-1][0], unit), "last_at": points[-1][1]})
    return found
