"""Suggest hub placements on a travel-time matrix, each with a certificate of how good it is.

Four models, all on the same inputs (``cost_matrix``: areas x candidate sites, in
minutes, NaN or inf where a site cannot be reached; ``demand``: one weight per
area such as population or need):

- :func:`p_median`: minimise demand-weighted travel time (optionally with hub
  capacities, or a cap on anyone's travel);
- :func:`max_coverage`: maximise the demand within ``threshold_minutes``;
- :func:`p_centre`: minimise the worst-served area's travel time;
- :func:`equity_p_median`: the p-median, subject to "at least X% of each chosen
  group within ``threshold_minutes``".

Every answer is a frozen :class:`Placement` carrying a proven bound (the best any
placement could do) and the gap to it, so a commissioner can be told "within
0.01% of the best possible". A fast heuristic answers first; a bounding method
(:mod:`geo.placement.bounds`, :mod:`geo.placement.milp`) then closes the gap.
Requests that cannot be met are refused before solving with
:class:`geo.errors.InfeasibleRequestError`, whose message gives the numbers.

Trade-offs: :func:`hubs_curve` (the objective for 1 to 12 hubs) and
:func:`efficiency_fairness_sweep` (mean against worst travel). Every solve takes
``progress(done, total)`` and ``should_stop() -> bool`` so a UI can run it as a
background job with a progress bar and a cancel button.

:func:`placement_inputs` is the thin adapter from a travel-time table (or dense
matrix) and an areas table to the arrays the models take.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from geo.errors import InfeasibleRequestError, PlannerInputError
from geo.placement.bounds import (
    SideConstraint,
    certify_p_median,
    placement_value,
    relative_gap_pct,
)
from geo.placement.capacitated import CapacitatedAnswer, capacitated_search
from geo.placement.heuristics import (
    constrained_interchange,
    greedy_sites,
    interchange,
    perturbed_search,
    rule_shortfall,
)
from geo.placement.milp import (
    MilpOutcome,
    capacitated_p_median,
    cover_with_hubs,
    max_coverage_milp,
)
from geo.placement.regroup import improve_by_groups

__all__ = [
    "WEIGHT_COLUMNS",
    "GroupCoverage",
    "Placement",
    "PlacementCurve",
    "PlacementInputs",
    "SiteReason",
    "efficiency_fairness_sweep",
    "equity_p_median",
    "hubs_curve",
    "max_coverage",
    "p_centre",
    "p_median",
    "place_hubs",
    "placement_inputs",
]

ProgressCallback = Callable[[int, int], None]
StopCheck = Callable[[], bool]
Objective = Literal["p-median", "coverage", "p-centre", "equity p-median"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

#: Demand weight names the adapter understands, and the areas column each reads.
WEIGHT_COLUMNS = {"population": "pop_total", "need": "need_weight"}
#: How each named weight reads in a sentence ("12,300 more people within 30 minutes").
_WEIGHT_LABELS = {"population": "people", "need": "need-weighted people"}


@dataclass(frozen=True)
class GroupCoverage:
    """How much of one group's weight is within the threshold of its hub."""

    group: str
    total: float
    within: float

    @property
    def share_pct(self) -> float:
        """Return the share within the threshold, in percent (0 for an empty group)."""
        return 100.0 * self.within / self.total if self.total > 0 else 0.0


@dataclass(frozen=True)
class SiteReason:
    """What one chosen site adds, given the other chosen sites (so removing it loses this)."""

    site: int
    locked: bool
    mean_minutes_saved: float
    demand_gained_within: float
    worst_minutes_without: float
    text: str


@dataclass(frozen=True)
class Placement:
    """One suggested set of hubs with its figures and its certificate.

    ``value`` is the model's objective in ``value_unit``. ``bound`` is proven: no
    placement meeting the same rules can do better (a lower bound when the sense
    is ``"min"``, an upper bound when it is ``"max"``). ``gap_pct`` is the
    distance between them as a percentage of ``value``. Sites, assignment and
    reasons use column positions of the cost matrix; ``assignment`` is -1 (and
    ``travel_minutes`` inf) only for an area with no demand that no chosen hub reaches.
    """

    objective: Objective
    sense: Literal["min", "max"]
    value_unit: str
    sites: tuple[int, ...]
    assignment: IntArray
    travel_minutes: FloatArray
    value: float
    bound: float
    gap_pct: float
    proven: bool
    mean_minutes: float
    max_minutes: float
    coverage: tuple[GroupCoverage, ...]
    reasons: tuple[SiteReason, ...]
    answer_seconds: float
    solve_seconds: float
    stopped_early: bool
    status: str
    n_hubs: int
    locked: tuple[int, ...]
    excluded: tuple[int, ...]
    threshold_minutes: float | None

    @property
    def lower_bound(self) -> float:
        """Return the proven best any placement could reach (alias of ``bound``)."""
        return self.bound


@dataclass(frozen=True)
class PlacementCurve:
    """A series of placements: ``kind`` is ``"hubs"`` or ``"efficiency-fairness"``."""

    kind: str
    points: tuple[Placement, ...]
    stopped_early: bool

    def table(self) -> pd.DataFrame:
        """Return one tidy row per point, ready to plot."""
        rows = [{
            "n_hubs": p.n_hubs, "objective": p.objective, "value": p.value, "bound": p.bound,
            "gap_pct": p.gap_pct, "mean_minutes": p.mean_minutes, "max_minutes": p.max_minutes,
            "coverage_pct": p.coverage[0].share_pct if p.coverage else math.nan,
            "sites": p.sites,
        } for p in self.points]
        columns = ["n_hubs", "objective", "value", "bound", "gap_pct", "mean_minutes",
                   "max_minutes", "coverage_pct", "sites"]
        return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class PlacementInputs:
    """Arrays for the models, built from tables: the output of :func:`placement_inputs`."""

    cost_matrix: FloatArray
    demand: FloatArray
    area_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    demand_label: str
    groups: Mapping[str, FloatArray] = field(default_factory=dict)


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class _Problem:
    """Checked inputs: minutes with inf for unreachable pairs, and the options."""

    minutes: FloatArray
    demand: FloatArray
    n_hubs: int
    locked: IntArray
    excluded: IntArray
    allowed: BoolArray
    threshold_minutes: float | None
    groups: Mapping[str, FloatArray]
    demand_label: str

    @property
    def usable(self) -> BoolArray:
        usable = self.allowed.copy()
        usable[self.locked] = True
        return usable


def _as_matrix(cost_matrix: ArrayLike) -> FloatArray:
    try:
        minutes = np.array(cost_matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise PlannerInputError(f"cost_matrix: expected numbers, found {error}") from error
    if minutes.ndim != 2 or 0 in minutes.shape:
        raise PlannerInputError(
            f"cost_matrix: expected a non-empty 2-D array (areas x sites), found shape "
            f"{minutes.shape}")
    negative = np.argwhere(minutes < 0)
    if negative.size:
        row, col = negative[0]
        raise PlannerInputError(
            f"cost_matrix: expected minutes >= 0, found {minutes[row, col]:g} at area row "
            f"{row}, site column {col}")
    minutes[np.isnan(minutes)] = np.inf
    return minutes


def _as_weights(values: ArrayLike, n_areas: int, name: str) -> FloatArray:
    try:
        weights = np.array(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:
        raise PlannerInputError(f"{name}: expected numbers, found {error}") from error
    if weights.size != n_areas:
        raise PlannerInputError(
            f"{name}: expected one value per area row of cost_matrix ({n_areas}), "
            f"found {weights.size}")
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if bad.size:
        raise PlannerInputError(
            f"{name}: expected finite values >= 0, found {weights[bad[0]]:g} at area row "
            f"{bad[0]}")
    return weights


def _as_sites(values: Iterable[int], n_sites: int, name: str) -> IntArray:
    sites = np.array(sorted({int(v) for v in values}), dtype=np.intp)
    outside = sites[(sites < 0) | (sites >= n_sites)]
    if outside.size:
        raise PlannerInputError(
            f"{name}: expected site columns 0..{n_sites - 1}, found {int(outside[0])}")
    return sites


def _check(cost_matrix: ArrayLike, demand: ArrayLike, *, n_hubs: int, locked: Iterable[int],
           excluded: Iterable[int], threshold_minutes: float | None,
           groups: Mapping[str, ArrayLike] | None, demand_label: str,
           need_threshold: bool = False) -> _Problem:
    """Check the inputs every model shares and refuse impossible requests with numbers."""
    minutes = _as_matrix(cost_matrix)
    n_areas, n_sites = minutes.shape
    weights = _as_weights(demand, n_areas, "demand")
    if weights.sum() <= 0:
        raise PlannerInputError("demand: expected at least one area with demand above 0, "
                                "found none")
    if isinstance(n_hubs, bool) or not isinstance(n_hubs, int | np.integer):
        raise PlannerInputError(f"n_hubs: expected a whole number, found {n_hubs!r}")
    n_hubs = int(n_hubs)
    if n_hubs < 1:
        raise InfeasibleRequestError(f"n_hubs: expected at least 1 hub, found {n_hubs}")
    locked_sites = _as_sites(locked, n_sites, "locked")
    excluded_sites = _as_sites(excluded, n_sites, "excluded")
    both = np.intersect1d(locked_sites, excluded_sites)
    if both.size:
        raise InfeasibleRequestError(
            f"site column {int(both[0])} is both locked and excluded")
    if locked_sites.size > n_hubs:
        raise InfeasibleRequestError(
            f"asked for {n_hubs} hubs with {locked_sites.size} locked sites; "
            f"n_hubs must be at least the number of locked sites")
    allowed = np.ones(n_sites, dtype=bool)
    allowed[excluded_sites] = False
    if int(allowed.sum()) < n_hubs:
        raise InfeasibleRequestError(
            f"asked for {n_hubs} hubs but only {int(allowed.sum())} of {n_sites} candidate "
            f"sites are not excluded")
    if threshold_minutes is not None:
        if not math.isfinite(threshold_minutes) or threshold_minutes <= 0:
            raise PlannerInputError(
                f"threshold_minutes: expected a number of minutes above 0, found "
                f"{threshold_minutes!r}")
        threshold_minutes = float(threshold_minutes)
    elif need_threshold:
        raise PlannerInputError("threshold_minutes: this model needs a threshold, found None")
    reachable = np.isfinite(minutes[:, allowed]).any(axis=1)
    stranded = np.flatnonzero((weights > 0) & ~reachable)
    if stranded.size:
        raise InfeasibleRequestError(
            f"area row {int(stranded[0])} has demand {weights[stranded[0]]:g} but cannot reach "
            f"any candidate site that is not excluded ({stranded.size} such areas)")
    checked_groups = {str(name): _as_weights(values, n_areas, f"groups[{name!r}]")
                      for name, values in (groups or {}).items()}
    return _Problem(minutes=minutes, demand=weights, n_hubs=n_hubs, locked=locked_sites,
                    excluded=excluded_sites, allowed=allowed,
                    threshold_minutes=threshold_minutes, groups=checked_groups,
                    demand_label=demand_label)


def _notify(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _pair_cost(problem: _Problem, minutes: FloatArray | None = None) -> FloatArray:
    """Return demand x minutes, 0 for areas without demand (so they never force a hub)."""
    minutes = problem.minutes if minutes is None else minutes
    active = problem.demand > 0
    cost = np.zeros_like(minutes)
    cost[active] = problem.demand[active, None] * minutes[active]
    return cost


def _quick_sites(pair_cost: FloatArray, problem: _Problem,
                 should_stop: StopCheck | None, rounds: int = 4) -> IntArray:
    """Return the live answer: greedy, fast interchange and a few perturbation rounds."""
    usable = problem.usable
    sites = greedy_sites(pair_cost, problem.n_hubs, locked=problem.locked, allowed=usable)
    sites = interchange(pair_cost, sites, locked=problem.locked, allowed=usable,
                        should_stop=should_stop)
    if rounds:
        sites = perturbed_search(pair_cost, sites, locked=problem.locked, allowed=usable,
                                 rounds=rounds, should_stop=should_stop)
    return np.sort(sites)


# --------------------------------------------------------------------------- results


def _readonly(array: NDArray) -> NDArray:
    array = np.array(array)
    array.setflags(write=False)
    return array


def _coverage(problem: _Problem, travel: FloatArray) -> tuple[GroupCoverage, ...]:
    if problem.threshold_minutes is None:
        return ()
    within = travel <= problem.threshold_minutes
    groups = {"demand": problem.demand, **problem.groups}
    return tuple(GroupCoverage(group=name, total=float(weights.sum()),
                               within=float(weights[within].sum()))
                 for name, weights in groups.items())


def _reasons(problem: _Problem, sites: IntArray, objective: Objective) -> tuple[SiteReason, ...]:
    """Say what each chosen site adds to the others chosen: the change if it alone were taken away."""
    minutes = problem.minutes
    demand = problem.demand
    active = demand > 0
    total = float(demand.sum())
    label = problem.demand_label
    threshold = problem.threshold_minutes
    with_all = minutes[:, sites].min(axis=1)
    reasons = []
    for site in sites:
        others = sites[sites != site]
        without = minutes[:, others].min(axis=1) if others.size else np.full(len(demand), np.inf)
        stranded = float(demand[active & ~np.isfinite(without)].sum())
        reachable = active & np.isfinite(without)
        saved = float((demand[reachable] * (without[reachable] - with_all[reachable])).sum())
        saved /= total
        gained = 0.0
        if threshold is not None:
            gained = float(demand[(with_all <= threshold) & ~(without <= threshold)].sum())
        worst_without = float(without[active].max()) if active.any() else 0.0
        clauses = []
        if stranded > 0:
            clauses.append(f"the only hub within reach of {stranded:,.0f} {label}")
        time_clause = (f"without it the others chosen would leave mean travel {saved:.1f} minutes longer "
                       f"across all {label}" if saved >= 0.05 else "the others chosen would do almost as well "
                       "without it")
        cover_clause = (f"{gained:,.0f} more {label} within {threshold:g} minutes"
                        if threshold is not None else "")
        if objective == "coverage" and cover_clause:
            clauses += [cover_clause, time_clause]
        else:
            clauses.append(time_clause)
            if cover_clause:
                clauses.append(cover_clause)
        if objective == "p-centre" and math.isfinite(worst_without):
            clauses.append(f"without it the worst journey would be {worst_without:.0f} minutes")
        is_locked = bool(np.isin(site, problem.locked))
        text = ("kept (locked); " if is_locked else "") + "; ".join(clauses)
        reasons.append(SiteReason(site=int(site), locked=is_locked, mean_minutes_saved=saved,
                                  demand_gained_within=gained,
                                  worst_minutes_without=worst_without, text=text))
    return tuple(reasons)


def _status(gap_pct: float, target_pct: float, stopped: bool, sense: str) -> str:
    if gap_pct <= target_pct + 1e-12:
        if gap_pct <= 1e-9:
            return "proved the best possible"
        return f"proved within {gap_pct:.3g}% of the best possible"
    reason = "stopped early" if stopped else "search finished"
    side = "below" if sense == "min" else "above"
    return (f"{reason}: the best possible is at most {gap_pct:.3g}% {side} this answer "
            "(not yet proved closer)")


def _placement(objective: Objective, problem: _Problem, sites: IntArray, *, value: float,
               bound: float, sense: Literal["min", "max"], value_unit: str,
               gap_target_pct: float, answer_seconds: float, started: float, stopped: bool,
               assignment: IntArray | None = None) -> Placement:
    sites = np.sort(np.asarray(sites, dtype=np.intp))
    minutes = problem.minutes
    if assignment is None:
        position = np.argmin(minutes[:, sites], axis=1)
        assignment = sites[position]
    rows = np.arange(minutes.shape[0])
    assignment = np.asarray(assignment, dtype=np.intp).copy()
    missing = assignment < 0
    if missing.any():
        assignment[missing] = sites[np.argmin(minutes[missing][:, sites], axis=1)]
    travel = minutes[rows, assignment]
    unreachable = ~np.isfinite(travel)
    assignment[unreachable] = -1
    active = problem.demand > 0
    mean = float((problem.demand[active] * travel[active]).sum() / problem.demand.sum())
    worst = float(travel[active].max())
    gap = relative_gap_pct(value, bound) if sense == "min" else relative_gap_pct(-value, -bound)
    return Placement(
        objective=objective, sense=sense, value_unit=value_unit,
        sites=tuple(int(s) for s in sites), assignment=_readonly(assignment),
        travel_minutes=_readonly(travel), value=float(value), bound=float(bound),
        gap_pct=gap, proven=gap <= gap_target_pct + 1e-12, mean_minutes=mean,
        max_minutes=worst, coverage=_coverage(problem, travel),
        reasons=_reasons(problem, sites, objective), answer_seconds=answer_seconds,
        solve_seconds=time.perf_counter() - started, stopped_early=stopped,
        status=_status(gap, gap_target_pct, stopped, sense), n_hubs=problem.n_hubs,
        locked=tuple(int(s) for s in problem.locked),
        excluded=tuple(int(s) for s in problem.excluded),
        threshold_minutes=problem.threshold_minutes)


# --------------------------------------------------------------------------- models


def p_median(cost_matrix: ArrayLike, demand: ArrayLike, *, n_hubs: int,
             locked: Iterable[int] = (), excluded: Iterable[int] = (),
             capacity: ArrayLike | None = None, load: ArrayLike | None = None,
             max_minutes: float | None = None, threshold_minutes: float | None = None,
             groups: Mapping[str, ArrayLike] | None = None, demand_label: str = "people",
             gap_target_pct: float = 0.01, time_limit_seconds: float = 20.0,
             progress: ProgressCallback | None = None,
             should_stop: StopCheck | None = None) -> Placement:
    """Choose ``n_hubs`` sites minimising demand-weighted travel time (the p-median).

    ``capacity`` (one value per site, in the units of ``load``, which defaults
    to ``demand``) keeps each hub's load within its capacity, each area wholly
    at one hub; capacitated requests suit small problems: a fast search
    (:mod:`geo.placement.capacitated`) answers, the exact MILP tries to prove it in 60% of
    the time, and if it cannot, neighbouring hubs are re-placed a few at a time
    (:mod:`geo.placement.regroup`) before a second proof. ``max_minutes`` forbids any
    area with demand from being further than that from its hub. ``threshold_minutes`` and ``groups`` only add
    coverage figures to the result. The value is the total of demand x minutes;
    its unit is "demand-weighted minutes".
    """
    started = time.perf_counter()
    problem = _check(cost_matrix, demand, n_hubs=n_hubs, locked=locked, excluded=excluded,
                     threshold_minutes=threshold_minutes, groups=groups,
                     demand_label=demand_label)
    _notify(progress, 0, 100)
    minutes = problem.minutes
    if max_minutes is not None:
        minutes = _capped_minutes(problem, max_minutes)
    if capacity is not None:
        return _capacitated(problem, minutes, capacity, load, gap_target_pct,
                            time_limit_seconds, progress, should_stop, started)
    pair_cost = _pair_cost(problem, minutes)
    rows = problem.demand > 0
    sites = _quick_sites(pair_cost[rows], problem, should_stop, rounds=0)
    answer_seconds = time.perf_counter() - started
    _notify(progress, 5, 100)
    certificate = certify_p_median(
        pair_cost[rows], problem.n_hubs, locked=problem.locked, allowed=problem.usable,
        incumbent=sites, gap_target_pct=gap_target_pct,
        time_limit_seconds=max(time_limit_seconds - answer_seconds, 0.05),
        should_stop=should_stop, progress=_scaled(progress, 5, 100))
    if not math.isfinite(certificate.value):
        found = ("none exists" if not certificate.stopped_early
                 else f"none found in {time_limit_seconds:g} s")
        raise InfeasibleRequestError(
            f"max_minutes: no placement of {problem.n_hubs} hubs keeps every area with demand "
            f"within {max_minutes:g} minutes ({found})")
    _notify(progress, 100, 100)
    capped = problem if max_minutes is None else _with_minutes(problem, minutes)
    return _placement("p-median", capped, certificate.sites, value=certificate.value,
                      bound=certificate.bound, sense="min",
                      value_unit="demand-weighted minutes", gap_target_pct=gap_target_pct,
                      answer_seconds=answer_seconds, started=started,
                      stopped=certificate.stopped_early)


def _with_minutes(problem: _Problem, minutes: FloatArray) -> _Problem:
    return _Problem(minutes=minutes, demand=problem.demand, n_hubs=problem.n_hubs,
                    locked=problem.locked, excluded=problem.excluded, allowed=problem.allowed,
                    threshold_minutes=problem.threshold_minutes, groups=problem.groups,
                    demand_label=problem.demand_label)


def _capped_minutes(problem: _Problem, max_minutes: float) -> FloatArray:
    """Forbid pairs beyond ``max_minutes``; refuse if an area with demand has no site left."""
    if not math.isfinite(max_minutes) or max_minutes <= 0:
        raise PlannerInputError(
            f"max_minutes: expected a number of minutes above 0, found {max_minutes!r}")
    minutes = np.where(problem.minutes <= max_minutes, problem.minutes, np.inf)
    usable = problem.usable
    nearest = problem.minutes[:, usable].min(axis=1)
    too_far = np.flatnonzero((problem.demand > 0) & (nearest > max_minutes))
    if too_far.size:
        row = int(too_far[0])
        raise InfeasibleRequestError(
            f"max_minutes: area row {row} has no candidate site within {max_minutes:g} "
            f"minutes (its nearest is {nearest[row]:.1f}); {too_far.size} areas are like this")
    return minutes


def _scaled(progress: ProgressCallback | None, low: int, high: int
            ) -> ProgressCallback | None:
    """Map a sub-task's progress onto ``low..high`` of 100."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        share = done / total if total else 1.0
        progress(low + round((high - low) * share), 100)

    return report


def _capacitated(problem: _Problem, minutes: FloatArray, capacity: ArrayLike,
                 load: ArrayLike | None, gap_target_pct: float, time_limit_seconds: float,
                 progress: ProgressCallback | None, should_stop: StopCheck | None,
                 started: float) -> Placement:
    n_areas, n_sites = minutes.shape
    capacities = _as_weights(capacity, n_sites, "capacity") if np.size(capacity) == n_sites \
        else None
    if capacities is None:
        raise PlannerInputError(
            f"capacity: expected one value per site column of cost_matrix ({n_sites}), found "
            f"{np.size(capacity)}")
    loads = problem.demand if load is None else _as_weights(load, n_areas, "load")
    usable = problem.usable
    free = np.flatnonzero(problem.allowed & ~np.isin(np.arange(n_sites), problem.locked))
    n_free = problem.n_hubs - problem.locked.size
    best_room = float(capacities[problem.locked].sum()
                      + np.sort(capacities[free])[::-1][:n_free].sum())
    if best_room < loads.sum():
        raise InfeasibleRequestError(
            f"capacity: the {problem.n_hubs} largest usable capacities sum to {best_room:,.0f} "
            f"but the total load is {loads.sum():,.0f}")
    biggest = float(capacities[usable].max())
    heavy = np.flatnonzero(loads > biggest)
    if heavy.size:
        raise InfeasibleRequestError(
            f"capacity: area row {int(heavy[0])} has load {loads[heavy[0]]:g}, more than the "
            f"largest usable capacity ({biggest:g})")
    heuristic_seconds = min(_CAPACITATED_SEARCH_SHARE * time_limit_seconds, 30.0)
    found = _capacitated_answer(problem, minutes, loads, capacities, heuristic_seconds,
                                should_stop)
    answer_seconds = time.perf_counter() - started
    _notify(progress, 30, 100)

    def prove(start: CapacitatedAnswer | None, until_share: float) -> MilpOutcome:
        seconds = until_share * time_limit_seconds - (time.perf_counter() - started)
        return capacitated_p_median(
            minutes, problem.demand, loads, capacities, problem.n_hubs, locked=problem.locked,
            allowed=usable, time_limit_seconds=max(seconds, 0.05), gap=gap_target_pct / 100.0,
            should_stop=should_stop,
            start=None if start is None else (start.sites, start.assignment))

    # Most problems are proven from the search's answer; only those that are not get the
    # regrouping step (geo.placement.regroup) and a second, shorter proof from its answer.
    outcome = prove(found, _CAPACITATED_FIRST_PROOF_UNTIL)
    best = _better_capacitated(found, outcome)
    bound = outcome.bound
    if not outcome.finished and not (should_stop and should_stop()):
        _notify(progress, 60, 100)
        if best is not None:
            best = improve_by_groups(
                minutes, problem.demand, loads, capacities, best, locked=problem.locked,
                allowed=usable, should_stop=should_stop,
                time_limit_seconds=_CAPACITATED_GROUPS_UNTIL * time_limit_seconds
                - (time.perf_counter() - started))
        outcome = prove(best, 1.0)  # with no answer yet, the rest of the time to find one
        best = _better_capacitated(best, outcome)
        bound = max(bound, outcome.bound)
    if best is None:
        raise InfeasibleRequestError(
            f"capacity: found no way to serve every area with {problem.n_hubs} hubs within "
            f"their capacities in {time_limit_seconds:g} s"
            + (" (proven impossible)" if outcome.finished else ""))
    _notify(progress, 100, 100)
    return _placement("p-median", _with_minutes(problem, minutes), best.sites,
                      value=best.value, bound=min(bound, best.value), sense="min",
                      value_unit="demand-weighted minutes", gap_target_pct=gap_target_pct,
                      answer_seconds=answer_seconds, started=started,
                      stopped=not outcome.finished, assignment=best.assignment)


def _better_capacitated(found: CapacitatedAnswer | None,
                        outcome: MilpOutcome) -> CapacitatedAnswer | None:
    """The cheaper of the search's answer and the exact model's (None if neither has one)."""
    if outcome.assignment is None or outcome.sites.size == 0:
        return found
    if found is not None and found.value <= outcome.value:
        return found
    return CapacitatedAnswer(sites=outcome.sites, assignment=outcome.assignment,
                             value=outcome.value)


_CAPACITATED_SEARCH_SHARE = 0.4  # of the time limit, for the fast search before the exact model
_CAPACITATED_WALKS = 8  # independent walks of the fast search (about 1 s each at 100 areas)
_CAPACITATED_ROUNDS = 100  # perturbed restarts in each walk
_CAPACITATED_FIRST_PROOF_UNTIL = 0.6  # share of the time limit by which the first proof stops
_CAPACITATED_GROUPS_UNTIL = 0.8  # ... and the regrouping step, if the first proof did not finish


def _capacitated_answer(problem: _Problem, minutes: FloatArray, loads: FloatArray,
                        capacities: FloatArray, seconds: float,
                        should_stop: StopCheck | None) -> CapacitatedAnswer | None:
    """The fast search's capacitated placement, started from the uncapacitated answer."""
    pair_cost = _pair_cost(problem, minutes)
    idle = (problem.demand <= 0) & (loads <= 0)
    pair_cost[idle] = np.where(np.isfinite(minutes[idle]), 0.0, np.inf)
    pair_cost[idle & ~np.isfinite(minutes).any(axis=1)] = 0.0  # goes nowhere, weighs nothing
    start = _quick_sites(pair_cost, problem, should_stop, rounds=0)
    return capacitated_search(pair_cost, loads, capacities, start, locked=problem.locked,
                              allowed=problem.usable, time_limit_seconds=seconds,
                              rounds=_CAPACITATED_ROUNDS, walks=_CAPACITATED_WALKS,
                              should_stop=should_stop)


def max_coverage(cost_matrix: ArrayLike, demand: ArrayLike, *, n_hubs: int,
                 threshold_minutes: float, locked: Iterable[int] = (),
                 excluded: Iterable[int] = (), groups: Mapping[str, ArrayLike] | None = None,
                 demand_label: str = "people", gap_target_pct: float = 0.01,
                 time_limit_seconds: float = 20.0, progress: ProgressCallback | None = None,
                 should_stop: StopCheck | None = None) -> Placement:
    """Choose ``n_hubs`` sites covering the most demand within ``threshold_minutes``.

    Among placements covering the same demand, the one with the lower
    demand-weighted travel is preferred where the search finds it. The value is
    the demand covered; the bound is the most any placement could cover.
    """
    started = time.perf_counter()
    problem = _check(cost_matrix, demand, n_hubs=n_hubs, locked=locked, excluded=excluded,
                     threshold_minutes=threshold_minutes, groups=groups,
                     demand_label=demand_label, need_threshold=True)
    _notify(progress, 0, 100)
    threshold = float(threshold_minutes)
    cover = problem.minutes <= threshold
    uncovered = np.where(cover, 0.0, problem.demand[:, None])
    sites = _quick_sites(uncovered, problem, should_stop, rounds=2)
    answer_seconds = time.perf_counter() - started
    _notify(progress, 10, 100)
    outcome = max_coverage_milp(
        cover, problem.demand, problem.n_hubs, locked=problem.locked, allowed=problem.usable,
        incumbent=sites, time_limit_seconds=max(time_limit_seconds - answer_seconds, 0.05),
        gap=gap_target_pct / 100.0, should_stop=should_stop)
    chosen = _prefer_shorter_travel(problem, outcome.sites, cover)
    value = float(problem.demand[cover[:, chosen].any(axis=1)].sum())
    _notify(progress, 100, 100)
    return _placement("coverage", problem, chosen, value=value, bound=max(outcome.bound, value),
                      sense="max", value_unit=f"{demand_label} within {threshold:g} minutes",
                      gap_target_pct=gap_target_pct, answer_seconds=answer_seconds,
                      started=started, stopped=not outcome.finished)


def _prefer_shorter_travel(problem: _Problem, sites: IntArray, cover: BoolArray) -> IntArray:
    """Among swaps that keep every covered area covered, take those that cut travel."""
    covered = problem.demand[cover[:, sites].any(axis=1)].sum()
    rules = [(problem.demand, float(problem.threshold_minutes or 0.0), float(covered))]
    better = constrained_interchange(problem.minutes, problem.demand, sites, rules=rules,
                                     locked=problem.locked, allowed=problem.usable,
                                     max_swaps=50)
    if problem.demand[cover[:, better].any(axis=1)].sum() >= covered - 1e-9:
        return np.sort(better)
    return np.sort(sites)


def p_centre(cost_matrix: ArrayLike, demand: ArrayLike, *, n_hubs: int,
             locked: Iterable[int] = (), excluded: Iterable[int] = (),
             threshold_minutes: float | None = None,
             groups: Mapping[str, ArrayLike] | None = None, demand_label: str = "people",
             gap_target_pct: float = 0.01, time_limit_seconds: float = 20.0,
             progress: ProgressCallback | None = None,
             should_stop: StopCheck | None = None) -> Placement:
    """Choose ``n_hubs`` sites minimising the worst travel time of any area with demand.

    Areas with zero demand do not count. Among placements with the same worst
    journey, the one with the lowest demand-weighted travel is chosen (a second,
    time-limited p-median). The value is the worst journey in minutes; the bound
    is the largest radius proven impossible to serve everyone within, rounded up
    to the next travel time in the matrix.
    """
    started = time.perf_counter()
    problem = _check(cost_matrix, demand, n_hubs=n_hubs, locked=locked, excluded=excluded,
                     threshold_minutes=threshold_minutes, groups=groups,
                     demand_label=demand_label)
    _notify(progress, 0, 100)
    rows = problem.demand > 0
    minutes = problem.minutes[rows]
    usable = problem.usable
    deadline = started + time_limit_seconds
    # A quick answer: the p-median heuristic on travel time raised to a high power
    # leans hard on the longest journeys.
    scale = float(np.nanmax(np.where(np.isfinite(minutes), minutes, np.nan)))
    stretched = np.where(np.isfinite(minutes), (minutes / max(scale, 1e-9)) ** 8, np.inf)
    sites = _quick_sites(stretched, problem, should_stop,
                         rounds=2)
    best_radius = float(minutes[:, sites].min(axis=1).max())
    answer_seconds = time.perf_counter() - started
    lowest = float(minutes[:, usable].min(axis=1).max())
    radii = np.unique(minutes[:, usable][np.isfinite(minutes[:, usable])])
    radii = radii[(radii >= lowest) & (radii <= best_radius)]
    low, high = 0, int(np.searchsorted(radii, best_radius))
    proven_low = lowest  # every radius below this is impossible
    stopped = False
    steps = max(1, math.ceil(math.log2(max(high - low + 1, 2))))
    done = 0
    while low < high:
        if (should_stop is not None and should_stop()) or time.perf_counter() > deadline:
            stopped = True
            break
        middle = (low + high) // 2
        radius = float(radii[middle])
        feasible, chosen = cover_with_hubs(
            minutes <= radius, problem.n_hubs, locked=problem.locked, allowed=usable,
            time_limit_seconds=max(deadline - time.perf_counter(), 0.05),
            should_stop=should_stop)
        if feasible is None:
            stopped = True
            break
        if feasible:
            high = middle
            sites = _fill(chosen, problem)
            best_radius = float(minutes[:, sites].min(axis=1).max())
            high = min(high, int(np.searchsorted(radii, best_radius)))
        else:
            low = middle + 1
            proven_low = float(radii[low]) if low < radii.size else best_radius
        done += 1
        _notify(progress, min(80, int(80 * done / steps)), 100)
    if low >= high:
        proven_low = best_radius
    # Second stage: the most efficient placement that keeps the worst journey.
    remaining = deadline - time.perf_counter()
    if remaining > 0.05 and not stopped:
        capped = np.where(problem.minutes <= best_radius, problem.minutes, np.inf)
        pair_cost = _pair_cost(problem, capped)[rows]
        certificate = certify_p_median(
            pair_cost, problem.n_hubs, locked=problem.locked, allowed=usable,
            incumbent=sites, gap_target_pct=gap_target_pct, time_limit_seconds=remaining,
            should_stop=should_stop)
        if math.isfinite(certificate.value):
            sites = certificate.sites
    _notify(progress, 100, 100)
    value = float(minutes[:, sites].min(axis=1).max())
    return _placement("p-centre", problem, sites, value=value, bound=min(proven_low, value),
                      sense="min", value_unit="minutes (worst journey)",
                      gap_target_pct=gap_target_pct, answer_seconds=answer_seconds,
                      started=started, stopped=stopped)


def _fill(chosen: IntArray, problem: _Problem) -> IntArray:
    """Top a covering set up to ``n_hubs`` sites (extra hubs never lengthen a journey)."""
    chosen = np.union1d(chosen, problem.locked).astype(np.intp)
    if chosen.size >= problem.n_hubs:
        return chosen[:problem.n_hubs] if chosen.size > problem.n_hubs else chosen
    pair_cost = _pair_cost(problem)
    best = pair_cost[:, chosen].min(axis=1)
    spare = np.flatnonzero(problem.usable & ~np.isin(np.arange(pair_cost.shape[1]), chosen))
    extra = []
    for _ in range(problem.n_hubs - chosen.size):
        gain = np.maximum(best[:, None] - pair_cost[:, spare], 0.0).sum(axis=0)
        pick = int(np.argmax(gain))
        extra.append(int(spare[pick]))
        best = np.minimum(best, pair_cost[:, spare[pick]])
        spare = np.delete(spare, pick)
    return np.sort(np.concatenate((chosen, np.array(extra, dtype=np.intp))))


def equity_p_median(cost_matrix: ArrayLike, demand: ArrayLike, *, n_hubs: int,
                    threshold_minutes: float, groups: Mapping[str, ArrayLike],
                    min_share_pct: float | Mapping[str, float],
                    locked: Iterable[int] = (), excluded: Iterable[int] = (),
                    demand_label: str = "people", gap_target_pct: float = 0.01,
                    time_limit_seconds: float = 20.0, progress: ProgressCallback | None = None,
                    should_stop: StopCheck | None = None) -> Placement:
    """Minimise demand-weighted travel with at least ``min_share_pct`` of each group nearby.

    ``groups`` maps a group name to one weight per area (for example women, young
    people, black and minority ethnic residents); ``min_share_pct`` is one
    percentage for every group or one per group name. "Nearby" means the area's
    hub is within ``threshold_minutes``. A request no placement could meet even
    with every candidate site open is refused before solving.
    """
    started = time.perf_counter()
    if not groups:
        raise PlannerInputError("groups: expected at least one group, found none")
    problem = _check(cost_matrix, demand, n_hubs=n_hubs, locked=locked, excluded=excluded,
                     threshold_minutes=threshold_minutes, groups=groups,
                     demand_label=demand_label, need_threshold=True)
    threshold = float(threshold_minutes)
    shares = _shares(min_share_pct, problem.groups)
    usable = problem.usable
    reachable = (problem.minutes[:, usable] <= threshold).any(axis=1)
    rules: list[tuple[FloatArray, float, float]] = []
    side: list[SideConstraint] = []
    within = problem.minutes <= threshold
    for name, weights in problem.groups.items():
        total = float(weights.sum())
        required = shares[name] / 100.0 * total
        best_possible = float(weights[reachable].sum())
        if best_possible < required - 1e-9 * max(total, 1.0):
            raise InfeasibleRequestError(
                f"min_share_pct[{name!r}]: asked for {shares[name]:g}% of {name} within "
                f"{threshold:g} minutes, but even with every usable site open only "
                f"{100.0 * best_possible / total:.1f}% is within reach")
        rules.append((weights, threshold, required))
        side.append(SideConstraint(name=name, coef=weights[:, None] * within, rhs=required))
    _notify(progress, 0, 100)
    pair_cost = _pair_cost(problem)
    start = _quick_sites(pair_cost, problem, should_stop, rounds=0)
    sites = constrained_interchange(problem.minutes, problem.demand, start, rules=rules,
                                    locked=problem.locked, allowed=usable,
                                    should_stop=should_stop)
    answer_seconds = time.perf_counter() - started
    _notify(progress, 10, 100)
    certificate = certify_p_median(
        pair_cost, problem.n_hubs, locked=problem.locked, allowed=usable, incumbent=sites,
        side=side, gap_target_pct=gap_target_pct,
        time_limit_seconds=max(time_limit_seconds - answer_seconds, 0.05),
        should_stop=should_stop, progress=_scaled(progress, 10, 100))
    if not math.isfinite(certificate.value):
        short = rule_shortfall(problem.minutes, sites, rules)
        raise InfeasibleRequestError(
            f"min_share_pct: found no placement of {problem.n_hubs} hubs meeting every group's "
            f"share within {threshold:g} minutes (the closest still misses "
            f"{short:,.0f} weight in total)"
            + (" and none exists" if not certificate.stopped_early else ""))
    _notify(progress, 100, 100)
    value, _ = placement_value(pair_cost, certificate.sites)
    return _placement("equity p-median", problem, certificate.sites, value=value,
                      bound=certificate.bound, sense="min",
                      value_unit="demand-weighted minutes", gap_target_pct=gap_target_pct,
                      answer_seconds=answer_seconds, started=started,
                      stopped=certificate.stopped_early)


def _shares(min_share_pct: float | Mapping[str, float],
            groups: Mapping[str, FloatArray]) -> dict[str, float]:
    if isinstance(min_share_pct, Mapping):
        missing = [name for name in groups if name not in min_share_pct]
        if missing:
            raise PlannerInputError(
                f"min_share_pct: expected a share for every group, missing {missing[0]!r}")
        shares = {name: float(min_share_pct[name]) for name in groups}
    else:
        shares = {name: float(min_share_pct) for name in groups}
    for name, share in shares.items():
        if not 0.0 <= share <= 100.0:
            raise PlannerInputError(
                f"min_share_pct[{name!r}]: expected a percentage 0-100, found {share:g}")
    return shares


def place_hubs(cost_matrix: ArrayLike, demand: ArrayLike, *, objective: Objective,
               n_hubs: int, threshold_minutes: float | None = None,
               locked: Iterable[int] = (), excluded: Iterable[int] = (),
               groups: Mapping[str, ArrayLike] | None = None,
               min_share_pct: float | Mapping[str, float] | None = None,
               capacity: ArrayLike | None = None, load: ArrayLike | None = None,
               demand_label: str = "people",
               gap_target_pct: float = 0.01, time_limit_seconds: float = 20.0,
               progress: ProgressCallback | None = None,
               should_stop: StopCheck | None = None) -> Placement:
    """Run the named model: one entry point for a UI control that offers all four."""
    if capacity is not None and objective != "p-median":
        raise PlannerInputError(
            f"capacity: hub capacities apply to the p-median objective, found {objective!r}")
    if objective == "p-median":
        return p_median(cost_matrix, demand, n_hubs=n_hubs, locked=locked, excluded=excluded,
                        capacity=capacity, load=load, threshold_minutes=threshold_minutes, groups=groups,
                        demand_label=demand_label, gap_target_pct=gap_target_pct,
                        time_limit_seconds=time_limit_seconds, progress=progress,
                        should_stop=should_stop)
    if objective == "coverage":
        if threshold_minutes is None:
            raise PlannerInputError("threshold_minutes: coverage needs a threshold, found None")
        return max_coverage(cost_matrix, demand, n_hubs=n_hubs,
                            threshold_minutes=threshold_minutes, locked=locked,
                            excluded=excluded, groups=groups, demand_label=demand_label,
                            gap_target_pct=gap_target_pct, time_limit_seconds=time_limit_seconds,
                            progress=progress, should_stop=should_stop)
    if objective == "p-centre":
        return p_centre(cost_matrix, demand, n_hubs=n_hubs, locked=locked, excluded=excluded,
                        threshold_minutes=threshold_minutes, groups=groups,
                        demand_label=demand_label, gap_target_pct=gap_target_pct,
                        time_limit_seconds=time_limit_seconds, progress=progress,
                        should_stop=should_stop)
    if objective == "equity p-median":
        if threshold_minutes is None or groups is None or min_share_pct is None:
            raise PlannerInputError(
                "equity p-median: expected threshold_minutes, groups and min_share_pct")
        return equity_p_median(cost_matrix, demand, n_hubs=n_hubs,
                               threshold_minutes=threshold_minutes, groups=groups,
                               min_share_pct=min_share_pct, locked=locked, excluded=excluded,
                               demand_label=demand_label, gap_target_pct=gap_target_pct,
                               time_limit_seconds=time_limit_seconds, progress=progress,
                               should_stop=should_stop)
    raise PlannerInputError(
        f"objective: expected one of 'p-median', 'coverage', 'p-centre', 'equity p-median', "
        f"found {objective!r}")


# --------------------------------------------------------------------------- trade-offs


def hubs_curve(cost_matrix: ArrayLike, demand: ArrayLike, *, hubs: Sequence[int] = range(1, 13),
               objective: Objective = "p-median", threshold_minutes: float | None = None,
               locked: Iterable[int] = (), excluded: Iterable[int] = (),
               groups: Mapping[str, ArrayLike] | None = None, demand_label: str = "people",
               gap_target_pct: float = 0.01, time_limit_seconds: float = 60.0,
               progress: ProgressCallback | None = None,
               should_stop: StopCheck | None = None) -> PlacementCurve:
    """Solve the objective for each hub count in ``hubs``: "how many hubs are worth it?".

    Counts below the number of locked sites or above the usable sites are
    skipped. ``time_limit_seconds`` is shared across the points.
    """
    locked_list = list(locked)
    excluded_list = list(excluded)
    n_sites = np.shape(cost_matrix)[1] if np.ndim(cost_matrix) == 2 else 0
    usable = n_sites - len(set(excluded_list))
    counts = [int(k) for k in hubs if len(set(locked_list)) <= int(k) <= usable and int(k) >= 1]
    if not counts:
        raise InfeasibleRequestError(
            f"hubs: no count in {list(hubs)} fits {len(set(locked_list))} locked and "
            f"{usable} usable sites")
    points: list[Placement] = []
    started = time.perf_counter()
    stopped = False
    for index, count in enumerate(counts):
        if should_stop is not None and should_stop():
            stopped = True
            break
        remaining = time_limit_seconds - (time.perf_counter() - started)
        share = max(remaining / (len(counts) - index), 0.05)
        points.append(place_hubs(
            cost_matrix, demand, objective=objective, n_hubs=count,
            threshold_minutes=threshold_minutes, locked=locked_list, excluded=excluded_list,
            groups=groups, demand_label=demand_label, gap_target_pct=gap_target_pct,
            time_limit_seconds=share, should_stop=should_stop))
        _notify(progress, index + 1, len(counts))
    return PlacementCurve(kind="hubs", points=tuple(points), stopped_early=stopped)


def efficiency_fairness_sweep(cost_matrix: ArrayLike, demand: ArrayLike, *, n_hubs: int,
                              n_points: int = 6, locked: Iterable[int] = (),
                              excluded: Iterable[int] = (),
                              threshold_minutes: float | None = None,
                              groups: Mapping[str, ArrayLike] | None = None,
                              demand_label: str = "people", gap_target_pct: float = 0.01,
                              time_limit_seconds: float = 60.0,
                              progress: ProgressCallback | None = None,
                              should_stop: StopCheck | None = None) -> PlacementCurve:
    """Trace placements from most efficient (p-median) to fairest (p-centre).

    In between, each point is the most efficient placement whose worst journey
    stays within a cap, the caps spread evenly between the two ends. Reading
    ``mean_minutes`` against ``max_minutes`` along the points shows the price
    of fairness.
    """
    if n_points < 2:
        raise PlannerInputError(f"n_points: expected at least 2, found {n_points}")
    locked_list = list(locked)
    excluded_list = list(excluded)
    started = time.perf_counter()
    budget = time_limit_seconds / n_points

    def solve(model: Callable[..., Placement], seconds: float, **extra: float) -> Placement:
        return model(cost_matrix, demand, n_hubs=n_hubs, locked=locked_list,
                     excluded=excluded_list, threshold_minutes=threshold_minutes, groups=groups,
                     demand_label=demand_label, gap_target_pct=gap_target_pct,
                     time_limit_seconds=seconds, should_stop=should_stop, **extra)

    efficient = solve(p_median, budget)
    _notify(progress, 1, n_points)
    fairest = solve(p_centre, budget)
    _notify(progress, 2, n_points)
    points = [efficient]
    stopped = bool(should_stop is not None and should_stop())
    caps = np.linspace(efficient.max_minutes, fairest.max_minutes, n_points)[1:-1]
    previous = efficient.max_minutes
    for index, cap in enumerate(caps):
        if should_stop is not None and should_stop():
            stopped = True
            break
        if cap >= previous - 1e-9:
            continue
        remaining = time_limit_seconds - (time.perf_counter() - started)
        share = max(remaining / (len(caps) - index + 1), 0.05)
        try:
            point = solve(p_median, share, max_minutes=float(cap))
        except InfeasibleRequestError:
            continue  # no placement found within this cap in its share of the time
        points.append(point)
        previous = point.max_minutes
        _notify(progress, 3 + index, n_points)
    points.append(fairest)
    _notify(progress, n_points, n_points)
    return PlacementCurve(kind="efficiency-fairness", points=tuple(points),
                          stopped_early=bool(stopped))


# --------------------------------------------------------------------------- adapter


def placement_inputs(travel_times: pd.DataFrame | ArrayLike, areas: pd.DataFrame, *,
                     weight: str = "need", site_ids: Sequence[str] | None = None,
                     area_id_column: str = "code", group_columns: Sequence[str] = (),
                     from_column: str = "area", to_column: str = "site",
                     minutes_column: str = "minutes") -> PlacementInputs:
    """Build the models' arrays from a travel-time table (or dense matrix) and an areas table.

    ``travel_times`` is either a tidy table with one row per area and site
    (columns ``from_column``, ``to_column``, ``minutes_column``; NaN or a missing
    row means unreachable) or a dense array whose rows follow ``areas`` and whose
    columns follow ``site_ids``. ``weight`` is ``"population"`` (``pop_total``),
    ``"need"`` (``need_weight``) or the name of another areas column (a group).
    ``group_columns`` become the ``groups`` for coverage figures and equity rules.
    """
    if area_id_column not in areas.columns:
        raise PlannerInputError(
            f"areas: missing column {area_id_column!r} (the area identifiers)")
    area_ids = tuple(str(a) for a in areas[area_id_column])
    if len(set(area_ids)) != len(area_ids):
        raise PlannerInputError(f"areas, column {area_id_column!r}: expected unique identifiers")
    column = WEIGHT_COLUMNS.get(weight, weight)
    missing = [c for c in (column, *group_columns) if c not in areas.columns]
    if missing:
        raise PlannerInputError(
            f"areas: missing column {missing[0]!r}; weight names are "
            f"{', '.join(WEIGHT_COLUMNS)} or an areas column")
    if isinstance(travel_times, pd.DataFrame):
        matrix, sites = _matrix_from_table(travel_times, area_ids, site_ids, from_column,
                                           to_column, minutes_column)
    else:
        matrix = _as_matrix(travel_times)
        if matrix.shape[0] != len(area_ids):
            raise PlannerInputError(
                f"travel_times: expected one row per area ({len(area_ids)}), found "
                f"{matrix.shape[0]}")
        if site_ids is None:
            sites = tuple(str(i) for i in range(matrix.shape[1]))
        else:
            sites = tuple(str(s) for s in site_ids)
            if len(sites) != matrix.shape[1]:
                raise PlannerInputError(
                    f"site_ids: expected one per matrix column ({matrix.shape[1]}), found "
                    f"{len(sites)}")
    demand = _as_weights(pd.to_numeric(areas[column], errors="coerce").fillna(-1).to_numpy(),
                         len(area_ids), f"areas column {column!r}")
    groups = {name: _as_weights(pd.to_numeric(areas[name], errors="coerce").fillna(-1)
                                .to_numpy(), len(area_ids), f"areas column {name!r}")
              for name in group_columns}
    label = _WEIGHT_LABELS.get(weight, f"people ({column})")
    return PlacementInputs(cost_matrix=_readonly(matrix), demand=_readonly(demand),
                           area_ids=area_ids, site_ids=sites, demand_label=label,
                           groups=groups)


def _matrix_from_table(table: pd.DataFrame, area_ids: tuple[str, ...],
                       site_ids: Sequence[str] | None, from_column: str, to_column: str,
                       minutes_column: str) -> tuple[FloatArray, tuple[str, ...]]:
    missing = [c for c in (from_column, to_column, minutes_column) if c not in table.columns]
    if missing:
        raise PlannerInputError(
            f"travel_times: missing column {missing[0]!r}; expected {from_column!r}, "
            f"{to_column!r} and {minutes_column!r}")
    origins = table[from_column].astype(str).to_numpy()
    targets = table[to_column].astype(str).to_numpy()
    sites = (tuple(str(s) for s in site_ids) if site_ids is not None
             else tuple(dict.fromkeys(targets.tolist())))
    area_index = {a: i for i, a in enumerate(area_ids)}
    site_index = {s: i for i, s in enumerate(sites)}
    unknown = [a for a in dict.fromkeys(origins.tolist()) if a not in area_index]
    if unknown:
        raise PlannerInputError(
            f"travel_times, column {from_column!r}: area {unknown[0]!r} is not in the areas "
            f"table")
    rows = np.array([area_index[a] for a in origins], dtype=np.intp)
    keep = np.array([t in site_index for t in targets], dtype=bool)
    cols = np.array([site_index.get(t, -1) for t in targets], dtype=np.intp)
    values = pd.to_numeric(table[minutes_column], errors="coerce").to_numpy(dtype=np.float64)
    matrix = np.full((len(area_ids), len(sites)), np.nan)
    matrix[rows[keep], cols[keep]] = values[keep]
    return _as_matrix(matrix), sites
