"""Shared helpers for benchmarks: a figure record, timing, peak memory and tables."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

Figure = dict[str, Any]


def figure(value: float, unit: str, *, peer: float | None = None,
           peer_name: str | None = None, higher_is_better: bool = False) -> Figure:
    """Build one results.json entry.

    ``ratio`` is the peer's figure divided by ours for times and sizes (above 1
    means we are better); for figures where higher is better it is ours over the
    peer's.
    """
    entry: Figure = {"value": value, "unit": unit, "peer": peer, "ratio": None}
    if peer_name is not None:
        entry["peer_name"] = peer_name
    if peer is not None and value:
        entry["ratio"] = (value / peer) if higher_is_better else (peer / value)
    return entry


def time_call(func: Callable[[], Any], *, repeat: int = 5) -> tuple[float, Any]:
    """Return the median wall time in seconds over ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_memory_mb(func: Callable[[], Any]) -> tuple[float, Any]:
    """Return the peak Python-allocated memory (MB, tracemalloc) while ``func`` runs."""
    tracemalloc.start()
    try:
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6, result


def print_table(title: str, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """Print a plain-text table for people reading the console."""
    rendered = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in header]
    for row in rendered:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)))
    print("  ".join("-" * w for w in widths))
    for row in rendered:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return "" if value is None else str(value)
