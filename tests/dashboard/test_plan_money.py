"""The plan's money through dashboard.plan_money: a scenario saved before the money settings were typed."""

from __future__ import annotations

import pytest

from dashboard.plan_money import costed_plan
from geo.scenarios import scenario_from_json

OLD_PLAN_GBP = 5_817_160.10  # what the planner of scenario format 1 costed the old file at
OLD_TODAY_GBP = 3_500_000.0


def test_a_format_1_scenario_costs_what_it_cost_before(scenario_format_1: str) -> None:
    ledger = costed_plan("data/demo", scenario_from_json(scenario_format_1)).ledger
    assert ledger.plan_gbp == pytest.approx(OLD_PLAN_GBP, abs=0.01)
    assert ledger.current_gbp == pytest.approx(OLD_TODAY_GBP)
