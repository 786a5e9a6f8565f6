"""Money in the plan: what happens to today's services, what the new ones cost, and whether spend is fair.

Two cards in the planner's side column. "Money: today and the plan" holds the plan's
money controls (keep, re-shape or close each service; IPS employment specialists;
community links workers per hub; direct payments), written into the plan store so they
save with the scenario and undo like any other edit, and the ledger: by kind of support,
a waterfall of money released and reinvested, by district and by contract lot. "Is the
money fair?" shows the Gini and concentration index of spend per need-weighted adult,
the biggest town's shares (of spend at its services, reaching its residents, of need),
spend by deprivation fifth and each district's gap from its fair share. What a hub move
changes is drawn as HTML tables and an SVG curve (:mod:`dashboard.money_tables`), not Plotly.

Two callbacks fill both these cards and the outcome card, split by what a hub move
changes: ``recompute_places`` (every plan change while a tab showing them is open:
fairness, spend by place, the hubs, who is reached; :func:`dashboard.plan_money.placed_plan`)
and ``recompute_money`` (only when the money changes, keyed in the browser by
assets/money.js: totals, the ledger by kind of support, year one and the expected outcomes;
:func:`dashboard.plan_money.plan_outcomes`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.utils
from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import data_access, history, ids, outcomes_panel, words
from dashboard.attrs import attrs
from dashboard.callbacks import CallbackRegistry, Stored
from dashboard.engine import DEFAULT_MODE
from dashboard.history import History, Plan
from dashboard.html_slot import html_slot, to_html
from dashboard.money_charts import (
    CONFIG,
    before_after_bars,
    money,
    percent,
    placeholder,
    waterfall_figure,
)
from dashboard.money_tables import SELECTED_ROW, district_table, fifths_table, gap_table, lorenz_svg, lot_table
from dashboard.plan_money import (
    CostedPlan,
    MoneySettings,
    PlacedPlan,
    PlanOutcomes,
    default_assumptions,
    hub_costs,
    money_settings,
    placed_plan,
    plan_assumptions,
    plan_outcomes,
    today_ledger,
    with_money_settings,
)
from dashboard.words import pounds
from geo.assumptions import Assumptions
from geo.errors import PlannerInputError
from geo.investment import (
    DEFAULT_IPS_SPECIALISTS,
    MODEL_LABELS,
    MODELS,
    InvestmentLedger,
    spend_by_model,
    waterfall,
)
from geo.locality import Locality
from geo.network import Mode
from geo.plan_equity import FIFTH_LABELS, areas_at_points
from geo.projection import grid_xy
from geo.provision import with_known_figures
from geo.scenarios import SERVICE_DECISIONS, ScenarioContent, scenario_from_dict, scenario_to_dict

CALLBACKS = CallbackRegistry()
DECISION_LABELS = {"keep": "Keep", "reshape": "Re-shape", "decommission": "Close"}
NO_DISTRICT = "none"
# Short enough to leave room for the figures on a 470-pixel chart; the card lists the full names.
SHORT_MODEL_LABELS = {"day_activity": "Day activity", "employment": "Employment support",
                      "mainstream": "Mainstream activities", "direct_payments": "Direct payments"}


# ---------------------------------------------------------------------------------------
# Builders: PlanOutcomes / PlacedPlan -> components
# ---------------------------------------------------------------------------------------
def _shares_text(shares: list[float], amounts: list[float]) -> list[str]:
    return [f"{percent(s)} ({money(a)})" if math.isfinite(s) else "-" for s, a in zip(shares, amounts, strict=True)]


def _zero_nan(values: list[float]) -> list[float]:
    return [v if math.isfinite(v) else 0.0 for v in values]


def model_figure(ledger: InvestmentLedger) -> dict[str, Any]:
    """The 88/10/2 split today against the plan's, by kind of support."""
    table = spend_by_model(ledger)
    labels = [SHORT_MODEL_LABELS[model] for model in MODELS]
    today, plan = table["current_share"].tolist(), table["plan_share"].tolist()
    return before_after_bars(
        labels, [100 * v for v in _zero_nan(today)], [100 * v for v in _zero_nan(plan)],
        title="Where the money goes, by kind of support",
        today_text=_shares_text(today, table["current_gbp"].tolist()),
        plan_text=_shares_text(plan, table["plan_gbp"].tolist()),
    )


def headroom_text(ledger: InvestmentLedger, budget: float | None = None) -> tuple[str, str]:
    """The plan against its budget (today's spend when ``budget`` is None): the amount and what it means."""
    against = ledger.current_gbp if budget is None else budget
    to_spare = round(against - ledger.plan_gbp)
    if to_spare == 0:
        return "£0", "the plan costs exactly its budget"
    return pounds(abs(to_spare)), ("a year to spare within the budget" if to_spare > 0
                                   else "a year over the budget")


def budget_of(costed: CostedPlan) -> float:
    """The plan's budget in pounds a year: the planner's cap, else today's spend."""
    cap = costed.settings.budget_cap_gbp
    return costed.ledger.current_gbp if cap is None else cap


def year_one_text(m: PlanOutcomes) -> str:
    """What the first contract year costs on top: double running and setting up new sites."""
    extra = m.year_one.plan_gbp - m.costed.ledger.plan_gbp
    set_up = sum(m.year_one.lines["set_up_gbp"].tolist())
    months = m.costed.assumptions["transition_months"]
    return (f"These are yearly figures once the changeover is over. In contract year 1 the plan costs "
            f"{money(m.year_one.plan_gbp)}: {money(extra - set_up)} for running closed and re-shaped services "
            f"alongside the new ones for {months:g} months (double running) and {money(set_up)} to set up hubs "
            f"on new sites.")


def decision_note(assumptions: Assumptions) -> str:
    return (f"Re-shape: the service keeps {percent(assumptions['reshape_keep_fraction'])} of its budget and "
            "changes what it offers; the rest is released. Close: the service closes and all of its "
            f"budget is released, after {assumptions['transition_months']:g} months of running alongside the new "
            "services (double running). Money released is shown for a full year.")


def released_by_service(ledger: InvestmentLedger, service_ids: list[str]) -> list[str]:
    """Money each of today's services releases in a full year, in the order of ``service_ids``."""
    lines = ledger.lines
    totals = dict.fromkeys(service_ids, 0.0)
    for line_id, line_type, amount in zip(lines["line_id"].tolist(), lines["line_type"].tolist(),
                                          lines["released_gbp"].tolist(), strict=True):
        if line_type == "existing":
            totals[line_id] = totals.get(line_id, 0.0) + amount
    return [money(totals[s]) if totals[s] > 0 else "£0" for s in service_ids]


def hub_costs_table(costed: CostedPlan, plan: ScenarioContent, selected_hub: str | None) -> html.Table:
    """Each hub's yearly cost (with its community links workers), its places when any are set, and the
    people it supports."""
    hubs = hub_costs(costed, plan)
    with_places = any(hub.capacity_places is not None for hub in hubs)
    rows = [html.Tr(**attrs({"data-hub-id": hub.hub_id}),
                    className=SELECTED_ROW if hub.hub_id == selected_hub else None, children=[
        html.Th(f"{hub.label}. {hub.name}", scope="row"), html.Td(hub.district), html.Td(pounds(hub.cost_gbp)),
        *([html.Td("not set" if hub.capacity_places is None else f"{hub.capacity_places:,}")] if with_places else []),
        html.Td(f"{hub.people_a_year:,.0f}"),
    ]) for hub in hubs]
    head = ("Hub", "District", "Yearly cost", *(("Places",) if with_places else ()), "People a year")
    return html.Table(className="table table-sm money-table mb-0", children=[
        html.Caption("The hubs: yearly cost with their community links workers", className="caption-top"),
        html.Thead(html.Tr([html.Th(t, scope="col") for t in head])),
        html.Tbody(rows),
    ])


def biggest_town_note(placed: PlacedPlan) -> str:
    today, plan = placed.equity_today, placed.equity_plan
    town = today.biggest_town
    return (f"Share of {words.share_at_services_in(town)} (where the money is spent): "
            f"{percent(today.biggest_town_share_of_sites)} today. Share of {words.share_reaching_residents_of(town)} "
            f"(who it reaches): {percent(today.biggest_town_share_of_spend)} today, "
            f"{percent(plan.biggest_town_share_of_spend)} in the plan; {words.share_of_need_in(town)}: "
            f"{percent(plan.biggest_town_share_of_need)}.")


def selected_area_note(placed: PlacedPlan, locality: Locality, row: int | None) -> Any:
    if row is None or not 0 <= row < len(locality.areas):
        return "Click an area on the map to see its share here, or pick a district."
    areas = locality.areas
    fifth = FIFTH_LABELS.get((int(areas["imd_decile"].iat[row]) + 1) // 2, "")
    plan, today = placed.equity_plan.per_area, placed.equity_today.per_area
    return [html.Strong(f"{areas['name'].iat[row]} ({areas['district'].iat[row]}, {fifth.lower()}): "),
            f"£{plan['spend_per_need_gbp'].iat[row]:,.2f} per need-weighted adult in the plan "
            f"({percent(plan['ratio_to_fair_share'].to_numpy()[row])} of its fair share); "
            f"today £{today['spend_per_need_gbp'].iat[row]:,.2f} "
            f"({percent(today['ratio_to_fair_share'].to_numpy()[row])})."]


def _fifth_of(locality: Locality, row: int | None) -> int | None:
    if row is None or not 0 <= row < len(locality.areas):
        return None
    return (int(locality.areas["imd_decile"].iat[row]) + 1) // 2


def money_views(m: PlanOutcomes, service_ids: list[str]) -> tuple[Any, ...]:
    """The money card's outputs that only the money changes, in the order of :func:`money_outputs`."""
    ledger = m.costed.ledger
    return (
        pounds(ledger.current_gbp), pounds(ledger.plan_gbp), pounds(budget_of(m.costed)),
        *headroom_text(ledger, budget_of(m.costed)),
        decision_note(m.costed.assumptions),
        released_by_service(ledger, service_ids), model_figure(ledger), waterfall_figure(waterfall(ledger)),
        year_one_text(m),
    )


def money_outputs() -> list[Output]:
    return [Output(ids.KPI_TODAY_COST, "children"), Output(ids.KPI_PLAN_COST, "children"),
            Output(ids.KPI_BUDGET, "children"), Output(ids.KPI_HEADROOM, "children"),
            Output(ids.KPI_HEADROOM_LABEL, "children"),
            Output(ids.DECISION_NOTE, "children"),
            Output({"type": ids.SERVICE_RELEASED, "service": ALL}, "children"),
            Output(ids.LEDGER_MODEL_CHART, "figure"), Output(ids.LEDGER_WATERFALL, "figure"),
            Output(ids.LEDGER_YEAR_ONE, "children")]


def place_views(placed: PlacedPlan, plan: ScenarioContent, locality: Locality, *, district: str | None,
                hub: str | None, area_row: int | None) -> tuple[Any, ...]:
    """The outputs a hub move changes (fairness, spend by place, the hubs), in the order of :func:`place_outputs`."""
    equity, today = placed.equity_plan, placed.equity_today
    return (
        words.gini(equity.gini), f"{100 * equity.biggest_town_share_of_spend:.1f}%",
        words.signed_index(equity.concentration_index),
        f"Today: Gini {words.gini(today.gini)}, {words.share_reaching_residents_of(today.biggest_town)} "
        f"{100 * today.biggest_town_share_of_spend:.1f}%, "
        f"concentration index {words.signed_index(today.concentration_index)}.",
        biggest_town_note(placed), selected_area_note(placed, locality, area_row),
        to_html(fifths_table(placed.fifths_today, placed.fifths_plan, selected_fifth=_fifth_of(locality, area_row))),
        lorenz_svg(today.lorenz, equity.lorenz, gini_today=today.gini, gini_plan=equity.gini),
        to_html(gap_table(today.by_district, equity.by_district, selected=district)),
        to_html(hub_costs_table(placed.costed, plan, hub)), to_html(district_table(placed.by_district, district)),
        to_html(lot_table(placed.by_lot)),
    )


def place_outputs() -> list[Output]:
    return [Output(ids.KPI_GINI_SPEND, "children"), Output(ids.KPI_BIGGEST_TOWN_SHARE, "children"),
            Output(ids.KPI_CONCENTRATION_SPEND, "children"), Output(ids.KPI_FAIRNESS_TODAY, "children"),
            Output(ids.BIGGEST_TOWN_NOTE, "children"), Output(ids.SELECTED_AREA_NOTE, "children"),
            Output(ids.EQUITY_FIFTHS_CHART, "children"), Output(ids.EQUITY_LORENZ_CHART, "children"),
            Output(ids.EQUITY_GAP_CHART, "children"), Output(ids.HUB_COSTS_TABLE, "children"),
            Output(ids.LEDGER_DISTRICT_CHART, "children"), Output(ids.LEDGER_LOT_CHART, "children")]


# ---------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------
def headline(value_id: str, label: str, note: Any = None, *, label_id: str | None = None) -> html.Div:
    return html.Div(className="headline", children=[
        html.Div("-", id=value_id, className="headline-value"),
        html.Div(label, className="headline-label", **attrs({"id": label_id} if label_id else {})),
        html.Div(note, className="headline-note") if note is not None else None,
    ])


def graph(element_id: str, height: int) -> dcc.Graph:
    return dcc.Graph(id=element_id, config=CONFIG, figure=placeholder(height), className="money-chart")


def service_row(service: pd.Series) -> html.Div:
    """One of today's services: its name, budget, a keep / re-shape / close choice and the money released."""
    service_id = str(service["service_id"])
    return html.Div(className="decision-row", children=[
        html.Label(className="decision-label", children=[
            html.Span(className="decision-name", children=[
                html.Strong(str(service["name"])),
                html.Span(f"{service['town']} · {money(float(service['budget_gbp']))} a year · "
                          f"{int(service['clients'])} people", className="decision-meta"),
            ]),
            dbc.Select(id={"type": ids.SERVICE_DECISION, "service": service_id}, value="keep",
                       options=[{"label": DECISION_LABELS[d], "value": d} for d in SERVICE_DECISIONS],
                       className="decision-select"),
        ]),
        html.Div(className="decision-released", children=[
            html.Span("released", className="decision-meta"),
            html.Span("£0", id={"type": ids.SERVICE_RELEASED, "service": service_id}),
        ]),
    ])


def number_control(element_id: str, label: str, explanation: str, *, value: float | None, step: float,
                   maximum: float) -> html.Div:
    return html.Div(className="number-control", children=[
        dbc.Label(label, html_for=element_id, className="fw-semibold mb-0"),
        html.P(explanation, className="small text-muted mb-1"),
        dbc.Input(id=element_id, type="number", value=value, min=0, max=maximum, step=step, debounce=True,
                  className="number-input"),
    ])


def unknown_figures_note(locality: Locality) -> html.P | None:
    """Which services the money leaves out because their budget or clients are not known."""
    known = set(with_known_figures(locality.services)["service_id"].astype(str))
    unknown = [str(s["name"]) for _, s in locality.services.iterrows() if str(s["service_id"]) not in known]
    if not unknown:
        return None
    return html.P(className="small", children=(
        f"Not counted here, as their budget or number of clients is not known: {', '.join(unknown)}. "
        "They are on the map and in journey times."))


def money_card(locality: Locality) -> dbc.Card:
    base = default_assumptions()
    return dbc.Card(id=ids.INVESTMENT_PANEL, className="panel-card", children=[
        dbc.CardHeader(html.H2("Money: today and the plan", className="h5 mb-0")),
        dbc.CardBody([
            html.Div(className="headlines money-headlines", children=[
                headline(ids.KPI_TODAY_COST, "spent a year today"),
                headline(ids.KPI_PLAN_COST, "a year in the plan"),
                headline(ids.KPI_BUDGET, "the budget a year"),
                headline(ids.KPI_HEADROOM, "the plan against its budget", label_id=ids.KPI_HEADROOM_LABEL),
            ]),
            html.Div(id=ids.MONEY_PROBLEM, role="alert", className="money-problem"),
            number_control(
                ids.BUDGET_CAP, "Budget a year (£)",
                "The most the plan should cost in a full year. It starts at today's spend; change it to test "
                "a cut or new money. Suggest placements can use it to say how many hubs it pays for.",
                value=None, step=10_000, maximum=500_000_000),
            html.H3("Today's services: keep, re-shape or close", className="h6 mt-2"),
            html.P(id=ids.DECISION_NOTE, className="small"),
            html.Div(className="decision-list", children=[
                service_row(s) for _, s in with_known_figures(locality.services).iterrows()]),
            unknown_figures_note(locality),
            html.H3("The new services", className="h6 mt-3"),
            number_control(
                ids.IPS_SPECIALISTS, "IPS employment specialists",
                "IPS (Individual Placement and Support) helps people find paid work quickly and keeps supporting "
                "them in the job. One manager leads the specialists; the papers' service had 10.",
                value=DEFAULT_IPS_SPECIALISTS, step=1, maximum=100),
            number_control(
                ids.LINKS_PER_HUB, "Community links workers in each hub",
                "Based in the hubs, they help people into ordinary social, leisure, education and cultural "
                "activity (full-time equivalents).",
                value=base["links_workers_per_hub"], step=0.5, maximum=20),
            number_control(
                ids.DIRECT_PAYMENTS, "Direct payments and individual budgets (£ a year)",
                "Money people hold themselves to buy the support they choose.",
                value=0, step=10_000, maximum=50_000_000),
            html.Div(id=ids.MONEY_STATUS, className="plan-status", role="status", **attrs({"aria-live": "polite"})),
            html.Div(html_slot(ids.HUB_COSTS_TABLE), id=ids.HUB_COSTS, className="mt-2",
                     **attrs({"data-selected": ""})),
            html.H3("The ledger", className="h6 mt-3"),
            graph(ids.LEDGER_MODEL_CHART, 358),
            html.P("; ".join(f"{SHORT_MODEL_LABELS[m]}: {MODEL_LABELS[m].lower()}" for m in MODELS) + ".",
                   className="small text-muted"),
            graph(ids.LEDGER_WATERFALL, 378),
            html.P(id=ids.LEDGER_YEAR_ONE, className="small"),
            html_slot(ids.LEDGER_DISTRICT_CHART),
            html_slot(ids.LEDGER_LOT_CHART),
        ]),
    ])


def fairness_card(locality: Locality) -> dbc.Card:
    districts = sorted(locality.areas["district"].astype(str).unique())
    return dbc.Card(id=ids.FAIRNESS_PANEL, className="panel-card", children=[
        dbc.CardHeader(html.H2("Is the money fair? Spend against need", className="h5 mb-0")),
        dbc.CardBody([
            html.P(className="small", children=(
                "Each service's money is counted against the areas it serves: shared over the people in need who "
                "can reach it, nearer areas counting more; the IPS service and direct payments are shared across "
                f"the county by need. {words.NEED_DEFINITION} A fair share gives every area the same "
                f"{words.SPEND_PER_NEED}.")),
            html.Div(className="headlines", children=[
                headline(ids.KPI_GINI_SPEND, words.GINI_SPEND),
                headline(ids.KPI_BIGGEST_TOWN_SHARE, f"of {words.share_reaching_residents_of(locality.biggest_town)}"),
                headline(ids.KPI_CONCENTRATION_SPEND, words.CONCENTRATION_SPEND),
            ]),
            html.P(id=ids.KPI_FAIRNESS_TODAY, className="small text-muted mb-1"),
            html.Ul(className="small explain-list", children=[
                html.Li(f"Gini: {words.GINI_SPEND_NOTE}."),
                html.Li(f"Concentration index: {words.CONCENTRATION_NOTE}."),
            ]),
            html.P(id=ids.BIGGEST_TOWN_NOTE, className="lead-sentence"),
            html.Div(className="d-flex align-items-center gap-2", children=[
                dbc.Label("Highlight a district", html_for=ids.DISTRICT_SELECT, className="mb-0 text-nowrap"),
                dbc.Select(id=ids.DISTRICT_SELECT, value=NO_DISTRICT,
                           options=[{"label": "None", "value": NO_DISTRICT}]
                           + [{"label": d, "value": d} for d in districts]),
            ]),
            html.P(id=ids.SELECTED_AREA_NOTE, className="small mt-2", **attrs({"aria-live": "polite"})),
            dcc.Store(id=ids.SELECTED_AREA, data=None),
            dcc.Store(id=ids.MONEY_KEY, data=None),
            html_slot(ids.EQUITY_FIFTHS_CHART),
            html_slot(ids.EQUITY_LORENZ_CHART),
            html_slot(ids.EQUITY_GAP_CHART),
        ]),
    ])


def layout(locality: Locality) -> html.Div:
    """The money card and the fairness card, for the planner's side column. What they show of money by
    place is kept as digests (PLACES_SHOWN) while the tab is open; a new tab starts without them."""
    return html.Div(className="money-panels", children=[dcc.Store(id=ids.PLACES_SHOWN),
                                                        money_card(locality), fairness_card(locality)])


# ---------------------------------------------------------------------------------------
# Edits: controls -> plan
# ---------------------------------------------------------------------------------------
def _number(value: Any, name: str) -> float:
    if value is None or value == "":
        raise PlannerInputError(f"{name}: expected a number of at least 0, found an empty box")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PlannerInputError(f"{name}: expected a number of at least 0, found {value!r}") from None


def apply_money_edit(plan: ScenarioContent, *, decisions: dict[str, str], ips_specialists: Any,
                     links_workers_per_hub: Any, direct_payments_gbp: Any) -> ScenarioContent | None:
    """The plan with the controls' values written in (None when they already match it)."""
    settings = MoneySettings(
        decisions=decisions,
        ips_specialists=_number(ips_specialists, "IPS employment specialists"),
        links_workers_per_hub=_number(links_workers_per_hub, "Community links workers in each hub"),
        direct_payments_gbp=_number(direct_payments_gbp, "Direct payments"),
    )
    assumptions = plan_assumptions(plan)
    new = with_money_settings(plan, settings)
    return None if money_settings(new, assumptions) == money_settings(plan, assumptions) else new


def control_values(plan: ScenarioContent, service_ids: list[str]) -> tuple[list[str], float, float, float]:
    """What the controls should show for ``plan``."""
    settings = money_settings(plan, plan_assumptions(plan))
    return ([settings.decisions.get(s, "keep") for s in service_ids], settings.ips_specialists,
            settings.links_workers_per_hub, settings.direct_payments_gbp)


@CALLBACKS.callback(
    Output(ids.PLAN, "data", allow_duplicate=True), Output(ids.PLAN_HISTORY, "data", allow_duplicate=True),
    Output(ids.MONEY_STATUS, "children"),
    Input({"type": ids.SERVICE_DECISION, "service": ALL}, "value"), Input(ids.IPS_SPECIALISTS, "value"),
    Input(ids.LINKS_PER_HUB, "value"), Input(ids.DIRECT_PAYMENTS, "value"),
    State({"type": ids.SERVICE_DECISION, "service": ALL}, "id"), State(ids.PLAN, "data"),
    State(ids.PLAN_HISTORY, "data"),
    prevent_initial_call=True,
)
def edit_money(decisions: list[str], ips: float | None, links: float | None, direct: float | None,
               boxes: list[dict[str, str]], plan_data: Plan, history_data: History | None) -> tuple[Any, Any, Any]:
    chosen = {box["service"]: value for box, value in zip(boxes, decisions, strict=True)}
    try:
        new = apply_money_edit(scenario_from_dict(plan_data), decisions=chosen, ips_specialists=ips,
                               links_workers_per_hub=links, direct_payments_gbp=direct)
    except PlannerInputError as error:
        return no_update, no_update, f"Not changed: {error}"
    if new is None:
        return no_update, no_update, no_update
    return scenario_to_dict(new), history.record(history_data, plan_data), "The plan's money has been updated."


@CALLBACKS.callback(
    Output({"type": ids.SERVICE_DECISION, "service": ALL}, "value"), Output(ids.IPS_SPECIALISTS, "value"),
    Output(ids.LINKS_PER_HUB, "value"), Output(ids.DIRECT_PAYMENTS, "value"),
    Input(ids.MONEY_KEY, "data"), State(ids.PLAN, "data"), State({"type": ids.SERVICE_DECISION, "service": ALL}, "id"),
    State({"type": ids.SERVICE_DECISION, "service": ALL}, "value"), State(ids.IPS_SPECIALISTS, "value"),
    State(ids.LINKS_PER_HUB, "value"), State(ids.DIRECT_PAYMENTS, "value"),
)
def follow_plan_money(_key: str | None, plan_data: Plan, boxes: list[dict[str, str]], decisions: list[str],
                      ips: float | None, links: float | None,
                      direct: float | None) -> tuple[list[str], float, float, float]:
    """Undo, redo or an opened scenario: the controls show what the plan says.

    Woken by the money key (assets/money.js), which changes only when the plan's money
    does, so a hub drag costs no request here.
    """
    try:
        wanted = control_values(scenario_from_dict(plan_data), [box["service"] for box in boxes])
    except PlannerInputError as error:  # recompute_places shows the message
        raise PreventUpdate from error
    if (list(decisions), ips, links, direct) == (wanted[0], *wanted[1:]):
        raise PreventUpdate
    return wanted


def apply_budget_edit(plan: ScenarioContent, value: Any, today_gbp: float) -> ScenarioContent | None:
    """The plan with the budget box's value as its cap (today's spend, or an empty box, means no cap of its own)."""
    cap = None if value is None or value == "" else _number(value, "Budget a year")
    if cap is not None and round(cap) == round(today_gbp):
        cap = None
    if cap == plan.money.budget_cap_gbp:
        return None
    return dataclasses.replace(plan, money=dataclasses.replace(plan.money, budget_cap_gbp=cap))


@CALLBACKS.callback(
    Output(ids.PLAN, "data", allow_duplicate=True), Output(ids.PLAN_HISTORY, "data", allow_duplicate=True),
    Output(ids.MONEY_STATUS, "children", allow_duplicate=True),
    Input(ids.BUDGET_CAP, "value"), State(ids.PLAN, "data"), State(ids.PLAN_HISTORY, "data"),
    prevent_initial_call=True,
)
def edit_budget(value: float | None, plan_data: Plan, history_data: History | None) -> tuple[Any, Any, Any]:
    try:
        new = apply_budget_edit(scenario_from_dict(plan_data), value,
                                today_ledger(data_access.current_folder()).current_gbp)
    except PlannerInputError as error:
        return no_update, no_update, f"Not changed: {error}"
    if new is None:
        return no_update, no_update, no_update
    return scenario_to_dict(new), history.record(history_data, plan_data), "The plan's budget has been updated."


@CALLBACKS.callback(Output(ids.BUDGET_CAP, "value"), Input(ids.MONEY_KEY, "data"), State(ids.PLAN, "data"),
                    State(ids.BUDGET_CAP, "value"))
def follow_budget(_key: str | None, plan_data: Plan, shown: float | None) -> float:
    """The budget box shows the plan's budget: its cap, else today's spend."""
    try:
        cap = scenario_from_dict(plan_data).money.budget_cap_gbp
    except PlannerInputError as error:
        raise PreventUpdate from error
    wanted = float(round(today_ledger(data_access.current_folder()).current_gbp if cap is None else cap))
    if shown is not None and float(shown) == wanted:
        raise PreventUpdate
    return wanted


# ---------------------------------------------------------------------------------------
# Linked views: an area clicked on the map or a district picked in a table
# ---------------------------------------------------------------------------------------
def area_row_at(locality: Locality, lat: float, lng: float) -> int:
    """Row of the area under a map point (the nearest area for a point outside the county)."""
    x, y = grid_xy(lng, lat)
    return int(areas_at_points(locality.areas, np.array([[x, y]]))[0])


def place_choice(locality: Locality, map_click: dict[str, Any] | None, add_mode: str | None) -> tuple[Any, Any]:
    """What a map click selects: the area under it and its district (a click that placed a hub, nothing)."""
    if add_mode or not map_click:
        return no_update, no_update  # the click placed a new hub or outreach point
    row = area_row_at(locality, float(map_click["latlng"]["lat"]), float(map_click["latlng"]["lng"]))
    return row, str(locality.areas["district"].iat[row])


# A district's button in the money tables sets the district choice in the browser (assets/money.js).
@CALLBACKS.callback(
    Output(ids.SELECTED_AREA, "data"), Output(ids.DISTRICT_SELECT, "value"),
    Input(ids.MAP, "clickData"), State(ids.ADD_MODE, "data"),
    prevent_initial_call=True,
)
def choose_place(map_click: dict[str, Any] | None, add_mode: str | None) -> tuple[Any, Any]:
    return place_choice(data_access.current_locality(), map_click, add_mode)


# ---------------------------------------------------------------------------------------
# Recompute. A hub move changes where money lands: fairness, spend by place, who is reached.
# Only a change of money (the key from assets/money.js, via dashboard/plan_followers.py)
# changes the totals and the outcomes.
# ---------------------------------------------------------------------------------------
# Choosing a hub only moves the highlight in the hub table, in the browser: the hub list is
# rewritten on every plan change, and as an input it would make each drag cost two recomputes.
CALLBACKS.clientside_callback(
    ClientsideFunction(namespace="dspMoney", function_name="highlightHub"),
    Output(ids.HUB_COSTS, "data-selected"), Input(ids.HUB_SELECT, "value"),
)


# Money by place shows only in the Money and fairness and the Outcomes tabs: while they are
# closed a drag does not ask for it (at 35,000 areas it is half a second of the server's time);
# opening one passes the plan on (PLACES_PLAN, from dashboard/plan_followers.py), and the
# figures follow. The money key (MONEY_KEY) comes from there too.
@CALLBACKS.callback(
    *place_outputs(), *outcomes_panel.place_outputs(), Output(ids.MONEY_PROBLEM, "children"),
    Output(ids.PLACES_SHOWN, "data"),
    Input(ids.PLACES_PLAN, "data"), Input(ids.TRAVEL_MODE, "value"), Input(ids.DISTRICT_SELECT, "value"),
    Input(ids.SELECTED_AREA, "data"), State(ids.HUB_SELECT, "value"), State(ids.PLAN, "data"),
    State(ids.PLACES_SHOWN, "data"),
)
def recompute_places(_opened: Stored, mode: Mode | None, district: str | None, area_row: int | None,
                     hub: str | None, plan_data: Plan, shown: list[str] | None = None) -> tuple[Any, ...]:
    """Fairness, spend by place, the hubs' costs and who is reached, for the plan as it is now.

    Only what changed is sent: a drag moves the fairness figures but seldom the spend by district or
    by lot, and each output sent is redrawn in the browser."""
    plan = scenario_from_dict(plan_data)
    try:
        placed = placed_plan(data_access.current_folder(), plan, mode or DEFAULT_MODE)
    except PlannerInputError as error:
        count = len(place_outputs()) + len(outcomes_panel.place_outputs())
        # No digests: the next answer sends everything again, the message's clearing included.
        return (*([no_update] * count), f"These figures could not be worked out: {error}", None)
    chosen = None if district in (None, NO_DISTRICT) else district
    views = (*place_views(placed, plan, data_access.current_locality(), district=chosen, hub=hub,
                          area_row=area_row), *outcomes_panel.place_views(placed), None)  # None: no problem
    sent, digests = changed_since(views, shown)
    return (*sent, digests)


def digest(value: Any) -> str:
    """A short fingerprint of an output's value (figures, components and text alike)."""
    text = json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def changed_since(values: tuple[Any, ...], shown: list[str] | None) -> tuple[tuple[Any, ...], list[str]]:
    """``values`` with ``no_update`` for each that the page shows already (``shown``: their digests as last
    sent, None for a freshly opened tab), and the digests now."""
    digests = [digest(value) for value in values]
    if not shown or len(shown) != len(values):
        return values, digests
    sent = tuple(no_update if new == old else value for value, new, old in zip(values, digests, shown, strict=True))
    return sent, digests


@CALLBACKS.callback(
    *money_outputs(), *outcomes_panel.outcome_outputs(),
    Input(ids.MONEY_KEY, "data"), State(ids.PLAN, "data"),
    State({"type": ids.SERVICE_RELEASED, "service": ALL}, "id"),
)
def recompute_money(_key: str | None, plan_data: Plan, released_boxes: list[dict[str, str]]) -> tuple[Any, ...]:
    try:
        m = plan_outcomes(data_access.current_folder(), scenario_from_dict(plan_data))
    except PlannerInputError as error:  # recompute_places shows the message
        raise PreventUpdate from error
    return (*money_views(m, [box["service"] for box in released_boxes]), *outcomes_panel.outcome_views(m))


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
