"""Tests for geo.equity: hand-worked Gini and concentration index, attribution, the demo's skew."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini

from geo.equity import (
    attribute_spend,
    concentration_curve,
    concentration_index,
    gini_coefficient,
    lorenz_curve,
    service_spend_equity,
    spend_equity,
)
from geo.errors import PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER
from geo.traveltime import routers_for_locality


def test_gini_by_hand() -> None:
    # Mean absolute difference over twice the mean: pairs (1,2), (1,3), (2,3) -> 8 / (2 * 9 * 2).
    assert gini_coefficient(np.array([1.0, 2.0, 3.0])) == pytest.approx(2 / 9)
    # Weights count values: [1, 1, 1, 3] -> 12 / (2 * 16 * 1.5).
    assert gini_coefficient(np.array([1.0, 3.0]), np.array([3.0, 1.0])) == pytest.approx(0.25)
    assert gini_coefficient(np.full(5, 7.0)) == pytest.approx(0.0)
    assert gini_coefficient(np.array([0.0, 0.0, 0.0, 10.0])) == pytest.approx(0.75)


def test_gini_equals_the_inequality_package_on_random_values() -> None:
    values = np.random.default_rng(0).gamma(2.0, 3.0, 200)
    assert gini_coefficient(values) == pytest.approx(Gini(values).g, rel=1e-9)


def test_lorenz_curve_points() -> None:
    x, y = lorenz_curve(np.array([3.0, 1.0]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(x, [0, 0.75, 1])
    np.testing.assert_allclose(y, [0, 0.5, 1])


def covariance_form(values: np.ndarray, deprivation: np.ndarray, weights: np.ndarray) -> float:
    """CI = 2 cov_w(h, R) / mean_w(h), R the weighted fractional rank (most deprived first, ties averaged)."""
    levels = np.unique(-deprivation)
    rank = np.empty_like(values)
    below = 0.0
    total = weights.sum()
    for level in levels:
        members = -deprivation == level
        share = weights[members].sum() / total
        rank[members] = below + share / 2
        below += share
    mean = np.average(values, weights=weights)
    return float(2 * np.average((values - mean) * (rank - np.average(rank, weights=weights)), weights=weights) / mean)


@pytest.mark.parametrize(
    ("values", "deprivation", "weights", "expected"),
    [
        ([4.0, 2.0, 1.0], [30.0, 20.0, 10.0], [1.0, 1.0, 2.0], -0.3125),
        ([4.0, 2.0, 1.0], [30.0, 30.0, 10.0], [1.0, 1.0, 2.0], -0.25),
        ([1.0, 2.0, 4.0], [30.0, 20.0, 10.0], [2.0, 1.0, 1.0], 0.3125),
    ],
)
def test_concentration_index_by_hand(values, deprivation, weights, expected: float) -> None:
    args = (np.array(values), np.array(deprivation), np.array(weights))
    assert concentration_index(*args) == pytest.approx(expected)
    assert concentration_index(*args) == pytest.approx(covariance_form(*args))


def test_concentration_index_matches_covariance_form_on_random_data() -> None:
    rng = np.random.default_rng(1)
    values, deprivation, weights = rng.gamma(2, 2, 80), rng.integers(1, 30, 80).astype(float), rng.uniform(1, 9, 80)
    assert concentration_index(values, deprivation, weights) == pytest.approx(
        covariance_form(values, deprivation, weights))
    x, y = concentration_curve(values, deprivation, weights)
    assert x[0] == 0 and x[-1] == pytest.approx(1) and y[-1] == pytest.approx(1)


def test_attribution_keeps_every_pound_and_follows_need() -> None:
    minutes = np.array([
        [5.0, 90.0, 30.0, 80.0],
        [25.0, 90.0, 5.0, 80.0],
        [50.0, 90.0, 70.0, 75.0],
    ])
    need = np.array([100.0, 300.0, 600.0])
    budget = np.array([1000.0, 500.0, 800.0, 300.0])
    wide = np.array([False, True, False, False])
    spend = attribute_spend(minutes, budget, need, locality_wide=wide)
    np.testing.assert_allclose(spend.sum(axis=0), budget)
    # Site 0: pulls 100 * 1, 300 * 0.68, 600 * 0.22.
    pull = np.array([100.0, 204.0, 132.0])
    np.testing.assert_allclose(spend[:, 0], 1000 * pull / pull.sum())
    np.testing.assert_allclose(spend[:, 1], 500 * need / need.sum())  # locality-wide: by need share
    np.testing.assert_allclose(spend[:, 3], [0.0, 0.0, 300.0])  # no one within 60: quickest area


def test_attribution_refuses_a_mismatched_matrix() -> None:
    with pytest.raises(PlannerInputError, match="3 areas x 2 sites"):
        attribute_spend(np.zeros((2, 2)), np.ones(2), np.ones(3))


def small_areas() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["A", "B", "C", "D"], "district": ["North", "North", "South", "South"],
        "lot": ["West", "West", "East", "East"], "town": ["Bigton", "Bigton", "Smallham", "Rural"],
        "pop_total": [5000, 4000, 3000, 1000], "need_weight": [4000.0, 3000.0, 2500.0, 500.0],
        "imd_score": [40.0, 30.0, 20.0, 10.0],
    })


def test_spend_equity_tables_add_up() -> None:
    areas = small_areas()
    minutes = np.array([[5.0, 50.0], [10.0, 45.0], [70.0, 5.0], [80.0, 15.0]])
    result = spend_equity(areas, minutes, np.array([600_000.0, 400_000.0]), site_towns=["Bigton", "Smallham"])
    assert result.total_gbp == 1_000_000
    assert result.per_area["spend_gbp"].sum() == pytest.approx(1_000_000)
    assert result.per_area["fair_share_gbp"].sum() == pytest.approx(1_000_000)
    assert result.by_district["spend_gbp"].sum() == pytest.approx(1_000_000)
    assert list(result.by_lot["lot"]) == ["East", "West"]
    assert result.by_lot["share_of_need"].sum() == pytest.approx(1.0)
    assert result.biggest_town == "Bigton"
    assert result.biggest_town_share_of_sites == pytest.approx(0.6)
    assert result.biggest_town_share_of_need == pytest.approx(0.7)
    per_area = result.per_area.set_index("area")
    assert per_area.loc["A", "ratio_to_fair_share"] == pytest.approx(
        per_area.loc["A", "spend_gbp"] / (1_000_000 * 0.4))
    assert result.gini == pytest.approx(gini_coefficient(per_area["spend_per_need_gbp"].to_numpy(),
                                                         per_area["need"].to_numpy()))
    assert len(result.lorenz) == 5 and len(result.concentration) == 5


def test_no_spend_has_no_gini_rather_than_perfect_equality() -> None:
    result = spend_equity(small_areas(), np.array([[5.0], [10.0], [70.0], [80.0]]), np.array([0.0]))
    assert math.isnan(result.gini) and math.isnan(result.concentration_index)


def test_spend_equity_refuses_missing_columns_and_negative_budgets() -> None:
    with pytest.raises(PlannerInputError, match="imd_score"):
        spend_equity(small_areas().drop(columns="imd_score"), np.zeros((4, 1)), np.ones(1))
    with pytest.raises(PlannerInputError, match="budget_gbp"):
        spend_equity(small_areas(), np.zeros((4, 1)), np.array([-5.0]))


@pytest.fixture(scope="module")
def demo_equity():
    locality = load_locality(DEMO_FOLDER)
    router = routers_for_locality(locality, modes=("drive",))["drive"]
    assert router.n_areas == len(locality.areas) and router.graph.report.nodes_kept > 1000
    return locality, service_spend_equity(router, locality.areas, locality.services,
                                          biggest_town=locality.biggest_town)


def test_demo_current_provision_shows_the_papers_skew(demo_equity) -> None:
    locality, result = demo_equity
    # "Almost two fifths of all spend went to one big town."
    assert 0.35 <= result.biggest_town_share_of_sites <= 0.45
    assert result.biggest_town_share_of_spend > result.biggest_town_share_of_need
    assert result.total_gbp == pytest.approx(locality.services["budget_gbp"].sum())
    by_district = result.by_district.set_index("district")
    # Little in the north: its district gets well under its fair share.
    northern = by_district["ratio_to_fair_share"].idxmin()
    assert by_district.loc[northern, "ratio_to_fair_share"] < 0.7
    assert result.gini > 0.1
