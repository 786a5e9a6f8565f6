"""Hub placement: hand-checked answers, refusals, locks, certificates and spopt agreement."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pulp
import pytest
from spopt.locate import MCLP, PCenter, PMedian

from geo.errors import InfeasibleRequestError, PlannerInputError
from geo.placement import bounds
from geo.placement.bounds import certify_p_median
from geo.placement.heuristics import greedy_sites, interchange
from geo.placement.models import (
    Placement,
    efficiency_fairness_sweep,
    equity_p_median,
    hubs_curve,
    max_coverage,
    p_centre,
    p_median,
    place_hubs,
    placement_inputs,
)

# Three areas (rows) and four candidate sites (columns), minutes. By hand:
#   one hub:  site costs 10x + 20y + 30z = 400, 300, 340, 305     -> site 1 (300)
#   two hubs: {1,2} = 50 + 40 + 90 = 180 is the least of the six pairs
#   with site 0 locked: {0,2} = 10 + 120 + 90 = 220
#   with site 2 excluded: {1,3} = 40 + 40 + 165 = 245
MINUTES = np.array([[1.0, 5.0, 9.0, 4.0],
                    [6.0, 2.0, 8.0, 5.0],
                    [9.0, 7.0, 3.0, 5.5]])
DEMAND = np.array([10.0, 20.0, 30.0])


def brute_force(minutes: np.ndarray, demand: np.ndarray, n_hubs: int) -> float:
    """Return the best p-median value by trying every set of sites."""
    return min(float(demand @ minutes[:, list(s)].min(axis=1))
               for s in itertools.combinations(range(minutes.shape[1]), n_hubs))


# ---------------------------------------------------------------- hand-checkable answers


@pytest.mark.parametrize(("n_hubs", "sites", "value"), [(1, (1,), 300.0), (2, (1, 2), 180.0)])
def test_p_median_matches_hand_worked_answer(n_hubs: int, sites: tuple[int, ...],
                                             value: float) -> None:
    result = p_median(MINUTES, DEMAND, n_hubs=n_hubs)
    assert result.sites == sites
    assert result.value == pytest.approx(value)
    assert result.bound == pytest.approx(value)
    assert result.gap_pct == pytest.approx(0.0, abs=1e-9)
    assert result.proven
    assert result.mean_minutes == pytest.approx(value / DEMAND.sum())


def test_p_median_assigns_each_area_to_its_nearest_chosen_hub() -> None:
    result = p_median(MINUTES, DEMAND, n_hubs=2)
    assert result.assignment.tolist() == [1, 1, 2]
    assert result.travel_minutes.tolist() == [5.0, 2.0, 3.0]
    assert result.max_minutes == 5.0


def test_locked_site_is_kept_and_excluded_site_is_never_used() -> None:
    locked = p_median(MINUTES, DEMAND, n_hubs=2, locked=[0])
    assert locked.sites == (0, 2)
    assert locked.value == pytest.approx(220.0)
    excluded = p_median(MINUTES, DEMAND, n_hubs=2, excluded=[2])
    assert excluded.sites == (1, 3)
    assert excluded.value == pytest.approx(245.0)


def test_reason_says_what_each_site_adds() -> None:
    result = p_median(MINUTES, DEMAND, n_hubs=2, threshold_minutes=4.0)
    by_site = {r.site: r for r in result.reasons}
    # Without site 1 every area uses site 2: 90 + 160 + 90 = 340, so it saves 160 / 60.
    assert by_site[1].mean_minutes_saved == pytest.approx(160.0 / 60.0)
    assert "without it the others chosen would leave mean travel 2.7 minutes longer" in by_site[1].text
    # Site 1 is the only hub within 4 minutes of area 1 (demand 20).
    assert by_site[1].demand_gained_within == pytest.approx(20.0)
    assert "20 more people within 4 minutes" in by_site[1].text


def test_locked_site_reason_says_it_was_kept() -> None:
    result = p_median(MINUTES, DEMAND, n_hubs=2, locked=[0])
    assert next(r for r in result.reasons if r.site == 0).text.startswith("kept (locked)")


@pytest.mark.parametrize(("n_hubs", "covered", "sites"), [(1, 30.0, (2,)), (2, 50.0, (1, 2))])
def test_max_coverage_matches_hand_worked_answer(n_hubs: int, covered: float,
                                                 sites: tuple[int, ...]) -> None:
    # Within 4 minutes: area 0 by sites 0 and 3, area 1 by site 1, area 2 by site 2.
    result = max_coverage(MINUTES, DEMAND, n_hubs=n_hubs, threshold_minutes=4.0)
    assert result.sites == sites
    assert result.value == pytest.approx(covered)
    assert result.bound == pytest.approx(covered)
    assert result.sense == "max"
    assert result.coverage[0].within == pytest.approx(covered)


def test_p_centre_matches_hand_worked_answer_and_breaks_ties_by_travel() -> None:
    one = p_centre(MINUTES, DEMAND, n_hubs=1)
    assert one.sites == (3,)
    assert one.value == pytest.approx(5.5)
    # Two hubs: {1,2} and {2,3} both keep everyone within 5 minutes; {1,2} travels less.
    two = p_centre(MINUTES, DEMAND, n_hubs=2)
    assert two.value == pytest.approx(5.0)
    assert two.bound == pytest.approx(5.0)
    assert two.sites == (1, 2)


def test_equity_rule_moves_the_hub_to_the_group() -> None:
    # Only site 0 is within 2 minutes of area 0, where the whole group lives.
    group = {"group": np.array([5.0, 0.0, 0.0])}
    one = equity_p_median(MINUTES, DEMAND, n_hubs=1, threshold_minutes=2.0, groups=group,
                          min_share_pct=100.0)
    assert one.sites == (0,)
    assert one.value == pytest.approx(400.0)
    two = equity_p_median(MINUTES, DEMAND, n_hubs=2, threshold_minutes=2.0, groups=group,
                          min_share_pct=100.0)
    assert two.sites == (0, 2)
    assert two.value == pytest.approx(220.0)
    assert two.coverage[1].share_pct == pytest.approx(100.0)


def test_capacity_moves_demand_to_a_second_hub() -> None:
    # Two areas of 10 people at distance 1 from site 0 and 2 from site 1; capacity 10 each.
    minutes = np.array([[1.0, 2.0], [1.0, 2.0]])
    result = p_median(minutes, [10.0, 10.0], n_hubs=2, capacity=[10.0, 10.0])
    assert sorted(result.assignment.tolist()) == [0, 1]
    assert result.value == pytest.approx(30.0)


def test_area_without_demand_does_not_need_a_reachable_hub() -> None:
    minutes = np.array([[1.0, np.nan], [np.nan, np.nan], [2.0, 1.0]])
    result = p_median(minutes, [1.0, 0.0, 1.0], n_hubs=1)
    assert result.sites == (0,)
    assert result.assignment.tolist() == [0, -1, 0]


def test_place_hubs_dispatches_on_objective() -> None:
    assert place_hubs(MINUTES, DEMAND, objective="p-median", n_hubs=2).sites == (1, 2)
    covered = place_hubs(MINUTES, DEMAND, objective="coverage", n_hubs=1, threshold_minutes=4.0)
    assert covered.value == pytest.approx(30.0)
    with pytest.raises(PlannerInputError, match="objective"):
        place_hubs(MINUTES, DEMAND, objective="median", n_hubs=1)  # type: ignore[arg-type]


def test_result_is_immutable() -> None:
    result = p_median(MINUTES, DEMAND, n_hubs=2)
    assert isinstance(result, Placement)
    with pytest.raises(AttributeError):
        result.value = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        result.assignment[0] = 3


# ---------------------------------------------------------------- refusals before solving


@pytest.mark.parametrize(("options", "message"), [
    ({"n_hubs": 1, "locked": [0, 1]}, "asked for 1 hubs with 2 locked sites"),
    ({"n_hubs": 3, "excluded": [0, 1]}, "asked for 3 hubs but only 2 of 4 candidate sites"),
    ({"n_hubs": 2, "locked": [1], "excluded": [1]}, "site column 1 is both locked and excluded"),
    ({"n_hubs": 0}, "at least 1 hub, found 0"),
    ({"n_hubs": 1, "locked": [7]}, "expected site columns 0..3, found 7"),
])
def test_impossible_requests_are_refused_with_numbers(options: dict, message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        p_median(MINUTES, DEMAND, **options)


def test_refusals_are_infeasible_request_errors() -> None:
    with pytest.raises(InfeasibleRequestError):
        p_median(MINUTES, DEMAND, n_hubs=1, locked=[0, 1])


@pytest.mark.parametrize(("minutes", "demand", "message"), [
    (np.array([[1.0, 2.0], [np.nan, np.nan]]), [1.0, 1.0], "area row 1 has demand 1"),
    (np.array([[1.0, -2.0]]), [1.0], "expected minutes >= 0, found -2"),
    (np.array([[1.0, 2.0]]), [1.0, 2.0], "one value per area row of cost_matrix"),
    (np.array([[1.0, 2.0]]), [-1.0], "expected finite values >= 0"),
    (np.array([[1.0, 2.0]]), [0.0], "at least one area with demand"),
])
def test_bad_inputs_name_what_was_found(minutes: np.ndarray, demand: list[float],
                                        message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        p_median(minutes, demand, n_hubs=1)


def test_max_minutes_refused_when_an_area_has_no_site_that_close() -> None:
    with pytest.raises(InfeasibleRequestError, match="area row 2 has no candidate site within 2"):
        p_median(MINUTES, DEMAND, n_hubs=2, max_minutes=2.0)


def test_max_minutes_forces_a_fairer_placement() -> None:
    # Unconstrained {1,2} leaves area 0 at 5 minutes; capping at 4 rules it out.
    # Within 4 minutes area 1 has only site 1 and area 2 only site 2; area 0 has sites 0
    # and 3, so three hubs are needed and {0,1,2} (140) beats {1,2,3} (170).
    result = p_median(MINUTES, DEMAND, n_hubs=3, max_minutes=4.0)
    assert result.max_minutes <= 4.0
    capped = np.where(MINUTES <= 4.0, MINUTES, np.inf)
    assert result.value == pytest.approx(brute_force(capped, DEMAND, 3))
    assert result.sites == (0, 1, 2)


def test_max_minutes_that_needs_more_hubs_is_refused() -> None:
    with pytest.raises(InfeasibleRequestError, match="no placement of 2 hubs keeps every area"):
        p_median(MINUTES, DEMAND, n_hubs=2, max_minutes=4.0)


def test_equity_share_impossible_even_with_every_site_is_refused() -> None:
    with pytest.raises(InfeasibleRequestError, match=r"asked for 90% of far.*only 0.0% is"):
        equity_p_median(MINUTES, DEMAND, n_hubs=1, threshold_minutes=0.5,
                        groups={"far": [1.0, 1.0, 1.0]}, min_share_pct=90.0)


def test_capacity_too_small_is_refused_with_the_totals() -> None:
    with pytest.raises(InfeasibleRequestError, match="sum to 40 but the total load is 60"):
        p_median(MINUTES, DEMAND, n_hubs=2, capacity=[20.0, 20.0, 10.0, 5.0])


def test_coverage_needs_a_threshold() -> None:
    with pytest.raises(PlannerInputError, match="threshold_minutes"):
        place_hubs(MINUTES, DEMAND, objective="coverage", n_hubs=1)


# ---------------------------------------------------------------- against spopt (optimal)


def random_instance(seed: int, n_areas: int = 24, n_sites: int = 9
                    ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    areas = rng.uniform(0, 20, size=(n_areas, 2))
    sites = rng.uniform(0, 20, size=(n_sites, 2))
    minutes = np.sqrt(((areas[:, None] - sites[None]) ** 2).sum(axis=2)) * 2.0 + 1.0
    demand = rng.integers(1, 50, size=n_areas).astype(float)
    return minutes, demand


def cbc() -> pulp.LpSolver:
    return pulp.PULP_CBC_CMD(msg=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_p_median_equals_spopt_optimum(seed: int) -> None:
    minutes, demand = random_instance(seed)
    peer = PMedian.from_cost_matrix(minutes, demand, p_facilities=3).solve(cbc())
    ours = p_median(minutes, demand, n_hubs=3)
    assert ours.value == pytest.approx(pulp.value(peer.problem.objective), rel=1e-7)
    assert ours.bound <= ours.value + 1e-9


@pytest.mark.parametrize("seed", [3, 4])
def test_max_coverage_equals_spopt_optimum(seed: int) -> None:
    minutes, demand = random_instance(seed)
    peer = MCLP.from_cost_matrix(minutes, demand, service_radius=12.0,
                                 p_facilities=2).solve(cbc())
    ours = max_coverage(minutes, demand, n_hubs=2, threshold_minutes=12.0)
    assert ours.value == pytest.approx(pulp.value(peer.problem.objective), rel=1e-7)


@pytest.mark.parametrize("seed", [5, 6])
def test_p_centre_equals_spopt_optimum(seed: int) -> None:
    minutes, demand = random_instance(seed)
    peer = PCenter.from_cost_matrix(minutes, p_facilities=3).solve(cbc())
    ours = p_centre(minutes, demand, n_hubs=3)
    assert ours.value == pytest.approx(pulp.value(peer.problem.objective), rel=1e-7)


@pytest.mark.parametrize(("seed", "threshold"), [(15, 14.0), (20, 14.0), (25, 16.0)])
def test_equity_p_median_equals_brute_force(seed: int, threshold: float) -> None:
    # Seeds 20 and 25: the rule binds (the plain p-median optimum breaks it); seed 15:
    # no pair of sites meets it, which the search must prove.
    minutes, demand = random_instance(seed, n_areas=20, n_sites=8)
    rng = np.random.default_rng(seed)
    group = demand * (rng.uniform(size=20) < 0.4)
    within = minutes <= threshold
    feasible = [float(demand @ minutes[:, list(s)].min(axis=1))
                for s in itertools.combinations(range(8), 2)
                if group[within[:, list(s)].any(axis=1)].sum() >= 0.8 * group.sum()]
    options = {"n_hubs": 2, "threshold_minutes": threshold, "groups": {"group": group},
               "min_share_pct": 80.0}
    if not feasible:
        with pytest.raises(InfeasibleRequestError, match="none exists"):
            equity_p_median(minutes, demand, **options)
        return
    assert min(feasible) > brute_force(minutes, demand, 2)
    ours = equity_p_median(minutes, demand, **options)
    assert ours.value == pytest.approx(min(feasible))
    assert ours.coverage[1].share_pct >= 80.0 - 1e-9
    assert ours.bound <= min(feasible) + 1e-6


# ---------------------------------------------------------------- certificates


def test_certificate_bound_is_valid_and_tight_on_a_brute_forced_instance() -> None:
    minutes, demand = random_instance(7, n_areas=40, n_sites=12)
    best = brute_force(minutes, demand, 4)
    pair_cost = demand[:, None] * minutes
    locked = np.zeros(0, dtype=np.intp)
    allowed = np.ones(12, dtype=bool)
    start = greedy_sites(pair_cost, 4, locked=locked, allowed=allowed)
    certificate = certify_p_median(pair_cost, 4, locked=locked, allowed=allowed,
                                   incumbent=start, gap_target_pct=0.0)
    assert certificate.bound <= best + 1e-6
    assert certificate.value == pytest.approx(best)


@pytest.mark.parametrize("seed", range(6))
def test_bound_with_sites_forced_open_stays_below_the_best_such_placement(seed: int) -> None:
    """Forcing sites open settles the areas they serve best; the bound must stay a true bound."""
    minutes, demand = random_instance(20 + seed, n_areas=40, n_sites=11)
    pair_cost = demand[:, None] * minutes
    nearest_to = np.bincount(pair_cost.argmin(axis=1), minlength=11)
    forced = np.sort(np.argsort(-nearest_to, kind="stable")[[0, 1 + seed % 3]])
    best = min(pair_cost[:, list(s)].min(axis=1).sum()
               for s in itertools.combinations(range(11), 4) if set(forced) <= set(s))
    scope = bounds._Scope(rows=np.arange(40), sites=np.arange(11), keep=None)
    settled = bounds._settled(pair_cost, scope, forced)
    assert settled.rows.size < 40  # some areas are settled by a forced site
    relax = bounds._Relaxation(pair_cost, settled, 4, ())
    is_forced = np.isin(np.arange(11), forced)
    search = bounds._Search(pair_cost=pair_cost, n_hubs=4, side=(), integral=False,
                            gap_target=0.0, deadline=math.inf, should_stop=None, progress=None,
                            incumbent=np.zeros(0, dtype=np.intp), upper=best)
    node = bounds._Node(bound=-math.inf, forced=is_forced, closed=np.zeros(11, dtype=bool),
                        u=bounds._starting_multipliers(pair_cost, relax), mu=np.zeros(0), depth=0)
    bound = bounds._ascend(relax, search, node, max_iter=600, patience=60, theta=1.0)[0]
    assert bound <= best + 1e-6
    assert bound >= 0.97 * best  # and close to it: the settled areas' costs are counted


def test_interchange_never_makes_a_placement_worse() -> None:
    minutes, demand = random_instance(8, n_areas=60, n_sites=15)
    pair_cost = demand[:, None] * minutes
    locked = np.array([2], dtype=np.intp)
    allowed = np.ones(15, dtype=bool)
    start = np.array([2, 3, 4], dtype=np.intp)
    better = interchange(pair_cost, start, locked=locked, allowed=allowed)
    assert 2 in better
    assert pair_cost[:, better].min(axis=1).sum() <= pair_cost[:, start].min(axis=1).sum()


# ---------------------------------------------------------------- progress and cancel


def test_progress_reports_done_out_of_total() -> None:
    minutes, demand = random_instance(9)
    seen: list[tuple[int, int]] = []
    p_median(minutes, demand, n_hubs=3, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (100, 100)
    assert all(0 <= done <= total for done, total in seen)


def test_cancelled_curve_returns_the_points_so_far() -> None:
    minutes, demand = random_instance(10)
    calls = {"n": 0}

    def progress(done: int, total: int) -> None:
        calls["n"] = done

    curve = hubs_curve(minutes, demand, hubs=range(1, 7), progress=progress,
                       should_stop=lambda: calls["n"] >= 2)
    assert curve.stopped_early
    assert len(curve.points) == 2


def test_cancelled_solve_still_returns_a_valid_placement() -> None:
    minutes, demand = random_instance(11, n_areas=60, n_sites=20)
    result = p_median(minutes, demand, n_hubs=4, should_stop=lambda: True)
    assert len(result.sites) == 4
    assert result.bound <= result.value + 1e-9


# ---------------------------------------------------------------- trade-offs


def test_hubs_curve_never_gets_worse_with_more_hubs() -> None:
    minutes, demand = random_instance(12)
    curve = hubs_curve(minutes, demand, hubs=range(1, 6))
    table = curve.table()
    assert table["n_hubs"].tolist() == [1, 2, 3, 4, 5]
    assert (np.diff(table["value"]) <= 1e-9).all()
    assert table["value"].iloc[1] == pytest.approx(brute_force(minutes, demand, 2))


def test_efficiency_fairness_sweep_trades_mean_for_worst() -> None:
    minutes, demand = random_instance(13)
    curve = efficiency_fairness_sweep(minutes, demand, n_hubs=3, n_points=4)
    table = curve.table()
    assert table["max_minutes"].iloc[0] >= table["max_minutes"].iloc[-1]
    assert table["mean_minutes"].iloc[0] <= table["mean_minutes"].iloc[-1] + 1e-9
    assert (np.diff(table["max_minutes"]) <= 1e-9).all()


# ---------------------------------------------------------------- adapter


def areas_table() -> pd.DataFrame:
    return pd.DataFrame({"code": ["A", "B", "C"], "pop_total": [10.0, 20.0, 30.0],
                         "need_weight": [30.0, 20.0, 10.0], "pop_female": [5.0, 10.0, 15.0]})


def test_adapter_builds_the_matrix_from_a_tidy_table() -> None:
    tidy = pd.DataFrame({"area": ["A", "A", "B", "C", "C"], "site": ["s1", "s2", "s2", "s1", "s2"],
                         "minutes": [3.0, 4.0, 5.0, np.nan, 6.0]})
    inputs = placement_inputs(tidy, areas_table(), weight="population",
                              group_columns=["pop_female"])
    assert inputs.site_ids == ("s1", "s2")
    assert inputs.demand.tolist() == [10.0, 20.0, 30.0]
    assert np.isinf(inputs.cost_matrix[1, 0])  # missing row = unreachable
    assert np.isinf(inputs.cost_matrix[2, 0])  # NaN = unreachable
    assert inputs.cost_matrix[2, 1] == 6.0
    assert inputs.demand_label == "people"
    assert inputs.groups["pop_female"].tolist() == [5.0, 10.0, 15.0]
    result = p_median(inputs.cost_matrix, inputs.demand, n_hubs=1,
                      demand_label=inputs.demand_label)
    assert inputs.site_ids[result.sites[0]] == "s2"


@pytest.mark.parametrize(("weight", "expected"), [("need", [30.0, 20.0, 10.0]),
                                                  ("pop_female", [5.0, 10.0, 15.0])])
def test_adapter_reads_the_named_weight(weight: str, expected: list[float]) -> None:
    inputs = placement_inputs(MINUTES, areas_table(), weight=weight)
    assert inputs.demand.tolist() == expected
    assert inputs.site_ids == ("0", "1", "2", "3")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weight": "income"}, "missing column 'income'"),
    ({"site_ids": ["a"]}, "one per matrix column"),
])
def test_adapter_errors_name_the_problem(kwargs: dict, message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        placement_inputs(MINUTES, areas_table(), **kwargs)
