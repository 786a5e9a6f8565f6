"""Options appraisal for the steering group, each person on their own device.

``/appraise`` lists the appraisals the person may open, lets a planner open a new one and
lets anyone join one with the code the facilitator reads out. ``/appraise/<name>`` shows the
facilitator the set-up (options from saved scenarios, criteria and weights, participants and
the services each declares using), the join code and the results; a participant says which
participant they are, then scores on their own screen. Everything is kept in the store
(:mod:`geo.workspace.appraisals`), which keeps every rule on the server: the conflict-of-
interest rule, seats, and that only the facilitator changes a declaration (each change is
recorded with who and when). In single-user mode the one person is the facilitator and
enters each participant's scores on this device.
"""

from __future__ import annotations

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
from dashboard.callbacks import CallbackRegistry, Clicks
from dashboard.charts import CATEGORICAL, base_layout, plotly_text
from dashboard.routes import page_route
from dashboard.scenario_figures import scenario_options
from dashboard.store_access import scenario_store
from geo.appraisal import (
    MAX_SCORE,
    MIN_SCORE,
    PARTICIPANT_GROUPS,
    Appraisal,
    AppraisalResults,
    Option,
    Participant,
    add_criterion,
    appraisal_results,
    eligible_options,
    new_appraisal,
    option_from_scenario,
    remove_criterion,
    scoring_warnings,
    set_weight,
)
from geo.errors import PlannerError, PlannerInputError
from geo.locality import Locality
from geo.workspace import appraisals
from geo.workspace.accounts import VISIBILITIES, can_create
from geo.workspace.appraisals import AppraisalState

CALLBACKS = CallbackRegistry()
PAGE = "/appraise"
MAX_WEIGHT = 10.0
REFRESH_MS = 3000  # the results follow others' scores this often
RULE_SENTENCE = ("Under the conflict-of-interest rule, nobody scores an option that closes or changes "
                 "a service they use themselves.")
VISIBILITY_LABELS = {"draft": "Draft: only me", "group": "The steering group (confidential)",
                     "public": "Public: anyone may read the results"}


# ---------------------------------------------------------------------------------------
# Changes: each is one call to the store, as the person asking
# ---------------------------------------------------------------------------------------
def with_options(appraisal: Appraisal, options: Sequence[Option]) -> Appraisal:
    """Replace the options, keeping scores of options still there that the rule still allows."""
    by_id = {option.option_id: option for option in options}
    people = {p.participant_id: p for p in appraisal.participants}
    kept = tuple(s for s in appraisal.scores if s.option_id in by_id
                 and not people[s.participant_id].services_used & by_id[s.option_id].changed_services)
    return appraisal.__class__(criteria=appraisal.criteria, options=tuple(options),
                               participants=appraisal.participants, scores=kept)


def add_participant(appraisal: Appraisal, name: str | None, services_used: Sequence[str] | None,
                    group: str | None = None) -> Appraisal:
    """Add a participant with the next free id (p1, p2, ...), the group they speak for and the services they use."""
    if not name or not name.strip():
        raise PlannerInputError("participant name: type the person's name (or a role, such as 'Service user 1')")
    used = {p.participant_id for p in appraisal.participants}
    number = next(n for n in range(1, len(used) + 2) if f"p{n}" not in used)
    person = Participant(f"p{number}", " ".join(name.split())[:80], frozenset(services_used or ()), group or "")
    return appraisal.__class__(criteria=appraisal.criteria, options=appraisal.options,
                               participants=(*appraisal.participants, person), scores=appraisal.scores)


def sheet_cells(cells: Sequence[tuple[dict[str, str], Any]]) -> list[tuple[str, str, float]]:
    """A score sheet's boxes as (option, criterion, score); empty boxes stay unscored."""
    found = []
    for cell_id, value in cells:
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PlannerInputError(f"score: expected a number from {MIN_SCORE:g} to {MAX_SCORE:g}, "
                                    f"found {value!r:.20}") from None
        found.append((str(cell_id["option"]), str(cell_id["criterion"]), number))
    return found


def options_from_store(slugs: Sequence[str]) -> list[Option]:
    """Each picked scenario as an option, opened as the person asking (the store checks access)."""
    store, user = scenario_store(), current_user()
    options = []
    for slug in slugs:
        opened = store.open_version(user, slug)
        options.append(option_from_scenario(opened.scenario.slug, opened.scenario.title, opened.content))
    return options


def run(action: Callable[[], AppraisalState], done: str) -> tuple[Any, str]:
    """Do ``action``; return (a redraw token, message) or (no_update, the reason it was refused)."""
    try:
        state = action()
    except PlannerError as error:
        return no_update, f"Not done: {error}"
    return state.record.updated_at.isoformat() + done, done


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
    """The scenarios to appraise; options the person can no longer open stay listed."""
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
                      debounce=True, className="form-control weight-input"),
            remove,
        ]))
    return [html.Ul(rows, className="list-unstyled criteria-list mb-2")]


def participant_line(person: Participant, state: AppraisalState, locality: Locality) -> list[Any]:
    seat = state.seats.get(person.participant_id)
    return [html.Strong(person.name), f" ({person.group})" if person.group else "",
            f": uses {service_names(locality, sorted(person.services_used))}; ",
            f"on their own device as {seat}" if seat else "no device yet (scores may be entered here)"]


def participants_list(state: AppraisalState, locality: Locality) -> Any:
    if not state.appraisal.participants:
        return html.P("Nobody added yet.", className="text-muted")
    return html.Ul([html.Li(participant_line(p, state, locality)) for p in state.appraisal.participants],
                   className="participants-list")


def declarations_log(state: AppraisalState, locality: Locality) -> Any:
    """Every change of a declaration: who changed it, when, from what to what."""
    if not state.declarations:
        return html.P("No declaration has been changed since the participants were added.", className="small")
    names = {p.participant_id: p.name for p in state.appraisal.participants}
    return html.Ul(className="small declarations-log", children=[
        html.Li(f"{d.changed_at:%d %b %Y %H:%M} UTC: {d.changed_by} changed what "
                f"{names.get(d.participant_id, d.participant_id)} declares from "
                f"{service_names(locality, d.before)} to {service_names(locality, d.after)}.")
        for d in state.declarations])


def score_sheet(appraisal: Appraisal, participant_id: str | None, locality: Locality) -> list[Any]:
    """The participant's score boxes for the options they may score, and why others are not offered.

    What they declare using is shown, not offered for change: only the facilitator changes it.
    """
    if not appraisal.participants or not participant_id:
        return [html.P("Choose a participant to enter their scores.", className="text-muted")]
    person = appraisal.participant(participant_id)
    allowed = eligible_options(appraisal, participant_id)
    barred = [o for o in appraisal.options if o not in allowed]
    given = {(s.option_id, s.criterion_key): s.score for s in appraisal.scores if s.participant_id == participant_id}
    parts: list[Any] = [html.P(f"{person.name} declares using: {service_names(locality, sorted(person.services_used))}."
                               " Only the facilitator can change this.", className="small mb-1")]
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


def warnings_view(appraisal: Appraisal, results: AppraisalResults) -> list[Any]:
    """Plain warnings where an option's total rests on few views or mostly one group's."""
    found = scoring_warnings(appraisal, results)
    if not found:
        return []
    return [dbc.Alert(color="warning", className="appraisal-warnings", children=[
        html.Strong("Read these totals with care. "), html.Ul([html.Li(w.text) for w in found], className="mb-0")])]


def results_view(appraisal: Appraisal) -> list[Any]:
    """Totals, spread, warnings and the weight sensitivity, or what is still missing."""
    if not appraisal.options:
        return [html.P("Choose the options (saved scenarios) to appraise first.", className="text-muted")]
    try:
        results = appraisal_results(appraisal)
    except PlannerInputError as error:
        return [dbc.Alert(str(error), color="warning")]
    if results.totals["weighted_total"].isna().all():
        return [html.P("No complete score sheet yet: a participant's scores count once they have scored an "
                       "option on every criterion with a weight above 0.", className="text-muted")]
    return [*warnings_view(appraisal, results),
            dcc.Graph(figure=totals_figure(results), config={"displayModeBar": False}),
            totals_table(results), *sensitivity_table(appraisal, results)]



# ---------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------
def card(title: str, *body: Any, width: int = 6) -> dbc.Col:
    return dbc.Col(md=width, children=dbc.Card(className="panel-card", children=[
        dbc.CardHeader(html.H3(title, className="h5 mb-0")), dbc.CardBody(list(body))]))


def message(text: str) -> html.Div:
    return html.Div(className="page-message", children=[html.H2("Options appraisal", className="h3"), html.P(text),
                                                        html.A("All appraisals", href=PAGE)])


def landing() -> html.Div:
    """The appraisals this person may open, a new one (planners) and joining one with its code."""
    user = current_user()
    listed = appraisals.appraisals(scenario_store(), user)
    items = [html.Li([html.A(r.title, href=f"{PAGE}/{r.slug}"),
                      f" (run by {r.facilitator}" + (f", join code {r.join_code})" if r.facilitator_id == getattr(
                          user, "user_id", None) else ")")]) for r in listed]
    new = [] if not can_create(user) else [card(
        "Open a new appraisal",
        dbc.Label("Title", html_for=ids.APPRAISAL_NEW_TITLE),
        dbc.Input(id=ids.APPRAISAL_NEW_TITLE, maxLength=200, placeholder="For example: Day services options, May"),
        dbc.Label("Who may see it", html_for=ids.APPRAISAL_NEW_VISIBILITY, className="mt-2"),
        dbc.Select(id=ids.APPRAISAL_NEW_VISIBILITY, value="group",
                   options=[{"label": VISIBILITY_LABELS[v], "value": v} for v in VISIBILITIES]),
        dbc.Button("Open the appraisal", id=ids.APPRAISAL_OPEN, color="primary", className="mt-2"),
        html.P("You run it: you choose the options, criteria and participants, and read out its join code.",
               className="small mt-2 mb-0"))]
    return html.Div(className="page appraisal-page", children=[
        html.H2("Options appraisal", className="h3"),
        html.P("The steering group agrees what matters and how much (the criteria and their weights); each "
               "participant scores each option from 0 to 10 on their own screen. " + RULE_SENTENCE),
        html.Div(id=ids.APPRAISAL_STATUS, className="plan-status", role="status", **attrs({"aria-live": "polite"})),
        dbc.Row(className="g-3", children=[
            card("Join an appraisal",
                 dbc.Label("The join code the facilitator gives you", html_for=ids.APPRAISAL_JOIN_CODE),
                 dbc.Input(id=ids.APPRAISAL_JOIN_CODE, maxLength=12, placeholder="For example K7MQ2P",
                           className="room-code-input"),
                 dbc.Button("Join", id=ids.APPRAISAL_JOIN, color="primary", className="mt-2")),
            *new,
            card("Appraisals you may open", html.Ul(items) if items else html.P("None yet.", className="text-muted"),
                 width=12),
        ]),
    ])


def facilitator_cards(state: AppraisalState, locality: Locality) -> list[Any]:
    appraisal = state.appraisal
    people = [{"label": p.name, "value": p.participant_id} for p in appraisal.participants]
    choices = scenario_options(scenario_store(), current_user(), with_current=False)
    return [
        card("1. Options", *options_picker(appraisal, choices),
             html.P("An option counts as changing every existing service it does not keep as it is.",
                    className="small text-muted mt-1 mb-0")),
        card("2. Criteria and weights",
             html.P("A weight of 2 counts twice as much as 1; 0 leaves a criterion out.", className="small"),
             *criteria_editor(appraisal),
             dbc.Label("Add a criterion of the group's own", html_for=ids.APPRAISAL_NEW_CRITERION),
             html.Div(className="d-flex gap-2", children=[
                 dbc.Input(id=ids.APPRAISAL_NEW_CRITERION, placeholder="For example: keeps a safe space", maxLength=80),
                 dbc.Button("Add", id=ids.APPRAISAL_ADD_CRITERION, color="secondary")])),
        card("3. Participants",
             participants_list(state, locality),
             dbc.Label("Name", html_for=ids.APPRAISAL_NEW_NAME),
             dbc.Input(id=ids.APPRAISAL_NEW_NAME, maxLength=80, placeholder="Name or role"),
             dbc.Label("Speaks for", html_for=ids.APPRAISAL_NEW_GROUP, className="mt-2"),
             dbc.Select(id=ids.APPRAISAL_NEW_GROUP, value="", options=[{"label": "Not said", "value": ""}]
                        + [{"label": g.capitalize(), "value": g} for g in PARTICIPANT_GROUPS]),
             dbc.Label("Services they use", html_for=ids.APPRAISAL_NEW_SERVICES, className="mt-2"),
             dcc.Dropdown(id=ids.APPRAISAL_NEW_SERVICES, options=service_options(locality), multi=True,
                          placeholder="None"),
             dbc.Button("Add participant", id=ids.APPRAISAL_ADD_PARTICIPANT, color="secondary", className="mt-2")),
        card("4. Declarations of interest",
             html.P("Only you, the facilitator, change what a participant declares using; every change is "
                    "recorded below with who made it and when.", className="small"),
             dbc.Label("Participant", html_for=ids.APPRAISAL_DECLARE_WHO),
             dbc.Select(id=ids.APPRAISAL_DECLARE_WHO, options=people, value=people[0]["value"] if people else None),
             dbc.Label("Services they use", html_for=ids.APPRAISAL_DECLARE_SERVICES, className="mt-2"),
             dcc.Dropdown(id=ids.APPRAISAL_DECLARE_SERVICES, options=service_options(locality), multi=True,
                          placeholder="None"),
             dbc.Button("Record this declaration", id=ids.APPRAISAL_DECLARE_SAVE, color="secondary",
                        className="mt-2"),
             declarations_log(state, locality)),
    ]


def scoring_card(state: AppraisalState, locality: Locality) -> Any:
    """The facilitator scores for participants without a device; a participant scores for themself."""
    if state.my_seat is not None:
        return card("Your scores", html.Div(id=ids.APPRAISAL_SCORE_SHEET,
                                            children=score_sheet(state.appraisal, state.my_seat, locality)),
                    dcc.Store(id=ids.APPRAISAL_SCORER, data=state.my_seat), width=12)
    if state.may_facilitate:
        free = [{"label": p.name, "value": p.participant_id} for p in state.appraisal.participants
                if p.participant_id not in state.seats]
        return card("5. Scores entered on this device",
                    html.P("For participants without a device of their own.", className="small"),
                    dbc.Label("Whose scores", html_for=ids.APPRAISAL_SCORER_PICK),
                    dbc.Select(id=ids.APPRAISAL_SCORER_PICK, options=free,
                               value=free[0]["value"] if free else None),
                    dcc.Store(id=ids.APPRAISAL_SCORER, data=free[0]["value"] if free else None),
                    html.Div(id=ids.APPRAISAL_SCORE_SHEET, className="mt-2",
                             children=score_sheet(state.appraisal, free[0]["value"] if free else None, locality)),
                    width=12)
    free = [{"label": p.name, "value": p.participant_id} for p in state.appraisal.participants
            if p.participant_id not in state.seats]
    return card("Take part",
                html.P("Say which participant you are; then your score sheet appears here.", className="small"),
                dbc.Label("I am", html_for=ids.APPRAISAL_SEAT),
                dbc.Select(id=ids.APPRAISAL_SEAT, options=free, value=free[0]["value"] if free else None),
                dbc.Button("This is me", id=ids.APPRAISAL_TAKE_SEAT, color="primary", className="mt-2"),
                width=12)


def appraisal_body(state: AppraisalState) -> list[Any]:
    """Everything on an appraisal's page that changes only when its set-up or a seat does."""
    locality = data_access.current_locality()
    record = state.record
    top: list[Any] = [html.P(["Run by ", html.Strong(record.facilitator), ". Join code: ",
                              html.Strong(record.join_code, className="room-code"),
                              " (others open this planner's Appraise page and type it)."])]
    if state.may_facilitate:
        top.append(html.Div(className="d-flex gap-2 align-items-center", children=[
            dbc.Label("Who may see it", html_for=ids.APPRAISAL_VISIBILITY, className="mb-0"),
            dbc.Select(id=ids.APPRAISAL_VISIBILITY, value=record.visibility, style={"maxWidth": "22rem"},
                       options=[{"label": VISIBILITY_LABELS[v], "value": v} for v in VISIBILITIES])]))
    cards = [*(facilitator_cards(state, locality) if state.may_facilitate else []), scoring_card(state, locality)]
    return [*top, dbc.Row(className="g-3 mt-1", children=cards)]


def appraisal_page(slug: str) -> html.Div:
    try:
        state = appraisals.appraisal_state(scenario_store(), current_user(), slug)
    except PlannerError:
        return message("There is no appraisal here that you may open. Check the address, or ask its facilitator "
                       "to share it with the steering group.")
    return html.Div(className="page appraisal-page", children=[
        dcc.Store(id=ids.APPRAISAL_REF, data=state.record.slug),
        dcc.Store(id=ids.APPRAISAL_VERSION, data=None),
        dcc.Interval(id=ids.APPRAISAL_TICK, interval=REFRESH_MS),
        dcc.Download(id=ids.APPRAISAL_DOWNLOAD),
        html.H2(f"Options appraisal: {state.record.title}", className="h3"),
        html.Div(id=ids.APPRAISAL_STATUS, className="plan-status", role="status", **attrs({"aria-live": "polite"})),
        html.Div(id=ids.APPRAISAL_SETUP, children=appraisal_body(state)),
        dbc.Card(className="panel-card mt-3", children=[
            dbc.CardHeader(html.H3("Results", className="h5 mb-0")),
            dbc.CardBody(html.Div(id=ids.APPRAISAL_RESULTS, children=results_view(state.appraisal)))]),
        html.Div(className="d-flex flex-wrap gap-2 mt-3 align-items-center", children=[
            dbc.Button("Download the appraisal (JSON)", id=ids.APPRAISAL_DOWNLOAD_BUTTON, color="secondary",
                       outline=True),
            html.A("All appraisals", href=PAGE)]),
    ])


@page_route(PAGE, "Appraise")
def appraisal_view(query: dict[str, str]) -> html.Div:
    slug = query.get("path", PAGE).removeprefix(PAGE).strip("/")
    return appraisal_page(slug) if slug else landing()


# ---------------------------------------------------------------------------------------
# Callbacks: each applies one change through geo.workspace.appraisals, as the person asking
# ---------------------------------------------------------------------------------------
def _changed(slug: str, change: Callable[[Appraisal], Appraisal], done: str) -> tuple[Any, str]:
    return run(lambda: appraisals.change_setup(scenario_store(), current_user(), slug, change), done)


@CALLBACKS.callback(Output(ids.URL, "pathname", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_JOIN, "n_clicks"), State(ids.APPRAISAL_JOIN_CODE, "value"),
                    prevent_initial_call=True)
def join(_clicks: Clicks, code: str | None) -> tuple[Any, Any]:
    try:
        record = appraisals.find_by_code(scenario_store(), current_user(), code or "")
    except PlannerError as error:
        return no_update, f"Not joined: {error}"
    return f"{PAGE}/{record.slug}", f"Joining {record.title}..."


@CALLBACKS.callback(Output(ids.URL, "pathname", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_OPEN, "n_clicks"), State(ids.APPRAISAL_NEW_TITLE, "value"),
                    State(ids.APPRAISAL_NEW_VISIBILITY, "value"), prevent_initial_call=True)
def open_new(_clicks: Clicks, title: str | None, visibility: str | None) -> tuple[Any, Any]:
    try:
        record = appraisals.open_appraisal(scenario_store(), current_user(), title or "", new_appraisal((), ()),
                                           visibility=visibility or "group")  # type: ignore[arg-type]
    except PlannerError as error:
        return no_update, f"Not opened: {error}"
    return f"{PAGE}/{record.slug}", f"Opened {record.title}."


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_OPTIONS, "value"), State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def choose_options(slugs: list[str] | None, slug: str) -> tuple[Any, Any]:
    if slugs is None:
        return no_update, no_update
    try:
        options = options_from_store(slugs)
    except PlannerError as error:
        return no_update, f"Not done: {error}"
    return _changed(slug, lambda a: with_options(a, options), "Options updated.")


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input({"type": ids.APPRAISAL_WEIGHT, "key": ALL}, "value"), State(ids.APPRAISAL_REF, "data"),
                    prevent_initial_call=True)
def change_weight(_values: list[float | None], slug: str) -> tuple[Any, Any]:
    trigger = ctx.triggered_id
    value = ctx.triggered[0]["value"] if ctx.triggered else None
    if not isinstance(trigger, dict) or value is None:
        return no_update, no_update
    return _changed(slug, lambda a: set_weight(a, trigger["key"], float(value)), "Weight changed.")


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_ADD_CRITERION, "n_clicks"), State(ids.APPRAISAL_NEW_CRITERION, "value"),
                    State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def add_own_criterion(_clicks: Clicks, label: str | None, slug: str) -> tuple[Any, Any]:
    return _changed(slug, lambda a: add_criterion(a, (label or "").strip()), f"Added: {label}.")


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input({"type": ids.APPRAISAL_REMOVE_CRITERION, "key": ALL}, "n_clicks"),
                    State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def remove_own_criterion(clicks: list[Clicks], slug: str) -> tuple[Any, Any]:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        return no_update, no_update
    return _changed(slug, lambda a: remove_criterion(a, trigger["key"]), "Criterion removed.")


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_ADD_PARTICIPANT, "n_clicks"), State(ids.APPRAISAL_NEW_NAME, "value"),
                    State(ids.APPRAISAL_NEW_SERVICES, "value"), State(ids.APPRAISAL_NEW_GROUP, "value"),
                    State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def add_person(_clicks: Clicks, name: str | None, services: list[str] | None, group: str | None,
               slug: str) -> tuple[Any, Any]:
    return _changed(slug, lambda a: add_participant(a, name, services, group), f"Added {name}.")


@CALLBACKS.callback(Output(ids.APPRAISAL_DECLARE_SERVICES, "value"), Input(ids.APPRAISAL_DECLARE_WHO, "value"),
                    State(ids.APPRAISAL_REF, "data"))
def show_declaration(participant_id: str | None, slug: str) -> list[str]:
    """The chosen participant's declared services, as saved."""
    if not participant_id:
        return []
    state = appraisals.appraisal_state(scenario_store(), current_user(), slug)
    return sorted(state.appraisal.participant(participant_id).services_used)


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_DECLARE_SAVE, "n_clicks"), State(ids.APPRAISAL_DECLARE_WHO, "value"),
                    State(ids.APPRAISAL_DECLARE_SERVICES, "value"), State(ids.APPRAISAL_REF, "data"),
                    prevent_initial_call=True)
def record_declaration(_clicks: Clicks, participant_id: str | None, services: list[str] | None,
                       slug: str) -> tuple[Any, Any]:
    if not participant_id:
        return no_update, "Choose a participant first."
    return run(lambda: appraisals.declare(scenario_store(), current_user(), slug, participant_id, services or []),
               "Declaration recorded; any scores the rule now bars were removed.")


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_VISIBILITY, "value"), State(ids.APPRAISAL_REF, "data"),
                    prevent_initial_call=True)
def change_visibility(visibility: str | None, slug: str) -> tuple[Any, Any]:
    try:
        record = appraisals.set_visibility(scenario_store(), current_user(), slug,
                                           visibility or "group")  # type: ignore[arg-type]
    except PlannerError as error:
        return no_update, f"Not done: {error}"
    return no_update, f"Now seen by: {VISIBILITY_LABELS[record.visibility].lower()}."


@CALLBACKS.callback(Output(ids.APPRAISAL_VERSION, "data", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_TAKE_SEAT, "n_clicks"), State(ids.APPRAISAL_SEAT, "value"),
                    State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def take_seat(_clicks: Clicks, participant_id: str | None, slug: str) -> tuple[Any, Any]:
    if not participant_id:
        return no_update, "Choose who you are first."
    return run(lambda: appraisals.take_seat(scenario_store(), current_user(), slug, participant_id),
               "You are taking part: your score sheet is below.")


@CALLBACKS.callback(Output(ids.APPRAISAL_SCORER, "data"), Output(ids.APPRAISAL_SCORE_SHEET, "children"),
                    Input(ids.APPRAISAL_SCORER_PICK, "value"), State(ids.APPRAISAL_REF, "data"),
                    prevent_initial_call=True)
def pick_scorer(participant_id: str | None, slug: str) -> tuple[Any, Any]:
    state = appraisals.appraisal_state(scenario_store(), current_user(), slug)
    return participant_id, score_sheet(state.appraisal, participant_id, data_access.current_locality())


@CALLBACKS.callback(Output(ids.APPRAISAL_RESULTS, "children", allow_duplicate=True),
                    Output(ids.APPRAISAL_STATUS, "children", allow_duplicate=True),
                    Input(ids.APPRAISAL_SAVE_SCORES, "n_clicks"), State(ids.APPRAISAL_SCORER, "data"),
                    State({"type": ids.APPRAISAL_SCORE, "option": ALL, "criterion": ALL}, "value"),
                    State({"type": ids.APPRAISAL_SCORE, "option": ALL, "criterion": ALL}, "id"),
                    State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def save_scores(clicks: Clicks, participant_id: str | None, values: list[Any], cell_ids: list[dict[str, str]],
                slug: str) -> tuple[Any, Any]:
    if not clicks or not participant_id:
        return no_update, no_update
    try:
        cells = sheet_cells(list(zip(cell_ids, values, strict=True)))
        state = appraisals.record_scores(scenario_store(), current_user(), slug, participant_id, cells)
    except PlannerError as error:
        return no_update, f"Scores not saved: {error}"
    return results_view(state.appraisal), "Scores saved."


@CALLBACKS.callback(Output(ids.APPRAISAL_SETUP, "children"), Input(ids.APPRAISAL_VERSION, "data"),
                    State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def redraw(_version: Any, slug: str) -> Any:
    """After a change of set-up, seat or declaration: the forms as the store now has them."""
    try:
        return appraisal_body(appraisals.appraisal_state(scenario_store(), current_user(), slug))
    except PlannerError as error:
        return message(str(error))


@CALLBACKS.callback(Output(ids.APPRAISAL_RESULTS, "children"), Input(ids.APPRAISAL_TICK, "n_intervals"),
                    Input(ids.APPRAISAL_VERSION, "data"), State(ids.APPRAISAL_REF, "data"),
                    State(ids.APPRAISAL_RESULTS, "children"), prevent_initial_call=True)
def follow_results(_ticks: int | None, _version: Any, slug: str, shown: Any) -> Any:
    """The results follow everyone's scores (every few seconds), redrawn only when they change."""
    try:
        state = appraisals.appraisal_state(scenario_store(), current_user(), slug)
    except PlannerError as error:
        return [dbc.Alert(str(error), color="warning")]
    new = results_view(state.appraisal)
    return no_update if json.dumps(new, cls=_PlotlyJSON) == json.dumps(shown, cls=_PlotlyJSON) else new


class _PlotlyJSON(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        return o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o)


@CALLBACKS.callback(Output(ids.APPRAISAL_DOWNLOAD, "data"), Input(ids.APPRAISAL_DOWNLOAD_BUTTON, "n_clicks"),
                    State(ids.APPRAISAL_REF, "data"), prevent_initial_call=True)
def download(_clicks: Clicks, slug: str) -> Any:
    try:
        state = appraisals.appraisal_state(scenario_store(), current_user(), slug)
    except PlannerError:
        return no_update
    return {"content": json.dumps(appraisals.export(state), indent=2),
            "filename": f"appraisal-{state.record.slug}.json", "type": "application/json"}


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
