"""Plan edits are pure: each returns a new plan and leaves the old one as it was."""

from __future__ import annotations

import pytest

from geo import plan_edits
from geo.errors import PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.scenarios import ScenarioContent


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
