"""Tiny upload files built in code for the upload, validation and dataset tests.

A locality of six 1 km squares in British National Grid metres (two rows of three),
an indicators table for them, and a services table; helpers turn these into the bytes of
each file format an analyst might upload.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import box

from geo.ingest.datasets import DatasetVersion, check_upload, road_tables, save_version
from geo.ingest.files import Upload
from geo.ingest.uploads import UploadSet
from geo.network import RoadNetwork

ORIGIN_X, ORIGIN_Y = 450_000.0, 250_000.0
SIDE_M = 1_000.0
CODES = tuple(f"E0100000{i}" for i in range(1, 7))


def area_frame(codes: Sequence[str] = CODES) -> gpd.GeoDataFrame:
    """Squares laid out left to right, bottom to top, three to a row."""
    shapes = []
    for i, _ in enumerate(codes):
        x = ORIGIN_X + (i % 3) * SIDE_M
        y = ORIGIN_Y + (i // 3) * SIDE_M
        shapes.append(box(x, y, x + SIDE_M, y + SIDE_M))
    return gpd.GeoDataFrame({"code": list(codes), "name": [f"Area {i + 1}" for i in range(len(codes))]},
                            geometry=shapes, crs=27700)


def indicator_frame(codes: Sequence[str] = CODES) -> pd.DataFrame:
    """Indicators for each area, consistent with each other (men + women = all, and so on)."""
    rows = []
    for i, code in enumerate(codes):
        total = 1_200 + 100 * i
        male = total // 2
        adults = round(total * 0.8)
        rows.append({
            "code": code, "pop_total": total, "pop_male": male, "pop_female": total - male,
            "pop_adult": adults, "bme_share": 0.05 + 0.01 * i, "imd_score": 10.0 + 3 * i,
            "imd_decile": 10 - i, "smi_prevalence_pct": 0.8 + 0.05 * i,
            "cmd_prevalence_pct": 15.0 + 0.5 * i,
        })
    return pd.DataFrame(rows)


def service_frame() -> pd.DataFrame:
    """Two services inside the squares, located by easting and northing."""
    return pd.DataFrame({
        "service_id": ["S01", "S02"],
        "name": ["Hillside Centre", "Riverside Works"],
        "service_type": ["Day centre", "Work project"],
        "provider": ["Trust", "Charity"],
        "easting": [ORIGIN_X + 500.0, ORIGIN_X + 2_500.0],
        "northing": [ORIGIN_Y + 500.0, ORIGIN_Y + 1_500.0],
        "budget_gbp": [100_000, 50_000],
        "budget_day_activity_gbp": [100_000, 20_000],
        "budget_employment_gbp": [0, 30_000],
        "budget_mainstream_gbp": [0, 0],
        "clients": [40, 20],
        "clients_female": [20, 8],
        "clients_18_24": [2, 5],
        "clients_bme": [3, 1],
        "clients_over_50": [25, 4],
        "functions": ["social_contact;structured_activity", "employment_support;skills"],
        "opening_days": ["Mon-Fri", "Mon-Thu"],
        "locality_wide": [False, True],
    })


def csv_bytes(frame: pd.DataFrame, *, encoding: str = "utf-8", sep: str = ",") -> bytes:
    """A DataFrame as CSV bytes in the given encoding."""
    return frame.to_csv(index=False, sep=sep).encode(encoding)


def xlsx_bytes(frame: pd.DataFrame, *, title_rows: Sequence[str] = (), sheet: str = "Data") -> bytes:
    """A DataFrame as an Excel workbook, optionally below some title rows."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for title in title_rows:
        ws.append([title])
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def spatial_bytes(frame: gpd.GeoDataFrame, driver: str, tmp_path: Path, *, name: str = "areas") -> bytes:
    """A GeoDataFrame written by GDAL with ``driver`` (GeoJSON or GPKG), as bytes."""
    suffix = {"GeoJSON": ".geojson", "GPKG": ".gpkg"}[driver]
    path = tmp_path / f"{name}{suffix}"
    pyogrio.write_dataframe(frame, path, driver=driver, layer=name if driver == "GPKG" else None)
    return path.read_bytes()


def shapefile_zip(frame: gpd.GeoDataFrame, tmp_path: Path, *, name: str = "areas",
                  folder: str = "", drop: Sequence[str] = (),
                  extra: dict[str, bytes] | None = None) -> bytes:
    """A zipped shapefile; ``drop`` leaves parts out (".prj"), ``extra`` adds members."""
    out = tmp_path / f"shp_{name}"
    out.mkdir(exist_ok=True)
    pyogrio.write_dataframe(frame, out / f"{name}.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(out.iterdir()):
            if part.suffix in drop:
                continue
            archive.write(part, f"{folder}{part.name}")
        for member, content in (extra or {}).items():
            archive.writestr(member, content)
    return buffer.getvalue()


def geojson_without_crs(frame: gpd.GeoDataFrame) -> bytes:
    """GeoJSON text with no ``crs`` member (coordinates as they are in ``frame``)."""
    data = json.loads(frame.to_json())
    data.pop("crs", None)
    return json.dumps(data).encode("utf-8")


TOPOJSON_TWO_SQUARES = json.dumps({
    "type": "Topology",
    "objects": {"areas": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "arcs": [[0]], "properties": {"LSOA11CD": "E01000001", "LSOA11NM": "A 1"}},
        {"type": "Polygon", "arcs": [[1]], "properties": {"LSOA11CD": "E01000002", "LSOA11NM": "A 2"}},
    ]}},
    "arcs": [
        [[-1.0, 52.0], [-0.99, 52.0], [-0.99, 52.01], [-1.0, 52.01], [-1.0, 52.0]],
        [[-0.99, 52.0], [-0.98, 52.0], [-0.98, 52.01], [-0.99, 52.01], [-0.99, 52.0]],
    ],
}).encode("utf-8")


def good_upload_set(tmp_path: Path, *, with_services: bool = True) -> UploadSet:
    """A complete, valid upload of the six squares."""
    return UploadSet(
        areas=Upload("areas.geojson", spatial_bytes(area_frame(), "GeoJSON", tmp_path)),
        indicators=(Upload("indicators.csv", csv_bytes(indicator_frame())),),
        services=Upload("services.csv", csv_bytes(service_frame())) if with_services else None,
    )


def folder_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes), to compare before and after."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} | {
        str(p.relative_to(root)) + "/": b"" for p in sorted(root.rglob("*")) if p.is_dir()}


def save_with_one_road(root: Path, uploads: UploadSet, name: str, *, activate: bool = True) -> DatasetVersion:
    """Save an upload of the six squares as a version with a one-road network beside it."""
    prepared = check_upload(root, uploads)
    version = save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest, locality_name=name,
                           activate=activate)
    one_road = RoadNetwork(node_id=np.array([1, 2]), x=np.array([ORIGIN_X + 100, ORIGIN_X + 2_900]),
                           y=np.array([ORIGIN_Y + 500, ORIGIN_Y + 1_500]), edge_u=np.array([0]),
                           edge_v=np.array([1]), edge_class=np.array([1], dtype=np.int8),
                           edge_length_m=np.array([3_000.0]), edge_oneway=np.array([False]), source="test")
    for table, layer in zip(road_tables(one_road), ("road_nodes", "road_edges"), strict=True):
        table.to_parquet(version.path / f"{layer}.parquet", index=False)
    return version
