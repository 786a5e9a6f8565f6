"""Write the demo's papers' redesign hubs (data/demo/papers_redesign.json) with the optimiser.

The first screen shows the papers' redesign; its six hubs are the optimiser's answer for the
shortest need-weighted journeys by road (dashboard/starting_points.py). Working that out
takes a few seconds, so for the demo it is kept beside the data; a test checks the file
still equals the optimiser's answer. Run: ``python -m data.papers_redesign``.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from dashboard.starting_points import REDESIGN_FILE, redesign_sites_by_optimiser
from geo.locality import DEMO_FOLDER


def main() -> None:
    sites = redesign_sites_by_optimiser(str(DEMO_FOLDER))
    text = json.dumps({"about": "The papers' redesign: six hubs placed by the optimiser (p-median, need-weighted "
                                "journeys by road, candidate sites as in Suggest placements). Written by "
                                "python -m data.papers_redesign.",
                       "hubs": [asdict(site) for site in sites]}, indent=2)
    (DEMO_FOLDER / REDESIGN_FILE).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
