"""Travel-time matrices from areas to sites, and fast recomputes for a moved site.

An :class:`AreaRouter` snaps a locality's areas onto one mode's graph once and
contracts the graph around them (:func:`geo.network.contract_graph`: a core of about an
eighth of the demo mesh's nodes, under 1% of OpenStreetMap's, with the same times), then
answers "how long from every area to here?" for any sites or points with
``scipy.sparse.csgraph.dijkstra`` on that core: one search back from each site when
there are fewer sites than distinct area nodes (the usual case), from the areas
otherwise. Each search result is kept in a bounded in-memory cache keyed by network
node, so dragging a hub back to a place already visited costs nothing. Whole matrices
can also be cached on disk (``.npz``) under a key derived from the network, the areas
and the sites.

A trip's minutes are: straight-line leg from the area's origin to its node, network
time, straight-line leg from the site's node to the site, plus the mode's average wait
(bus). Unreachable pairs are NaN.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo.errors import PlannerInputError
from geo.locality import Locality
from geo.network import (
    DEFAULT_SPEEDS,
    MODES,
    CoreGraph,
    Mode,
    ModeGraph,
    TravelSpeeds,
    build_mode_graph,
    contract_graph,
    network_from_tables,
)
from geo.snapping import FAR_SNAP_M, Snap, area_origins, snap_points

CACHE_FORMAT = 1
# Largest block of a multi-source search held at once (float64 rows of N nodes).
SEARCH_BLOCK_BYTES = 16_000_000
# Requests with at most this many new searches (moving hubs) are remembered per node.
CACHED_SEARCHES_PER_REQUEST = 32


@dataclass(frozen=True, eq=False)
class TravelTimeMatrix:
    """Minutes from each area (rows) to each site (columns) for one mode; NaN = unreachable.

    ``minutes`` is a dense float64 array ready for the optimiser; :meth:`to_long` gives
    the tidy table. ``label`` says "(estimated)" for the bus mode and must be shown with
    its figures. ``from_cache`` is True when the matrix was read from disk.
    """

    area_ids: np.ndarray
    site_ids: np.ndarray
    minutes: np.ndarray
    mode: str
    label: str
    is_estimate: bool
    site_snap_m: np.ndarray
    warnings: tuple[str, ...] = ()
    from_cache: bool = False

    def to_long(self) -> pd.DataFrame:
        """One row per area and site: ``area``, ``site``, ``minutes`` (NaN when unreachable)."""
        n_areas, n_sites = self.minutes.shape
        return pd.DataFrame({
            "area": np.repeat(self.area_ids, n_sites),
            "site": np.tile(self.site_ids, n_areas),
            "minutes": self.minutes.ravel(),
        })


class Router(Protocol):
    """What access, fairness and placement ask of a travel mode's router (roads or timetables)."""

    @property
    def area_ids(self) -> np.ndarray:
        """The areas' codes, in row order."""

    @property
    def n_areas(self) -> int:
        """How many areas (rows)."""

    def snap(self, xy: np.ndarray, *, labels: Sequence[str] | None = None) -> Snap:
        """Join sites or points to the network their last leg is travelled on."""

    def minutes_to_snapped(self, snap: Snap) -> np.ndarray:
        """Minutes from every area (rows) to each snapped point (columns); NaN = no journey."""

    def matrix(self, sites_xy: np.ndarray, site_ids: Sequence[str], *,
               cache_dir: Path | str | None = None) -> TravelTimeMatrix:
        """Minutes from every area to each site, as the optimiser takes them."""


def site_inputs(sites_xy: np.ndarray, site_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sites as an n x 2 array of metres and their ids as text, refusing a count that does not match."""
    xy = np.asarray(sites_xy, dtype=np.float64).reshape(-1, 2)
    ids = np.asarray([str(s) for s in site_ids], dtype=object)
    if ids.size != xy.shape[0]:
        raise PlannerInputError(f"site_ids: expected one id per site ({xy.shape[0]}), found {ids.size}")
    return xy, ids


class PointQueries:
    """Minutes to loose points, for a router that can snap them and answer for snapped points."""

    def minutes_to_points(self: Router, xy: np.ndarray) -> np.ndarray:
        """Minutes from every area (rows) to each point of ``xy`` (n x 2 metres)."""
        return self.minutes_to_snapped(self.snap(xy))

    def minutes_to_point(self: Router, x: float, y: float) -> np.ndarray:
        """Minutes from every area to one point: the moved-site recompute."""
        return self.minutes_to_snapped(self.snap(np.array([[x, y]])))[:, 0]


class AreaRouter(PointQueries):
    """Travel times from a fixed set of areas to any sites or points, for one mode's graph.

    Build one per locality and mode and reuse it: it holds no per-user state, only a
    cache of search results keyed by node. ``contract`` (the default) first contracts the
    graph around the area nodes (:func:`geo.network.contract_graph`), which gives the
    same times with searches several times faster: on the demo's mesh each search takes
    about a sixth of the time, a whole matrix with the contraction a third; on
    OpenStreetMap roads more. ``contract=False`` searches the whole graph.
    """

    def __init__(self, graph: ModeGraph, origins_xy: np.ndarray, area_ids: Sequence[str], *,
                 far_snap_m: float = FAR_SNAP_M, column_cache_mb: float = 128.0,
                 contract: bool = True) -> None:
        origins_xy = np.asarray(origins_xy, dtype=np.float64).reshape(-1, 2)
        ids = np.asarray([str(a) for a in area_ids], dtype=object)
        if ids.size != origins_xy.shape[0]:
            raise PlannerInputError(
                f"area_ids: expected one id per origin ({origins_xy.shape[0]}), found {ids.size}"
            )
        if ids.size == 0:
            raise PlannerInputError("origins_xy: expected at least one area, found none")
        self.graph = graph
        self.area_ids = ids
        self.origins_xy = origins_xy
        self.far_snap_m = far_snap_m
        self.origins: Snap = snap_points(graph, origins_xy, labels=list(ids), far_m=far_snap_m)
        self.area_nodes, self._area_row = np.unique(self.origins.node, return_inverse=True)
        self._area_extra = self.origins.access_seconds + graph.wait_seconds
        digest = hashlib.blake2b(digest_size=16)
        digest.update(graph.fingerprint.encode())
        digest.update(origins_xy.tobytes())
        digest.update("\x1f".join(ids).encode())
        self.key = digest.hexdigest()
        column_bytes = 8 * self.n_areas
        self._cache_limit = max(16, int(column_cache_mb * 1e6 // column_bytes))
        self._columns: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        core = contract_graph(graph, self.area_nodes) if contract else None
        self._core: CoreGraph | None = core if core is not None and core.n_nodes < graph.n_nodes else None

    @classmethod
    def from_areas(cls, graph: ModeGraph, areas: pd.DataFrame, *, code_column: str = "code",
                   far_snap_m: float = FAR_SNAP_M, contract: bool = True) -> AreaRouter:
        """A router for an areas table: origins at population-weighted centroids, ids from ``code``."""
        if code_column not in areas.columns:
            raise PlannerInputError(f"areas: missing column {code_column} (area codes)")
        return cls(graph, area_origins(areas), areas[code_column].astype(str).tolist(),
                   far_snap_m=far_snap_m, contract=contract)

    def clear_cache(self) -> None:
        """Forget every cached search (for timing a cold recompute)."""
        with self._lock:
            self._columns.clear()

    @property
    def n_areas(self) -> int:
        """Number of areas (origins) the router serves."""
        return int(self.area_ids.size)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Far-snap warnings for the areas."""
        return self.origins.warnings

    def node_seconds(self, nodes: np.ndarray) -> np.ndarray:
        """Network seconds from each area (rows, in area order) to each of ``nodes`` (inf = unreachable).

        Results of small requests (a moved hub, a few points) are cached per node; whole
        matrices are not, so that building one does not double its memory.
        """
        nodes = np.asarray(nodes, dtype=np.int64).ravel()
        cached: dict[int, np.ndarray] = {}
        with self._lock:
            for j, node in enumerate(nodes.tolist()):
                column = self._columns.get(node)
                if column is not None:
                    self._columns.move_to_end(node)
                    cached[j] = column
        missing = np.array([j for j in range(nodes.size) if j not in cached], dtype=np.int64)
        _, first = np.unique(nodes[missing], return_index=True)
        todo = nodes[missing][np.sort(first)]  # distinct, in the order asked
        found = self._search(todo) if todo.size else np.empty((self.n_areas, 0))
        if not cached and todo.size == nodes.size:
            out = found  # a whole matrix: already in order, no copy
        else:
            out = np.empty((self.n_areas, nodes.size))
            for j, column in cached.items():
                out[:, j] = column
            lookup = {node: k for k, node in enumerate(todo.tolist())}
            out[:, missing] = found[:, [lookup[node] for node in nodes[missing].tolist()]]
        if 0 < todo.size <= CACHED_SEARCHES_PER_REQUEST:
            with self._lock:
                for k, node in enumerate(todo.tolist()):
                    self._columns[node] = found[:, k].copy()
                while len(self._columns) > self._cache_limit:
                    self._columns.popitem(last=False)
        return out

    def _search(self, targets: np.ndarray) -> np.ndarray:
        """Shortest network seconds, areas (rows) x ``targets`` (distinct nodes, any order).

        Uses the contracted core graph when there is one. A target the core left out is
        reached through its entry nodes, each with a fixed extra time: the search runs from
        the entry nodes, or from the area nodes, when either are no more than the targets;
        otherwise it runs back from each target, from a row of its own joined to its entries
        (:meth:`geo.network.CoreGraph.reversed_from`).
        """
        core = self._core
        if core is not None:
            return self._search_core(core, targets)
        graph = self.graph
        if targets.size <= self.area_nodes.size:  # search back from each target to every area
            out = np.empty((self.n_areas, targets.size))
            block = _block_rows(graph.n_nodes)
            for start in range(0, targets.size, block):
                rows = targets[start:start + block]
                out[:, start:start + rows.size] = dijkstra(graph.seconds_reversed, indices=rows)[
                    :, self.origins.node].T
            return out
        return _seconds_between(graph.seconds, graph.seconds_reversed, targets, self.area_nodes).T[self._area_row]

    def _search_core(self, core: CoreGraph, targets: np.ndarray) -> np.ndarray:
        """:meth:`_search` on the contracted ``core`` (which holds every area node)."""
        entries = core.entries_of(targets)
        entry_nodes = np.unique(np.fromiter((e for found in entries for e in found), dtype=np.int64))
        out = np.empty((self.n_areas, targets.size))
        if min(entry_nodes.size, self.area_nodes.size) <= targets.size:
            # No more searches than targets: from the entry nodes or the area nodes, the fewer.
            from_entry = _seconds_between(core.seconds, core.seconds_reversed,
                                          core.core_of[entry_nodes], core.core_of[self.area_nodes])
            for k, found in enumerate(entries):
                rows = np.searchsorted(entry_nodes, np.fromiter(found, dtype=np.int64))
                extra = np.fromiter(found.values(), dtype=np.float64)
                out[:, k] = (from_entry[rows] + extra[:, None]).min(axis=0)[self._area_row]
            return out
        graph, sources = core.reversed_from(entries)
        area_columns = core.core_of[self.origins.node]
        block = _block_rows(graph.shape[0])
        for start in range(0, targets.size, block):
            rows = sources[start:start + block]
            out[:, start:start + rows.size] = dijkstra(graph, indices=rows)[:, area_columns].T
        return out

    def snap(self, xy: np.ndarray, *, labels: Sequence[str] | None = None) -> Snap:
        """Join sites or points to this router's graph (see :func:`geo.snapping.snap_points`)."""
        return snap_points(self.graph, xy, labels=labels, far_m=self.far_snap_m)

    def minutes_to_snapped(self, snap: Snap) -> np.ndarray:
        """Minutes from every area (rows) to each snapped point (columns); NaN = unreachable."""
        seconds = self.node_seconds(snap.node)
        seconds += self._area_extra[:, None]
        seconds += snap.access_seconds[None, :]
        seconds /= 60.0
        seconds[np.isinf(seconds)] = np.nan
        return seconds

    def matrix(self, sites_xy: np.ndarray, site_ids: Sequence[str], *,
               cache_dir: Path | str | None = None) -> TravelTimeMatrix:
        """Travel-time matrix from every area to each site, read from or written to ``cache_dir``."""
        sites_xy, ids = site_inputs(sites_xy, site_ids)
        path = None
        if cache_dir is not None:
            path = Path(cache_dir) / f"traveltime_{self.graph.mode}_{self._matrix_key(sites_xy, ids)}.npz"
            cached = _read_cached(path)
            if cached is not None:
                minutes, snap_m, warnings = cached
                return self._result(ids, minutes, snap_m, warnings, from_cache=True)
        snap = self.snap(sites_xy, labels=list(ids))
        minutes = self.minutes_to_snapped(snap)
        warnings = self.warnings + snap.warnings
        if path is not None:
            _write_cached(path, minutes, snap.distance_m, warnings)
        return self._result(ids, minutes, snap.distance_m, warnings, from_cache=False)

    def _matrix_key(self, sites_xy: np.ndarray, site_ids: np.ndarray) -> str:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{CACHE_FORMAT}:{self.key}:{self.far_snap_m!r}".encode())
        digest.update(sites_xy.tobytes())
        digest.update("\x1f".join(site_ids).encode())
        return digest.hexdigest()

    def _result(self, site_ids: np.ndarray, minutes: np.ndarray, snap_m: np.ndarray,
                warnings: tuple[str, ...], *, from_cache: bool) -> TravelTimeMatrix:
        return TravelTimeMatrix(
            area_ids=self.area_ids, site_ids=site_ids, minutes=minutes, mode=self.graph.mode,
            label=self.graph.label, is_estimate=self.graph.is_estimate, site_snap_m=snap_m,
            warnings=warnings, from_cache=from_cache,
        )


def _block_rows(n_nodes: int) -> int:
    """Sources searched at once, so that one block of results stays within SEARCH_BLOCK_BYTES."""
    return max(1, SEARCH_BLOCK_BYTES // (8 * n_nodes))


def _seconds_between(forward: sp.csr_matrix, backward: sp.csr_matrix, targets: np.ndarray,
                     origins: np.ndarray) -> np.ndarray:
    """Seconds from each origin to each target node (targets x origins), searching from the fewer."""
    block = _block_rows(forward.shape[0])
    if targets.size <= origins.size:
        out = np.empty((targets.size, origins.size))
        for start in range(0, targets.size, block):
            rows = targets[start:start + block]
            out[start:start + rows.size] = dijkstra(backward, indices=rows)[:, origins]
        return out
    out = np.empty((origins.size, targets.size))
    for start in range(0, origins.size, block):
        rows = origins[start:start + block]
        out[start:start + rows.size] = dijkstra(forward, indices=rows)[:, targets]
    return out.T


def routers_for_locality(locality: Locality, *, modes: Sequence[Mode] = MODES,
                         speeds: TravelSpeeds = DEFAULT_SPEEDS) -> dict[Mode, AreaRouter]:
    """One router per mode for a loaded locality (its road tables and areas): build once, reuse."""
    network = network_from_tables(locality.road_nodes, locality.road_edges, source=f"{locality.name} roads")
    return {mode: AreaRouter.from_areas(build_mode_graph(network, mode, speeds=speeds), locality.areas)
            for mode in modes}


def travel_time_matrix(graph: ModeGraph, origins_xy: np.ndarray, area_ids: Sequence[str],
                       sites_xy: np.ndarray, site_ids: Sequence[str], *,
                       cache_dir: Path | str | None = None) -> TravelTimeMatrix:
    """One-off matrix from areas to sites; build an :class:`AreaRouter` to reuse the snapping."""
    return AreaRouter(graph, origins_xy, area_ids).matrix(sites_xy, site_ids, cache_dir=cache_dir)


def _read_cached(path: Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return data["minutes"], data["site_snap_m"], tuple(str(w) for w in data["warnings"])
    except (OSError, KeyError, ValueError):  # a damaged cache file is recomputed, not fatal
        return None


def _write_cached(path: Path, minutes: np.ndarray, snap_m: np.ndarray,
                  warnings: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, minutes=minutes, site_snap_m=snap_m,
                     warnings=np.array(warnings, dtype=str))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
