"""The area layers a planner can colour the map by, and how each is classed and explained."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# ColorBrewer YlGnBu, 5 classes: colour-blind safe and readable on a projector.
SEQUENTIAL_5 = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA = "#bdbdbd"


@dataclass(frozen=True)
class AreaLayer:
    """One way of colouring the small areas."""

    key: str
    label: str
    unit: str  # printed after each number in the legend
    explanation: str
    values: Callable[[pd.DataFrame], pd.Series]
    decimals: int = 0


def _share(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda areas: 100.0 * areas[column] / areas["pop_total"]


AREA_LAYERS: tuple[AreaLayer, ...] = (
    AreaLayer("population", "Residents per square km", "per km²",
              "How densely people live. Each small area has 1,000 to 3,000 residents, so towns "
              "are made of many small areas and the countryside of a few large ones.",
              lambda a: a["pop_total"] / a["area_km2"]),
    AreaLayer("need", "Need index", "",
              "Expected need for day and vocational support per adult, from estimated rates of "
              "severe mental illness and common mental disorders. 100 is the county average; "
              "120 means 20% more need per adult than average.",
              lambda a: a["need_index"]),
    AreaLayer("deprivation", "Deprivation score (IMD)", "",
              "Index of Multiple Deprivation (IMD): the government's measure combining income, "
              "employment, health, education, crime, housing and living environment. Higher "
              "scores are more deprived; a score above about 33 is in England's most deprived fifth.",
              lambda a: a["imd_score"], decimals=1),
    AreaLayer("smi", "Severe mental illness (SMI)", "% of adults",
              "Estimated share of adults living with a severe mental illness such as "
              "schizophrenia or bipolar disorder (SMI).",
              lambda a: a["smi_prevalence_pct"], decimals=2),
    AreaLayer("cmd", "Common mental disorders", "% of adults",
              "Estimated share of adults with anxiety or depression (common mental disorders).",
              lambda a: a["cmd_prevalence_pct"], decimals=1),
    AreaLayer("women", "Women", "% of residents",
              "Share of residents who are women.", _share("pop_female"), decimals=1),
    AreaLayer("young", "Young adults aged 18 to 24", "% of residents",
              "Share of residents aged 18 to 24, a group day services often miss.",
              _share("pop_18_24"), decimals=1),
    AreaLayer("bme", "Black and minority ethnic residents", "% of residents",
              "Share of residents from black and minority ethnic groups (BME), who are "
              "under-represented among today's service users.",
              lambda a: 100.0 * a["bme_share"], decimals=1),
)
LAYERS_BY_KEY = {layer.key: layer for layer in AREA_LAYERS}


@dataclass(frozen=True)
class Classed:
    """Areas put into colour classes, with the legend's rows."""

    classes: list[int]  # class per area, -1 for no data
    palette: tuple[str, ...]
    legend_rows: list[tuple[str, str]]  # (colour, plain-words range)


def class_areas(values: pd.Series, *, unit: str, decimals: int,
                palette: tuple[str, ...] = SEQUENTIAL_5) -> Classed:
    """Quantile classes: each colour covers about the same number of areas."""
    data = values.to_numpy(dtype=float)
    known = np.isfinite(data)
    breaks = np.unique(np.quantile(data[known], np.linspace(0, 1, len(palette) + 1)))
    inner = breaks[1:-1]
    classes = np.where(known, np.searchsorted(inner, data, side="right"), -1)
    used = palette[: len(breaks) - 1] if len(breaks) - 1 < len(palette) else palette
    rows = []
    for i, colour in enumerate(used):
        low, high = breaks[i], breaks[i + 1]
        rows.append((colour, f"{low:,.{decimals}f} to {high:,.{decimals}f} {unit}".strip()))
    if not known.all():
        rows.append((NO_DATA, "no data"))
    return Classed(classes=[int(c) for c in classes], palette=tuple(used), legend_rows=rows)


# Journey-time classes: light is quick, dark is slow (ColorBrewer YlOrRd, colour-blind safe).
MINUTES_BREAKS = (15.0, 30.0, 45.0, 60.0)
MINUTES_PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
# Okabe-Ito, for telling hubs' catchments apart.
CATCHMENT_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

PLAN_LAYERS = {
    "access": ("Minutes to the nearest hub",
               "How long the journey to the nearest proposed hub (or one of its outreach points) "
               "takes from each area, by the travel mode chosen in the Plan tab."),
    "catchment": ("Which hub serves each area",
                  "Each area takes the colour of the hub it can reach soonest: the hub's catchment."),
    "spend_per_need": ("Spend per need-weighted adult",
                       "The plan's yearly spend counted against the areas each service and hub serves (nearer "
                       "areas count more), divided by each area's need (its adults, each weighted by the need "
                       "index), against a fair share: the same spend for every need-weighted adult. Moves with "
                       "the hubs."),
}


def minutes_classes(minutes: np.ndarray) -> Classed:
    """Fixed 15-minute classes, so colours mean the same minutes whatever the plan."""
    classes = np.where(np.isfinite(minutes), np.searchsorted(MINUTES_BREAKS, minutes, side="right"), -1)
    rows = [(MINUTES_PALETTE[0], "under 15 minutes")]
    rows += [(MINUTES_PALETTE[i + 1], f"{low:.0f} to {high:.0f} minutes")
             for i, (low, high) in enumerate(itertools.pairwise(MINUTES_BREAKS))]
    rows.append((MINUTES_PALETTE[-1], f"{MINUTES_BREAKS[-1]:.0f} minutes or more"))
    if not np.isfinite(minutes).all():
        rows.append((NO_DATA, "cannot reach any hub"))
    return Classed(classes=[int(c) for c in classes], palette=MINUTES_PALETTE, legend_rows=rows)


def catchment_classes(nearest_hub: np.ndarray, hub_ids: tuple[str, ...], hub_names: dict[str, str]) -> Classed:
    """One colour per hub (repeating after eight), each area coloured by the hub serving it."""
    index = {hub_id: i for i, hub_id in enumerate(hub_ids)}
    classes = [index.get(str(h), -1) for h in nearest_hub]
    palette = tuple(CATCHMENT_PALETTE[i % len(CATCHMENT_PALETTE)] for i in range(len(hub_ids)))
    rows = [(palette[i], hub_names.get(h, h)) for i, h in enumerate(hub_ids)]
    if -1 in classes:
        rows.append((NO_DATA, "cannot reach any hub"))
    return Classed(classes=classes, palette=palette, legend_rows=rows)
