"""Hubs with a limited number of places: a fast search for the live answer.

Each area goes wholly to one hub, and the areas at a hub must fit its places (an area's
*load* is the people it sends; a hub's *capacity* is its places). The search:

1. assigns areas to the chosen sites twice, by *regret* (the area that would lose most by
   missing its best hub with room goes first) and from the *relaxation* that lets an area
   split between hubs, and keeps the cheaper once improved;
2. improves the assignment by moving one area, or swapping two, between hubs;
3. moves each hub to the site that serves its own areas most cheaply;
4. restarts from the best found with one or two hubs moved at random, keeping any gain;
5. makes several such walks with different random seeds, keeping the best.

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
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

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


def assign_by_relaxation(cost: FloatArray, load: FloatArray, capacity: FloatArray,
                         sites: IntArray) -> IntArray | None:
    """Give each area a position in ``sites`` from the relaxation in which an area may split.

    That relaxation is a transportation problem; its corner (simplex) answer sends every area
    but a few (at most about one per hub) wholly to one hub. Those few go, largest first, to
    the hub holding most of them that still has room, else the cheapest hub with room. When
    places are tight this starts far nearer the best assignment than regret does (on
    OR-Library's pmedcap1_20 at its optimal sites, 1,007 after improvement against regret's
    1,065; the best is 1,005). None if the relaxation has no answer or an area fits nowhere.
    """
    sub = cost[:, sites]
    n_areas, n_hubs = sub.shape
    rows, columns = np.nonzero(np.isfinite(sub))
    variables = np.arange(rows.size)
    each_area_once = csr_matrix((np.ones(rows.size), (rows, variables)), shape=(n_areas, rows.size))
    within_places = csr_matrix((load[rows], (columns, variables)), shape=(n_hubs, rows.size))
    relaxed = linprog(sub[rows, columns], A_ub=within_places, b_ub=capacity[sites],
                      A_eq=each_area_once, b_eq=np.ones(n_areas), bounds=(0.0, 1.0),
                      method="highs-ds")
    if relaxed.status != 0:
        return None
    share = np.zeros_like(sub)
    share[rows, columns] = relaxed.x
    position = np.full(n_areas, -1, dtype=np.intp)
    whole = share.max(axis=1) > 1.0 - 1e-6
    position[whole] = share[whole].argmax(axis=1)
    room = capacity[sites] - np.bincount(position[whole], weights=load[whole], minlength=n_hubs)
    for area in np.flatnonzero(~whole)[np.argsort(-load[~whole], kind="stable")]:
        preference = np.concatenate([np.argsort(-share[area], kind="stable")[:2],
                                     np.argsort(sub[area], kind="stable")])
        fitting = [hub for hub in preference
                   if np.isfinite(sub[area, hub]) and load[area] <= room[hub] + _TOLERANCE]
        if not fitting:
            return None
        position[area] = fitting[0]
        room[fitting[0]] -= load[area]
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


def cost_of_serving(cost: FloatArray, assignment: IntArray, hub: int) -> FloatArray:
    """What each site would cost to serve the areas now at ``hub`` (every area, if it has none)."""
    members = assignment == hub
    return cost[members].sum(axis=0) if members.any() else cost.sum(axis=0)


def _best_start(cost: FloatArray, load: FloatArray, capacity: FloatArray,
                sites: IntArray) -> IntArray | None:
    """The cheaper, once improved, of the regret and the relaxation assignments (None if neither fits)."""
    starts = [position for position in (assign_by_regret(cost, load, capacity, sites),
                                        assign_by_relaxation(cost, load, capacity, sites))
              if position is not None]
    improved = [improve_assignment(cost, load, capacity, sites, position) for position in starts]
    rows = np.arange(cost.shape[0])
    return min(improved, key=lambda position: float(cost[rows, sites[position]].sum()), default=None)


def _local_search(cost: FloatArray, load: FloatArray, capacity: FloatArray, sites: IntArray,
                  movable: BoolArray, allowed: BoolArray) -> CapacitatedAnswer | None:
    """Assign, improve, and move hubs to their areas' best site until nothing saves."""
    position = _best_start(cost, load, capacity, sites)
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
                       walks: int = 1,
                       should_stop: Callable[[], bool] | None = None) -> CapacitatedAnswer | None:
    """The best capacitated placement found from ``start`` (None if no start could be made to fit).

    ``start`` holds as many sites as there are hubs (locked ones among them); ``allowed``
    marks the sites a hub may move to. Makes ``walks`` independent walks from ``start``
    (random seeds ``seed``, ``seed + 1``, ...) of ``rounds`` restarts each, keeping the best:
    walks differ more from one another than rounds within one walk do. Stops at the time
    limit or when ``should_stop()`` says so.
    """
    deadline = time.perf_counter() + time_limit_seconds
    best: CapacitatedAnswer | None = None
    for walk in range(walks):
        if walk and (time.perf_counter() > deadline or (should_stop is not None and should_stop())):
            break
        found = _walk(cost, load, capacity, start, locked=locked, allowed=allowed,
                      deadline=deadline, rounds=rounds, seed=seed + walk, should_stop=should_stop)
        if found is None:
            return None
        if best is None or found.value < best.value - _TOLERANCE * max(1.0, best.value):
            best = found
    return best


def _walk(cost: FloatArray, load: FloatArray, capacity: FloatArray, start: IntArray, *,
          locked: IntArray, allowed: BoolArray, deadline: float, rounds: int, seed: int,
          should_stop: Callable[[], bool] | None) -> CapacitatedAnswer | None:
    """One walk: local search from ``start``, then ``rounds`` perturbed restarts."""
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
        totals = cost_of_serving(cost, answer.assignment, int(sites[k]))
        free = usable & ~np.isin(np.arange(cost.shape[1]), sites)
        ranked = np.flatnonzero(free)[np.argsort(totals[free], kind="stable")][:_NEAR_SITES]
        if ranked.size == 0:
            return None
        sites[k] = int(rng.choice(ranked))
    return sites
