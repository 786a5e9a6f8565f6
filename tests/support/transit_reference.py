"""An independent earliest-arrival search to check the RAPTOR engine: a plain connection scan.

Connection Scan (Dibbelt, Pajor, Strasser and Wagner, 2013) shares nothing with RAPTOR but
the model of a journey: it walks once through every ride between two consecutive stops of
a trip (a connection), in order of departure, remembering which trips can be reached
(boarded at a stop one could be at by then, or stayed on) and the earliest vehicle arrival
at each stop. It has no rounds, no patterns and no numpy: plain Python lists, so that a
mistake in the engine's arrays cannot be repeated here. Used by the agreement test
(tests/geo/test_transit.py) and ``benchmarks/bench_transit.py``.

The journeys are the engine's: start at a stop at a given time; get on a trip where it
may pick up; get off where it may set down; change at the same stop after at least the
minimum transfer time, or walk one transfer (the walk, or the minimum if longer).
"""

from __future__ import annotations

import math

import numpy as np

from geo.transit import UNREACHED_U16, StopProfiles, Timetable, Transfers, TransitSettings, journey_summary


class ConnectionScan:
    """Earliest arrivals from one stop at one time, by scanning the day's connections."""

    def __init__(self, timetable: Timetable, transfers: Transfers, settings: TransitSettings) -> None:
        self.settings = settings
        self.n_stops = timetable.n_stops
        connections = []
        trip, stop = timetable.trip.tolist(), timetable.stop.tolist()
        arrival, departure = timetable.arrival.tolist(), timetable.departure.tolist()
        board, alight = timetable.can_board.tolist(), timetable.can_alight.tolist()
        for i in range(len(trip) - 1):
            if trip[i] == trip[i + 1]:
                connections.append((departure[i], arrival[i + 1], trip[i], i, stop[i], stop[i + 1],
                                    board[i], alight[i + 1]))
        connections.sort()
        self.connections = connections
        self.departures = [c[0] for c in connections]
        self.n_trips = timetable.n_trips
        self.walks: list[list[tuple[int, int]]] = [[] for _ in range(self.n_stops)]
        for source, to, seconds in zip(transfers.source.tolist(), transfers.to.tolist(),
                                       transfers.seconds.tolist(), strict=True):
            self.walks[source].append((to, seconds))

    def arrivals(self, origin: int, leave: int) -> list[float]:
        """Earliest vehicle arrival (seconds) at every stop, leaving ``origin`` at ``leave``."""
        return self.arrivals_from({origin: leave}, leave)

    def arrivals_from(self, ready_at: dict[int, float], leave: float) -> list[float]:
        """Earliest vehicle arrival at every stop, ready to board at each stop of ``ready_at`` from its time."""
        horizon = self.settings.horizon_seconds
        ready = [math.inf] * self.n_stops
        arrived = [math.inf] * self.n_stops
        on_trip = [False] * self.n_trips
        for stop, time in ready_at.items():
            ready[stop] = min(ready[stop], time)
        low, high = 0, len(self.departures)
        while low < high:  # the first connection leaving at or after ``leave``
            middle = (low + high) // 2
            if self.departures[middle] < leave:
                low = middle + 1
            else:
                high = middle
        for dep, arr, trip, _, source, to, can_board, can_alight in self.connections[low:]:
            if dep > horizon:
                break
            if not on_trip[trip]:
                if not (can_board and ready[source] <= dep):
                    continue
                on_trip[trip] = True
            if can_alight and arr < arrived[to] and arr <= horizon:
                arrived[to] = arr
                for other, seconds in self.walks[to]:
                    if arr + seconds < ready[other]:
                        ready[other] = arr + seconds
        return arrived

    def median_minutes(self, origin: int, targets: list[int]) -> np.ndarray:
        """Median journey minutes from ``origin`` to each target over the window's departure minutes.

        r5's non-interpolated median (the ``ceil(n / 2)``-th smallest); NaN when it is no
        journey (more than half of the minutes have none within the longest trip).
        """
        settings = self.settings
        limit = settings.max_trip_minutes * 60
        times = np.empty((settings.n_minutes, len(targets)))
        for minute in range(settings.n_minutes):
            leave = settings.start_seconds + 60 * minute
            found = self.arrivals(origin, leave)
            for k, target in enumerate(targets):
                journey = found[target] - leave
                times[minute, k] = journey if journey <= limit else math.inf
        times.sort(axis=0)
        median = times[math.ceil(0.5 * settings.n_minutes) - 1] / 60.0
        median[np.isinf(median)] = np.nan
        return median


def agreement(scan: ConnectionScan, profiles: StopProfiles, *, origins: int = 20, per_origin: int = 10,
              seed: int = 0) -> tuple[float, list[tuple[int, int, float, float]]]:
    """Share (%) of random stop pairs whose median minutes agree within a minute, and every pair.

    Origins are drawn from the stops where a trip can be boarded in the window; targets
    from the stops the reference reaches from that origin (a pair no journey joins would
    agree trivially). Returns (percent, [(origin, target, reference, engine), ...]).
    """
    settings = scan.settings
    rng = np.random.default_rng(seed)
    served = np.flatnonzero(np.diff(profiles.event_first) > 0)
    pairs: list[tuple[int, int, float, float]] = []
    for origin in rng.permutation(served).tolist():
        if len(pairs) >= origins * per_origin:
            break
        everywhere = list(range(scan.n_stops))
        reference = scan.median_minutes(origin, everywhere)
        reached = [q for q in everywhere if q != origin and np.isfinite(reference[q])]
        if not reached:
            continue
        targets = rng.choice(reached, min(per_origin, len(reached)), replace=False).tolist()
        engine = engine_median_minutes(profiles, origin, settings)
        pairs.extend((origin, q, float(reference[q]), float(engine[q])) for q in targets)
    agree = sum(1 for _, _, a, b in pairs if (np.isnan(a) and np.isnan(b)) or abs(a - b) <= 1.0)
    return 100.0 * agree / max(len(pairs), 1), pairs


def engine_median_minutes(profiles: StopProfiles, origin: int, settings: TransitSettings) -> np.ndarray:
    """The engine's median minutes from ``origin`` to every stop, as the planner reports them."""
    arrival = profiles.stop_minutes(origin, settings.n_minutes).astype(np.float64)
    arrival[arrival == float(UNREACHED_U16)] = np.inf
    return journey_summary((arrival - 60.0 * np.arange(settings.n_minutes)[:, None]).T, settings)[0]
