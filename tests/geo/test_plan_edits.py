"""Plan edits are pure: each returns a new plan and leaves the old one as it was."""

from __future__ import annotations

import pytest

from geo import plan_edits
from geo.errors import PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.scenarios import ScenarioContent, hub_label, next_hub_label, scenario_from_dict, scenario_to_dict


@pytest.fixture(scope="module")
def plan() -> ScenarioContent:
    return plan_edits.starting_plan(load_locality().towns, dataset_version="demo", assumptions_version="v1")


def test_starting_plan_has_six_hubs_in_the_biggest_towns(plan: ScenarioContent) -> None:
    towns = load_locality().towns.nlargest(6, "population")
    assert [h.name for h in plan.hubs] == [f"{name} hub" for name in towns["name"]]
    assert [h.hub_id for h in plan.hubs] == ["H1", "H2", "H3", "H4", "H5", "H6"]


def test_move_nudge_rename_lock_remove(plan: ScenarioContent) -> None:
    moved = plan_edits.move_hub(plan, "H2", 420_000.0, 215_000.0)
    assert (moved.hubs[1].x, moved.hubs[1].y) == (420_000.0, 215_000.0)
    assert plan.hubs[1].x != 420_000.0  # the original is untouched
    nudged = plan_edits.nudge_hub(moved, "H2", 500, -2_000)
    assert (nudged.hubs[1].x, nudged.hubs[1].y) == (420_500.0, 213_000.0)
    renamed = plan_edits.rename_hub(nudged, "H2", "  Ashworth Library hub ")
    assert renamed.hubs[1].name == "Ashworth Library hub"
    locked = plan_edits.set_hub_locked(renamed, "H2", True)
    with pytest.raises(PlannerInputError, match="is locked: unlock it before moving it"):
        plan_edits.nudge_hub(locked, "H2", 500, 0)
    removed = plan_edits.remove_hub(locked, "H2")
    assert [h.hub_id for h in removed.hubs] == ["H1", "H3", "H4", "H5", "H6"]
    assert plan_edits.add_hub(removed, 430_000.0, 220_000.0).hubs[-1].hub_id == "H2"  # first free id


def test_a_hub_keeps_its_label_while_others_come_and_go(plan: ScenarioContent) -> None:
    assert [h.label for h in plan.hubs] == ["A", "B", "C", "D", "E", "F"]
    removed = plan_edits.remove_hub(plan, "H4")
    assert [h.label for h in removed.hubs] == ["A", "B", "C", "E", "F"]  # E stays E: no shifting up
    added = plan_edits.add_hub(removed, 430_000.0, 220_000.0)
    assert (added.hubs[-1].label, added.hubs[-1].name) == ("G", "Hub G")  # D is not handed to a new hub
    moved = plan_edits.move_hub(plan_edits.rename_hub(added, "H5", "Library hub"), "H5", 425_000.0, 215_000.0)
    assert [h.label for h in moved.hubs] == ["A", "B", "C", "E", "F", "G"]


def test_labels_survive_saving_and_old_scenarios_get_them_in_order(plan: ScenarioContent) -> None:
    removed = plan_edits.remove_hub(plan, "H1")
    assert scenario_from_dict(scenario_to_dict(removed)) == removed
    old = scenario_to_dict(removed)
    for hub in old["hubs"]:
        del hub["label"]  # saved before hubs had labels
    assert [h.label for h in scenario_from_dict(old).hubs] == ["A", "B", "C", "D", "E"]
    twice = scenario_to_dict(removed)
    twice["hubs"][1]["label"] = "B"
    with pytest.raises(PlannerInputError, match=r"hubs\[1\] label: expected a label not used by another hub"):
        scenario_from_dict(twice)
    twice["hubs"][1]["label"] = "<b>"
    with pytest.raises(PlannerInputError, match="label: expected 1 to 3 capital letters"):
        scenario_from_dict(twice)


@pytest.mark.parametrize(("number", "label"), [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (703, "AAA")])
def test_labels_run_on_after_z_like_spreadsheet_columns(number: int, label: str) -> None:
    assert hub_label(number) == label
    assert next_hub_label(["A", hub_label(number)]) == hub_label(number + 1)


def test_outreach_points_attach_and_detach(plan: ScenarioContent) -> None:
    with_point = plan_edits.add_outreach_point(plan, "H1", 431_000.0, 221_000.0)
    assert [p.name for p in with_point.hubs[0].outreach_points] == ["Kingsmere hub outreach 1"]
    assert plan_edits.remove_outreach_point(with_point, "H1", 0).hubs[0].outreach_points == ()
    with pytest.raises(PlannerInputError, match="has 1 outreach points, found index 3"):
        plan_edits.remove_outreach_point(with_point, "H1", 3)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: plan_edits.move_hub(p, "H99", 1.0, 1.0), "no hub 'H99' in this plan"),
    (lambda p: plan_edits.rename_hub(p, "H1", "   "), "a hub needs a name"),
])
def test_bad_edits_are_refused_with_a_reason(plan: ScenarioContent, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlannerInputError, match=message):
        edit(plan)
