"""Suggest placements: the planner proposes hubs, shown as ghost markers to use or discard.

The search runs as a background job (a progress bar and a Cancel button) through
:func:`geo.placement.suggest.suggest_hubs`; its answer waits in ``dcc.Store(ids.SUGGESTION)`` until the
planner uses it (the plan's unlocked hubs are replaced, through the plan history so Undo
brings them back) or discards it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update

from dashboard import data_access, history, ids, limits
from dashboard.attrs import attrs
from dashboard.callbacks import CallbackRegistry, Clicks
from dashboard.engine import DEFAULT_MODE, router_for, travel_mode, weights_for
from dashboard.jobs import CANCELLED, DEFAULT_LATTICE, NO_WORKER, WORKER_LOST
from dashboard.logging_setup import LOGGER_NAME
from dashboard.map_panel import QUIET
from dashboard.plan_money import costed_plan, default_assumptions, today_ledger
from dashboard.planning_panel import latlon
from dashboard.store_access import current_settings
from dashboard.words import pounds
from geo.access import GROUP_LABELS
from geo.errors import InfeasibleRequestError, PlannerError, PlannerInputError
from geo.money import budget_gbp
from geo.network import MODES, Mode
from geo.placement.candidates import candidate_sites
from geo.placement.models import Objective
from geo.placement.suggest import MAX_HUBS, Places, SuggestedSite, Suggestion, accept_suggestion, suggest_hubs
from geo.scenarios import Hub, ScenarioContent, scenario_from_dict, scenario_to_dict
from geo.starting_points import hubs_within_budget

CALLBACKS = CallbackRegistry()
logger = logging.getLogger(f"{LOGGER_NAME}.suggest")

SOLVE_SECONDS = 10.0  # the search stops here and says how close it has proved itself
DEFAULT_N_HUBS = 6
DEFAULT_THRESHOLD_MIN = 30.0
DEFAULT_FLOOR_PCT = 60.0
# Objective: the label a commissioner reads and one line saying what it does.
OBJECTIVES: dict[str, tuple[str, str]] = {
    "p-median": ("Shortest average journey (p-median)",
                 "Puts hubs where the average journey, across everyone counted, is shortest."),
    "coverage": ("Most people within a time (maximal coverage)",
                 "Reaches as many people as possible within the time you set."),
    "p-centre": ("Best for the worst-served area (minimax / p-centre)",
                 "Makes the longest journey anyone has to make as short as possible."),
    "equity p-median": ("Shortest journeys with a fairness floor (equity-constrained)",
                        "Shortest average journey, provided at least the share you set of every group "
                        "(women, young adults, deprived areas...) is within the time."),
}
WEIGHT_LABELS = {"population": "Everyone: each resident counts once",
                 "need": "Need: people in more need count more"}
# Suggested sites are numbered: hubs are lettered (each keeps its letter), so "B" always means a hub.
GHOST_NUMBERS = tuple(str(n) for n in range(1, 13))


# ---------------------------------------------------------------------------------------
# The request: controls -> checked values
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SuggestRequest:
    """What the planner asked for, checked."""

    objective: Objective
    n_hubs: int
    threshold_minutes: float
    weight: str
    min_share_pct: float
    keep_locked: bool
    places_per_hub: float | None = None  # None: hubs have no limit on places


def _number(value: Any, what: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        raise PlannerInputError(f"{what}: enter a number from {low:g} to {high:g} (found {value!r}).")
    return number


def suggest_request(n_hubs: Any, objective: Any, threshold: Any, floor: Any, weight: Any,
                    keep_locked: Any, respect_places: Any = False, places: Any = None) -> SuggestRequest:
    """Read the controls; refuse anything out of range in words the planner can act on."""
    hubs = _number(n_hubs, "Number of hubs", 1, MAX_HUBS)
    if hubs != int(hubs):
        raise PlannerInputError(f"Number of hubs: enter a whole number (found {n_hubs!r}).")
    if objective not in OBJECTIVES:
        raise PlannerInputError("Aim: choose what the hubs should aim for.")
    return SuggestRequest(objective=cast(Objective, objective), n_hubs=int(hubs),
                          threshold_minutes=_number(threshold, "Time within reach", 1, 240),
                          weight=str(weight or "population"),
                          min_share_pct=_number(floor if objective == "equity p-median" else DEFAULT_FLOOR_PCT,
                                                "Fairness floor", 1, 100),
                          keep_locked=bool(keep_locked),
                          places_per_hub=(_number(places, "Places at each new hub", 1, 100_000)
                                          if respect_places else None))


# ---------------------------------------------------------------------------------------
# The job: request + plan -> the suggestion as store data
# ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=6)
def candidates_for(folder: str, mode: Mode) -> pd.DataFrame:
    """The candidate sites for a locality and mode (the same set the analyst's matrix job builds)."""
    locality = data_access.locality_for(folder)
    return candidate_sites(locality.areas, router_for(folder, mode).graph, towns=locality.towns,
                           services=locality.services, n_lattice=DEFAULT_LATTICE)


def suggestion_job(request: SuggestRequest, plan_data: Any, mode: Any, folder: str, *,
                   cache_dir: Path | None = None, time_limit_seconds: float = SOLVE_SECONDS,
                   progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Suggest hubs for the plan and locality; return what ``ids.SUGGESTION`` holds."""
    travel: Mode = mode if mode in MODES else DEFAULT_MODE
    plan = scenario_from_dict(plan_data)
    kept = [h for h in plan.hubs if h.locked] if request.keep_locked else []
    suggestion = suggest_hubs(
        router_for(folder, travel), data_access.locality_for(folder).areas, candidates_for(folder, travel),
        weights_for(folder), objective=request.objective, n_hubs=request.n_hubs,
        threshold_minutes=request.threshold_minutes, weight=request.weight, min_share_pct=request.min_share_pct,
        kept=kept, current=plan.hubs, cache_dir=cache_dir, time_limit_seconds=time_limit_seconds, progress=progress,
        places=None if request.places_per_hub is None else Places(request.places_per_hub, people_today(folder)))
    data = suggestion_data(suggestion, travel, keep_locked=request.keep_locked)
    if request.places_per_hub is not None:
        data["places_note"] = (f"No hub takes more than its places ({request.places_per_hub:,.0f} at each new hub): "
                               f"the {people_today(folder):,.0f} people using day services today, spread over the "
                               "areas by who counts, each area wholly at one hub.")
    data["travel_words"] = travel_mode(folder, travel).words  # "by public transport", as the planner says it
    return data


@functools.lru_cache(maxsize=6)
def people_today(folder: str) -> float:
    """The people using the locality's day services today: whom the hubs' places are for."""
    return float(data_access.locality_for(folder).services["clients"].sum())


def default_places() -> float:
    """Places at a new hub: its support workers times the people each supports (the assumptions)."""
    table = default_assumptions()
    return float(table["hub_workers_per_hub"] * table["hub_people_per_worker"])


def hubs_the_budget_allows(plan: ScenarioContent, folder: str, *, keep_locked: bool) -> tuple[int, float]:
    """How many hubs the plan's budget pays for, with its other money as it is; and the budget."""
    locality = data_access.locality_for(folder)
    kept = tuple(h for h in plan.hubs if h.locked) if keep_locked else ()
    town = locality.towns.loc[locality.towns["is_biggest"]].geometry.iloc[0]
    template = Hub(hub_id="template", name="New hub", x=float(town.x), y=float(town.y))
    budget = budget_gbp(plan.money, today_ledger(folder).current_gbp)
    count = hubs_within_budget(plan, kept, template, budget_gbp=budget, most=MAX_HUBS,
                               plan_cost_gbp=lambda p: costed_plan(folder, p).ledger.plan_gbp)
    return count, budget


def suggestion_data(suggestion: Suggestion, mode: Mode, *, keep_locked: bool) -> dict[str, Any]:
    """The suggestion as small JSON for the browser's store."""
    data = dataclasses.asdict(suggestion)
    data.update(certificate=suggestion.certificate, mode=mode, keep_locked=keep_locked)
    return data


def sites_from_data(data: Any) -> tuple[SuggestedSite, ...]:
    """The suggested sites held in the store (refused with a plain message if it is not a suggestion)."""
    try:
        return tuple(SuggestedSite(
            site_id=str(s["site_id"]), name=str(s["name"]), kind=str(s["kind"]), x=float(s["x"]),
            y=float(s["y"]), reason=str(s.get("reason", "")),
            kept_hub_id=None if s.get("kept_hub_id") is None else str(s["kept_hub_id"]),
        ) for s in data["sites"])
    except (TypeError, KeyError, ValueError) as error:
        raise PlannerInputError("There is no suggestion to use: ask for one first.") from error


# ---------------------------------------------------------------------------------------
# Builders: suggestion data -> components
# ---------------------------------------------------------------------------------------
def ghost_markers(data: Any) -> list[Any]:
    """Suggested sites as numbered, dashed, see-through markers, each with its own accessible name."""
    markers = []
    for number, site in zip(GHOST_NUMBERS, sites_from_data(data), strict=False):
        title = f"Suggested site: {site.name}"
        markers.append(dl.DivMarker(
            **QUIET,
            id={"type": "suggested-site", "site": site.site_id},
            position=latlon(site.x, site.y), title=title, alt=title, keyboard=True, zIndexOffset=500,
            iconOptions={"html": f'<div class="ghost-icon"><span>{number}</span></div>', "className": "ghost-marker",
                         "iconSize": [46, 46], "iconAnchor": [23, 23]},
            children=dl.Tooltip(f"{number}. {title}" + (" (a locked hub, kept)" if site.kept_hub_id else "")),
        ))
    return markers


def figures(data: dict[str, Any]) -> html.Dl:
    who = WEIGHT_LABELS.get(data["weight"], GROUP_LABELS.get(data["weight"], data["weight"])).split(":")[0]
    rows = [
        ("Average journey", f"{data['mean_minutes']:.1f} minutes ({who.lower()})"),
        (f"Within {data['threshold_minutes']:g} minutes", f"{data['share_within_pct']:.0f}%"),
        ("Longest journey", f"{data['max_minutes']:.0f} minutes"),
        ("How good", f"{data['certificate'][0].upper()}{data['certificate'][1:]}"),
    ]
    return html.Dl(className="suggest-figures mb-2", children=[
        part for term, value in rows for part in (html.Dt(term), html.Dd(value))])


def result_view(data: Any) -> list[Any]:
    """The suggestion's heading, figures and, for each site, why it is there."""
    if not isinstance(data, dict):
        return []
    sites = sites_from_data(data)
    label = OBJECTIVES.get(data.get("objective", ""), ("", ""))[0]
    items = [html.Li([html.Strong(f"{number}. {site.name}"), html.Span(" (kept)" if site.kept_hub_id else ""),
                      html.Br(), html.Span(site.reason.capitalize() + ".", className="small")])
             for number, site in zip(GHOST_NUMBERS, sites, strict=False)]
    mode = str(data.get("travel_words", ""))
    return [
        html.H3(f"Suggested: {len(sites)} hubs", className="h6 mb-1"),
        html.P(f"Aim: {label}. Journeys {mode}. Shown on the map as dashed circles numbered 1, 2, 3...",
               className="small mb-2"),
        figures(data),
        html.P(str(data["places_note"]), className="small mb-2") if data.get("places_note") else None,
        html.Ol(items, className="suggest-sites list-unstyled mb-2"),
    ]


def alert(message: str, colour: str) -> dbc.Alert:
    return dbc.Alert(message, color=colour, className="mb-0 mt-2")


def objective_options() -> list[dict[str, Any]]:
    return [{"label": html.Span([html.Span(label, className="fw-semibold"), html.Br(),
                                 html.Span(note, className="small text-muted")]), "value": key}
            for key, (label, note) in OBJECTIVES.items()]


def weight_options(folder: str) -> list[dict[str, str]]:
    return [{"label": WEIGHT_LABELS.get(g, f"Only {GROUP_LABELS[g].lower()}" if g in GROUP_LABELS else g),
             "value": g} for g in weights_for(folder).groups]


def layout(folder: str) -> dbc.Card:
    """The suggest card: what to ask for, the job's progress, and the answer to use or discard."""
    return dbc.Card(className="panel-card", id=ids.SUGGEST_CARD, children=[
        dbc.CardHeader(html.H2("Suggest placements", className="h5 mb-0")),
        dbc.CardBody([
            dcc.Store(id=ids.SUGGESTION, data=None),
            html.P(className="small", children=(
                "Let the planner propose where hubs should go. It compares about 300 possible sites (points on "
                "the road network, town centres and today's services) and proves how close its answer is to the "
                "best possible.")),
            html.Div(className="d-flex flex-wrap gap-3", children=[
                html.Div([dbc.Label("Number of hubs", html_for=ids.SUGGEST_N_HUBS, className="mb-1"),
                          dbc.Input(id=ids.SUGGEST_N_HUBS, type="number", min=1, max=MAX_HUBS, step=1,
                                    value=DEFAULT_N_HUBS, className="suggest-number")]),
                html.Div([dbc.Label("Within reach means (minutes)", html_for=ids.SUGGEST_THRESHOLD, className="mb-1"),
                          dbc.Input(id=ids.SUGGEST_THRESHOLD, type="number", min=1, max=240, step=1,
                                    value=DEFAULT_THRESHOLD_MIN, className="suggest-number")]),
            ]),
            dcc.Store(id=ids.SUGGEST_MONEY, data=None),
            dbc.Switch(id=ids.SUGGEST_BY_BUDGET, value=False, className="mt-2", persistence=True,
                       persistence_type="memory",
                       label="As many hubs as the budget allows (with the plan's other money as it is)"),
            html.P(id=ids.SUGGEST_BUDGET_NOTE, className="small mb-1", **attrs({"aria-live": "polite"})),
            dbc.Switch(id=ids.SUGGEST_RESPECT_PLACES, value=False, className="mt-1",
                       label="No hub over its places (shortest-average-journey aim)"),
            html.Div([dbc.Label("Places at each new hub (people at once)", html_for=ids.SUGGEST_PLACES,
                                className="mb-1"),
                      dbc.Input(id=ids.SUGGEST_PLACES, type="number", min=1, max=100_000, step=1,
                                value=default_places(), className="suggest-number")]),
            html.Fieldset(className="mt-2", children=[
                html.Legend("Aim", className="fs-6 fw-semibold mb-1"),
                dbc.RadioItems(id=ids.SUGGEST_OBJECTIVE, options=objective_options(), value="p-median",
                               className="suggest-objectives"),
            ]),
            dbc.Label("Fairness floor: at least this % of every group within reach (fairness-floor aim only)",
                      html_for=ids.SUGGEST_FLOOR, className="mt-2 mb-1"),
            dbc.Input(id=ids.SUGGEST_FLOOR, type="number", min=1, max=100, step=1, value=DEFAULT_FLOOR_PCT,
                      className="suggest-number"),
            dbc.Label("Who counts", html_for=ids.SUGGEST_WEIGHT, className="mt-2 mb-1"),
            dbc.Select(id=ids.SUGGEST_WEIGHT, options=weight_options(folder), value="population"),
            dbc.Switch(id=ids.SUGGEST_KEEP_LOCKED, value=True, className="mt-2",
                       label="Keep locked hubs where they are (they count towards the number of hubs)"),
            # While it runs the button is disabled, and once a suggestion is used or discarded its buttons
            # hide: focus then goes to the message that says what happened (assets/a11y.js), not the page.
            html.Div(dbc.Button("Suggest placements", id=ids.SUGGEST_RUN, color="primary", className="mt-2"),
                     **attrs({"data-focus-home": f"#{ids.SUGGEST_MESSAGE}"})),
            html.Div(id=ids.SUGGEST_PROGRESS_BOX, hidden=True, className="mt-2", children=[
                html.Span("Progress of the suggestion", className="visually-hidden"),
                dbc.Progress(id=ids.SUGGEST_PROGRESS, value=0, striped=True, animated=True,
                             className="suggest-progress"),
                html.Div(className="d-flex align-items-center gap-2 mt-1", children=[
                    html.Span(id=ids.SUGGEST_PROGRESS_TEXT, className="small", role="status"),
                    dbc.Button("Cancel", id=ids.SUGGEST_CANCEL, color="secondary", outline=True, size="sm"),
                ]),
            ]),
            html.Div(id=ids.SUGGEST_MESSAGE, **attrs({"aria-live": "polite"})),
            html.Div(id=ids.SUGGEST_RESULT, className="suggest-result mt-2", **attrs({"aria-live": "polite"})),
            html.Div(id=ids.SUGGEST_ACTIONS, hidden=True, **attrs({"data-focus-home": f"#{ids.SUGGEST_MESSAGE}"}),
                     children=html.Div(className="d-flex gap-2", children=[
                dbc.Button("Use these hubs", id=ids.SUGGEST_USE, color="primary"),
                dbc.Button("Discard", id=ids.SUGGEST_DISCARD, color="secondary", outline=True),
            ])),  # the flex box inside: Bootstrap's d-flex would override "hidden"
        ]),
    ])


# ---------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------
def progress_text(percent: int) -> str:
    if percent < 10:
        return "Working out journey times to every possible site..."
    return "Searching for the best sites and proving how good they are..."


def job_failed(error: Exception) -> list[Any]:
    """A job that died or a fault in the planner: a plain message; the details go to the log."""
    refused = limits.refusal(error)  # not let start: too many jobs running
    if refused is not None:
        return [no_update, alert(refused, "warning")]
    text = str(error)
    for reason in (WORKER_LOST, NO_WORKER, CANCELLED):
        if reason in text:
            return [no_update, alert(f"{reason} The plan has not changed: please ask again.", "warning")]
    logger.error("suggestion job failed", exc_info=error)
    return [no_update, alert("The suggestion stopped because of a fault in the planner; the plan has not changed. "
                             "The details are in the server's log.", "danger")]


@CALLBACKS.callback(Output(ids.SUGGESTION, "data"), Output(ids.SUGGEST_MESSAGE, "children"),
                    Input(ids.SUGGEST_RUN, "n_clicks"),
                    State(ids.SUGGEST_N_HUBS, "value"), State(ids.SUGGEST_OBJECTIVE, "value"),
                    State(ids.SUGGEST_THRESHOLD, "value"), State(ids.SUGGEST_FLOOR, "value"),
                    State(ids.SUGGEST_WEIGHT, "value"), State(ids.SUGGEST_KEEP_LOCKED, "value"),
                    State(ids.SUGGEST_RESPECT_PLACES, "value"), State(ids.SUGGEST_PLACES, "value"),
                    State(ids.PLAN, "data"), State(ids.TRAVEL_MODE, "value"),
                    background=True, prevent_initial_call=True, on_error=job_failed,
                    progress=[Output(ids.SUGGEST_PROGRESS, "value"), Output(ids.SUGGEST_PROGRESS, "label"),
                              Output(ids.SUGGEST_PROGRESS_TEXT, "children")],
                    progress_default=[0, "", ""],
                    running=[(Output(ids.SUGGEST_RUN, "disabled"), True, False),
                             (Output(ids.SUGGEST_PROGRESS_BOX, "hidden"), False, True)],
                    cancel=[Input(ids.SUGGEST_CANCEL, "n_clicks")])
def suggest(set_progress: Callable[[tuple[int, str, str]], None], _clicks: Clicks, n_hubs: Any, objective: Any,
            threshold: Any, floor: Any, weight: Any, keep_locked: Any, respect_places: Any, places: Any,
            plan_data: Any, mode: Any) -> tuple[Any, Any]:
    shown: list[int] = []

    def progress(done: int, total: int) -> None:
        percent = round(100 * done / total) if total else 100
        if not shown or percent > shown[-1]:  # only when the bar moves: each report is a cache write
            shown.append(percent)
            set_progress((percent, f"{percent}%", progress_text(percent)))

    return answer((n_hubs, objective, threshold, floor, weight, keep_locked, respect_places, places), plan_data, mode,
                  data_access.current_folder(), cache_dir=current_settings().cache_folder / "matrices",
                  progress=progress)


def answer(controls: tuple[Any, ...], plan_data: Any, mode: Any, folder: str, *, cache_dir: Path | None = None,
           progress: Callable[[int, int], None] | None = None) -> tuple[Any, Any]:
    """The suggestion's store data and message; a request the planner refuses gets its message, never a trace."""
    try:
        return suggestion_job(suggest_request(*controls), plan_data, mode, folder, cache_dir=cache_dir,
                              progress=progress), None
    except InfeasibleRequestError as error:
        return None, alert(f"No placement can meet this request: {error}. Try a longer time, a lower fairness "
                           "floor or more hubs.", "warning")
    except PlannerError as error:
        return None, alert(str(error), "warning")


# The plan's money as a key, in the browser (assets/money.js): it changes only when the money does,
# so a hub drag asks the server nothing here.
CALLBACKS.clientside_callback(
    ClientsideFunction(namespace="dspMoney", function_name="moneyKey"),
    Output(ids.SUGGEST_MONEY, "data"), Input(ids.PLAN, "data"), State(ids.SUGGEST_MONEY, "data"),
)


@CALLBACKS.callback(Output(ids.SUGGEST_N_HUBS, "value"), Output(ids.SUGGEST_N_HUBS, "disabled"),
                    Output(ids.SUGGEST_BUDGET_NOTE, "children"),
                    Input(ids.SUGGEST_BY_BUDGET, "value"), Input(ids.SUGGEST_MONEY, "data"),
                    Input(ids.SUGGEST_KEEP_LOCKED, "value"), State(ids.PLAN, "data"), prevent_initial_call=True)
def hubs_by_budget(by_budget: Any, _money: Any, keep_locked: Any, plan_data: Any) -> tuple[Any, bool, Any]:
    """With "as many hubs as the budget allows" on, the number of hubs follows the plan's budget."""
    if not by_budget:
        return no_update, False, ""
    try:
        count, budget = hubs_the_budget_allows(scenario_from_dict(plan_data), data_access.current_folder(),
                                               keep_locked=bool(keep_locked))
    except PlannerError as error:
        return no_update, False, f"The budget's hubs could not be counted: {error}"
    if count < 1:
        return 1, True, (f"The budget of {pounds(budget)} a year does not pay for a hub on top of the plan's other "
                         "money; suggesting 1 hub anyway. Raise the budget or free money elsewhere.")
    return count, True, (f"The budget of {pounds(budget)} a year pays for {count} hub{'s' if count != 1 else ''} "
                         "with the plan's other money as it is.")


@CALLBACKS.callback(Output(ids.SUGGEST_MESSAGE, "children", allow_duplicate=True),
                    Input(ids.SUGGEST_CANCEL, "n_clicks"), prevent_initial_call=True)
def cancelled(_clicks: Any) -> Any:
    return alert("Stopped. The plan has not changed.", "info")


@CALLBACKS.callback(Output(ids.SUGGESTED_SITES, "children"), Output(ids.SUGGEST_RESULT, "children"),
                    Output(ids.SUGGEST_ACTIONS, "hidden"), Input(ids.SUGGESTION, "data"),
                    prevent_initial_call=True)  # no suggestion when the page opens
def show_suggestion(data: Any) -> tuple[list[Any], list[Any], bool]:
    if not isinstance(data, dict):
        return [], [], True
    return ghost_markers(data), result_view(data), False


def use_or_discard(trigger: str, data: Any, plan_data: Any, history_data: Any) -> tuple[Any, Any, Any, Any, Any]:
    """Plan, history, plan status, suggestion and message after "Use these hubs" or "Discard"."""
    if trigger == ids.SUGGEST_DISCARD:
        return no_update, no_update, no_update, None, alert("Suggestion discarded; the plan has not changed.", "info")
    try:
        plan = accept_suggestion(scenario_from_dict(plan_data), sites_from_data(data))
    except PlannerError as error:
        return no_update, no_update, no_update, no_update, alert(str(error), "warning")
    message = f"Using the {len(plan.hubs)} suggested hubs. Undo brings back the previous ones."
    return scenario_to_dict(plan), history.record(history_data, plan_data), message, None, alert(message, "success")


@CALLBACKS.callback(Output(ids.PLAN, "data", allow_duplicate=True),
                    Output(ids.PLAN_HISTORY, "data", allow_duplicate=True),
                    Output(ids.PLAN_STATUS, "children", allow_duplicate=True),
                    Output(ids.SUGGESTION, "data", allow_duplicate=True),
                    Output(ids.SUGGEST_MESSAGE, "children", allow_duplicate=True),
                    Input(ids.SUGGEST_USE, "n_clicks"), Input(ids.SUGGEST_DISCARD, "n_clicks"),
                    State(ids.SUGGESTION, "data"), State(ids.PLAN, "data"), State(ids.PLAN_HISTORY, "data"),
                    prevent_initial_call=True)
def choose(_use: Clicks, _discard: Clicks, data: Any, plan_data: Any,
           history_data: Any) -> tuple[Any, Any, Any, Any, Any]:
    return use_or_discard(str(ctx.triggered_id), data, plan_data, history_data)


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
