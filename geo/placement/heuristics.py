"""Fast hub placements on a cost matrix: greedy construction and fast interchange.

These give the live answer in a fraction of a second. They work on a *pair cost*
matrix (areas x sites, already multiplied by each area's demand) in which a
forbidden pairing is ``+inf``; :mod:`geo.placement.bounds` then proves how good
the answer is. Nothing here reads settings or does I/O.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


def finite_costs(pair_cost: FloatArray) -> FloatArray:
    """Return a copy with every forbidden (infinite) pairing replaced by a large penalty.

    The penalty exceeds the cost of serving every area from its worst finite
    site, so any placement with a forbidden pairing scores worse than any
    placement without one, while the arithmetic of interchange stays finite.
    """
    finite = np.isfinite(pair_cost)
    if finite.all():
        return pair_cost
    worst = float(np.where(finite, pair_cost, 0.0).max(initial=0.0))
    penalty = (worst + 1.0) * (pair_cost.shape[0] + 1) * 4.0
    return np.where(finite, pair_cost, penalty)


def placement_cost(pair_cost: FloatArray, sites: IntArray) -> float:
    """Return the total pair cost when every area uses its cheapest chosen site."""
    return float(pair_cost[:, sites].min(axis=1).sum())


def greedy_sites(pair_cost: FloatArray, n_hubs: int, *, locked: IntArray,
                 allowed: BoolArray) -> IntArray:
    """Add sites one at a time, each time the one that cuts the total cost most.

    ``locked`` sites are placed first; only ``allowed`` sites are considered.
    """
    cost = finite_costs(pair_cost)
    chosen = [int(s) for s in locked]
    free = allowed.copy()
    free[chosen] = False
    if chosen:
        best = cost[:, chosen].min(axis=1)
    else:
        first = int(np.argmin(np.where(free, cost.sum(axis=0), np.inf)))
        chosen.append(first)
        free[first] = False
        best = cost[:, first].copy()
    while len(chosen) < n_hubs:
        gain = np.maximum(best[:, None] - cost, 0.0).sum(axis=0)
        gain[~free] = -1.0
        site = int(np.argmax(gain))
        chosen.append(site)
        free[site] = False
        best = np.minimum(best, cost[:, site])
    return np.array(chosen, dtype=np.intp)


def _two_nearest(cost: FloatArray, sites: IntArray,
                 fallback: FloatArray) -> tuple[FloatArray, IntArray, FloatArray]:
    """Return each area's cheapest cost, its position in ``sites`` and its second cheapest."""
    sub = cost[:, sites]
    rows = np.arange(cost.shape[0])
    if sites.size == 1:
        return sub[:, 0].copy(), np.zeros(cost.shape[0], dtype=np.intp), fallback
    two = np.argpartition(sub, 1, axis=1)[:, :2]
    a = sub[rows, two[:, 0]]
    b = sub[rows, two[:, 1]]
    first_is_a = a <= b
    nearest = np.where(first_is_a, two[:, 0], two[:, 1]).astype(np.intp)
    return np.minimum(a, b), nearest, np.maximum(a, b)


def interchange(pair_cost: FloatArray, sites: IntArray, *, locked: IntArray,
                allowed: BoolArray, should_stop: Callable[[], bool] | None = None,
                max_swaps: int = 10_000) -> IntArray:
    """Improve ``sites`` by the best single swap (one site out, one in) until none helps.

    This is Whitaker's fast interchange (vertex substitution) in the form of
    Resende and Werneck: for every pair (site in, site out) the change in cost
    is ``loss(out) - gain(in) - extra(in, out)``, all computed with a few
    matrix operations, so each swap costs about one pass over the matrix.
    Locked sites never leave; only allowed sites enter.
    """
    cost = finite_costs(pair_cost)
    current = np.array(sites, dtype=np.intp).copy()
    movable = ~np.isin(current, locked)
    if not movable.any():
        return current
    fallback = cost.max(axis=1) + 1.0
    for _ in range(max_swaps):
        if should_stop is not None and should_stop():
            break
        d1, nearest, d2 = _two_nearest(cost, current, fallback)
        gain = np.maximum(d1[:, None] - cost, 0.0).sum(axis=0)
        loss = np.bincount(nearest, weights=d2 - d1, minlength=current.size)
        extra_by_area = np.maximum(d2[:, None] - np.maximum(cost, d1[:, None]), 0.0)
        order = np.argsort(nearest, kind="stable")
        groups = np.bincount(nearest, minlength=current.size)
        starts = np.concatenate(([0], np.cumsum(groups)[:-1]))
        extra = np.zeros((cost.shape[1], current.size))
        nonempty = groups > 0
        if nonempty.any():
            summed = np.add.reduceat(extra_by_area[order], starts[nonempty], axis=0)
            extra[:, nonempty] = summed.T
        delta = loss[None, :] - gain[:, None] - extra
        entering = allowed.copy()
        entering[current] = False
        delta[~entering, :] = np.inf
        delta[:, ~movable] = np.inf
        flat = int(np.argmin(delta))
        site_in, position = divmod(flat, current.size)
        total = float(d1.sum())
        if not delta[site_in, position] < -1e-10 * max(abs(total), 1.0) - 1e-12:
            break
        current[position] = site_in
    return current


def perturbed_search(pair_cost: FloatArray, sites: IntArray, *, locked: IntArray,
                     allowed: BoolArray, rounds: int, seed: int = 0,
                     should_stop: Callable[[], bool] | None = None) -> IntArray:
    """Escape local optima: swap a few random sites, re-run interchange, keep any gain.

    An iterated local search; ``rounds`` bounds the work so callers control time.
    """
    rng = np.random.default_rng(seed)
    cost = finite_costs(pair_cost)
    best = np.array(sites, dtype=np.intp)
    best_cost = placement_cost(cost, best)
    movable_positions = np.flatnonzero(~np.isin(best, locked))
    if movable_positions.size == 0 or allowed.sum() <= best.size:
        return best
    for round_number in range(rounds):
        if should_stop is not None and should_stop():
            break
        trial = best.copy()
        candidates = np.flatnonzero(allowed & ~np.isin(np.arange(pair_cost.shape[1]), best))
        k = min(1 + round_number % 3, movable_positions.size, candidates.size)
        positions = rng.choice(movable_positions, size=k, replace=False)
        trial[positions] = rng.choice(candidates, size=k, replace=False)
        trial = interchange(cost, trial, locked=locked, allowed=allowed,
                            should_stop=should_stop)
        trial_cost = placement_cost(cost, trial)
        if trial_cost < best_cost - 1e-9 * max(abs(best_cost), 1.0):
            best, best_cost = trial, trial_cost
    return best


def _nearest_minutes(minutes: FloatArray, sites: IntArray) -> tuple[FloatArray, IntArray, FloatArray]:
    sub = minutes[:, sites]
    if sites.size == 1:
        return sub[:, 0].copy(), np.zeros(minutes.shape[0], dtype=np.intp), np.full(
            minutes.shape[0], np.inf)
    two = np.argpartition(sub, 1, axis=1)[:, :2]
    rows = np.arange(minutes.shape[0])
    a = sub[rows, two[:, 0]]
    b = sub[rows, two[:, 1]]
    nearest = np.where(a <= b, two[:, 0], two[:, 1]).astype(np.intp)
    return np.minimum(a, b), nearest, np.maximum(a, b)


def rule_shortfall(minutes: FloatArray, sites: IntArray,
                   rules: list[tuple[FloatArray, float, float]]) -> float:
    """Return how much group weight is missing, summed over rules ``(weights, minutes, required)``."""
    best = minutes[:, sites].min(axis=1)
    return float(sum(max(0.0, required - float(weights[best <= limit].sum()))
                     for weights, limit, required in rules))


def constrained_interchange(minutes: FloatArray, demand: FloatArray, sites: IntArray, *,
                            rules: list[tuple[FloatArray, float, float]], locked: IntArray,
                            allowed: BoolArray, should_stop: Callable[[], bool] | None = None,
                            max_swaps: int = 1_000) -> IntArray:
    """Swap sites to meet coverage rules first and cut demand-weighted minutes second.

    Each rule ``(weights, limit, required)`` asks that the weight of areas whose
    nearest hub is within ``limit`` minutes reaches ``required``. Every swap is
    scored exactly (one pass over the matrix per site that could leave).
    """
    finite = np.isfinite(minutes)
    worst = float(np.where(finite, minutes, 0.0).max(initial=0.0))
    padded = np.where(finite, minutes, (worst + 1.0) * 1e3)
    current = np.array(sites, dtype=np.intp).copy()
    movable = np.flatnonzero(~np.isin(current, locked))
    scale = max(float(demand.sum()), 1.0)

    def score(best: FloatArray) -> tuple[float, float]:
        short = sum(max(0.0, required - float(weights[best <= limit].sum()))
                    for weights, limit, required in rules)
        return short, float(demand @ best)

    current_score = score(padded[:, current].min(axis=1))
    for _ in range(max_swaps):
        if should_stop is not None and should_stop():
            break
        d1, nearest, d2 = _nearest_minutes(padded, current)
        entering = allowed.copy()
        entering[current] = False
        if not entering.any() or movable.size == 0:
            break
        best_move: tuple[float, float, int, int] | None = None
        for position in movable:
            without = np.where(nearest == position, d2, d1)
            trial = np.minimum(without[:, None], padded[:, entering])
            costs = demand @ trial
            shorts = np.zeros(trial.shape[1])
            for weights, limit, required in rules:
                shorts += np.maximum(0.0, required - weights @ (trial <= limit))
            order = np.lexsort((costs, np.round(shorts / scale, 12)))
            pick = int(order[0])
            move = (float(shorts[pick]), float(costs[pick]), int(position),
                    int(np.flatnonzero(entering)[pick]))
            if best_move is None or (move[0], move[1]) < (best_move[0], best_move[1]):
                best_move = move
        assert best_move is not None
        short, cost, leaving, site = best_move
        tolerance = 1e-9 * scale
        improves = short < current_score[0] - tolerance or (
            short <= current_score[0] + tolerance
            and cost < current_score[1] - 1e-10 * max(abs(current_score[1]), 1.0))
        if not improves:
            break
        current[leaving] = site
        current_score = (short, cost)
    return current
