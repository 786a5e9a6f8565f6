"""Hostile names: text an attacker could put in an uploaded table, a hub's name or a scenario's title.

Every sink test (markers, labels, tooltips, hover text, tables, the pack) uses these, so a
new trick added here is tried everywhere. ``MARKUP`` are the fragments that must never
reach a page as markup: a sink is safe when none of them appears unescaped in what it sends.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd

from tests.support.paths import PROJECT_ROOT

HOSTILE_NAMES = (
    "<img src=x onerror=alert(1)>",
    '<a href="https://evil.example/">Click for the papers</a>',
    '"><script>alert(2)</script>',
    "<span style='font-size:90px;color:red'>Huge</span>",
)
MARKUP = ("<img src=x", '<a href="https://evil.example', "<script>alert", "<span style='font-size:90px")
DEMO_FOLDER = PROJECT_ROOT / "data" / "demo"


def hostile(name: str, index: int) -> str:
    """``name`` with one of the hostile names after it (so names stay distinct)."""
    return f"{name} {HOSTILE_NAMES[index % len(HOSTILE_NAMES)]}"


def unescaped_markup(text: str) -> list[str]:
    """The hostile fragments found unescaped in ``text`` (empty when the sink escaped them)."""
    return [fragment for fragment in MARKUP if fragment in text]


def hostile_locality(folder: Path) -> Path:
    """A copy of the demo locality in ``folder`` whose towns, areas, districts and services have hostile names."""
    folder.mkdir(parents=True, exist_ok=True)
    for road_file in DEMO_FOLDER.glob("road_*.parquet"):
        shutil.copy(road_file, folder / road_file.name)
    source = DEMO_FOLDER / "locality.gpkg"
    districts = gpd.read_file(source, layer="districts")["district"].tolist()
    renamed = {name: hostile(name, i) for i, name in enumerate(districts)}
    target = folder / "locality.gpkg"
    for layer in ("county", "districts", "areas", "towns", "services", "main_roads"):
        frame = gpd.read_file(source, layer=layer)
        if "district" in frame:
            frame["district"] = frame["district"].map(renamed)
        if layer in ("areas", "towns", "services"):
            frame["name"] = [hostile(str(name), i) for i, name in enumerate(frame["name"])]
        if layer == "services":
            frame["provider"] = [hostile(str(name), i + 1) for i, name in enumerate(frame["provider"])]
        frame.to_file(target, layer=layer, driver="GPKG")
    return folder
