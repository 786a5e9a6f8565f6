"""Loading a locality: the demo loads; broken folders fail with the file and problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import DataFileError
from geo.ingest.locality_files import load_locality
from geo.locality import AREA_COLUMNS, DEMO_FOLDER
from geo.snapping import area_origins


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


# ---------------------------------------------------------------------------------------
# Uploaded localities: optional columns and layers may be missing or empty
# ---------------------------------------------------------------------------------------
def _rewrite(gpkg: Path, layers: dict[str, object]) -> None:
    """Write ``layers`` (name -> GeoDataFrame) as the whole GeoPackage, dropping the others."""
    gpkg.unlink()
    for name, frame in layers.items():
        frame.to_file(gpkg, layer=name, driver="GPKG")  # type: ignore[attr-defined]


def _demo_layers(folder: Path) -> dict[str, object]:
    import geopandas as gpd

    gpkg = folder / "locality.gpkg"
    return {name: gpd.read_file(gpkg, layer=name)
            for name in ("county", "districts", "areas", "towns", "services", "main_roads")}


def test_the_demo_loads_exactly_as_stored() -> None:
    import geopandas as gpd

    stored = gpd.read_file(DEMO_FOLDER / "locality.gpkg", layer="areas")
    loaded = load_locality().areas
    pd.testing.assert_frame_equal(pd.DataFrame(loaded), pd.DataFrame(stored))


def test_optional_area_columns_and_layers_get_their_documented_defaults(demo_copy: Path) -> None:
    import numpy as np

    layers = _demo_layers(demo_copy)
    areas = layers["areas"]
    areas = areas.drop(columns=["district", "town", "lot", "need_index", "need_weight", "pwc_x", "pwc_y",
                                "area_km2", "pop_under_18", "bme_share"])
    areas["pop_female"] = np.nan
    areas.loc[3, "imd_score"] = np.nan
    towns = layers["towns"].drop(columns=["is_biggest", "district"])
    kept = {k: v for k, v in layers.items() if k not in ("services", "main_roads")}
    _rewrite(demo_copy / "locality.gpkg", {**kept, "areas": areas, "towns": towns})

    locality = load_locality(demo_copy)
    got = locality.areas
    assert list(got.columns[:len(AREA_COLUMNS)]) == list(AREA_COLUMNS)
    assert set(got["district"]) == {locality.name}
    assert set(got["town"]) == {"Unknown"} and set(got["lot"]) == {"Central"}
    assert (got["need_index"] == 100).all()
    assert np.allclose(got["need_weight"], got["pop_adult"])
    assert np.allclose(got["pop_under_18"], got["pop_total"] - got["pop_adult"])
    assert np.allclose(got["area_km2"], got.geometry.area / 1e6)
    assert got["pwc_x"].isna().all() and got["pwc_y"].isna().all()  # not known: never a stand-in
    starts = area_origins(got)  # journeys start inside each polygon instead
    assert gpd_points(pd.Series(starts[:, 0]), pd.Series(starts[:, 1])).within(
        got.geometry.reset_index(drop=True)).all()
    assert got["pop_female"].isna().all() and got["bme_share"].isna().all()
    assert got["imd_score"].isna().sum() == 1  # an empty value stays unknown, never 0
    assert locality.services.empty and list(locality.services.columns[:2]) == ["service_id", "name"]
    assert locality.main_roads.empty and "road_class" in locality.main_roads.columns
    biggest = locality.towns.loc[locality.towns["population"].idxmax(), "name"]
    assert locality.biggest_town == biggest == "Kingsmere"


def gpd_points(x: pd.Series, y: pd.Series):  # type: ignore[no-untyped-def]
    import geopandas as gpd

    return gpd.GeoSeries(gpd.points_from_xy(x, y), crs=27700)


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.drop(columns=["pop_adult"]), r"layer 'areas': missing column\(s\) pop_adult"),
    (lambda a: a.assign(pop_total=a["pop_total"].where(a.index != 4)),
     r"row 5 \(area ZZ01000005\), column pop_total: expected a number of at least 0, found nothing"),
    (lambda a: a.assign(name=a["name"].where(a.index != 1, "")), r"row 2, column name: expected a value"),
    (lambda a: a.assign(imd_score=a["imd_score"].astype(object).where(a.index != 6, "high")),
     r"row 7 \(area ZZ01000007\), column imd_score: expected a number of at least 0, found 'high'"),
])
def test_required_and_filled_area_values_are_still_checked(demo_copy: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    layers = _demo_layers(demo_copy)
    _rewrite(demo_copy / "locality.gpkg", {**layers, "areas": change(layers["areas"])})
    with pytest.raises(DataFileError, match=message):
        load_locality(demo_copy)


def test_a_required_layer_cannot_be_empty_but_services_may_be(demo_copy: Path) -> None:
    layers = _demo_layers(demo_copy)
    _rewrite(demo_copy / "locality.gpkg", {**layers, "services": layers["services"].iloc[0:0]})
    assert load_locality(demo_copy).services.empty
    _rewrite(demo_copy / "locality.gpkg", {**layers, "towns": layers["towns"].iloc[0:0]})
    with pytest.raises(DataFileError, match=r"layer 'towns': the layer has no rows"):
        load_locality(demo_copy)
