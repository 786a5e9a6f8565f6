"""Tests for geo.scenarios: checked, immutable scenario content and its JSON round trip."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import PlannerInputError
from geo.money import PlanMoney
from geo.scenarios import (
    HUB_ID_PATTERN,
    Hub,
    OutreachPoint,
    ScenarioContent,
    scenario_from_dict,
    scenario_from_json,
    scenario_to_dict,
    scenario_to_json,
)


def rich_content() -> ScenarioContent:
    return ScenarioContent(
        dataset_version="demo-2026-11",
        assumptions_version="assumptions-v3",
        hubs=(
            Hub("H1", "Northtown hub", 452_300.5, 301_200.0, locked=True, capacity_places=60,
                outreach_points=(OutreachPoint("Library room", 455_000, 299_800),
                                 OutreachPoint("GP surgery", 449_100.25, 303_000))),
            Hub("H2", "Eastford hub", 498_000, 280_500),
        ),
        service_decisions={"S01": "keep", "S02": "reshape", "S07": "decommission"},
        money=PlanMoney(direct_payments_gbp=80_000, ips_specialists_fte=8.5, links_workers_per_hub_fte=2,
                        other_budget_lines_gbp={"day activity": 1_200_000, "employment (IPS)": 420_000.5}),
        assumptions={"ips_job_rate": 0.4, "rate_source": "Bond 2008",
                     "caseload": {"max_per_specialist": 20}, "speeds_kmh": [30, 50, 70]},
        notes="Agreed at the March meeting. Confidential until the board.",
    )


def test_json_round_trip_gives_equal_content() -> None:
    content = rich_content()
    text = scenario_to_json(content)
    assert scenario_from_json(text) == content
    assert scenario_from_json(text.encode()) == content
    assert scenario_to_json(scenario_from_json(text)) == text


def test_dict_form_is_plain_json_with_named_fields() -> None:
    data = scenario_to_dict(rich_content())
    assert json.loads(json.dumps(data)) == data
    hub = data["hubs"][0]
    assert hub["hub_id"] == "H1"
    assert hub["outreach_points"][1] == {"name": "GP surgery", "x": 449_100.25, "y": 303_000.0}
    assert data["assumptions"]["caseload"] == {"max_per_specialist": 20}
    assert data["assumptions"]["speeds_kmh"] == [30, 50, 70]
    assert data["format_version"] == 2
    assert data["money"] == {"direct_payments_gbp": 80_000.0, "ips_specialists_fte": 8.5,
                             "links_workers_per_hub_fte": 2.0,
                             "other_budget_lines_gbp": {"day activity": 1_200_000.0, "employment (IPS)": 420_000.5},
                             "budget_cap_gbp": None}


def test_content_cannot_be_changed_after_it_is_built() -> None:
    content = rich_content()
    with pytest.raises(dataclasses.FrozenInstanceError):
        content.notes = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        content.money.other_budget_lines_gbp["day activity"] = 0  # type: ignore[index]
    with pytest.raises(TypeError):
        content.assumptions["caseload"]["max_per_specialist"] = 99
    with pytest.raises(TypeError):
        content.service_decisions["S01"] = "decommission"  # type: ignore[index]


def test_callers_dicts_are_copied_not_shared() -> None:
    budgets = {"day activity": 10.0}
    content = ScenarioContent(dataset_version="d", assumptions_version="a",
                              money=PlanMoney(other_budget_lines_gbp=budgets))
    budgets["day activity"] = 999.0
    assert content.money.other_budget_lines_gbp["day activity"] == 10.0


def test_numbers_become_floats_and_only_pounds_are_added_up() -> None:
    content = rich_content()
    assert isinstance(content.hubs[1].x, float)
    assert content.money.budget_lines_total_gbp == pytest.approx(80_000 + 1_620_000.5)  # not the 8.5 + 2 staff


def test_replace_checks_again() -> None:
    with pytest.raises(PlannerInputError, match="other_budget_lines_gbp"):
        dataclasses.replace(rich_content(), money=PlanMoney(other_budget_lines_gbp={"x": -1}))
    with pytest.raises(PlannerInputError, match="scenario money: expected a PlanMoney"):
        dataclasses.replace(rich_content(), money={"direct_payments_gbp": 1})  # type: ignore[arg-type]


def test_minimal_json_gets_defaults() -> None:
    content = scenario_from_json('{"dataset_version": "d", "assumptions_version": "a"}')
    assert content.hubs == ()
    assert dict(content.service_decisions) == {}
    assert content.notes == ""


def _with(**changes: Any) -> dict[str, Any]:
    data = scenario_to_dict(rich_content())
    data.update(changes)
    return data


def _old_with(**changes: Any) -> dict[str, Any]:
    """A scenario in format 1, where the money settings sat in ``budgets_gbp``."""
    data = {key: value for key, value in scenario_to_dict(rich_content()).items() if key != "money"}
    data.update(format_version=1, **changes)
    return data


def _hub_with(**changes: Any) -> dict[str, Any]:
    data = scenario_to_dict(rich_content())
    data["hubs"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_hub_with(hub_id="H2"), r"hubs\[1\] hub_id.*not used by another hub.*'H2'"),
        (_hub_with(x=-5), r"hub 'H1' x: expected EPSG:27700 metres"),
        (_hub_with(x=52.1, y=-1.5), r"hub 'H1' y: expected EPSG:27700 metres"),
        (_hub_with(y="north"), r"hub 'H1' y: expected a number, found 'north'"),
        (_hub_with(x=True), r"hub 'H1' x: expected a number"),
        (_hub_with(name="  "), r"hub 'H1' name: expected non-blank text"),
        (_hub_with(locked="yes"), r"hub 'H1' locked: expected true or false"),
        (_hub_with(capacity_places=-3), r"capacity_places: expected a whole number"),
        (_hub_with(capacity_places=12.5), r"capacity_places: expected a whole number"),
        (_hub_with(outreach_points=[{"name": "Hall", "x": 1e9, "y": 1}]),
         r"outreach point 'Hall' x: expected EPSG:27700"),
        (_hub_with(outreach_points=[{"name": "Hall", "x": 1}]),
         r"outreach_points\[0\].*missing keys \['y'\]"),
        (_hub_with(colour="red"), r"hubs\[0\].*unknown keys \['colour'\]"),
        (_with(service_decisions={"S01": "close"}),
         r"service_decisions\['S01'\]: expected 'keep' or 'reshape' or 'decommission'"),
        (_with(money={"direct_payments_gbp": -10}), r"direct_payments_gbp: expected pounds >= 0"),
        (_with(money={"ips_specialists_fte": "lots"}), r"ips_specialists_fte: expected a finite number of staff"),
        (_with(money={"other_budget_lines_gbp": {"": 10}}), r"other_budget_lines_gbp key: expected a budget line"),
        (_with(money={"staff": 3}), r"scenario money: expected only the keys"),
        (_with(money=[1]), r"scenario money: expected a mapping"),
        (_with(budgets_gbp={"x": 1}), r"unknown keys \['budgets_gbp'\]"),  # format 2 has no budgets_gbp
        (_old_with(budgets_gbp={"day activity": -10}), r"budgets_gbp\['day activity'\]: .*>= 0"),
        (_old_with(budgets_gbp={"day activity": "lots"}), r"budgets_gbp\['day activity'\]"),
        (_old_with(budgets_gbp={"": 10}), r"budgets_gbp key: expected non-blank text"),
        (_with(dataset_version=""), r"dataset_version: expected non-blank text"),
        (_with(assumptions_version=None), r"assumptions_version: expected text"),
        (_with(notes=7), r"notes: expected text"),
        (_with(notes="x" * 20_001), r"notes: expected at most 20000 characters"),
        (_with(hubs={"H1": {}}), r"hubs: expected a list"),
        (_with(assumptions=[1, 2]), r"assumptions: expected a mapping"),
        (_with(format_version=3), r"format_version: expected 2"),
        (_with(format="something-else"), r"format: expected"),
        (_with(owner="alice"), r"unknown keys \['owner'\]"),
        ({"assumptions_version": "a"}, r"missing keys \['dataset_version'\]"),
        ([1, 2, 3], r"scenario: expected a mapping"),
    ],
)
def test_bad_content_is_refused_naming_the_field(data: object, match: str) -> None:
    with pytest.raises(PlannerInputError, match=match):
        scenario_from_dict(data)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", r"invalid JSON at line 1"),
        ('{"dataset_version": "d", "assumptions_version": "a", "budgets_gbp": {"x": NaN}}',
         r"expected finite numbers, found NaN"),
    ],
)
def test_bad_json_is_refused(text: str, match: str) -> None:
    with pytest.raises(PlannerInputError, match=match):
        scenario_from_json(text)


@pytest.mark.parametrize(
    ("assumptions", "match"),
    [
        ({"rate": math.inf}, r"assumptions.rate: expected a finite number"),
        ({"sites": {1, 2}}, r"assumptions.sites: expected a JSON value"),
        ({"nested": {3: "x"}}, r"assumptions.nested key: expected text"),
    ],
)
def test_assumptions_must_be_json(assumptions: dict[Any, Any], match: str) -> None:
    with pytest.raises(PlannerInputError, match=match):
        ScenarioContent(dataset_version="d", assumptions_version="a", assumptions=assumptions)


def test_building_from_python_checks_types_too() -> None:
    with pytest.raises(PlannerInputError, match=r"hubs\[0\]: expected a Hub"):
        ScenarioContent(dataset_version="d", assumptions_version="a",
                        hubs=({"hub_id": "H1"},))  # type: ignore[arg-type]
    with pytest.raises(PlannerInputError, match=r"outreach_points\[0\]: expected an Outreach"):
        Hub("H1", "Hub", 1.0, 1.0, outreach_points=(("Hall", 1, 1),))  # type: ignore[arg-type]


_grid_x = st.floats(min_value=0, max_value=700_000, allow_nan=False)
_grid_y = st.floats(min_value=0, max_value=1_300_000, allow_nan=False)
_text = st.text(min_size=1, max_size=20).filter(str.strip)
_json_leaf = st.none() | st.booleans() | st.integers(-10**6, 10**6) | _text | st.floats(
    allow_nan=False, allow_infinity=False)
_json = st.recursive(_json_leaf, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)


@st.composite
def _contents(draw: st.DrawFn) -> ScenarioContent:
    hub_ids = draw(st.lists(st.from_regex(HUB_ID_PATTERN, fullmatch=True), max_size=4, unique=True))
    hubs = tuple(
        Hub(hub_id, draw(_text), draw(_grid_x), draw(_grid_y), locked=draw(st.booleans()),
            capacity_places=draw(st.none() | st.integers(0, 500)),
            outreach_points=tuple(OutreachPoint(draw(_text), draw(_grid_x), draw(_grid_y))
                                  for _ in range(draw(st.integers(0, 2)))))
        for hub_id in hub_ids
    )
    return ScenarioContent(
        dataset_version=draw(_text),
        assumptions_version=draw(_text),
        hubs=hubs,
        service_decisions=draw(st.dictionaries(_text, st.sampled_from(
            ["keep", "reshape", "decommission"]), max_size=4)),
        money=PlanMoney(direct_payments_gbp=draw(st.floats(0, 1e9)), ips_specialists_fte=draw(st.floats(0, 100)),
                        links_workers_per_hub_fte=draw(st.none() | st.floats(0, 20)),
                        other_budget_lines_gbp=draw(st.dictionaries(_text, st.floats(0, 1e9), max_size=3))),
        assumptions=draw(st.dictionaries(st.text(max_size=8), _json, max_size=3)),
        notes=draw(st.text(max_size=50)),
    )


@settings(max_examples=60, deadline=None)
@given(_contents())
def test_any_valid_content_survives_the_json_round_trip(content: ScenarioContent) -> None:
    assert scenario_from_json(scenario_to_json(content)) == content
