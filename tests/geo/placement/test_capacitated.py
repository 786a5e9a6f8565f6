"""The fast capacitated search: every answer fits, and on small problems it is the best."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geo.placement.capacitated import (
    assign_by_regret,
    assign_by_relaxation,
    capacitated_search,
    improve_assignment,
)
from geo.placement.models import p_median


def small_instance(seed: int, n_areas: int = 9, n_sites: int = 6
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    areas = rng.uniform(0, 10, size=(n_areas, 2))
    sites = rng.uniform(0, 10, size=(n_sites, 2))
    cost = np.sqrt(((areas[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    load = rng.integers(1, 5, size=n_areas).astype(float)
    capacity = np.full(n_sites, float(np.ceil(load.sum() / 2 * 1.15)))
    return cost, load, capacity


def brute_force(cost: np.ndarray, load: np.ndarray, capacity: np.ndarray, n_hubs: int) -> float:
    """Every set of sites and every way of sending each area wholly to one of them."""
    best = np.inf
    for sites in itertools.combinations(range(cost.shape[1]), n_hubs):
        for choice in itertools.product(range(n_hubs), repeat=cost.shape[0]):
            used = np.bincount(choice, weights=load, minlength=n_hubs)
            if (used <= capacity[list(sites)]).all():
                best = min(best, float(cost[np.arange(cost.shape[0]), np.array(sites)[list(choice)]].sum()))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_search_finds_the_best_capacitated_placement_of_a_small_problem(seed: int) -> None:
    cost, load, capacity = small_instance(seed)
    answer = capacitated_search(cost, load, capacity, np.array([0, 1]), locked=np.zeros(0, dtype=np.intp),
                                allowed=np.ones(6, dtype=bool), time_limit_seconds=5.0)
    assert answer is not None
    used = np.bincount(answer.assignment, weights=load, minlength=6)
    assert (used <= capacity + 1e-9).all()
    assert set(answer.assignment.tolist()) <= set(answer.sites.tolist())
    assert answer.value == pytest.approx(brute_force(cost, load, capacity, 2))


def test_locked_site_stays_and_regret_assignment_refuses_what_cannot_fit() -> None:
    cost, load, capacity = small_instance(7)
    answer = capacitated_search(cost, load, capacity, np.array([3, 0]), locked=np.array([3]),
                                allowed=np.ones(6, dtype=bool), time_limit_seconds=2.0)
    assert answer is not None and 3 in answer.sites
    assert assign_by_regret(cost, load, np.full(6, 1.0), np.array([0, 1])) is None


def test_capacitated_p_median_answers_from_the_search_even_without_time_for_the_exact_model() -> None:
    cost, load, capacity = small_instance(11, n_areas=150, n_sites=60)
    capacity = np.full(60, float(np.ceil(load.sum() / 5 * 1.05)))
    result = p_median(cost, np.ones(150), n_hubs=5, capacity=capacity, load=load,
                      time_limit_seconds=0.05)
    used = np.bincount(result.assignment, weights=load, minlength=60)
    assert (used <= capacity + 1e-9).all()
    assert len(result.sites) == 5


def six_tight_hubs(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 areas at 6 fixed hubs with 3% more places than people."""
    rng = np.random.default_rng(seed)
    areas, hubs = rng.uniform(0, 10, size=(60, 2)), rng.uniform(0, 10, size=(6, 2))
    cost = np.sqrt(((areas[:, None, :] - hubs[None, :, :]) ** 2).sum(axis=2))
    load = rng.integers(1, 8, size=60).astype(float)
    return cost, load, np.full(6, float(np.ceil(load.sum() / 6 * 1.03)))


def test_the_relaxation_assignment_fits_and_starts_nearer_the_best_when_places_are_tight() -> None:
    hubs = np.arange(6)
    cost, load, capacity = six_tight_hubs(12)
    total = {}
    for name, start in (("regret", assign_by_regret(cost, load, capacity, hubs)),
                        ("relaxation", assign_by_relaxation(cost, load, capacity, hubs))):
        assert start is not None
        assert (np.bincount(start, weights=load, minlength=6) <= capacity + 1e-9).all()
        improved = improve_assignment(cost, load, capacity, hubs, start)
        total[name] = cost[np.arange(60), improved].sum()
    assert total["relaxation"] < total["regret"] - 5.0
    # Where the few split areas fit nowhere it says so, and the search falls back on regret.
    cost, load, capacity = six_tight_hubs(3)
    assert assign_by_relaxation(cost, load, capacity, hubs) is None
    assert assign_by_regret(cost, load, capacity, hubs) is not None
