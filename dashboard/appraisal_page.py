"""Options appraisal for the steering group: criteria and weights, participants, scores, results.

The options are saved scenarios the person may see. The whole appraisal lives in the
browser's session (``dcc.Store`` holding ``geo.appraisal.appraisal_to_dict``) and can be
downloaded as JSON and loaded again; every change goes through ``geo.appraisal``, which
keeps the conflict-of-interest rule: nobody scores an option that closes or changes a
service they use.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import data_access, ids
from dashboard.attrs import attrs
from dashboard.auth import current_user
from dashboard.callbacks import CallbackRegistry, Clicks, Stored
from dashboard.charts import CATEGORICAL, base_layout, plotly_text
from dashboard.routes import page_route
from dashboard.scenario_figures import scenario_options
from dashboard.store_access import scenario_store
from geo.appraisal import (
    MAX_SCORE,
    MIN_SCORE,
    Appraisal,
    AppraisalResults,
    Option,
    Participant,
    add_criterion,
    appraisal_from_dict,
    appraisal_results,
    appraisal_to_dict,
    declare_services,
    eligible_options,
    new_appraisal,
    option_from_scenario,
    record_score,
    remove_criterion,
    set_weight,
)
from geo.errors import PlannerError, PlannerInputError
from geo.locality import Locality

CALLBACKS = CallbackRegistry()
MAX_WEIGHT = 10.0
MAX_UPLOAD_BYTES = 1_000_000
RULE_SENTENCE = ("Under the conflict-of-interest rule, nobody scores an option that closes or changes "
                 "a service they use themselves.")


# ---------------------------------------------------------------------------------------
# Changes: the appraisal in the browser -> a new appraisal
# ---------------------------------------------------------------------------------------
def appraisal_or_new(data: object | None) -> Appraisal:
    """The appraisal in the browser's store, or a fresh one with the four built-in criteria."""
    return new_appraisal((), ()) if not data else appraisal_from_dict(data)


def with_options(appraisal: Appraisal, options: Sequence[Option]) -> Appraisal:
    """Replace the options, keeping scores of options still there that the rule still allows."""
    by_id = {option.option_id: option for option in options}
    people = {p.participant_id: p for p in appraisal.participants}
    kept = tuple(s for s in appraisal.scores if s.option_id in by_id
                 and not people[s.participant_id].services_used & by_id[s.option_id].changed_services)
    return dataclasses.replace(appraisal, options=tuple(options), scores=kept)


def add_participant(appraisal: Appraisal, name: str | None, services_used: Sequence[str] | None) -> Appraisal:
    """Add a participant with the next free id (p1, p2, ...) and the services they declare."""
    if not name or not name.strip():
        raise PlannerInputError("participant name: type the person's name (or a role, such as 'Service user 1')")
    used = {p.participant_id for p in appraisal.participants}
    number = next(n for n in range(1, len(used) + 2) if f"p{n}" not in used)
    person = Participant(f"p{number}", " ".join(name.split())[:80], frozenset(services_used or ()))
    return dataclasses.replace(appraisal, participants=(*appraisal.participants, person))


def record_sheet(appraisal: Appraisal, participant_id: str, cells: Sequence[tuple[dict[str, str], Any]]) -> Appraisal:
    """Record one participant's score sheet: (input id, value) pairs; empty boxes stay unscored."""
    for cell_id, value in cells:
        if value is None or value == "":
            continue
        appraisal = record_score(appraisal, participant_id, cell_id["option"], cell_id["criterion"], float(value))
    return appraisal


def shape_of(appraisal: Appraisal) -> dict[str, Any]:
    """What the forms are drawn from: everything but weights and scores (those change in place)."""
    data = appraisal_to_dict(appraisal)
    return {"criteria": [[c["key"], c["label"], c["built_in"]] for c in data["criteria"]],
            "options": data["options"], "participants": data["participants"]}


def changed(data: object | None, change: Callable[[Appraisal], Appraisal],
            done: str) -> tuple[Any, Any]:
    """Apply ``change`` to the stored appraisal: (new JSON, message), or (no_update, the reason)."""
    try:
        before = appraisal_or_new(data)
        after = change(before)
    except PlannerError as error:
        return no_update, str(error)
    if after == before:
        return no_update, no_update
    return appraisal_to_dict(after), done


# ---------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------
def dom_id(component_id: dict[str, str]) -> str:
    """The id Dash gives a pattern-matching component in the page, for a label's ``htmlFor``."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def service_options(locality: Locality) -> list[dict[str, str]]:
    services = locality.services
    return [{"label": f"{name} ({sid})", "value": sid}
            for sid, name in zip(services["service_id"], services["name"], strict=True)]


def service_names(locality: Locality, service_ids: Sequence[str]) -> str:
    names = dict(zip(locality.services["service_id"], locality.services["name"], strict=True))
    return ", ".join(names.get(sid, sid) for sid in sorted(service_ids)) or "none declared"


def options_picker(appraisal: Appraisal, choices: list[dict[str, str]]) -> list[Any]:
    """The scenarios to appraise; options loaded from a file but not among ``choices`` stay listed."""
    known = {choice["value"] for choice in choices}
    extra = [{"label": o.name, "value": o.option_id} for o in appraisal.options if o.option_id not in known]
    return [dbc.Label("Saved scenarios to appraise", html_for=ids.APPRAISAL_OPTIONS),
            dcc.Dropdown(id=ids.APPRAISAL_OPTIONS, options=choices + extra, multi=True,
                         value=[o.option_id for o in appraisal.options], placeholder="Choose the options")]


def criteria_editor(appraisal: Appraisal) -> list[Any]:
    rows = []
    for criterion in appraisal.criteria:
        weight_id = {"type": ids.APPRAISAL_WEIGHT, "key": criterion.key}
        remove = None if criterion.built_in else dbc.Button(
            "Remove", id={"type": ids.APPRAISAL_REMOVE_CRITERION, "key": criterion.key}, color="link", size="sm",
            title=f"Remove the criterion {criterion.label}")
        rows.append(html.Li(className="criterion-row", children=[
            html.Label(criterion.label, htmlFor=dom_id(weight_id), className="criterion-label"),
            dcc.Input(id=weight_id, type="number", min=0, max=MAX_WEIGHT, step=0.5, value=criterion.weight,
                      className="form-control weight-input"),
            remove,
        ]))
    return [html.Ul(rows, className="list-unstyled criteria-list mb-2")]


def participants_list(appraisal: Appraisal, locality: Locality) -> Any:
    if not appraisal.participants:
        return html.P("Nobody added yet.", className="text-muted")
    return html.Ul([html.Li([html.Strong(p.name), f": uses {service_names(locality, sorted(p.services_used))}"])
                    for p in appraisal.participants], className="participants-list")


def score_sheet(appraisal: Appraisal, participant_id: str | None, locality: Locality) -> list[Any]:
    """The chosen participant's score boxes for the options they may score, and why others are not offered."""
    if not appraisal.participants or not participant_id:
        return [html.P("Add a participant, then choose them here to enter their scores.", className="text-muted")]
    person = appraisal.participant(participant_id)
    allowed = eligible_options(appraisal, participant_id)
    barred = [o for o in appraisal.options if o not in allowed]
    given = {(s.option_id, s.criterion_key): s.score for s in appraisal.scores if s.participant_id == participant_id}
    parts: list[Any] = [
        dbc.Label(f"Services {person.name} uses (declare them before scoring)", html_for=ids.APPRAISAL_SCORER_SERVICES),
        dcc.Dropdown(id=ids.APPRAISAL_SCORER_SERVICES, options=service_options(locality), multi=True,
                     value=sorted(person.services_used), placeholder="None"),
    ]
    if barred:
        parts.append(dbc.Alert(className="mt-2 mb-2 rule-note", color="info", children=(
            f"{RULE_SENTENCE} {person.name} uses {service_names(locality, sorted(person.services_used))}, so is "
            f"not asked to score {', '.join(o.name for o in barred)}.")))
    if not allowed:
        parts.append(html.P("There is nothing for this person to score.", className="mt-2"))
        return parts
    head = [html.Th("Option", scope="col")] + [html.Th(c.label.split(":")[0], scope="col")
                                                  for c in appraisal.criteria]
    rows = []
    for option in allowed:
        cells: list[Any] = [html.Th(option.name, scope="row")]
        for criterion in appraisal.criteria:
            cell_id = {"type": ids.APPRAISAL_SCORE, "option": option.option_id, "criterion": criterion.key}
            cells.append(html.Td([
                html.Label(f"{option.name}, {criterion.label.split(':')[0]}: score from 0 to 10",
                           htmlFor=dom_id(cell_id), className="visually-hidden"),
                dcc.Input(id=cell_id, type="number", min=MIN_SCORE, max=MAX_SCORE, step=0.5,
                          value=given.get((option.option_id, criterion.key)), className="form-control score-input"),
            ]))
        rows.append(html.Tr(cells))
    parts += [
        html.Table(className="table table-sm score-table mt-2", children=[
            html.Caption(f"{person.name}'s scores: 0 (very poor) to 10 (excellent). Leave a box empty "
                         "if not scored yet."),
            html.Thead(html.Tr(head)), html.Tbody(rows)]),
        dbc.Button("Save these scores", id=ids.APPRAISAL_SAVE_SCORES, color="primary"),
    ]
    return parts


def totals_figure(results: AppraisalResults) -> go.Figure:
    """Weighted totals as bars, with the range between participants as whiskers."""
    totals = results.totals.dropna(subset=["weighted_total"]).sort_values("weighted_total")
    figure = go.Figure(go.Bar(
        x=totals["weighted_total"], y=[plotly_text(name) for name in totals["name"]], orientation="h",
        marker_color=CATEGORICAL[0],
        text=[f"{v:.1f}" for v in totals["weighted_total"]], textposition="inside", insidetextanchor="start",
        error_x={"type": "data", "symmetric": False, "color": "#111111", "thickness": 2, "width": 8,
                 "array": totals["max_total"] - totals["weighted_total"],
                 "arrayminus": totals["weighted_total"] - totals["min_total"]},
        hovertemplate="%{y}: %{x:.1f} out of 10<extra></extra>",
    ))
    figure.update_xaxes(range=[0, MAX_SCORE], title="weighted score out of 10; the whisker spans lowest to highest",
                        showgrid=True, gridcolor="#e3e3e3")
    figure.update_yaxes(automargin=True)
    return base_layout(figure, title="Weighted totals", height=110 + 46 * len(totals))


def _number(value: object, pattern: str) -> str:
    return "-" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) \
        else pattern.format(value)


def totals_table(results: AppraisalResults) -> html.Table:
    rows = []
    for row in results.totals.sort_values(["rank", "name"], na_position="last").itertuples():
        rows.append(html.Tr([
            html.Td(_number(row.rank, "{}")), html.Th(str(row.name), scope="row"),
            html.Td(_number(row.weighted_total, "{:.1f}")),
            html.Td(f"{_number(row.min_total, '{:.1f}')} to {_number(row.max_total, '{:.1f}')}"),
            html.Td(_number(row.sd_total, "{:.1f}")),
            html.Td(str(row.n_participants)), html.Td(str(row.n_conflicted)),
        ]))
    return html.Table(className="table table-sm results-table", children=[
        html.Caption("Totals are the average of the participants' weighted scores, out of 10."),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "Rank", "Option", "Weighted total", "Range between participants", "Spread (standard deviation)",
            "Complete score sheets", "Not scoring (conflict of interest)")])),
        html.Tbody(rows),
    ])


def sensitivity_table(appraisal: Appraisal, results: AppraisalResults) -> list[Any]:
    """The ranking with each weight halved and raised by half, marking where it changes."""
    change = results.weight_change
    labels = {c.key: c.label.split(":")[0] for c in appraisal.criteria}
    names = {o.option_id: o.name for o in appraisal.options}
    sensitivity = results.sensitivity
    rows = []
    for key in dict.fromkeys(sensitivity["criterion_key"]):
        cells: list[Any] = [html.Th(labels[key], scope="row")]
        for factor in (1 - change, 1 + change):
            part = sensitivity[(sensitivity["criterion_key"] == key) & (sensitivity["weight_factor"] == factor)]
            ranked = sorted((r, names[o]) for r, o in zip(part["rank"], part["option_id"], strict=True)
                            if r is not pd.NA)
            moved = bool((part["rank_change"].fillna(0) != 0).any())
            text = ", ".join(f"{rank}. {name}" for rank, name in ranked)
            cells.append(html.Td([html.Strong("Changes: ") if moved else "Same: ", text],
                                 className="rank-moved" if moved else "rank-same"))
        rows.append(html.Tr(cells))
    if results.ranking_is_stable:
        verdict = (f"The order holds whichever single weight is lowered or raised by {change:.0%}: "
                   "the result does not hang on the exact weights.")
    else:
        moved_names = ", ".join(names[o] for o in results.unstable_option_ids)
        verdict = (f"The order is sensitive to the weights: {moved_names} change places when a single weight "
                   f"is lowered or raised by {change:.0%}. Agree the weights before relying on the order.")
    return [
        html.P(verdict, className="lead-sentence"),
        html.Table(className="table table-sm sensitivity-table", children=[
            html.Caption("How the order changes with the weights"),
            html.Thead(html.Tr([html.Th("Weight of", scope="col"),
                                html.Th(f"lowered by {change:.0%}", scope="col"),
                                html.Th(f"raised by {change:.0%}", scope="col")])),
            html.Tbody(rows)]),
    ]


def results_view(appraisal: Appraisal) -> list[Any]:
    """Totals, spread and the weight sensitivity, or what is still missing."""
    if not appraisal.options:
        return [html.P("Choose the options (saved scenarios) to appraise first.", className="text-muted")]
    try:
        results = appraisal_results(appraisal)
    except PlannerInputError as error:
        return [dbc.Alert(str(error), color="warning")]
    if results.totals["weighted_total"].isna().all():
        return [html.P("No complete score sheet yet: a participant's scores count once they have scored an "
                       "option on every criterion with a weight above 0.", className="text-muted")]
    return [dcc.Graph(figure=totals_figure(results), config={"displayModeBar": False}),
            totals_table(results), *sensitivity_table(appraisal, results)]


@page_route("/appraise", "Appraise")
def appraisal_view(_query: dict[str, str]) -> html.Div:
    locality = data_access.current_locality()
    return html.Div(className="page appraisal-page", children=[
        dcc.Store(id=ids.APPRAISAL, storage_type="session"),
        dcc.Store(id=ids.APPRAISAL_SHAPE),
        dcc.Download(id=ids.APPRAISAL_DOWNLOAD),
        html.H2("Options appraisal", className="h3"),
        html.P("The steering group agrees what matters and how much (the criteria and their weights); each "
               "participant scores each option from 0 to 10 on each criterion. " + RULE_SENTENCE),
        html.Div(id=ids.APPRAISAL_STATUS, className="plan-status", role="status", **attrs({"aria-live": "polite"})),
        dbc.Row(className="g-3", children=[
            dbc.Col(md=6, children=dbc.Card(className="panel-card", children=[
                dbc.CardHeader(html.H3("1. Options", className="h5 mb-0")),
                dbc.CardBody([
                    html.Div(id=ids.APPRAISAL_OPTIONS_BOX),
                    html.P("An option counts as changing every existing service it does not keep as it is.",
                           className="small text-muted mt-1 mb-0"),
                ])])),
            dbc.Col(md=6, children=dbc.Card(className="panel-card", children=[
                dbc.CardHeader(html.H3("2. Criteria and weights", className="h5 mb-0")),
                dbc.CardBody([
                    html.P("A weight of 2 counts twice as much as 1; 0 leaves a criterion out.", className="small"),
                    html.Div(id=ids.APPRAISAL_CRITERIA),
                    dbc.Label("Add a criterion of the group's own", html_for=ids.APPRAISAL_NEW_CRITERION),
                    html.Div(className="d-flex gap-2", children=[
                        dbc.Input(id=ids.APPRAISAL_NEW_CRITERION, placeholder="For example: keeps a safe space",
                                  maxLength=80),
                        dbc.Button("Add", id=ids.APPRAISAL_ADD_CRITERION, color="secondary")]),
                ])])),
            dbc.Col(md=6, children=dbc.Card(className="panel-card", children=[
                dbc.CardHeader(html.H3("3. Participants", className="h5 mb-0")),
                dbc.CardBody([
                    html.Div(id=ids.APPRAISAL_PARTICIPANTS),
                    dbc.Label("Name", html_for=ids.APPRAISAL_NEW_NAME),
                    dbc.Input(id=ids.APPRAISAL_NEW_NAME, maxLength=80, placeholder="Name or role"),
                    dbc.Label("Services they use", html_for=ids.APPRAISAL_NEW_SERVICES, className="mt-2"),
                    dcc.Dropdown(id=ids.APPRAISAL_NEW_SERVICES, options=service_options(locality), multi=True,
                                 placeholder="None"),
                    dbc.Button("Add participant", id=ids.APPRAISAL_ADD_PARTICIPANT, color="secondary",
                               className="mt-2"),
                ])])),
            dbc.Col(md=6, children=dbc.Card(className="panel-card", children=[
                dbc.CardHeader(html.H3("4. Scores", className="h5 mb-0")),
                dbc.CardBody([
                    dbc.Label("Whose scores", html_for=ids.APPRAISAL_SCORER),
                    dcc.Dropdown(id=ids.APPRAISAL_SCORER, clearable=False, placeholder="Choose a participant"),
                    html.Div(id=ids.APPRAISAL_SCORE_SHEET, className="mt-2"),
                ])])),
        ]),
        dbc.Card(className="panel-card mt-3", children=[
            dbc.CardHeader(html.H3("5. Results", className="h5 mb-0")),
            dbc.CardBody(html.Div(id=ids.APPRAISAL_RESULTS))]),
        html.Div(className="d-flex flex-wrap gap-2 mt-3 align-items-center", children=[
            dbc.Button("Download the appraisal (JSON)", id=ids.APPRAISAL_DOWNLOAD_BUTTON, color="secondary",
                       outline=True),
            dcc.Upload(id=ids.APPRAISAL_UPLOAD, accept=".json,application/json", max_size=MAX_UPLOAD_BYTES,
                       className="btn btn-outline-secondary", children="Load an appraisal (JSON)"),
            dbc.Button("Start again", id=ids.APPRAISAL_RESET, color="danger", outline=True),
        ]),
    ])


# ---------------------------------------------------------------------------------------
# Callbacks: each applies one change through geo.appraisal
# ---------------------------------------------------------------------------------------
def options_from_store(slugs: Sequence[str]) -> list[Option]:
    """Each picked scenario as an option, opened as the person asking (the store checks access)."""
    store, user = scenario_store(), current_user()
    options = []
    for slug in slugs:
        opened = store.open_version(user, slug)
        options.append(option_from_scenario(opened.scenario.slug, opened.scenario.title, opened.content))
    return options


def options_as_saved(appraisal: Appraisal) -> tuple[Appraisal, list[str]]:
    """The options re-read from the store as the person asking, and the names of those left out.

    What each option closes or changes is taken from its scenario's newest version, never from
    the browser or a loaded file, so the conflict-of-interest rule holds against what the
    scenario says now; scores the rule then bars are dropped, and options this person may not
    open (or that no longer exist) are left out.
    """
    store, user = scenario_store(), current_user()
    options, left_out = [], []
    for option in appraisal.options:
        try:
            opened = store.open_version(user, option.option_id)
        except PlannerError:
            left_out.append(option.name)
            continue
        options.append(option_from_scenario(opened.scenario.slug, opened.scenario.title, opened.content))
    return with_options(appraisal, options), left_out


def loaded_message(filename: str, before: Appraisal, after: Appraisal, left_out: Sequence[str]) -> str:
    message = f"Loaded {filename}."
    if left_out:
        message += f" Left out, as you may not open them or they no longer exist: {', '.join(left_out)}."
    dropped = len(before.scores) - len(after.scores)
    if dropped:
        message += (f" {dropped} score{'s' if dropped != 1 else ''} removed: the conflict-of-interest rule "
                    "bars them, or their option was left out.")
    return message


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True), Output(ids.APPRAISAL_STATUS, "children"),
                    Input(ids.APPRAISAL_OPTIONS, "value"), State(ids.APPRAISAL, "data"), prevent_initial_call=True)
def choose_options(slugs: list[str] | None, data: Stored) -> tuple[Any, Any]:
    if slugs is None or (not slugs and not appraisal_or_new(data).options):
        return no_update, no_update
    return changed(data, lambda a: with_options(a, options_from_store(slugs)), "Options updated.")


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input({"type": ids.APPRAISAL_WEIGHT, "key": ALL}, "value"), State(ids.APPRAISAL, "data"),
                    prevent_initial_call=True)
def change_weight(_values: list[float | None], data: Stored) -> tuple[Any, Any]:
    trigger = ctx.triggered_id
    value = ctx.triggered[0]["value"] if ctx.triggered else None
    if not isinstance(trigger, dict) or value is None:
        return no_update, no_update
    return changed(data, lambda a: set_weight(a, trigger["key"], float(value)), "Weight changed.")


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Output(ids.APPRAISAL_NEW_CRITERION, "value"),
                    Input(ids.APPRAISAL_ADD_CRITERION, "n_clicks"), State(ids.APPRAISAL_NEW_CRITERION, "value"),
                    State(ids.APPRAISAL, "data"), prevent_initial_call=True)
def add_own_criterion(_clicks: Clicks, label: str | None, data: Stored) -> tuple[Any, Any, Any]:
    new, message = changed(data, lambda a: add_criterion(a, (label or "").strip()), f"Added: {label}.")
    return new, message, "" if new is not no_update else no_update


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input({"type": ids.APPRAISAL_REMOVE_CRITERION, "key": ALL}, "n_clicks"),
                    State(ids.APPRAISAL, "data"),
                    prevent_initial_call=True)
def remove_own_criterion(clicks: list[Clicks], data: Stored) -> tuple[Any, Any]:
    if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
        return no_update, no_update
    return changed(data, lambda a: remove_criterion(a, ctx.triggered_id["key"]), "Criterion removed.")


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Output(ids.APPRAISAL_NEW_NAME, "value"), Output(ids.APPRAISAL_NEW_SERVICES, "value"),
                    Input(ids.APPRAISAL_ADD_PARTICIPANT, "n_clicks"), State(ids.APPRAISAL_NEW_NAME, "value"),
                    State(ids.APPRAISAL_NEW_SERVICES, "value"), State(ids.APPRAISAL, "data"), prevent_initial_call=True)
def add_person(_clicks: Clicks, name: str | None, services: list[str] | None,
               data: Stored) -> tuple[Any, Any, Any, Any]:
    new, message = changed(data, lambda a: add_participant(a, name, services), f"Added {name}.")
    cleared = no_update if new is no_update else ""
    return new, message, cleared, [] if new is not no_update else no_update


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_SCORER_SERVICES, "value"), State(ids.APPRAISAL_SCORER, "value"),
                    State(ids.APPRAISAL, "data"), prevent_initial_call=True)
def declare(services: list[str] | None, participant_id: str | None, data: Stored) -> tuple[Any, Any]:
    if not participant_id:
        return no_update, no_update
    return changed(data, lambda a: declare_services(a, participant_id, services or []),
                   "Services declared; any scores the rule now bars were removed.")


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_SAVE_SCORES, "n_clicks"), State(ids.APPRAISAL_SCORER, "value"),
                    State({"type": ids.APPRAISAL_SCORE, "option": ALL, "criterion": ALL}, "value"),
                    State({"type": ids.APPRAISAL_SCORE, "option": ALL, "criterion": ALL}, "id"),
                    State(ids.APPRAISAL, "data"), prevent_initial_call=True)
def save_scores(clicks: Clicks, participant_id: str | None, values: list[Any], cell_ids: list[dict[str, str]],
                data: Stored) -> tuple[Any, Any]:
    if not clicks or not participant_id:
        return no_update, no_update
    sheet = list(zip(cell_ids, values, strict=True))
    new, message = changed(data, lambda a: record_sheet(options_as_saved(a)[0], participant_id, sheet), "Scores saved.")
    return new, "Scores saved (no change)." if message is no_update else message


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_UPLOAD, "contents"), State(ids.APPRAISAL_UPLOAD, "filename"),
                    prevent_initial_call=True)
def load_file(contents: str, filename: str) -> tuple[Any, str]:
    try:
        text = base64.b64decode(contents.partition(",")[2]).decode("utf-8")
        appraisal = appraisal_from_dict(json.loads(text))
        checked, left_out = options_as_saved(appraisal)
    except PlannerError as error:
        return no_update, f"{filename} was not loaded: {error}"
    except (ValueError, UnicodeDecodeError):
        return no_update, f"{filename} was not loaded: it is not an appraisal saved as JSON by this planner."
    return appraisal_to_dict(checked), loaded_message(filename, appraisal, checked, left_out)


@CALLBACKS.callback(Output(ids.APPRAISAL, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_RESET, "n_clicks"), State(ids.APPRAISAL, "data"), prevent_initial_call=True)
def start_again(_clicks: Clicks, data: Stored) -> tuple[dict[str, Any], str]:
    options = appraisal_or_new(data).options
    return appraisal_to_dict(new_appraisal(options, ())), "Started again with the same options."


@CALLBACKS.callback(Output(ids.APPRAISAL_DOWNLOAD, "data"), Input(ids.APPRAISAL_DOWNLOAD_BUTTON, "n_clicks"),
                    State(ids.APPRAISAL, "data"), prevent_initial_call=True)
def download(_clicks: Clicks, data: Stored) -> dict[str, str]:
    return {"content": json.dumps(appraisal_to_dict(appraisal_or_new(data)), indent=2),
            "filename": "options-appraisal.json", "type": "application/json"}


@CALLBACKS.callback(Output(ids.APPRAISAL_SHAPE, "data"), Input(ids.APPRAISAL, "data"),
                    State(ids.APPRAISAL_SHAPE, "data"))
def follow_shape(data: Stored, shape: Stored) -> Any:
    new = shape_of(appraisal_or_new(data))
    return no_update if new == shape else new


@CALLBACKS.callback(Output(ids.APPRAISAL_CRITERIA, "children"), Output(ids.APPRAISAL_PARTICIPANTS, "children"),
                    Output(ids.APPRAISAL_SCORER, "options"), Output(ids.APPRAISAL_SCORER, "value"),
                    Output(ids.APPRAISAL_OPTIONS_BOX, "children"),
                    Input(ids.APPRAISAL_SHAPE, "data"), State(ids.APPRAISAL, "data"),
                    State(ids.APPRAISAL_SCORER, "value"))
def draw_forms(_shape: Stored, data: Stored, scorer: str | None) -> tuple[Any, ...]:
    appraisal = appraisal_or_new(data)
    people = [{"label": p.name, "value": p.participant_id} for p in appraisal.participants]
    known = [p["value"] for p in people]
    scorer = scorer if scorer in known else (known[-1] if known else None)
    choices = scenario_options(scenario_store(), current_user(), with_current=False)
    return (criteria_editor(appraisal), participants_list(appraisal, data_access.current_locality()), people,
            scorer, options_picker(appraisal, choices))


@CALLBACKS.callback(Output(ids.APPRAISAL_SCORE_SHEET, "children"), Input(ids.APPRAISAL_SCORER, "value"),
                    Input(ids.APPRAISAL_SHAPE, "data"), State(ids.APPRAISAL, "data"))
def draw_score_sheet(scorer: str | None, _shape: Stored, data: Stored) -> list[Any]:
    return score_sheet(appraisal_or_new(data), scorer, data_access.current_locality())


@CALLBACKS.callback(Output(ids.APPRAISAL_RESULTS, "children"), Input(ids.APPRAISAL, "data"))
def draw_results(data: Stored) -> Any:
    return results_view(appraisal_or_new(data))


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
