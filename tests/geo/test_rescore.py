"""Re-scoring a plan on a newer dataset version: figures side by side, hubs left outside."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.access import AccessResult
from geo.ingest.rescore import compare_access, format_change, format_value, hubs_outside_areas, rescore
from geo.scenarios import Hub


def scored(rows: dict[str, tuple[float, float, float, float]]) -> AccessResult:
    """An AccessResult whose summary holds (total, mean, p90, share within 30) per group."""
    summary = pd.DataFrame([{"group": g, "label": g, "total": t, "mean_minutes": m, "p90_minutes": p,
                             "share_within_30": s} for g, (t, m, p, s) in rows.items()])
    empty = np.array([])
    return AccessResult(hub_ids=(), area_ids=empty, nearest_hub=empty, minutes=empty, second_hub=empty,
                        second_minutes=empty, e2sfca=empty, summary=summary, thresholds_min=(30.0,))


def test_figures_before_and_after_with_their_changes() -> None:
    before = scored({"population": (1_000, 12.0, 20.0, 0.9), "need": (300, 14.0, 25.0, 0.8)})
    after = scored({"population": (1_500, 15.5, 31.0, 0.7), "need": (330, 14.0, 25.0, 0.8),
                    "women": (700, 1.0, 2.0, 1.0)})
    table = compare_access(before, after)
    assert list(table["group"].unique()) == ["population", "need"]  # groups not in both are left out
    population = table[table["group"] == "population"].set_index("measure")
    assert population.loc["total", "change"] == 500
    assert population.loc["mean_minutes", "change"] == pytest.approx(3.5)
    assert population.loc["share_within_30", "change"] == pytest.approx(-0.2)
    need = table[table["group"] == "need"].set_index("measure")
    assert (need.loc[["mean_minutes", "p90_minutes", "share_within_30"], "change"] == 0).all()
    assert population.loc["total", "label"] == "Everyone"
    assert population.loc["total", "what"] == "residents counted"
    assert need.loc["total", "what"].startswith("need counted")


def test_unknown_figures_are_not_comparable() -> None:
    table = compare_access(scored({"population": (10, math.nan, 5.0, 0.5)}),
                           scored({"population": (10, 4.0, 5.0, 0.5)}))
    change = table.set_index("measure").loc["mean_minutes", "change"]
    assert math.isnan(change) and format_change("mean_minutes", change) == "not comparable"


def test_hubs_outside_the_newer_areas_are_named() -> None:
    areas = gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    hubs = (Hub("H1", "Inside", 5, 5), Hub("H2", "On the edge", 20, 5), Hub("H3", "Far away", 50, 5))
    assert hubs_outside_areas(hubs, areas) == ("Far away",)
    assert hubs_outside_areas((), areas) == ()
    result = rescore(hubs, scored({"population": (10, 1, 1, 1)}), scored({"population": (10, 2, 2, 1)}),
                     areas_after=areas, from_version="v0001", to_version="v0002")
    text = result.to_text()
    assert text.startswith("The plan made on v0001, re-scored on v0002:")
    assert "Everyone, average journey (minutes): 1.0 -> 2.0 (1.0 min longer)" in text
    assert "1 hub(s) stand outside the areas of v0002: Far away" in text


@pytest.mark.parametrize(("measure", "value", "change", "shown", "changed"), [
    ("share_within_30", 0.456, 0.004, "46%", "no change"),
    ("share_within_30", 0.5, -0.123, "50%", "-12 percentage points"),
    ("total", 12_345.4, 1_000.0, "12,345", "+1,000"),
    ("mean_minutes", 7.25, -0.04, "7.2", "no change"),
    ("mean_minutes", 7.25, -0.84, "7.2", "0.8 min shorter"),
    ("p90_minutes", math.nan, 2.0, "-", "2.0 min longer"),
])
def test_figures_read_as_people_read_them(measure: str, value: float, change: float, shown: str,
                                          changed: str) -> None:
    assert format_value(measure, value) == shown
    assert format_change(measure, change) == changed
