"""Re-placing neighbouring hubs together: it escapes where the fast search stops."""

from __future__ import annotations

import numpy as np

from geo.placement.capacitated import capacitated_search
from geo.placement.milp import capacitated_p_median
from geo.placement.regroup import improve_by_groups

NONE_LOCKED = np.zeros(0, dtype=np.intp)


def tight_instance() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 areas, 30 sites, 6 hubs with 3% more places than people: the fast search falls short."""
    rng = np.random.default_rng(47)
    areas = rng.uniform(0, 10, size=(60, 2))
    sites = rng.uniform(0, 10, size=(30, 2))
    cost = np.sqrt(((areas[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    load = rng.integers(1, 8, size=60).astype(float)
    capacity = np.full(30, float(np.ceil(load.sum() / 6 * 1.03)))
    return cost, load, capacity


def test_groups_reach_the_proven_best_where_the_fast_search_stops_short() -> None:
    cost, load, capacity = tight_instance()
    everywhere = np.ones(30, dtype=bool)
    searched = capacitated_search(cost, load, capacity, np.arange(6), locked=NONE_LOCKED,
                                  allowed=everywhere, time_limit_seconds=5.0)
    exact = capacitated_p_median(cost, np.ones(60), load, capacity, 6, locked=NONE_LOCKED,
                                 allowed=everywhere, time_limit_seconds=60.0, gap=0.0)
    assert searched is not None and exact.finished
    assert searched.value > exact.value + 0.3  # the case this module exists for

    improved = improve_by_groups(cost, np.ones(60), load, capacity, searched, locked=NONE_LOCKED,
                                 allowed=everywhere, time_limit_seconds=3.0)

    assert improved.value == np.float64(cost[np.arange(60), improved.assignment].sum())
    assert improved.value <= exact.value + 1e-6
    used = np.bincount(improved.assignment, weights=load, minlength=30)
    assert (used <= capacity + 1e-9).all()
    assert set(improved.assignment.tolist()) <= set(improved.sites.tolist())
    assert improved.sites.size == 6


def test_a_locked_hub_stays_and_no_time_returns_the_answer_unchanged() -> None:
    cost, load, capacity = tight_instance()
    everywhere = np.ones(30, dtype=bool)
    searched = capacitated_search(cost, load, capacity, np.arange(6), locked=np.array([2]),
                                  allowed=everywhere, time_limit_seconds=5.0)
    assert searched is not None
    improved = improve_by_groups(cost, np.ones(60), load, capacity, searched,
                                 locked=np.array([2]), allowed=everywhere,
                                 time_limit_seconds=2.0)
    assert 2 in improved.sites
    assert improved.value <= searched.value
    unchanged = improve_by_groups(cost, np.ones(60), load, capacity, searched,
                                  locked=np.array([2]), allowed=everywhere,
                                  time_limit_seconds=0.0)
    assert unchanged is searched
