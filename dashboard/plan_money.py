"""A plan's money and what it buys, worked out through ``geo`` for the investment and outcome panels.

Two bundles, split by what a hub move changes. :func:`placed_plan` (run on every move)
costs the plan and measures access, the fairness of its spend and who it reaches;
:func:`plan_outcomes` (run only when the money changes: decisions, staffing, budgets,
assumptions, hubs added or removed) gives year one, the expected outcomes and the
direct-payments outlook. Everything that does not depend on the plan (the assumptions
file, minutes to today's services, the areas' fixed columns, today's fairness) is read
once per worker process and reused: deterministic values, never a user's state.

Where the plan keeps its money settings (so they save with the scenario):

* ``service_decisions``: service id -> "reshape" or "decommission" (absent = keep);
* ``money``: pounds a year for direct payments, IPS employment specialists and community
  links workers per hub (full-time equivalents), each in its own typed field
  (:class:`geo.money.PlanMoney`);
* ``assumptions``: the values the user changed in the assumptions table (key -> number),
  with ``assumptions_version`` the label of the table in force.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from dashboard.data_access import locality_for
from dashboard.engine import DEFAULT_MODE, router_for, score_plan
from dashboard.layers import NO_DATA, Classed
from geo.access import AccessResult
from geo.assumptions import Assumptions, assumptions_from_csv
from geo.equity import SpendEquity
from geo.errors import PlannerInputError
from geo.investment import (
    InvestmentLedger,
    InvestmentPlan,
    block_contract_gbp,
    district_lots_from_frame,
    investment_ledger,
    plan_from_scenario,
    spend_by_district,
    spend_by_lot,
)
from geo.money import links_workers_per_hub
from geo.network import Mode
from geo.outcomes import (
    client_group_shares,
    direct_payments_outlook,
    expected_outcomes,
    group_reach,
    group_shares_from_areas,
    outcome_totals,
)
from geo.plan_equity import EquityAreas, areas_at_points, equity_areas, plan_spend_equity, spend_by_deprivation_fifth
from geo.provision import with_known_figures
from geo.scenarios import ScenarioContent, ServiceDecision

ACCESS_THRESHOLD_MIN = 30.0


@functools.lru_cache(maxsize=1)
def default_assumptions() -> Assumptions:
    """The project's assumptions table (data/assumptions.csv), read once per process."""
    return assumptions_from_csv()


def assumptions_with(edits: Mapping[str, Any]) -> Assumptions:
    """The published table with ``edits`` (key -> value) applied.

    Keys the table does not know are left alone (a plan may carry other settings in its
    ``assumptions``); a value outside its unit's bounds raises
    :class:`~geo.errors.PlannerInputError` naming the row.
    """
    base = default_assumptions()
    known = {key: value for key, value in edits.items() if key in base}
    return base.with_values(known) if known else base


def plan_assumptions(plan: ScenarioContent) -> Assumptions:
    """The table in force for ``plan``: the published values with those the user changed."""
    return assumptions_with(plan.assumptions)


def assumption_edits(base: Assumptions, values: dict[str, Any]) -> dict[str, float]:
    """The values that differ from ``base`` (what a plan records), checked by building the table."""
    edits = {}
    for key, value in values.items():
        if key not in base:
            continue
        if value is None or value == "":
            raise PlannerInputError(f"{base.row(key).label}: expected a number, found an empty box")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PlannerInputError(f"{base.row(key).label}: expected a number, found {value!r}") from None
        if number != base[key]:
            edits[key] = number
    base.with_values(edits)  # raises, naming the row, when a value is outside its unit
    return edits


@dataclass(frozen=True)
class MoneySettings:
    """The plan's money settings as the controls show them."""

    decisions: dict[str, str]
    ips_specialists: float
    links_workers_per_hub: float
    direct_payments_gbp: float
    budget_cap_gbp: float | None = None  # None: today's spend


def money_settings(plan: ScenarioContent, assumptions: Assumptions) -> MoneySettings:
    """Read the controls' values from the plan, with defaults where it says nothing."""
    money = plan.money
    return MoneySettings(
        decisions=dict(plan.service_decisions),
        ips_specialists=money.ips_specialists_fte,
        links_workers_per_hub=links_workers_per_hub(money, assumptions["links_workers_per_hub"]),
        direct_payments_gbp=money.direct_payments_gbp,
        budget_cap_gbp=money.budget_cap_gbp,
    )


def with_money_settings(plan: ScenarioContent, settings: MoneySettings) -> ScenarioContent:
    """Write the controls' values into the plan ("keep" is left out: it is the default)."""
    for name, value in (("IPS employment specialists", settings.ips_specialists),
                        ("Community links workers per hub", settings.links_workers_per_hub),
                        ("Direct payments", settings.direct_payments_gbp),
                        ("Budget a year", 0.0 if settings.budget_cap_gbp is None else settings.budget_cap_gbp)):
        if not np.isfinite(value) or value < 0:
            raise PlannerInputError(f"{name}: expected a number of at least 0, found {value:g}")
    money = dataclasses.replace(plan.money, ips_specialists_fte=settings.ips_specialists,
                                links_workers_per_hub_fte=settings.links_workers_per_hub,
                                direct_payments_gbp=settings.direct_payments_gbp,
                                budget_cap_gbp=settings.budget_cap_gbp)
    # The controls send any text; ScenarioContent refuses a decision it does not know.
    decisions = {s: cast(ServiceDecision, d) for s, d in settings.decisions.items() if d != "keep"}
    return dataclasses.replace(plan, service_decisions=decisions, money=money)


# ---------------------------------------------------------------------------------------
# What does not depend on the plan: once per process
# ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def areas_for_equity(folder: str) -> EquityAreas:
    locality = locality_for(folder)
    return equity_areas(locality.areas, biggest_town=locality.biggest_town)


@functools.lru_cache(maxsize=4)
def district_lots(folder: str) -> dict[str, str]:
    return district_lots_from_frame(locality_for(folder).districts)


@functools.lru_cache(maxsize=4)
def money_services(folder: str) -> pd.DataFrame:
    """Today's services whose budget and clients are known: the ones the money and outcomes count."""
    return with_known_figures(locality_for(folder).services)


@functools.lru_cache(maxsize=4)
def service_ids(folder: str) -> tuple[str, ...]:
    return tuple(money_services(folder)["service_id"].astype(str))


@functools.lru_cache(maxsize=12)
def service_minutes(folder: str, mode: Mode) -> np.ndarray:
    """Minutes from every area to each of today's services (areas x services)."""
    services = money_services(folder)
    xy = np.column_stack([services.geometry.x.to_numpy(), services.geometry.y.to_numpy()])
    minutes = router_for(folder, mode).matrix(xy, list(service_ids(folder))).minutes
    minutes.setflags(write=False)
    return minutes


@functools.lru_cache(maxsize=4)
def today_ledger(folder: str) -> InvestmentLedger:
    """Today's services as a ledger with nothing new (amounts do not depend on assumptions)."""
    return investment_ledger(money_services(folder), InvestmentPlan(ips_specialists=0, ips_managers=0),
                             default_assumptions(), district_lots=district_lots(folder))


@functools.lru_cache(maxsize=12)
def today_equity(folder: str, mode: Mode) -> SpendEquity:
    """How fairly today's spend falls against need."""
    return plan_spend_equity(areas_for_equity(folder), today_ledger(folder), service_ids=service_ids(folder),
                             service_minutes=service_minutes(folder, mode), hub_ids=(),
                             hub_minutes=np.empty((len(locality_for(folder).areas), 0)), amount="current_gbp")


@functools.lru_cache(maxsize=16)
def today_outcomes(folder: str, assumptions: Assumptions) -> pd.DataFrame:
    """What today's services are expected to achieve in a year, under ``assumptions``."""
    services = money_services(folder)
    return expected_outcomes(services, InvestmentPlan(ips_specialists=0, ips_managers=0), assumptions)


@functools.lru_cache(maxsize=16)
def today_totals(folder: str, assumptions: Assumptions) -> pd.DataFrame:
    """Today's outcome totals and costs per outcome, under ``assumptions``."""
    return outcome_totals(today_outcomes(folder, assumptions))


@functools.lru_cache(maxsize=12)
def today_fifths(folder: str, mode: Mode) -> pd.DataFrame:
    return spend_by_deprivation_fifth(areas_for_equity(folder), today_equity(folder, mode))


# ---------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HubPlace:
    """Where a hub is: the row, code, district and town of the area it sits in."""

    row: int
    code: str
    district: str
    town: str


def hub_places(folder: str, plan: ScenarioContent) -> dict[str, HubPlace]:
    """The area each hub sits in (the nearest, for a hub just outside the county)."""
    if not plan.hubs:
        return {}
    areas = locality_for(folder).areas
    rows = areas_at_points(areas, np.array([[hub.x, hub.y] for hub in plan.hubs]))
    codes, districts, towns = (areas[c].to_numpy() for c in ("code", "district", "town"))
    return {hub.hub_id: HubPlace(int(r), str(codes[r]), str(districts[r]), str(towns[r]))
            for hub, r in zip(plan.hubs, rows, strict=True)}


def investment_plan(plan: ScenarioContent, places: dict[str, HubPlace], assumptions: Assumptions) -> InvestmentPlan:
    """The ledger's view of the plan: its hubs where they sit, and its money settings.

    Hubs carry their district and town but not their small area, so the costed plan
    stays the same while a hub is dragged within a town (see :func:`ledger_for`).
    """
    hub_ids = [hub.hub_id for hub in plan.hubs]
    return plan_from_scenario(
        plan,
        hub_districts={h: places[h].district for h in hub_ids},
        hub_towns={h: places[h].town for h in hub_ids},
        assumptions=assumptions,
    )


@dataclass(frozen=True, eq=False)
class CostedPlan:
    """The plan as the ledger sees it: assumptions in force, money settings, hub places, ledger."""

    assumptions: Assumptions
    settings: MoneySettings
    places: dict[str, HubPlace]
    investment: InvestmentPlan
    ledger: InvestmentLedger


@dataclass(frozen=True)
class _Costing:
    """An investment plan and its assumptions, compared and hashed by content (a cache key)."""

    key: tuple[Any, ...]
    assumptions: Assumptions
    investment: InvestmentPlan = dataclasses.field(compare=False, hash=False)


def _costing(investment: InvestmentPlan, assumptions: Assumptions) -> _Costing:
    hubs = tuple((h.hub_id, h.district, h.name, h.town, h.area_code, h.outreach_points, h.new_site, h.hub_workers,
                  h.links_workers, h.capacity_places) for h in investment.hubs)
    key = (tuple(sorted(investment.service_decisions.items())), hubs, investment.ips_specialists,
           investment.ips_managers, investment.direct_payments_gbp)
    return _Costing(key, assumptions, investment)


@functools.lru_cache(maxsize=64)
def _ledger(folder: str, costing: _Costing) -> InvestmentLedger:
    return investment_ledger(money_services(folder), costing.investment, costing.assumptions,
                             district_lots=district_lots(folder))


def ledger_for(folder: str, investment: InvestmentPlan, assumptions: Assumptions) -> InvestmentLedger:
    """The plan's ledger, remembered by content: a hub dragged within its town costs the same.

    A pure function of its inputs, so remembering recent results per process is safe with
    several workers and users; callers must not change the table it returns.
    """
    return _ledger(folder, _costing(investment, assumptions))


@functools.lru_cache(maxsize=64)
def _spend_by_place(folder: str, costing: _Costing) -> tuple[pd.DataFrame, pd.DataFrame]:
    ledger = _ledger(folder, costing)
    return spend_by_district(ledger), spend_by_lot(ledger)


def spend_by_place(folder: str, costed: CostedPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Today against the plan by district and by contract lot, remembered like :func:`ledger_for`."""
    return _spend_by_place(folder, _costing(costed.investment, costed.assumptions))


def costed_plan(folder: str, plan: ScenarioContent) -> CostedPlan:
    """Cost the plan for a full year once the changeover is over."""
    assumptions = plan_assumptions(plan)
    settings = money_settings(plan, assumptions)
    places = hub_places(folder, plan)
    investment = investment_plan(plan, places, assumptions)
    return CostedPlan(assumptions, settings, places, investment, ledger_for(folder, investment, assumptions))


def plan_equity(folder: str, plan: ScenarioContent, ledger: InvestmentLedger, access: AccessResult,
                mode: Mode) -> SpendEquity:
    """How fairly the plan's spend falls against need: services where they are, hubs over their catchments."""
    hub_minutes = (access.hub_minutes.matrix() if access.hub_minutes is not None and plan.hubs
                   else np.empty((len(locality_for(folder).areas), 0)))
    return plan_spend_equity(areas_for_equity(folder), ledger, service_ids=service_ids(folder),
                             service_minutes=service_minutes(folder, mode),
                             hub_ids=[hub.hub_id for hub in plan.hubs], hub_minutes=hub_minutes)


@dataclass(frozen=True)
class HubCost:
    """One hub as the money panels and the pack show it: its yearly cost (with its community links
    workers), its staff (full-time equivalents) and the people it supports in a year."""

    hub_id: str
    label: str
    name: str
    district: str
    cost_gbp: float
    hub_workers_fte: float
    links_workers_fte: float
    people_a_year: float
    capacity_places: int | None


def hub_costs(costed: CostedPlan, plan: ScenarioContent) -> list[HubCost]:
    """Each hub's yearly cost, staff and people supported, in the plan's order.

    People a year: the hub's places when set, else its support workers times the people each
    supports, plus its community links workers times their caseload (as the outcomes count them).
    """
    lines = costed.ledger.lines
    cost = dict.fromkeys((hub.hub_id for hub in plan.hubs), 0.0)
    for line_id, line_type, amount in zip(lines["line_id"].tolist(), lines["line_type"].tolist(),
                                          lines["plan_gbp"].tolist(), strict=True):
        if line_type in ("hub", "community_links"):
            cost[line_id.removesuffix("-links")] += amount
    a = costed.assumptions
    rows = []
    for hub, planned in zip(plan.hubs, costed.investment.hubs, strict=True):
        workers = a["hub_workers_per_hub"] if planned.hub_workers is None else planned.hub_workers
        places = (workers * a["hub_people_per_worker"] if planned.capacity_places is None
                  else float(planned.capacity_places))
        links = a["links_workers_per_hub"] if planned.links_workers is None else planned.links_workers
        rows.append(HubCost(hub.hub_id, hub.label, hub.name, costed.places[hub.hub_id].district,
                            cost[hub.hub_id], workers, links, places + links * a["links_caseload"],
                            hub.capacity_places))
    return rows


@dataclass(frozen=True, eq=False)
class PlacedPlan:
    """What changes when a hub moves: access, the fairness of spend, who is reached, spend by place."""

    costed: CostedPlan
    by_district: pd.DataFrame
    by_lot: pd.DataFrame
    access: AccessResult
    equity_today: SpendEquity
    equity_plan: SpendEquity
    fifths_today: pd.DataFrame
    fifths_plan: pd.DataFrame
    reach: pd.DataFrame
    clients_today: pd.DataFrame
    residents_within: float


def placed_plan(folder: str, plan: ScenarioContent, mode: Mode = DEFAULT_MODE) -> PlacedPlan:
    """Score the plan's places: run on every hub move, so it stays a few milliseconds of work.

    The hubs' minutes come from :func:`dashboard.engine.score_plan`, whose router has
    already searched from the hubs the map scored, so a move costs no new search here.
    """
    costed = costed_plan(folder, plan)
    access = score_plan(folder, plan.hubs, mode)
    equity_plan = plan_equity(folder, plan, costed.ledger, access, mode)
    areas = areas_for_equity(folder)
    within = np.where(np.isnan(access.minutes), np.inf, access.minutes) <= ACCESS_THRESHOLD_MIN
    by_district, by_lot = spend_by_place(folder, costed)
    return PlacedPlan(
        costed=costed, by_district=by_district, by_lot=by_lot, access=access,
        equity_today=today_equity(folder, mode), equity_plan=equity_plan,
        fifths_today=today_fifths(folder, mode), fifths_plan=spend_by_deprivation_fifth(areas, equity_plan),
        reach=group_reach(areas.need, within.astype(np.float64), group_shares(folder)),
        clients_today=clients_today(folder),
        residents_within=float(areas.population[within].sum()),
    )


@dataclass(frozen=True, eq=False)
class PlanOutcomes:
    """What does not change when a hub moves: the money's totals, year one and the expected outcomes."""

    costed: CostedPlan
    year_one: InvestmentLedger
    outcomes: pd.DataFrame
    outcomes_low: pd.DataFrame
    outcomes_high: pd.DataFrame
    totals: pd.DataFrame
    totals_today: pd.DataFrame
    direct_payments: pd.DataFrame


def plan_outcomes(folder: str, plan: ScenarioContent) -> PlanOutcomes:
    """Cost the plan's money and estimate what it achieves (only when the money, not a place, changes)."""
    services = money_services(folder)
    costed = costed_plan(folder, plan)
    assumptions, investment = costed.assumptions, costed.investment
    outcomes = {rates: expected_outcomes(services, investment, assumptions, rates=rates)
                for rates in ("central", "low", "high")}
    return PlanOutcomes(
        costed=costed,
        year_one=investment_ledger(services, investment, assumptions, district_lots=district_lots(folder),
                                   contract_year=1),
        outcomes=outcomes["central"], outcomes_low=outcomes["low"], outcomes_high=outcomes["high"],
        totals=outcome_totals(outcomes["central"]), totals_today=today_totals(folder, assumptions),
        direct_payments=direct_payments_outlook(block_contract_gbp(costed.ledger), assumptions),
    )


@functools.lru_cache(maxsize=4)
def group_shares(folder: str) -> dict[str, np.ndarray]:
    return group_shares_from_areas(locality_for(folder).areas)


@functools.lru_cache(maxsize=4)
def clients_today(folder: str) -> pd.DataFrame:
    return client_group_shares(money_services(folder))


# ---------------------------------------------------------------------------------------
# The map layer "Spend per head of need"
# ---------------------------------------------------------------------------------------
# ColorBrewer PuOr, 7 classes (colour-blind safe): orange below the fair share, white about it, purple above.
SPEND_PALETTE = ("#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788")
SPEND_RATIO_BREAKS = (0.5, 0.8, 0.95, 1.05, 1.2, 1.5)
_SPEND_CLASS_WORDS = ("less than half the fair share", "well below the fair share", "a little below the fair share",
                      "about the fair share", "a little above the fair share", "well above the fair share",
                      "over one and a half times the fair share")


def spend_per_need_classes(equity: SpendEquity) -> Classed:
    """Fixed classes of spend per head of need against the fair share, so colours mean the same in every plan.

    The fair share per head is the county's spend divided by its need; the classes are
    shares of it (under 50%, 50-80%, 80-95%, 95-105%, 105-120%, 120-150%, over 150%) and
    the legend gives them in pounds.
    """
    per_area = equity.per_area
    ratio = per_area["ratio_to_fair_share"].to_numpy(dtype=np.float64)
    need_total = float(per_area["need"].sum())
    fair = equity.total_gbp / need_total if need_total > 0 else 0.0
    classes = np.where(np.isfinite(ratio), np.searchsorted(SPEND_RATIO_BREAKS, ratio, side="right"), -1)
    pounds = [f"£{fair * b:,.2f}" for b in SPEND_RATIO_BREAKS]
    ranges = [f"under {pounds[0]}", *(f"{low} to {high}" for low, high in itertools.pairwise(pounds)),
              f"over {pounds[-1]}"]
    rows = [(colour, f"{span} ({words})")
            for colour, span, words in zip(SPEND_PALETTE, ranges, _SPEND_CLASS_WORDS, strict=True)]
    rows[3] = (SPEND_PALETTE[3], f"{ranges[3]} (about the fair share of £{fair:,.2f} a year)")
    if not np.isfinite(ratio).all():
        rows.append((NO_DATA, "no need recorded"))
    return Classed(classes=[int(c) for c in classes], palette=SPEND_PALETTE, legend_rows=rows)


def plan_spend_classes(folder: str, plan: ScenarioContent, access: AccessResult, mode: Mode) -> Classed:
    """The map's "Spend per head of need" colours for a plan, from the access the map has just scored.

    A plan whose money cannot be worked out (say, a saved scenario with an assumption out
    of bounds) greys every area and says why in the legend, rather than failing the map.
    """
    try:
        return spend_per_need_classes(plan_equity(folder, plan, costed_plan(folder, plan).ledger, access, mode))
    except PlannerInputError as error:
        return Classed(classes=[-1] * len(locality_for(folder).areas), palette=SPEND_PALETTE,
                       legend_rows=[(NO_DATA, f"cannot be worked out: {error}")])
