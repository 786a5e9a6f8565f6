"""The briefing pack's pictures, drawn with matplotlib as PNG bytes (no browser, no internet, no tiles).

The map of travel times to the nearest hub and the Lorenz curve of spend, in the planner's
colours, so the pack reads like the screen it came from.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from dashboard import words
from dashboard.layers import MINUTES_PALETTE, NO_DATA, minutes_classes
from dashboard.money_charts import PLAN, TODAY
from geo.access import AccessResult
from geo.locality import Locality
from geo.scenarios import ScenarioContent

HUB_COLOUR = "#E69F00"
OUTREACH_COLOUR = "#6a1b9a"


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes. Figures are made without pyplot: no global state, safe in any thread."""
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def map_png(locality: Locality, content: ScenarioContent, result: AccessResult, *, mode_words: str) -> bytes:
    """Each small area coloured by minutes to its nearest hub, with the hubs (by their labels), their
    outreach points, today's services, the towns and the main roads."""
    classed = minutes_classes(result.minutes)
    colours = [MINUTES_PALETTE[c] if c >= 0 else NO_DATA for c in classed.classes]
    figure = Figure(figsize=(8.0, 6.4), dpi=150)
    axes = figure.subplots()
    areas = locality.areas.geometry.simplify(25.0, preserve_topology=True)
    areas.plot(ax=axes, color=colours, edgecolor="white", linewidth=0.2)
    locality.main_roads.plot(ax=axes, color="#7a4a14", linewidth=0.6, alpha=0.6)
    locality.county.boundary.plot(ax=axes, color="#222222", linewidth=1.2)
    for point in locality.services.geometry:
        axes.plot(point.x, point.y, marker="s", markersize=6, color="#111111", markeredgecolor="white")
    for name, point in zip(locality.towns["name"], locality.towns.geometry, strict=True):
        axes.annotate(name, (point.x, point.y), xytext=(0, 9), textcoords="offset points", ha="center",
                      fontsize=8, fontweight="bold", color="#111111",
                      bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    for hub in content.hubs:
        for point in hub.outreach_points:
            axes.plot([hub.x, point.x], [hub.y, point.y], color=OUTREACH_COLOUR, linewidth=1, linestyle="--")
            axes.plot(point.x, point.y, marker="o", markersize=6, color=OUTREACH_COLOUR, markeredgecolor="white")
        axes.plot(hub.x, hub.y, marker="o", markersize=15, color=HUB_COLOUR, markeredgecolor="#111111",
                  markeredgewidth=1.5)
        axes.annotate(hub.label, (hub.x, hub.y), ha="center", va="center", fontsize=8, fontweight="bold")
    _scale_bar(axes)
    handles: list[Any] = [Patch(facecolor=colour, edgecolor="#555555", label=label)
                          for colour, label in classed.legend_rows]
    handles += [Line2D([], [], marker="o", markersize=10, color=HUB_COLOUR, markeredgecolor="#111111",
                       linestyle="none", label="proposed hub (labelled as in the planner)"),
                Line2D([], [], marker="s", markersize=6, color="#111111", linestyle="none", label="existing service")]
    if any(hub.outreach_points for hub in content.hubs):
        handles.append(Line2D([], [], marker="o", markersize=6, color=OUTREACH_COLOUR, linestyle="none",
                              label="outreach point"))
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=8, frameon=False,
                title=f"Travel time to the nearest hub, {mode_words}", title_fontsize=8)
    axes.set_axis_off()
    axes.set_aspect("equal")
    return _png(figure)


def _scale_bar(axes: Any) -> None:
    west, east = axes.get_xlim()
    south, north = axes.get_ylim()
    x0, y0 = east - 0.05 * (east - west) - 10_000, south + 0.04 * (north - south)
    axes.plot([x0, x0 + 10_000], [y0, y0], color="#111111", linewidth=3)
    axes.annotate("10 km", (x0 + 5_000, y0), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=8)
    axes.annotate("N ↑", (x0 + 10_000, y0 + 0.08 * (north - south)), ha="right", fontsize=10, fontweight="bold")


def lorenz_png(today: pd.DataFrame, plan: pd.DataFrame, *, gini_today: float, gini_plan: float,
               measure: str) -> bytes:
    """Lorenz curves of spend against need, today (grey, dashed) and in the plan (blue)."""
    figure = Figure(figsize=(6.0, 3.6), dpi=150)
    axes = figure.subplots()
    axes.plot([0, 100], [0, 100], color="#000000", linewidth=1, linestyle=":", label="Perfectly even")
    for table, name, colour, style, gini in ((today, "Today", TODAY, "--", gini_today),
                                             (plan, "The plan", PLAN, "-", gini_plan)):
        axes.plot(100 * table["need_share"], 100 * table["spend_share"], color=colour, linestyle=style, linewidth=2.2,
                  label=f"{name} ({measure} {words.gini(gini)})")
    axes.set_xlim(0, 100)
    axes.set_ylim(0, 100)
    axes.set_xlabel("% of need, areas with the least spend for their need first", fontsize=8)
    axes.set_ylabel("% of spend", fontsize=8)
    axes.tick_params(labelsize=8)
    axes.grid(color="#e6e6e6")
    axes.legend(fontsize=8, frameon=False, loc="upper left")
    return _png(figure)
