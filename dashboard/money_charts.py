"""Slide-ready charts for the investment and outcome panels, built as plain Plotly figure dicts.

Plain dicts rather than ``plotly.graph_objects`` because these charts are rebuilt on every
hub move and a dict costs microseconds where a validated Figure costs milliseconds.
House style as in :mod:`dashboard.charts`: plain-words titles, large type, Okabe-Ito
colours (colour-blind safe), today in grey and the plan in blue. (Charts that mark a selection
are tables now: :mod:`dashboard.money_tables`.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.charts import CATEGORICAL, FONT, plotly_text

if TYPE_CHECKING:
    from dash import dcc

TODAY = "#767676"  # the darkest grey that keeps white text readable (4.5:1)
PLAN = CATEGORICAL[0]  # blue
RELEASED = CATEGORICAL[5]  # vermillion
TOTAL = "#3b3b3b"
RANGE = "rgba(0, 114, 178, 0.18)"
CONFIG: dcc.Graph.Config = {"displayModeBar": False}

Figure = dict[str, Any]


def placeholder(height: int) -> Figure:
    """An empty chart of the final height (no axes), shown until the figures arrive."""
    return {"data": [], "layout": {"height": height, "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                   "plot_bgcolor": "white", "paper_bgcolor": "white"}}


def money(value: float, *, signed: bool = False) -> str:
    """Pounds for people: £3.50m, £412k, £950 (with + or − when ``signed``)."""
    if not math.isfinite(value):
        return "-"
    sign = ("+" if value > 0 else "−" if value < 0 else "") if signed else ("−" if value < 0 else "")
    size = abs(value)
    if size >= 1e6:
        text = f"£{size / 1e6:,.2f}m"
    elif size >= 1e3:
        text = f"£{size / 1e3:,.0f}k"
    else:
        text = f"£{size:,.0f}"
    return sign + text


def percent(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{100 * value:.0f}%"


def layout(title: str, *, height: int, **extra: Any) -> dict[str, Any]:
    """The house layout: title top left, large type, white background, a legend on top when asked."""
    base: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "xref": "container", "y": 1, "yanchor": "top",
                  "yref": "container", "pad": {"t": 8, "l": 6}, "font": {"size": 17}},
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 46, "b": 10},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "showlegend": False,
    }
    base.update(extra)
    return base


def _legend_on_top(margin: dict[str, int] | None = None) -> dict[str, Any]:
    """A legend in a row between the title and the plot (the top margin makes room for both)."""
    return {"showlegend": True,
            "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom",
                       "font": {"size": 14}, "traceorder": "normal"},
            "margin": {"l": 10, "r": 20, "t": 78, "b": 10, **(margin or {})}}


def label_margin(labels: Sequence[str]) -> int:
    """Left margin in pixels for horizontal-bar labels at the house font size.

    Worked out from the longest label rather than left to Plotly's automargin, which
    in a narrow side column reserves far more room than the labels take.
    """
    longest = max((len(label) for label in labels), default=0)
    return 22 + round(8.2 * longest)


def before_after_bars(labels: Sequence[str], today: Sequence[float], plan: Sequence[float], *, title: str,
                      today_text: Sequence[str], plan_text: Sequence[str]) -> Figure:
    """Horizontal bars, today (grey) above the plan (blue) for each label, each value printed after its bar."""
    bars = [{
        "type": "bar", "orientation": "h", "name": name, "y": [plotly_text(label) for label in labels],
        "x": list(values), "text": list(text), "textposition": "outside", "cliponaxis": False,
        "hoverinfo": "skip", "constraintext": "none", "marker": {"color": colour},
    } for name, values, text, colour in (("Today", today, today_text, TODAY), ("The plan", plan, plan_text, PLAN))]
    largest = max([0.0, *today, *plan])
    smallest = min([0.0, *today, *plan])
    span = largest - smallest or 1.0
    return {"data": bars, "layout": layout(
        title, height=110 + 62 * len(labels), barmode="group", bargap=0.25,
        yaxis={"autorange": "reversed", "automargin": False, "fixedrange": True, "ticklabelstandoff": 6},
        xaxis={"visible": False, "range": [smallest - 0.05 * span * (smallest < 0), largest + 0.75 * span],
               "fixedrange": True},
        **_legend_on_top({"l": label_margin(labels)}),
    )}


WATERFALL_LABELS = {"current": "Spend today", "released": "Released", "hub": "Resource hubs",
                    "community_links": "Community links", "ips": "IPS service", "direct_payments": "Direct payments",
                    "plan": "The plan"}


def waterfall_figure(steps: pd.DataFrame) -> Figure:
    """From spend today to the plan's total: money released (vermillion) and reinvested (blue)."""
    labels = [WATERFALL_LABELS.get(step, label) for step, label in zip(steps["step"], steps["label"], strict=True)]
    amounts = steps["amount_gbp"].tolist()
    measures = steps["measure"].tolist()
    text = [money(a) if m != "relative" else money(a, signed=True) for a, m in zip(amounts, measures, strict=True)]
    running = steps["running_total_gbp"].to_numpy(dtype=float)
    top = float(np.nanmax(np.r_[running, 0.0]))
    return {"data": [{
        "type": "waterfall", "orientation": "h", "y": [plotly_text(label) for label in labels],
        "x": amounts, "measure": measures, "text": text,
        "textposition": "outside", "cliponaxis": False, "hoverinfo": "skip",
        "increasing": {"marker": {"color": PLAN}}, "decreasing": {"marker": {"color": RELEASED}},
        "totals": {"marker": {"color": TOTAL}}, "connector": {"line": {"color": "#9a9a9a", "dash": "dot"}},
    }], "layout": layout(
        "Money released and reinvested, a year", height=70 + 44 * len(labels),
        yaxis={"autorange": "reversed", "automargin": False, "fixedrange": True, "ticklabelstandoff": 6},
        xaxis={"visible": False, "range": [0, top * 1.5 or 1.0], "fixedrange": True},
        margin={"l": label_margin(labels), "r": 20, "t": 46, "b": 10},
    )}


def money_ticks(top: float, *, count: int = 4) -> dict[str, Any]:
    """About ``count`` round tick values from 0 to ``top``, labelled like the rest of the panel (£500k, £1.00m)."""
    if not math.isfinite(top) or top <= 0:
        return {"tickvals": [0], "ticktext": ["£0"]}
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    values = [step * i for i in range(int(top // step) + 2)]
    return {"tickmode": "array", "tickvals": values, "ticktext": [money(v) for v in values]}


def uptake_figure(outlook: pd.DataFrame) -> Figure:
    """Direct payments taken up in each contract year: the central estimate and its range."""
    years = outlook["contract_year"].astype(int).tolist()
    central = outlook["direct_payments_gbp"].tolist()
    return {"data": [
        {"type": "scatter", "mode": "lines", "x": years, "y": outlook["direct_payments_gbp_high"].tolist(),
         "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "lines", "x": years, "y": outlook["direct_payments_gbp_low"].tolist(),
         "fill": "tonexty", "fillcolor": RANGE, "line": {"width": 0}, "name": "Range", "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines+markers+text", "x": years, "y": central, "name": "Central estimate",
         "text": [money(v) for v in central], "textposition": "top center", "hoverinfo": "skip",
         "line": {"color": PLAN, "width": 3.5}, "marker": {"size": 9}},
    ], "layout": layout(
        "Direct payments, by contract year", height=320,
        xaxis={"title": {"text": "Contract year"}, "tickmode": "array", "tickvals": years, "fixedrange": True,
               "range": [min(years) - 0.45, max(years) + 0.45]},
        yaxis={"gridcolor": "#e6e6e6", "rangemode": "tozero", "fixedrange": True, **money_ticks(
            max([0.0, *outlook["direct_payments_gbp_high"].tolist()]))},
        **_legend_on_top({"l": 72, "b": 50}),
    )}
