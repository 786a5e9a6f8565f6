"""Read Beasley's OR-Library p-median test problems and their published optima.

These are the standard correctness checks for a placement solver: 40
uncapacitated problems (pmed1-40, graphs whose distances are all-pairs shortest
paths) and 20 capacitated ones (Osman and Christofides' pmedcap1, points in a
plane). Two quirks of the files, both verified against the published optima:
an edge listed twice keeps its *last* cost, and capacitated distances are the
Euclidean distance truncated (floored) to an integer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from geo.errors import DataFileError

__all__ = [
    "CapacitatedInstance",
    "PMedianInstance",
    "read_capacitated_pmedian",
    "read_capacitated_pmedian_file",
    "read_pmedian",
    "read_pmedian_optima",
]


@dataclass(frozen=True)
class PMedianInstance:
    """One uncapacitated problem: every vertex is both a demand point and a candidate site.

    ``cost_matrix`` is the shortest-path distance between vertices; every demand is 1.
    """

    name: str
    n_vertices: int
    n_edges: int
    n_hubs: int
    cost_matrix: NDArray[np.float64]


@dataclass(frozen=True)
class CapacitatedInstance:
    """One capacitated problem: customers are also the candidate sites.

    The objective counts distance only (each customer once); ``demand`` only uses up
    ``capacity``, which is the same for every median.
    """

    name: str
    problem_number: int
    n_hubs: int
    capacity: float
    coordinates: NDArray[np.float64]
    demand: NDArray[np.float64]
    cost_matrix: NDArray[np.float64]
    best_known: float


def _numbers(path: Path) -> list[float]:
    try:
        text = path.read_text()
    except OSError as error:
        raise DataFileError(f"{path}: cannot read the file ({error})") from error
    try:
        return [float(token) for token in text.split()]
    except ValueError as error:
        raise DataFileError(f"{path}: expected only numbers, found {error}") from error


def read_pmedian(path: Path | str) -> PMedianInstance:
    """Read one ``pmedN.txt`` file and build its shortest-path distance matrix.

    Line 1 is ``n m p``; then ``m`` lines ``i j cost`` (undirected, 1-based). A
    vertex pair listed more than once keeps the cost of its last line, which is
    what reproduces the published optima.
    """
    path = Path(path)
    values = _numbers(path)
    if len(values) < 3:
        raise DataFileError(f"{path}: expected a header 'n m p', found {len(values)} numbers")
    n, m, p = (int(v) for v in values[:3])
    body = values[3:]
    if len(body) != 3 * m:
        raise DataFileError(
            f"{path}: header says {m} edges, so {3 * m} numbers after it; found {len(body)}")
    edges = np.array(body, dtype=np.float64).reshape(m, 3)
    ends = edges[:, :2].astype(np.int64) - 1
    if ends.min(initial=0) < 0 or ends.max(initial=0) >= n:
        raise DataFileError(f"{path}: edge ends must be vertices 1..{n}")
    last: dict[tuple[int, int], float] = {}
    for (i, j), cost in zip(ends.tolist(), edges[:, 2].tolist(), strict=True):
        last[(min(i, j), max(i, j))] = cost
    rows = np.array([k[0] for k in last], dtype=np.int64)
    cols = np.array([k[1] for k in last], dtype=np.int64)
    weights = np.array(list(last.values()), dtype=np.float64)
    graph = coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
    distances = shortest_path(graph, method="D", directed=False)
    if not np.isfinite(distances).all():
        raise DataFileError(f"{path}: the graph is not connected")
    name = path.stem
    return PMedianInstance(name=name, n_vertices=n, n_edges=m, n_hubs=p,
                           cost_matrix=distances)


def read_pmedian_optima(path: Path | str) -> dict[str, float]:
    """Read ``pmedopt.txt``: a header line, then ``pmedK value`` per line."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise DataFileError(f"{path}: cannot read the file ({error})") from error
    optima: dict[str, float] = {}
    for number, line in enumerate(lines, start=1):
        match = re.fullmatch(r"\s*(pmed\d+)\s+(\d+(?:\.\d*)?)\s*", line)
        if match:
            optima[match.group(1)] = float(match.group(2))
        elif line.strip() and number > 1:
            raise DataFileError(f"{path}, line {number}: expected 'pmedK value', found {line!r}")
    if not optima:
        raise DataFileError(f"{path}: no 'pmedK value' lines found")
    return optima


def _capacitated_from_numbers(values: list[float], where: str) -> tuple[CapacitatedInstance, int]:
    """Parse one capacitated problem from the front of ``values``; return it and numbers used."""
    if len(values) < 5:
        raise DataFileError(f"{where}: expected 'number best' and 'n p capacity' headers")
    number, best = int(values[0]), values[1]
    n, p, capacity = int(values[2]), int(values[3]), values[4]
    needed = 5 + 4 * n
    if len(values) < needed:
        raise DataFileError(
            f"{where}: problem {number} needs {n} customer lines (4 numbers each); "
            f"found {len(values) - 5} numbers")
    rows = np.array(values[5:needed], dtype=np.float64).reshape(n, 4)
    coordinates = rows[:, 1:3]
    difference = coordinates[:, None, :] - coordinates[None, :, :]
    cost = np.floor(np.sqrt((difference ** 2).sum(axis=2)))
    instance = CapacitatedInstance(
        name=f"pmedcap1_{number}", problem_number=number, n_hubs=p, capacity=capacity,
        coordinates=coordinates, demand=rows[:, 3].copy(), cost_matrix=cost, best_known=best)
    return instance, needed


def read_capacitated_pmedian_file(path: Path | str) -> CapacitatedInstance:
    """Read one capacitated problem file (``pmedcap1_K.txt``): distances floored."""
    path = Path(path)
    return _capacitated_from_numbers(_numbers(path), str(path))[0]


def read_capacitated_pmedian(path: Path | str) -> list[CapacitatedInstance]:
    """Read OR-Library's ``pmedcap1.txt``: a count, then that many problems back to back."""
    path = Path(path)
    values = _numbers(path)
    if not values:
        raise DataFileError(f"{path}: empty file")
    count = int(values[0])
    position = 1
    problems = []
    for _ in range(count):
        instance, used = _capacitated_from_numbers(values[position:], str(path))
        problems.append(instance)
        position += used
    if position != len(values):
        raise DataFileError(
            f"{path}: {len(values) - position} numbers left over after {count} problems")
    return problems
