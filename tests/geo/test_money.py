"""Tests for geo.money: pounds and staff in typed fields, and scenarios saved before the change.

``data/scenario_format_1.json`` was written by the planner before the money settings were
typed (scenario format 1, the commit before this module): the six-hub starting plan with
three services closed or re-shaped, 10 IPS specialists, 2 links workers a hub and
£890,000 of direct payments, all kept in ``budgets_gbp``. That planner added its budget
lines up to "£890,012" (staff counted as pounds); tests/dashboard/test_plan_money.py
checks the old file still costs what that planner's ledger said.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from geo.errors import PlannerInputError
from geo.money import PlanMoney, links_workers_per_hub, money_from_budget_lines, money_from_dict, money_to_dict
from geo.scenarios import FORMAT_VERSION, scenario_from_json, scenario_to_dict, scenario_to_json
from geo.workspace.store import init_store, sqlite_url


def test_staff_and_pounds_are_separate_fields_and_only_pounds_add_up() -> None:
    money = PlanMoney(direct_payments_gbp=890_000, ips_specialists_fte=10, links_workers_per_hub_fte=2,
                      other_budget_lines_gbp={"training": 5_000})
    assert money.budget_lines_gbp == {"direct_payments": 890_000.0, "training": 5_000.0}
    assert money.budget_lines_total_gbp == 895_000.0


def test_links_workers_follow_the_assumptions_until_the_plan_sets_them() -> None:
    assert links_workers_per_hub(PlanMoney(), 2.0) == 2.0
    assert links_workers_per_hub(PlanMoney(links_workers_per_hub_fte=0.5), 2.0) == 0.5


@pytest.mark.parametrize(("build", "message"), [
    (lambda: PlanMoney(direct_payments_gbp=-1), "direct_payments_gbp: expected pounds >= 0"),
    (lambda: PlanMoney(ips_specialists_fte=float("nan")), "ips_specialists_fte: expected a finite number of staff"),
    (lambda: PlanMoney(links_workers_per_hub_fte=True), "links_workers_per_hub_fte: expected a finite number"),
    (lambda: PlanMoney(other_budget_lines_gbp={"x": "lots"}), r"other_budget_lines_gbp\['x'\]"),
    (lambda: money_from_dict({"direct_payments": 5}), r"unknown keys \['direct_payments'\]"),
])
def test_bad_money_is_refused_naming_the_field(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlannerInputError, match=message):
        build()


def test_the_stored_form_round_trips() -> None:
    money = PlanMoney(direct_payments_gbp=1.5, ips_specialists_fte=7, other_budget_lines_gbp={"a": 2})
    assert money_from_dict(json.loads(json.dumps(money_to_dict(money)))) == money
    assert money_from_dict({}) == PlanMoney()


def test_format_1_budget_lines_are_read_into_their_fields() -> None:
    money = money_from_budget_lines({"ips_specialists": 8, "links_workers_per_hub": 1.5, "direct_payments": 100,
                                     "day activity": 42})
    assert money == PlanMoney(direct_payments_gbp=100, ips_specialists_fte=8, links_workers_per_hub_fte=1.5,
                              other_budget_lines_gbp={"day activity": 42})
    assert money_from_budget_lines({}) == PlanMoney()  # the papers' 10 specialists; links follow the table


def test_a_scenario_saved_in_format_1_opens_with_its_settings_and_right_totals(scenario_format_1: str) -> None:
    old = scenario_format_1
    assert json.loads(old)["format_version"] == 1 and "budgets_gbp" in json.loads(old)
    content = scenario_from_json(old)
    assert content.money == PlanMoney(direct_payments_gbp=890_000, ips_specialists_fte=10,
                                      links_workers_per_hub_fte=2)
    assert content.money.budget_lines_total_gbp == 890_000.0  # not the old "£890,012"
    assert dict(content.service_decisions) == {"S01": "decommission", "S03": "reshape", "S05": "decommission"}
    assert dict(content.assumptions) == {"rate_job_start_ips": 0.3}
    again = scenario_to_dict(content)  # written back in the current format, nothing lost
    assert again["format_version"] == FORMAT_VERSION and "budgets_gbp" not in again
    assert scenario_from_json(scenario_to_json(content)) == content


def test_a_version_stored_in_format_1_opens_from_the_store(tmp_path: Path, scenario_format_1: str) -> None:
    store = init_store(sqlite_url(tmp_path))
    try:
        author = store.create_user("pat", "correct horse battery", "planner")
        saved = store.create_scenario(author, "Redesign", scenario_from_json(scenario_format_1))
        with store.engine.begin() as connection:  # as a planner of format 1 left it in the database
            connection.execute(text("UPDATE scenario_versions SET content = :old"), {"old": scenario_format_1})
        opened = store.open_version(author, saved.scenario.slug)
        assert opened.content.money.ips_specialists_fte == 10 and opened.content.money.direct_payments_gbp == 890_000
        assert opened.content == saved.content
    finally:
        store.close()
