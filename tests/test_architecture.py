"""Dependencies point one way: app.py -> dashboard/ -> geo/, and inside geo/ by trade.

geo/ never imports Dash, Plotly or Flask. Its analysis modules (the top level) never import
geo.ingest or geo.workspace; geo.ingest never imports geo.workspace; geo.placement imports
neither; geo/errors.py imports nothing from geo. Tests import helpers only from
tests/support/, never from another test module, a conftest or benchmarks/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "geo"
TESTS = ROOT / "tests"
BENCHMARKS = ROOT / "benchmarks"
FORBIDDEN_IN_GEO = ("dash", "plotly", "flask", "dashboard", "dash_leaflet", "dash_bootstrap_components")
# What each part of geo/ must not import (its own trade may import the analysis modules).
FORBIDDEN_TRADES = {
    "analysis": ("geo.ingest", "geo.workspace", "geo.placement"),
    "placement": ("geo.ingest", "geo.workspace"),
    "ingest": ("geo.workspace",),
    "workspace": ("geo.ingest", "geo.placement"),
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, at any depth (type-only imports too)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def trade_of(path: Path) -> str:
    """The trade a geo/ module belongs to: its package's name, or "analysis" at the top level."""
    relative = path.relative_to(GEO)
    return relative.parts[0] if len(relative.parts) > 1 else "analysis"


def _crosses(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)


def test_geo_never_imports_the_web_layer() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted({n.split(".")[0] for n in imported_modules(path)} & set(FORBIDDEN_IN_GEO))
        for path in GEO.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_each_trade_imports_only_in_its_direction() -> None:
    offenders: dict[str, list[str]] = {}
    for path in GEO.rglob("*.py"):
        if path == GEO / "__init__.py":  # the package's public API may gather from every trade
            continue
        forbidden = FORBIDDEN_TRADES[trade_of(path)]
        crossing = sorted(n for n in imported_modules(path) if _crosses(n, forbidden))
        if crossing:
            offenders[str(path.relative_to(ROOT))] = crossing
    assert offenders == {}


@pytest.mark.parametrize(("module", "trade"), [("geo/access.py", "analysis"), ("geo/ingest/uploads.py", "ingest"),
                                               ("geo/workspace/store.py", "workspace")])
def test_the_direction_check_sees_a_crossing(tmp_path: Path, module: str, trade: str) -> None:
    """The check above is not vacuous: an import across the line is found."""
    forbidden = FORBIDDEN_TRADES[trade]
    sample = tmp_path / "sample.py"
    sample.write_text(f"from {forbidden[0]}.anything import thing\n")
    assert trade_of(ROOT / module) == trade
    assert any(_crosses(n, forbidden) for n in imported_modules(sample))


def test_errors_import_nothing_from_geo() -> None:
    assert {n for n in imported_modules(GEO / "errors.py") if n.startswith("geo")} == set()


def test_app_py_only_builds_and_runs() -> None:
    assert len((ROOT / "app.py").read_text().splitlines()) <= 20


def _reaches_into_tests(name: str) -> bool:
    """Whether an import names a test module or a conftest (tests.support is what tests share)."""
    return _crosses(name, ("tests",)) and not _crosses(name, ("tests.support",)) and name != "tests"


def _test_import_offences(names: set[str], *, in_tests: bool) -> list[str]:
    """Which of a file's imports it may not make: other tests, and for a test also benchmarks."""
    return sorted(n for n in names if _reaches_into_tests(n) or (in_tests and _crosses(n, ("benchmarks",))))


def test_tests_share_helpers_only_through_tests_support() -> None:
    offenders = {str(path.relative_to(ROOT)): _test_import_offences(imported_modules(path),
                                                                     in_tests=path.is_relative_to(TESTS))
                 for path in [*TESTS.rglob("*.py"), *BENCHMARKS.rglob("*.py")]}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("line", ["from tests.geo.test_traveltime import grid_graph",
                                  "from tests.browser.conftest import wait_for_map",
                                  "from benchmarks.bench_load import follow_plan", "import tests.conftest"])
def test_the_test_import_check_sees_a_reach_into_another_test(tmp_path: Path, line: str) -> None:
    """The check above is not vacuous: each way a test used to reach into another is found."""
    sample = tmp_path / "test_sample.py"
    sample.write_text(line + "\nfrom tests.support.grids import square_areas\n")
    offences = _test_import_offences(imported_modules(sample), in_tests=True)
    assert offences and not any(n.startswith("tests.support") for n in offences)
