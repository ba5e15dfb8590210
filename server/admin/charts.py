"""ECharts options built on the server, so the page carries data and labels, not code.

Each function returns a plain dict that admin.js hands to `echarts.init(...).setOption`.
Labels arrive already translated; nothing here reads a request.
"""

from __future__ import annotations

from typing import Any

PALETTE = ["#1f5fa8", "#d9822b", "#2e9e5b", "#a83279", "#6b5fd3", "#b38f00", "#2a9fb0"]


def _base() -> dict[str, Any]:
    return {"color": PALETTE, "animation": False,
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
                    "symbolSize": 6, "yAxisIndex": 1 if name in right else 0}
                   for name, values in series.items()],
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
        "series": [{"name": label, "type": "heatmap", "data": cells,
                    "label": {"show": True}}],
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
