"""Re-score a plan made on one dataset version on another: its access figures then and now.

A saved scenario is pinned to the dataset version it was made on. When the area data is
refreshed, the steering group needs to know how the same hubs do on the new figures, and
why: this module sets the two scorings side by side (pure: the caller scores the plan on
each version) and names hubs that no longer stand inside the areas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.access import GROUP_LABELS, AccessResult
from geo.ingest.datasets import ChangeSummary
from geo.scenarios import Hub

# The headline figures compared, in the order shown, with what each means.
MEASURES: tuple[tuple[str, str], ...] = (
    ("mean_minutes", "average journey (minutes)"),
    ("share_within_30", "share within 30 minutes"),
    ("p90_minutes", "9 in 10 are within (minutes)"),
    ("total", "people counted"),
)
# What "total" counts for each group: need is adults weighted by how likely they are to need help.
TOTAL_MEANS = {"population": "residents counted", "need": "need counted (adults weighted by need)"}
RESCORE_GROUPS = ("population", "need")


@dataclass(frozen=True, eq=False)
class PlanRescore:
    """One plan scored on the version it was made on and on another.

    ``figures`` is a tidy table, one row per group and measure: ``group``, ``label``
    (the group in words), ``measure``, ``what`` (the measure in words), ``before``,
    ``after`` and ``change`` (after - before; NaN where either is unknown).
    ``hubs_outside`` names the plan's hubs that stand outside the newer version's areas.
    ``data_changes`` says what changed in the data between the two versions.
    """

    from_version: str
    to_version: str
    figures: pd.DataFrame = field(repr=False)
    hubs_outside: tuple[str, ...] = ()
    data_changes: ChangeSummary | None = field(default=None, repr=False)

    def figure(self, group: str, measure: str) -> tuple[float, float, float]:
        """(before, after, change) for one group and measure."""
        row = self.figures[(self.figures["group"] == group) & (self.figures["measure"] == measure)]
        if row.empty:
            raise KeyError(f"no figure {measure!r} for group {group!r}")
        return float(row["before"].iloc[0]), float(row["after"].iloc[0]), float(row["change"].iloc[0])

    def to_text(self) -> str:
        """Plain-English lines for the app and reports."""
        lines = [f"The plan made on {self.from_version}, re-scored on {self.to_version}:"]
        for _, row in self.figures.iterrows():
            lines.append(f"  {row['label']}, {row['what']}: {format_value(row['measure'], row['before'])} -> "
                         f"{format_value(row['measure'], row['after'])} "
                         f"({format_change(row['measure'], row['change'])})")
        if self.hubs_outside:
            lines.append(f"  {len(self.hubs_outside):,} hub(s) stand outside the areas of "
                         f"{self.to_version}: {', '.join(self.hubs_outside)}")
        return "\n".join(lines)


def compare_access(before: AccessResult, after: AccessResult, *,
                   groups: Sequence[str] = RESCORE_GROUPS) -> pd.DataFrame:
    """The headline figures of two scorings of a plan, side by side (see :class:`PlanRescore`).

    Groups missing from either scoring (a version without figures by sex, say) are left out.
    """
    old = before.summary.set_index("group")
    new = after.summary.set_index("group")
    rows = []
    for group in groups:
        if group not in old.index or group not in new.index:
            continue
        for measure, what in MEASURES:
            a = _value(old, group, measure)
            b = _value(new, group, measure)
            if measure == "total":
                what = TOTAL_MEANS.get(group, what)
            rows.append({"group": group, "label": GROUP_LABELS.get(group, group), "measure": measure,
                         "what": what, "before": a, "after": b, "change": b - a})
    return pd.DataFrame(rows, columns=["group", "label", "measure", "what", "before", "after", "change"])


def _value(summary: pd.DataFrame, group: str, measure: str) -> float:
    if measure not in summary.columns:
        return math.nan
    value = pd.to_numeric(pd.Series([summary.at[group, measure]]), errors="coerce").iloc[0]
    return float(value)


def hubs_outside_areas(hubs: Sequence[Hub], areas: gpd.GeoDataFrame) -> tuple[str, ...]:
    """Names of hubs whose site is not inside any of ``areas`` (British National Grid metres)."""
    if not hubs:
        return ()
    boundary = shapely.union_all(areas.geometry.to_numpy())
    points = shapely.points(np.array([h.x for h in hubs]), np.array([h.y for h in hubs]))
    inside = shapely.covers(boundary, points)
    return tuple(h.name for h, ok in zip(hubs, inside, strict=True) if not ok)


def rescore(hubs: Sequence[Hub], before: AccessResult, after: AccessResult, *, areas_after: gpd.GeoDataFrame,
            from_version: str, to_version: str, data_changes: ChangeSummary | None = None) -> PlanRescore:
    """Put a plan's scoring on its own version beside its scoring on another."""
    return PlanRescore(from_version=from_version, to_version=to_version,
                       figures=compare_access(before, after),
                       hubs_outside=hubs_outside_areas(hubs, areas_after), data_changes=data_changes)


def format_value(measure: str, value: float) -> str:
    """A figure as people read it: minutes to one decimal, shares as percentages, people whole."""
    if not math.isfinite(value):
        return "-"
    if measure.startswith("share"):
        return f"{value:.0%}"
    if measure == "total":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def format_change(measure: str, change: float) -> str:
    """A change with its sign, in the measure's unit ("no change" when there is none)."""
    if not math.isfinite(change):
        return "not comparable"
    if measure.startswith("share"):
        points = change * 100
        return "no change" if abs(points) < 0.5 else f"{points:+.0f} percentage points"
    if measure == "total":
        return "no change" if abs(change) < 0.5 else f"{change:+,.0f}"
    if abs(change) < 0.05:
        return "no change"
    return f"{abs(change):,.1f} min {'longer' if change > 0 else 'shorter'}"
