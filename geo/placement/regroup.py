"""Hubs with a limited number of places: improve an answer a few neighbouring hubs at a time.

When places are tight, a better placement often needs several nearby hubs to move at once
while areas shift between many hubs to make room: no single move or swap of the fast
search (:mod:`geo.placement.capacitated`) gets there. This module solves exactly a small
version of the whole problem: a *group* of neighbouring hubs may move to any of the sites
best placed for their own areas, every other hub stays where it is, and every area may go
to any hub. Each group is an exact model small enough to solve in seconds (each is cut off
at :data:`GROUP_SECONDS`, keeping the best it found); going round the hubs keeps any gain.
It runs only when the exact model could not prove the search's answer in its first share
of the time (see :func:`geo.placement.models.p_median`). On the tight problem in
tests/geo/placement/test_regroup.py it reaches the proven best in its first group, where
the search stops 0.4% short.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from geo.placement.capacitated import CapacitatedAnswer, cost_of_serving
from geo.placement.milp import capacitated_p_median

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

GROUP_SIZE = 4  # hubs re-placed together
NEAR_SITES = 15  # sites each hub of a group may move to: the best placed for its own areas
GROUP_SECONDS = 3.0  # most time one group's exact model may take


def neighbours(cost: FloatArray, answer: CapacitatedAnswer, hub: int, movable: IntArray,
               size: int) -> IntArray:
    """``hub`` and the movable hubs that would serve its areas most cheaply (``size`` in all)."""
    serving = cost_of_serving(cost, answer.assignment, hub)[movable]
    ranked = movable[np.argsort(serving, kind="stable")]
    others = [int(site) for site in ranked if site != hub]
    return np.array([hub, *others[: size - 1]], dtype=np.intp)


def candidate_sites(cost: FloatArray, answer: CapacitatedAnswer, group: IntArray,
                    allowed: BoolArray, count: int) -> BoolArray:
    """The sites each hub in ``group`` may move to: the ``count`` best placed for its areas."""
    chosen = np.zeros(cost.shape[1], dtype=bool)
    for hub in group:
        totals = np.where(allowed, cost_of_serving(cost, answer.assignment, int(hub)), np.inf)
        best = np.argsort(totals, kind="stable")[:count]
        chosen[best[np.isfinite(totals[best])]] = True
        chosen[hub] = True
    return chosen


def improve_by_groups(minutes: FloatArray, weight: FloatArray, load: FloatArray,
                      capacity: FloatArray, answer: CapacitatedAnswer, *, locked: IntArray,
                      allowed: BoolArray, time_limit_seconds: float,
                      should_stop: Callable[[], bool] | None = None) -> CapacitatedAnswer:
    """Re-place groups of neighbouring hubs exactly, going round while time is left.

    Groups start at :data:`GROUP_SIZE` hubs; when a whole round gains nothing, the groups
    grow by one hub (a wider neighbourhood), and after any gain they shrink back. ``minutes``
    and ``weight`` give the cost as in :func:`geo.placement.milp.capacitated_p_median`;
    ``answer`` must fit the capacities. Returns the best answer found (``answer`` itself if
    nothing gains in time).
    """
    deadline = time.perf_counter() + time_limit_seconds
    with np.errstate(invalid="ignore"):
        cost = np.where(np.isfinite(minutes), weight[:, None] * minutes, np.inf)
    best = answer
    n_movable = np.setdiff1d(best.sites, locked).size
    size = smallest = min(GROUP_SIZE, n_movable)
    while 0 < size <= n_movable:
        round_start = best
        tried: set[tuple[int, ...]] = set()  # groups already re-placed from this ``best``
        for hub in np.setdiff1d(best.sites, locked):
            left = deadline - time.perf_counter()
            if left <= 0 or (should_stop is not None and should_stop()):
                return best
            if hub not in best.sites:
                continue
            group = neighbours(cost, best, int(hub), np.setdiff1d(best.sites, locked), size)
            if tuple(sorted(group.tolist())) in tried:
                continue
            tried.add(tuple(sorted(group.tolist())))
            regrouped = _regrouped(minutes, weight, load, capacity, cost, best, group,
                                   allowed=allowed, seconds=min(GROUP_SECONDS, left),
                                   should_stop=should_stop)
            if regrouped is not best:
                best, tried = regrouped, set()
        size = smallest if best is not round_start else size + 1
    return best


def _regrouped(minutes: FloatArray, weight: FloatArray, load: FloatArray, capacity: FloatArray,
               cost: FloatArray, answer: CapacitatedAnswer, group: IntArray, *,
               allowed: BoolArray, seconds: float,
               should_stop: Callable[[], bool] | None) -> CapacitatedAnswer:
    """``answer`` with the hubs in ``group`` re-placed exactly, if that gains; else ``answer``."""
    staying = np.setdiff1d(answer.sites, group)
    usable = candidate_sites(cost, answer, group, allowed, NEAR_SITES)
    usable[staying] = True
    outcome = capacitated_p_median(
        minutes, weight, load, capacity, answer.sites.size, locked=staying, allowed=usable,
        time_limit_seconds=seconds, gap=0.0, should_stop=should_stop,
        start=(answer.sites, answer.assignment))
    if outcome.assignment is None:
        return answer
    value = float(cost[np.arange(cost.shape[0]), outcome.assignment].sum())
    if value < answer.value - 1e-9 * max(1.0, abs(answer.value)):
        return CapacitatedAnswer(sites=outcome.sites, assignment=outcome.assignment, value=value)
    return answer
