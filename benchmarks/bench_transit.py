"""Benchmark public transport on timetables against a plain time-expanded Dijkstra, in the same run.

Three figures:

- ``pt_matrix_build_s_demo``: from the demo's timetable to the median minutes from every
  area to every candidate site (the input of Suggest placements), cold: ours builds the
  router (walk legs, patterns, RAPTOR from every boarding event, the area x stop x minute
  arrivals) and answers every site; the peer builds a time-expanded graph of the same
  feed (a node per departure, arrival and boarding point, arcs for riding, staying on,
  waiting and changing, and one source node per area and departure minute) and runs
  scipy's Dijkstra from each source, then the same last walk to each site. The peer is
  timed on a sample of its sources (whole areas: every minute of some areas) and
  extrapolated linearly to all; its medians on the sample are checked against ours.
- ``pt_move_recompute_ms_demo``: every access figure after a hub moves (all areas, every
  minute of the window), the walk search cache cleared: the server's work for a drag in
  public-transport mode. The peer is the time-expanded Dijkstra's cost of the same one
  site (all its sources, extrapolated from the sample).
- ``pt_reference_agreement_pct``: Newport's real feed (Tuesday 13 June 2023, 08:00-10:00),
  200 random stop pairs: the share whose median minutes agree within a minute with an
  independent connection scan (tests/support/transit_reference.py).

Times are CPU seconds of this process (``time.process_time``): the machines are shared.
Run: ``python -m benchmarks.run_all transit``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from benchmarks.common import Figure, figure, print_table
from geo.access import area_weights, hub_access
from geo.ingest.gtfs import load_timetable, read_timetable
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER
from geo.network import build_mode_graph, network_from_tables
from geo.placement.candidates import candidate_sites
from geo.scenarios import Hub
from geo.transit import (
    DEFAULT_TRANSIT,
    Timetable,
    TransitRouter,
    TransitSettings,
    build_patterns,
    journey_summary,
    stop_profiles,
    transfers_from_walks,
    transit_router,
)
from tests.support.transit_reference import ConnectionScan, agreement

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PEER_SAMPLE_AREAS = 6
MOVES = 12


def clock() -> float:
    return time.process_time()


@dataclasses.dataclass
class TimeExpanded:
    """The peer: the day's timetable as a time-expanded graph for scipy's Dijkstra."""

    graph: sp.csr_matrix
    n_events: int
    arrival_stop: np.ndarray  # per arrival node where one may get off: its stop
    arrival_node: np.ndarray
    source_of: dict[tuple[int, int], int]


def time_expanded(timetable: Timetable, router: TransitRouter, settings: TransitSettings) -> TimeExpanded:
    """Nodes: each departure (on board), each arrival, each boarding point (waiting at a stop);
    then one source per area and departure minute. Arc weights are the seconds between them."""
    start, horizon = settings.start_seconds, settings.horizon_seconds
    trip, stop = timetable.trip, timetable.stop
    keep = (timetable.departure <= horizon) & (timetable.arrival >= start - 3600)
    index = np.flatnonzero(keep)
    n = index.size
    dep_node, arr_node, wait_node = np.arange(n), n + np.arange(n), 2 * n + np.arange(n)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    weights: list[np.ndarray] = []

    def arcs(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> None:
        rows.append(a)
        cols.append(b)
        weights.append(np.maximum(w.astype(np.float64), 1e-3))  # scipy drops zero weights

    dep, arr = timetable.departure[index].astype(np.int64), timetable.arrival[index].astype(np.int64)
    same_trip = np.flatnonzero(trip[index][1:] == trip[index][:-1])
    arcs(dep_node[same_trip], arr_node[same_trip + 1], arr[same_trip + 1] - dep[same_trip])  # ride
    arcs(arr_node, dep_node, dep - arr)  # stay on
    board = timetable.can_board[index]
    arcs(wait_node[board], dep_node[board], np.zeros(int(board.sum())))  # get on
    # Waiting at a stop: each boarding point to the next one at the same stop.
    order = np.lexsort((dep, stop[index]))
    order = order[board[order]]
    chain = np.flatnonzero(stop[index][order][1:] == stop[index][order][:-1])
    arcs(wait_node[order[chain]], wait_node[order[chain + 1]], dep[order[chain + 1]] - dep[order[chain]])
    by_stop = stop[index][order]
    times = dep[order]

    def first_wait(stops: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first boarding point at each stop at or after each time (-1 when none)."""
        key = by_stop.astype(np.int64) * 10**7 + times
        found = np.searchsorted(key, stops.astype(np.int64) * 10**7 + at)
        ok = found < key.size
        ok[ok] = by_stop[found[ok]] == stops[ok]
        return np.where(ok, wait_node[order[np.minimum(found, key.size - 1)]], -1), np.where(
            ok, times[np.minimum(found, key.size - 1)], 0)

    # Changing: from each arrival where one may get off, along each transfer, to the next boarding point.
    alight = np.flatnonzero(timetable.can_alight[index])
    transfers = router.transfers
    counts = np.bincount(transfers.source, minlength=timetable.n_stops)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    by_source = np.argsort(transfers.source, kind="stable")
    for a in alight.tolist():
        s = int(stop[index][a])
        picks = by_source[first[s]:first[s] + counts[s]]
        ready = arr[a] + transfers.seconds[picks]
        node, when = first_wait(transfers.to[picks], ready)
        ok = node >= 0
        arcs(np.full(int(ok.sum()), arr_node[a]), node[ok], when[ok] - arr[a])
    # Sources: each area at each departure minute, walking to every stop within reach.
    n_areas, limit = router.n_areas, settings.max_walk_minutes * 60.0
    walks = router.walk_router.minutes_to_points(np.column_stack([timetable.stop_x, timetable.stop_y])) * 60.0
    source_of = {}
    next_node = 3 * n
    for area in range(n_areas):
        near = np.flatnonzero(walks[area] <= limit)
        for minute in range(settings.n_minutes):
            leave = start + 60 * minute
            node, when = first_wait(near, leave + np.ceil(walks[area, near]).astype(np.int64))
            ok = node >= 0
            arcs(np.full(int(ok.sum()), next_node), node[ok], when[ok] - leave)
            source_of[(area, minute)] = next_node
            next_node += 1
    graph = sp.csr_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(next_node, next_node))
    return TimeExpanded(graph, n, stop[index][alight].astype(np.int64), arr_node[alight], source_of)


def peer_arrivals(peer: TimeExpanded, sources: list[int], n_stops: int, settings: TransitSettings) -> np.ndarray:
    """Seconds from each source to getting off at each stop (sources x stops), by Dijkstra."""
    out = np.full((len(sources), n_stops), np.inf)
    order = np.argsort(peer.arrival_stop, kind="stable")
    stops = peer.arrival_stop[order]
    bounds = np.flatnonzero(np.r_[True, stops[1:] != stops[:-1]])
    for low in range(0, len(sources), 40):
        block = sources[low:low + 40]
        found = dijkstra(peer.graph, indices=block, limit=settings.max_trip_minutes * 60 + 1)
        at_arrivals = found[:, peer.arrival_node[order]]
        out[low:low + len(block), stops[bounds]] = np.minimum.reduceat(at_arrivals, bounds, axis=1)
    return out


def peer_medians(by_stop: np.ndarray, walk_direct: np.ndarray, walk_last: np.ndarray,
                 settings: TransitSettings) -> np.ndarray:
    """Median minutes to each site from one area's minutes x stops journey seconds.

    ``walk_direct``: the walk all the way to each site; ``walk_last``: stops x sites, the
    walk from each stop to each site (the same last walk as ours).
    """
    limit = settings.max_walk_minutes * 60.0
    medians = np.empty(walk_direct.size)
    for j in range(walk_direct.size):
        last = walk_last[:, j]
        near = np.flatnonzero(last <= limit)
        by_bus = ((by_stop[:, near] + np.ceil(last[near])[None, :]).min(axis=1) if near.size
                  else np.full(by_stop.shape[0], np.inf))
        medians[j] = journey_summary(np.minimum(by_bus, walk_direct[j])[None, :], settings)[0][0]
    return medians


def demo_figures() -> dict[str, float]:
    locality = load_locality(DEMO_FOLDER)
    boundary = locality.county.geometry.union_all()
    timetable, settings = load_timetable(DEMO_FOLDER, boundary)
    walk = build_mode_graph(network_from_tables(locality.road_nodes, locality.road_edges), "walk")
    sites = candidate_sites(locality.areas, walk, towns=locality.towns, services=locality.services)
    xy = sites[["x", "y"]].to_numpy()
    out: dict[str, float] = {"areas": len(locality.areas), "sites": len(sites), "stops": timetable.n_stops,
                             "trips": timetable.n_trips}

    start = clock()
    router = transit_router(walk, locality.areas, timetable, settings=settings)
    built = clock()
    ours = router.matrix(xy, sites["site_id"].tolist()).minutes
    out["matrix_s"] = clock() - start
    out["router_s"] = built - start
    out["events"] = router.stop_profiles.event_stop.size
    out["profile_mb"] = router.arrivals.nbytes / 1e6

    start = clock()
    peer = time_expanded(timetable, router, settings)
    peer_build = clock() - start
    out["peer_nodes"] = peer.graph.shape[0]
    rng = np.random.default_rng(3)
    sample = rng.choice(router.n_areas, PEER_SAMPLE_AREAS, replace=False)
    walk_to_sites = router.walk_router.minutes_to_points(xy) * 60.0
    walk_to_sites[np.isnan(walk_to_sites)] = np.inf
    start = clock()
    worst = 0.0
    for area in sample.tolist():
        sources = [peer.source_of[(area, m)] for m in range(settings.n_minutes)]
        by_stop = peer_arrivals(peer, sources, timetable.n_stops, settings)  # seconds after leaving
        medians = peer_medians(by_stop, walk_to_sites[area], walk_to_sites[router.n_areas:], settings)
        both = np.isfinite(medians) | np.isfinite(ours[area])
        worst = max(worst, float(np.nanmax(np.abs(medians[both] - ours[area][both]), initial=0.0)))
    per_area = (clock() - start) / sample.size
    out["peer_checked_worst_minutes"] = worst
    out["peer_matrix_s"] = peer_build + per_area * router.n_areas
    out["peer_build_s"] = peer_build

    weights = area_weights(locality.areas)
    hubs = [Hub(hub_id=f"H{i + 1}", name=str(r["name"]), x=float(r.geometry.x), y=float(r.geometry.y),
                capacity_places=40) for i, (_, r) in enumerate(locality.towns.head(6).iterrows())]
    previous = hub_access(router, hubs, weights).hub_minutes
    minx, miny, maxx, maxy = locality.areas.total_bounds
    points = np.column_stack([rng.uniform(minx, maxx, MOVES), rng.uniform(miny, maxy, MOVES)])
    moves = []
    for x, y in points:
        moved = [dataclasses.replace(hubs[0], x=float(x), y=float(y)), *hubs[1:]]
        router.clear_cache()
        start = clock()
        hub_access(router, moved, weights, previous=previous)
        moves.append(clock() - start)
    out["move_ms"] = float(np.median(moves) * 1000.0)
    # The peer's cost of one moved site: every area's sources (the Dijkstra, which does not depend on the site).
    out["peer_move_ms"] = per_area * router.n_areas * 1000.0
    return out


def newport_agreement() -> tuple[float, int] | None:
    feed = SHARED_DATA / "gtfs_newport" / "newport-20230613_gtfs.zip"
    if not feed.is_file():
        return None
    import shapely
    from pyproj import Transformer

    from geo.ingest.files import upload_from_path

    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    (x0, x1), (y0, y1) = to_grid.transform([-3.077081, -2.925075], [51.52222, 51.593596])
    timetable = read_timetable(upload_from_path(feed), shapely.box(x0, y0, x1, y1)).timetable
    assert timetable is not None
    settings = DEFAULT_TRANSIT
    xy = np.column_stack([timetable.stop_x, timetable.stop_y])
    walk = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 1.3 / settings.walk_m_per_s
    transfers = transfers_from_walks(walk, settings)
    profiles = stop_profiles(build_patterns(timetable, settings.start_seconds, settings.horizon_seconds),
                             transfers, settings)
    percent, pairs = agreement(ConnectionScan(timetable, transfers, settings), profiles, origins=20, per_origin=10)
    return percent, len(pairs)


def run() -> dict[str, Figure]:
    demo = demo_figures()
    print_table("Public transport on the demo's timetable against a time-expanded Dijkstra (same feed, same run)",
                ["areas", "sites", "stops", "trips", "events", "router s", "matrix s", "peer matrix s", "speed-up",
                 "move ms", "peer move ms", "worst difference (min)"],
                [[int(demo["areas"]), int(demo["sites"]), int(demo["stops"]), int(demo["trips"]), int(demo["events"]),
                  demo["router_s"], demo["matrix_s"], demo["peer_matrix_s"], demo["peer_matrix_s"] / demo["matrix_s"],
                  demo["move_ms"], demo["peer_move_ms"], demo["peer_checked_worst_minutes"]]])
    print(f"  peer: graph of {int(demo['peer_nodes']):,} nodes built in {demo['peer_build_s']:.1f} s; "
          "Dijkstra timed on "
          f"{PEER_SAMPLE_AREAS} areas x {DEFAULT_TRANSIT.n_minutes} minutes and extrapolated to all areas; "
          f"area x stop x minute arrivals kept: {demo['profile_mb']:.0f} MB")
    figures: dict[str, Figure] = {
        "pt_matrix_build_s_demo": figure(demo["matrix_s"], "s (areas x candidate sites, cold)",
                                         peer=demo["peer_matrix_s"],
                                         peer_name="time-expanded graph + scipy Dijkstra (extrapolated)"),
        "pt_move_recompute_ms_demo": figure(demo["move_ms"], "ms (all areas, every minute, cache cleared)",
                                            peer=demo["peer_move_ms"],
                                            peer_name="time-expanded Dijkstra for one site (extrapolated)"),
    }
    found = newport_agreement()
    if found is not None:
        percent, n_pairs = found
        print(f"  Newport: {percent:.1f}% of {n_pairs} stop pairs agree within a minute with the connection scan")
        figures["pt_reference_agreement_pct"] = figure(
            percent, f"% of {n_pairs} random stop pairs within 1 minute (Newport, 13 June 2023, 08:00-10:00)",
            peer=None, peer_name="connection scan (tests/support/transit_reference.py)", higher_is_better=True)
    return figures


if __name__ == "__main__":
    run()
