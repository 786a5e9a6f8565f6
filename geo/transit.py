"""Public transport journey times from a timetable: range-RAPTOR on numpy arrays.

A :class:`Timetable` is one service day's trips (read from GTFS by
:mod:`geo.ingest.gtfs`, or made by hand in tests). :class:`TransitRouter` answers the
question the planner asks of every travel mode, "how long from every area to here?", for
people leaving at each minute of a window (08:00 to 10:00 by default): walk from the
area's start point to a stop, wait, ride, change (a walk of at most
``TransitSettings.max_transfer_m`` between stops, at least ``min_transfer_minutes``
between getting off and getting on), ride again, and walk from the last stop to the site;
or walk all the way when that is quicker. For each area and site it reports the median
over the departure minutes (the 50th percentile as r5 and Conveyal take it: the
``ceil(n / 2)``-th smallest, no interpolation) and the share of minutes with a journey
within 30, 45 and 60 minutes. A journey longer than ``max_trip_minutes`` counts as none.

How (RAPTOR: Delling, Pajor and Werneck, "Round-Based Public Transit Routing", 2012):

1. Trips with the same stops (and the same boarding and alighting rules) form a pattern,
   split further so that no trip overtakes another; then "the earliest trip that can be
   boarded here" is one ``searchsorted`` and riding on is a running minimum.
2. Range-RAPTOR's loop over departure times is run for every *boarding event* at once: one
   row per (stop, departure time) in the window and two hours after it, each a RAPTOR
   search from "at this stop, ready at this time", round by round (round k = k rides)
   on whole arrays of rows x pattern positions. This gives, for each event, the earliest
   arrival at every stop (:class:`StopProfiles`).
3. An area leaving at minute t reaches stop p at the best of the events of its nearby stops
   it can catch: a running minimum over departure minutes (latest first), as range-RAPTOR
   does (:func:`area_profiles`). These area x stop x minute arrivals are kept.
4. A site (a dragged hub) only needs its own walk legs: one walk search back from the site
   gives the walk from each area (all the way) and from each nearby stop (the last leg);
   the journey to the site is the best stop's arrival plus its walk, per minute. So a drag
   costs one walk search and a few numpy reductions, and equals a full recomputation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.errors import PlannerInputError
from geo.network import ModeGraph
from geo.snapping import Snap, area_origins
from geo.traveltime import AreaRouter, PointQueries, TravelTimeMatrix, site_inputs

INF = np.int32(2**30)  # an unreached label, in seconds; sums of two stay within int32
UNREACHED_U16 = np.uint16(65535)  # the same, in the compact area profiles
_TIME_KEY = np.int64(2**20)  # seconds per position in the boarding keys (12 days)
_RANK_KEY = np.int64(2**21)  # ranks per pattern in the running-minimum encoding
ROWS_PER_BLOCK = 1024  # boarding events searched at once (bounds memory: rows x positions)
SHARE_THRESHOLDS_MIN: tuple[int, ...] = (30, 45, 60)


def clock_seconds(text: str) -> int:
    """Seconds after midnight of ``"HH:MM"`` or ``"HH:MM:SS"`` (hours may pass 24)."""
    parts = str(text).strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise PlannerInputError(f"time: expected HH:MM, found {text!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = int(parts[2]) if len(parts) == 3 else 0
    if minutes > 59 or seconds > 59:
        raise PlannerInputError(f"time: expected HH:MM with minutes below 60, found {text!r}")
    return hours * 3600 + minutes * 60 + seconds


def clock_text(seconds: int) -> str:
    """``"HH:MM"`` for seconds after midnight."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@dataclass(frozen=True)
class TransitSettings:
    """The journeys counted: when people leave, how far they walk, how they change.

    Defaults follow r5 and Conveyal where they have one (a 2-hour window, walks to and
    from stops of at most 20 minutes, at most 8 rides, trips up to 2 hours); a change of
    vehicle takes at least a minute (a change between stops: the walk, or a minute if
    that is longer) and a walk between stops is at most 400 m along the walk network.
    """

    window_start: str = "08:00"
    window_end: str = "10:00"
    max_walk_minutes: float = 20.0
    max_transfer_m: float = 400.0
    min_transfer_minutes: float = 1.0
    max_trip_minutes: float = 120.0
    max_rides: int = 8
    walk_kmh: float = 4.8

    def __post_init__(self) -> None:
        if self.end_seconds <= self.start_seconds:
            raise PlannerInputError(
                f"window: expected an end after the start, found {self.window_start}-{self.window_end}")
        for name in ("max_walk_minutes", "max_transfer_m", "max_trip_minutes", "walk_kmh"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise PlannerInputError(f"TransitSettings.{name}: expected a number above 0, found {value!r}")
        if not math.isfinite(self.min_transfer_minutes) or self.min_transfer_minutes < 0:
            raise PlannerInputError(
                f"TransitSettings.min_transfer_minutes: expected 0 or more, found {self.min_transfer_minutes!r}")
        if self.max_rides < 1:
            raise PlannerInputError(f"TransitSettings.max_rides: expected at least 1, found {self.max_rides!r}")

    @property
    def start_seconds(self) -> int:
        """The window's first departure, in seconds after midnight."""
        return clock_seconds(self.window_start)

    @property
    def end_seconds(self) -> int:
        """The window's end (not a departure minute itself), in seconds after midnight."""
        return clock_seconds(self.window_end)

    @property
    def n_minutes(self) -> int:
        """Departure minutes in the window: 08:00, 08:01, ... 09:59 for 08:00-10:00."""
        return (self.end_seconds - self.start_seconds + 59) // 60

    @property
    def horizon_seconds(self) -> int:
        """The latest arrival that can count: the last departure minute plus the longest trip."""
        return self.start_seconds + 60 * (self.n_minutes - 1) + int(self.max_trip_minutes * 60)

    @property
    def walk_m_per_s(self) -> float:
        """Walking speed in metres a second."""
        return self.walk_kmh / 3.6

    def window_text(self) -> str:
        """The window as people read it: "08:00-10:00"."""
        return f"{self.window_start}-{self.window_end}"


DEFAULT_TRANSIT = TransitSettings()


@dataclass(frozen=True)
class TimetableChoice:
    """What the analyst chose for a feed: the service day (None: its busiest weekday), the window, a name."""

    service_date: dt.date | None = None
    window_start: str = DEFAULT_TRANSIT.window_start
    window_end: str = DEFAULT_TRANSIT.window_end
    name: str | None = None

    def settings(self) -> TransitSettings:
        """The routing settings for this choice's window (refused if malformed)."""
        return TransitSettings(window_start=self.window_start, window_end=self.window_end)

    def description(self) -> str:
        """What the figures measure, in one line: the feed, the day and the window."""
        return describe_timetable(self.name or "the timetable", self.service_date, self.settings())


def describe_timetable(name: str, service_date: dt.date | None, settings: TransitSettings) -> str:
    """"public transport, timetables of <feed> for <day> <window>": one wording for the pack and the panels."""
    day = (f"{service_date:%A} {service_date.day} {service_date:%B %Y}" if service_date is not None
           else "its busiest weekday")
    return f"public transport, timetables of {name} for {day} {settings.window_text()}"


DEFAULT_CHOICE = TimetableChoice()




@dataclass(frozen=True, eq=False)
class Timetable:
    """One service day's trips: stops, and every stop time of the trips that run.

    Stop times are sorted by trip, then by their order along the trip; times are seconds
    after midnight of the service day (past 24:00 for a trip that runs over midnight; a
    trip of the day before that runs past midnight comes in with 24 hours taken off).
    ``can_board``/``can_alight`` are False where the feed says no pick-up or drop-off.
    """

    name: str
    service_date: dt.date
    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_x: np.ndarray
    stop_y: np.ndarray
    trip_ids: np.ndarray
    trip_route: np.ndarray
    trip: np.ndarray
    stop: np.ndarray
    arrival: np.ndarray
    departure: np.ndarray
    can_board: np.ndarray
    can_alight: np.ndarray

    @property
    def n_stops(self) -> int:
        """Stops of the locality and its margin that the day's trips use."""
        return int(self.stop_ids.size)

    @property
    def n_trips(self) -> int:
        """Trips running that day (and the day before's past midnight)."""
        return int(self.trip_ids.size)

    @cached_property
    def fingerprint(self) -> str:
        """Identifies the timetable's content, for caches."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{self.name}|{self.service_date.isoformat()}".encode())
        for array in (self.stop_x, self.stop_y, self.trip, self.stop, self.arrival, self.departure,
                      self.can_board, self.can_alight):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def description(self, settings: TransitSettings = DEFAULT_TRANSIT) -> str:
        """What the figures measure, in one line: the feed, the day and the window."""
        return describe_timetable(self.name, self.service_date, settings)


def timetable_from_tables(stops: pd.DataFrame, stop_times: pd.DataFrame, *, name: str,
                          service_date: dt.date, trip_routes: pd.Series | None = None) -> Timetable:
    """A timetable from plain tables (what :mod:`geo.ingest.gtfs` produces, or a test's).

    ``stops``: ``stop_id``, ``x``, ``y`` (British National Grid metres), optional
    ``stop_name``. ``stop_times``: ``trip_id``, ``stop_sequence``, ``stop_id``,
    ``arrival_s``, ``departure_s`` (seconds after midnight), optional ``can_board`` and
    ``can_alight`` (default True). ``trip_routes`` maps trip ids to a route name.
    """
    for table, label, columns in ((stops, "stops", ("stop_id", "x", "y")),
                                  (stop_times, "stop_times", ("trip_id", "stop_sequence", "stop_id",
                                                              "arrival_s", "departure_s"))):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise PlannerInputError(f"{label}: missing column(s) {', '.join(missing)}")
    stop_ids = stops["stop_id"].astype(str).to_numpy(dtype=object)
    position = pd.Series(np.arange(stop_ids.size), index=pd.Index(stop_ids))
    if not position.index.is_unique:
        raise PlannerInputError(f"stops: stop_id {position.index[position.index.duplicated()][0]!r} appears twice")
    times = stop_times.sort_values(["trip_id", "stop_sequence"], kind="stable")
    stop_index = position.reindex(times["stop_id"].astype(str)).to_numpy()
    if np.isnan(stop_index.astype(float)).any():
        unknown = times["stop_id"].astype(str).to_numpy()[np.isnan(stop_index.astype(float))][0]
        raise PlannerInputError(f"stop_times: stop {unknown!r} is not in stops")
    trip_ids, trip = np.unique(times["trip_id"].astype(str).to_numpy(), return_inverse=True)
    routes = (np.asarray([str(trip_routes.get(t, "")) for t in trip_ids], dtype=object)
              if trip_routes is not None else np.full(trip_ids.size, "", dtype=object))
    names = (stops["stop_name"].astype(str).to_numpy(dtype=object) if "stop_name" in stops.columns
             else stop_ids.copy())

    def flag(column: str) -> np.ndarray:
        if column not in times.columns:
            return np.ones(len(times), dtype=bool)
        return times[column].fillna(True).to_numpy(dtype=bool)

    return Timetable(
        name=name, service_date=service_date, stop_ids=stop_ids, stop_names=names,
        stop_x=stops["x"].to_numpy(dtype=np.float64), stop_y=stops["y"].to_numpy(dtype=np.float64),
        trip_ids=trip_ids.astype(object), trip_route=routes, trip=trip.astype(np.int32),
        stop=stop_index.astype(np.int32), arrival=times["arrival_s"].to_numpy(dtype=np.int32),
        departure=times["departure_s"].to_numpy(dtype=np.int32),
        can_board=flag("can_board"), can_alight=flag("can_alight"),
    )


# ---------------------------------------------------------------------------------------
# Patterns: trips that can be scanned together
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Patterns:
    """Trips grouped into patterns that no trip overtakes, laid out by position.

    A position is one stop of one pattern (``pos_stop``, ``pos_board``, ``pos_alight``);
    positions of a pattern are consecutive, ``pos_first`` marks each pattern's first.
    The departure and arrival of the pattern's trips at position q (earliest trip first)
    are ``departure[pos_start[q]:pos_start[q] + pos_trips[q]]`` (and ``arrival``);
    ``board_key`` is the same departures as ``q * 2**20 + seconds``, sorted, so one
    ``searchsorted`` finds the first trip that can be caught at any position.
    """

    n_stops: int
    pos_stop: np.ndarray
    pos_pattern: np.ndarray
    pos_first: np.ndarray
    pos_board: np.ndarray
    pos_alight: np.ndarray
    pos_start: np.ndarray
    pos_trips: np.ndarray
    departure: np.ndarray
    arrival: np.ndarray
    board_key: np.ndarray
    pattern_positions: tuple[np.ndarray, ...]
    stop_patterns: tuple[np.ndarray, ...]

    @property
    def n_positions(self) -> int:
        """Stops of all patterns, counted once per pattern."""
        return int(self.pos_stop.size)

    @cached_property
    def _minute_table(self) -> tuple[int, np.ndarray] | None:
        """Trips leaving before each whole minute, per position (when every departure is on a minute)."""
        if not self.departure.size or (self.departure % 60).any():
            return None
        first = int(self.departure.min()) // 60
        minutes = int(self.departure.max()) // 60 - first + 2
        if minutes * self.n_positions > 20_000_000:
            return None
        position = np.repeat(np.arange(self.n_positions), self.pos_trips)
        counts = np.zeros((self.n_positions, minutes), dtype=np.int32)
        np.add.at(counts, (position, self.departure // 60 - first + 1), 1)
        return first, np.cumsum(counts, axis=1, dtype=np.int32)

    def first_trip(self, positions: np.ndarray, ready: np.ndarray) -> np.ndarray:
        """Rank of the first trip leaving each of ``positions`` at or after ``ready`` (rows x positions).

        The pattern's trip count where none does. With departures on whole minutes this is a
        table look-up; otherwise a ``searchsorted`` on the boarding keys.
        """
        n_trips = self.pos_trips[positions].astype(np.int64)
        table = self._minute_table
        if table is not None:
            first, counts = table
            minute = -(-ready.astype(np.int64) // 60) - first  # ready in (m-1, m] minutes: trips before m
            np.clip(minute, 0, counts.shape[1] - 1, out=minute)
            rank = counts[positions[None, :], minute].astype(np.int64)  # unreached: past the last trip
            return np.minimum(rank, n_trips[None, :])
        keys = positions.astype(np.int64)[None, :] * _TIME_KEY + ready.astype(np.int64)
        rank = np.searchsorted(self.board_key, keys) - self.pos_start[positions][None, :]
        return np.minimum(rank, n_trips[None, :])

    @property
    def n_patterns(self) -> int:
        """Patterns: trips that call at the same stops, none overtaking another."""
        return len(self.pattern_positions)


def build_patterns(timetable: Timetable, earliest: int, latest: int) -> Patterns:
    """Patterns of the trips running at any time between ``earliest`` and ``latest`` seconds."""
    trip = timetable.trip
    n = trip.size
    starts = np.flatnonzero(np.r_[True, trip[1:] != trip[:-1]]) if n else np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], n] if n else np.zeros(0, dtype=np.int64)
    usable = (ends - starts >= 2)
    usable &= timetable.departure[starts] <= latest if n else usable
    usable &= timetable.arrival[ends - 1] >= earliest if n else usable
    groups: dict[bytes, list[int]] = {}
    for k in np.flatnonzero(usable).tolist():
        s, e = starts[k], ends[k]
        key = b"|".join((timetable.stop[s:e].tobytes(), timetable.can_board[s:e].tobytes(),
                         timetable.can_alight[s:e].tobytes()))
        groups.setdefault(key, []).append(k)
    pos_stop: list[np.ndarray] = []
    pos_board: list[np.ndarray] = []
    pos_alight: list[np.ndarray] = []
    departures: list[np.ndarray] = []
    arrivals: list[np.ndarray] = []
    for trips in groups.values():
        s0, e0 = starts[trips[0]], ends[trips[0]]
        dep = np.stack([timetable.departure[starts[k]:ends[k]] for k in trips])
        arr = np.stack([timetable.arrival[starts[k]:ends[k]] for k in trips])
        for chain in _overtake_free_chains(dep, arr):
            pos_stop.append(timetable.stop[s0:e0])
            pos_board.append(timetable.can_board[s0:e0])
            pos_alight.append(timetable.can_alight[s0:e0])
            departures.append(dep[chain])
            arrivals.append(arr[chain])
    return _layout(timetable.n_stops, pos_stop, pos_board, pos_alight, departures, arrivals)


def _overtake_free_chains(dep: np.ndarray, arr: np.ndarray) -> list[np.ndarray]:
    """Split a pattern's trips into chains in which each trip is at or after the one before at every stop."""
    order = np.lexsort((arr[:, -1], dep[:, 0]))
    chains: list[list[int]] = []
    for row in order.tolist():
        for chain in chains:
            last = chain[-1]
            if (dep[last] <= dep[row]).all() and (arr[last] <= arr[row]).all():
                chain.append(row)
                break
        else:
            chains.append([row])
    return [np.asarray(chain) for chain in chains]


def _layout(n_stops: int, stops: list[np.ndarray], board: list[np.ndarray], alight: list[np.ndarray],
            departures: list[np.ndarray], arrivals: list[np.ndarray]) -> Patterns:
    lengths = np.array([s.size for s in stops], dtype=np.int64)
    n_trips = np.array([d.shape[0] for d in departures], dtype=np.int64)
    pos_pattern = np.repeat(np.arange(lengths.size), lengths)
    pos_trips = np.repeat(n_trips, lengths)
    pos_start = np.r_[0, np.cumsum(pos_trips)[:-1]] if pos_trips.size else np.zeros(0, dtype=np.int64)
    first_of = np.r_[0, np.cumsum(lengths)[:-1]] if lengths.size else np.zeros(0, dtype=np.int64)
    pos_first = np.zeros(int(lengths.sum()), dtype=bool)
    pos_first[first_of] = True
    # Departures at each position, trips in order: the transpose of each pattern's matrix.
    departure = np.concatenate([d.T.ravel() for d in departures]) if departures else np.zeros(0, np.int32)
    arrival = np.concatenate([a.T.ravel() for a in arrivals]) if arrivals else np.zeros(0, np.int32)
    pos_index = np.repeat(np.arange(pos_trips.size), pos_trips)
    board_key = pos_index.astype(np.int64) * _TIME_KEY + departure.astype(np.int64)
    pos_stop = np.concatenate(stops).astype(np.int64) if stops else np.zeros(0, dtype=np.int64)
    pattern_positions = tuple(np.arange(f, f + n) for f, n in zip(first_of.tolist(), lengths.tolist(), strict=True))
    order = np.argsort(pos_stop, kind="stable")
    bounds = np.searchsorted(pos_stop[order], np.arange(n_stops + 1))
    stop_patterns = tuple(np.unique(pos_pattern[order[bounds[s]:bounds[s + 1]]]) for s in range(n_stops))
    return Patterns(
        n_stops=n_stops, pos_stop=pos_stop, pos_pattern=pos_pattern, pos_first=pos_first,
        pos_board=np.concatenate(board) if board else np.zeros(0, bool),
        pos_alight=np.concatenate(alight) if alight else np.zeros(0, bool),
        pos_start=pos_start, pos_trips=pos_trips, departure=departure.astype(np.int32),
        arrival=arrival.astype(np.int32), board_key=board_key,
        pattern_positions=pattern_positions, stop_patterns=stop_patterns,
    )


# ---------------------------------------------------------------------------------------
# Walks between stops
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Transfers:
    """Changes of vehicle: from a stop (where one got off) to a stop (where one gets on).

    Sorted by ``to``; every stop has one to itself (``min_transfer`` seconds); the others
    take the walk, or ``min_transfer`` when that is longer.
    """

    source: np.ndarray
    to: np.ndarray
    seconds: np.ndarray

    @property
    def min_seconds(self) -> int:
        """The minimum transfer time: the time of a stop's transfer to itself."""
        own = self.source == self.to
        return int(self.seconds[own].min()) if own.any() else 0


def transfers_from_walks(stop_walk_seconds: np.ndarray, settings: TransitSettings) -> Transfers:
    """Transfers from a stops x stops matrix of walking seconds (inf where too far)."""
    n = stop_walk_seconds.shape[0]
    limit = settings.max_transfer_m / settings.walk_m_per_s
    minimum = round(settings.min_transfer_minutes * 60)
    near = np.isfinite(stop_walk_seconds) & (stop_walk_seconds <= limit)
    np.fill_diagonal(near, False)
    source, to = np.nonzero(near)
    seconds = np.maximum(np.ceil(stop_walk_seconds[source, to]).astype(np.int64), minimum)
    source = np.r_[np.arange(n), source]
    to = np.r_[np.arange(n), to]
    seconds = np.r_[np.full(n, minimum, dtype=np.int64), seconds]
    order = np.lexsort((source, to))
    return Transfers(source=source[order].astype(np.int64), to=to[order].astype(np.int64),
                     seconds=seconds[order].astype(np.int32))


# ---------------------------------------------------------------------------------------
# RAPTOR from every boarding event at once
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StopProfiles:
    """Earliest arrival at every stop from each boarding event (stop, ready time).

    ``event_stop``/``event_time`` are sorted by stop, then time; ``arrival`` is
    events x stops, in seconds after ``start`` (:data:`UNREACHED_U16` where not reached
    by ``horizon``). An arrival is getting off a vehicle there (not walking past).
    """

    event_stop: np.ndarray
    event_time: np.ndarray
    event_first: np.ndarray
    arrival: np.ndarray
    start: int
    horizon: int

    def stop_minutes(self, stop: int, n_minutes: int) -> np.ndarray:
        """Arrivals (seconds after ``start``) at every stop when leaving ``stop`` at each minute: minutes x stops."""
        rows = np.arange(self.event_first[stop], self.event_first[stop + 1])
        return _suffix_minimum_by_minute(self.event_time[rows] - self.start, self.arrival[rows], n_minutes)


def boarding_events(patterns: Patterns, start: int, latest: int, last_needed: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Every (stop, departure time) at which a trip can be boarded between ``start`` and ``latest``.

    With ``last_needed``, a stop's events after its first one at or after that time are left
    out: nobody leaving in the window reaches the stop later than ``last_needed``, and from
    the same stop an earlier departure is never worse than a later one.
    """
    dep = patterns.departure
    position = np.repeat(np.arange(patterns.n_positions), patterns.pos_trips)
    usable = (dep >= start) & (dep <= latest) & patterns.pos_board[position]
    key = patterns.pos_stop[position[usable]] * _TIME_KEY + dep[usable].astype(np.int64)
    key = np.unique(key)
    stop, time = (key // _TIME_KEY).astype(np.int64), (key % _TIME_KEY).astype(np.int32)
    if last_needed is not None and key.size:
        first_late = np.searchsorted(key, np.arange(patterns.n_stops) * _TIME_KEY + last_needed)
        keep = np.arange(key.size) <= first_late[stop]
        stop, time = stop[keep], time[keep]
    return stop, time


def raptor(patterns: Patterns, transfers: Transfers, origin_stop: np.ndarray, ready_time: np.ndarray, *,
           horizon: int, max_rides: int) -> np.ndarray:
    """RAPTOR rounds from each row's (stop, ready time): earliest arrival at every stop, rows x stops.

    Arrivals are by vehicle (int32 seconds; :data:`INF` where not reached by ``horizon``).
    Round k finds the journeys of k rides: at each stop improved in the round before, the
    first trip that can be boarded is found for every row at once, carried along its
    pattern as a running minimum of trip ranks (trips of a pattern never overtake, so the
    earliest caught trip is best at every later stop), and its arrivals are kept where they
    improve; then the transfers give the next round's times at which each stop can be
    boarded from. Only rows and patterns with a stop improved in the round before are scanned.
    """
    n_rows, n_stops = origin_stop.size, patterns.n_stops
    best = np.full((n_rows, n_stops), INF, dtype=np.int32)
    ready = np.full((n_rows, n_stops), INF, dtype=np.int32)
    ready[np.arange(n_rows), origin_stop] = ready_time
    best_ready = ready.copy()
    for _ in range(max_rides):
        live = np.flatnonzero((ready < INF).any(axis=1))
        if not live.size:
            break
        marked = ready[live]
        marked_stops = np.flatnonzero((marked < INF).any(axis=0))
        active = np.unique(np.concatenate([patterns.stop_patterns[s] for s in marked_stops.tolist()]))
        if not active.size:
            break
        positions = np.concatenate([patterns.pattern_positions[r] for r in active.tolist()])
        arrived = _scan_patterns(patterns, positions, marked)
        stops = patterns.pos_stop[positions]
        order = np.argsort(stops, kind="stable")
        bounds = np.flatnonzero(np.r_[True, stops[order][1:] != stops[order][:-1]])
        reached = np.minimum.reduceat(arrived[:, order], bounds, axis=1)
        columns = stops[order][bounds]
        reached[reached > horizon] = INF
        previous = best[np.ix_(live, columns)]
        improved = reached < previous
        if not improved.any():
            break
        best[np.ix_(live, columns)] = np.where(improved, reached, previous)
        changed = improved.any(axis=0)
        arrival = np.where(improved[:, changed], reached[:, changed], INF)
        following = _transfer(transfers, arrival, columns[changed], n_stops)
        following[following > horizon] = INF
        better = following < best_ready[live]
        best_ready[live] = np.where(better, following, best_ready[live])
        ready = np.full((n_rows, n_stops), INF, dtype=np.int32)
        ready[live] = np.where(better, following, INF)
    return best


def _scan_patterns(patterns: Patterns, positions: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """Arrival at each of ``positions`` (rows x positions, :data:`INF` when none) riding a trip boarded earlier."""
    stops = patterns.pos_stop[positions]
    n_trips = patterns.pos_trips[positions]
    board_at = ready[:, stops]
    board_at[:, ~patterns.pos_board[positions]] = INF
    rank = patterns.first_trip(positions, board_at)
    # Running minimum of ranks along each pattern; a lower base for each later pattern
    # keeps the minimum from leaking across pattern boundaries.
    base = (patterns.n_patterns - patterns.pos_pattern[positions]).astype(np.int64) * _RANK_KEY
    running = np.minimum.accumulate(rank + base[None, :], axis=1)
    boarded = np.empty_like(running)
    boarded[:, 1:] = running[:, :-1] - base[None, 1:]
    first = patterns.pos_first[positions]
    boarded[:, first] = n_trips[first][None, :]
    np.minimum(boarded, n_trips[None, :], out=boarded)
    valid = (boarded < n_trips[None, :]) & patterns.pos_alight[positions][None, :]
    index = np.where(valid, patterns.pos_start[positions][None, :] + boarded, 0)
    return np.where(valid, patterns.arrival[index], INF).astype(np.int32)


def _transfer(transfers: Transfers, arrival: np.ndarray, from_stops: np.ndarray, n_stops: int) -> np.ndarray:
    """Times each stop can be boarded from (rows x all stops), after getting off at ``from_stops`` at ``arrival``."""
    ready = np.full((arrival.shape[0], n_stops), INF, dtype=np.int32)
    ready[:, from_stops] = np.where(arrival < INF, arrival + transfers.min_seconds, INF)
    column = np.full(n_stops, -1, dtype=np.int64)
    column[from_stops] = np.arange(from_stops.size)
    use = column[transfers.source] >= 0
    use &= transfers.source != transfers.to
    source, to, seconds = transfers.source[use], transfers.to[use], transfers.seconds[use]
    if source.size:
        candidate = arrival[:, column[source]] + seconds[None, :]
        bounds = np.flatnonzero(np.r_[True, to[1:] != to[:-1]])
        walked = np.minimum.reduceat(candidate, bounds, axis=1)
        targets = to[bounds]
        ready[:, targets] = np.minimum(ready[:, targets], walked)
    ready[ready >= INF] = INF
    return ready


def stop_profiles(patterns: Patterns, transfers: Transfers, settings: TransitSettings) -> StopProfiles:
    """RAPTOR from every boarding event between the window's start and the last useful departure."""
    start, horizon = settings.start_seconds, settings.horizon_seconds
    last_minute = start + 60 * (settings.n_minutes - 1)
    event_stop, event_time = boarding_events(patterns, start, horizon,
                                             last_needed=last_minute + math.ceil(settings.max_walk_minutes * 60))
    arrival = np.full((event_stop.size, patterns.n_stops), UNREACHED_U16, dtype=np.uint16)
    for low in range(0, event_stop.size, ROWS_PER_BLOCK):
        high = min(low + ROWS_PER_BLOCK, event_stop.size)
        found = raptor(patterns, transfers, event_stop[low:high], event_time[low:high], horizon=horizon,
                       max_rides=settings.max_rides)
        arrival[low:high] = _compact(found, start)
    first = np.searchsorted(event_stop, np.arange(patterns.n_stops + 1))
    return StopProfiles(event_stop=event_stop, event_time=event_time, event_first=first, arrival=arrival,
                        start=start, horizon=horizon)


def _compact(seconds: np.ndarray, start: int) -> np.ndarray:
    """Seconds after midnight as uint16 seconds after ``start`` (unreached as :data:`UNREACHED_U16`)."""
    out = np.where(seconds >= INF, int(UNREACHED_U16), seconds - start)
    return out.astype(np.uint16)


def _suffix_minimum_by_minute(offset: np.ndarray, arrival: np.ndarray, n_minutes: int) -> np.ndarray:
    """Best arrival for each departure minute: the least over rows leaving at or after it.

    ``offset`` is each row's latest departure (seconds after the window's start) that still
    catches it; minute t can use a row when ``offset >= 60 t``, so each row goes to minute
    ``floor(offset / 60)`` (the last minute when past the window) and a running minimum from
    the last minute back gives the answer. Returns minutes x columns (uint16).
    """
    out = np.full((n_minutes, arrival.shape[1]), UNREACHED_U16, dtype=np.uint16)
    usable = offset >= 0
    if not usable.any():
        return out
    minute = np.minimum(offset[usable] // 60, n_minutes - 1).astype(np.int64)
    order = np.argsort(minute, kind="stable")
    minute = minute[order]
    bounds = np.flatnonzero(np.r_[True, minute[1:] != minute[:-1]])
    out[minute[bounds]] = np.minimum.reduceat(arrival[usable][order], bounds, axis=0)
    return np.minimum.accumulate(out[::-1], axis=0)[::-1]


def area_profiles(profiles: StopProfiles, access_seconds: np.ndarray, settings: TransitSettings) -> np.ndarray:
    """Earliest arrival at each stop for each area and departure minute: stops x areas x minutes (uint16).

    ``access_seconds`` is areas x stops walking seconds (inf beyond the walking limit).
    Leaving area a at minute t, stop p's event at time d is caught when ``d - walk >= t``.
    """
    n_areas, n_stops = access_seconds.shape
    n_minutes = settings.n_minutes
    limit = settings.max_walk_minutes * 60.0
    out = np.full((n_stops, n_areas, n_minutes), UNREACHED_U16, dtype=np.uint16)
    counts = np.diff(profiles.event_first)
    for area in range(n_areas):
        walk = access_seconds[area]
        near = np.flatnonzero(np.isfinite(walk) & (walk <= limit) & (counts > 0))
        if not near.size:
            continue
        rows = np.concatenate([np.arange(profiles.event_first[s], profiles.event_first[s + 1]) for s in near.tolist()])
        walks = np.repeat(np.ceil(walk[near]).astype(np.int64), counts[near])
        offset = profiles.event_time[rows].astype(np.int64) - walks - settings.start_seconds
        out[:, area, :] = _suffix_minimum_by_minute(offset, profiles.arrival[rows], n_minutes).T
    return out


# ---------------------------------------------------------------------------------------
# Journeys to sites
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Journeys:
    """Journey times from each area (rows) to each site (columns) over the window's minutes.

    ``median_minutes`` (NaN when fewer than half of the minutes have a journey within the
    longest trip) and ``share_within[T]`` (share of departure minutes with a journey of at
    most T minutes).
    """

    median_minutes: np.ndarray
    share_within: dict[int, np.ndarray] = field(default_factory=dict)


def journey_summary(seconds: np.ndarray, settings: TransitSettings) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Median minutes and shares within 30/45/60 minutes, from areas x minutes journey seconds."""
    limit = settings.max_trip_minutes * 60.0
    seconds = np.where(seconds <= limit, seconds, np.inf)
    n = seconds.shape[1]
    rank = math.ceil(0.5 * n) - 1  # r5's non-interpolated 50th percentile
    median = np.partition(seconds, rank, axis=1)[:, rank] / 60.0
    median[np.isinf(median)] = np.nan
    shares = {t: (seconds <= t * 60.0).mean(axis=1) for t in SHARE_THRESHOLDS_MIN}
    return median, shares


class TransitRouter(PointQueries):
    """Journey times by public transport from a fixed set of areas to any sites.

    Built once per locality (the slow part: RAPTOR from every boarding event, then the
    area x stop x minute arrivals), it answers for any sites with one walk search per site
    (:class:`~geo.traveltime.AreaRouter` on the walk graph, whose origins are the areas
    followed by the stops; it caches its searches by node, so a hub dragged back costs
    only the few numpy reductions).
    """

    def __init__(self, timetable: Timetable, walk_router: AreaRouter, n_areas: int, *,
                 settings: TransitSettings = DEFAULT_TRANSIT) -> None:
        if walk_router.n_areas != n_areas + timetable.n_stops:
            raise PlannerInputError(
                f"walk_router: expected {n_areas} areas followed by {timetable.n_stops} stops as origins, "
                f"found {walk_router.n_areas} origins")
        self.timetable = timetable
        self.settings = settings
        self.walk_router = walk_router
        self.area_ids = walk_router.area_ids[:n_areas]
        self.origins = walk_router.origins
        self.graph = walk_router.graph
        self.mode = "bus"
        self.label = "Public transport"
        self.is_estimate = False
        self.description = timetable.description(settings)
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{walk_router.key}|{timetable.fingerprint}|{settings!r}".encode())
        self.key = digest.hexdigest()
        walks = walks_to_stops(walk_router, n_areas, settings.max_walk_minutes * 60.0)
        self.access_seconds = walks[:n_areas]
        self.transfers = transfers_from_walks(walks[n_areas:], settings)
        self.patterns = build_patterns(timetable, settings.start_seconds, settings.horizon_seconds)
        self.stop_profiles = stop_profiles(self.patterns, self.transfers, settings)
        self.arrivals = area_profiles(self.stop_profiles, self.access_seconds, settings)

    @property
    def n_areas(self) -> int:
        """Areas journeys start from."""
        return int(self.area_ids.size)

    @property
    def n_stops(self) -> int:
        """The timetable's stops (the walk router's origins after the areas)."""
        return self.timetable.n_stops

    @property
    def warnings(self) -> tuple[str, ...]:
        """Far-from-any-path warnings for the areas (the stops' own are left out)."""
        return tuple(w for w in self.walk_router.warnings if not w.startswith("stop "))

    def clear_cache(self) -> None:
        """Forget every cached site (for timing a cold recompute)."""
        self.walk_router.clear_cache()

    def snap(self, xy: np.ndarray, *, labels: Sequence[str] | None = None) -> Snap:
        """Join sites to the walk graph (the last leg is walked)."""
        return self.walk_router.snap(xy, labels=labels)

    def journey_seconds(self, walk_seconds: np.ndarray) -> np.ndarray:
        """Areas x minutes journey seconds to one site, from the walk to it from every area and stop.

        ``walk_seconds`` is the walk router's column for the site: areas, then stops.
        """
        n_areas, settings = self.n_areas, self.settings
        direct = walk_seconds[:n_areas]
        last_leg = walk_seconds[n_areas:]
        near = np.flatnonzero(np.isfinite(last_leg) & (last_leg <= settings.max_walk_minutes * 60.0))
        departures = 60.0 * np.arange(settings.n_minutes)
        best = np.repeat(direct[:, None], settings.n_minutes, axis=1)
        if near.size:
            arrivals = self.arrivals[near].astype(np.int32)  # stops x areas x minutes
            arrivals[arrivals == int(UNREACHED_U16)] = INF
            arrivals += np.ceil(last_leg[near]).astype(np.int32)[:, None, None]
            by_transit = arrivals.min(axis=0) - departures[None, :]
            np.minimum(best, by_transit, out=best)
        return best

    def journeys_to_snapped(self, snap: Snap) -> Journeys:
        """Median minutes and shares within 30/45/60 minutes from every area to each snapped site."""
        seconds = self.walk_router.minutes_to_snapped(snap) * 60.0  # origins (areas, then stops) x sites
        seconds[np.isnan(seconds)] = np.inf
        n = snap.node.size
        median = np.empty((self.n_areas, n))
        shares = {t: np.empty((self.n_areas, n)) for t in SHARE_THRESHOLDS_MIN}
        for j in range(n):
            found = journey_summary(self.journey_seconds(seconds[:, j]), self.settings)
            median[:, j] = found[0]
            for t in SHARE_THRESHOLDS_MIN:
                shares[t][:, j] = found[1][t]
        return Journeys(median_minutes=median, share_within=shares)

    def minutes_to_snapped(self, snap: Snap) -> np.ndarray:
        """Median minutes from every area (rows) to each snapped site (columns); NaN = no journey."""
        return self.journeys_to_snapped(snap).median_minutes

    def matrix(self, sites_xy: np.ndarray, site_ids: Sequence[str], *,
               cache_dir: Path | str | None = None) -> TravelTimeMatrix:
        """Median minutes from every area to each site (the optimiser's input)."""
        sites_xy, ids = site_inputs(sites_xy, site_ids)
        snap = self.snap(sites_xy, labels=list(ids))
        return TravelTimeMatrix(
            area_ids=self.area_ids, site_ids=ids, minutes=self.minutes_to_snapped(snap), mode=self.mode,
            label=self.label, is_estimate=False, site_snap_m=snap.distance_m,
            warnings=self.warnings + snap.warnings)


def stop_tree(timetable: Timetable) -> cKDTree:
    """A k-d tree of the timetable's stops (British National Grid metres)."""
    return cKDTree(np.column_stack([timetable.stop_x, timetable.stop_y]))


def walks_to_stops(walk_router: AreaRouter, n_areas: int, limit_seconds: float) -> np.ndarray:
    """Walking seconds from every origin (areas, then stops) to every stop, inf beyond ``limit_seconds``.

    One search back from each stop on the walk graph, stopped at the limit (a walk to a
    stop is short, so each search stays near its stop); the straight legs to and from the
    network are added as everywhere else (:func:`geo.snapping.snap_points`).
    """
    origins = walk_router.origins
    stop_nodes = origins.node[n_areas:]
    out = np.full((origins.node.size, stop_nodes.size), np.inf)
    graph = walk_router.graph.seconds_reversed
    block = max(1, 4_000_000 // max(1, graph.shape[0]))
    for low in range(0, stop_nodes.size, block):
        found = dijkstra(graph, indices=stop_nodes[low:low + block], limit=limit_seconds)  # stops x nodes
        out[:, low:low + block] = found[:, origins.node].T
    out += origins.access_seconds[:, None] + origins.access_seconds[None, n_areas:]
    out[out > limit_seconds] = np.inf
    return out


def transit_router(walk_graph: ModeGraph, areas: pd.DataFrame, timetable: Timetable, *,
                   settings: TransitSettings = DEFAULT_TRANSIT, code_column: str = "code",
                   router_class: Callable[[ModeGraph, np.ndarray, Sequence[str]], AreaRouter] = AreaRouter
                   ) -> TransitRouter:
    """A public-transport router for an areas table: walks on ``walk_graph`` from the areas' start points.

    ``router_class`` builds the walk router (the dashboard passes one that shares its
    searches between processes).
    """
    if code_column not in areas.columns:
        raise PlannerInputError(f"areas: missing column {code_column} (area codes)")
    origins = np.vstack([area_origins(areas), np.column_stack([timetable.stop_x, timetable.stop_y])])
    ids = [*areas[code_column].astype(str).tolist(), *(f"stop {s}" for s in timetable.stop_ids.tolist())]
    return TransitRouter(timetable, router_class(walk_graph, origins, ids), len(areas), settings=settings)
