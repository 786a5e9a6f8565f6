"""What the plan is expected to achieve, and the assumptions behind every figure (editable).

The outcome views are pure builders from :class:`dashboard.plan_money.PlanOutcomes` (what
only the money changes) and :class:`dashboard.plan_money.PlacedPlan` (who is within reach,
which a hub move changes); the investment panel's two recompute callbacks fill them, so
each change is worked out once for every panel.
The assumptions table lives here with its own callbacks: an edited value is written into
the plan (``assumptions`` and ``assumptions_version``), so it saves with the scenario and
every panel recomputes from it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import history, ids
from dashboard.attrs import attrs
from dashboard.callbacks import CallbackRegistry, Clicks, Stored
from dashboard.history import History, Plan
from dashboard.html_slot import html_slot, to_html
from dashboard.money_charts import CONFIG, money, percent, placeholder, uptake_figure
from dashboard.plan_money import (
    ACCESS_THRESHOLD_MIN,
    PlacedPlan,
    PlanOutcomes,
    assumption_edits,
    assumptions_with,
    default_assumptions,
)
from geo.assumptions import UNIT_BOUNDS, Assumption, Assumptions
from geo.errors import PlannerInputError
from geo.outcomes import OUTCOMES, SUPPORT_LINES
from geo.scenarios import ScenarioContent, scenario_from_dict, scenario_to_dict

CALLBACKS = CallbackRegistry()
NO_MAIN_AIM = "-"


def _count(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:,.0f}"


# ---------------------------------------------------------------------------------------
# Builders: PlanOutcomes / PlacedPlan -> components (plain lists, no pandas indexing: fast)
# ---------------------------------------------------------------------------------------
def rows_by(frame: pd.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    """A small table as {key: row}, read once (pandas indexing costs more than the arithmetic)."""
    columns = {column: frame[column].tolist() for column in frame.columns}
    return {str(k): {c: values[i] for c, values in columns.items()} for i, k in enumerate(columns[key])}


def _table(caption: str, head: list[str], rows: list[html.Tr]) -> html.Table:
    return html.Table(className="table table-sm money-table mb-0", children=[
        html.Caption(caption, className="caption-top"),
        html.Thead(html.Tr([html.Th(text, scope="col") for text in head])),
        html.Tbody(rows),
    ])


def outcomes_table(m: PlanOutcomes) -> html.Table:
    """Each outcome a year: today, the plan with its range, and what each outcome costs."""
    plan, today = rows_by(m.totals, "outcome"), rows_by(m.totals_today, "outcome")
    rows = []
    for outcome in OUTCOMES:
        low, high = sum(m.outcomes_low[outcome].tolist()), sum(m.outcomes_high[outcome].tolist())
        cost = plan[outcome]["gbp_per_outcome"]
        rows.append(html.Tr([
            html.Th(plan[outcome]["label"], scope="row"),
            html.Td(_count(today[outcome]["count"])),
            html.Td([html.Strong(_count(plan[outcome]["count"])),
                     html.Span(f" ({_count(low)} to {_count(high)})", className="text-muted")]),
            html.Td(money(cost) if math.isfinite(cost) else NO_MAIN_AIM),
        ]))
    return _table("Expected outcomes a year", ["Outcome", "Today", "The plan (range)", "Cost each"], rows)


def support_table(m: PlanOutcomes) -> html.Div:
    """People supported a year on each service line, from its staffing, and what each place costs."""
    lines = rows_by(m.outcomes, "line")
    rows = [html.Tr([html.Th(row["label"], scope="row"), html.Td(_count(row["people_supported"])),
                     html.Td(money(row["cost_gbp"])), html.Td(money(row["gbp_per_person"]))])
            for row in (lines[line] for line in SUPPORT_LINES) if row["people_supported"] > 0 or row["cost_gbp"] > 0]
    a = m.costed.assumptions
    caseload, cap = a["ips_caseload"], a["ips_caseload_cap"]
    note = (f"IPS: {m.costed.settings.ips_specialists:g} employment specialists × {min(caseload, cap):g} people "
            f"each. A specialist supports at most {cap:g} people at a time to stay faithful to IPS (the fidelity "
            "cap)")
    note += (f"; the caseload of {caseload:g} set in the assumptions is above it, so the extra people are not "
             "counted." if caseload > cap else ".")
    return html.Div([
        _table("People supported a year, from staffing", ["Service", "People", "Yearly cost", "Cost per person"],
               rows),
        html.P(note, className="small text-muted mt-1 mb-0"),
    ])


def reach_table(placed: PlacedPlan) -> html.Div:
    """Women, 18-24s and black and minority ethnic people: share of need against who is reached."""
    plan, clients = rows_by(placed.reach, "group"), rows_by(placed.clients_today, "group")
    rows = [html.Tr([
        html.Th(row["label"], scope="row"), html.Td(percent(row["share_of_need"])),
        html.Td(percent(clients[group]["share_of_clients"]) if group in clients else "-"),
        html.Td(percent(row["share_of_reached"])),
    ]) for group, row in plan.items()]
    return html.Div([
        _table("Who is reached, against their share of need",
               ["Group", "Share of need", "Of today's service users",
                f"Of need within {ACCESS_THRESHOLD_MIN:.0f} min of a hub"], rows),
        html.P(className="small text-muted mt-1 mb-0", children=(
            "A fair reach gives a group the same share as its share of need. Living near a hub is not the same "
            "as being reached: today's services see fewer young and black and minority ethnic people than their "
            "share of need, so outreach and community links matter as much as where hubs are.")),
    ])


def within_threshold_text(placed: PlacedPlan) -> str:
    """Residents within the access threshold of a hub, as a count."""
    return f"{placed.residents_within:,.0f}"


def direct_payments_note(m: PlanOutcomes) -> str:
    """The outlook in words: the first and last contract years, with ranges and block-contract effect."""
    years = m.direct_payments.to_dict("records")
    first, last = years[0], years[-1]
    award = m.costed.assumptions["dp_average_award_gbp"]
    return (
        f"If uptake grows as assumed, {money(first['direct_payments_gbp'])} moves from block contracts to direct "
        f"payments in year 1 ({money(first['direct_payments_gbp_low'])} to "
        f"{money(first['direct_payments_gbp_high'])}) and {money(last['direct_payments_gbp'])} by year "
        f"{int(last['contract_year'])} ({money(last['direct_payments_gbp_low'])} to "
        f"{money(last['direct_payments_gbp_high'])}): about {last['people_on_direct_payments']:,.0f} people at "
        f"{money(award)} each. Block contracts would carry {money(first['block_contract_gbp'])} in year 1 and "
        f"{money(last['block_contract_gbp'])} by year {int(last['contract_year'])}. The plan sets aside "
        f"{money(m.costed.settings.direct_payments_gbp)} a year for direct payments now."
    )


def outcome_views(m: PlanOutcomes) -> tuple[Any, ...]:
    """The outcome card's outputs that only the money changes, in the order of :func:`outcome_outputs`."""
    plan, today = rows_by(m.totals, "outcome"), rows_by(m.totals_today, "outcome")
    return (
        _count(plan["job_starts"]["count"]), f"today {_count(today['job_starts']['count'])}",
        _count(sum(m.outcomes["people_supported"].tolist())),
        outcomes_table(m), support_table(m), uptake_figure(m.direct_payments), direct_payments_note(m),
    )


def outcome_outputs() -> list[Output]:
    return [Output(ids.OUTCOME_JOB_STARTS, "children"), Output(ids.OUTCOME_JOB_STARTS_TODAY, "children"),
            Output(ids.OUTCOME_SUPPORTED, "children"), Output(ids.OUTCOMES_TABLE, "children"),
            Output(ids.SUPPORT_TABLE, "children"), Output(ids.DP_CHART, "figure"), Output(ids.DP_NOTE, "children")]


def place_views(placed: PlacedPlan) -> tuple[Any, ...]:
    """The outcome card's outputs that a hub move changes, in the order of :func:`place_outputs`."""
    return within_threshold_text(placed), to_html(reach_table(placed))


def place_outputs() -> list[Output]:
    return [Output(ids.OUTCOME_WITHIN, "children"), Output(ids.REACH_TABLE, "children")]


def headline(value_id: str, label: str, note: Any = None) -> html.Div:
    return html.Div(className="headline", children=[
        html.Div("-", id=value_id, className="headline-value"),
        html.Div(label, className="headline-label"),
        html.Div(note, className="headline-note") if note is not None else None,
    ])


def layout() -> html.Div:
    """The outcomes card and the assumptions card."""
    return html.Div(className="money-panels", children=[outcomes_card(), assumptions_card(default_assumptions())])


def outcomes_card() -> dbc.Card:
    return dbc.Card(id=ids.OUTCOMES_PANEL, className="panel-card", children=[
        dbc.CardHeader(html.H2("What the plan is expected to achieve", className="h5 mb-0")),
        dbc.CardBody([
            html.P(className="small", children=(
                "Expected results in a year once the new services are running, worked out from staffing and "
                "the outcome rates in the assumptions below. The range uses the low and high rates.")),
            html.Div(className="headlines", children=[
                headline(ids.OUTCOME_WITHIN, f"residents within {ACCESS_THRESHOLD_MIN:.0f} minutes of a hub"),
                headline(ids.OUTCOME_JOB_STARTS, "paid job starts a year",
                         html.Span(id=ids.OUTCOME_JOB_STARTS_TODAY)),
                headline(ids.OUTCOME_SUPPORTED, "people supported a year"),
            ]),
            html.Div(id=ids.OUTCOMES_TABLE),
            html.P(className="small text-muted mt-1", children=(
                "Cost each: the yearly cost of the services whose main aim is that outcome, divided by the "
                "outcomes they bring. Volunteering is no service's main aim, so it has no cost of its own.")),
            html.Div(id=ids.SUPPORT_TABLE, className="mt-3"),
            html_slot(ids.REACH_TABLE, class_name="mt-3"),
            html.H3("Direct payments and individual budgets", className="h6 mt-3"),
            html.P(className="small mb-1", children=(
                "Direct payments and individual budgets are money people hold themselves to buy the support "
                "they choose. As more people take them up, less money runs through block contracts (the fixed "
                "contracts with providers).")),
            dcc.Graph(id=ids.DP_CHART, config=CONFIG, figure=placeholder(320), className="money-chart"),
            html.P(id=ids.DP_NOTE, className="small"),
        ]),
    ])


# ---------------------------------------------------------------------------------------
# The assumptions table
# ---------------------------------------------------------------------------------------
def _number_text(value: float | None) -> str:
    return "" if value is None else f"{value:,.10g}"


def assumption_row(row: Assumption, value: float) -> html.Div:
    """One assumption: its label and unit, an input box, and its range and source."""
    lowest, highest, whole = UNIT_BOUNDS[row.unit]
    box = dbc.Input(id={"type": ids.ASSUMPTION_VALUE, "key": row.key}, type="number", value=value,
                    min=lowest, max=highest, step=1 if whole else "any", debounce=True,
                    className="assumption-input", inputMode="decimal")
    span = ("" if row.low is None or row.high is None
            else f"Range {_number_text(row.low)} to {_number_text(row.high)}. ")
    return html.Div(className="assumption-row", children=[
        html.Label(className="assumption-label", children=[
            html.Span([row.label, html.Span(f" ({row.unit})", className="assumption-unit")]), box]),
        html.P(f"{span}Source: {row.source} ({row.date}).", className="assumption-source"),
    ])


def edited_summary(base: Assumptions, edits: dict[str, float]) -> str:
    """Which values differ from the published table, in words."""
    if not edits:
        return "Using the published table: no values changed."
    changes = "; ".join(f"{base.row(k).label}: {_number_text(v)} (table: {_number_text(base[k])})"
                        for k, v in edits.items())
    return f"You changed {len(edits)} value{'s' if len(edits) > 1 else ''}: {changes}."


def assumptions_card(base: Assumptions) -> dbc.Card:
    return dbc.Card(id=ids.ASSUMPTIONS_PANEL, className="panel-card", children=[
        dbc.CardHeader(html.H2("Assumptions behind the figures", className="h5 mb-0")),
        dbc.CardBody([
            dcc.Store(id=ids.ASSUMPTIONS, data={}),
            html.P(className="small", children=(
                "Every cost, caseload and rate the money and outcome figures use, with where it comes from. "
                "Change a value (press Enter or leave the box) and every figure updates; the plan records "
                "the values it used, so a saved scenario can be traced back.")),
            html.P(edited_summary(base, {}), id=ids.ASSUMPTIONS_VERSION, className="small fw-semibold"),
            html.Div(id=ids.ASSUMPTIONS_STATUS, className="plan-status", role="status",
                     **attrs({"aria-live": "polite"})),
            dbc.Button("Go back to the published values", id=ids.ASSUMPTIONS_RESET, color="secondary",
                       outline=True, size="sm", className="mb-2"),
            html.Details(className="assumptions-details", children=[
                html.Summary(f"See and change all {len(base)} assumptions"),
                html.Div(className="assumption-list",
                         children=[assumption_row(row, row.value) for row in base.rows]),
            ]),
        ]),
    ])


def apply_assumption_edit(plan: ScenarioContent, values: dict[str, Any], *, reset: bool) -> ScenarioContent | None:
    """The plan with the table's values recorded (None when nothing changed)."""
    base = default_assumptions()
    edits = {} if reset else assumption_edits(base, values)
    others = {k: v for k, v in plan.assumptions.items() if k not in base}
    current = {k: v for k, v in plan.assumptions.items() if k in base}
    if edits == current:
        return None
    version = base.with_values(edits).version
    return dataclasses.replace(plan, assumptions={**others, **edits}, assumptions_version=version)


@CALLBACKS.callback(
    Output(ids.PLAN, "data", allow_duplicate=True), Output(ids.PLAN_HISTORY, "data", allow_duplicate=True),
    Output(ids.ASSUMPTIONS_STATUS, "children"),
    Input({"type": ids.ASSUMPTION_VALUE, "key": ALL}, "value"), Input(ids.ASSUMPTIONS_RESET, "n_clicks"),
    State({"type": ids.ASSUMPTION_VALUE, "key": ALL}, "id"), State(ids.PLAN, "data"),
    State(ids.PLAN_HISTORY, "data"),
    prevent_initial_call=True,
)
def edit_assumptions(values: list[Any], _reset: Clicks, boxes: list[dict[str, str]], plan_data: Plan,
                     history_data: History | None) -> tuple[Any, Any, Any]:
    reset = ctx.triggered_id == ids.ASSUMPTIONS_RESET
    try:
        new = apply_assumption_edit(scenario_from_dict(plan_data),
                                    {box["key"]: value for box, value in zip(boxes, values, strict=True)},
                                    reset=reset)
    except PlannerInputError as error:
        return no_update, no_update, f"Not changed: {error}"
    if new is None:
        return no_update, no_update, no_update
    message = "Back to the published values." if reset else "Assumptions changed: every figure has been updated."
    return scenario_to_dict(new), history.record(history_data, plan_data), message


@CALLBACKS.callback(Output(ids.ASSUMPTIONS, "data"), Input(ids.MONEY_KEY, "data"), State(ids.PLAN, "data"),
                    State(ids.ASSUMPTIONS, "data"))
def follow_plan_assumptions(_key: str | None, plan_data: Plan, stored: Stored) -> Any:
    """The assumptions table follows the plan's (woken by the money key, which holds them: not on a drag)."""
    plan = scenario_from_dict(plan_data)
    base = default_assumptions()
    edits = {k: v for k, v in plan.assumptions.items() if k in base}
    return no_update if edits == (stored or {}) else edits


@CALLBACKS.callback(
    Output({"type": ids.ASSUMPTION_VALUE, "key": ALL}, "value"), Output(ids.ASSUMPTIONS_VERSION, "children"),
    Input(ids.ASSUMPTIONS, "data"), State({"type": ids.ASSUMPTION_VALUE, "key": ALL}, "id"),
    prevent_initial_call=True,
)
def show_assumptions(stored: Stored, boxes: list[dict[str, str]]) -> tuple[list[Any], str]:
    edits = dict(stored or {})
    try:
        table = assumptions_with(edits)
    except PlannerInputError as error:
        return [no_update] * len(boxes), f"These assumptions cannot be used: {error}"
    return [table[box["key"]] for box in boxes], edited_summary(default_assumptions(), edits)


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
