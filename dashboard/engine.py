"""Per-process routers and weights for the locality, and scoring a plan through geo/.

Routers are built once per worker process for each travel mode and reused by every
request; they hold only the network and cached shortest-path columns (deterministic
values), never a user's state, so several workers can each hold their own.

A drag makes the browser ask two workers at once about the same moved hub (the map's
scores and the money panels'), and each would search the network from it. The search
from one hub is therefore shared between the processes of the machine through small
files (:class:`SharedSearches`): the first process to ask searches, the others wait for
it and read the answer. The files are named by the router's fingerprint (network and
areas) and the node, so they can only ever hold the one right answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from dashboard.data_access import locality_for
from geo.access import AccessResult, AreaWeights, area_weights, hub_access
from geo.ingest.gtfs import has_timetable, load_timetable, timetable_choice
from geo.network import (
    MODE_LABELS,
    MODE_WORDS,
    Mode,
    ModeGraph,
    RoadNetwork,
    build_mode_graph,
    mode_method,
    mode_note,
    network_from_tables,
)
from geo.scenarios import Hub
from geo.snapping import area_origins
from geo.transit import TransitRouter, transit_router
from geo.traveltime import AreaRouter

DEFAULT_MODE: Mode = "drive"
# Columns of the groups other than population and need, which an upload may leave empty.
OPTIONAL_GROUP_COLUMNS = ("pop_female", "pop_18_24", "bme_share", "imd_decile", "smi_prevalence_pct")


@functools.lru_cache(maxsize=4)
def _network(folder: str) -> RoadNetwork:
    locality = locality_for(folder)
    return network_from_tables(locality.road_nodes, locality.road_edges)


SHARED_SEARCH_MB = 64.0  # the newest searches kept on the machine, per folder of them
LOCK_STRIPES = 64


class SharedSearches:
    """One-hub search results shared by processes through a folder: searched once, read by the rest.

    At most about ``max_mb`` of results are kept (the oldest are removed); a result is
    written to a temporary file and renamed, so a reader sees all of it or nothing.
    """

    def __init__(self, folder: Path, *, max_mb: float = SHARED_SEARCH_MB) -> None:
        self.folder = folder
        self.max_bytes = max_mb * 1e6
        self._writes = 0

    def _private(self) -> bool:
        """Whether the folder is this user's alone (made so if missing): in a shared /dev/shm or /tmp another
        user could otherwise plant results in it first. A folder that is not private is not used."""
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            found = os.lstat(self.folder)
            return stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid() and not found.st_mode & 0o077
        return False

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        stripe = int(hashlib.blake2b(key.encode(), digest_size=4).hexdigest(), 16) % LOCK_STRIPES
        with open(self.folder / f"lock-{stripe:02d}", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self, path: Path) -> np.ndarray | None:
        with contextlib.suppress(FileNotFoundError, ValueError, OSError):
            found: np.ndarray = np.load(path, allow_pickle=False)
            return found
        return None

    def column(self, key: str, search: Callable[[], np.ndarray]) -> np.ndarray:
        """The result stored under ``key``, or ``search()``'s, stored for the others.

        Sharing is only a saving: if the folder cannot be used (removed, full, not
        writable) the search is done here as if there were no folder.
        """
        if not self._private():
            return search()
        path = self.folder / f"{key}.npy"
        found = self._read(path)
        if found is not None:
            return found
        column: np.ndarray | None = None
        try:
            with self._locked(key):
                found = self._read(path)  # another process may have searched while this one waited
                if found is not None:
                    return found
                column = search()
                partial = self.folder / f"{key}.{os.getpid()}.part"
                with open(partial, "wb") as out:
                    np.save(out, column, allow_pickle=False)
                os.replace(partial, path)
            self._writes += 1
            if self._writes % 50 == 0:
                self.prune(column.nbytes)
        except OSError:
            pass
        return column if column is not None else search()

    def prune(self, column_bytes: int) -> None:
        """Remove the oldest results beyond the size limit."""
        keep = max(16, int(self.max_bytes // max(1, column_bytes)))
        results = []
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".npy"):
                with contextlib.suppress(FileNotFoundError):
                    results.append((entry.stat().st_mtime, entry.path))
        for _, path in sorted(results)[:-keep]:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def shared_search_folder() -> Path:
    """Where the processes of this machine share searches: memory-backed where there is /dev/shm."""
    # Shared by every user of the machine: a folder of this user's is made in it and checked (SharedSearches).
    memory = "/dev/shm"  # nosec B108
    base = Path(memory) if os.path.isdir(memory) and os.access(memory, os.W_OK) else Path(tempfile.gettempdir())
    return base / f"dsp-searches-{os.getuid()}"


class SharedAreaRouter(AreaRouter):
    """An :class:`~geo.traveltime.AreaRouter` whose one-hub searches are shared with other processes."""

    shared: SharedSearches | None = None

    def _search(self, targets: np.ndarray) -> np.ndarray:
        if self.shared is None or targets.size != 1:
            return super()._search(targets)
        column = self.shared.column(f"{self.key}-{int(targets[0])}", lambda: super(SharedAreaRouter, self)._search(
            targets)[:, 0])
        return column.reshape(-1, 1)


def _shared_router(graph: ModeGraph, origins: np.ndarray, ids: Sequence[str]) -> AreaRouter:
    """A router whose one-hub searches are shared with the machine's other processes."""
    router = SharedAreaRouter(graph, origins, ids)
    router.shared = SharedSearches(shared_search_folder())
    return router


@functools.lru_cache(maxsize=12)
def router_for(folder: str, mode: Mode = DEFAULT_MODE) -> AreaRouter | TransitRouter:
    """The router from every area of the locality for one travel mode.

    Public transport ("bus") routes on the locality's timetable when it has one
    (:class:`geo.transit.TransitRouter`), else it is the estimate on the roads.
    """
    locality = locality_for(folder)
    if mode == "bus" and has_timetable(folder):
        timetable, settings = load_timetable(folder, locality.county.geometry.union_all())
        walk = build_mode_graph(_network(folder), "walk")
        return transit_router(walk, locality.areas, timetable, settings=settings,
                              router_class=_shared_router)
    graph = build_mode_graph(_network(folder), mode)
    return _shared_router(graph, area_origins(locality.areas), locality.areas["code"].tolist())


@dataclass(frozen=True)
class TravelMode:
    """How one travel mode is named and explained wherever its figures are shown.

    ``label`` for controls ("Public transport"), ``words`` to finish a sentence ("by car"),
    ``note`` for one sentence under the figures, ``method`` for how the journey times were
    worked out (the pack and the exports; with a timetable it begins "Public transport,
    timetables of <feed> for <day> 08:00-10:00"). The estimate on the roads is used only
    where the locality has no timetable, and says so in all of them.
    """

    mode: Mode
    label: str
    words: str
    note: str
    method: str
    is_estimate: bool


@functools.lru_cache(maxsize=24)
def travel_mode(folder: str, mode: str) -> TravelMode:
    """The one place every panel, export and the pack read a travel mode's name and meaning from."""
    if mode == "bus" and has_timetable(folder):  # named from the timetable's settings: no routing needed
        choice = timetable_choice(folder)
        settings = choice.settings()
        described = choice.description()
        method = (f"{described[:1].upper()}{described[1:]}: walking from where an area's people live to a stop (at "
                  f"most {settings.max_walk_minutes:g} minutes at {settings.walk_kmh:g} km/h), waiting, riding, "
                  f"changing (at least {settings.min_transfer_minutes:g} minute, walking up to "
                  f"{settings.max_transfer_m:g} m between stops) and walking on, or walking all the way when that "
                  "is quicker; the median over every minute one could leave, as Conveyal and r5 report it. A "
                  f"journey longer than {settings.max_trip_minutes:g} minutes counts as none.")
        note = (f"Journeys on the timetable: {described}; the median over each minute one could leave. Grey: "
                f"no journey within {settings.max_trip_minutes:g} minutes for at least half of those minutes.")
        return TravelMode("bus", "Public transport", "by public transport", note, method, False)
    return road_travel_mode(mode)


def road_travel_mode(mode: str) -> TravelMode:
    """A mode as it is without a timetable: drive, walk, or public transport estimated on the roads."""
    known = cast(Mode, mode) if mode in MODE_LABELS else DEFAULT_MODE
    return TravelMode(known, MODE_LABELS[known], MODE_WORDS[known], mode_note(known), mode_method(known),
                      known == "bus")


@functools.lru_cache(maxsize=4)
def weights_for(folder: str) -> AreaWeights:
    """Each group's weight per area; a group whose figures the locality lacks is left out.

    An uploaded locality may leave optional columns empty (no figures by sex, say: see
    geo/locality.py), and a group with an unknown weight cannot be scored, so it is not shown.
    """
    areas = locality_for(folder).areas
    unknown = [c for c in OPTIONAL_GROUP_COLUMNS if c in areas.columns and areas[c].isna().any()]
    return area_weights(areas.drop(columns=unknown))


def score_plan(folder: str, hubs: tuple[Hub, ...], mode: Mode = DEFAULT_MODE) -> AccessResult:
    """Access figures for a plan's hubs (one shortest-path search per hub not seen before)."""
    return hub_access(router_for(folder, mode), hubs, weights_for(folder))

