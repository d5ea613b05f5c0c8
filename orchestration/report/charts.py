"""Plotly charts of a report section: the yearly trend and the comparison per aanbieder.

Rules the charts keep (the tables beside them say the same in words):
- a suppressed cell (DEFINITIONS §7) has no point and no bar — never a zero — and is labelled
  "onderdrukt";
- a provisional value (is_final false) has a hollow marker (trend) or a hollow bar (aanbieder);
- baseline and target are drawn as lines (dashed and dotted) where the publication has them;
- with more than one segment a drop-down picks the segment ('' = all segments, shown first).

Figures are plain plotly.js figure dicts (`{"data": [...], "layout": {...}}`), the JSON that
`Plotly.newPlot` takes: building hundreds of `plotly.graph_objects` figures for a large
publication costs tens of seconds of validation for the same output. The tests check that every
figure is accepted by `plotly.graph_objects.Figure`. The page draws a chart when it scrolls into
view (see page.py); the plotly library is inlined once per page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from orchestration.report.data import Cell
from orchestration.report.formatting import (
    INSUFFICIENT_TEXT,
    PROVISIONAL_TEXT,
    SUPPRESSED_TEXT,
    format_value,
    segment_label,
    status_text,
    unit_label,
    value_text,
)
from orchestration.report.views import ProviderComparison, Section, Series

Figure = dict[str, Any]

VALUE_COLOUR = "#1f5f8b"
BASELINE_COLOUR = "#6b6b6b"
TARGET_COLOUR = "#2e7d32"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d"]}
HOVER = "%{customdata}<extra></extra>"


def _base_layout(height: int, unit: str) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 50, "b": 70},
        "font": {"family": FONT, "size": 13, "color": "#222"},
        "separators": ",.",
        "hovermode": "closest",
        "legend": {"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "yaxis": {
            "title": {"text": unit_label(unit)},
            "gridcolor": "#e5e5e5",
            "zeroline": True,
            "zerolinecolor": "#bbb",
            "rangemode": "tozero",
        },
    }


def _hover(cell: Cell) -> str:
    return f"{cell.period_year}: {value_text(cell)} ({status_text(cell)})"


def _trend_traces(series: Series, visible: bool) -> list[dict[str, Any]]:
    cells = series.cells
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [c.period_year for c in cells],
            "y": [None if c.suppressed else c.value for c in cells],
            "mode": "lines",
            "name": f"waarde ({segment_label(series.segment)})",
            "line": {"color": VALUE_COLOUR, "width": 2},
            "connectgaps": False,
            "hoverinfo": "skip",
            "showlegend": False,
            "visible": visible,
        }
    ]
    for final, name, symbol in (
        (True, "definitief", "circle"),
        (False, PROVISIONAL_TEXT, "circle-open"),
    ):
        picked = [
            c for c in cells if c.is_final is final and not c.suppressed and c.value is not None
        ]
        if not picked:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": [c.period_year for c in picked],
                "y": [c.value for c in picked],
                "mode": "markers",
                "name": name,
                "marker": {
                    "symbol": symbol,
                    "size": 11,
                    "color": VALUE_COLOUR,
                    "line": {"width": 2, "color": VALUE_COLOUR},
                },
                "customdata": [_hover(c) for c in picked],
                "hovertemplate": HOVER,
                "visible": visible,
            }
        )
    for attr, name, dash, colour in (
        ("baseline_value", "basiswaarde", "dash", BASELINE_COLOUR),
        ("target_value", "streefwaarde", "dot", TARGET_COLOUR),
    ):
        points = [(c.period_year, getattr(c, attr)) for c in cells if getattr(c, attr) is not None]
        if not points:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": [p[0] for p in points],
                "y": [p[1] for p in points],
                # The marker is a short horizontal dash, so a single year still shows its line.
                "mode": "lines+markers",
                "name": name,
                "line": {"color": colour, "dash": dash, "width": 2},
                "marker": {"symbol": "line-ew-open", "size": 26, "color": colour},
                "customdata": [
                    f"{name} {p[0]}: {format_value(p[1], cells[0].unit)}" for p in points
                ],
                "hovertemplate": HOVER,
                "visible": visible,
            }
        )
    return traces


def _suppressed_annotations(series: Series) -> list[dict[str, Any]]:
    """A label at the foot of the plot for every suppressed year: no point, no zero."""
    return [
        {
            "x": c.period_year,
            "xref": "x",
            "y": 0.02,
            "yref": "paper",
            "yanchor": "bottom",
            "text": SUPPRESSED_TEXT if c.suppressed else INSUFFICIENT_TEXT,
            "showarrow": False,
            "font": {"size": 11, "color": "#8a5a00"},
            "bgcolor": "#fff4db",
        }
        for c in series.cells
        if c.suppressed or c.insufficient
    ]


def _segment_menu(
    labels: Sequence[str], visibility: list[list[bool]], annotations: list[Any]
) -> dict[str, Any]:
    return {
        "type": "dropdown",
        "direction": "down",
        "x": 0,
        "xanchor": "left",
        "y": 1.02,
        "yanchor": "bottom",
        "showactive": True,
        "active": 0,
        "buttons": [
            {
                "label": label,
                "method": "update",
                "args": [{"visible": visible}, {"annotations": notes}],
            }
            for label, visible, notes in zip(labels, visibility, annotations, strict=True)
        ],
    }


def _one_of(sizes: Sequence[int], chosen: int) -> list[bool]:
    """Visibility flags over all traces: only the traces of group `chosen` are shown."""
    flags: list[bool] = []
    for i, size in enumerate(sizes):
        flags.extend([i == chosen] * size)
    return flags


def trend_figure(section: Section) -> Figure:
    """Yearly values of the section, one selectable view per segment."""
    data: list[dict[str, Any]] = []
    sizes: list[int] = []
    for i, series in enumerate(section.series):
        traces = _trend_traces(series, visible=i == 0)
        sizes.append(len(traces))
        data.extend(traces)
    years = sorted({c.period_year for s in section.series for c in s.cells})
    layout = _base_layout(360, section.unit)
    layout["xaxis"] = {
        "tickmode": "array",
        "tickvals": years,
        "ticktext": [str(y) for y in years],
        "range": [min(years) - 0.5, max(years) + 0.5],
        "showgrid": False,
    }
    notes = [_suppressed_annotations(s) for s in section.series]
    layout["annotations"] = notes[0]
    if len(section.series) > 1:
        layout["updatemenus"] = [
            _segment_menu(
                [segment_label(s.segment) for s in section.series],
                [_one_of(sizes, i) for i in range(len(sizes))],
                notes,
            )
        ]
    return {"data": data, "layout": layout}


def _provider_label(cell: Cell) -> str:
    if cell.suppressed:
        return f"{cell.aanbieder_agb} · {SUPPRESSED_TEXT}"
    if cell.insufficient:
        return f"{cell.aanbieder_agb} · {INSUFFICIENT_TEXT}"
    if not cell.is_final:
        return f"{cell.aanbieder_agb} · {PROVISIONAL_TEXT}"
    return cell.aanbieder_agb


def _provider_trace(group: ProviderComparison, visible: bool) -> dict[str, Any]:
    cells = group.cells
    return {
        "type": "bar",
        "x": [None if c.suppressed else c.value for c in cells],
        "y": [_provider_label(c) for c in cells],
        "orientation": "h",
        "name": segment_label(group.segment),
        "marker": {
            "color": [VALUE_COLOUR if c.is_final else "white" for c in cells],
            "line": {"color": VALUE_COLOUR, "width": 2},
        },
        "customdata": [f"AGB {c.aanbieder_agb}: {value_text(c)} ({status_text(c)})" for c in cells],
        "hovertemplate": HOVER,
        "visible": visible,
        "showlegend": False,
    }


def provider_figure(section: Section) -> Figure:
    """Values per aanbieder in the most recent year, one selectable view per segment."""
    groups = section.providers
    most = max(len(g.cells) for g in groups)
    layout = _base_layout(140 + 24 * most, section.unit)
    layout["xaxis"] = layout.pop("yaxis")
    layout["yaxis"] = {"autorange": "reversed", "type": "category", "automargin": True}
    layout["margin"] = {"l": 20, "r": 20, "t": 40, "b": 50}
    layout["bargap"] = 0.3
    if len(groups) > 1:
        menu = _segment_menu(
            [segment_label(g.segment) for g in groups],
            [_one_of([1] * len(groups), i) for i in range(len(groups))],
            [[] for _ in groups],
        )
        menu.update(x=1, xanchor="right")
        layout["updatemenus"] = [menu]
    return {
        "data": [_provider_trace(g, visible=i == 0) for i, g in enumerate(groups)],
        "layout": layout,
    }


def figure_div(figure: Figure, div_id: str) -> str:
    """The chart's placeholder div and its figure as inline JSON; page.py draws it with plotly."""
    spec = json.dumps(
        {**figure, "config": PLOT_CONFIG},
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    spec = spec.replace("<", "\\u003c")  # nothing in the JSON can end the script element
    height = int(figure["layout"]["height"])
    div_id = escape(div_id, quote=True)
    return (
        f'<div id="{div_id}" class="plotly-graph-div chart" style="height:{height}px;width:100%">'
        f'</div><script type="application/json" class="chart-spec" data-for="{div_id}">{spec}'
        "</script>"
    )
