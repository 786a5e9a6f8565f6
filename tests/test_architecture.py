"""Dependencies point one way: app.py -> dashboard/ -> geo/; geo never imports Dash or Plotly."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_GEO = ("dash", "plotly", "flask", "dashboard", "dash_leaflet", "dash_bootstrap_components")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_geo_never_imports_the_web_layer() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & set(FORBIDDEN_IN_GEO))
        for path in (ROOT / "geo").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_app_py_only_builds_and_runs() -> None:
    assert len((ROOT / "app.py").read_text().splitlines()) <= 20
