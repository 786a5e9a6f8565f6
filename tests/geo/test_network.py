"""Tests for geo.network: speeds per class and mode, one-way streets, components, OSM input."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geo.errors import NetworkError, PlannerInputError
from geo.network import (
    DEFAULT_SPEEDS,
    ROAD_CLASSES,
    ModeGraph,
    TravelSpeeds,
    build_mode_graph,
    contract_graph,
    network_from_tables,
)


def tables(edges: list[tuple[int, int, str, float, bool]], n_nodes: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables in the demo contract's shape, nodes on a 100 m line."""
    nodes = pd.DataFrame({"node_id": np.arange(n_nodes), "x": np.arange(n_nodes) * 100.0,
                          "y": np.zeros(n_nodes)})
    frame = pd.DataFrame(edges, columns=["u", "v", "road_class", "length_m", "oneway"])
    return nodes, frame


def seconds_between(graph, u: int, v: int) -> float:
    """Edge seconds between two source nodes (by their node_id), through the kept ordering."""
    position = {int(n): i for i, n in enumerate(graph.node_index)}
    return float(graph.seconds[position[u], position[v]])


def test_drive_seconds_follow_class_speeds() -> None:
    nodes, edges = tables([(0, 1, "motorway", 1000.0, False), (1, 2, "a_road", 700.0, False),
                           (2, 3, "b_road", 550.0, False), (3, 4, "minor", 350.0, False)], 5)
    graph = build_mode_graph(network_from_tables(nodes, edges), "drive")
    assert seconds_between(graph, 0, 1) == pytest.approx(1000 / (100 / 3.6))
    assert seconds_between(graph, 1, 2) == pytest.approx(700 / (70 / 3.6))
    assert seconds_between(graph, 2, 3) == pytest.approx(550 / (55 / 3.6))
    assert seconds_between(graph, 3, 4) == pytest.approx(350 / (35 / 3.6))
    assert seconds_between(graph, 4, 3) == pytest.approx(seconds_between(graph, 3, 4))
    assert graph.label == "Drive" and not graph.is_estimate and graph.wait_seconds == 0


def test_driveways_are_driven_slowly_and_no_journey_starts_on_one() -> None:
    """A house at the end of a 300 m driveway joins the road at the driveway's mouth, not at the house."""
    nodes = pd.DataFrame({"node_id": [0, 1, 2, 3], "x": [0.0, 500.0, 1000.0, 1000.0],
                          "y": [0.0, 0.0, 0.0, 300.0]})
    edges = pd.DataFrame({"u": [0, 1, 2], "v": [1, 2, 3], "road_class": ["minor", "minor", "driveway"],
                          "length_m": [500.0, 500.0, 300.0], "oneway": [False, False, False]})
    network = network_from_tables(nodes, edges)
    for mode in ("drive", "walk"):
        graph = build_mode_graph(network, mode)
        assert graph.n_nodes == 4  # the driveway stays part of the network ...
        distance, node = graph.nearest_nodes(np.array([[1000.0, 290.0], [10.0, 0.0]]))
        joined = graph.node_index[node]
        assert joined.tolist() == [2, 0] and distance[0] == pytest.approx(290.0)  # ... but nobody starts on it
    drive = build_mode_graph(network, "drive")
    assert seconds_between(drive, 2, 3) == pytest.approx(300 / (DEFAULT_SPEEDS.driveway_kmh / 3.6))
    assert DEFAULT_SPEEDS.driveway_kmh < DEFAULT_SPEEDS.minor_kmh
    assert build_mode_graph(network, "drive").fingerprint != build_mode_graph(
        network_from_tables(nodes, edges.assign(road_class="minor")), "drive").fingerprint


def test_walk_avoids_motorways_and_ignores_one_way_streets() -> None:
    nodes, edges = tables([(0, 1, "minor", 480.0, True), (1, 2, "minor", 480.0, False),
                           (2, 3, "motorway", 100.0, False)], 4)
    graph = build_mode_graph(network_from_tables(nodes, edges), "walk")
    assert graph.n_nodes == 3
    assert graph.report.nodes_unusable == 1
    assert seconds_between(graph, 1, 0) == pytest.approx(480 / (4.8 / 3.6))


def test_bus_is_a_labelled_estimate_slower_than_driving_with_a_wait() -> None:
    nodes, edges = tables([(0, 1, "a_road", 1000.0, False)], 2)
    network = network_from_tables(nodes, edges)
    speeds = TravelSpeeds(bus_speed_factor=0.5, bus_wait_minutes=12)
    bus = build_mode_graph(network, "bus", speeds=speeds)
    drive = build_mode_graph(network, "drive", speeds=speeds)
    assert bus.is_estimate and "estimate" in bus.label.lower()
    assert seconds_between(bus, 0, 1) == pytest.approx(2 * seconds_between(drive, 0, 1))
    assert bus.wait_seconds == 12 * 60
    assert bus.access_kmh == DEFAULT_SPEEDS.walk_kmh


def test_one_way_dead_end_and_island_are_dropped_and_reported() -> None:
    # 0-1-2 two-way triangle core; 3 reachable only one way; 4-5 an island.
    nodes, edges = tables([(0, 1, "minor", 100.0, False), (1, 2, "minor", 100.0, False),
                           (2, 0, "minor", 100.0, False), (2, 3, "minor", 250.0, True),
                           (4, 5, "minor", 300.0, False)], 6)
    graph = build_mode_graph(network_from_tables(nodes, edges), "drive")
    assert sorted(graph.node_index.tolist()) == [0, 1, 2]
    report = graph.report
    assert (report.nodes_total, report.nodes_kept, report.nodes_dropped) == (6, 3, 3)
    assert report.components_dropped == 2  # {3} and {4, 5}
    assert report.length_dropped_km == pytest.approx(0.55)
    assert (report.edges_kept, report.edges_dropped) == (6, 3)  # directed: 2->3, 4->5, 5->4
    assert "3 of 6" in report.summary()


def test_parallel_edges_keep_the_fastest_and_self_loops_go() -> None:
    nodes, edges = tables([(0, 1, "minor", 900.0, False), (0, 1, "minor", 300.0, False),
                           (1, 1, "minor", 50.0, False)], 2)
    graph = build_mode_graph(network_from_tables(nodes, edges), "drive")
    assert graph.seconds.nnz == 2
    assert seconds_between(graph, 0, 1) == pytest.approx(300 / (35 / 3.6))


def test_non_contiguous_node_ids_are_mapped() -> None:
    nodes = pd.DataFrame({"node_id": [10, 30, 20], "x": [0.0, 200.0, 100.0], "y": [0.0, 0.0, 0.0]})
    edges = pd.DataFrame({"u": [10, 20], "v": [20, 30], "road_class": ["minor", "minor"],
                          "length_m": [100.0, 100.0], "oneway": [False, False]})
    network = network_from_tables(nodes, edges)
    assert network.node_id[network.edge_u].tolist() == [10, 20]
    assert network.node_id[network.edge_v].tolist() == [20, 30]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda n, e: (n, e.assign(road_class=["minor", "footpath"])), "road_class"),
        (lambda n, e: (n, e.assign(u=[0, 9])), "node 9"),
        (lambda n, e: (n, e.assign(length_m=[100.0, -1.0])), "length_m"),
        (lambda n, e: (n, e.drop(columns="oneway")), "oneway"),
        (lambda n, e: (n.assign(node_id=[0, 0, 2]), e), "more than once"),
        (lambda n, e: (n.assign(x=[0.0, np.nan, 1.0]), e), "finite"),
    ],
)
def test_bad_tables_are_refused_with_the_field_named(change, message: str) -> None:
    nodes, edges = tables([(0, 1, "minor", 100.0, False), (1, 2, "minor", 100.0, False)], 3)
    bad_nodes, bad_edges = change(nodes, edges)
    with pytest.raises(NetworkError, match=message):
        network_from_tables(bad_nodes, bad_edges)


def test_errors_are_value_errors_of_the_planner_family() -> None:
    with pytest.raises(PlannerInputError):
        TravelSpeeds(minor_kmh=0)
    with pytest.raises(ValueError, match="mode"):
        DEFAULT_SPEEDS.class_kmh("cycle")  # type: ignore[arg-type]


def test_shortest_paths_match_networkx_after_renumbering() -> None:
    rng = np.random.default_rng(3)
    n = 60
    u = rng.integers(0, n, 240)
    v = rng.integers(0, n, 240)
    classes = rng.choice(ROAD_CLASSES[:4], 240)
    length = rng.uniform(10, 2000, 240)
    oneway = rng.random(240) < 0.3
    nodes = pd.DataFrame({"node_id": np.arange(n), "x": rng.uniform(0, 1e4, n), "y": rng.uniform(0, 1e4, n)})
    edges = pd.DataFrame({"u": u, "v": v, "road_class": classes, "length_m": length, "oneway": oneway})
    graph = build_mode_graph(network_from_tables(nodes, edges), "drive")
    kmh = DEFAULT_SPEEDS.class_kmh("drive")
    reference = nx.DiGraph()
    for a, b, c, m, one in zip(u, v, classes, length, oneway, strict=True):
        if a == b:
            continue
        s = m / (kmh[ROAD_CLASSES.index(c)] / 3.6)
        for tail, head in [(a, b)] + ([] if one else [(b, a)]):
            if not reference.has_edge(tail, head) or reference[tail][head]["weight"] > s:
                reference.add_edge(int(tail), int(head), weight=s)
    from scipy.sparse.csgraph import dijkstra

    kept = graph.node_index
    dist = dijkstra(graph.seconds, indices=np.arange(graph.n_nodes))
    for i in rng.choice(graph.n_nodes, 10, replace=False):
        expected = nx.single_source_dijkstra_path_length(reference, int(kept[i]))
        for j in range(graph.n_nodes):
            assert dist[i, j] == pytest.approx(expected[int(kept[j])])


def random_graph(seed: int, *, n: int = 300, n_edges: int = 700) -> ModeGraph:
    """Random roads of every class between nearby nodes, a third of them one-way."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 1e4, n), rng.uniform(0, 1e4, n)
    u = rng.integers(0, n, n_edges)
    v = np.argsort(np.hypot(x[u, None] - x, y[u, None] - y), axis=1)[np.arange(n_edges), rng.integers(1, 6, n_edges)]
    nodes = pd.DataFrame({"node_id": np.arange(n), "x": x, "y": y})
    edges = pd.DataFrame({"u": u, "v": v, "road_class": rng.choice(ROAD_CLASSES[:4], n_edges),
                          "length_m": np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.5, n_edges),
                          "oneway": rng.random(n_edges) < 0.3})
    return build_mode_graph(network_from_tables(nodes, edges), "drive")


@pytest.mark.parametrize(("seed", "n_pinned", "max_added_arcs", "witness_block"),
                         [(0, 5, 32, 250_000), (1, 40, 0, 250_000), (2, 10, 4, 7), (3, 0, 2, 1)])
def test_contracted_core_keeps_every_time_exact(seed: int, n_pinned: int, max_added_arcs: int, witness_block: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from scipy.sparse.csgraph import dijkstra

    monkeypatch.setattr("geo.network.WITNESS_BLOCK_PATHS", witness_block)  # a few paths at a time, too
    graph = random_graph(seed)
    pinned = np.random.default_rng(seed).choice(graph.n_nodes, n_pinned, replace=False)
    core = contract_graph(graph, pinned, max_added_arcs=max_added_arcs)
    assert 0 < core.n_nodes < graph.n_nodes / 2
    assert (core.core_of[pinned] >= 0).all()
    full = dijkstra(graph.seconds, indices=core.core_nodes)
    np.testing.assert_allclose(dijkstra(core.seconds, indices=np.arange(core.n_nodes)),
                               full[:, core.core_nodes], rtol=1e-12)
    for node in range(graph.n_nodes):  # entries: the time from every core node to any node
        found = core.entries(node)
        via = np.min([full[:, entry] + extra for entry, extra in found.items()], axis=0)
        np.testing.assert_allclose(via, full[:, node], rtol=1e-12)
    targets = np.arange(graph.n_nodes)
    grown, rows = core.reversed_from([core.entries(node) for node in targets])
    back = dijkstra(grown, indices=rows)[:, :core.n_nodes]
    np.testing.assert_allclose(back.T, full[:, targets], rtol=1e-12)
    np.testing.assert_array_equal(rows[core.core_nodes], np.arange(core.n_nodes))
