"""OR-Library p-median files: the reader's quirks, and our answers against published optima."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.errors import DataFileError
from geo.placement.models import p_median
from geo.placement.orlib import (
    read_capacitated_pmedian,
    read_capacitated_pmedian_file,
    read_pmedian,
    read_pmedian_optima,
)

# ---------------------------------------------------------------- reader, on tiny files


def test_duplicate_edge_keeps_its_last_cost(tmp_path: Path) -> None:
    # 1-2 is listed as 10 then 3, and 2-3 as 4 then 20. Last-wins gives d(1,2) = 3,
    # d(2,3) = min(20, 3 + 9) = 12 and d(1,3) = 9; min-wins would give d(2,3) = 4 and
    # first-wins d(1,2) = 10, so these three numbers pin the rule down.
    path = tmp_path / "pmed_tiny.txt"
    path.write_text(" 3 5 1\n 1 2 10\n 1 2 3\n 2 3 4\n 2 3 20\n 1 3 9\n")
    instance = read_pmedian(path)
    assert (instance.n_vertices, instance.n_edges, instance.n_hubs) == (3, 5, 1)
    assert instance.cost_matrix[0, 1] == 3.0
    assert instance.cost_matrix[1, 2] == 12.0
    assert instance.cost_matrix[0, 2] == 9.0
    assert np.array_equal(instance.cost_matrix, instance.cost_matrix.T)
    assert np.all(np.diag(instance.cost_matrix) == 0)


@pytest.mark.parametrize(("text", "message"), [
    (" 3 2 1\n 1 2 5\n", "header says 2 edges"),
    (" 3 1 1\n 1 4 5\n", "edge ends must be vertices 1..3"),
    (" 3 1 1\n 1 2 5\n", "not connected"),
    (" 3 1 x\n", "expected only numbers"),
])
def test_malformed_pmedian_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(DataFileError, match=message):
        read_pmedian(path)


def test_optima_file_is_read_by_name(tmp_path: Path) -> None:
    path = tmp_path / "pmedopt.txt"
    path.write_text("Data file   Optimal solution value\npmed1 5819\npmed2 4093\n")
    assert read_pmedian_optima(path) == {"pmed1": 5819.0, "pmed2": 4093.0}


def test_capacitated_distances_are_floored(tmp_path: Path) -> None:
    # Points (0,0), (1,1), (3,4): distances sqrt(2) -> 1, 5 -> 5, sqrt(13) -> 3.
    text = " 7 12\n 3 1 10\n 1 0 0 2\n 2 1 1 3\n 3 3 4 4\n"
    path = tmp_path / "cap.txt"
    path.write_text(text)
    instance = read_capacitated_pmedian_file(path)
    assert instance.cost_matrix[0, 1] == 1.0
    assert instance.cost_matrix[0, 2] == 5.0
    assert instance.cost_matrix[1, 2] == 3.0
    assert instance.demand.tolist() == [2.0, 3.0, 4.0]
    assert (instance.problem_number, instance.best_known, instance.capacity) == (7, 12.0, 10.0)
    both = tmp_path / "both.txt"
    both.write_text(" 2\n" + text + text.replace(" 7 12", " 8 13"))
    assert [p.problem_number for p in read_capacitated_pmedian(both)] == [7, 8]


# ---------------------------------------------------------------- against published optima

FAST_INSTANCES = ["pmed1", "pmed2", "pmed4", "pmed5", "pmed7", "pmed8"]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", FAST_INSTANCES)
def test_answer_equals_published_optimum_and_bound_never_exceeds_it(shared_data: Path,
                                                                     name: str) -> None:
    folder = shared_data / "orlib_pmedian" / "uncapacitated"
    optimum = read_pmedian_optima(folder / "pmedopt.txt")[name]
    instance = read_pmedian(folder / f"{name}.txt")
    result = p_median(instance.cost_matrix, np.ones(instance.n_vertices),
                      n_hubs=instance.n_hubs, gap_target_pct=0.0, time_limit_seconds=20.0)
    assert result.bound <= optimum + 1e-9
    assert result.value >= optimum - 1e-9
    assert result.value == optimum


@pytest.mark.shared_data
def test_capacitated_answer_equals_published_optimum(shared_data: Path) -> None:
    path = shared_data / "orlib_pmedian" / "capacitated" / "pmedcap1_2.txt"
    instance = read_capacitated_pmedian_file(path)
    n = instance.demand.size
    result = p_median(instance.cost_matrix, np.ones(n), n_hubs=instance.n_hubs,
                      capacity=np.full(n, instance.capacity), load=instance.demand,
                      gap_target_pct=0.0, time_limit_seconds=30.0)
    assert result.bound <= instance.best_known + 1e-6
    assert result.value == pytest.approx(instance.best_known)
