"""The money figures a hub drag moves, as HTML tables with bars drawn in CSS and one SVG curve, not Plotly.

Spend by district and by contract lot, the fairness of spend by deprivation fifth and by
district, and the Lorenz curve change with a hub move. As Plotly charts each one sent was
redrawn by Plotly.react in the browser, together the slowest part of a drag with the Money
and fairness tab open (about 100 ms of the 205 ms a drag took on the demo; the Lorenz curve
alone about 30 ms). Here each is HTML text in one slot (:mod:`dashboard.html_slot`): one
property change, no Plotly. A table also reads out row by row to a screen reader (the
pattern of :mod:`dashboard.provision_panel`). A district's name is a button that highlights
it everywhere (assets/money.js), so the choice a bar click made is there from the keyboard.

The figures shown are the same texts the charts printed (:func:`dashboard.money_charts.money`
and ``percent``), so they read as the pack and exports do.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from html import escape

import numpy as np
import pandas as pd
from dash import html

from dashboard import words
from dashboard.attrs import attrs
from dashboard.money_charts import PLAN, TODAY, money, percent
from geo.investment import LOCALITY_WIDE

LOT_ORDER = ("West", "Central", "East", LOCALITY_WIDE)
SELECTED_ROW = "money-row-selected"  # marked with an arrow by the CSS as well as shaded
DISTRICT_CHOICE = "data-district"  # a button's district, read by assets/money.js


def _position(value: float, low: float, high: float) -> tuple[float, float]:
    """Where a bar from zero to ``value`` sits on a track from ``low`` to ``high``: left and width, in %."""
    span = high - low or 1.0
    zero = 100 * (0.0 - low) / span
    end = 100 * (value - low) / span
    return min(zero, end), abs(end - zero)


def _track(value: float, colour: str, low: float, high: float, marks: Sequence[tuple[float, str]]) -> html.Span:
    """One bar on its track, with lines at ``marks`` (value, class: zero on a track with negatives, the
    fair share). Decoration: the figure above it says the same."""
    left, width = _position(value if math.isfinite(value) else 0.0, low, high)
    lines = [html.Span(className=kind, style={"left": f"{100 * (m - low) / (high - low or 1.0):.1f}%"})
             for m, kind in marks]
    return html.Span(className="bar-track", **attrs({"aria-hidden": "true"}), children=[
        html.Span(className="bar-fill", style={"left": f"{left:.1f}%", "width": f"{width:.1f}%",
                                               "backgroundColor": colour}),
        *lines,
    ])


def _heading(text: str, colour: str) -> html.Th:
    return html.Th(scope="col", children=[html.Span(className="bar-key", style={"backgroundColor": colour},
                                                    **attrs({"aria-hidden": "true"})), text])


def before_after_table(caption: str, label_heading: str, labels: Sequence[str], today: Sequence[float],
                       plan: Sequence[float], *, today_text: Sequence[str], plan_text: Sequence[str],
                       selected: str | None = None, choices: Collection[str] = (),
                       reference: float | None = None) -> html.Table:
    """A row per label: today's figure (grey bar) and the plan's (blue bar). ``selected`` is shaded and
    marked; a label in ``choices`` is a button choosing that district; ``reference``: a value
    marked by a line on every bar (the fair share). Bars start at zero; with negatives, zero is a line."""
    values = [v for v in (*today, *plan) if math.isfinite(v)]
    low = min([0.0, *values])
    high = max([0.0, *values, *([reference] if reference is not None else [])])
    if low < 0:  # a gap either way: zero in the middle
        low, high = -max(-low, high), max(-low, high)
    marks = [*([(0.0, "bar-mark bar-zero")] if low < 0 else []),
             *([(reference, "bar-mark")] if reference is not None else [])]

    def label_cell(label: str) -> html.Th:
        if label not in choices:
            return html.Th(label, scope="row")
        return html.Th(scope="row", children=html.Button(label, type="button", className="bar-choice", **attrs(
            {DISTRICT_CHOICE: label, "aria-pressed": "true" if label == selected else "false"})))

    rows = [html.Tr(className=SELECTED_ROW if label == selected else None, children=[
        label_cell(label),
        html.Td([html.Span(t_text, className="bar-figure"), _track(t, TODAY, low, high, marks)]),
        html.Td([html.Span(p_text, className="bar-figure"), _track(p, PLAN, low, high, marks)]),
    ]) for label, t, p, t_text, p_text in zip(labels, today, plan, today_text, plan_text, strict=True)]
    hint = [html.Span(" Choose a district to highlight it in every panel.", className="bar-hint")] if choices else []
    return html.Table(className="bar-table money-bars", children=[
        html.Caption([caption, *hint]),
        html.Thead(html.Tr([html.Th(label_heading, scope="col"), _heading("Today", TODAY),
                            _heading("The plan", PLAN)])),
        html.Tbody(rows),
    ])


def district_table(table: pd.DataFrame, selected: str | None) -> html.Table:
    """Spend today and in the plan by district (:func:`geo.investment.spend_by_district`).

    The IPS service and direct payments are locality-wide: they have their own row.
    """
    today, plan = table["current_gbp"].tolist(), table["plan_gbp"].tolist()
    districts = [str(d) for d in table["district"]]
    return before_after_table(
        "Spend by district: today and the plan", "District", districts, today, plan,
        today_text=[money(v) for v in today], plan_text=[money(v) for v in plan],
        selected=selected, choices=[d for d in districts if d != LOCALITY_WIDE],
    )


def lot_table(table: pd.DataFrame) -> html.Table:
    """Spend by contract lot (:func:`geo.investment.spend_by_lot`): west, central, east and locality-wide."""
    found = dict(zip(table["lot"].tolist(), zip(table["current_gbp"].tolist(), table["plan_gbp"].tolist(),
                                                strict=True), strict=True))
    lots = [lot for lot in LOT_ORDER if lot in found] + sorted(lot for lot in found if lot not in LOT_ORDER)
    today, plan = [found[lot][0] for lot in lots], [found[lot][1] for lot in lots]
    return before_after_table(
        "Spend by contract lot: today and the plan", "Lot",
        [f"{lot} lot" if lot != LOCALITY_WIDE else lot for lot in lots], today, plan,
        today_text=[money(v) for v in today], plan_text=[money(v) for v in plan],
    )


def fifths_table(today: pd.DataFrame, plan: pd.DataFrame, *, selected_fifth: int | None = None) -> html.Table:
    """Spend per need-weighted adult in each deprivation fifth, and as a share of the fair share (the line)."""
    labels = [str(label) for label in today["label"]]

    def text(table: pd.DataFrame) -> list[str]:
        return [f"£{pounds:,.2f} · {percent(ratio)}" if math.isfinite(ratio) else "-"
                for pounds, ratio in zip(table["spend_per_need_gbp"], table["ratio_to_fair_share"], strict=True)]

    def ratios(table: pd.DataFrame) -> list[float]:
        return [100 * r if math.isfinite(r) else 0.0 for r in table["ratio_to_fair_share"]]

    return before_after_table(
        "Spend per need-weighted adult by deprivation fifth (the line: a fair share, 100%)", "Deprivation fifth",
        labels, ratios(today), ratios(plan), today_text=text(today), plan_text=text(plan),
        selected=labels[selected_fifth - 1] if selected_fifth else None, reference=100.0,
    )


def gap_table(today: pd.DataFrame, plan: pd.DataFrame, *, selected: str | None = None) -> html.Table:
    """Each district's spend less its fair share (by need): left of the line gets less than its share."""
    def gaps(table: pd.DataFrame) -> list[float]:
        return (table["spend_gbp"].to_numpy(dtype=float) - table["fair_share_gbp"].to_numpy(dtype=float)).tolist()

    today_gap, plan_gap = gaps(today), gaps(plan)
    districts = [str(d) for d in plan["district"]]
    return before_after_table(
        "Each district's gap from its fair share (left of the line: less than its share)", "District",
        districts, today_gap, plan_gap, selected=selected, choices=districts,
        today_text=[money(v, signed=True) for v in today_gap], plan_text=[money(v, signed=True) for v in plan_gap],
    )


# The Lorenz curve's drawing, in SVG units (it scales to the column's width).
LORENZ_GRID = np.linspace(0.0, 100.0, 101)  # one point per 1% of need: smooth on any screen
LORENZ_SIZE = (380, 320)
LORENZ_MARGIN = {"l": 58, "r": 24, "t": 12, "b": 52}
LORENZ_TICKS = (0, 25, 50, 75, 100)
# (colour, SVG stroke-dasharray, width, the legend's CSS border style for the same stroke)
EVEN_LINE, TODAY_LINE, PLAN_LINE = ("#000000", "2 4", 1.5, "dotted"), (TODAY, "10 6", 3.5, "dashed"), \
    (PLAN, "", 3.5, "solid")


def lorenz_points(table: pd.DataFrame) -> list[float]:
    """% of spend at each 1% of need (least funded areas first), from :attr:`geo.plan_equity.Equity.lorenz`."""
    x = 100 * table["need_share"].to_numpy(dtype=float)
    y = 100 * table["spend_share"].to_numpy(dtype=float)
    return [float(v) for v in np.round(np.interp(LORENZ_GRID, x, y), 2)]


def lorenz_svg(today: pd.DataFrame, plan: pd.DataFrame, *, gini_today: float, gini_plan: float) -> str:
    """Lorenz curves of spend per need-weighted adult, today and in the plan, as HTML for a slot: the further
    below the diagonal, the less even. Only numbers and fixed words go in; the words are escaped all the same."""
    width, height = LORENZ_SIZE
    m = LORENZ_MARGIN
    inner_w, inner_h = width - m["l"] - m["r"], height - m["t"] - m["b"]

    def x(v: float) -> float:
        return m["l"] + inner_w * v / 100

    def y(v: float) -> float:
        return m["t"] + inner_h * (1 - v / 100)

    def line(values: Sequence[float], style: tuple[str, str, float, str], grid: Sequence[float]) -> str:
        colour, dash, stroke, _ = style
        points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(grid, values, strict=True))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        return (f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="{stroke}"{dashes} '
                'stroke-linejoin="round"/>')

    grid = "".join(
        f'<line x1="{x(t):.1f}" y1="{y(0):.1f}" x2="{x(t):.1f}" y2="{y(100):.1f}" class="lorenz-grid"/>'
        f'<line x1="{x(0):.1f}" y1="{y(t):.1f}" x2="{x(100):.1f}" y2="{y(t):.1f}" class="lorenz-grid"/>'
        f'<text x="{x(t):.1f}" y="{y(0) + 20:.1f}" text-anchor="middle">{t}%</text>'
        f'<text x="{x(0) - 6:.1f}" y="{y(t) + 5:.1f}" text-anchor="end">{t}%</text>' for t in LORENZ_TICKS)
    axes = (f'<text x="{x(50):.1f}" y="{height - 6}" text-anchor="middle">% of need, least funded areas first</text>'
            f'<text transform="translate(14 {y(50):.1f}) rotate(-90)" text-anchor="middle">% of spend</text>')
    grid_points = LORENZ_GRID.tolist()
    today_name, plan_name = f"Today (Gini {words.gini(gini_today)})", f"The plan (Gini {words.gini(gini_plan)})"
    summary = (f"Lorenz curves of spend per need-weighted adult. {today_name}; {plan_name}. "
               "The further a curve lies below the diagonal, the less evenly spend is shared.")
    keys = "".join(f'<li><span class="lorenz-key" style="border-top: {max(stroke, 2):g}px {border} {colour}" '
                   f'aria-hidden="true"></span>{escape(name)}</li>'
                   for name, (colour, _, stroke, border) in (("Perfectly even", EVEN_LINE), (today_name, TODAY_LINE),
                                                              (plan_name, PLAN_LINE)))
    return (f'<figure class="lorenz"><figcaption>How evenly spend is shared (Lorenz curve)</figcaption>'
            f'<ul class="lorenz-legend">{keys}</ul>'
            f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(summary)}" class="lorenz-plot">'
            f'{grid}{axes}{line([0, 100], EVEN_LINE, [0, 100])}'
            f'{line(lorenz_points(today), TODAY_LINE, grid_points)}{line(lorenz_points(plan), PLAN_LINE, grid_points)}'
            "</svg></figure>")
