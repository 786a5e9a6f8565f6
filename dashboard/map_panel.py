"""The locality map: small areas coloured by a chosen layer, towns, main roads and services.

The area polygons are sent once, with the page. Changing the layer sends only a colour
class per area; a clientside step recolours the existing Leaflet layers in place.
"""

from __future__ import annotations

from html import escape
from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
import pandas as pd
from dash import html

from dashboard import data_access, ids
from dashboard.attrs import attrs
from dashboard.config import Settings
from dashboard.html_slot import html_slot
from dashboard.layers import AREA_LAYERS, LAYERS_BY_KEY, PLAN_LAYERS, class_areas
from geo.locality import SERVICE_FUNCTIONS, Locality

DEFAULT_LAYER = "access"
# dash-leaflet's layers write every click and hover into Dash properties by default (n_clicks,
# clickData, hoverData): each write is a change every component on the page is told about, twice
# per mouse move while a hub is dragged over the areas. Nothing listens to them (the map's own
# clickData, which does, is kept), so the layers and markers are quiet.
QUIET = {"disableDefaultEventHandlers": True}
DEFAULT_STATIC_LAYER = "need"

# One shape per kind of service, so type is readable without colour.
SERVICE_SYMBOLS = {
    "Day centre": "square",
    "Drop-in": "circle",
    "Work project": "diamond",
    "Sheltered workshop": "triangle",
    "Clubhouse": "hexagon",
    "Women-only day service": "pentagon",
}
_SHAPES = {
    "square": '<rect x="3" y="3" width="18" height="18"/>',
    "circle": '<circle cx="12" cy="12" r="9.5"/>',
    "diamond": '<polygon points="12,1 23,12 12,23 1,12"/>',
    "triangle": '<polygon points="12,2 23,21 1,21"/>',
    "hexagon": '<polygon points="6,2 18,2 23,12 18,22 6,22 1,12"/>',
    "pentagon": '<polygon points="12,1 23,9 19,22 5,22 1,9"/>',
}


def service_icon_html(service_type: str) -> str:
    """An inline SVG symbol for a service type (dark fill, white outline)."""
    shape = _SHAPES[SERVICE_SYMBOLS.get(service_type, "circle")]
    return (f'<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" '
            f'class="service-symbol">{shape}</svg>')


def service_tooltip(row: Any) -> str:
    """One line per fact (the CSS keeps the line breaks and makes the name bold): plain text, so the
    13 tooltips add no Dash components, each of which every update on the page would notify."""
    functions = ", ".join(SERVICE_FUNCTIONS[f].lower() for f in str(row["functions"]).split(";") if f)
    budget = "not known" if pd.isna(row["budget_gbp"]) else f"£{row['budget_gbp']:,.0f} a year"
    clients = "people using it: not known" if pd.isna(row["clients"]) else f"{row['clients']:,.0f} people use it"
    return "\n".join([
        str(row["name"]),
        f"{row['service_type']} run by {row['provider']}",
        f"Budget {budget} · {clients}",
        f"Offers: {functions}",
        f"Open: {row['opening_days']}",
    ])


def service_markers(locality: Locality) -> list[dl.DivMarker]:
    services = locality.services
    markers = []
    for (lat, lon), (_, row) in zip(data_access.lat_lon(services), services.iterrows(), strict=True):
        markers.append(dl.DivMarker(
            **QUIET,
            id={"type": "service-marker", "service": row["service_id"]},
            position=[lat, lon],
            title=f"Service: {row['name']}",
            alt=f"Service: {row['name']}",
            keyboard=True,
            iconOptions={"html": service_icon_html(row["service_type"]), "className": "service-marker",
                         "iconSize": [24, 24], "iconAnchor": [12, 12]},
            eventHandlers={"add": {"variable": "dsp.serviceAdded"}},
            children=dl.Tooltip(service_tooltip(row), direction="top", offset=[0, -10], className="service-tooltip"),
        ))
    return markers


def town_labels(locality: Locality) -> list[dl.DivMarker]:
    towns = locality.towns
    labels = []
    for (lat, lon), (_, row) in zip(data_access.lat_lon(towns), towns.iterrows(), strict=True):
        size = "town-label town-label-big" if row["is_biggest"] else "town-label"
        labels.append(dl.DivMarker(
            **QUIET,
            position=[lat, lon], interactive=False, keyboard=False,
            iconOptions={"html": f"<span>{escape(str(row['name']))}</span>", "className": size,
                         "iconSize": [160, 24], "iconAnchor": [80, 34]},
        ))
    return labels


def services_key() -> html.Ul:
    """The symbol legend for service types."""
    return html.Ul(className="service-key list-unstyled mb-0", children=[
        html.Li([html.Span(className="service-key-symbol", children=[
            html.Img(src="data:image/svg+xml;utf8," + service_icon_html(kind).replace('"', "'")
                     .replace("<svg ", "<svg xmlns='http://www.w3.org/2000/svg' fill='%23111' stroke='white' "),
                     alt="", width=20, height=20)]), kind])
        for kind in SERVICE_SYMBOLS
    ])


def layout(locality: Locality, folder: str, fill: str = "", settings: Settings | None = None) -> html.Div:
    """The map card and its layer picker and legend; under the areas, a web map's tiles when TILES_URL
    names them (off by default, so the app needs no connection)."""
    tiles = tile_layer(settings)
    fictional = " (fictional)" if locality.is_fictional and "fictional" not in locality.name else ""
    the_map = dl.Map(
        id=ids.MAP,
        center=[sum(c) / 2 for c in zip(*data_access.map_bounds(folder), strict=True)],
        zoom=10,
        bounds=data_access.map_bounds(folder),
        viewport={"bounds": data_access.map_bounds(folder), "transition": "fitBounds"},
        boundsOptions={"padding": [12, 12]},
        preferCanvas=True,
        zoomSnap=0.25,
        keyboard=True,
        attributionControl=tiles is not None,  # the tiles' credit
        className="planner-map",
        children=[
            *([tiles] if tiles is not None else []),
            dl.GeoJSON(id=ids.AREAS, data=data_access.area_geojson(folder),
                       **QUIET,
                       style={"variable": "dsp.areaStyle"},
                       onEachFeature={"variable": "dsp.registerArea"},
                       hoverStyle={"variable": "dsp.areaHoverStyle"}),
            dl.GeoJSON(id=ids.COUNTY, data=data_access.county_geojson(folder), **QUIET,
                       style={"variable": "dsp.countyStyle"}, interactive=False),
            dl.GeoJSON(id=ids.ROADS, data=data_access.roads_geojson(folder), **QUIET,
                       style={"variable": "dsp.roadStyle"}, interactive=False),
            dl.LayerGroup(id=ids.TOWNS, children=town_labels(locality)),
            dl.LayerGroup(id=ids.SERVICES, children=service_markers(locality)),
            dl.LayerGroup(id=ids.SUGGESTED_SITES),  # ghost markers of a suggestion (suggest_panel)
            dl.LayerGroup(id=ids.HUBS),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ],
    )
    return html.Div(children=[
        html.Div(className="map-frame", children=[the_map],
                 **attrs({"aria-label": f"Map of {locality.name}{fictional}", "role": "region"})),
        html.Div(id=ids.AREA_FILL, hidden=True, **attrs({"data-fill": fill})),  # painted by assets/dsp.js
    ])


def tile_layer(settings: Settings | None) -> dl.TileLayer | None:
    """The context tiles TILES_URL names, with their credit; None when it names none."""
    if settings is None or not settings.tiles_url:
        return None
    return dl.TileLayer(url=settings.tiles_url, attribution=escape(settings.tiles_attribution), opacity=0.9)


def map_key(legend_html: str = "") -> html.Section:
    """Under the map, always in view with it: the layer picker, the legend that explains the colours in
    plain words, and the service symbols. A select is one Tab stop, where eleven radios were eleven."""
    return html.Section(className="map-key", **attrs({"aria-label": "Map key"}), children=[
        html.Div(className="map-key-picker", children=[
            dbc.Label("Colour the map by", html_for=ids.LAYER_PICKER, className="fw-semibold mb-0"),
            dbc.Select(
                id=ids.LAYER_PICKER,
                options=[{"label": label, "value": key} for key, (label, _) in PLAN_LAYERS.items()]
                + [{"label": layer.label, "value": layer.key} for layer in AREA_LAYERS],
                value=DEFAULT_LAYER,
                className="layer-picker",
            ),
        ]),
        html.Div(html_slot(ids.LEGEND, children=legend_html), className="legend", **attrs({"aria-live": "polite"})),
        html.Div(className="map-key-services", children=[
            html.H3("Today's services", className="h6 mb-0"),
            services_key(),
        ]),
    ])


def legend(title: str, explanation: str, rows: list[tuple[str, str]]) -> list[Any]:
    """The legend: what the colours show, in plain words, and one row per colour."""
    return [
        html.H3(title, className="h6 legend-title"),
        html.P(explanation, className="legend-explanation small"),
        html.Ul(className="list-unstyled mb-0", children=[
            html.Li(className="legend-row", children=[
                html.Span(className="legend-swatch", style={"backgroundColor": colour}),
                html.Span(text)])
            for colour, text in rows
        ]),
    ]


def area_fill(locality: Locality, layer_key: str | None) -> tuple[dict[str, Any], list[Any]]:
    """Colour classes per area for a layer, and the legend that explains them."""
    layer = LAYERS_BY_KEY.get(layer_key or DEFAULT_STATIC_LAYER, LAYERS_BY_KEY[DEFAULT_STATIC_LAYER])
    classed = class_areas(layer.values(locality.areas), unit=layer.unit, decimals=layer.decimals)
    fill = {"layer": layer.key, "palette": list(classed.palette), "classes": classed.classes}
    return fill, legend(layer.label, layer.explanation, classed.legend_rows)


