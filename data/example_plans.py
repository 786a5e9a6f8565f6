"""Three plans on the demo locality that differ in the ways a workshop compares: for the
README's screenshots and the compare-and-present browser test.

- six: the starting plan, a hub in each of six towns;
- four: two hubs fewer and Kingsmere Resource Centre (S01) closed;
- north: the six hubs with Ashworth's and Thornley's moved north.
"""

from __future__ import annotations

import dataclasses

from geo import plan_edits
from geo.ingest.locality_files import load_locality
from geo.scenarios import ScenarioContent


def example_plans() -> dict[str, ScenarioContent]:
    six = plan_edits.starting_plan(load_locality().towns, dataset_version="demo", assumptions_version="default")
    four = dataclasses.replace(plan_edits.remove_hub(plan_edits.remove_hub(six, "H6"), "H5"),
                               service_decisions={"S01": "decommission"})
    north = plan_edits.nudge_hub(plan_edits.nudge_hub(six, "H2", 0, 9000), "H4", 3000, 12000)
    return {"six": six, "four": four, "north": north}
