"""Hubs with a limited number of places: a fast search for the live answer.

Each area goes wholly to one hub, and the areas at a hub must fit its places (an area's
*load* is the people it sends; a hub's *capacity* is its places). The search:

1. assigns areas to the chosen sites by *regret* (the area that would lose most by missing
   its best hub with room goes first);
2. improves the assignment by moving one area, or swapping two, between hubs;
3. moves each hub to the site that serves its own areas most cheaply;
4. restarts from the best found with one or two hubs moved at random, keeping any gain.

It works on a cost matrix (areas x sites, demand already multiplied in, ``+inf`` where a
pairing is forbidden) and is exact about capacity: every answer it returns fits.
:func:`geo.placement.milp.capacitated_p_median` then proves how good it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CapacitatedAnswer:
    """Chosen sites (sorted columns), each area's site (a column) and the total cost."""

    sites: IntArray
    assignment: IntArray
    value: float


def assign_by_regret(cost: FloatArray, load: FloatArray, capacity: FloatArray,
                     sites: IntArray) -> IntArray | None:
    """Give each area a position in ``sites`` within the capacities, or None if it fails.

    The area with the largest regret (second-cheapest hub with room minus the cheapest)
    is placed first, at its cheapest hub with room.
    """
    sub = cost[:, sites]
    room = capacity[sites].astype(np.float64).copy()
    n_areas = sub.shape[0]
    position = np.full(n_areas, -1, dtype=np.intp)
    waiting = np.ones(n_areas, dtype=bool)
    for _ in range(n_areas):
        fits = load[:, None] <= room[None, :] + _TOLERANCE
        usable = np.where(fits & waiting[:, None], sub, np.inf)
        if usable.shape[1] > 1:
            two = np.partition(usable, 1, axis=1)[:, :2]
        else:
            two = np.column_stack([usable[:, 0], np.full(n_areas, np.inf)])
        best, second = two[:, 0], two[:, 1]
        stuck = waiting & ~np.isfinite(best)
        if stuck.any():
            return None
        with np.errstate(invalid="ignore"):
            regret = np.where(np.isfinite(second), second - best, np.inf)
        regret = np.where(waiting, regret, -np.inf)
        area = int(np.argmax(regret))
        site = int(np.argmin(usable[area]))
        position[area] = site
        room[site] -= load[area]
        waiting[area] = False
        if not waiting.any():
            break
    return position


def _shift_once(sub: FloatArray, load: FloatArray, spare: FloatArray,
                position: IntArray) -> bool:
    """Move the one area whose move to another hub with room saves most; return whether one moved."""
    rows = np.arange(sub.shape[0])
    current = sub[rows, position]
    delta = sub - current[:, None]
    fits = load[:, None] <= spare[None, :] + _TOLERANCE
    delta = np.where(fits, delta, np.inf)
    delta[rows, position] = np.inf
    flat = int(np.argmin(delta))
    area, site = divmod(flat, sub.shape[1])
    if not delta[area, site] < -_TOLERANCE * max(1.0, abs(float(current.sum()))):
        return False
    spare[position[area]] += load[area]
    spare[site] -= load[area]
    position[area] = site
    return True


def _swap_once(sub: FloatArray, load: FloatArray, spare: FloatArray,
               position: IntArray) -> bool:
    """Swap the two areas at different hubs whose exchange saves most; return whether two swapped."""
    rows = np.arange(sub.shape[0])
    current = sub[rows, position]
    at_other = sub[:, position]  # [j, k]: area j at area k's hub
    delta = at_other + at_other.T - current[:, None] - current[None, :]
    spare_at = spare[position]
    fits = ((spare_at[None, :] + load[None, :] - load[:, None] >= -_TOLERANCE)
            & (spare_at[:, None] + load[:, None] - load[None, :] >= -_TOLERANCE))
    delta = np.where(fits & (position[:, None] != position[None, :]), delta, np.inf)
    flat = int(np.argmin(delta))
    first, second = divmod(flat, sub.shape[0])
    if not delta[first, second] < -_TOLERANCE * max(1.0, abs(float(current.sum()))):
        return False
    a, b = position[first], position[second]
    spare[a] += load[first] - load[second]
    spare[b] += load[second] - load[first]
    position[first], position[second] = b, a
    return True


def improve_assignment(cost: FloatArray, load: FloatArray, capacity: FloatArray,
                       sites: IntArray, position: IntArray, *, max_moves: int = 5_000) -> IntArray:
    """Move and swap areas between the chosen hubs while that lowers the cost."""
    sub = cost[:, sites]
    position = position.copy()
    spare = capacity[sites] - np.bincount(position, weights=load, minlength=sites.size)
    for _ in range(max_moves):
        if not (_shift_once(sub, load, spare, position) or _swap_once(sub, load, spare, position)):
            break
    return position


def _recentred(cost: FloatArray, load: FloatArray, capacity: FloatArray, sites: IntArray,
               position: IntArray, movable: BoolArray, allowed: BoolArray) -> IntArray | None:
    """Move one hub to the free site that serves its own areas most cheaply, if that saves."""
    taken = np.zeros(cost.shape[1], dtype=bool)
    taken[sites] = True
    best_gain, best = 0.0, None
    for k in np.flatnonzero(movable):
        members = position == k
        if not members.any():
            continue
        totals = cost[members].sum(axis=0)
        fits = allowed & ~taken & (capacity >= load[members].sum() - _TOLERANCE)
        totals = np.where(fits, totals, np.inf)
        site = int(np.argmin(totals))
        gain = float(cost[members, sites[k]].sum() - totals[site])
        if np.isfinite(totals[site]) and gain > best_gain + _TOLERANCE * max(1.0, gain):
            best_gain, best = gain, (k, site)
    if best is None:
        return None
    moved = sites.copy()
    moved[best[0]] = best[1]
    return moved


def _local_search(cost: FloatArray, load: FloatArray, capacity: FloatArray, sites: IntArray,
                  movable: BoolArray, allowed: BoolArray) -> CapacitatedAnswer | None:
    """Assign, improve, and move hubs to their areas' best site until nothing saves."""
    position = assign_by_regret(cost, load, capacity, sites)
    if position is None:
        return None
    for _ in range(4 * sites.size + 8):
        position = improve_assignment(cost, load, capacity, sites, position)
        moved = _recentred(cost, load, capacity, sites, position, movable, allowed)
        if moved is None:
            break
        sites = moved
    assignment = sites[position]
    value = float(cost[np.arange(cost.shape[0]), assignment].sum())
    return CapacitatedAnswer(sites=np.sort(sites), assignment=assignment, value=value)


def capacitated_search(cost: FloatArray, load: FloatArray, capacity: FloatArray,
                       start: IntArray, *, locked: IntArray, allowed: BoolArray,
                       time_limit_seconds: float, rounds: int = 200, seed: int = 0,
                       should_stop: Callable[[], bool] | None = None) -> CapacitatedAnswer | None:
    """The best capacitated placement found from ``start`` (None if no start could be made to fit).

    ``start`` holds as many sites as there are hubs (locked ones among them); ``allowed``
    marks the sites a hub may move to. Stops after ``rounds`` restarts, at the time limit
    or when ``should_stop()`` says so.
    """
    deadline = time.perf_counter() + time_limit_seconds
    rng = np.random.default_rng(seed)
    sites = np.array(start, dtype=np.intp)
    movable = ~np.isin(sites, locked)
    usable = allowed.copy()
    usable[locked] = True
    best = _local_search(cost, load, capacity, sites, movable, usable)
    if best is None:
        # The start does not fit: try the sites with the most places near it instead.
        roomy = np.argsort(-np.where(usable, capacity, -np.inf), kind="stable")
        spare = [int(s) for s in roomy if s not in set(locked.tolist())][: int(movable.sum())]
        sites = np.concatenate([locked, np.array(spare, dtype=np.intp)]).astype(np.intp)
        movable = ~np.isin(sites, locked)
        best = _local_search(cost, load, capacity, sites, movable, usable)
        if best is None:
            return None
    current = best
    for round_number in range(rounds):
        if time.perf_counter() > deadline or (should_stop is not None and should_stop()):
            break
        trial = _perturbed(cost, load, capacity, current, locked, usable, rng,
                           count=1 + round_number % 2)
        if trial is None:
            break
        answer = _local_search(cost, load, capacity, trial, ~np.isin(trial, locked), usable)
        if answer is None:
            continue
        if answer.value < best.value - _TOLERANCE * max(1.0, best.value):
            best = answer
        # Walk on from answers a little worse than the current one, so the search can leave a
        # local optimum; the allowance shrinks as the rounds go by.
        allowance = _WALK_ALLOWANCE * (1.0 - round_number / rounds)
        if answer.value <= current.value * (1.0 + allowance):
            current = answer
        elif round_number % 25 == 24:
            current = best
    return best


_WALK_ALLOWANCE = 0.004  # how much worse (share of the cost) an answer the walk may move to
_NEAR_SITES = 8  # a moved hub goes to one of this many sites best placed for its own areas


def _perturbed(cost: FloatArray, load: FloatArray, capacity: FloatArray,
               answer: CapacitatedAnswer, locked: IntArray, usable: BoolArray,
               rng: np.random.Generator, *, count: int) -> IntArray | None:
    """Move ``count`` unlocked hubs each to a random one of the sites best placed for its areas."""
    sites = answer.sites.copy()
    positions = np.flatnonzero(~np.isin(sites, locked))
    if positions.size == 0:
        return None
    for k in rng.choice(positions, size=min(count, positions.size), replace=False):
        members = answer.assignment == sites[k]
        totals = cost[members].sum(axis=0) if members.any() else cost.sum(axis=0)
        free = usable & ~np.isin(np.arange(cost.shape[1]), sites)
        ranked = np.flatnonzero(free)[np.argsort(totals[free], kind="stable")][:_NEAR_SITES]
        if ranked.size == 0:
            return None
        sites[k] = int(rng.choice(ranked))
    return sites
