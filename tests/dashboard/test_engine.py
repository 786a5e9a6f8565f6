"""The engine's routers: one-hub searches shared between worker processes through files."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from dashboard.engine import SharedAreaRouter, SharedSearches, router_for
from geo.locality import DEMO_FOLDER
from geo.traveltime import AreaRouter


def test_two_askers_at_once_search_once(tmp_path: Path) -> None:
    shared = SharedSearches(tmp_path / "searches")
    searched = []

    def slow_search() -> np.ndarray:
        searched.append(threading.get_ident())
        time.sleep(0.3)  # long enough for the other asker to arrive while this one searches
        return np.arange(5, dtype=np.float64)

    answers: list[np.ndarray] = []
    askers = [threading.Thread(target=lambda: answers.append(shared.column("k-1", slow_search))) for _ in range(2)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert len(searched) == 1
    assert len(answers) == 2 and all(np.array_equal(a, np.arange(5)) for a in answers)
    assert not [p for p in (tmp_path / "searches").iterdir() if p.suffix == ".part"]  # nothing half-written left


def test_another_worker_reads_the_search_instead_of_repeating_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    template = router_for(str(DEMO_FOLDER), "drive")
    assert isinstance(template, SharedAreaRouter)

    def worker() -> SharedAreaRouter:  # a fresh router with an empty cache of its own, as in another process
        router = SharedAreaRouter(template.graph, template.origins_xy, list(template.area_ids))
        router.shared = SharedSearches(tmp_path / "searches")
        return router

    point = (440_123.0, 231_456.0)
    first = worker().minutes_to_point(*point)
    plain = AreaRouter(template.graph, template.origins_xy, list(template.area_ids)).minutes_to_point(*point)
    np.testing.assert_array_equal(first, plain)

    def no_search(self: AreaRouter, targets: np.ndarray) -> np.ndarray:
        raise AssertionError("searched again")

    monkeypatch.setattr(AreaRouter, "_search", no_search)
    np.testing.assert_array_equal(worker().minutes_to_point(*point), first)


def test_a_folder_that_cannot_be_used_only_costs_the_saving(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    shared = SharedSearches(tmp_path / "file" / "searches")
    assert np.array_equal(shared.column("k-1", lambda: np.ones(3)), np.ones(3))


def test_only_the_newest_searches_are_kept(tmp_path: Path) -> None:
    shared = SharedSearches(tmp_path, max_mb=16 * 800 / 1e6)  # room for 16 columns of 100 numbers
    for n in range(40):
        shared.column(f"k-{n}", lambda n=n: np.full(100, float(n)))
        os.utime(tmp_path / f"k-{n}.npy", (n, n))
    shared.prune(800)
    kept = sorted(int(p.stem.split("-")[1]) for p in tmp_path.glob("*.npy"))
    assert kept == list(range(24, 40))


def test_shared_searches_use_only_a_folder_private_to_this_user(tmp_path: Path) -> None:
    """A folder in /dev/shm another user made (or opened to all) first could hold planted results: it is not used."""
    planted = tmp_path / "open-to-all"
    planted.mkdir(mode=0o777)
    planted.chmod(0o777)
    np.save(planted / "hub.npy", np.array([0.0]), allow_pickle=False)
    answers = [SharedSearches(planted).column("hub", lambda: np.array([42.0]))[0] for _ in range(2)]
    assert answers == [42.0, 42.0]  # the planted result is never read
    private = SharedSearches(tmp_path / "mine")
    private.column("hub", lambda: np.array([7.0]))
    assert (tmp_path / "mine").stat().st_mode & 0o777 == 0o700
    assert private.column("hub", lambda: np.array([0.0]))[0] == 7.0  # and the private one is shared
