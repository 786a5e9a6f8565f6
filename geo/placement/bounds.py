"""Certificates for p-median placements: Lagrangian bounds, reduced-cost fixing, branching.

A placement is only as useful as the promise attached to it ("within 0.01% of the
best possible"). The promise comes from a lower bound on every placement's cost:

1. Lagrangian relaxation of "each area is served once" (multipliers ``u``, one per
   area). For any ``u`` the relaxed problem is solved exactly by picking the
   ``n_hubs`` sites with the most negative reduced cost, so every ``u`` gives a
   valid bound; subgradient steps with warm starts push it up to the linear
   programming bound.
2. Reduced-cost fixing: a site (or an area-site pairing) whose forced use would
   lift the bound above the incumbent cannot appear in any better placement, so
   it is removed. This is a proof, not a heuristic, and it shrinks the problem.
3. Branch-and-bound on "site open / site closed" with the same bound at every
   node (multipliers inherited from the parent) closes what is left.

The engine works on a *pair cost* matrix (areas x sites, demand already
multiplied in, ``+inf`` where a pairing is forbidden). Optional side constraints
of the form "sum over areas of coef[area, hub] >= rhs", evaluated with each area
at its nearest hub, carry the equity rules; they are relaxed with their own
multipliers. Costs that are all whole numbers let the bound be rounded up, which
turns "within a unit" into "optimal".
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.placement.heuristics import interchange, perturbed_search

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

__all__ = ["Certificate", "SideConstraint", "certify_p_median", "placement_value"]


@dataclass(frozen=True)
class SideConstraint:
    """``sum_j coef[j, hub(j)] >= rhs`` with every area ``j`` at its nearest chosen hub.

    ``coef`` is an areas x sites matrix, zero for forbidden pairs. Equity rules
    ("at least 80% of group g within 30 minutes") take ``coef = g_j * [minutes <= 30]``.
    """

    name: str
    coef: FloatArray
    rhs: float


@dataclass(frozen=True)
class Certificate:
    """The best placement found and a proven lower bound on every placement's cost."""

    sites: IntArray
    value: float
    bound: float
    nodes: int
    iterations: int
    seconds: float
    stopped_early: bool
    sites_fixed_closed: int
    pairs_kept: int

    @property
    def gap_pct(self) -> float:
        """Return how far the value may be above the best possible, in percent of the value."""
        return relative_gap_pct(self.value, self.bound)


def relative_gap_pct(value: float, bound: float) -> float:
    """Return ``(value - bound) / |value|`` in percent, 0 when both are 0."""
    if not math.isfinite(value):
        return math.inf
    if value == bound:
        return 0.0
    return max(0.0, (value - bound) / max(abs(value), 1e-300) * 100.0)


def placement_value(pair_cost: FloatArray, sites: IntArray,
                    side: Sequence[SideConstraint] = ()) -> tuple[float, bool]:
    """Return the total pair cost of ``sites`` (each area at its cheapest) and whether it is feasible.

    A side constraint counts an area's best coefficient among the chosen sites:
    for coverage rules that is "some chosen hub within the threshold", which is
    the same as "its nearest hub within the threshold".
    """
    sites = np.asarray(sites, dtype=np.intp)
    value = float(pair_cost[:, sites].min(axis=1).sum())
    feasible = math.isfinite(value)
    for constraint in side:
        achieved = float(constraint.coef[:, sites].max(axis=1).sum())
        if achieved < constraint.rhs - 1e-9 * max(1.0, abs(constraint.rhs)):
            feasible = False
    return value, feasible


@dataclass
class _Search:
    """Mutable state of one certification run (kept inside this module)."""

    pair_cost: FloatArray
    n_hubs: int
    side: Sequence[SideConstraint]
    integral: bool
    gap_target: float
    deadline: float
    should_stop: Callable[[], bool] | None
    progress: Callable[[int, int], None] | None
    incumbent: IntArray
    upper: float
    iterations: int = 0
    stopped: bool = False
    initial_gap: float = math.inf
    reported: int = 0

    def target(self) -> float:
        """Return the bound at which a node is pruned: within the gap target of the incumbent."""
        if not math.isfinite(self.upper):
            return math.inf
        slack = self.gap_target * abs(self.upper)
        if self.integral:
            slack = max(slack, 1.0 - 1e-6)
        return self.upper - slack

    def out_of_time(self) -> bool:
        if self.stopped:
            return True
        if time.perf_counter() > self.deadline or (
                self.should_stop is not None and self.should_stop()):
            self.stopped = True
        return self.stopped

    def offer(self, sites: IntArray) -> bool:
        """Keep ``sites`` if it beats the incumbent; return whether it did."""
        value, feasible = placement_value(self.pair_cost, sites, self.side)
        margin = 1e-9 * max(1.0, abs(self.upper)) if math.isfinite(self.upper) else 0.0
        if feasible and value < self.upper - margin:
            self.upper = value
            self.incumbent = np.sort(np.asarray(sites, dtype=np.intp))
            return True
        return False

    def report(self, lower: float) -> None:
        """Tell the caller how much of the first measured gap is closed (never going back)."""
        if self.progress is None or not (math.isfinite(self.upper) and math.isfinite(lower)):
            return
        gap = max(self.upper - lower, 0.0)
        if not math.isfinite(self.initial_gap) or self.initial_gap <= 0:
            self.initial_gap = max(gap, 1e-300)
        done = 1.0 - min(gap / self.initial_gap, 1.0)
        self.reported = max(self.reported, round(99 * done))
        self.progress(self.reported, 100)


@dataclass(frozen=True)
class _Scope:
    """The areas, sites (global positions) and area-site pairs a subtree still needs.

    ``keep`` (rows x sites, None for all) marks the pairs still usable. Areas whose
    service is settled (their only usable pair is to a site forced open) leave ``rows``
    and their cost moves into ``offset``; ``settled_by`` names the forced sites already
    applied that way, so a node forcing no new site reuses the scope.
    """

    rows: IntArray
    sites: IntArray
    keep: BoolArray | None
    offset: float = 0.0
    settled_by: frozenset[int] = frozenset()


class _Relaxation:
    """The Lagrangian relaxation restricted to a scope: some areas, sites and pairs.

    ``matrix`` holds the pair costs of the scope's rows and columns with ``+inf`` for
    pairs proven useless; site indices below are positions in the scope, while the
    multipliers ``u`` stay one per area of the whole problem (areas outside the scope
    keep theirs unchanged).
    """

    def __init__(self, pair_cost: FloatArray, scope: _Scope, n_hubs: int,
                 side: Sequence[SideConstraint]) -> None:
        rows, sites = scope.rows, np.asarray(scope.sites, dtype=np.intp)
        matrix = pair_cost[np.ix_(rows, sites)]
        if scope.keep is not None:
            matrix = np.where(scope.keep, matrix, np.inf)
        self.scope = scope
        self.rows = rows
        self.all_rows = pair_cost.shape[0]
        self.offset = scope.offset
        self.sites = sites
        self.matrix = np.ascontiguousarray(matrix)
        self.columns = np.asfortranarray(matrix)
        self.buffer = np.empty_like(self.matrix)
        self.n_areas, self.n_sites = matrix.shape
        self.n_hubs = n_hubs
        finite = np.isfinite(matrix)
        # Each side row is rescaled so its largest coefficient is 1: the same rule, but its
        # subgradient is then on the scale of the areas' (at most one per area), which
        # keeps one step length sensible for both kinds of multiplier.
        scales = [max(float(np.abs(c.coef).max(initial=0.0)), 1e-300) for c in side]
        self.side_coef = [np.where(finite, c.coef[np.ix_(rows, sites)], 0.0) / scale
                          for c, scale in zip(side, scales, strict=True)]
        self.side_rhs = np.array([c.rhs / scale for c, scale in zip(side, scales, strict=True)],
                                 dtype=np.float64)
        self.pairs = int(finite.sum())

    def evaluate(self, u: FloatArray, mu: FloatArray, forced: BoolArray, free: BoolArray
                 ) -> tuple[float, FloatArray, FloatArray, IntArray, FloatArray]:
        """Return bound, subgradients (areas, side rows), chosen sites and site reduced costs."""
        reduced = self.buffer
        u_in = u[self.rows]
        np.subtract(self.matrix, u_in[:, None], out=reduced)
        for coef, weight in zip(self.side_coef, mu, strict=True):
            if weight != 0.0:
                reduced -= weight * coef
        np.minimum(reduced, 0.0, out=reduced)
        rho = reduced.sum(axis=0)
        k = self.n_hubs - int(forced.sum())
        forced_sites = np.flatnonzero(forced)
        if k > 0:
            candidates = np.where(free, rho, np.inf)
            chosen = (np.argpartition(candidates, k - 1)[:k] if k < candidates.size
                      else np.arange(candidates.size))
            sites = np.concatenate((forced_sites, chosen)).astype(np.intp)
        else:
            sites = forced_sites.astype(np.intp)
        bound = float(u_in.sum() + self.offset + mu @ self.side_rhs + rho[sites].sum())
        open_reduced = self.columns[:, sites] - u_in[:, None]
        open_coef = [coef[:, sites] for coef in self.side_coef]
        for coef, weight in zip(open_coef, mu, strict=True):
            if weight != 0.0:
                open_reduced -= weight * coef
        active = open_reduced < 0.0
        grad_u = np.zeros(self.all_rows)
        grad_u[self.rows] = 1.0 - active.sum(axis=1)
        grad_mu = np.array([self.side_rhs[r] - float(coef[active].sum())
                            for r, coef in enumerate(open_coef)], dtype=np.float64)
        return bound, grad_u, grad_mu, sites, rho


@dataclass
class _Node:
    bound: float
    forced: BoolArray
    closed: BoolArray
    u: FloatArray
    mu: FloatArray
    depth: int
    scope: _Scope | None = None


def _settled(pair_cost: FloatArray, scope: _Scope, forced: IntArray) -> _Scope:
    """Drop what sites forced open make useless: the scope for a node with ``forced`` open.

    Every area is served by its nearest open hub, so once a site is forced open an
    area never uses a pair costing more than its pair to that site: those pairs go,
    which tightens the bound as well as shrinking the work. An area left with only
    its pair to a forced site is settled: its cost joins ``offset`` and it leaves the
    rows. ``forced`` are positions in ``scope.sites``.
    """
    applied = frozenset(int(s) for s in scope.sites[forced])
    if applied <= scope.settled_by or forced.size == 0:
        return scope
    matrix = pair_cost[np.ix_(scope.rows, scope.sites)]
    if scope.keep is not None:
        matrix = np.where(scope.keep, matrix, np.inf)
    at_forced = matrix[:, forced]
    nearest = np.argmin(at_forced, axis=1)
    rows = np.arange(matrix.shape[0])
    cap = at_forced[rows, nearest]
    capped = np.isfinite(cap)
    keep = np.isfinite(matrix) & (~capped[:, None] | (matrix < cap[:, None]))
    keep[rows[capped], forced[nearest[capped]]] = True
    settled = capped & (keep.sum(axis=1) == 1)
    return _Scope(rows=scope.rows[~settled], sites=scope.sites, keep=keep[~settled],
                  offset=scope.offset + float(cap[settled].sum()),
                  settled_by=scope.settled_by | applied)


def _ascend(relax: _Relaxation, search: _Search, node: _Node, *, max_iter: int,
            patience: int, theta: float, sample_every: int = 0
            ) -> tuple[float, FloatArray, FloatArray, FloatArray, IntArray, FloatArray]:
    """Run deflected subgradient ascent from the node's multipliers; return the best bound.

    The step direction mixes the new subgradient with the previous direction
    (deflection), which damps the zig-zag of plain subgradient steps; the step
    length aims at the incumbent (Polyak) and halves when progress stalls. Also
    returns how often each site was chosen over the run: an approximation of the
    fractional LP solution that guides branching.
    """
    free = ~(node.forced | node.closed)
    u = node.u.copy()
    mu = node.mu.copy()
    best = -math.inf
    best_u, best_mu = u, mu
    best_sites = np.zeros(0, dtype=np.intp)
    best_rho = np.zeros(relax.n_sites)
    frequency = np.zeros(relax.n_sites)
    samples = 0
    since = 0
    target = search.target()
    direction_u: FloatArray | None = None
    direction_mu = np.zeros(mu.size)
    for iteration in range(max_iter):
        bound, grad_u, grad_mu, sites, rho = relax.evaluate(u, mu, node.forced, free)
        search.iterations += 1
        if iteration >= max_iter // 4:
            frequency[sites] += 1.0
            samples += 1
        if bound > best and (best == -math.inf or bound > best + 1e-12 * abs(best)):
            best, best_u, best_mu, best_sites, best_rho = bound, u, mu, sites, rho
            since = 0
            if best >= target:
                break
        else:
            since += 1
            if since > patience:
                theta *= 0.5
                since = 0
                u, mu = best_u, best_mu
                direction_u = None
                if theta < 2e-4:
                    break
                continue
        if sample_every and iteration % sample_every == 0 and sites.size == relax.n_hubs:
            search.offer(relax.sites[sites])
            target = search.target()
        if direction_u is None:
            direction_u, direction_mu = grad_u, grad_mu
        else:
            direction_u = grad_u + _DEFLECTION * direction_u
            direction_mu = grad_mu + _DEFLECTION * direction_mu
        norm = float(direction_u @ direction_u + direction_mu @ direction_mu)
        if norm == 0.0:
            break
        aim = search.upper if math.isfinite(search.upper) else bound + abs(bound) * 0.01 + 1.0
        step = theta * max(aim - bound, 1e-9 * max(1.0, abs(bound))) / norm
        u = u + step * direction_u
        if mu.size:
            mu = np.maximum(mu + step * direction_mu, 0.0)
        if iteration % 32 == 0 and search.out_of_time():
            break
    if samples:
        frequency /= samples
    return best, best_u, best_mu, best_rho, best_sites, frequency


_DEFLECTION = 0.9


def _site_tests(bound: float, rho: FloatArray, sites: IntArray, forced: BoolArray,
                free: BoolArray, n_hubs: int) -> tuple[FloatArray, FloatArray]:
    """Return, per site, the bound if it were forced open and if it were forced closed.

    Forcing a free site open swaps it for the worst free site the relaxation
    chose; forcing a chosen site closed swaps it for the best free site left out.
    Both are exact for the relaxation, so both are valid bounds.
    """
    k = n_hubs - int(forced.sum())
    chosen = np.zeros(rho.size, dtype=bool)
    chosen[sites] = True
    chosen_free = chosen & free
    if k <= 0 or not free.any():
        return np.where(forced, bound, math.inf), np.full(rho.size, bound)
    worst_in = float(rho[chosen_free].max()) if chosen_free.any() else -math.inf
    outside = rho[free & ~chosen]
    best_out = float(outside.min()) if outside.size else math.inf
    if_open = np.full(rho.size, math.inf)
    if_open[forced | chosen_free] = bound
    others = free & ~chosen
    if_open[others] = bound + rho[others] - worst_in
    if_closed = np.full(rho.size, bound)
    if_closed[chosen_free] = bound + best_out - rho[chosen_free]
    return if_open, if_closed


def _round_bound(bound: float, integral: bool) -> float:
    if integral and math.isfinite(bound):
        return float(math.ceil(bound - 1e-7))
    return bound


def certify_p_median(pair_cost: FloatArray, n_hubs: int, *, locked: IntArray, allowed: BoolArray,
                     incumbent: IntArray, side: Sequence[SideConstraint] = (),
                     gap_target_pct: float = 0.01, time_limit_seconds: float = 30.0,
                     should_stop: Callable[[], bool] | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     root_iterations: int = 2000) -> Certificate:
    """Prove how close the best placement found is to optimal, improving it on the way.

    Returns the best placement (possibly better than ``incumbent``) and a lower
    bound valid for every placement with ``n_hubs`` hubs that keeps the locked
    sites and uses only allowed ones. Stops at the gap target, at the time limit
    or when ``should_stop()`` says so, whichever comes first.
    """
    started = time.perf_counter()
    n_sites = pair_cost.shape[1]
    finite = pair_cost[np.isfinite(pair_cost)]
    integral = bool(finite.size and np.all(finite == np.round(finite)) and not side)
    search = _Search(
        pair_cost=pair_cost, n_hubs=n_hubs, side=side, integral=integral,
        gap_target=gap_target_pct / 100.0, deadline=started + time_limit_seconds,
        should_stop=should_stop, progress=progress,
        incumbent=np.sort(np.asarray(incumbent, dtype=np.intp)), upper=math.inf)
    search.offer(np.asarray(incumbent, dtype=np.intp))
    is_locked = np.zeros(n_sites, dtype=bool)
    is_locked[np.asarray(locked, dtype=np.intp)] = True
    usable = np.flatnonzero(allowed | is_locked)

    def finish(bound: float, nodes: int, fixed: int, pairs: int) -> Certificate:
        bound = min(_round_bound(bound, integral), search.upper)
        return Certificate(
            sites=search.incumbent, value=search.upper, bound=bound, nodes=nodes,
            iterations=search.iterations, seconds=time.perf_counter() - started,
            stopped_early=search.stopped and relative_gap_pct(search.upper, bound) > gap_target_pct,
            sites_fixed_closed=fixed, pairs_kept=pairs)

    if usable.size <= n_hubs:
        search.offer(usable)
        return finish(search.upper, 0, 0, 0)

    forced = is_locked[usable]
    scope = _Scope(rows=np.arange(pair_cost.shape[0]), sites=usable, keep=None)
    if not side:
        scope = _settled(pair_cost, scope, np.flatnonzero(forced))
    relax = _Relaxation(pair_cost, scope, n_hubs, side)
    u = _starting_multipliers(pair_cost, relax)
    mu = np.zeros(len(side))
    floor = math.inf  # least bound of the placements removed by fixing
    bound = -math.inf
    theta = 1.0
    polished: set[tuple[int, ...]] = set()
    # Root: ascend in rounds; after each, fix what the bound rules out and shrink.
    for phase in range(len(_ROOT_PHASES)):
        node = _Node(bound=-math.inf, forced=forced, closed=np.zeros(relax.n_sites, dtype=bool),
                     u=u, mu=mu, depth=0)
        bound, u, mu, rho, sites, _ = _ascend(
            relax, search, node, max_iter=round(root_iterations * _ROOT_PHASES[phase]), patience=60,
            theta=theta, sample_every=50)
        theta = 0.5
        key = tuple(sorted(relax.sites[sites].tolist()))
        if (phase and key not in polished and sites.size == n_hubs and not side
                and not search.out_of_time()):
            # Lagrangian heuristic: polish the relaxation's own choice of sites (and, once,
            # the incumbent from a few random restarts) among the sites still in play.
            polished.add(key)
            search.offer(_polished(pair_cost, relax, relax.sites[sites], is_locked,
                                   rounds=_RESTARTS if phase == 1 else 0,
                                   should_stop=should_stop))
        search.report(min(bound, floor))
        if bound >= search.target() or search.out_of_time():
            return finish(min(bound, floor), 1, n_sites - relax.n_sites, relax.pairs)
        reduced = _reduce(pair_cost, relax, search, bound, u, mu, rho, sites, forced)
        if reduced is None:
            return finish(min(search.upper, floor), 1, n_sites - relax.n_sites, 0)
        relax, forced, removed_floor, scope = reduced
        floor = min(floor, removed_floor)
        u = u.copy()
        if phase == len(_ROOT_PHASES) - 1:
            break
    start = _Node(bound, forced, np.zeros(relax.n_sites, dtype=bool), u, mu, 0, scope)
    nodes, proven = _branch_and_bound(pair_cost, relax, search, start)
    return finish(min(proven, floor), nodes, n_sites - relax.n_sites, relax.pairs)


_ROOT_PHASES = (0.06, 0.19, 0.25, 0.25, 0.25)  # each phase's share of the root's iterations


_RESTARTS = 4  # perturbed restarts of the interchange once the first phase has shrunk the sites


def _polished(pair_cost: FloatArray, relax: _Relaxation, start: IntArray, is_locked: BoolArray,
              *, rounds: int, should_stop: Callable[[], bool] | None) -> IntArray:
    """Improve ``start`` by interchange (and ``rounds`` perturbed restarts) within the scope's sites.

    Sites outside the scope cannot be in any placement better than the target, so the
    search looks only at the scope's columns, on every area's true cost.
    """
    columns = relax.sites
    sub = np.ascontiguousarray(pair_cost[:, columns])
    position = {int(site): k for k, site in enumerate(columns)}
    local = np.array([position[int(site)] for site in start], dtype=np.intp)
    locked = np.flatnonzero(is_locked[columns])
    allowed = np.ones(columns.size, dtype=bool)
    local = interchange(sub, local, locked=locked, allowed=allowed, should_stop=should_stop)
    if rounds:
        local = perturbed_search(sub, local, locked=locked, allowed=allowed, rounds=rounds,
                                 should_stop=should_stop)
    return columns[np.sort(local)]


def _starting_multipliers(pair_cost: FloatArray, relax: _Relaxation) -> FloatArray:
    """One multiplier per area: its second-cheapest pairing (its cheapest if it has one)."""
    u = np.zeros(pair_cost.shape[0])
    if relax.n_areas == 0:
        return u
    two = np.partition(relax.matrix, min(1, relax.n_sites - 1), axis=1)
    second = two[:, min(1, relax.n_sites - 1)]
    start = np.where(np.isfinite(second), second, two[:, 0])
    u[relax.rows] = np.where(np.isfinite(start), start, 0.0)
    return u


def _reduce(pair_cost: FloatArray, relax: _Relaxation, search: _Search, bound: float,
            u: FloatArray, mu: FloatArray, rho: FloatArray, sites: IntArray, forced: BoolArray,
            closed: BoolArray | None = None
            ) -> tuple[_Relaxation, BoolArray, float, _Scope] | None:
    """Remove sites and pairs that no placement better than the target can use.

    Sites already ``closed`` go too. Returns the smaller relaxation, the sites
    forced open (positions in it), the least bound among what the tests removed
    and the new scope; or ``None`` when some area is left with no pairing, or
    more sites are forced open than there are hubs, which proves nothing better
    than the target exists here.
    """
    closed = np.zeros(relax.n_sites, dtype=bool) if closed is None else closed
    free = ~(forced | closed)
    if_open, if_closed = _site_tests(bound, rho, sites, forced, free, relax.n_hubs)
    target = search.target()
    closing = free & (if_open >= target)
    opening_now = free & (if_closed >= target)
    floor = min(float(if_open[closing].min(initial=math.inf)),
                float(if_closed[opening_now].min(initial=math.inf)))
    forced = forced | opening_now
    if int(forced.sum()) > relax.n_hubs:
        return None
    gone = closing | closed
    # Forcing pair (j, i) costs at least max(0, reduced cost) plus the price of opening i.
    opening_price = np.maximum(np.where(np.isfinite(if_open), if_open, math.inf) - bound, 0.0)
    reduced = relax.matrix - u[relax.rows][:, None]
    for coef, weight in zip(relax.side_coef, mu, strict=True):
        if weight != 0.0:
            reduced = reduced - weight * coef
    forced_pair = bound + np.maximum(reduced, 0.0) + opening_price[None, :]
    finite = np.isfinite(relax.matrix)
    keep = (forced_pair < target) & ~gone[None, :] & finite
    dropped = finite & ~keep & ~gone[None, :]
    if dropped.any():
        floor = min(floor, float(forced_pair[dropped].min()))
    if not keep.any(axis=1).all():
        return None
    survivors = np.flatnonzero(~gone)
    scope = dataclasses.replace(relax.scope, sites=relax.sites[survivors],
                                keep=keep[:, survivors])
    forced = forced[survivors]
    if not search.side:
        scope = _settled(pair_cost, scope, np.flatnonzero(forced))
    smaller = _Relaxation(pair_cost, scope, relax.n_hubs, search.side)
    return smaller, forced, floor, scope


def _built_relaxation(built: dict[int, _Relaxation], pair_cost: FloatArray, scope: _Scope, n_hubs: int,
                      search: _Search) -> _Relaxation:
    """The relaxation for ``scope``, built once and kept in ``built`` (at most nine at a time)."""
    if id(scope) not in built:
        if len(built) > 8:
            built.clear()
        built[id(scope)] = _Relaxation(pair_cost, scope, n_hubs, search.side)
    return built[id(scope)]


def _node_relaxation(built: dict[int, _Relaxation], pair_cost: FloatArray, node: _Node,
                     relax: _Relaxation, search: _Search) -> _Relaxation:
    """The relaxation a node is bounded on: its scope's, settled by the sites it forces open."""
    if node.scope is not None:
        relax = _built_relaxation(built, pair_cost, node.scope, relax.n_hubs, search)
    if not search.side and node.forced.any():
        scope = _settled(pair_cost, relax.scope, np.flatnonzero(node.forced))
        if scope is not relax.scope:
            node.scope = scope
            relax = built[id(scope)] = _Relaxation(pair_cost, scope, relax.n_hubs, search.side)
    return relax


def _settled_without_branching(relax: _Relaxation, search: _Search, forced: np.ndarray, free: np.ndarray,
                               n_hubs: int) -> bool:
    """Whether a node needs no branching: more sites are forced open than there are hubs
    (nothing here), or the open and undecided sites are at most the hubs (offered as a placement)."""
    n_forced = int(forced.sum())
    if n_forced > n_hubs:
        return True
    if n_forced == n_hubs or n_forced + int(free.sum()) <= n_hubs:
        candidate = np.flatnonzero(forced | free)
        if candidate.size == n_hubs:
            search.offer(relax.sites[candidate])
        return True
    return False


def _branching_site(free: np.ndarray, frequency: FloatArray, sites: np.ndarray, rho: FloatArray,
                    n_sites: int) -> int:
    """The free site to branch on: the one the ascent was least sure of (open about half the
    time), else the cheapest free site of the relaxation's choice, else the first free site."""
    score = np.where(free, np.minimum(frequency, 1.0 - frequency), -1.0)
    site = int(np.argmax(score))
    if score[site] <= 0.0:
        in_relaxation = np.zeros(n_sites, dtype=bool)
        in_relaxation[sites] = True
        pick = np.where(free & in_relaxation, rho, np.inf)
        site = int(np.argmin(pick)) if np.isfinite(pick).any() else int(np.flatnonzero(free)[0])
    return site


def _branch_and_bound(pair_cost: FloatArray, relax: _Relaxation, search: _Search,
                      root: _Node) -> tuple[int, float]:
    """Best-first branch-and-bound on sites; return nodes processed and the proven bound.

    Each node ascends from its parent's multipliers, offers its relaxation's
    choice of sites as a placement, fixes sites by reduced cost, and, when that
    removes enough, hands its children a smaller relaxation.
    """
    counter = itertools.count()
    heap: list[tuple[float, int, int, _Node]] = [(root.bound, 0, next(counter), root)]
    settled = math.inf  # least bound among pruned or fixed-out parts of the tree
    processed = 0
    n_hubs = relax.n_hubs
    built: dict[int, _Relaxation] = {}
    if root.scope is not None:
        built[id(root.scope)] = relax
    while heap:
        if search.out_of_time():
            break
        bound, _, _, node = heapq.heappop(heap)
        target = search.target()
        if bound >= target:
            settled = min(settled, bound)
            continue
        processed += 1
        relax = _node_relaxation(built, pair_cost, node, relax, search)
        free = ~(node.forced | node.closed)
        if _settled_without_branching(relax, search, node.forced, free, n_hubs):
            continue
        value, u, mu, rho, sites, frequency = _ascend(
            relax, search, node, max_iter=400 if processed == 1 else 100, patience=15,
            theta=0.25)
        if sites.size == n_hubs:
            search.offer(relax.sites[sites])
        target = search.target()
        value = max(value, bound)
        if value >= target:
            settled = min(settled, value)
            continue
        scope = relax.scope
        forced, closed = node.forced, node.closed
        reduced = _reduce(pair_cost, relax, search, value, u, mu, rho, sites, forced, closed)
        if reduced is None:
            settled = min(settled, target)
            continue
        smaller, smaller_forced, removed_floor, smaller_scope = reduced
        settled = min(settled, removed_floor)
        if smaller.pairs < 0.8 * relax.pairs or smaller.n_sites < 0.8 * relax.n_sites:
            # Worth a smaller relaxation: re-express the node in it.
            keep_at = np.isin(relax.sites, smaller.sites)
            position = {int(g): k for k, g in enumerate(smaller.sites)}
            rho = np.array([rho[k] for k in np.flatnonzero(keep_at)])
            sites = np.array([position[int(g)] for g in relax.sites[sites]
                              if int(g) in position], dtype=np.intp)
            frequency = frequency[keep_at]
            relax, scope = smaller, smaller_scope
            built[id(scope)] = relax
            forced = smaller_forced
            closed = np.zeros(relax.n_sites, dtype=bool)
        else:
            if_open, if_closed = _site_tests(value, rho, sites, forced, free, n_hubs)
            closed = closed | (free & (if_open >= target))
            forced = forced | (free & (if_closed >= target))
        free = ~(forced | closed)
        if _settled_without_branching(relax, search, forced, free, n_hubs):
            continue
        if_open, if_closed = _site_tests(value, rho, sites, forced, free, n_hubs)
        site = _branching_site(free, frequency, sites, rho, relax.n_sites)
        open_child = forced.copy()
        open_child[site] = True
        close_child = closed.copy()
        close_child[site] = True
        depth = node.depth + 1
        open_bound = max(value, float(if_open[site]))
        close_bound = max(value, float(if_closed[site]))
        heapq.heappush(heap, (open_bound, -depth, next(counter),
                              _Node(open_bound, open_child, closed, u, mu, depth, scope)))
        heapq.heappush(heap, (close_bound, -depth, next(counter),
                              _Node(close_bound, forced, close_child, u, mu, depth, scope)))
        if processed % 8 == 0:
            lowest = min((entry[0] for entry in heap), default=search.upper)
            search.report(min(lowest, settled))
    lowest = min((entry[0] for entry in heap), default=math.inf)
    return processed, min(lowest, settled, search.upper)
