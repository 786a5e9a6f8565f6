"""Loading a locality: the demo loads; broken folders fail with the file and problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import DataFileError
from geo.io import DEMO_FOLDER, load_locality


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_FOLDER, folder)
    return folder


def test_demo_loads_as_typed_locality() -> None:
    locality = load_locality()
    assert locality.is_fictional
    assert locality.biggest_town == "Kingsmere"
    assert locality.areas.crs.to_epsg() == 27700
    assert list(locality.road_nodes["node_id"][:3]) == [0, 1, 2]


def test_missing_geopackage_is_named(demo_copy: Path) -> None:
    (demo_copy / "locality.gpkg").unlink()
    with pytest.raises(DataFileError, match=r"locality\.gpkg: file not found"):
        load_locality(demo_copy)


def test_missing_road_table_is_named(demo_copy: Path) -> None:
    (demo_copy / "road_edges.parquet").unlink()
    with pytest.raises(DataFileError, match=r"road_edges\.parquet: file not found"):
        load_locality(demo_copy)


def test_unreadable_parquet_is_named(demo_copy: Path) -> None:
    (demo_copy / "road_nodes.parquet").write_text("not parquet")
    with pytest.raises(DataFileError, match=r"road_nodes\.parquet: cannot read as Parquet"):
        load_locality(demo_copy)


def test_missing_column_is_named(demo_copy: Path) -> None:
    edges = pd.read_parquet(demo_copy / "road_edges.parquet").drop(columns="length_m")
    edges.to_parquet(demo_copy / "road_edges.parquet")
    with pytest.raises(DataFileError, match=r"road_edges\.parquet: missing column\(s\) length_m"):
        load_locality(demo_copy)


def test_edge_to_unknown_node_names_row_and_column(demo_copy: Path) -> None:
    edges = pd.read_parquet(demo_copy / "road_edges.parquet")
    edges.loc[4, "v"] = 10_000_000
    edges.to_parquet(demo_copy / "road_edges.parquet")
    with pytest.raises(DataFileError, match=r"row 5, column v: node 10000000 is not in road_nodes\.parquet"):
        load_locality(demo_copy)


def test_negative_population_names_area_and_column(demo_copy: Path) -> None:
    import geopandas as gpd

    gpkg = demo_copy / "locality.gpkg"
    areas = gpd.read_file(gpkg, layer="areas")
    areas.loc[2, "pop_female"] = -5
    areas.to_file(gpkg, layer="areas", driver="GPKG")
    with pytest.raises(DataFileError, match=r"layer 'areas', row 3 \(area ZZ01000003\), column pop_female"):
        load_locality(demo_copy)


def test_wrong_projection_is_refused(demo_copy: Path) -> None:
    import geopandas as gpd

    gpkg = demo_copy / "locality.gpkg"
    towns = gpd.read_file(gpkg, layer="towns").to_crs(4326)
    towns.to_file(gpkg, layer="towns", driver="GPKG")
    with pytest.raises(DataFileError, match=r"layer 'towns': expected British National Grid \(EPSG:27700\)"):
        load_locality(demo_copy)
