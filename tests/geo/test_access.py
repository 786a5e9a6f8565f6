"""Tests for geo.access: nearest hubs, group figures, E2SFCA against PySAL, incremental moves."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from access import Access, weights

from geo.access import (
    AreaWeights,
    DistanceDecay,
    access_from_minutes,
    area_weights,
    e2sfca_scores,
    hub_access,
    hub_capacity,
    hub_minutes,
)
from geo.errors import PlannerInputError
from geo.scenarios import Hub, OutreachPoint
from geo.traveltime import AreaRouter
from tests.support.grids import grid_graph


def simple_weights(values: list[float] | np.ndarray, groups: tuple[str, ...] = ("population",)) -> AreaWeights:
    column = np.asarray(values, dtype=float).reshape(-1, 1)
    return AreaWeights(area_ids=np.array([f"A{i}" for i in range(column.shape[0])], dtype=object),
                       groups=groups, values=np.repeat(column, len(groups), axis=1))


MINUTES = np.array([
    [10.0, 20.0, 30.0],
    [40.0, 5.0, np.nan],
    [np.nan, np.nan, np.nan],
    [26.0, 25.0, 50.0],
])


def test_nearest_and_second_nearest_hub_per_area() -> None:
    result = access_from_minutes(MINUTES, simple_weights([100, 200, 300, 400]), hub_ids=["H0", "H1", "H2"])
    assert result.nearest_hub.tolist() == ["H0", "H1", "", "H1"]
    assert result.second_hub.tolist() == ["H1", "H0", "", "H0"]
    np.testing.assert_array_equal(result.minutes, [10.0, 5.0, np.nan, 25.0])
    np.testing.assert_array_equal(result.second_minutes, [20.0, 40.0, np.nan, 26.0])
    assert list(result.per_area.columns) == ["area", "nearest_hub", "minutes", "second_hub",
                                             "second_minutes", "e2sfca"]


def test_group_summary_by_hand() -> None:
    result = access_from_minutes(MINUTES, simple_weights([100, 200, 300, 400]), hub_ids=["H0", "H1", "H2"])
    row = result.summary.iloc[0]
    assert row["group"] == "population" and row["total"] == 1000
    assert row["mean_minutes"] == pytest.approx((10 * 100 + 5 * 200 + 25 * 400) / 700)
    assert row["share_within_15"] == pytest.approx(0.3)
    assert row["share_within_30"] == pytest.approx(0.7)
    assert row["share_within_60"] == pytest.approx(0.7)
    assert row["share_unreachable"] == pytest.approx(0.3)
    assert row["median_minutes"] == 25.0  # CDF: 5 -> 0.2, 10 -> 0.3, 25 -> 0.7
    assert np.isnan(row["p90_minutes"])  # the 90th percentile person cannot reach a hub


def test_weighted_quantiles_equal_numpy() -> None:
    rng = np.random.default_rng(0)
    minutes = rng.uniform(1, 90, (300, 4))
    values = rng.integers(0, 50, 300).astype(float)
    result = access_from_minutes(minutes, simple_weights(values), hub_ids=list("abcd"))
    best = minutes.min(axis=1)
    row = result.summary.iloc[0]
    assert row["median_minutes"] == np.quantile(best, 0.5, weights=values, method="inverted_cdf")
    assert row["p90_minutes"] == np.quantile(best, 0.9, weights=values, method="inverted_cdf")
    assert row["mean_minutes"] == pytest.approx(np.average(best, weights=values))
    assert row["share_within_45"] == pytest.approx(values[best <= 45].sum() / values.sum())


def test_groups_are_built_from_the_areas_table() -> None:
    areas = pd.DataFrame({
        "code": ["A", "B"], "pop_total": [1000, 2000], "need_weight": [900.0, 1500.0],
        "pop_female": [510, 990], "pop_18_24": [80, 300], "bme_share": [0.1, 0.25],
        "imd_decile": [2, 7], "pop_adult": [800, 1600], "smi_prevalence_pct": [1.0, 0.5],
    })
    built = area_weights(areas)
    assert built.groups == ("population", "need", "women", "age_18_24", "bme", "most_deprived_fifth", "smi")
    np.testing.assert_allclose(built.of("bme"), [100.0, 500.0])
    np.testing.assert_allclose(built.of("most_deprived_fifth"), [1000.0, 0.0])
    np.testing.assert_allclose(built.of("smi"), [8.0, 8.0])
    assert area_weights(areas[["code", "pop_total"]]).groups == ("population",)
    with pytest.raises(PlannerInputError, match="group"):
        built.of("pensioners")


@pytest.mark.parametrize(
    ("areas", "message"),
    [
        (pd.DataFrame({"code": ["A"], "pop_female": [3]}), "pop_total"),
        (pd.DataFrame({"code": ["A", "B"], "pop_total": [5, -1]}), "row 2, column pop_total"),
        (pd.DataFrame({"code": ["A"], "pop_total": ["many"]}), "pop_total"),
    ],
)
def test_bad_area_tables_are_refused(areas: pd.DataFrame, message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        area_weights(areas)


@pytest.mark.parametrize(
    ("decay", "pysal_weight"),
    [
        (DistanceDecay(), weights.step_fn({20: 1, 40: 0.68, 60: 0.22})),
        (DistanceDecay(kind="gaussian", sigma_minutes=20, max_minutes=60), weights.gaussian(20)),
    ],
)
def test_e2sfca_equals_pysal_access(decay: DistanceDecay, pysal_weight) -> None:
    rng = np.random.default_rng(7)
    n_areas, n_hubs = 15, 4
    minutes = rng.uniform(0, 85, (n_areas, n_hubs))
    minutes[3] = 70.0  # an area with no hub in reach
    demand = rng.uniform(100, 2000, n_areas)
    capacity = np.array([30.0, 50.0, 20.0, 80.0])
    ours = e2sfca_scores(minutes, demand, capacity, decay=decay)

    areas = pd.DataFrame({"geoid": [f"a{i}" for i in range(n_areas)], "demand": demand})
    hubs = pd.DataFrame({"geoid": [f"h{j}" for j in range(n_hubs)], "places": capacity})
    costs = pd.DataFrame([(f"a{i}", f"h{j}", minutes[i, j]) for i in range(n_areas) for j in range(n_hubs)],
                         columns=["origin", "dest", "cost"])
    model = Access(demand_df=areas, demand_index="geoid", demand_value="demand", supply_df=hubs,
                   supply_index="geoid", supply_value="places", cost_df=costs, cost_origin="origin",
                   cost_dest="dest", cost_name="cost")
    theirs = model.enhanced_two_stage_fca(name="e2", weight_fn=pysal_weight, max_cost=60)
    theirs = theirs["e2_places"].reindex(areas["geoid"]).to_numpy()
    reached = ~np.isnan(theirs)
    assert reached.sum() == n_areas - 1
    np.testing.assert_allclose(ours[reached], theirs[reached], rtol=1e-10)
    assert ours[3] == 0.0


def test_step_decay_weights() -> None:
    decay = DistanceDecay()
    np.testing.assert_array_equal(decay.weight(np.array([0, 20, 20.5, 40, 59, 60, 61, np.nan])),
                                  [1, 1, 0.68, 0.68, 0.22, 0.22, 0, 0])


@pytest.mark.parametrize(
    "kwargs", [{"kind": "linear"}, {"steps": ((40.0, 1.0), (20.0, 0.5))}, {"sigma_minutes": 0.0}],
)
def test_bad_decay_is_refused(kwargs: dict) -> None:
    with pytest.raises(PlannerInputError, match="DistanceDecay"):
        DistanceDecay(**kwargs)


def test_wrong_matrix_shape_is_refused() -> None:
    with pytest.raises(PlannerInputError, match="3 hubs"):
        access_from_minutes(np.zeros((4, 2)), simple_weights([1, 1, 1, 1]), hub_ids=["a", "b", "c"])


def make_router() -> AreaRouter:
    rng = np.random.default_rng(11)
    return AreaRouter(grid_graph(), rng.uniform(0, 2600, (30, 2)), [f"A{i}" for i in range(30)])


HUBS = [
    Hub(hub_id="north", name="North", x=600.0, y=2300.0, capacity_places=40),
    Hub(hub_id="south", name="South", x=1800.0, y=300.0, capacity_places=None,
        outreach_points=(OutreachPoint(name="Library", x=300.0, y=200.0),)),
    Hub(hub_id="east", name="East", x=2500.0, y=1400.0, capacity_places=20),
]


def test_hub_reached_at_its_quickest_point() -> None:
    router = make_router()
    columns = hub_minutes(router, HUBS)
    south = router.minutes_to_points(np.array([[1800.0, 300.0], [300.0, 200.0]]))
    np.testing.assert_allclose(columns.columns[1], south.min(axis=1))
    assert columns.hub_ids == ("north", "south", "east")
    assert columns.warnings == ((), (), ())
    far = hub_minutes(router, [*HUBS[:2], dataclasses.replace(HUBS[2], x=9000.0)], previous=columns)
    assert far.warnings[:2] == ((), ()) and far.warnings[2][0].startswith("Hub east point 1 is")
    assert far.columns[0] is columns.columns[0]


def test_moving_one_hub_recomputes_only_its_column() -> None:
    router = make_router()
    group_weights = simple_weights(np.arange(30) + 1.0, ("population", "need"))
    group_weights = dataclasses.replace(group_weights, area_ids=router.area_ids)
    before = hub_access(router, HUBS, group_weights)
    moved = [HUBS[0], dataclasses.replace(HUBS[1], x=1200.0, y=1300.0), HUBS[2]]
    after = hub_access(router, moved, group_weights, previous=before.hub_minutes)
    assert before.hub_minutes is not None and after.hub_minutes is not None
    assert after.hub_minutes.columns[0] is before.hub_minutes.columns[0]
    assert after.hub_minutes.columns[2] is before.hub_minutes.columns[2]
    router.clear_cache()
    fresh = hub_access(router, moved, group_weights)
    np.testing.assert_array_equal(after.minutes, fresh.minutes)
    np.testing.assert_allclose(after.e2sfca, fresh.e2sfca)
    pd.testing.assert_frame_equal(after.summary, fresh.summary)
    assert not np.array_equal(after.minutes, before.minutes)


def test_router_and_weights_must_describe_the_same_areas() -> None:
    with pytest.raises(PlannerInputError, match="same areas"):
        hub_access(make_router(), HUBS, simple_weights(np.ones(29)))


def test_missing_capacity_takes_the_mean_of_the_others() -> None:
    np.testing.assert_allclose(hub_capacity(HUBS), [40.0, 30.0, 20.0])
    no_figures = [dataclasses.replace(h, capacity_places=None) for h in HUBS]
    np.testing.assert_allclose(hub_capacity(no_figures), [1.0, 1.0, 1.0])


def test_no_hubs_means_nobody_is_reached() -> None:
    router = make_router()
    group_weights = dataclasses.replace(simple_weights(np.ones(30)), area_ids=router.area_ids)
    result = hub_access(router, [], group_weights)
    assert np.isnan(result.minutes).all() and (result.nearest_hub == "").all()
    assert result.summary.loc[0, "share_unreachable"] == 1.0
