"""Run every ``benchmarks/bench_*.py`` and write their figures to results.json.

Each benchmark module exposes ``run() -> dict[str, Figure]`` and prints its own
tables. Usage: ``python -m benchmarks.run_all [name ...]`` (names without the
``bench_`` prefix select a subset).
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"


def main(selected: list[str]) -> int:
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if selected:
        modules = [m for m in modules if m.removeprefix("bench_") in selected]
    results: dict[str, object] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    failed = []
    for name in modules:
        print(f"\n=== {name} ===", flush=True)
        try:
            figures = importlib.import_module(f"benchmarks.{name}").run()
        except Exception:  # report and go on: one broken benchmark must not hide the rest
            traceback.print_exc()
            failed.append(name)
            continue
        results.update(figures)
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))
    print(f"\nFigures written to {RESULTS.relative_to(HERE.parent)}")
    if failed:
        print(f"Benchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
