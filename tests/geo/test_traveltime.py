"""Tests for geo.snapping and geo.traveltime: exact times, snapping legs, caching, moved sites."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.errors import PlannerInputError
from geo.network import ModeGraph, build_mode_graph, network_from_tables
from geo.snapping import area_origins, snap_points
from geo.traveltime import AreaRouter, travel_time_matrix
from tests.support.grids import grid_graph


def shaped_graph(mode: str = "drive", *, seed: int = 0) -> ModeGraph:
    """Like :func:`grid_graph` but every road bends through 1-4 shape nodes, with dead-end spurs.

    Most nodes then have two neighbours, as in OpenStreetMap data.
    """
    rng = np.random.default_rng(seed)
    side = 9
    ids = np.arange(side * side).reshape(side, side)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    gx, gy = np.meshgrid(np.arange(side) * 300.0, np.arange(side) * 300.0)
    xs, ys = list(gx.ravel() + rng.uniform(-40, 40, side * side)), list(gy.ravel() + rng.uniform(-40, 40, side * side))
    rows = []
    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        road = str(rng.choice(["a_road", "b_road", "minor", "minor"]))
        one = bool(rng.random() < 0.15)
        chain = [a]
        for k in range(int(rng.integers(1, 5))):
            t = (k + 1) / 5
            xs.append(xs[a] + t * (xs[b] - xs[a]) + rng.uniform(-20, 20))
            ys.append(ys[a] + t * (ys[b] - ys[a]) + rng.uniform(-20, 20))
            chain.append(len(xs) - 1)
        chain.append(b)
        rows += [(p, q, road, float(np.hypot(xs[p] - xs[q], ys[p] - ys[q])) + 1.0, one)
                 for p, q in itertools.pairwise(chain)]
    for start in rng.choice(side * side, 12, replace=False).tolist():
        previous = start
        for _ in range(3):
            xs.append(xs[previous] + 60.0)
            ys.append(ys[previous] + 45.0)
            rows.append((previous, len(xs) - 1, "minor", 75.0, False))
            previous = len(xs) - 1
    nodes = pd.DataFrame({"node_id": np.arange(len(xs)), "x": xs, "y": ys})
    edges = pd.DataFrame(rows, columns=["u", "v", "road_class", "length_m", "oneway"])
    return build_mode_graph(network_from_tables(nodes, edges), mode)  # type: ignore[arg-type]


def networkx_minutes(graph: ModeGraph, origins: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Independent reference: networkx Dijkstra on the same edges, plus the same snap legs."""
    reference = nx.DiGraph()
    coo = graph.seconds.tocoo()
    reference.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    xy = np.column_stack([graph.x, graph.y])
    speed = graph.access_kmh / 3.6
    out = np.empty((len(origins), len(sites)))
    for j, site in enumerate(sites):
        site_node = int(np.argmin(np.hypot(*(xy - site).T)))
        to_site = nx.single_source_dijkstra_path_length(reference.reverse(copy=False), site_node)
        site_leg = np.hypot(*(xy[site_node] - site)) / speed
        for i, origin in enumerate(origins):
            area_node = int(np.argmin(np.hypot(*(xy - origin).T)))
            area_leg = np.hypot(*(xy[area_node] - origin)) / speed
            out[i, j] = (to_site[area_node] + area_leg + site_leg + graph.wait_seconds) / 60
    return out


@pytest.mark.parametrize("mode", ["drive", "walk", "bus"])
def test_matrix_equals_networkx_dijkstra_for_random_pairs(mode: str) -> None:
    graph = grid_graph(mode)
    rng = np.random.default_rng(1)
    origins = rng.uniform(0, 2600, (25, 2))
    sites = rng.uniform(0, 2600, (7, 2))
    ours = travel_time_matrix(graph, origins, [f"A{i}" for i in range(25)], sites,
                              [f"S{j}" for j in range(7)])
    np.testing.assert_allclose(ours.minutes, networkx_minutes(graph, origins, sites), rtol=1e-9)


@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_contracted_graph_gives_networkx_times(mode: str) -> None:
    graph = shaped_graph(mode)
    rng = np.random.default_rng(6)
    origins, sites = rng.uniform(0, 2400, (20, 2)), rng.uniform(0, 2400, (12, 2))
    router = AreaRouter(graph, origins, [f"A{i}" for i in range(20)], contract=True)
    assert router._core is not None and router._core.n_nodes < graph.n_nodes / 2
    contracted = router.matrix(sites, [f"S{j}" for j in range(12)]).minutes
    np.testing.assert_allclose(contracted, networkx_minutes(graph, origins, sites), rtol=1e-9)
    plain = AreaRouter(graph, origins, [f"A{i}" for i in range(20)], contract=False)
    np.testing.assert_allclose(plain.matrix(sites, [f"S{j}" for j in range(12)]).minutes, contracted, rtol=1e-12)
    for node in rng.choice(graph.n_nodes, 15, replace=False):  # moved sites onto shape nodes too
        x, y = graph.x[node], graph.y[node]
        np.testing.assert_allclose(router.minutes_to_point(x, y), plain.minutes_to_point(x, y), rtol=1e-12)


def test_contraction_shrinks_meshes_of_junctions_too() -> None:
    ids = np.arange(400).reshape(20, 20)  # a full mesh: all but its 4 corners have 3 or 4 neighbours
    u, v = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()], np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    mesh = build_mode_graph(network_from_tables(
        pd.DataFrame({"node_id": ids.ravel(), "x": (ids % 20).ravel() * 250.0, "y": (ids // 20).ravel() * 250.0}),
        pd.DataFrame({"u": u, "v": v, "road_class": "minor", "length_m": 250.0, "oneway": False})))
    rng = np.random.default_rng(0)
    origins, sites = rng.uniform(0, 4750, (30, 2)), rng.uniform(0, 4750, (9, 2))
    router = AreaRouter(mesh, origins, [f"A{i}" for i in range(30)])
    assert router._core is not None and router._core.n_nodes < mesh.n_nodes / 2
    assert set(router.area_nodes.tolist()) <= set(router._core.core_nodes.tolist())
    np.testing.assert_allclose(router.matrix(sites, [f"S{j}" for j in range(9)]).minutes,
                               networkx_minutes(mesh, origins, sites), rtol=1e-9)
    assert AreaRouter(mesh, origins, [f"A{i}" for i in range(30)], contract=False)._core is None


def test_searching_from_areas_or_from_sites_gives_the_same_matrix() -> None:
    graph = grid_graph()
    rng = np.random.default_rng(2)
    few_areas = AreaRouter(graph, rng.uniform(0, 2600, (4, 2)), ["a", "b", "c", "d"])
    sites = rng.uniform(0, 2600, (30, 2))
    from_areas = few_areas.matrix(sites, [str(j) for j in range(30)]).minutes  # 4 < 30: forward
    by_column = np.column_stack([few_areas.minutes_to_point(*s) for s in sites])  # one by one: reverse
    few_areas.clear_cache()
    one_at_a_time = np.column_stack([few_areas.minutes_to_points(sites[j:j + 1])[:, 0] for j in range(30)])
    np.testing.assert_allclose(from_areas, by_column, rtol=1e-12)
    np.testing.assert_allclose(from_areas, one_at_a_time, rtol=1e-12)


def test_moved_site_column_equals_the_matrix_column() -> None:
    graph = grid_graph()
    rng = np.random.default_rng(4)
    router = AreaRouter(graph, rng.uniform(0, 2600, (40, 2)), [str(i) for i in range(40)])
    sites = rng.uniform(0, 2600, (5, 2))
    matrix = router.matrix(sites, list("vwxyz"))
    router.clear_cache()
    np.testing.assert_allclose(router.minutes_to_point(*sites[3]), matrix.minutes[:, 3])


def test_long_table_is_tidy_and_matches_the_dense_array() -> None:
    graph = grid_graph()
    matrix = travel_time_matrix(graph, np.array([[100.0, 100.0], [2000.0, 900.0]]), ["A", "B"],
                                np.array([[500.0, 500.0], [50.0, 2500.0], [2500.0, 10.0]]),
                                ["s1", "s2", "s3"])
    table = matrix.to_long()
    assert list(table.columns) == ["area", "site", "minutes"]
    assert len(table) == 6
    pivot = table.pivot(index="area", columns="site", values="minutes").loc[["A", "B"], ["s1", "s2", "s3"]]
    np.testing.assert_array_equal(pivot.to_numpy(), matrix.minutes)
    assert matrix.minutes.dtype == np.float64 and matrix.minutes.flags.c_contiguous


def test_snap_adds_a_straight_leg_and_warns_about_far_points() -> None:
    graph = grid_graph("walk")
    node = 17
    near = np.array([[graph.x[node] + 3.0, graph.y[node] + 4.0]])
    snap = snap_points(graph, near)
    assert snap.distance_m[0] == pytest.approx(5.0)
    assert snap.access_seconds[0] == pytest.approx(5.0 / (4.8 / 3.6))
    assert snap.warnings == ()
    far = snap_points(graph, np.array([[-5000.0, 1000.0]]), labels=["Area Z"], far_m=1000)
    assert len(far.warnings) == 1 and far.warnings[0].startswith("Area Z is")


def test_unusable_point_is_refused() -> None:
    with pytest.raises(PlannerInputError, match="finite"):
        snap_points(grid_graph(), np.array([[np.nan, 1.0]]))


def test_bus_minutes_include_the_wait_and_are_labelled_estimates() -> None:
    bus = travel_time_matrix(grid_graph("bus"), np.array([[1.0, 1.0]]), ["A"], np.array([[1.0, 1.0]]), ["S"])
    assert bus.minutes[0, 0] == pytest.approx(10.0 + 2 * bus.site_snap_m[0] / (4.8 / 3.6) / 60)
    assert bus.is_estimate and "estimated" in bus.label


def test_matrix_is_cached_on_disk_and_reused(tmp_path: Path) -> None:
    graph = grid_graph()
    rng = np.random.default_rng(5)
    origins, sites = rng.uniform(0, 2600, (10, 2)), rng.uniform(0, 2600, (3, 2))
    ids, site_ids = [str(i) for i in range(10)], ["a", "b", "c"]
    first = travel_time_matrix(graph, origins, ids, sites, site_ids, cache_dir=tmp_path)
    second = travel_time_matrix(graph, origins, ids, sites, site_ids, cache_dir=tmp_path)
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(first.minutes, second.minutes)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    moved = sites.copy()
    moved[0] += 300.0
    third = travel_time_matrix(graph, origins, ids, moved, site_ids, cache_dir=tmp_path)
    walk = travel_time_matrix(grid_graph("walk"), origins, ids, sites, site_ids, cache_dir=tmp_path)
    assert not third.from_cache and not walk.from_cache
    assert len(list(tmp_path.glob("*.npz"))) == 3


def test_damaged_cache_file_is_recomputed(tmp_path: Path) -> None:
    graph = grid_graph()
    origins, sites = np.array([[10.0, 10.0]]), np.array([[900.0, 900.0]])
    travel_time_matrix(graph, origins, ["A"], sites, ["S"], cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npz")
    cached.write_bytes(b"not a zip file")
    again = travel_time_matrix(graph, origins, ["A"], sites, ["S"], cache_dir=tmp_path)
    assert not again.from_cache and np.isfinite(again.minutes).all()


@pytest.mark.parametrize(
    ("origins", "ids", "message"),
    [(np.zeros((2, 2)), ["only one"], "area_ids"), (np.zeros((0, 2)), [], "at least one area")],
)
def test_router_refuses_mismatched_areas(origins: np.ndarray, ids: list[str], message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        AreaRouter(grid_graph(), origins, ids)


def test_area_origins_prefer_population_weighted_centroids() -> None:
    areas = gpd.GeoDataFrame(
        {"code": ["A", "B"], "pwc_x": [5.0, np.nan], "pwc_y": [6.0, np.nan]},
        geometry=[box(0, 0, 10, 10), box(100, 100, 120, 140)], crs=27700,
    )
    np.testing.assert_allclose(area_origins(areas), [[5.0, 6.0], [110.0, 120.0]])
    np.testing.assert_allclose(area_origins(areas.drop(columns=["pwc_x", "pwc_y"])), [[5.0, 5.0], [110.0, 120.0]])
    router = AreaRouter.from_areas(grid_graph(), areas)
    assert router.area_ids.tolist() == ["A", "B"]
    np.testing.assert_allclose(router.origins_xy, [[5.0, 6.0], [110.0, 120.0]])
    with pytest.raises(PlannerInputError, match="code"):
        AreaRouter.from_areas(grid_graph(), areas.drop(columns="code"))
