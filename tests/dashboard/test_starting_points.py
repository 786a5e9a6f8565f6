"""The first screen is the papers' redesign, within today's spend; starting points are undoable plans."""

from __future__ import annotations

import json

import pytest

from dashboard import data_access, history, ids, planning_panel, starting_points
from dashboard.plan_money import costed_plan, today_ledger
from geo.locality import DEMO_FOLDER
from geo.scenarios import scenario_from_dict
from tests.support.callback_client import triggered

FOLDER = str(DEMO_FOLDER)


def test_first_screen_is_the_papers_redesign_within_today_s_spend() -> None:
    plan = scenario_from_dict(planning_panel.initial_plan(None, "demo"))
    assert len(plan.hubs) == 6 and plan.money.ips_specialists_fte == 10
    assert set(plan.service_decisions.values()) == {"decommission", "reshape"}
    cost = costed_plan(FOLDER, plan).ledger.plan_gbp
    today = today_ledger(FOLDER).current_gbp
    assert cost <= today and today - cost < 1_000  # direct payments take what is left, in whole thousands
    assert plan.money.direct_payments_gbp > 0


@pytest.mark.parametrize(("key", "cost"), [("today", 3_500_000), ("blank", 0)])
def test_today_costs_today_and_blank_costs_nothing(key: str, cost: float) -> None:
    plan = scenario_from_dict(starting_points.starting_plan(FOLDER, key, "demo"))
    assert round(costed_plan(FOLDER, plan).ledger.plan_gbp) == cost


def test_the_kept_hubs_are_the_optimiser_s_answer() -> None:
    """data/demo/papers_redesign.json is what `python -m data.papers_redesign` writes today."""
    kept = json.loads((DEMO_FOLDER / starting_points.REDESIGN_FILE).read_text())["hubs"]
    found = starting_points.redesign_sites_by_optimiser(FOLDER)
    assert [(s["name"], s["x"], s["y"]) for s in kept] == [(s.name, s.x, s.y) for s in found]


def test_starting_again_replaces_the_plan_through_the_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_access, "current_folder", lambda: FOLDER)
    monkeypatch.setattr(data_access, "current_dataset_version", lambda: "demo")
    before = planning_panel.initial_plan()
    trigger = {"type": ids.START_FROM, "key": "today"}
    with triggered(json.dumps(trigger, separators=(",", ":")) + ".n_clicks", 1):
        new, recorded, message = planning_panel.start_from([None, 1, None], before, history.empty())
    assert scenario_from_dict(new).hubs == () and recorded["past"] == [before]
    assert "Undo brings back" in message
