"""Starting points a room can choose in one click: today, the papers' redesign, a blank sheet.

Each is an ordinary plan (:class:`geo.scenarios.ScenarioContent`), so choosing one is an
edit like any other and Undo brings the previous plan back.

* **Today**: the existing services as they are, nothing new (it costs what today costs).
* **The papers' redesign**: what the papers behind the planner did. The old day-service
  contracts close, except a clubhouse or a women-only service, which are re-shaped (the
  papers kept support for groups the old services under-reached); six resource hubs,
  placed by the optimiser for the shortest need-weighted journeys; community links
  workers in each hub; a locality-wide IPS employment service of 1 manager and 10
  specialists; and direct payments filling what is left of the budget, so the plan costs
  no more than today's spend.
* **Blank**: every old contract closed and nothing new yet, to build up from nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from geo.money import DEFAULT_IPS_SPECIALISTS_FTE, PlanMoney
from geo.scenarios import Hub, ScenarioContent, ServiceDecision

STARTING_POINTS: dict[str, str] = {
    "redesign": "The papers' redesign",
    "today": "Today",
    "blank": "Blank",
}
#: Where the first screen's plan comes from, in one line.
REDESIGN_SOURCE = (
    "Start: the papers' redesign (Sainsbury Centre for Mental Health, re-commissioning day and vocational "
    "services): old contracts closed or re-shaped, six hubs placed for the shortest journeys, community links, "
    "IPS with 1 manager and 10 specialists, direct payments with what is left, within today's spend.")
REDESIGN_HUBS = 6
#: Service types the papers' redesign re-shapes rather than closes.
RESHAPED_SERVICE_TYPES = ("clubhouse", "women-only day service")
DIRECT_PAYMENTS_STEP_GBP = 1_000.0  # direct payments are set in whole thousands of pounds


@dataclass(frozen=True)
class HubSite:
    """Where one of the redesign's hubs goes (EPSG:27700 metres) and what it is called."""

    name: str
    x: float
    y: float


def today_plan(*, dataset_version: str, assumptions_version: str) -> ScenarioContent:
    """Today's services kept as they are, with no hubs, no IPS service and no direct payments."""
    return ScenarioContent(dataset_version=dataset_version, assumptions_version=assumptions_version,
                           money=PlanMoney(ips_specialists_fte=0.0))


def blank_plan(services: pd.DataFrame, *, dataset_version: str, assumptions_version: str) -> ScenarioContent:
    """Every existing contract closed and nothing new yet."""
    decisions: dict[str, ServiceDecision] = {str(s): "decommission" for s in services["service_id"]}
    return ScenarioContent(dataset_version=dataset_version, assumptions_version=assumptions_version,
                           service_decisions=decisions, money=PlanMoney(ips_specialists_fte=0.0))


def redesign_decisions(services: pd.DataFrame) -> dict[str, ServiceDecision]:
    """Close each old contract, re-shaping a clubhouse or a women-only service instead."""
    decisions: dict[str, ServiceDecision] = {}
    for service_id, kind in zip(services["service_id"], services["service_type"], strict=True):
        decisions[str(service_id)] = ("reshape" if str(kind).strip().lower() in RESHAPED_SERVICE_TYPES
                                      else "decommission")
    return decisions


def papers_redesign(services: pd.DataFrame, sites: Sequence[HubSite], *, dataset_version: str,
                    assumptions_version: str, plan_cost_gbp: Callable[[ScenarioContent], float],
                    budget_gbp: float) -> ScenarioContent:
    """The papers' redesign with its hubs at ``sites``, direct payments filling the budget.

    ``plan_cost_gbp`` costs a plan for a full year (the planner's ledger); direct payments
    get what is left of ``budget_gbp`` once everything else is paid for, in whole thousands
    (none when nothing is left).
    """
    hubs = tuple(Hub(hub_id=f"H{n}", name=site.name, x=site.x, y=site.y)
                 for n, site in enumerate(sites, start=1))
    plan = ScenarioContent(dataset_version=dataset_version, assumptions_version=assumptions_version,
                           hubs=hubs, service_decisions=redesign_decisions(services),
                           money=PlanMoney(ips_specialists_fte=DEFAULT_IPS_SPECIALISTS_FTE))
    return with_direct_payments_filling(plan, plan_cost_gbp, budget_gbp)


def with_direct_payments_filling(plan: ScenarioContent, plan_cost_gbp: Callable[[ScenarioContent], float],
                                 budget_gbp: float) -> ScenarioContent:
    """``plan`` with direct payments set to what is left of the budget (whole thousands, at least 0)."""
    without = dataclasses.replace(plan, money=dataclasses.replace(plan.money, direct_payments_gbp=0.0))
    left = budget_gbp - plan_cost_gbp(without)
    amount = max(0.0, math.floor(left / DIRECT_PAYMENTS_STEP_GBP) * DIRECT_PAYMENTS_STEP_GBP)
    return dataclasses.replace(plan, money=dataclasses.replace(plan.money, direct_payments_gbp=amount))


def hubs_within_budget(plan: ScenarioContent, kept: Sequence[Hub], template: Hub, *, budget_gbp: float,
                       plan_cost_gbp: Callable[[ScenarioContent], float], most: int) -> int:
    """How many hubs the budget pays for: ``kept`` hubs plus as many new ones like ``template`` as fit.

    Everything else in ``plan`` (services, IPS, direct payments) stays as it is. Returns the
    number of hubs in all, from len(kept) (nothing more fits, or not even those) to ``most``.
    """
    count = len(kept)
    while count < most:
        extra = tuple(dataclasses.replace(template, hub_id=f"budget-{n}") for n in range(count + 1 - len(kept)))
        trial = dataclasses.replace(plan, hubs=(*kept, *extra))
        if plan_cost_gbp(trial) > budget_gbp + 0.5:
            break
        count += 1
    return count
