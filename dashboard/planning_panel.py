"""The plan: proposed resource hubs on the map, how to move them, and how well they serve people.

A planner drags a hub (or moves it from the keyboard); the plan, kept in the browser as
scenario JSON, changes; the server scores it through ``geo`` and sends back only a colour
class per area and the headline figures. Area polygons are never sent again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
import numpy as np
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from shapely.geometry import Point

from dashboard import data_access, history, ids, starting_points, words
from dashboard.attrs import attrs
from dashboard.callbacks import CallbackRegistry, Clicks
from dashboard.engine import DEFAULT_MODE, score_plan, travel_mode
from dashboard.history import History, Plan
from dashboard.html_slot import html_slot, to_html
from dashboard.layers import PLAN_LAYERS, catchment_classes, minutes_classes
from dashboard.map_panel import DEFAULT_LAYER, QUIET, area_fill, legend
from dashboard.plan_money import plan_spend_classes
from geo import plan_edits
from geo.access import AccessResult
from geo.errors import PlannerInputError
from geo.gridref import parse_grid_reference
from geo.locality import DEMO_FOLDER, Locality
from geo.network import Mode
from geo.projection import grid_xy, lonlat
from geo.scenarios import ScenarioContent, scenario_from_dict, scenario_to_dict
from geo.snapping import area_origins
from geo.starting_points import REDESIGN_SOURCE, STARTING_POINTS

CALLBACKS = CallbackRegistry()
STEP_M = 500.0
MAX_HUB_PLACES = 10_000  # places a hub can support at once: well above any day service
WORST_AREA_COUNT = 10
DEMO_DATASET_VERSION = "demo"
DEFAULT_ASSUMPTIONS_VERSION = "default"
HEADLINE_KPIS = (ids.KPI_MEAN_MINUTES, ids.KPI_SHARE_WITHIN_30, ids.KPI_P90_MINUTES, ids.KPI_MEAN_MINUTES_NEED,
                 ids.KPI_SHARE_WITHIN_30_NEED, ids.KPI_P90_MINUTES_NEED)


GROUP_ORDER = ("population", "need", "women", "age_18_24", "bme", "most_deprived_fifth", "smi")


# ---------------------------------------------------------------------------------------
# Builders: plan -> components
# ---------------------------------------------------------------------------------------
LATLNG_DECIMALS = 6  # map coordinates as the server writes them and assets/dsp.js latLng rounds them


def latlon(x: float, y: float) -> list[float]:
    """[lat, lng] of grid metres, rounded as the browser rounds them (``dsp.latLng``)."""
    lon, lat = lonlat(x, y)
    return [round(lat, LATLNG_DECIMALS), round(lon, LATLNG_DECIMALS)]


MOVE_HELP = "Arrow keys move it 500 metres; with Shift, 2 kilometres."


MOVE_HELP = "Arrow keys move it 500 metres; with Shift, 2 kilometres."


def hub_icon_html(hub_id: str, label: str, *, selected: bool, locked: bool) -> str:
    """The marker's HTML (Leaflet sets it as markup): the id and label are escaped like any text.

    The letter is hidden from screen readers, so the marker is announced by its title
    ("Hub: <name>"); the hidden sentence describes it (assets/dsp.js ``hubAdded`` points the
    marker's aria-describedby at it)."""
    classes = "hub-icon" + (" hub-icon-selected" if selected else "") + (" hub-icon-locked" if locked else "")
    hub_id, label = escape(hub_id), escape(label)
    help_text = "Locked: unlock it to move it." if locked else MOVE_HELP
    return (f'<div class="{classes}" data-hub-id="{hub_id}"><span aria-hidden="true">{label}</span>'
            f'<span hidden id="hub-help-{hub_id}">Labelled {label} on the map. {help_text}</span></div>')


def hub_markers(plan: ScenarioContent, selected: str | None) -> list[Any]:
    """Draggable hub markers (unless locked), their outreach points and dashed links."""
    children: list[Any] = []
    for hub in plan.hubs:
        main = latlon(hub.x, hub.y)
        for index, point in enumerate(hub.outreach_points):
            spot = latlon(point.x, point.y)
            children.append(dl.Polyline(id=link_id(hub.hub_id, index), positions=[main, spot], color="#6a1b9a",
                                        weight=2, dashArray="5 5", interactive=False))
            children.append(dl.CircleMarker(center=spot, radius=7, color="#ffffff", weight=2, fillColor="#6a1b9a",
                                            fillOpacity=1,
                                            children=dl.Tooltip(f"Outreach point: {point.name} ({hub.name})")))
        children.append(dl.DivMarker(
            **QUIET,
            id={"type": ids.HUB_MARKER, "hub": hub.hub_id},
            position=main,
            draggable=not hub.locked,
            keyboard=True,
            title=f"Hub: {hub.name}",
            alt=f"Hub: {hub.name}",
            zIndexOffset=1000,
            iconOptions={"html": hub_icon_html(hub.hub_id, hub.label, selected=hub.hub_id == selected,
                                               locked=hub.locked),
                         "className": "hub-marker", "iconSize": [34, 34], "iconAnchor": [17, 17]},
            eventHandlers={"dragend": {"variable": "dsp.hubDragEnd"}, "click": {"variable": "dsp.hubClick"},
                           "add": {"variable": "dsp.hubAdded"}, "move": {"variable": "dsp.scheduleDeclutter"}},
            children=dl.Tooltip(f"{hub.name}" + (" (locked)" if hub.locked else " - drag to move")),
        ))
    return children


def link_id(hub_id: str, index: int) -> dict[str, Any]:
    return {"type": ids.HUB_LINK, "hub": hub_id, "point": index}


def _share_text(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{100 * value:.0f}%"


def group_table(result: AccessResult) -> html.Table:
    summary = result.summary.set_index("group")
    rows = []
    for group in GROUP_ORDER:
        if group not in summary.index:
            continue
        rows.append(html.Tr([
            html.Th(str(summary.at[group, "label"]), scope="row"),
            html.Td(words.minutes_number(result.figure(group, "mean_minutes"))),
            html.Td(words.minutes_number(result.figure(group, "p90_minutes"))),
            html.Td(_share_text(result.figure(group, "share_within_30"))),
        ]))
    return html.Table(className="table table-sm group-table mb-0", children=[
        html.Caption("Journey to the nearest hub, by group", className="caption-top"),
        html.Thead(html.Tr([html.Th("Who", scope="col"), html.Th("Average (min)", scope="col"),
                            html.Th("9 in 10 within (min)", scope="col"),
                            html.Th("Within 30 min", scope="col")])),
        html.Tbody(rows),
    ])


def worst_areas(result: AccessResult, locality: Locality, hub_names: dict[str, str]) -> html.Ol:
    minutes = np.where(np.isfinite(result.minutes), result.minutes, np.inf)
    order = np.argsort(-minutes, kind="stable")[:WORST_AREA_COUNT]
    names = locality.areas["name"].to_numpy()
    items = []
    for i in order:
        where = hub_names.get(str(result.nearest_hub[i]), "no hub")
        items.append(html.Li(f"{names[i]}: {words.minutes_number(result.minutes[i])} min to {where}"))
    return html.Ol(items, className="worst-list mb-0")


def hub_names(plan: ScenarioContent) -> dict[str, str]:
    return {hub.hub_id: hub.name for hub in plan.hubs}


def plan_fill(result: AccessResult, plan: ScenarioContent, layer: str,
              mode: Mode = DEFAULT_MODE) -> tuple[dict[str, Any], list[Any]]:
    """Colour classes and legend for the plan layers."""
    title, explanation = PLAN_LAYERS[layer]
    if layer == "catchment":
        classed = catchment_classes(result.nearest_hub, result.hub_ids, hub_names(plan))
    elif layer == "spend_per_need":
        classed = plan_spend_classes(data_access.current_folder(), plan, result, mode)
    else:
        classed = minutes_classes(result.minutes)
    fill = {"layer": layer, "palette": list(classed.palette), "classes": classed.classes}
    return fill, legend(title, explanation, classed.legend_rows)


def kpi(label: str, element_id: str, unit: str, help_text: str, value: str = "-") -> html.Div:
    return html.Div(className="headline", children=[
        html.Div([html.Span(value, id=element_id, className="headline-value"),
                  html.Span(unit, className="headline-unit")]),
        html.Div(label, className="headline-label"),
        html.Div(help_text, className="headline-note"),
    ])


def arrow_button(symbol: str, element_id: str, direction: str) -> html.Button:
    label = f"Move the hub {STEP_M:.0f} metres {direction}"
    return html.Button(symbol, id=element_id, type="button", title=label,
                       className="btn btn-outline-secondary arrow-button", **attrs({"aria-label": label}))


# Above this many areas, areas are found by what is typed rather than all listed: the browser
# indexes every option for search, which took half a minute for England's 34,753 areas.
PLACE_LIST_LIMIT = 3_000
PLACE_MATCHES = 50


def place_options(locality: Locality, search: str | None = None) -> list[dict[str, str]]:
    """Towns and areas to move a hub to: all of them, or for a large locality those matching ``search``."""
    towns = [{"label": f"Town: {name}", "value": f"town:{name}"} for name in sorted(locality.towns["name"])]
    areas = locality.areas[["code", "name"]]
    if len(areas) > PLACE_LIST_LIMIT:
        text = (search or "").strip().lower().removeprefix("area:").removeprefix("town:").strip()
        towns = [t for t in towns if text in t["label"].lower()]
        found = areas["name"].str.lower().str.contains(text, regex=False) | areas["code"].str.lower().eq(text)
        areas = areas[found] if len(text) >= 2 else areas.iloc[:0]
        areas = areas.sort_values("name").head(PLACE_MATCHES)
    return towns + [{"label": f"Area: {name}", "value": f"area:{code}"}
                    for code, name in sorted(zip(areas["code"], areas["name"], strict=True), key=lambda p: p[1])]


GRID_MARGIN_M = 10_000.0  # how far outside the locality a typed grid reference may point


def grid_option(search: str | None) -> dict[str, str] | None:
    """The place a typed grid reference names, as a choice whose label holds what was typed."""
    point = parse_grid_reference(search or "")
    if point is None:
        return None
    return {"label": f"Grid reference: {(search or '').strip()}", "value": f"grid:{point[0]:.0f},{point[1]:.0f}"}


def place_name(locality: Locality, value: str) -> str:
    """What a place choice is called in a message: the town, the area, or the grid reference."""
    kind, _, key = value.partition(":")
    if kind == "area":
        names = locality.areas.loc[locality.areas["code"] == key, "name"]
        return str(names.iloc[0]) if len(names) else key
    return f"grid reference {key.replace(',', ', ')}" if kind == "grid" else key


def place_xy(locality: Locality, value: str) -> tuple[float, float]:
    kind, _, key = value.partition(":")
    if kind == "grid":
        x, y = (float(part) for part in key.split(","))
        west, south, east, north = locality.county.total_bounds
        margin = GRID_MARGIN_M
        if not (west - margin <= x <= east + margin and south - margin <= y <= north + margin):
            raise PlannerInputError(f"{place_name(locality, value)} is outside {locality.name}: "
                                    "check the letters and the digits")
        return x, y
    if kind == "town":
        point = locality.towns.loc[locality.towns["name"] == key].geometry.iloc[0]
        return float(point.x), float(point.y)
    x, y = area_origins(locality.areas.loc[locality.areas["code"] == key])[0]
    return float(x), float(y)


def initial_plan(folder: str | None = None, dataset_version: str = DEMO_DATASET_VERSION) -> dict[str, Any]:
    """The first screen's plan: the papers' redesign for the locality in ``folder`` (the demo by default),
    pinned to the dataset version it is made on."""
    return starting_points.starting_plan(folder or str(DEMO_FOLDER), "redesign", dataset_version)


def kpi_band(figures: tuple[str, ...] = ("-",) * 6) -> html.Section:
    """The headline figures above the map, where the whole room can see them (``figures`` in the order of
    HEADLINE_KPIS: what the page opens with)."""
    labels = (("average journey for residents", "min", "weighted by population"),
              ("of residents within 30 minutes", "", "share of population"),
              ("9 in 10 residents are within", "min", "90th percentile"),
              ("average journey, weighted by need", "min", "people in need count more"),
              ("of need within 30 minutes", "", "need-weighted share"),
              ("9 in 10 of need within", "min", "need-weighted"))
    return html.Section(className="kpi-band", **attrs({"aria-label": "How the plan does"}), children=[
        kpi(label, element_id, unit, note, value)
        for (label, unit, note), element_id, value in zip(labels, HEADLINE_KPIS, figures, strict=True)])


def plan_bar(folder: str | None = None, dataset_version: str = DEMO_DATASET_VERSION) -> html.Div:
    """The plan itself and what happened to it last, with undo and redo: above the tabs, so
    they are at hand whichever panel is open. ``dataset_version`` is the version of the area
    data in use, which a new plan is pinned to."""
    return html.Div(className="plan-bar", children=[
        dcc.Store(id=ids.PLAN, data=initial_plan(folder, dataset_version)),
        dcc.Store(id=ids.PLAN_HISTORY, data=history.empty()),
        dcc.Store(id=ids.HUB_LAYER_KEY),
        dcc.Store(id=ids.ADD_MODE, data=None),
        html.Div("No changes yet: drag a hub to start.", id=ids.PLAN_STATUS,
                 className="plan-status", role="status", **attrs({"aria-live": "polite"})),
        dbc.ButtonGroup(className="plan-undo", children=[
            dbc.Button("Undo", id=ids.UNDO, color="secondary", outline=True),
            dbc.Button("Redo", id=ids.REDO, color="secondary", outline=True),
        ]),
    ])


def starting_point_picker() -> html.Div:
    """Where the first plan comes from, in one line, and one click to start again from today, the
    papers' redesign or a blank sheet (undoable)."""
    return html.Div(className="start-points mb-2", children=[
        html.P(REDESIGN_SOURCE, id=ids.START_NOTE, className="small mb-1 start-note"),
        html.Div(className="d-flex flex-wrap align-items-center gap-1", role="group",
                 **attrs({"aria-label": "Start again from"}), children=[
            html.Span("Start again from:", className="small fw-semibold"),
            *[dbc.Button(label, id={"type": ids.START_FROM, "key": key}, size="sm", color="secondary",
                         outline=True) for key, label in STARTING_POINTS.items()],
        ]),
    ])


@CALLBACKS.callback(Output(ids.PLAN, "data", allow_duplicate=True),
                    Output(ids.PLAN_HISTORY, "data", allow_duplicate=True),
                    Output(ids.PLAN_STATUS, "children", allow_duplicate=True),
                    Input({"type": ids.START_FROM, "key": ALL}, "n_clicks"), State(ids.PLAN, "data"),
                    State(ids.PLAN_HISTORY, "data"), prevent_initial_call=True)
def start_from(clicks: list[Clicks], plan_data: Plan, history_data: History | None) -> tuple[Any, Any, Any]:
    """Replace the plan with a starting point, through the history so Undo brings the old one back."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks) or trigger.get("key") not in STARTING_POINTS:
        return no_update, no_update, no_update
    key = str(trigger["key"])
    new = starting_points.starting_plan(data_access.current_folder(), key, data_access.current_dataset_version())
    return (new, history.record(history_data, plan_data),
            f"Started again from {STARTING_POINTS[key].lower() if key != 'today' else 'today'}. "
            "Undo brings back the plan you had.")


def layout(locality: Locality, folder: str, first: FirstScreen | None = None) -> dbc.Card:
    """The plan card: travel mode, hub tools, figures by group and the worst-served areas."""
    return dbc.Card(className="panel-card", id="plan-card", children=[
        dbc.CardHeader(html.H2("The plan: proposed resource hubs", className="h5 mb-0")),
        dbc.CardBody([
            starting_point_picker(),
            html.P(className="small", children=(
                "Resource hubs offer social contact, structured activity and skills in a safe place. "
                "Drag a lettered hub on the map, or pick one below and move it with the arrow buttons "
                "(or the arrow keys when the hub has focus). Figures update at once.")),
            dbc.Label("Travel by", html_for=ids.TRAVEL_MODE, className="fw-semibold mb-1"),
            dbc.RadioItems(id=ids.TRAVEL_MODE, inline=True, value=DEFAULT_MODE,
                           options=[{"label": travel_mode(folder, m).label, "value": m}
                                    for m in ("drive", "bus", "walk")]),
            html.P(travel_mode(folder, DEFAULT_MODE).note, id=ids.KPI_MODE_NOTE, className="small text-muted mb-2"),
            html.H3("Move or change a hub", className="h6 mt-3"),
            dbc.Label("Hub", html_for=ids.HUB_SELECT, className="visually-hidden"),
            dcc.Dropdown(id=ids.HUB_SELECT, clearable=False, placeholder="Choose a hub",
                         className="mb-2", style={"fontSize": "1rem"}),
            html.Div(className="hub-tools", children=[
                html.Div(className="btn-group", role="group", **attrs({"aria-label": "Move the chosen hub"}), children=[
                    arrow_button("←", ids.HUB_MOVE_WEST, "west"),
                    arrow_button("↑", ids.HUB_MOVE_NORTH, "north"),
                    arrow_button("↓", ids.HUB_MOVE_SOUTH, "south"),
                    arrow_button("→", ids.HUB_MOVE_EAST, "east"),
                ]),
            ]),
            dbc.Label("A town, an area or a grid reference", html_for=ids.HUB_MOVE_TO, className="mt-2 mb-1"),
            dcc.Dropdown(id=ids.HUB_MOVE_TO, options=place_options(locality),
                         placeholder="Type a town, an area or a grid reference (SP 51 06)"),
            html.Div(className="d-flex flex-wrap gap-2 mt-1", children=[
                dbc.Button("Move here", id=ids.HUB_MOVE_TO_BUTTON, color="primary",
                           title="Move the chosen hub to the place above"),
                dbc.Button("Add a hub here", id=ids.HUB_ADD_AT, color="primary", outline=True),
                dbc.Button("Add an outreach point here", id=ids.OUTREACH_ADD_AT, color="primary", outline=True,
                           title="An outreach point of the chosen hub, at the place above"),
            ]),
            dbc.Label("Name", html_for=ids.HUB_RENAME_TEXT, className="mt-2 mb-1"),
            html.Div(className="d-flex gap-2", children=[
                dbc.Input(id=ids.HUB_RENAME_TEXT, type="text", maxLength=80, debounce=True),
                dbc.Button("Rename", id=ids.HUB_RENAME_BUTTON, color="secondary", outline=True),
            ]),
            dbc.Label("Places: people it can support at once (leave empty if not known)", html_for=ids.HUB_PLACES,
                      className="mt-2 mb-1"),
            html.Div(className="d-flex gap-2", children=[
                dbc.Input(id=ids.HUB_PLACES, type="number", min=0, max=MAX_HUB_PLACES, step=1, inputMode="numeric"),
                dbc.Button("Set places", id=ids.HUB_PLACES_BUTTON, color="secondary", outline=True,
                           className="text-nowrap"),
            ]),
            dbc.Switch(id=ids.HUB_LOCK, label="Locked: keep this hub where it is (no dragging; suggestions keep it)",
                       value=False, className="mt-2"),
            html.Div(className="d-flex flex-wrap gap-2 mt-2", children=[
                dbc.Button("Add a hub", id=ids.HUB_ADD, color="primary", outline=True),
                dbc.Button("Add an outreach point", id=ids.OUTREACH_ADD, color="primary", outline=True,
                           title="A satellite site of the chosen hub (a room in a library, a GP surgery); "
                                 "people can reach the hub there too"),
                dbc.Button("Remove this hub", id=ids.HUB_REMOVE, color="danger", outline=True),
            ]),
            dbc.Alert(id=ids.ADD_MODE_BANNER, is_open=False, color="info", className="mt-2 mb-0", children=[
                html.Span(id="add-mode-text"),
                dbc.Button("Cancel", id=ids.ADD_MODE_CANCEL, size="sm", color="link"),
            ]),
            html_slot(ids.GROUP_TABLE, class_name="mt-3", children=first.groups if first else ""),
            html.H3("The ten areas furthest from a hub", className="h6 mt-3"),
            html_slot(ids.WORST_AREAS, children=first.worst if first else ""),
            html.Div(id=ids.AREA_DETAILS, className="mt-3", **attrs({"aria-live": "polite"})),
        ]),
    ])


# ---------------------------------------------------------------------------------------
# Edits: which control was used -> a new plan
# ---------------------------------------------------------------------------------------
NUDGES = {ids.HUB_MOVE_NORTH: (0.0, STEP_M), ids.HUB_MOVE_SOUTH: (0.0, -STEP_M),
          ids.HUB_MOVE_WEST: (-STEP_M, 0.0), ids.HUB_MOVE_EAST: (STEP_M, 0.0)}


def places_from_box(value: Any) -> int | None:
    """A hub's places from the box: a whole number from 0, or None when the box is empty."""
    if value is None or value == "":
        return None
    try:
        places = float(value)
    except (TypeError, ValueError):
        raise PlannerInputError(f"Places: expected a whole number of people, found {value!r}") from None
    if not places.is_integer() or not 0 <= places <= MAX_HUB_PLACES:
        raise PlannerInputError(f"Places: expected a whole number from 0 to {MAX_HUB_PLACES:,}, found {value!r}")
    return int(places)


def apply_edit(trigger: str, plan: ScenarioContent, *, selected: str | None,
               move_to: str | None, rename_text: str | None, locked: bool | None,
               map_click: dict[str, Any] | None, add_mode: str | None,
               locality: Locality, places: Any = None) -> tuple[ScenarioContent, str]:
    """Apply the edit the ``trigger`` control asks for; return the new plan and what happened.

    A drag or an arrow key on a hub is applied in the browser (``dsp.moveHub`` in assets/dsp.js)."""
    names = hub_names(plan)
    if trigger in (ids.HUB_ADD_AT, ids.OUTREACH_ADD_AT):
        return add_at_place(trigger, plan, selected=selected, place=move_to, locality=locality)
    if trigger == ids.MAP and map_click and add_mode:
        x, y = grid_xy(float(map_click["latlng"]["lng"]), float(map_click["latlng"]["lat"]))
        if add_mode == "outreach" and selected:
            return plan_edits.add_outreach_point(plan, selected, x, y), f"Outreach point added to {names[selected]}."
        new = plan_edits.add_hub(plan, x, y)
        return new, f"{new.hubs[-1].name} added."
    if not selected:
        raise PlannerInputError("Choose a hub first (the list under 'Move or change a hub').")
    if trigger in NUDGES:
        dx, dy = NUDGES[trigger]
        return plan_edits.nudge_hub(plan, selected, dx, dy), f"{names[selected]} moved 500 m."
    if trigger == ids.HUB_MOVE_TO_BUTTON:
        if not move_to:
            raise PlannerInputError("Choose a town or area to move the hub to.")
        x, y = place_xy(locality, move_to)
        return plan_edits.move_hub(plan, selected, x, y), f"{names[selected]} moved to {move_to.partition(':')[2]}."
    if trigger == ids.HUB_RENAME_BUTTON:
        return plan_edits.rename_hub(plan, selected, rename_text or ""), f"Renamed to {(rename_text or '').strip()}."
    if trigger == ids.HUB_PLACES_BUTTON:
        count = places_from_box(places)
        said = "not known" if count is None else f"{count:,}"
        return plan_edits.set_hub_capacity(plan, selected, count), f"{names[selected]}: places {said}."
    if trigger == ids.HUB_LOCK:
        state = "locked" if locked else "unlocked"
        return plan_edits.set_hub_locked(plan, selected, bool(locked)), f"{names[selected]} {state}."
    if trigger == ids.HUB_REMOVE:
        return plan_edits.remove_hub(plan, selected), f"{names[selected]} removed."
    raise PlannerInputError(f"Nothing to do for {trigger}.")


def add_at_place(trigger: str, plan: ScenarioContent, *, selected: str | None, place: str | None,
                 locality: Locality) -> tuple[ScenarioContent, str]:
    """A hub, or an outreach point of the chosen hub, at a town, an area or a grid reference: from the
    keyboard alone, where clicking on the map needs a mouse."""
    if not place:
        raise PlannerInputError("Choose a town, an area or a grid reference first (type it in the box above).")
    x, y = place_xy(locality, place)
    where = place_name(locality, place)
    if trigger == ids.HUB_ADD_AT:
        new = plan_edits.add_hub(plan, x, y)
        return new, f"{new.hubs[-1].name} added at {where}."
    if not selected:
        raise PlannerInputError("Choose the hub the outreach point belongs to first.")
    name = hub_names(plan)[selected]
    return (plan_edits.add_outreach_point(plan, selected, x, y, name=f"{where} (outreach of {name})"),
            f"Outreach point added to {name} at {where}.")


@CALLBACKS.callback(
    Output(ids.PLAN, "data"), Output(ids.PLAN_HISTORY, "data"), Output(ids.PLAN_STATUS, "children"),
    Output(ids.ADD_MODE, "data", allow_duplicate=True),
    Input(ids.HUB_MOVE_NORTH, "n_clicks"), Input(ids.HUB_MOVE_SOUTH, "n_clicks"),
    Input(ids.HUB_MOVE_WEST, "n_clicks"), Input(ids.HUB_MOVE_EAST, "n_clicks"),
    Input(ids.HUB_MOVE_TO_BUTTON, "n_clicks"), Input(ids.HUB_RENAME_BUTTON, "n_clicks"),
    Input(ids.HUB_LOCK, "value"), Input(ids.HUB_REMOVE, "n_clicks"), Input(ids.MAP, "clickData"),
    Input(ids.HUB_PLACES_BUTTON, "n_clicks"), Input(ids.HUB_ADD_AT, "n_clicks"), Input(ids.OUTREACH_ADD_AT, "n_clicks"),
    State(ids.PLAN, "data"), State(ids.PLAN_HISTORY, "data"), State(ids.HUB_SELECT, "value"),
    State(ids.HUB_MOVE_TO, "value"), State(ids.HUB_RENAME_TEXT, "value"), State(ids.ADD_MODE, "data"),
    State(ids.HUB_PLACES, "value"),
    prevent_initial_call=True,
)
def edit_plan(_n: Clicks, _s: Clicks, _w: Clicks, _e: Clicks, _to: Clicks, _rename: Clicks, locked: bool | None,
              _remove: Clicks, map_click: dict[str, Any] | None, _places: Clicks, _add_at: Clicks,
              _outreach_at: Clicks, plan_data: Plan,
              history_data: History | None, selected: str | None, move_to: str | None, rename_text: str | None,
              add_mode: str | None, places: Any) -> tuple[Any, Any, Any, Any]:
    trigger = str(ctx.triggered_id)
    if trigger == ids.MAP and not add_mode:
        return no_update, no_update, no_update, no_update
    plan = scenario_from_dict(plan_data)
    if trigger == ids.HUB_LOCK and any(h.hub_id == selected and h.locked == bool(locked) for h in plan.hubs):
        return no_update, no_update, no_update, no_update  # the switch followed the selection
    try:
        new, message = apply_edit(trigger, plan, selected=selected, move_to=move_to,
                                  rename_text=rename_text, locked=locked, map_click=map_click,
                                  add_mode=add_mode, locality=data_access.current_locality(), places=places)
    except PlannerInputError as error:
        return no_update, no_update, str(error), no_update
    # Leave the add mode alone unless it was on: writing it would make the browser ask the
    # server for the banner again on every drag.
    return scenario_to_dict(new), history.record(history_data, plan_data), message, None if add_mode else no_update


# Undo and redo run in the browser, so quick repeated clicks each take one step.
CALLBACKS.clientside_callback(
    ClientsideFunction(namespace="dsp", function_name="stepHistory"),
    Output(ids.PLAN, "data", allow_duplicate=True), Output(ids.PLAN_HISTORY, "data", allow_duplicate=True),
    Output(ids.PLAN_STATUS, "children", allow_duplicate=True),
    Input(ids.UNDO, "n_clicks"), Input(ids.REDO, "n_clicks"),
    State(ids.PLAN, "data"), State(ids.PLAN_HISTORY, "data"),
    prevent_initial_call=True,
)


@CALLBACKS.callback(Output(ids.HUB_MOVE_TO, "options"), Input(ids.HUB_MOVE_TO, "search_value"),
                    State(ids.HUB_MOVE_TO, "value"), prevent_initial_call=True)
def search_places(search: str | None, chosen: str | None) -> Any:
    """A typed grid reference, and for a large locality the towns and areas matching what is typed."""
    locality = data_access.current_locality()
    grid = grid_option(search)
    if len(locality.areas) <= PLACE_LIST_LIMIT or not search:
        if grid is None:
            return no_update  # small localities list every place; keep the list while nothing is typed
        return [grid, *place_options(locality)]
    options = ([grid] if grid else []) + place_options(locality, search)
    if chosen and chosen not in {o["value"] for o in options}:
        options += [o for o in place_options(locality, chosen.partition(":")[2]) if o["value"] == chosen]
    return options


@CALLBACKS.callback(Output(ids.ADD_MODE, "data"), Input(ids.HUB_ADD, "n_clicks"), Input(ids.OUTREACH_ADD, "n_clicks"),
                    Input(ids.ADD_MODE_CANCEL, "n_clicks"), prevent_initial_call=True)
def choose_add_mode(_hub: Clicks, _outreach: Clicks, _cancel: Clicks) -> str | None:
    return {ids.HUB_ADD: "hub", ids.OUTREACH_ADD: "outreach"}.get(str(ctx.triggered_id))


@CALLBACKS.callback(Output(ids.ADD_MODE_BANNER, "is_open"), Output("add-mode-text", "children"),
                    Input(ids.ADD_MODE, "data"), State(ids.HUB_SELECT, "value"), prevent_initial_call=True)
def show_add_mode(add_mode: str | None, selected: str | None) -> tuple[bool, str]:
    if add_mode == "hub":
        return True, "Click on the map where the new hub should go. "
    if add_mode == "outreach":
        return True, "Click on the map where the outreach point for the chosen hub should go. "
    return False, ""


def selection_after(plan: ScenarioContent, selected: str | None, rename_text: str | None,
                    locked: bool | None, listed: list[dict[str, str]] | None = None) -> Any:
    """The hub to select after a plan change, or ``no_update`` when the selection and its controls still fit.

    A hub just added (not among the ``listed`` choices) is chosen, so what the planner does next (rename
    it, give it an outreach point) acts on it. Writing the selection makes the browser ask for the name
    box and lock switch again (and the lock switch then asks for an edit), so a redraw that changes
    neither (a new outreach point, say) leaves it alone.
    """
    known = {h.hub_id: h for h in plan.hubs}
    before = {option["value"] for option in listed or []}
    added = [hub_id for hub_id in known if before and hub_id not in before]
    if len(added) == 1:
        return added[0]
    if selected not in known:
        return plan.hubs[-1].hub_id if plan.hubs else None
    hub = known[selected]
    return no_update if (rename_text, bool(locked)) == (hub.name, hub.locked) else selected


@CALLBACKS.callback(Output(ids.HUBS, "children"), Output(ids.HUB_SELECT, "options"), Output(ids.HUB_SELECT, "value"),
                    Input(ids.HUB_LAYER_KEY, "data"), State(ids.PLAN, "data"), State(ids.HUB_SELECT, "value"),
                    State(ids.HUB_RENAME_TEXT, "value"), State(ids.HUB_LOCK, "value"), State(ids.HUB_SELECT, "options"),
                    prevent_initial_call=True)
def draw_hubs(_layer_key: str | None, plan_data: Plan, selected: str | None, rename_text: str | None,
              locked: bool | None, listed: list[dict[str, str]] | None = None,
              ) -> tuple[list[Any], list[dict[str, str]], Any]:
    """Redraw the hub layer when what it shows changes (the key comes from dashboard/plan_followers.py,
    which also moves the drawn markers after a move, in the browser)."""
    plan = scenario_from_dict(plan_data)
    chosen = selection_after(plan, selected, rename_text, locked, listed)
    options = [{"label": f"{h.label}. {h.name}" + (" (locked)" if h.locked else ""), "value": h.hub_id}
               for h in plan.hubs]
    return hub_markers(plan, selected if chosen is no_update else chosen), options, chosen


# The chosen hub's marker is outlined at once, in the browser, without redrawing the layer.
CALLBACKS.clientside_callback(ClientsideFunction(namespace="dsp", function_name="markSelectedHub"),
                              Input(ids.HUB_SELECT, "value"))


@CALLBACKS.callback(Output(ids.HUB_RENAME_TEXT, "value"), Output(ids.HUB_LOCK, "value"),
                    Output(ids.HUB_PLACES, "value"), Input(ids.HUB_SELECT, "value"), State(ids.PLAN, "data"),
                    State(ids.HUB_RENAME_TEXT, "value"),
                    State(ids.HUB_LOCK, "value"))
def follow_selection(selected: str | None, plan_data: Plan, rename_text: str | None,
                     locked: bool | None) -> tuple[Any, Any, Any]:
    """The name box, places box and lock switch show the chosen hub; an unchanged switch is not written (it
    would ask for an edit)."""
    hub = next((h for h in scenario_from_dict(plan_data).hubs if h.hub_id == selected), None)
    name, lock, places = (hub.name, hub.locked, hub.capacity_places) if hub else ("", False, None)
    return (no_update if name == rename_text else name), (no_update if lock == bool(locked) else lock), places


@dataclass(frozen=True)
class FirstScreen:
    """What the score callback shows for a plan, as the page opens with it: the map's colours (JSON for
    assets/dsp.js), the legend, the headline figures (in the order of HEADLINE_KPIS) and the tables."""

    fill: str
    legend: str
    figures: tuple[str, ...]
    groups: str
    worst: str


def scored(locality: Locality, folder: str, plan: ScenarioContent, mode: Mode, layer: str) -> FirstScreen:
    """The map's colours, legend, headline figures and tables for ``plan``."""
    result = score_plan(folder, plan.hubs, mode)
    fill, key = fill_and_key(plan_fill(result, plan, layer, mode) if layer in PLAN_LAYERS
                             else area_fill(locality, layer))
    figure = result.figure
    minutes = words.minutes_number  # the unit is beside each figure on screen
    figures = (minutes(figure("population", "mean_minutes")), _share_text(figure("population", "share_within_30")),
               minutes(figure("population", "p90_minutes")), minutes(figure("need", "mean_minutes")),
               _share_text(figure("need", "share_within_30")), minutes(figure("need", "p90_minutes")))
    return FirstScreen(fill, key, figures, to_html(group_table(result)),
                       to_html(worst_areas(result, locality, hub_names(plan))))


def first_screen(locality: Locality, folder: str, plan_data: Plan) -> FirstScreen:
    """The starting plan scored, for the page to open with (dashboard/layout.py; built once per worker):
    the map is coloured and the figures shown as soon as the page is drawn, without a round trip."""
    return scored(locality, folder, scenario_from_dict(plan_data), DEFAULT_MODE, DEFAULT_LAYER)


# Not on page load: the page opens with the starting plan's answer (first_screen); a plan opened from
# an address, a move, a mode or a layer asks again.
@CALLBACKS.callback(
    Output(ids.AREA_FILL, "data-fill"), Output(ids.LEGEND, "children"),
    *(Output(kpi, "children") for kpi in HEADLINE_KPIS),
    Output(ids.GROUP_TABLE, "children"), Output(ids.WORST_AREAS, "children"),
    Input(ids.PLAN, "data"), Input(ids.TRAVEL_MODE, "value"), Input(ids.LAYER_PICKER, "value"),
    State(ids.LEGEND, "children"), *(State(kpi, "children") for kpi in HEADLINE_KPIS),
    prevent_initial_call=True,
)
def score(plan_data: Plan, mode: Mode | None, layer: str | None, *shown: Any) -> tuple[Any, ...]:
    """The access layer, the headline figures and the tables for the plan. A legend or figure that
    reads as it did is not sent: every property the browser is sent costs it a pass over the page."""
    locality = data_access.current_locality()
    if ctx.triggered_id == ids.LAYER_PICKER and layer not in PLAN_LAYERS:
        return (*fill_and_key(area_fill(locality, layer)), *([no_update] * 8))
    views = scored(locality, data_access.current_folder(), scenario_from_dict(plan_data), mode or DEFAULT_MODE,
                   layer or DEFAULT_LAYER)
    fill: tuple[Any, Any] = (views.fill, views.legend)
    if ctx.triggered_id not in (None, ids.LAYER_PICKER) and layer not in PLAN_LAYERS:
        fill = (no_update, no_update)
    area_colours, key = fill
    return (area_colours, *changed_only((key, *views.figures), shown), views.groups, views.worst)


def changed_only(values: tuple[Any, ...], shown: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` with ``no_update`` wherever the page already shows the same."""
    return tuple(no_update if value == now else value for value, now in zip(values, shown, strict=True))


@CALLBACKS.callback(Output(ids.KPI_MODE_NOTE, "children"), Input(ids.TRAVEL_MODE, "value"),
                    prevent_initial_call=True)  # the page opens with the default mode's note
def explain_mode(mode: Mode | None) -> str:
    """What the journey times mean for the chosen way of travelling (a move does not change it)."""
    return travel_mode(data_access.current_folder(), mode or DEFAULT_MODE).note


def fill_and_key(fill: tuple[dict[str, Any], list[Any]]) -> tuple[str, str]:
    """The map's colours as JSON for the element assets/dsp.js paints from, and the legend as HTML."""
    colours, key = fill
    return json.dumps(colours, separators=(",", ":")), to_html(key)


@CALLBACKS.callback(Output(ids.AREA_DETAILS, "children"), Input(ids.MAP, "clickData"),
                    State(ids.PLAN, "data"), State(ids.TRAVEL_MODE, "value"), State(ids.ADD_MODE, "data"),
                    prevent_initial_call=True)
def show_area(click: dict[str, Any] | None, plan_data: Plan, mode: Mode | None, add_mode: str | None) -> Any:
    if add_mode or not click:
        return no_update  # the click placed a new hub or outreach point
    locality = data_access.current_locality()
    x, y = grid_xy(float(click["latlng"]["lng"]), float(click["latlng"]["lat"]))
    row = area_at(locality, x, y)
    if row is None:
        return no_update
    plan = scenario_from_dict(plan_data)
    result = score_plan(data_access.current_folder(), plan.hubs, mode or DEFAULT_MODE)
    return area_card(locality, plan, result, row)


def area_at(locality: Locality, x: float, y: float) -> int | None:
    """Row of the area containing the grid point (x, y), if any."""
    hits = locality.areas.sindex.query(Point(x, y), predicate="intersects")
    return int(hits[0]) if len(hits) else None


def area_card(locality: Locality, plan: ScenarioContent, result: AccessResult, row: int) -> dbc.Card:
    """An area's figures: people, need, minutes to each hub and which hub serves it."""
    area = locality.areas.iloc[row]
    matrix = result.hub_minutes.matrix() if result.hub_minutes is not None else np.empty((0, 0))
    minutes = [html.Li(f"{hub.name}: {words.minutes_number(matrix[row, j])} min") for j, hub in enumerate(plan.hubs)]
    serving = hub_names(plan).get(str(result.nearest_hub[row]), "no hub can be reached")
    return dbc.Card(className="area-card", children=dbc.CardBody([
        html.H3(f"{area['name']} ({area['code']})", className="h6"),
        html.P(f"{int(area['pop_total']):,} residents, {int(area['pop_adult']):,} adults; need index "
               f"{area['need_index']:.0f} (100 = county average); deprivation decile {int(area['imd_decile'])} "
               "(1 = most deprived tenth of England)."),
        html.P(f"Served by {serving}.", className="fw-semibold mb-1"),
        html.Ul(minutes, className="mb-0"),
    ]))


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
