"""Three plans on the demo locality that differ in the ways a workshop compares: for the
README's screenshots and the compare-and-present browser test.

- six: the papers' redesign, the planner's first screen (six hubs placed by the optimiser,
  old contracts closed or re-shaped, IPS, community links, direct payments within today's spend);
- four: the redesign with two hubs fewer (H5 and H6), the money they cost left unspent;
- north: the redesign with two hubs moved north, towards the areas furthest from a hub.
"""

from __future__ import annotations

from dashboard.starting_points import starting_plan
from geo import plan_edits
from geo.locality import DEMO_FOLDER
from geo.scenarios import ScenarioContent, scenario_from_dict


def example_plans() -> dict[str, ScenarioContent]:
    six = scenario_from_dict(starting_plan(str(DEMO_FOLDER), "redesign", "demo"))
    four = plan_edits.remove_hub(plan_edits.remove_hub(six, "H6"), "H5")
    north = plan_edits.nudge_hub(plan_edits.nudge_hub(six, "H2", 0, 9000), "H4", 3000, 12000)
    return {"six": six, "four": four, "north": north}
