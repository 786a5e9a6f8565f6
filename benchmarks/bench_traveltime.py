"""Benchmark the travel-time engine against a networkx implementation in the same run.

Four measurements on three networks (the demo, Rutland's OpenStreetMap roads, and a
synthetic case of 35,000 areas on about 200,000 nodes generated here):

- matrix build: areas x candidate sites, from a cold start (our router: snapping and
  contracting the graph around the areas; then the searches) and warm (the router already
  built, as in the running app); the networkx peer builds its DiGraph (cold only) and runs
  ``single_source_dijkstra_path_length`` from the same sources (the smaller side, as ours
  does). The peer is timed on a sample of its sources and extrapolated linearly (stated
  under the table); ours and the peer's are timed in turn, three times, medians taken;
- single-source recompute: minutes from every area to one new point (a moved site),
  with our search cache cleared; the peer is one networkx search from the same node;
- metrics after a hub move: every access figure (nearest hubs, E2SFCA, group summaries)
  after one of six hubs moves, cache cleared; the peer does the search with networkx and
  then the same numpy reductions;
- peak memory (tracemalloc: Python and numpy allocations; scipy's C heap for the search
  itself, about 50 bytes a node, is not seen): building the graph, the router, the
  matrix and the hubs' access figures, against building the networkx graph and one search.

Times are CPU seconds of the benchmark process (``time.process_time``), because these
machines are shared: every step measured runs on one thread, so on an idle machine CPU
time and wall time agree, while on a busy one wall time would count other jobs.

Run: ``python -m benchmarks.run_all traveltime`` (or ``make bench``).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from benchmarks.common import Figure, figure, peak_memory_mb, print_table
from geo.access import AreaWeights, access_from_minutes, area_weights, hub_access
from geo.ingest.locality_files import load_locality
from geo.ingest.networks import DEFAULT_NETWORK_MARGIN_KM, network_extent, network_from_pbf
from geo.locality import DEMO_FOLDER
from geo.network import ModeGraph, RoadNetwork, build_mode_graph, network_from_tables
from geo.placement.candidates import candidate_sites
from geo.scenarios import Hub, OutreachPoint
from geo.snapping import area_origins
from geo.traveltime import AreaRouter

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PEER_SAMPLE_SOURCES = 12
MOVES = 15


@dataclass
class Case:
    """One network with its areas, candidate sites and six hubs."""

    name: str
    network: RoadNetwork
    areas: pd.DataFrame
    origins: np.ndarray
    sites: np.ndarray
    hubs: list[Hub]
    extent: tuple[float, float, float, float]


def demo_case() -> Case:
    locality = load_locality(DEMO_FOLDER)
    network = network_from_tables(locality.road_nodes, locality.road_edges, source="demo")
    graph = build_mode_graph(network, "drive")
    sites = candidate_sites(locality.areas, graph, towns=locality.towns, services=locality.services)
    hubs = [Hub(hub_id=f"H{i + 1}", name=str(row["name"]), x=float(row.geometry.x),
                y=float(row.geometry.y), capacity_places=60 + 10 * i)
            for i, (_, row) in enumerate(locality.towns.head(6).iterrows())]
    hubs[1] = dataclasses.replace(hubs[1], outreach_points=(
        OutreachPoint(name="Outreach", x=hubs[1].x + 4000, y=hubs[1].y + 3000),))
    return Case("demo", network, locality.areas, area_origins(locality.areas),
                sites[["x", "y"]].to_numpy(), hubs, tuple(locality.areas.total_bounds))


def rutland_case() -> Case | None:
    folder = SHARED_DATA
    lsoa_file = folder / "lsoa_boundaries_by_la_2011" / "lsoa11_E06000017.geojson"
    if not lsoa_file.is_file():
        return None
    import geopandas as gpd

    lsoas = gpd.read_file(lsoa_file).to_crs(27700)
    population = pd.read_csv(folder / "england_lsoa_imd2019_population" / "mysociety_lsoa_population_2019.csv",
                             encoding="utf-8-sig", thousands=",")
    imd = pd.read_csv(folder / "england_lsoa_imd2019_population" / "mysociety_UK_IMD_E.csv",
                      usecols=["lsoa", "original_decile"])
    areas = (lsoas.rename(columns={"LSOA11CD": "code"})
             .merge(population.rename(columns={"lsoa": "code", "pop": "pop_total"}), on="code")
             .merge(imd.rename(columns={"lsoa": "code", "original_decile": "imd_decile"}), on="code"))
    network = network_from_pbf(folder / "osm_rutland" / "rutland-latest.osm.pbf",
                               within=network_extent(areas.union_all(), DEFAULT_NETWORK_MARGIN_KM))
    graph = build_mode_graph(network, "drive")
    sites = candidate_sites(areas, graph)
    rng = np.random.default_rng(3)
    chosen = sites.iloc[rng.choice(len(sites), 6, replace=False)]
    hubs = [Hub(hub_id=f"H{i + 1}", name=f"Hub {i + 1}", x=float(x), y=float(y), capacity_places=40)
            for i, (x, y) in enumerate(chosen[["x", "y"]].to_numpy())]
    return Case("rutland_osm", network, areas, area_origins(areas), sites[["x", "y"]].to_numpy(), hubs,
                tuple(areas.total_bounds))


def synthetic_case(side: int = 450, n_areas: int = 35_000, n_sites: int = 300, seed: int = 0) -> Case:
    """A jittered 450 x 450 road grid (202,500 nodes, 150 m apart) with towns of areas on it."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    keep = rng.random(u.size) < 0.9
    u, v = u[keep], v[keep]
    gx, gy = np.meshgrid(np.arange(side) * 150.0, np.arange(side) * 150.0)
    x = gx.ravel() + rng.uniform(-30, 30, side * side)
    y = gy.ravel() + rng.uniform(-30, 30, side * side)
    row_u, col_u = np.divmod(u, side)
    on_line = np.where(row_u == v // side, row_u, col_u)  # the grid line the edge runs along
    road_class = np.where(on_line % 60 == 0, "motorway", np.where(
        on_line % 20 == 0, "a_road", np.where(on_line % 10 == 0, "b_road", "minor")))
    nodes = pd.DataFrame({"node_id": ids.ravel(), "x": x, "y": y})
    edges = pd.DataFrame({"u": u, "v": v, "road_class": road_class,
                          "length_m": np.hypot(x[u] - x[v], y[u] - y[v]) * 1.1, "oneway": False})
    network = network_from_tables(nodes, edges, source="synthetic")
    span = (side - 1) * 150.0
    centres = rng.uniform(0.05 * span, 0.95 * span, (40, 2))
    town = rng.integers(0, 40, n_areas)
    in_town = rng.random(n_areas) < 0.8
    origins = np.where(in_town[:, None], centres[town] + rng.normal(0, 2500, (n_areas, 2)),
                       rng.uniform(0, span, (n_areas, 2))).clip(0, span)
    pop = rng.integers(1000, 3000, n_areas)
    areas = pd.DataFrame({
        "code": [f"E{i:08d}" for i in range(n_areas)], "pop_total": pop,
        "need_weight": pop * rng.uniform(0.5, 1.2, n_areas), "pop_female": pop // 2,
        "pop_18_24": pop // 10, "bme_share": rng.uniform(0, 0.4, n_areas),
        "imd_decile": rng.integers(1, 11, n_areas), "pop_adult": (pop * 0.8).astype(int),
        "smi_prevalence_pct": rng.uniform(0.5, 1.5, n_areas),
    })
    sites = rng.uniform(0, span, (n_sites, 2))
    hubs = [Hub(hub_id=f"H{i + 1}", name=f"Hub {i + 1}", x=float(cx), y=float(cy), capacity_places=80)
            for i, (cx, cy) in enumerate(centres[:6])]
    return Case("synthetic_35k", network, areas, origins, sites, hubs, (0.0, 0.0, span, span))


def networkx_graph(graph: ModeGraph) -> nx.DiGraph:
    """The peer's graph: the same reversed edges as ours, as a networkx DiGraph."""
    coo = graph.seconds_reversed.tocoo()
    peer = nx.DiGraph()
    peer.add_nodes_from(range(graph.n_nodes))
    peer.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    return peer


def networkx_columns(peer: nx.DiGraph, sources: np.ndarray, area_nodes: np.ndarray) -> np.ndarray:
    """Seconds from each area node to each source (searching from the sources on the reversed graph)."""
    out = np.empty((area_nodes.size, sources.size))
    for j, source in enumerate(sources.tolist()):
        reached = nx.single_source_dijkstra_path_length(peer, source)
        out[:, j] = [reached.get(a, np.inf) for a in area_nodes.tolist()]
    return out


def clock() -> float:
    """CPU seconds of this process: fair on a shared machine, where wall time counts others' jobs.

    Everything measured here runs on one thread, so on an idle machine it equals wall time.
    """
    return time.process_time()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def measure(case: Case, *, peer_sources: int = PEER_SAMPLE_SOURCES) -> dict[str, float]:
    """Every figure for one case, ours and the networkx peer's."""
    graph = build_mode_graph(case.network, "drive")
    ids = case.areas["code"].astype(str).tolist()
    site_ids = [f"C{j}" for j in range(len(case.sites))]
    out: dict[str, float] = {"nodes": graph.n_nodes, "areas": len(ids), "sites": len(site_ids)}

    # Peer: same sources as ours (the smaller side), networkx on the same reversed graph.
    start = clock()
    peer = networkx_graph(graph)
    peer_build_s = clock() - start
    router = AreaRouter(graph, case.origins, ids)
    site_nodes = np.unique(router.snap(case.sites).node)
    from_sites = site_nodes.size <= router.area_nodes.size
    sources = site_nodes if from_sites else router.area_nodes
    sample = sources[np.linspace(0, sources.size - 1, min(peer_sources, sources.size)).astype(int)]

    # Ours and the peer in turn, so that both see the same load on a shared machine.
    cold, warm, peer_per_source = [], [], []
    for _ in range(3 if graph.n_nodes < 100_000 else 1):
        start = clock()
        router = AreaRouter(graph, case.origins, ids)
        built = clock()
        router.matrix(case.sites, site_ids)
        done = clock()
        cold.append(done - start)
        warm.append(done - built)
        start = clock()
        networkx_columns(peer if from_sites else peer.reverse(copy=False), sample,
                         router.area_nodes if from_sites else site_nodes)
        peer_per_source.append((clock() - start) / sample.size)
    out["matrix_s"] = statistics.median(cold)
    out["matrix_warm_s"] = statistics.median(warm)
    out["peer_matrix_warm_s"] = statistics.median(peer_per_source) * sources.size
    out["peer_matrix_s"] = peer_build_s + out["peer_matrix_warm_s"]
    out["peer_sampled_sources"] = sample.size
    out["searches"] = sources.size

    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = case.extent
    points = np.column_stack([rng.uniform(minx, maxx, MOVES), rng.uniform(miny, maxy, MOVES)])
    single = []
    for x, y in points:
        router.clear_cache()
        start = clock()
        router.minutes_to_point(x, y)
        single.append(clock() - start)
    out["single_ms"] = median_ms(single)
    peer_single = []
    for x, y in points[:3]:
        node = int(router.snap(np.array([[x, y]])).node[0])
        start = clock()
        networkx_columns(peer, np.array([node]), router.area_nodes)
        peer_single.append(clock() - start)
    out["peer_single_ms"] = median_ms(peer_single)

    weights = dataclasses.replace(area_weights(case.areas), area_ids=router.area_ids)
    previous = hub_access(router, case.hubs, weights).hub_minutes
    moves = []
    for x, y in points:
        moved = [dataclasses.replace(case.hubs[0], x=float(x), y=float(y)), *case.hubs[1:]]
        router.clear_cache()
        start = clock()
        result = hub_access(router, moved, weights, previous=previous)
        moves.append(clock() - start)
    assert result.summary.shape[0] == len(weights.groups)
    out["move_ms"] = median_ms(moves)
    out["peer_move_ms"] = median_ms([_peer_move(peer, router, case, weights, previous, x, y)
                                     for x, y in points[:3]])
    return out


def _peer_move(peer: nx.DiGraph, router: AreaRouter, case: Case, weights: AreaWeights,
               previous, x: float, y: float) -> float:
    """The networkx way of a hub move: one networkx search, then the same numpy reductions."""
    start = clock()
    snap = router.snap(np.array([[x, y]]))
    seconds = networkx_columns(peer, snap.node, router.area_nodes)[:, 0]
    area_row = np.searchsorted(router.area_nodes, router.origins.node)
    moved = (seconds[area_row] + router.origins.access_seconds + snap.access_seconds[0]) / 60.0
    matrix = np.column_stack([moved, *previous.columns[1:]])
    access_from_minutes(matrix, weights, hub_ids=previous.hub_ids)
    return clock() - start


def memory(case: Case, peer_sources: int = 1) -> tuple[float, float]:
    """Peak traced MB: ours (graph, router, matrix, one move) and the peer's (graph, searches)."""
    ids = case.areas["code"].astype(str).tolist()

    def ours() -> None:
        graph = build_mode_graph(case.network, "drive")
        router = AreaRouter(graph, case.origins, ids)
        router.matrix(case.sites, [f"C{j}" for j in range(len(case.sites))])
        weights = dataclasses.replace(area_weights(case.areas), area_ids=router.area_ids)
        hub_access(router, case.hubs, weights)

    graph = build_mode_graph(case.network, "drive")
    router = AreaRouter(graph, case.origins, ids)
    site_nodes = np.unique(router.snap(case.sites).node)[:peer_sources]

    def peer() -> None:
        networkx_columns(networkx_graph(graph), site_nodes, router.area_nodes)

    ours_mb, _ = peak_memory_mb(ours)
    peer_mb, _ = peak_memory_mb(peer)
    return ours_mb, peer_mb


def run() -> dict[str, Figure]:
    """Measure every case, print the tables and return the figures for results.json."""
    builders: list[tuple[str, Callable[[], Case | None]]] = [
        ("demo", demo_case), ("rutland_osm", rutland_case), ("synthetic_35k", synthetic_case)]
    results: dict[str, dict[str, float]] = {}
    cases: dict[str, Case] = {}
    for name, build in builders:
        case = build()
        if case is None:
            print(f"{name}: skipped (data not found)")
            continue
        cases[name] = case
        results[name] = measure(case, peer_sources=6 if name == "synthetic_35k" else PEER_SAMPLE_SOURCES)
    memory_mb = {name: memory(case) for name, case in cases.items()}
    ours_mb, peer_mb = memory_mb["synthetic_35k"]

    print_table("Travel-time engine against networkx (same graph, same run)",
                ["case", "nodes", "areas", "sites", "searches", "matrix s", "networkx s", "speedup",
                 "warm s", "networkx warm s", "speedup", "one point ms", "networkx ms", "ratio",
                 "hub move ms", "networkx move ms", "ratio"],
                [[name, int(r["nodes"]), int(r["areas"]), int(r["sites"]), int(r["searches"]), r["matrix_s"],
                  r["peer_matrix_s"], r["peer_matrix_s"] / r["matrix_s"], r["matrix_warm_s"],
                  r["peer_matrix_warm_s"], r["peer_matrix_warm_s"] / r["matrix_warm_s"],
                  r["single_ms"], r["peer_single_ms"], r["peer_single_ms"] / r["single_ms"],
                  r["move_ms"], r["peer_move_ms"], r["peer_move_ms"] / r["move_ms"]] for name, r in results.items()])
    print("  matrix s: cold start (our router + matrix; networkx graph + searches); "
          "warm: the matrix alone (router or graph already built)")
    for name, r in results.items():
        if r["peer_sampled_sources"] < r["searches"]:
            print(f"  {name}: networkx matrix time extrapolated from {int(r['peer_sampled_sources'])} of "
                  f"{int(r['searches'])} searches plus its graph build")
    print_table("Peak traced memory (graph, router, matrix, one move; networkx: graph and one search)",
                ["case", "ours MB", "networkx MB", "ratio"],
                [[name, ours, peer, peer / ours] for name, (ours, peer) in memory_mb.items()])

    demo, big = results["demo"], results["synthetic_35k"]
    figures: dict[str, Figure] = {
        "move_recompute_ms_demo": figure(demo["move_ms"], "ms", peer=demo["peer_move_ms"],
                                         peer_name="networkx search + same reductions"),
        "move_recompute_ms_35k": figure(big["move_ms"], "ms", peer=big["peer_move_ms"],
                                        peer_name="networkx search + same reductions"),
        "matrix_build_speedup_vs_networkx": figure(
            demo["peer_matrix_s"] / demo["matrix_s"], "times (demo, areas x candidate sites)",
            peer=1.0, peer_name="networkx Dijkstra loop", higher_is_better=True),
        "peak_memory_mb_35k": figure(ours_mb, "MB (tracemalloc)", peer=peer_mb,
                                     peer_name="networkx graph + one search"),
        "single_source_ms_demo": figure(demo["single_ms"], "ms", peer=demo["peer_single_ms"],
                                        peer_name="networkx single-source Dijkstra"),
        "matrix_build_s_35k": figure(big["matrix_s"], "s", peer=big["peer_matrix_s"],
                                     peer_name="networkx Dijkstra loop (extrapolated)"),
    }
    if "rutland_osm" in results:
        rutland = results["rutland_osm"]
        figures["matrix_build_s_rutland"] = figure(rutland["matrix_s"], "s", peer=rutland["peer_matrix_s"],
                                                   peer_name="networkx Dijkstra loop")
    return figures


if __name__ == "__main__":
    run()
