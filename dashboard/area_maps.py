"""Static maps of the small areas as plain plotly figures, for the compare, present and follow views.

The areas are drawn as filled outlines on ordinary x/y axes in British National Grid
metres (equal scale on both axes), one trace per colour class. No basemap and no map
library: nothing is fetched from the internet, which a meeting room may not have, and a
figure is a small plain dict that is quick to build and to draw. Holes inside an area
are not drawn (the demo's areas have none).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from dashboard import data_access
from dashboard.charts import FONT, plotly_text
from dashboard.layers import NO_DATA
from geo.scenarios import Hub
from geo.snapping import area_origins

Outline = tuple[list[float | None], list[float | None]]
TOWN_LABEL_LIFT = 0.025  # of the county's height: clear of a hub's disc on the town itself


def _rings(geometry: Any) -> Outline:
    """x and y of a polygon's (or each part's) outer ring, whole metres, None between parts."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for part in getattr(geometry, "geoms", [geometry]):
        x, y = part.exterior.coords.xy
        xs += [*np.round(np.asarray(x)).tolist(), None]
        ys += [*np.round(np.asarray(y)).tolist(), None]
    return xs, ys


@functools.lru_cache(maxsize=4)
def area_outlines(folder: str) -> tuple[Outline, ...]:
    """Each area's outline, simplified for drawing, in the areas' order."""
    areas = data_access.locality_for(folder).areas
    tolerance = data_access.drawing_tolerance_m(areas, data_access.AREA_SIMPLIFY_M)
    return tuple(_rings(g) for g in areas.geometry.simplify(tolerance, preserve_topology=True))


@functools.lru_cache(maxsize=4)
def county_outline(folder: str) -> Outline:
    county = data_access.locality_for(folder).county.geometry
    tolerance = data_access.drawing_tolerance_m(data_access.locality_for(folder).county,
                                                data_access.OUTLINE_SIMPLIFY_M)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for geometry in county.simplify(tolerance):
        x, y = _rings(geometry)
        xs += x
        ys += y
    return xs, ys


def class_traces(folder: str, classes: Sequence[int], palette: Sequence[str], *,
                 edge: str = "#ffffff") -> list[dict[str, Any]]:
    """One filled trace per colour class (-1 = no data, drawn grey)."""
    outlines = area_outlines(folder)
    colours = [*palette, NO_DATA]
    drawn: list[tuple[list[float | None], list[float | None]]] = [([], []) for _ in colours]
    for (x, y), c in zip(outlines, classes, strict=True):
        xs, ys = drawn[c if c >= 0 else len(palette)]
        xs += x
        ys += y
    return [{"type": "scatter", "x": xs, "y": ys, "mode": "lines", "fill": "toself", "fillcolor": colour,
             "line": {"color": edge, "width": 0.6}, "hoverinfo": "skip", "showlegend": False}
            for colour, (xs, ys) in zip(colours, drawn, strict=True) if xs]


def hover_trace(folder: str, texts: Sequence[str]) -> dict[str, Any]:
    """Invisible points where each area's journeys start carrying its hover sentence."""
    starts = area_origins(data_access.locality_for(folder).areas).round()
    return {"type": "scatter", "x": starts[:, 0].tolist(), "y": starts[:, 1].tolist(),
            "mode": "markers", "marker": {"size": 10, "opacity": 0}, "text": [plotly_text(t) for t in texts],
            "hovertemplate": "%{text}<extra></extra>", "showlegend": False}


def county_trace(folder: str) -> dict[str, Any]:
    xs, ys = county_outline(folder)
    return {"type": "scatter", "x": xs, "y": ys, "mode": "lines", "line": {"color": "#111111", "width": 2},
            "hoverinfo": "skip", "showlegend": False}


def town_trace(folder: str, *, size: int) -> dict[str, Any]:
    """Town names, set a little above each town so a hub standing in the town does not hide its name."""
    locality = data_access.locality_for(folder)
    towns = locality.towns
    _, south, _, north = locality.county.total_bounds
    lift = TOWN_LABEL_LIFT * (north - south)
    return {"type": "scatter", "x": towns.geometry.x.round().tolist(),
            "y": (towns.geometry.y + lift).round().tolist(),
            "mode": "text", "text": [plotly_text(name) for name in towns["name"]], "textposition": "top center",
            "textfont": {"size": size, "color": "#000000", "family": FONT["family"],
                         "shadow": "0 0 3px #ffffff, 0 0 3px #ffffff"},  # a white halo: readable on any colour
            "hoverinfo": "skip", "showlegend": False}


HUB_STYLES = {"orange": ("#E69F00", "#111111"), "dark": ("#111111", "#ffffff")}  # disc, letter


def hub_trace(hubs: Sequence[Hub], *, size: int = 16, style: str = "orange") -> dict[str, Any]:
    """Hubs as lettered discs (each its own label) with a black ring: orange as on the planner's map, or black."""
    disc, number = HUB_STYLES[style]
    return {"type": "scatter", "x": [h.x for h in hubs], "y": [h.y for h in hubs], "mode": "markers+text",
            "text": [h.label for h in hubs],
            "textfont": {"size": round(size * 0.65), "color": number},
            "marker": {"size": size, "color": disc, "line": {"width": 2, "color": "#111111"}},
            "hovertext": [plotly_text(h.name) for h in hubs], "hoverinfo": "text", "showlegend": False}


def gone_hub_trace(hubs: Sequence[Hub], *, size: int = 16) -> dict[str, Any]:
    """Hollow black rings where hubs stood in the scenario compared against."""
    return {"type": "scatter", "x": [h.x for h in hubs], "y": [h.y for h in hubs], "mode": "markers",
            "marker": {"size": size, "color": "rgba(255,255,255,0.85)", "symbol": "circle",
                       "line": {"width": 3, "color": "#111111"}},
            "hovertext": [f"{plotly_text(h.name)} (not in this scenario)" for h in hubs], "hoverinfo": "text",
            "showlegend": False}


def area_map(folder: str, classes: Sequence[int], palette: Sequence[str], hover: Sequence[str],
             hubs: Sequence[Hub], *, height: int | None, hub_size: int = 16, town_size: int = 0,
             hub_style: str = "orange", gone: Sequence[Hub] = (), edge: str = "#ffffff") -> dict[str, Any]:
    """The areas coloured by class, the county's edge, the hubs, and town names if ``town_size``.

    ``height`` None leaves the height to the page (a responsive graph fills its box).
    ``hub_style`` "dark" draws the hubs black with white numbers, clear of orange areas;
    ``gone`` are hubs to show as hollow rings: places a hub stood in the scenario compared against;
    ``edge`` is the colour of the areas' edges.
    """
    traces = [*class_traces(folder, classes, palette, edge=edge), county_trace(folder), hover_trace(folder, hover)]
    if gone:
        traces.append(gone_hub_trace(gone, size=hub_size))
    if town_size:
        traces.append(town_trace(folder, size=town_size))
    # Hubs last: where a hub stands on a town's name, its letter stays readable ("move hub C" is what the
    # room says), and the name, set a little above the town, mostly shows around the disc.
    traces.append(hub_trace(hubs, size=hub_size, style=hub_style))
    axis = {"visible": False, "fixedrange": True}
    layout: dict[str, Any] = {
        "xaxis": axis, "yaxis": {**axis, "scaleanchor": "x", "scaleratio": 1},
        "margin": {"l": 4, "r": 4, "t": 4, "b": 4}, "showlegend": False,
        "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)", "font": FONT,
        "hovermode": "closest", "dragmode": False,
    }
    if height is not None:
        layout["height"] = height
    return {"data": traces, "layout": layout}
