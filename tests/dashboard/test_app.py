"""The app factory, layout and map-layer callbacks, called directly (no browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dashboard import ids, map_panel
from dashboard.config import Settings, settings_from_env
from dashboard.layers import AREA_LAYERS, class_areas
from dashboard.map_panel import area_fill
from dashboard.security_headers import content_security_policy, tile_source
from geo.errors import PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER


def test_layout_builds_with_the_ids_outside_checks_rely_on(app) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    text = layout.get_data(as_text=True)
    for element_id in (ids.MAP, ids.LAYER_PICKER, ids.LEGEND, ids.PROVISION_TOTAL_SPEND):
        assert f'"{element_id}"' in text
    assert text.count('"Service: ') == 2 * 13  # title and alt of each of the 13 markers
    assert "Brackenshire (fictional)" in text


def test_responses_are_compressed(app) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    response = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    script = re.findall(r'/_dash-component-suites/[^"]+/dash_renderer[^"]+\.js', client.get("/").get_data(as_text=True))
    assert script, "the page names Dash's renderer script"
    response = client.get(script[0], headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"  # scripts are most of a first page


@pytest.mark.parametrize("layer", [layer.key for layer in AREA_LAYERS])
def test_every_layer_colours_every_area_and_explains_itself(layer: str) -> None:
    locality = load_locality()
    fill, legend = area_fill(locality, layer)
    assert len(fill["classes"]) == len(locality.areas)
    assert set(fill["classes"]) == set(range(len(fill["palette"])))
    legend_text = json.dumps([child.to_plotly_json() for child in legend], default=str)
    assert "to" in legend_text and len(legend) == 3


def test_quantile_classes_split_areas_evenly_and_mark_missing() -> None:
    import pandas as pd

    classed = class_areas(pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, float("nan")]), unit="%", decimals=0)
    assert classed.classes[-1] == -1
    assert classed.classes[:10] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert classed.legend_rows[-1][1] == "no data"
    assert classed.legend_rows[0][1] == "1 to 3 %"


@pytest.mark.parametrize(("environ", "message"), [
    ({"PORT": "eighty"}, "PORT must be a whole number"),
    ({"PORT": "70000"}, "PORT must be a whole number"),
    ({"DATA_FOLDER": "/no/such/folder"}, "DATA_FOLDER /no/such/folder is not a folder"),
    ({"TILES_URL": "https://tiles.example.org/map.png", "TILES_ATTRIBUTION": "x"}, "TILES_URL must be an http"),
    ({"TILES_URL": "file:///{z}/{x}/{y}.png", "TILES_ATTRIBUTION": "x"}, "TILES_URL must be an http"),
    ({"TILES_URL": "https://tiles.example.org/{z}/{x}/{y}.png"}, "TILES_ATTRIBUTION must say whose"),
])
def test_bad_settings_are_refused_with_the_variable_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        settings_from_env(environ)


def test_settings_defaults_and_overrides(tmp_path: Path) -> None:
    settings = settings_from_env({"HOST": "0.0.0.0", "PORT": "9000", "DATA_FOLDER": str(tmp_path)})
    assert (settings.host, settings.port, settings.data_folder) == ("0.0.0.0", 9000, tmp_path)
    assert settings_from_env({}).port == 8050


def test_context_tiles_only_when_tiles_url_names_them(locality) -> None:  # type: ignore[no-untyped-def]
    """Off by default (the app needs no connection); with TILES_URL, a tile layer under the areas, credited."""
    def tile_layers(settings: Settings) -> list[dict[str, Any]]:
        drawn = map_panel.layout(locality, str(DEMO_FOLDER), settings=settings).to_plotly_json()
        found: list[dict[str, Any]] = []
        stack: list[Any] = [drawn]
        while stack:
            node = stack.pop()
            if hasattr(node, "to_plotly_json"):
                node = node.to_plotly_json()
            if isinstance(node, dict):
                if node.get("type") == "TileLayer":
                    found.append(node["props"])
                stack.extend(node.values())
            elif isinstance(node, list | tuple):
                stack.extend(node)
        return found

    assert tile_layers(settings_from_env({})) == []
    tiled = settings_from_env({"TILES_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
                               "TILES_ATTRIBUTION": "© Example <Maps>"})
    [layer] = tile_layers(tiled)
    assert layer["url"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert layer["attribution"] == "© Example &lt;Maps&gt;"  # Leaflet shows the credit as markup


def test_the_tiles_server_is_the_only_other_place_images_may_come_from() -> None:
    assert "tile" not in content_security_policy([], tile_source(None))
    policy = content_security_policy([], tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png"))
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in policy
