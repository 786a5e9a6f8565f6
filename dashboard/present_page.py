"""Present mode for the room, and follow mode for the screens of people in it.

/present?ids=a,b,c shows a shortlist of saved scenarios in large type and high contrast,
read-only: one click (or a number key, the arrow keys or a presentation clicker's page
keys) moves between them and between views. The presenter can let the room follow:
each choice is then published to the server (``geo.workspace.follow``) under a short room code,
and screens open at /follow/<code> poll it every second and show the same scenario and
view. Each screen opens the scenario with its own viewer's account, so nobody sees a
scenario through a room that they could not open themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import data_access, ids, words
from dashboard.attrs import attrs
from dashboard.auth import current_user
from dashboard.callbacks import CallbackRegistry, Clicks
from dashboard.compare_page import GRAPH_CONFIG, compare_href, described_graph, lorenz_figure, minutes_map
from dashboard.engine import DEFAULT_MODE, travel_mode
from dashboard.layers import minutes_classes
from dashboard.map_panel import legend
from dashboard.routes import page_route
from dashboard.scenario_figures import (
    CURRENT_PLAN,
    HEADLINES,
    MODES,
    Chosen,
    ScenarioFigures,
    open_chosen,
    parse_keys,
    scenario_figures,
    scenario_options,
    share_text,
)
from dashboard.store_access import scenario_store
from geo.access import GROUP_LABELS
from geo.errors import PlannerError
from geo.workspace import follow

CALLBACKS = CallbackRegistry()
VIEWS = {"map": "Map and figures", "groups": "Who is reached", "spend": "Fairness of spend"}
DEFAULT_VIEW = "map"
FOLLOW_POLL_MS = 1000
MAP_HEIGHT = None  # the map fills the height the screen has left (.present-map-graph in assets CSS)


# ---------------------------------------------------------------------------------------
# What is shown: {"key", "view", "mode", "note"}
# ---------------------------------------------------------------------------------------
def shown(key: str | None, view: str = DEFAULT_VIEW, mode: str = DEFAULT_MODE,
          note: str | None = None) -> dict[str, Any]:
    return {"key": key, "view": view if view in VIEWS else DEFAULT_VIEW,
            "mode": mode if mode in MODES else DEFAULT_MODE, "note": note}


def room_view(view: str, mode: str) -> str:
    """The view as published to the room: panel and travel mode, e.g. "map-bus"."""
    return f"{view}-{mode}"


def from_room_view(text: str) -> tuple[str, str]:
    view, _, mode = text.partition("-")
    return (view if view in VIEWS else DEFAULT_VIEW), (mode if mode in MODES else DEFAULT_MODE)


def next_state(state: dict[str, Any], trigger: dict[str, Any]) -> dict[str, Any]:
    """The presenter's state after pressing a scenario, view or travel-mode button."""
    new = dict(state)
    if trigger["type"] == ids.PRESENT_SCENARIO and 0 <= int(trigger["index"]) < len(state["keys"]):
        new["index"] = int(trigger["index"])
    elif trigger["type"] == ids.PRESENT_VIEW and trigger["view"] in VIEWS:
        new["view"] = trigger["view"]
    elif trigger["type"] == ids.PRESENT_MODE and trigger["mode"] in MODES:
        new["mode"] = trigger["mode"]
    return new


def shown_of(state: dict[str, Any]) -> dict[str, Any]:
    return shown(state["keys"][state["index"]], state["view"], state["mode"])


def followed(room_code: str) -> dict[str, Any]:
    """What a screen following ``room_code`` should show, as far as its viewer may see."""
    try:
        state = follow.viewer_state(scenario_store(), current_user(), room_code)
    except PlannerError as error:
        return shown(None, note=str(error))
    view, mode = from_room_view(state.view)
    if state.hidden:
        return shown(None, view, mode, "The presenter is showing a scenario you do not have permission to see.")
    if state.scenario is None:
        return shown(None, view, mode, "Waiting for the presenter to choose a scenario.")
    key = state.scenario if state.version is None else f"{state.scenario}@{state.version}"
    return shown(key, view, mode)


# ---------------------------------------------------------------------------------------
# Builders: the stage
# ---------------------------------------------------------------------------------------
def headline_tiles(figures: ScenarioFigures) -> html.Div:
    return html.Div(className="present-tiles", children=[
        html.Div(className="present-tile", children=[
            html.Div(headline.text(headline.value(figures)), className="present-tile-value"),
            html.Div(headline.label, className="present-tile-label"),
        ]) for headline in HEADLINES
    ])


def groups_table(figures: ScenarioFigures) -> html.Table:
    access = figures.access
    rows = [html.Tr([html.Th(GROUP_LABELS[group], scope="row"),
                     html.Td(words.minutes(access.figure(group, "mean_minutes"))),
                     html.Td(words.minutes(access.figure(group, "p90_minutes"))),
                     html.Td(share_text(access.figure(group, "share_within_30")))])
            for group in GROUP_LABELS if group in set(access.summary["group"])]
    return html.Table(className="present-table", children=[
        html.Caption("Journey to the nearest hub, by group"),
        html.Thead(html.Tr([html.Th("Who", scope="col"), html.Th("Average", scope="col"),
                            html.Th("9 in 10 within", scope="col"), html.Th("Within 30 minutes", scope="col")])),
        html.Tbody(rows),
    ])


def spend_view(figures: ScenarioFigures) -> list[Any]:
    equity = figures.equity
    town = (f"{words.share_reaching_residents_of(equity.biggest_town).capitalize()}: "
            f"{equity.biggest_town_share_of_spend:.0%}, for {words.share_of_need_in(equity.biggest_town)} of "
            f"{equity.biggest_town_share_of_need:.0%}."
            if math.isfinite(equity.biggest_town_share_of_spend) else "")
    figure = lorenz_figure([figures])
    # The height comes from the page (.present-chart), so the chart and its key fit the screen.
    figure.layout.height = None  # (update_layout ignores None)
    figure.layout.title = None  # the sentence above says what the chart shows
    figure.update_layout(font={"size": 20}, margin={"t": 10, "b": 10},
                         legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "font": {"size": 18}})
    return [
        html.P(f"{words.GINI_SPEND}: {words.gini(equity.gini)} ({words.GINI_SPEND_NOTE}). {town}",
               className="present-sentence"),
        html.P("The further the curve sags below the grey line, the less evenly spend follows need.",
               className="present-note"),
        described_graph("Lorenz curve of spend against need",
                        dcc.Graph(figure=figure, config=GRAPH_CONFIG, responsive=True, className="present-chart"),
                        className="present-chart-wrap"),
    ]


def minutes_legend(folder: str, figures: ScenarioFigures) -> list[Any]:
    return legend("Minutes to the nearest hub", travel_mode(folder, figures.mode).note,
                  minutes_classes(figures.access.minutes).legend_rows)


def stage_parts(folder: str, figures: ScenarioFigures, view: str) -> tuple[Any, Any, bool, list[Any]]:
    """(title, map figure or no_update, map hidden?, body) for one scenario in one view."""
    title = [figures.title, html.Span(f" · {VIEWS[view]} · {travel_mode(folder, figures.mode).label}",
                                      className="present-title-view")]
    if view == "map":
        body: list[Any] = [headline_tiles(figures),
                           html.Div(minutes_legend(folder, figures), className="legend present-legend")]
        return title, minutes_map(folder, figures, height=MAP_HEIGHT, hub_size=26, town_size=16), False, body
    body = [groups_table(figures)] if view == "groups" else spend_view(figures)
    return title, no_update, True, body


def stage_outputs(what: dict[str, Any]) -> tuple[Any, Any, bool, list[Any]]:
    """The stage for what is shown, opening the scenario as the person looking."""
    if what.get("note") or not what.get("key"):
        return what.get("note") or "Nothing to show yet", no_update, True, []
    try:
        chosen = open_chosen(scenario_store(), current_user(), what["key"])
    except PlannerError as error:
        return "This scenario cannot be shown", no_update, True, [html.P(str(error), className="present-sentence")]
    folder = data_access.current_folder()
    return stage_parts(folder, scenario_figures(folder, chosen, what["mode"]), what["view"])


def stage(what: dict[str, Any]) -> html.Section:
    title, figure, hidden, body = stage_outputs(what)
    # Focusable, so the keyboard can scroll it on a screen too small for the view (it fits from 1024x768).
    return html.Section(className="present-stage", tabIndex="0",
                        **attrs({"aria-live": "polite", "aria-labelledby": ids.PRESENT_TITLE}), children=[
        html.H2(title, id=ids.PRESENT_TITLE, className="present-title"),
        html.Div(className="present-grid", children=[
            html.Div(id=ids.PRESENT_MAP_WRAP, className="present-map-wrap", hidden=hidden, children=[
                described_graph("Map of minutes to the nearest hub; the figures beside it give the numbers",
                                dcc.Graph(id=ids.PRESENT_MAP, config=GRAPH_CONFIG, responsive=True,
                                          className="present-map-graph",
                                          figure=figure if figure is not no_update else {"data": [], "layout": {}})),
            ]),
            html.Div(body, id=ids.PRESENT_BODY, className="present-body"),
        ]),
    ])


def choice_button(label: Any, component_id: dict[str, Any], pressed: bool, *, title: str) -> html.Button:
    return html.Button(label, id=component_id, type="button", title=title, n_clicks=0,
                       className="present-button" + (" active" if pressed else "") +
                       (" present-scenario-button" if component_id["type"] == ids.PRESENT_SCENARIO else ""),
                       **attrs({"aria-pressed": "true" if pressed else "false"}))


def present_bar(state: dict[str, Any]) -> html.Nav:
    scenario_buttons = [
        choice_button([html.Span(str(i + 1), className="present-number"), title],
                      {"type": ids.PRESENT_SCENARIO, "index": i}, i == state["index"],
                      title=f"Show {title} (key {i + 1})")
        for i, title in enumerate(state["titles"])]
    view_buttons = [choice_button(label, {"type": ids.PRESENT_VIEW, "view": view}, view == state["view"],
                                  title=f"Show {label.lower()}") for view, label in VIEWS.items()]
    labels = {mode: travel_mode(data_access.current_folder(), mode).label for mode in MODES}
    mode_buttons = [choice_button(labels[mode], {"type": ids.PRESENT_MODE, "mode": mode},
                                  mode == state["mode"], title=f"Journeys: {labels[mode]}") for mode in MODES]
    return html.Nav(className="present-bar", **attrs({"aria-label": "Presenting"}), children=[
        html.Div(scenario_buttons, className="present-group present-scenarios", role="group",
                 **attrs({"aria-label": "Scenarios (keys 1 to 9, or the arrow keys)"})),
        html.Div(view_buttons, className="present-group", role="group", **attrs({"aria-label": "View"})),
        html.Div(mode_buttons, className="present-group", role="group", **attrs({"aria-label": "Travel by"})),
        html.Div(className="present-group present-follow", children=[
            html.Button("Let the room follow", id=ids.PRESENT_FOLLOW_START, type="button",
                        className="present-button", title="Open a room: screens with its code follow this one"),
            html.Span(id=ids.PRESENT_ROOM, className="present-room", role="status"),
            html.Button("Stop", id=ids.PRESENT_FOLLOW_STOP, type="button", className="present-button",
                        hidden=True, title="End the room: following screens stop"),
        ]),
        dcc.Link("Leave present mode", href=compare_href(state["keys"]), className="present-leave"),
    ])


def shortlist_chooser(problems: Sequence[str]) -> html.Div:
    """No shortlist yet (or none that may be opened): pick the scenarios to present."""
    options = scenario_options(scenario_store(), current_user(), with_current=False)
    return html.Div(className="page present-chooser", children=[
        html.H2("Present scenarios to the room", className="h3"),
        *([dbc.Alert([html.Strong("Not shown: "), html.Ul([html.Li(p) for p in problems], className="mb-0")],
                     color="warning")] if problems else []),
        html.P("Present mode shows saved scenarios in large type for a projector, with nothing to edit. "
               "Pick the shortlist, in the order to show it."),
        dbc.Label("Scenarios to present", html_for=ids.PRESENT_PICKER, className="fw-semibold"),
        dcc.Dropdown(id=ids.PRESENT_PICKER, options=options, multi=True, placeholder="Choose the shortlist"),
        dcc.Link("Start presenting", id=ids.PRESENT_START, href="/present", className="btn btn-primary btn-lg mt-3"),
    ])


def open_shortlist(keys: Sequence[str]) -> tuple[list[Chosen], list[str]]:
    store, user = scenario_store(), current_user()
    chosen, problems = [], []
    for key in keys:
        if key == CURRENT_PLAN:
            problems.append("the current plan: save it first; present mode shows saved scenarios only")
            continue
        try:
            chosen.append(open_chosen(store, user, key))
        except PlannerError as error:
            problems.append(f"{key}: {error}")
    return chosen, problems


@page_route("/present", "Present")
def present_view(query: dict[str, str]) -> html.Div:
    chosen, problems = open_shortlist(parse_keys(query.get("ids")))
    if not chosen:
        return shortlist_chooser(problems)
    state = {"keys": [c.key for c in chosen], "titles": [c.title for c in chosen], "index": 0,
             "view": DEFAULT_VIEW, "mode": DEFAULT_MODE, "room": None}
    first = shown_of(state)
    return html.Div(className="present-mode", children=[
        dcc.Store(id=ids.PRESENT_STATE, data=state),
        dcc.Store(id=ids.PRESENT_SHOWN, data=first),
        present_bar(state),
        html.Div(id=ids.PRESENT_STATUS, className="present-status", role="status",
                 children=f"Not shown: {'; '.join(problems)}" if problems else None),
        stage(first),
    ])


@page_route("/follow", "Follow")
def follow_view(query: dict[str, str]) -> html.Div:
    code = query.get("path", "").removeprefix("/follow").strip("/")
    if not code:
        return html.Div(className="page", children=[
            html.H2("Follow a presentation", className="h3"),
            html.P("Open /follow/ followed by the room code the presenter gives you, for example /follow/K7MQ2P.")])
    first = followed(code)
    return html.Div(className="present-mode follow-mode", children=[
        dcc.Store(id=ids.FOLLOW_ROOM, data=code),
        dcc.Store(id=ids.FOLLOW_SHOWN, data=first),
        dcc.Interval(id=ids.FOLLOW_TICK, interval=FOLLOW_POLL_MS),
        html.Nav(className="present-bar", **attrs({"aria-label": "Following"}), children=[
            html.Span(["Following room ", html.Strong(code.upper())], className="present-room"),
            html.Span("This screen follows the presenter's choices.", className="present-group"),
            dcc.Link("Stop following", href="/", className="present-leave"),
        ]),
        stage(first),
    ])


# ---------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------
def publish_choice(state: dict[str, Any]) -> str | None:
    """Publish the presenter's choice to their room, if one is open; say what went wrong, if anything."""
    if not state.get("room"):
        return None
    key = state["keys"][state["index"]]
    slug, _, version = key.partition("@")
    try:
        follow.publish(scenario_store(), current_user(), state["room"], scenario=slug,
                       version=int(version) if version else None, view=room_view(state["view"], state["mode"]))
    except PlannerError as error:
        return f"The room was not updated: {error}"
    return None


@CALLBACKS.callback(Output(ids.PRESENT_STATE, "data"), Output(ids.PRESENT_SHOWN, "data"),
                    Output(ids.PRESENT_STATUS, "children"),
                    Input({"type": ids.PRESENT_SCENARIO, "index": ALL}, "n_clicks"),
                    Input({"type": ids.PRESENT_VIEW, "view": ALL}, "n_clicks"),
                    Input({"type": ids.PRESENT_MODE, "mode": ALL}, "n_clicks"),
                    State(ids.PRESENT_STATE, "data"), prevent_initial_call=True)
def choose(_scenarios: list[Clicks], _views: list[Clicks], _modes: list[Clicks],
           state: dict[str, Any]) -> tuple[Any, Any, Any]:
    if not isinstance(ctx.triggered_id, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update
    new = next_state(state, dict(ctx.triggered_id))
    if new == state:
        return no_update, no_update, no_update
    return new, shown_of(new), publish_choice(new)


@CALLBACKS.callback(Output({"type": ids.PRESENT_SCENARIO, "index": ALL}, "className"),
                    Output({"type": ids.PRESENT_SCENARIO, "index": ALL}, "aria-pressed"),
                    Output({"type": ids.PRESENT_VIEW, "view": ALL}, "className"),
                    Output({"type": ids.PRESENT_VIEW, "view": ALL}, "aria-pressed"),
                    Output({"type": ids.PRESENT_MODE, "mode": ALL}, "className"),
                    Output({"type": ids.PRESENT_MODE, "mode": ALL}, "aria-pressed"),
                    Input(ids.PRESENT_STATE, "data"), prevent_initial_call=True)
def mark_pressed(state: dict[str, Any]) -> tuple[list[str], ...]:
    def marks(pressed: list[bool], extra: str = "") -> tuple[list[str], list[str]]:
        return ([f"present-button{extra}" + (" active" if p else "") for p in pressed],
                ["true" if p else "false" for p in pressed])

    scenarios = marks([i == state["index"] for i in range(len(state["keys"]))], " present-scenario-button")
    views = marks([v == state["view"] for v in VIEWS])
    modes = marks([m == state["mode"] for m in MODES])
    return (*scenarios, *views, *modes)


@CALLBACKS.callback(Output(ids.PRESENT_TITLE, "children"), Output(ids.PRESENT_MAP, "figure"),
                    Output(ids.PRESENT_MAP_WRAP, "hidden"), Output(ids.PRESENT_BODY, "children"),
                    Input(ids.PRESENT_SHOWN, "data"), prevent_initial_call=True)
def show(what: dict[str, Any]) -> tuple[Any, Any, bool, list[Any]]:
    return stage_outputs(what)


@CALLBACKS.callback(Output(ids.PRESENT_STATE, "data", allow_duplicate=True), Output(ids.PRESENT_ROOM, "children"),
                    Output(ids.PRESENT_FOLLOW_STOP, "hidden"), Output(ids.PRESENT_FOLLOW_START, "hidden"),
                    Input(ids.PRESENT_FOLLOW_START, "n_clicks"), Input(ids.PRESENT_FOLLOW_STOP, "n_clicks"),
                    State(ids.PRESENT_STATE, "data"), prevent_initial_call=True)
def open_or_close_room(_start: Clicks, _stop: Clicks, state: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    store, user = scenario_store(), current_user()
    try:
        if ctx.triggered_id == ids.PRESENT_FOLLOW_STOP and state.get("room"):
            follow.close_room(store, user, state["room"])
            return {**state, "room": None}, "Room closed.", True, False
        key = state["keys"][state["index"]]
        slug, _, version = key.partition("@")
        room = follow.open_room(store, user, scenario=slug, version=int(version) if version else None,
                                view=room_view(state["view"], state["mode"]))
    except PlannerError as error:
        return no_update, str(error), no_update, no_update
    address = f"{flask.request.host_url.rstrip('/')}/follow/{room.room_code}"
    return ({**state, "room": room.room_code},
            ["Room ", html.Strong(room.room_code, className="room-code"), ": others open ",
             html.Strong(address, className="room-address")], False, True)


@CALLBACKS.callback(Output(ids.FOLLOW_SHOWN, "data"), Output(ids.PRESENT_TITLE, "children", allow_duplicate=True),
                    Output(ids.PRESENT_MAP, "figure", allow_duplicate=True),
                    Output(ids.PRESENT_MAP_WRAP, "hidden", allow_duplicate=True),
                    Output(ids.PRESENT_BODY, "children", allow_duplicate=True),
                    Input(ids.FOLLOW_TICK, "n_intervals"), State(ids.FOLLOW_ROOM, "data"),
                    State(ids.FOLLOW_SHOWN, "data"),
                    prevent_initial_call=True)
def poll_room(_ticks: int | None, room_code: str, current: dict[str, Any]) -> tuple[Any, ...]:
    # One round trip: the stage comes back with the news, so screens follow within a poll.
    new = followed(room_code)
    return (no_update,) * 5 if new == current else (new, *stage_outputs(new))


@CALLBACKS.callback(Output(ids.PRESENT_START, "href"), Input(ids.PRESENT_PICKER, "value"), prevent_initial_call=True)
def shortlist_link(keys: list[str] | None) -> str:
    return "/present?ids=" + ",".join(keys or [])


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
