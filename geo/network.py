"""Routable road networks: travel seconds per mode as a sparse graph.

A :class:`RoadNetwork` holds the roads as read (from the demo's node and edge tables
here, or from an OpenStreetMap extract by :func:`geo.ingest.networks.network_from_pbf`).
:func:`build_mode_graph` turns it into a :class:`ModeGraph` for one way of travelling
(drive, walk, or the estimated bus): a ``scipy.sparse`` CSR matrix of travel seconds on the largest strongly connected
part of the network, with a :class:`ComponentReport` of what was left out. Speeds
per road class are documented defaults in :class:`TravelSpeeds` that callers may
change.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.errors import NetworkError

Mode = Literal["drive", "walk", "bus"]
MODES: tuple[Mode, ...] = ("drive", "walk", "bus")
MODE_LABELS: dict[Mode, str] = {"drive": "Drive", "walk": "Walk", "bus": "Bus (estimated)"}

# Road classes of the demo contract, plus "path" (footways, tracks, bridleways, and roads
# closed to motor vehicles) that only people on foot use, and "driveway" (driveways and
# car-park aisles): driven slowly to reach a site, never where a journey starts or ends
# (:attr:`ModeGraph.snappable`). OpenStreetMap's tags are mapped onto these by
# :func:`geo.ingest.networks.network_from_pbf`.
ROAD_CLASSES: tuple[str, ...] = ("motorway", "a_road", "b_road", "minor", "path", "driveway")
# Classes no journey starts or ends on: a point joins the nearest road of another class.
UNSNAPPABLE_CLASSES = frozenset({"driveway"})
BRITISH_NATIONAL_GRID = "EPSG:27700"

# Zero-length edges (duplicate nodes in OSM) still need a positive time to stay edges.
MIN_EDGE_SECONDS = 0.01
# Two-arc paths checked at once when contracting (about 40 bytes each).
WITNESS_BLOCK_PATHS = 250_000


@dataclass(frozen=True)
class TravelSpeeds:
    """Speeds (km/h) per road class and the assumptions of each mode.

    Defaults are typical average speeds on English roads outside the rush hour
    (free-flow limits less junction delay), not speed limits:

    - drive: motorway 100, A road 70, B road 55, minor road 35, driveways and car-park
      aisles 10 km/h; never on paths (nor on roads closed to motor vehicles, which are
      read as paths);
    - walk: 4.8 km/h on every class except motorways, in both directions of one-way
      streets, and on footpaths and tracks;
    - bus (estimated): there is no timetable in the data, so a bus trip is estimated as
      the drive route at ``bus_speed_factor`` times the drive speed (stops, detours)
      plus ``bus_wait_minutes`` of average waiting (half of a 20-minute interval).
      Every figure from this mode is an estimate and labelled so.

    The leg from an area's centre or a site to the nearest road is counted as a straight
    line at ``drive_access_kmh`` when driving and at the walking speed otherwise (people
    walk to the bus stop).
    """

    motorway_kmh: float = 100.0
    a_road_kmh: float = 70.0
    b_road_kmh: float = 55.0
    minor_kmh: float = 35.0
    driveway_kmh: float = 10.0
    walk_kmh: float = 4.8
    bus_speed_factor: float = 0.6
    bus_wait_minutes: float = 10.0
    drive_access_kmh: float = 20.0

    def __post_init__(self) -> None:
        for name in ("motorway_kmh", "a_road_kmh", "b_road_kmh", "minor_kmh", "driveway_kmh", "walk_kmh",
                     "bus_speed_factor", "drive_access_kmh"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise NetworkError(f"TravelSpeeds.{name}: expected a number above 0, found {value!r}")
        if not np.isfinite(self.bus_wait_minutes) or self.bus_wait_minutes < 0:
            raise NetworkError(
                f"TravelSpeeds.bus_wait_minutes: expected 0 or more, found {self.bus_wait_minutes!r}"
            )

    def class_kmh(self, mode: Mode) -> np.ndarray:
        """Speed per entry of :data:`ROAD_CLASSES` for ``mode``; 0 where the class is closed."""
        drive = np.array([self.motorway_kmh, self.a_road_kmh, self.b_road_kmh, self.minor_kmh, 0.0,
                          self.driveway_kmh])
        if mode == "drive":
            return drive
        if mode == "bus":
            return drive * self.bus_speed_factor
        if mode == "walk":
            return np.array([0.0, *[self.walk_kmh] * (len(ROAD_CLASSES) - 1)])
        raise NetworkError(f"mode: expected one of {', '.join(MODES)}, found {mode!r}")

    def access_kmh(self, mode: Mode) -> float:
        """Speed of the straight-line leg between a point and its nearest network node."""
        return self.drive_access_kmh if mode == "drive" else self.walk_kmh

    def wait_seconds(self, mode: Mode) -> float:
        """Time added once to every trip (the average wait for a bus)."""
        return self.bus_wait_minutes * 60.0 if mode == "bus" else 0.0


DEFAULT_SPEEDS = TravelSpeeds()

# How each mode is named in a sentence ("travel times are by car"). With mode_note and
# mode_method below, the one place a travel mode's words come from (panels, views, pack).
MODE_WORDS: dict[Mode, str] = {"drive": "by car", "walk": "on foot", "bus": "by bus (estimated)"}


def mode_note(mode: Mode) -> str:
    """One sentence under the figures: what the journey times of ``mode`` are."""
    if mode == "bus":
        return "Bus times are an estimate: road speeds scaled down plus an average wait; no timetable is used."
    return f"Journey times {MODE_WORDS[mode]} on the road network."


def mode_method(mode: Mode, speeds: TravelSpeeds = DEFAULT_SPEEDS) -> str:
    """How journey times by ``mode`` are worked out, in plain English with the speeds used."""
    drive = (f"motorways {speeds.motorway_kmh:g} km/h, A roads {speeds.a_road_kmh:g}, B roads "
             f"{speeds.b_road_kmh:g} and minor roads {speeds.minor_kmh:g} km/h")
    if mode == "drive":
        return (f"By car along the road network at typical speeds outside the rush hour ({drive}), plus the "
                f"short way from where an area's people live to the nearest road at {speeds.drive_access_kmh:g} "
                "km/h.")
    if mode == "walk":
        return (f"On foot at {speeds.walk_kmh:g} km/h along every road except motorways, and along footpaths "
                "and tracks, either way along one-way streets.")
    return (f"By bus, estimated (no timetable is used): the car route at {100 * speeds.bus_speed_factor:.0f}% of "
            f"car speeds ({drive}) for stops and detours, plus an average wait of {speeds.bus_wait_minutes:g} "
            "minutes (half of a 20-minute interval), walking to the road at "
            f"{speeds.walk_kmh:g} km/h.")


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Road nodes and edges in British National Grid metres, before any mode is applied.

    Edge ends are positions in the node arrays (0..N-1); ``node_id`` keeps the source's
    own ids (the demo's node_id or OpenStreetMap node ids). ``edge_class`` indexes
    :data:`ROAD_CLASSES`; ``edge_oneway`` edges run only from ``edge_u`` to ``edge_v``.
    """

    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_class: np.ndarray
    edge_length_m: np.ndarray
    edge_oneway: np.ndarray
    source: str

    @property
    def n_nodes(self) -> int:
        """Number of junctions."""
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        """Number of road segments."""
        return int(self.edge_u.size)


@dataclass(frozen=True)
class ComponentReport:
    """What building a mode's graph left out, so it can be reported rather than hidden.

    Nodes no edge of the mode can use (footpaths when driving) are ``nodes_unusable``;
    nodes and edges cut off from the largest strongly connected part (islands, one-way
    dead ends) are ``nodes_dropped``/``edges_dropped``, in ``components_dropped`` pieces.
    """

    mode: Mode
    nodes_total: int
    nodes_kept: int
    nodes_unusable: int
    nodes_dropped: int
    edges_kept: int
    edges_dropped: int
    components_dropped: int
    length_dropped_km: float

    def summary(self) -> str:
        """One plain-English sentence for logs and the data panel."""
        return (
            f"{MODE_LABELS[self.mode]} network: kept {self.nodes_kept:,} of {self.nodes_total:,} "
            f"nodes; left out {self.nodes_dropped:,} nodes ({self.length_dropped_km:,.1f} km of road) "
            f"in {self.components_dropped:,} pieces not connected both ways to the main network, "
            f"and {self.nodes_unusable:,} nodes this mode cannot use"
        )


@dataclass(frozen=True, eq=False)
class ModeGraph:
    """Travel seconds between nodes for one mode, on its largest strongly connected part.

    ``seconds[i, j]`` is the time along the edge from node ``i`` to node ``j``;
    ``seconds_reversed`` is its transpose (for searches towards a destination).
    ``node_index`` gives each kept node's position in the source :class:`RoadNetwork`.
    ``snappable`` marks the nodes a journey may start or end at (on a road of a class not in
    :data:`UNSNAPPABLE_CLASSES`): people and sites join the network there, never on a
    driveway. ``fingerprint`` identifies the graph's content for caches.
    """

    mode: Mode
    label: str
    is_estimate: bool
    x: np.ndarray
    y: np.ndarray
    node_index: np.ndarray
    seconds: sp.csr_matrix
    seconds_reversed: sp.csr_matrix
    wait_seconds: float
    access_kmh: float
    report: ComponentReport
    fingerprint: str
    snappable: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of junctions."""
        return int(self.x.size)

    @cached_property
    def _snap_nodes(self) -> np.ndarray:
        return np.flatnonzero(self.snappable)

    @cached_property
    def _snap_tree(self) -> cKDTree:
        """A k-d tree of the nodes a journey may start or end at, built once."""
        nodes = self._snap_nodes
        return cKDTree(np.column_stack([self.x[nodes], self.y[nodes]]))

    def nearest_nodes(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(metres, node) of the nearest node a journey may start or end at, for each point (n x 2)."""
        distance, position = self._snap_tree.query(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
        return np.asarray(distance, dtype=np.float64), self._snap_nodes[np.asarray(position, dtype=np.int64)]


def network_from_tables(road_nodes: pd.DataFrame, road_edges: pd.DataFrame, *,
                        source: str = "road tables") -> RoadNetwork:
    """Build a network from the demo contract's ``road_nodes`` and ``road_edges`` tables.

    Edge ends refer to ``node_id`` values, which need not be contiguous here.
    """
    for table, name, columns in (
        (road_nodes, "road_nodes", ("node_id", "x", "y")),
        (road_edges, "road_edges", ("u", "v", "road_class", "length_m", "oneway")),
    ):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise NetworkError(f"{name}: missing column(s) {', '.join(missing)}")
    node_id = road_nodes["node_id"].to_numpy(dtype=np.int64)
    order = np.argsort(node_id, kind="stable")
    sorted_ids = node_id[order]
    if sorted_ids.size and (np.diff(sorted_ids) == 0).any():
        duplicate = sorted_ids[1:][np.diff(sorted_ids) == 0][0]
        raise NetworkError(f"road_nodes, column node_id: node {duplicate} appears more than once")
    x = road_nodes["x"].to_numpy(dtype=np.float64)
    y = road_nodes["y"].to_numpy(dtype=np.float64)
    bad_xy = ~(np.isfinite(x) & np.isfinite(y))
    if bad_xy.any():
        row = int(bad_xy.argmax())
        raise NetworkError(f"road_nodes, row {row + 1}: expected finite x and y, found ({x[row]}, {y[row]})")
    ends = []
    for end in ("u", "v"):
        ids = road_edges[end].to_numpy(dtype=np.int64)
        position = np.searchsorted(sorted_ids, ids).clip(0, max(sorted_ids.size - 1, 0))
        unknown = sorted_ids[position] != ids if sorted_ids.size else np.ones(ids.size, bool)
        if unknown.any():
            row = int(unknown.argmax())
            raise NetworkError(
                f"road_edges, row {row + 1}, column {end}: node {ids[row]} is not in road_nodes"
            )
        ends.append(order[position])
    classes = road_edges["road_class"].astype(str).to_numpy()
    codes = np.full(classes.size, -1, dtype=np.int8)
    for code, name in enumerate(ROAD_CLASSES):
        codes[classes == name] = code
    if (codes < 0).any():
        row = int((codes < 0).argmax())
        raise NetworkError(
            f"road_edges, row {row + 1}, column road_class: expected one of "
            f"{', '.join(ROAD_CLASSES)}, found {classes[row]!r}"
        )
    length = road_edges["length_m"].to_numpy(dtype=np.float64)
    bad_length = ~np.isfinite(length) | (length < 0)
    if bad_length.any():
        row = int(bad_length.argmax())
        raise NetworkError(
            f"road_edges, row {row + 1}, column length_m: expected metres of 0 or more, found {length[row]}"
        )
    return RoadNetwork(
        node_id=node_id, x=x, y=y, edge_u=ends[0], edge_v=ends[1], edge_class=codes,
        edge_length_m=length, edge_oneway=road_edges["oneway"].to_numpy(dtype=bool),
        source=source,
    )


def build_mode_graph(network: RoadNetwork, mode: Mode = "drive", *,
                     speeds: TravelSpeeds = DEFAULT_SPEEDS) -> ModeGraph:
    """Make the travel-seconds graph of ``network`` for ``mode``.

    Parallel edges keep the fastest; self-loops are dropped; only the largest strongly
    connected part is kept (everywhere in it can reach everywhere else in it), and what
    was dropped is counted in the returned graph's ``report``.
    """
    kmh = speeds.class_kmh(mode)
    edge_kmh = kmh[network.edge_class]
    usable = edge_kmh > 0
    u, v = network.edge_u[usable], network.edge_v[usable]
    seconds = np.maximum(network.edge_length_m[usable] / (edge_kmh[usable] / 3.6), MIN_EDGE_SECONDS)
    length = network.edge_length_m[usable]
    both_ways = np.ones(u.size, dtype=bool) if mode == "walk" else ~network.edge_oneway[usable]
    tail = np.r_[u, v[both_ways]]
    head = np.r_[v, u[both_ways]]
    time = np.r_[seconds, seconds[both_ways]]
    tail, head, time = _fastest_simple_edges(tail, head, time, network.n_nodes)

    n = network.n_nodes
    touched = np.zeros(n, dtype=bool)
    touched[tail] = True
    touched[head] = True
    if not touched.any():
        raise NetworkError(f"{network.source}: no road can be used for mode {mode!r}")
    full = sp.csr_matrix((time, (tail, head)), shape=(n, n))
    _, labels = connected_components(full, directed=True, connection="strong")
    label_sizes = np.bincount(labels[touched])
    main = int(label_sizes.argmax())
    kept = labels == main
    components_used = int((label_sizes > 0).sum())

    index = np.flatnonzero(kept)
    # Number nodes along a Z-order curve: neighbours in space sit near each other in memory,
    # which makes every shortest-path search about twice as fast as on arbitrary ids.
    index = index[np.argsort(_z_order(network.x[index], network.y[index]), kind="stable")]
    position = np.full(n, -1, dtype=np.int64)
    position[index] = np.arange(index.size)
    inside = kept[tail] & kept[head]
    m = index.size
    graph = sp.csr_matrix((time[inside], (position[tail[inside]], position[head[inside]])),
                          shape=(m, m))
    graph.sort_indices()
    reversed_graph = graph.transpose().tocsr()
    reversed_graph.sort_indices()

    snappable = np.zeros(n, dtype=bool)
    joinable = ~np.isin(network.edge_class[usable], [ROAD_CLASSES.index(c) for c in UNSNAPPABLE_CLASSES])
    snappable[u[joinable]] = True
    snappable[v[joinable]] = True
    snappable = snappable[index]
    if not snappable.any():  # only driveways left: better to join them than nothing
        snappable[:] = True
    undirected_kept = kept[u] & kept[v]
    report = ComponentReport(
        mode=mode,
        nodes_total=n,
        nodes_kept=int(m),
        nodes_unusable=int((~touched).sum()),
        nodes_dropped=int((touched & ~kept).sum()),
        edges_kept=int(inside.sum()),
        edges_dropped=int((~inside).sum()),
        components_dropped=components_used - 1,
        length_dropped_km=float(length[~undirected_kept].sum() / 1000.0),
    )
    x, y = network.x[index], network.y[index]
    wait = speeds.wait_seconds(mode)
    access = speeds.access_kmh(mode)
    digest = hashlib.blake2b(digest_size=16)
    for array in (x, y, graph.indptr, graph.indices, graph.data, np.array([wait, access]), snappable):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(mode.encode())
    return ModeGraph(
        mode=mode, label=MODE_LABELS[mode], is_estimate=mode == "bus", x=x, y=y,
        node_index=index, seconds=graph, seconds_reversed=reversed_graph, wait_seconds=wait,
        access_kmh=access, report=report, fingerprint=digest.hexdigest(), snappable=snappable,
    )


def _fastest_simple_edges(tail: np.ndarray, head: np.ndarray, time: np.ndarray,
                          n_nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop self-loops and keep only the fastest of parallel edges (CSR would add them)."""
    proper = tail != head
    tail, head, time = tail[proper], head[proper], time[proper]
    key = tail.astype(np.int64) * n_nodes + head
    order = np.lexsort((time, key))
    key = key[order]
    first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, dtype=bool)
    chosen = order[first]
    return tail[chosen], head[chosen], time[chosen]


def _z_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Morton code of each point on a 65,536 x 65,536 grid over the points' extent."""
    def spread(v: np.ndarray) -> np.ndarray:
        v = (v | (v << np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x3333333333333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x5555555555555555)

    def cells(v: np.ndarray) -> np.ndarray:
        span = float(v.max() - v.min()) if v.size else 0.0
        scaled = (v - v.min()) / span * 65535.0 if span > 0 else np.zeros_like(v)
        return scaled.astype(np.uint64)

    return spread(cells(x)) | (spread(cells(y)) << np.uint64(1))


def mode_graphs(network: RoadNetwork, *, speeds: TravelSpeeds = DEFAULT_SPEEDS,
                modes: tuple[Mode, ...] = MODES) -> dict[Mode, ModeGraph]:
    """Build the graph of every mode in ``modes`` from one network."""
    return {mode: build_mode_graph(network, mode, speeds=speeds) for mode in modes}


@dataclass(frozen=True, eq=False)
class CoreGraph:
    """A mode graph with most unpinned nodes contracted away: exact, and much smaller.

    Searches between the nodes that matter (e.g. areas) need not visit a node that only
    shapes a road, ends one, or joins a few others: :func:`contract_graph` removes such
    nodes (never the ``pinned`` ones) and joins their neighbours with shortcuts of the
    summed time, so times between kept nodes are unchanged. Each removed
    node remembers how it was entered (``link_*``: the neighbours and seconds at the time
    it was removed), from which :meth:`entries` recovers the exact time from anywhere to
    it, and :meth:`reversed_from` searches back from it on the core.
    """

    graph: ModeGraph
    core_nodes: np.ndarray
    core_of: np.ndarray
    seconds: sp.csr_matrix
    seconds_reversed: sp.csr_matrix
    link_start: np.ndarray
    link_from: np.ndarray
    link_seconds: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of junctions kept in the contracted core."""
        return int(self.core_nodes.size)

    def entries(self, node: int) -> dict[int, float]:
        """Core nodes through which ``node`` is entered, with the seconds from each to it.

        The time from any core node ``x`` to ``node`` is the least of
        ``time(x, entry) + seconds`` over these entries (one entry, itself, for a core node).
        """
        return self.entries_of([node])[0]

    def entries_of(self, nodes: Sequence[int] | np.ndarray) -> list[dict[int, float]]:
        """:meth:`entries` of each of ``nodes``, following each removed node's links once.

        Nodes near each other share most of their links; the dictionaries returned may be
        shared between them too, so they are for reading only.
        """
        memo: dict[int, dict[int, float]] = {}

        def resolve(v: int) -> dict[int, float]:
            found = memo.get(v)
            if found is None:
                if self.core_of[v] >= 0:
                    found = {v: 0.0}
                else:
                    found = {}
                    for k in range(self.link_start[v], self.link_start[v + 1]):
                        extra = float(self.link_seconds[k])
                        for entry, seconds in resolve(int(self.link_from[k])).items():
                            if seconds + extra < found.get(entry, np.inf):
                                found[entry] = seconds + extra
                memo[v] = found
            return found

        return [resolve(int(v)) for v in nodes]

    def reversed_from(self, entries: Sequence[dict[int, float]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """The reversed core with a source row for each of ``entries`` (from :meth:`entries`).

        A core node's own entries (itself at 0 seconds) give its row. Any other node gets a
        new row with one arc to each of its entry nodes (the seconds from that entry to the
        node), and nothing leads into that row: a search back from it gives the exact
        seconds from every core node to the node, in one search on the core.
        """
        own = [len(found) == 1 and next(iter(found.values())) == 0.0 for found in entries]
        rows = np.array([self.core_of[next(iter(found))] if is_own else -1
                         for found, is_own in zip(entries, own, strict=True)], dtype=np.int64)
        grown = [found for found, is_own in zip(entries, own, strict=True) if not is_own]
        if not grown:
            return self.seconds_reversed, rows
        counts = np.fromiter((len(found) for found in grown), dtype=np.int64, count=len(grown))
        total = int(counts.sum())
        entry = np.fromiter((e for found in grown for e in found), dtype=np.int64, count=total)
        seconds = np.fromiter((s for found in grown for s in found.values()), dtype=np.float64, count=total)
        core = self.seconds_reversed
        size = self.n_nodes + len(grown)
        graph = sp.csr_matrix(
            (np.concatenate([core.data, seconds]),
             np.concatenate([core.indices, self.core_of[entry].astype(core.indices.dtype)]),
             np.concatenate([core.indptr, core.indptr[-1] + np.cumsum(counts, dtype=core.indptr.dtype)])),
            shape=(size, size))
        rows[rows < 0] = self.n_nodes + np.arange(len(grown))
        return graph, rows


def contract_graph(graph: ModeGraph, pinned: np.ndarray, *, max_added_arcs: int = 64,
                   max_neighbours: int = 16, max_rounds: int = 60) -> CoreGraph:
    """Contract ``graph`` down to a core that keeps the ``pinned`` nodes (e.g. area nodes).

    Removing a node replaces it by shortcuts from each node leading into it to each node
    it leads to. Works in rounds, as the node ordering of contraction hierarchies does: an
    unpinned node with at most ``max_neighbours`` neighbours whose shortcuts would add at
    most ``max_added_arcs`` arcs more than its removal takes away (counted as if every
    road ran both ways: only the choice of nodes depends on it) is a candidate, and every
    candidate that would add fewer than each of its candidate neighbours (ties broken at
    random) is removed at once. Pass-through nodes and dead ends go first (they take arcs
    away), then junctions. A shortcut is left out when an arc already there, or a path of
    two, is as fast (a witness). Rounds end when one removes fewer than one node in 500.
    With the area nodes pinned, the demo's mesh of junctions keeps about 12% of its nodes
    (and 37% of its arcs), Rutland's OpenStreetMap roads under 1%. Every step works on
    whole arrays of arcs: about 0.4 s for the demo.
    """
    n = graph.n_nodes
    csr = graph.seconds
    key = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr)) * n + csr.indices
    order = np.argsort(key, kind="stable")
    key, time = key[order], csr.data[order].astype(np.float64)
    keep = np.zeros(n, dtype=bool)
    keep[np.asarray(pinned, dtype=np.int64)] = True
    alive = np.ones(n, dtype=bool)
    tie_break = np.random.default_rng(0).random(n)
    enough = max(1, n // 500)
    links: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for _ in range(max_rounds):
        if not key.size:
            break
        tail, head = np.divmod(key, n)
        chosen = _nodes_to_remove(tail, head, alive & ~keep, tie_break, max_added_arcs=max_added_arcs,
                                  max_neighbours=max_neighbours)
        removed = int(chosen.sum())
        if not removed:
            break
        into, out_of = chosen[head], chosen[tail]
        links.append((head[into], tail[into], time[into]))
        short_tail, short_head, short_time = _shortcuts(
            head[into], tail[into], time[into], tail[out_of], head[out_of], time[out_of])
        untouched = ~(into | out_of)
        key, time = _add_shortcuts(key[untouched], time[untouched], short_tail * n + short_head, short_time, n)
        alive[chosen] = False
        if removed < enough:  # the last stragglers are not worth more rounds
            break
    tail, head = np.divmod(key, n)
    link_node = np.concatenate([a for a, _, _ in links]) if links else np.zeros(0, dtype=np.int64)
    link_from = np.concatenate([b for _, b, _ in links]) if links else np.zeros(0, dtype=np.int64)
    link_seconds = np.concatenate([c for _, _, c in links]) if links else np.zeros(0)
    core_nodes = np.flatnonzero(alive)
    core_of = np.full(n, -1, dtype=np.int64)
    core_of[core_nodes] = np.arange(core_nodes.size)
    m = core_nodes.size
    core = sp.csr_matrix((time, (core_of[tail], core_of[head])), shape=(m, m))
    core.sort_indices()
    core_reversed = core.transpose().tocsr()
    core_reversed.sort_indices()
    order = np.argsort(link_node, kind="stable")
    return CoreGraph(
        graph=graph, core_nodes=core_nodes, core_of=core_of, seconds=core,
        seconds_reversed=core_reversed,
        link_start=np.searchsorted(link_node[order], np.arange(n + 1)),
        link_from=link_from[order], link_seconds=link_seconds[order],
    )


def _nodes_to_remove(tail: np.ndarray, head: np.ndarray, removable: np.ndarray, tie_break: np.ndarray, *,
                     max_added_arcs: int, max_neighbours: int) -> np.ndarray:
    """One round's choice of :func:`contract_graph`: candidates adding fewer arcs than their candidate neighbours."""
    n = removable.size
    ways_in = np.bincount(head, minlength=n)
    ways_out = np.bincount(tail, minlength=n)
    neighbours = np.maximum(ways_in, ways_out)  # as if every road ran both ways
    added = ways_in * ways_out - np.minimum(ways_in, ways_out) - ways_in - ways_out
    candidate = removable & (neighbours <= max_neighbours) & (added <= max_added_arcs)
    score = added + tie_break
    between = candidate[tail] & candidate[head]
    low, high = tail[between], head[between]
    candidate[np.where(score[low] < score[high], high, low)] = False  # no two neighbours
    return candidate


def _shortcuts(in_node: np.ndarray, in_from: np.ndarray, in_time: np.ndarray, out_node: np.ndarray,
               out_to: np.ndarray, out_time: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges ``from -> to`` replacing each removed node: every way in joined to every way out."""
    order = np.argsort(out_node, kind="stable")
    out_node, out_to, out_time = out_node[order], out_to[order], out_time[order]
    first = np.searchsorted(out_node, in_node, side="left")
    count = np.searchsorted(out_node, in_node, side="right") - first
    pair_in = np.repeat(np.arange(in_node.size), count)
    pair_out = np.repeat(first, count) + (np.arange(pair_in.size) - np.repeat(np.cumsum(count) - count, count))
    tail, head = in_from[pair_in], out_to[pair_out]
    distinct = tail != head
    return tail[distinct], head[distinct], (in_time[pair_in] + out_time[pair_out])[distinct]


def _add_shortcuts(key: np.ndarray, seconds: np.ndarray, new_key: np.ndarray, new_seconds: np.ndarray,
                   n: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge shortcuts into arcs sorted by ``key`` (tail x n + head), keeping the fastest per key.

    A shortcut with no arc of its own yet is left out when two arcs already there make a
    path as fast (a witness: those arcs stay, so no time changes). ``seconds`` is changed
    in place.
    """
    order = np.lexsort((new_seconds, new_key))
    new_key, new_seconds = new_key[order], new_seconds[order]
    first = np.r_[True, new_key[1:] != new_key[:-1]] if new_key.size else np.zeros(0, dtype=bool)
    new_key, new_seconds = new_key[first], new_seconds[first]
    at = np.searchsorted(key, new_key)
    known = at < key.size
    known[known] = key[at[known]] == new_key[known]
    seconds[at[known]] = np.minimum(seconds[at[known]], new_seconds[known])
    fresh = ~known
    fresh[fresh] = ~_witnessed(key, seconds, new_key[fresh], new_seconds[fresh], n)
    return np.insert(key, at[fresh], new_key[fresh]), np.insert(seconds, at[fresh], new_seconds[fresh])


def _witnessed(key: np.ndarray, seconds: np.ndarray, new_key: np.ndarray, new_seconds: np.ndarray,
               n: int) -> np.ndarray:
    """Which new arcs have a path of two arcs among ``key`` as fast or faster.

    Works through the new arcs in blocks of about WITNESS_BLOCK_PATHS paths, to bound memory.
    """
    tail, head = np.divmod(new_key, n)
    start = np.searchsorted(key, np.arange(n + 1, dtype=np.int64) * n)
    count = start[tail + 1] - start[tail]
    ends = np.cumsum(count)
    bounds = np.unique(np.r_[0, np.searchsorted(ends, np.arange(WITNESS_BLOCK_PATHS, int(ends[-1]) if ends.size else 0,
                                                                   WITNESS_BLOCK_PATHS)), tail.size])
    best = np.full(tail.size, np.inf)
    for low, high in itertools.pairwise(bounds.tolist()):
        block_count = count[low:high]
        total = int(block_count.sum())
        if not total:
            continue
        first = np.cumsum(block_count) - block_count
        which = np.repeat(np.arange(low, high), block_count)
        arc = np.repeat(start[tail[low:high]], block_count) + (np.arange(total) - np.repeat(first, block_count))
        second = (key[arc] % n) * n + head[which]
        at = np.searchsorted(key, second).clip(max=key.size - 1)
        via = np.where(key[at] == second, seconds[arc] + seconds[at], np.inf)
        some = block_count > 0
        best[low:high][some] = np.minimum.reduceat(via, first[some])
    return best <= new_seconds
