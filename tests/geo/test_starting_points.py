"""Starting points: today, the papers' redesign (within the budget), blank; how many hubs a budget pays for."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from geo.scenarios import Hub, ScenarioContent
from geo.starting_points import (
    HubSite,
    blank_plan,
    hubs_within_budget,
    papers_redesign,
    redesign_decisions,
    today_plan,
)

SERVICES = pd.DataFrame({"service_id": ["S1", "S2", "S3"],
                         "service_type": ["Day centre", "Clubhouse", "Women-only day service"]})
SITES = [HubSite(f"Hub {n}", 400_000 + 1000 * n, 200_000) for n in range(6)]


def toy_cost(plan: ScenarioContent) -> float:
    """A toy ledger: closed services save 100k each, re-shaped 40k, a hub costs 150k, IPS 50k an FTE."""
    saved = sum(100_000 if d == "decommission" else 40_000 for d in plan.service_decisions.values())
    return (300_000 - saved + 150_000 * len(plan.hubs) + 50_000 * plan.money.ips_specialists_fte
            + plan.money.direct_payments_gbp)


def test_redesign_closes_old_contracts_reshapes_clubhouses_and_fills_the_budget_with_direct_payments() -> None:
    assert redesign_decisions(SERVICES) == {"S1": "decommission", "S2": "reshape", "S3": "reshape"}
    plan = papers_redesign(SERVICES, SITES, dataset_version="d", assumptions_version="a", plan_cost_gbp=toy_cost,
                           budget_gbp=1_600_000.0)
    assert len(plan.hubs) == 6 and plan.money.ips_specialists_fte == 10
    # without direct payments: 300k - 180k + 900k + 500k = 1,520k; 80k left
    assert plan.money.direct_payments_gbp == 80_000
    assert toy_cost(plan) <= 1_600_000
    over = papers_redesign(SERVICES, SITES, dataset_version="d", assumptions_version="a", plan_cost_gbp=toy_cost,
                           budget_gbp=1_000_000.0)
    assert over.money.direct_payments_gbp == 0  # nothing left: none, never below zero


def test_today_and_blank() -> None:
    today = today_plan(dataset_version="d", assumptions_version="a")
    assert not today.hubs and not today.service_decisions and today.money.ips_specialists_fte == 0
    blank = blank_plan(SERVICES, dataset_version="d", assumptions_version="a")
    assert set(blank.service_decisions.values()) == {"decommission"} and not blank.hubs
    assert toy_cost(blank) == 0


@pytest.mark.parametrize(("budget", "expected"), [(0, 1), (599_999, 1), (600_000, 2), (10_000_000, 12)])
def test_hubs_within_budget_counts_what_the_budget_pays_for(budget: float, expected: int) -> None:
    kept = (Hub("K1", "Kept", 400_000, 200_000),)
    plan = dataclasses.replace(today_plan(dataset_version="d", assumptions_version="a"), hubs=kept)
    # today's 300k + the kept hub's 150k = 450k: each more hub needs 150k more
    assert hubs_within_budget(plan, kept, Hub("T", "Template", 401_000, 200_000), budget_gbp=budget,
                              plan_cost_gbp=toy_cost, most=12) == expected
