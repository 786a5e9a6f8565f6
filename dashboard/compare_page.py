"""Compare two to four scenarios side by side: maps on one colour scale, figures, curves, who gains.

Open it at /compare?ids=slug1,slug2 (a slug@3 opens version 3; "current" is the plan
being edited, not yet saved). Every scenario is opened through the store as the person
asking, so a scenario they may not see is named as refused and never drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from dashboard import data_access, ids, words
from dashboard.area_maps import area_map
from dashboard.attrs import attrs
from dashboard.auth import current_user
from dashboard.callbacks import CallbackRegistry
from dashboard.charts import CATEGORICAL, base_layout, plotly_text
from dashboard.engine import DEFAULT_MODE, travel_mode, weights_for
from dashboard.history import Plan
from dashboard.layers import MINUTES_PALETTE, NO_DATA, minutes_classes
from dashboard.map_panel import legend
from dashboard.routes import page_route
from dashboard.scenario_figures import (
    HEADLINES,
    MAX_COMPARED,
    MODES,
    Chosen,
    ScenarioFigures,
    difference,
    open_chosen,
    parse_keys,
    scenario_figures,
    scenario_options,
)
from dashboard.store_access import scenario_store
from geo.errors import PlannerError
from geo.scenarios import Hub

CALLBACKS = CallbackRegistry()
LINE_DASHES = ("solid", "dash", "dot", "dashdot")
HISTOGRAM_BAND_MIN = 5.0
GRAPH_CONFIG: dcc.Graph.Config = {"displayModeBar": False, "scrollZoom": False}

# Gains and losses of minutes: ColorBrewer PuOr, colour-blind safe; purple = quicker, orange = longer.
DIFFERENCE_PALETTE = ("#542788", "#998ec3", "#d8daeb", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806")
DIFFERENCE_EDGE = "#a0a0a0"  # grey area edges: unchanged (near-white) areas still read as areas, not a gap
DIFFERENCE_STEPS_MIN = (1.0, 5.0, 10.0)
DIFFERENCE_LABELS = (
    "10 or more minutes quicker", "5 to 10 minutes quicker", "1 to 5 minutes quicker",
    "within a minute either way",
    "1 to 5 minutes longer", "5 to 10 minutes longer", "10 or more minutes longer",
)


# ---------------------------------------------------------------------------------------
# Opening what was asked for
# ---------------------------------------------------------------------------------------
def open_all(keys: Sequence[str], plan_data: object | None) -> tuple[list[Chosen], list[str]]:
    """Open each key as the person asking; keys they may not open become plain messages."""
    store, user = scenario_store(), current_user()
    chosen, problems = [], []
    for key in keys:
        try:
            chosen.append(open_chosen(store, user, key, plan_data))
        except PlannerError as error:
            problems.append(f"{key}: {error}")
    return chosen, problems


def compare_href(keys: Sequence[str]) -> str:
    return "/compare?ids=" + ",".join(quote(key, safe="@") for key in keys)


# ---------------------------------------------------------------------------------------
# Builders: figures -> components
# ---------------------------------------------------------------------------------------
def minutes_hover(figures: ScenarioFigures, names: Sequence[str]) -> list[str]:
    hubs = {hub.hub_id: hub.name for hub in figures.content.hubs}
    return [f"{name}: {minutes:.0f} min to {hubs.get(str(hub), 'a hub')}" if math.isfinite(minutes)
            else f"{name}: cannot reach any hub"
            for name, minutes, hub in zip(names, figures.access.minutes, figures.access.nearest_hub, strict=True)]


def minutes_map(folder: str, figures: ScenarioFigures, *, height: int | None = 300, hub_size: int = 16,
                town_size: int = 0) -> dict[str, Any]:
    """Minutes to the nearest hub on the planner's fixed 15-minute classes (one scale for all)."""
    areas = data_access.locality_for(folder).areas
    return area_map(folder, minutes_classes(figures.access.minutes).classes, MINUTES_PALETTE,
                    minutes_hover(figures, areas["name"].tolist()), figures.content.hubs,
                    height=height, hub_size=hub_size, town_size=town_size)


def described_graph(label: str, graph: dcc.Graph, *, className: str = "") -> html.Div:
    """A chart with a spoken label (dcc.Graph takes no aria attributes itself)."""
    return html.Div(graph, role="img", className=className, **attrs({"aria-label": label}))


def scenario_chip(number: int) -> html.Span:
    """The scenario's number on its line colour, so maps, columns and curves tie together."""
    return html.Span(str(number), className="scenario-chip",
                     style={"backgroundColor": CATEGORICAL[(number - 1) % len(CATEGORICAL)]})


def headline_table(figures: Sequence[ScenarioFigures]) -> html.Table:
    """One row per headline figure; columns after the first say how each differs from the first."""
    head = [html.Th("Figure", scope="col")] + [
        html.Th([scenario_chip(n), f" {f.title}"], scope="col") for n, f in enumerate(figures, start=1)]
    rows = []
    for headline in HEADLINES:
        base = headline.value(figures[0])
        cells: list[Any] = [html.Th([headline.label, html.Div(headline.note, className="figure-note")],
                                    scope="row")]
        cells.append(html.Td(html.Div(headline.text(base), className="figure-value")))
        for other in figures[1:]:
            value = headline.value(other)
            diff = difference(headline, base, value)
            cells.append(html.Td([
                html.Div(headline.text(value), className="figure-value"),
                html.Div([html.Span(diff.symbol, className="diff-symbol", **attrs({"aria-hidden": "true"})),
                          f" {diff.words}"], className=f"diff diff-{diff.verdict}"),
            ]))
        rows.append(html.Tr(cells))
    return html.Table(id=ids.COMPARE_TABLE, className="table compare-table", children=[
        html.Caption(f"Each column after the first says how it differs from "
                     f"scenario 1, {figures[0].title}: ▲ higher, ▼ lower, = about the same, "
                     "and whether that is better or worse."),
        html.Thead(html.Tr(head)),
        html.Tbody(rows),
    ])


def small_maps(folder: str, figures: Sequence[ScenarioFigures]) -> html.Div:
    cards = []
    for n, f in enumerate(figures, start=1):
        cards.append(html.Figure(className="small-map", children=[
            html.Figcaption([scenario_chip(n), f" {f.title}"]),
            described_graph(f"Map of minutes to the nearest hub in {f.title}",
                            dcc.Graph(figure=minutes_map(folder, f), config=GRAPH_CONFIG)),
        ]))
    classed = minutes_classes(np.concatenate([f.access.minutes for f in figures]))
    key = legend("Minutes to the nearest hub",
                 "Every map uses the same colours for the same minutes; numbered discs are the hubs.",
                 classed.legend_rows)
    return html.Div(className="compare-maps-row", children=[
        html.Div(className=f"compare-maps compare-maps-{len(figures)}", children=cards),
        html.Div(key, className="legend compare-legend"),
    ])


def with_legend_below(figure: go.Figure) -> go.Figure:
    """One legend row per line under the chart, clear of the axis title."""
    figure.update_layout(showlegend=True, height=420, margin={"l": 10, "r": 20, "t": 46, "b": 10},
                         legend={"orientation": "v", "yanchor": "top", "y": -0.2, "x": 0, "font": {"size": 14}})
    return figure


def access_histogram(figures: Sequence[ScenarioFigures], population: np.ndarray) -> go.Figure:
    """Share of residents in each 5-minute band of journey time, one line per scenario."""
    finite = np.concatenate([f.access.minutes[np.isfinite(f.access.minutes)] for f in figures])
    top = HISTOGRAM_BAND_MIN * math.ceil(max(float(finite.max()) if finite.size else 0.0, 5.0) / HISTOGRAM_BAND_MIN)
    edges = np.arange(0.0, top + HISTOGRAM_BAND_MIN, HISTOGRAM_BAND_MIN)
    total = float(population.sum())
    traces = []
    for n, f in enumerate(figures):
        known = np.isfinite(f.access.minutes)
        counts, _ = np.histogram(f.access.minutes[known], bins=edges, weights=population[known])
        shares = 100.0 * counts / total if total > 0 else counts
        traces.append(go.Scatter(
            x=edges, y=[*shares, shares[-1]], mode="lines", line_shape="hv", name=f"{n + 1}. {plotly_text(f.title)}",
            line={"color": CATEGORICAL[n], "dash": LINE_DASHES[n % len(LINE_DASHES)], "width": 3},
            hovertemplate="%{x:.0f}+ min: %{y:.1f}% of residents<extra></extra>",
        ))
    figure = base_layout(go.Figure(traces), title="How long journeys are: share of residents in each "
                         "5-minute band", height=330)
    figure.update_xaxes(title="minutes to the nearest hub", showgrid=True, gridcolor="#e3e3e3", rangemode="tozero")
    figure.update_yaxes(title="% of residents", showgrid=True, gridcolor="#e3e3e3", rangemode="tozero")
    return with_legend_below(figure)


def lorenz_figure(figures: Sequence[ScenarioFigures]) -> go.Figure:
    """Lorenz curves of spend per need-weighted adult, with the line of spend exactly following need."""
    traces = [go.Scatter(x=[0, 100], y=[0, 100], mode="lines", name="Spend exactly in line with need",
                         line={"color": "#6b6b6b", "width": 2}, hoverinfo="skip")]
    for n, f in enumerate(figures):
        curve = f.equity.lorenz
        traces.append(go.Scatter(
            x=100 * curve["need_share"], y=100 * curve["spend_share"], mode="lines",
            name=f"{n + 1}. {plotly_text(f.title)} (Gini {words.gini(f.equity.gini)})",
            line={"color": CATEGORICAL[n], "dash": LINE_DASHES[n % len(LINE_DASHES)], "width": 3},
            hovertemplate="%{x:.0f}% of need gets %{y:.0f}% of spend<extra></extra>",
        ))
    figure = base_layout(go.Figure(traces), title="Fairness of spend against need<br><span style='font-size:0.8em'>"
                         "the further a curve sags below the grey line, the less evenly spend follows need</span>",
                         height=330)
    figure.update_xaxes(title="% of need, areas with the least spend for their need first", range=[0, 100],
                        showgrid=True, gridcolor="#e3e3e3")
    figure.update_yaxes(title="% of spend", range=[0, 100], showgrid=True, gridcolor="#e3e3e3")
    figure = with_legend_below(figure)
    # Room for the title's second line above the axis, and the legend clear of the axis title below.
    figure.update_layout(margin={"t": 72}, legend={"y": -0.3}, height=440)
    return figure


def difference_classes(before: np.ndarray, after: np.ndarray) -> list[int]:
    """Class per area of the change in minutes (after - before): 0 = 10+ quicker .. 6 = 10+ longer.

    Symmetric around no change: a change under a minute either way is class 3; -1 where
    either scenario cannot reach a hub.
    """
    delta = np.asarray(after, dtype=np.float64) - np.asarray(before, dtype=np.float64)
    steps = sum((np.abs(delta) >= step).astype(int) for step in DIFFERENCE_STEPS_MIN)
    middle = len(DIFFERENCE_STEPS_MIN)
    classes = np.where(delta < 0, middle - steps, middle + steps)
    return [int(c) for c in np.where(np.isfinite(delta), classes, -1)]


def gains_sentence(before: ScenarioFigures, after: ScenarioFigures, population: np.ndarray) -> str:
    """Who gains and who loses, in residents and shares, going from ``before`` to ``after``."""
    delta = after.access.minutes - before.access.minutes
    total = float(population.sum())
    known = np.isfinite(delta)
    gain = float(population[known & (delta <= -1.0)].sum())
    loss = float(population[known & (delta >= 1.0)].sum())

    def residents(count: float) -> str:
        return "no residents" if count == 0 else f"{count:,.0f} residents ({count / total:.0%})"

    sentence = (f"Going from {before.title} to {after.title}, {residents(gain)} would travel at least a minute "
                f"less and {residents(loss)} at least a minute more.")
    changes = delta[known]
    extremes = []
    if changes.size and changes.min() <= -1.0:
        extremes.append(f"{abs(changes.min()):.0f} minutes quicker")
    if changes.size and changes.max() >= 1.0:
        extremes.append(f"{changes.max():.0f} minutes longer")
    if extremes:
        sentence += f" The biggest changes for an area: {' and '.join(extremes)}."
    return sentence


def gone_hubs(before: Sequence[Hub], after: Sequence[Hub]) -> list[Hub]:
    """Hubs of ``before`` standing where ``after`` has no hub (closed or moved), to the nearest metre."""
    kept = {(round(hub.x), round(hub.y)) for hub in after}
    return [hub for hub in before if (round(hub.x), round(hub.y)) not in kept]


def difference_map(folder: str, before: ScenarioFigures, after: ScenarioFigures, *,
                   height: int = 420) -> dict[str, Any]:
    areas = data_access.locality_for(folder).areas
    classes = difference_classes(before.access.minutes, after.access.minutes)
    delta = after.access.minutes - before.access.minutes
    hover = [f"{name}: {abs(d):.0f} min {'quicker' if d < 0 else 'longer'}" if np.isfinite(d) and abs(d) >= 0.5
             else (f"{name}: no change" if np.isfinite(d) else f"{name}: cannot reach a hub in one of them")
             for name, d in zip(areas["name"], delta, strict=True)]
    return area_map(folder, classes, DIFFERENCE_PALETTE, hover, after.content.hubs, height=height, hub_size=16,
                    hub_style="dark", gone=gone_hubs(before.content.hubs, after.content.hubs), edge=DIFFERENCE_EDGE)


def difference_legend(before: ScenarioFigures, after: ScenarioFigures) -> list[Any]:
    rows = list(zip(DIFFERENCE_PALETTE, DIFFERENCE_LABELS, strict=True))
    if not (np.isfinite(before.access.minutes).all() and np.isfinite(after.access.minutes).all()):
        rows.append((NO_DATA, "cannot reach a hub in one of the two"))
    gone = gone_hubs(before.content.hubs, after.content.hubs)
    rings = (f" Hollow rings: {len(gone)} hub{'s' if len(gone) != 1 else ''} of {before.title} that "
             f"{after.title} closes or moves." if gone else "")
    return legend("Change in minutes to the nearest hub",
                  f"From {before.title} to {after.title}. Purple: quicker (they gain); orange: longer "
                  f"(they lose). Black numbered discs: the hubs of {after.title}.{rings}", rows)


def difference_section(folder: str, figures: Sequence[ScenarioFigures], population: np.ndarray) -> html.Section:
    options = [{"label": f"{n}. {f.title}", "value": f.key} for n, f in enumerate(figures, start=1)]
    before, after = figures[0], figures[1]
    return html.Section(className="compare-section", children=[
        html.H3("Who gains and who loses minutes", className="h5"),
        html.Div(className="difference-pickers", children=[
            html.Div([dbc.Label("From", html_for=ids.DIFFERENCE_FROM),
                      dcc.Dropdown(id=ids.DIFFERENCE_FROM, options=options, value=before.key, clearable=False)]),
            html.Div([dbc.Label("To", html_for=ids.DIFFERENCE_TO),
                      dcc.Dropdown(id=ids.DIFFERENCE_TO, options=options, value=after.key, clearable=False)]),
        ]),
        html.P(gains_sentence(before, after, population), id=ids.DIFFERENCE_SUMMARY, className="lead-sentence",
               role="status", **attrs({"aria-live": "polite"})),
        html.Div(className="compare-maps-row", children=[
            described_graph("Map of the change in minutes to the nearest hub; the sentence above gives the numbers",
                            dcc.Graph(id=ids.DIFFERENCE_MAP, figure=difference_map(folder, before, after),
                                      config=GRAPH_CONFIG), className="difference-graph"),
            html.Div(difference_legend(before, after), id="difference-legend", className="legend compare-legend"),
        ]),
    ])


def comparison(folder: str, figures: Sequence[ScenarioFigures]) -> list[Any]:
    """Everything below the picker for two to four scenarios' figures."""
    population = weights_for(folder).of("population")
    return [
        html.P(travel_mode(folder, figures[0].mode).note, className="small text-muted"),
        html.Section(className="compare-section", children=[
            html.H3("Headline figures", className="h5"), headline_table(figures)]),
        html.Section(className="compare-section", children=[
            html.H3("Minutes to the nearest hub", className="h5"), small_maps(folder, figures)]),
        html.Section(className="compare-section compare-charts", children=[
            dcc.Graph(figure=access_histogram(figures, population), config=GRAPH_CONFIG),
            dcc.Graph(figure=lorenz_figure(figures), config=GRAPH_CONFIG),
        ]),
        html.P(className="small", children=(
            f"{words.GINI_SPEND}: {words.GINI_SPEND_NOTE}. Spend is counted against the areas each service or "
            "hub serves, nearer areas counting more; the employment (IPS) service and direct payments by need.")),
        difference_section(folder, figures, population),
    ]


def problems_note(problems: Sequence[str]) -> Any:
    if not problems:
        return None
    return dbc.Alert(className="mt-2", color="warning", children=[
        html.Strong("Not shown: "), html.Ul([html.Li(p) for p in problems], className="mb-0")])


def picker_options(keys: Sequence[str]) -> list[dict[str, str]]:
    """The scenarios this person may see, plus any asked-for key (such as slug@2) not among them."""
    options = scenario_options(scenario_store(), current_user(), with_current=True)
    known = {option["value"] for option in options}
    return options + [{"label": key, "value": key} for key in keys if key not in known]


@page_route("/compare", "Compare")
def compare_view(query: dict[str, str]) -> html.Div:
    keys = parse_keys(query.get("ids"))
    return html.Div(className="page compare-page", children=[
        html.H2("Compare scenarios", className="h3"),
        html.P("Pick two to four scenarios. The first is the one the others are measured against. "
               "The plan you are editing can be one of them, before it is saved."),
        html.Div(className="compare-controls", children=[
            html.Div(className="flex-grow-1", children=[
                dbc.Label("Scenarios to compare", html_for=ids.COMPARE_PICKER, className="fw-semibold"),
                dcc.Dropdown(id=ids.COMPARE_PICKER, options=picker_options(keys), value=keys, multi=True,
                             placeholder="Choose two to four scenarios"),
            ]),
            html.Div(children=[
                dbc.Label("Travel by", html_for=ids.COMPARE_MODE, className="fw-semibold"),
                dbc.RadioItems(id=ids.COMPARE_MODE, inline=True, value=query.get("mode", DEFAULT_MODE)
                               if query.get("mode") in MODES else DEFAULT_MODE,
                               options=[{"label": travel_mode(data_access.current_folder(), m).label, "value": m}
                                        for m in MODES]),
            ]),
        ]),
        html.Div(id=ids.COMPARE_LINK, className="small mt-1"),
        dcc.Loading(html.Div(id=ids.COMPARE_BODY, className="compare-body"), type="default"),
    ])


# ---------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------
def comparison_body(keys: Sequence[str], plan_data: object | None, mode: str | None) -> tuple[list[Any], Any]:
    """The comparison (or what stops it) and a link to it, for the picked keys."""
    link = html.A("Link to this comparison", href=compare_href(keys)) if keys else None
    if len(keys) > MAX_COMPARED:
        return [dbc.Alert(f"Pick at most {MAX_COMPARED} scenarios; {len(keys)} are picked.", color="info")], link
    chosen, problems = open_all(keys, plan_data)
    if len(chosen) < 2:
        return [problems_note(problems), dbc.Alert("Pick at least two scenarios you may open to compare them.",
                                                   color="info")], link
    folder = data_access.current_folder()
    figures = [scenario_figures(folder, c, mode) for c in chosen]
    return [problems_note(problems), *comparison(folder, figures)], link


@CALLBACKS.callback(Output(ids.COMPARE_BODY, "children"), Output(ids.COMPARE_LINK, "children"),
                    Input(ids.COMPARE_PICKER, "value"), Input(ids.COMPARE_MODE, "value"), State(ids.PLAN, "data"))
def show_comparison(keys: list[str] | None, mode: str | None, plan_data: Plan) -> tuple[list[Any], Any]:
    return comparison_body(list(keys or []), plan_data, mode)


def difference_outputs(keys: Sequence[str], plan_data: object | None,
                       mode: str | None) -> tuple[dict[str, Any], str, list[Any]]:
    """The difference map, its sentence and legend between two picked keys."""
    chosen, problems = open_all(keys, plan_data)
    if problems:
        raise PlannerError(problems[0])
    folder = data_access.current_folder()
    before, after = (scenario_figures(folder, c, mode) for c in chosen)
    population = weights_for(folder).of("population")
    return (difference_map(folder, before, after), gains_sentence(before, after, population),
            difference_legend(before, after))


@CALLBACKS.callback(Output(ids.DIFFERENCE_MAP, "figure"), Output(ids.DIFFERENCE_SUMMARY, "children"),
                    Output("difference-legend", "children"),
                    Input(ids.DIFFERENCE_FROM, "value"), Input(ids.DIFFERENCE_TO, "value"),
                    State(ids.COMPARE_MODE, "value"), State(ids.PLAN, "data"), prevent_initial_call=True)
def show_difference(before_key: str, after_key: str, mode: str | None,
                    plan_data: Plan) -> tuple[Any, Any, Any]:
    try:
        return difference_outputs([before_key, after_key], plan_data, mode)
    except PlannerError as error:
        return no_update, str(error), no_update


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
