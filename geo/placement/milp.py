"""Exact placement models handed to the HiGHS MILP solver: coverage, p-centre tests, capacities.

These models are compact (one column per site, rows merged where areas share the
same sites) or small by nature, so the solver's own bound serves as the
certificate. Every function stops at its time limit or when ``should_stop()``
says so and reports the best solution and bound it has.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

__all__ = ["MilpOutcome", "capacitated_p_median", "cover_with_hubs", "max_coverage_milp"]


@dataclass(frozen=True)
class MilpOutcome:
    """What the solver found: chosen sites, its objective, its proven bound and whether it finished."""

    sites: IntArray
    value: float
    bound: float
    finished: bool
    assignment: IntArray | None = None


def _solver(time_limit_seconds: float, gap: float,
            should_stop: Callable[[], bool] | None) -> highspy.Highs:
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", float(max(time_limit_seconds, 0.01)))
    solver.setOptionValue("mip_rel_gap", float(gap))
    solver.setOptionValue("threads", 1)
    if should_stop is not None:
        def interrupt(event: highspy.HighsCallbackEvent) -> None:
            if should_stop() and event.data_in is not None:
                event.data_in.user_interrupt = True
        solver.cbMipInterrupt.subscribe(interrupt)
    return solver


def _add_binaries(solver: highspy.Highs, count: int, lower: FloatArray,
                  upper: FloatArray, cost: FloatArray) -> None:
    offset = solver.getNumCol()
    solver.addVars(count, lower, upper)
    index = np.arange(offset, offset + count, dtype=np.int32)
    solver.changeColsCost(count, index, cost)
    solver.changeColsIntegrality(count, index,
                                 np.full(count, highspy.HighsVarType.kInteger))


def _rows_from_mask(mask: BoolArray, offset: int
                    ) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Return CSR starts and column indices (shifted by ``offset``) of a boolean matrix."""
    counts = mask.sum(axis=1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int32)
    columns = (np.nonzero(mask)[1] + offset).astype(np.int32)
    return starts, columns


def _has_solution(solver: highspy.Highs) -> bool:
    info = solver.getInfo()
    return bool(info.primal_solution_status == 2)


def max_coverage_milp(cover: BoolArray, demand: FloatArray, n_hubs: int, *, locked: IntArray,
                      allowed: BoolArray, incumbent: IntArray, time_limit_seconds: float,
                      gap: float, should_stop: Callable[[], bool] | None = None) -> MilpOutcome:
    """Choose ``n_hubs`` sites covering the most demand; ``cover[j, i]`` means site i covers area j.

    Areas already covered by a locked site, and areas no allowed site can cover,
    leave the model; areas with identical covering sets become one row.
    """
    usable = allowed.copy()
    usable[locked] = True
    base = cover[:, locked].any(axis=1) if len(locked) else np.zeros(cover.shape[0], dtype=bool)
    reachable = (cover & usable[None, :]).any(axis=1)
    open_rows = ~base & reachable & (demand > 0)
    fixed_covered = float(demand[base].sum())
    columns = np.flatnonzero(usable)
    patterns = cover[np.ix_(open_rows, columns)]
    weights = demand[open_rows]
    unique: BoolArray = np.zeros((0, columns.size), dtype=bool)
    merged: FloatArray = np.zeros(0)
    if patterns.shape[0]:
        unique, inverse = np.unique(patterns, axis=0, return_inverse=True)
        merged = np.bincount(inverse.ravel(), weights=weights,
                             minlength=unique.shape[0]).astype(np.float64)
    solver = _solver(time_limit_seconds, gap, should_stop)
    solver.changeObjectiveSense(highspy.ObjSense.kMaximize)
    lower = np.where(np.isin(columns, locked), 1.0, 0.0)
    _add_binaries(solver, columns.size, lower, np.ones(columns.size), np.zeros(columns.size))
    rows = unique.shape[0]
    if rows:
        solver.addVars(rows, np.zeros(rows), np.ones(rows))
        solver.changeColsCost(rows, np.arange(columns.size, columns.size + rows, dtype=np.int32),
                              merged)
        # z_k - sum_{i in N_k} y_i <= 0
        starts, cols = _rows_from_mask(unique, 0)
        counts = unique.sum(axis=1)
        index = np.empty(cols.size + rows, dtype=np.int32)
        values = np.empty(cols.size + rows)
        new_starts = (starts + np.arange(rows)).astype(np.int32)
        position = 0
        for k in range(rows):
            index[position] = columns.size + k
            values[position] = 1.0
            index[position + 1:position + 1 + counts[k]] = cols[starts[k]:starts[k] + counts[k]]
            values[position + 1:position + 1 + counts[k]] = -1.0
            position += 1 + counts[k]
        solver.addRows(rows, np.full(rows, -highspy.kHighsInf), np.zeros(rows), index.size,
                       new_starts, index, values)
    solver.addRow(float(n_hubs), float(n_hubs), columns.size,
                  np.arange(columns.size, dtype=np.int32), np.ones(columns.size))
    start_values = np.zeros(columns.size + rows)
    chosen = np.isin(columns, incumbent)
    start_values[:columns.size] = chosen
    if rows:
        start_values[columns.size:] = (unique & chosen[None, :]).any(axis=1)
    start = highspy.HighsSolution()
    start.col_value = start_values.tolist()
    solver.setSolution(start)
    solver.run()
    info = solver.getInfo()
    if _has_solution(solver):
        values_out = np.array(solver.getSolution().col_value)
        sites = columns[values_out[:columns.size] > 0.5]
        value = float(info.objective_function_value) + fixed_covered
    else:
        sites = np.sort(np.asarray(incumbent, dtype=np.intp))
        value = float((cover[:, sites].any(axis=1) * demand).sum())
    bound = float(info.mip_dual_bound) + fixed_covered if rows else value
    if not math.isfinite(bound):
        bound = float(demand[reachable | base].sum())
    finished = solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return MilpOutcome(sites=np.sort(sites.astype(np.intp)), value=value,
                       bound=max(bound, value), finished=finished)


def cover_with_hubs(cover: BoolArray, n_hubs: int, *, locked: IntArray, allowed: BoolArray,
                    time_limit_seconds: float,
                    should_stop: Callable[[], bool] | None = None) -> tuple[bool | None, IntArray]:
    """Decide whether ``n_hubs`` sites (locked ones included) can cover every area.

    Returns ``(True, sites)`` when they can, ``(False, empty)`` when proven
    impossible and ``(None, empty)`` when the time ran out first.
    """
    usable = allowed.copy()
    usable[locked] = True
    base = cover[:, locked].any(axis=1) if len(locked) else np.zeros(cover.shape[0], dtype=bool)
    columns = np.flatnonzero(usable)
    patterns = cover[np.ix_(~base, columns)]
    if patterns.shape[0] and not patterns.any(axis=1).all():
        return False, np.zeros(0, dtype=np.intp)
    if patterns.shape[0]:
        patterns = np.unique(patterns, axis=0)
    solver = _solver(time_limit_seconds, 0.0, should_stop)
    lower = np.where(np.isin(columns, locked), 1.0, 0.0)
    _add_binaries(solver, columns.size, lower, np.ones(columns.size), np.ones(columns.size))
    rows = patterns.shape[0]
    if rows:
        starts, cols = _rows_from_mask(patterns, 0)
        solver.addRows(rows, np.ones(rows), np.full(rows, highspy.kHighsInf), cols.size,
                       starts, cols, np.ones(cols.size))
    solver.addRow(0.0, float(n_hubs), columns.size, np.arange(columns.size, dtype=np.int32),
                  np.ones(columns.size))
    solver.setOptionValue("mip_max_improving_sols", 1)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return False, np.zeros(0, dtype=np.intp)
    if _has_solution(solver):
        values = np.array(solver.getSolution().col_value)
        chosen = columns[values > 0.5]
        return True, np.sort(chosen.astype(np.intp))
    return None, np.zeros(0, dtype=np.intp)


def capacitated_p_median(minutes: FloatArray, weight: FloatArray, load: FloatArray,
                         capacity: FloatArray, n_hubs: int, *, locked: IntArray,
                         allowed: BoolArray, time_limit_seconds: float, gap: float,
                         start: tuple[IntArray, IntArray] | None = None,
                         should_stop: Callable[[], bool] | None = None) -> MilpOutcome:
    """Place ``n_hubs`` hubs, each area wholly at one hub, without exceeding any hub's capacity.

    Minimises ``sum weight[j] * minutes[j, hub(j)]`` subject to
    ``sum load[j] over areas at a hub <= capacity[hub]``. Unreachable pairs
    (infinite minutes) are left out of the model. ``start`` (sites, each area's site)
    is a placement known to fit, handed to the solver as its first incumbent.
    """
    n_areas = minutes.shape[0]
    usable = allowed.copy()
    usable[locked] = True
    columns = np.flatnonzero(usable)
    sub = minutes[:, columns]
    pair_rows, pair_cols = np.nonzero(np.isfinite(sub))
    pairs = pair_rows.size
    m = columns.size
    solver = _solver(time_limit_seconds, gap, should_stop)
    lower = np.where(np.isin(columns, locked), 1.0, 0.0)
    _add_binaries(solver, m, lower, np.ones(m), np.zeros(m))
    _add_binaries(solver, pairs, np.zeros(pairs), np.ones(pairs),
                  weight[pair_rows] * sub[pair_rows, pair_cols])
    x = (m + np.arange(pairs)).astype(np.int32)
    # Each area served once.
    order = np.argsort(pair_rows, kind="stable")
    starts = np.searchsorted(pair_rows[order], np.arange(n_areas)).astype(np.int32)
    solver.addRows(n_areas, np.ones(n_areas), np.ones(n_areas), pairs, starts, x[order],
                   np.ones(pairs))
    # Capacity: sum load x - capacity y <= 0 per site.
    order = np.argsort(pair_cols, kind="stable")
    per_site = np.bincount(pair_cols, minlength=m)
    index = np.empty(pairs + m, dtype=np.int32)
    values = np.empty(pairs + m)
    row_starts = np.zeros(m, dtype=np.int32)
    position = 0
    sorted_cols = pair_cols[order]
    site_starts = np.searchsorted(sorted_cols, np.arange(m))
    for site in range(m):
        row_starts[site] = position
        members = order[site_starts[site]:site_starts[site] + per_site[site]]
        index[position] = site
        values[position] = -float(capacity[columns[site]])
        index[position + 1:position + 1 + members.size] = x[members]
        values[position + 1:position + 1 + members.size] = load[pair_rows[members]]
        position += 1 + members.size
    solver.addRows(m, np.full(m, -highspy.kHighsInf), np.zeros(m), position, row_starts,
                   index[:position], values[:position])
    # Linking x <= y strengthens the relaxation.
    link_index = np.empty(2 * pairs, dtype=np.int32)
    link_index[0::2] = x
    link_index[1::2] = pair_cols
    link_values = np.empty(2 * pairs)
    link_values[0::2] = 1.0
    link_values[1::2] = -1.0
    solver.addRows(pairs, np.full(pairs, -highspy.kHighsInf), np.zeros(pairs), 2 * pairs,
                   np.arange(0, 2 * pairs, 2, dtype=np.int32), link_index, link_values)
    solver.addRow(float(n_hubs), float(n_hubs), m, np.arange(m, dtype=np.int32), np.ones(m))
    if start is not None:
        start_sites, start_assignment = start
        first = highspy.HighsSolution()
        first.col_value = np.concatenate([
            np.isin(columns, start_sites).astype(np.float64),
            (columns[pair_cols] == start_assignment[pair_rows]).astype(np.float64)]).tolist()
        solver.setSolution(first)
    solver.run()
    info = solver.getInfo()
    finished = solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
    if not _has_solution(solver):
        return MilpOutcome(sites=np.zeros(0, dtype=np.intp), value=math.inf,
                           bound=float(info.mip_dual_bound), finished=finished)
    values_out = np.array(solver.getSolution().col_value)
    sites = columns[values_out[:m] > 0.5]
    chosen_pairs = values_out[m:] > 0.5
    assignment = np.full(n_areas, -1, dtype=np.intp)
    assignment[pair_rows[chosen_pairs]] = columns[pair_cols[chosen_pairs]]
    return MilpOutcome(sites=np.sort(sites.astype(np.intp)),
                       value=float(info.objective_function_value),
                       bound=float(info.mip_dual_bound), finished=finished,
                       assignment=assignment)
