"""One name per measure: the planner's words for its figures and choices, and how it writes amounts.

The screen, the briefing pack, the exports and present mode read them here, so a figure a
room takes away is called what the planner called it and written the way it wrote it.
"""

from __future__ import annotations

import math

# What happens to one of today's services (geo.scenarios.SERVICE_DECISIONS), as the planner says it.
DECISION_LABELS = {"keep": "Keep", "reshape": "Re-shape", "decommission": "Close"}

# Need: an area's adults, each counted by how much need for these services they carry.
NEED_DEFINITION = ("Need counts an area's adults, each weighted by the need index: how much need for "
                   "mental-health day services an adult there has against the county average (100), from rates of "
                   "severe and common mental illness. 1,000 adults at index 150 are a need of 1,500.")
SPEND_PER_NEED = "spend per need-weighted adult"
GINI_SPEND = "Gini of spend per need-weighted adult"
GINI_SPEND_NOTE = "0 = every need-weighted adult gets the same spend; 1 = all the money goes to one place"
CONCENTRATION_SPEND = "concentration index by deprivation"
CONCENTRATION_NOTE = "below 0: spend leans towards the more deprived areas; above 0: towards the better-off"
JOURNEY_SPREAD = "spread of journey times"
JOURNEY_SPREAD_NOTE = ("how unevenly journey times fall on residents (a Gini index of minutes): 0 = everyone "
                       "travels the same time; higher = less even")
PLACES_PER_1000 = "hub places within reach per 1,000 residents"


def share_at_services_in(town: str) -> str:
    """The share of spend on services located in the town (where the money is spent)."""
    return f"spend at services in {town} town"


def share_reaching_residents_of(town: str) -> str:
    """The share of spend counted against the town's areas (who it reaches)."""
    return f"spend reaching {town}'s residents"


def share_of_need_in(town: str) -> str:
    """The town's share of the county's need."""
    return f"{town}'s share of the county's need"


def district_name(district: str) -> str:
    """A district named as a district, never to be read as the town of the same name."""
    return district if district.endswith(" district") else f"{district} district"


def minutes_number(value: float) -> str:
    """Minutes as every view writes them, to a tenth ("9.1"); "-" when there is no journey."""
    return "-" if not math.isfinite(value) else f"{value:.1f}"


def gini(value: float) -> str:
    """A Gini index as every view writes it, to three places ("0.087"); "-" when there is no spend to share."""
    return "-" if not math.isfinite(value) else f"{value:.3f}"


def signed_index(value: float) -> str:
    """An index that can fall either side of 0, to three places with a true minus sign (clearer on a
    projector than a hyphen): "+0.012", "−0.034"; "-" when there is no spend to share."""
    return "-" if not math.isfinite(value) else f"{value:+.3f}".replace("-", "\u2212")


def minutes(value: float) -> str:
    """Minutes with their unit, as the planner, present mode and the pack write them: "9.1 min"."""
    number = minutes_number(value)
    return number if number == "-" else f"{number} min"


def pounds(value: float) -> str:
    """A yearly amount to the pound, as the Money tab and the pack both write it: £4,762,345."""
    if not math.isfinite(value):
        return "-"
    whole = round(value)
    return ("−" if whole < 0 else "") + f"£{abs(whole):,}"
