"""Load the locality once per process and turn it into what the browser draws.

The locality is read-only after loading, so caching it per process is safe with several
gunicorn workers: each worker holds the same immutable copy.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from dashboard.config import Settings
from geo.ingest.datasets import locality_folder
from geo.ingest.locality_files import load_locality
from geo.locality import Locality

WGS84 = "EPSG:4326"
AREA_SIMPLIFY_M = 25.0  # drawing only, at least: sub-25 m detail is invisible at county zoom
OUTLINE_SIMPLIFY_M = 50.0
# Larger localities are simplified to about one pixel when the whole locality spans this many
# pixels (a zoom level or so in from the fitted view): 25 m for a county, about 260 m for
# England and Wales, whose first page would otherwise carry 14 MB of polygons.
DRAWN_SPAN_PX = 2_500
METRES_PER_DEGREE = 111_000.0


@functools.lru_cache(maxsize=4)
def locality_for(folder: str) -> Locality:
    """The locality in ``folder``, read and checked once per process."""
    return load_locality(Path(folder))


def drawing_tolerance_m(frame: gpd.GeoDataFrame, floor_m: float) -> float:
    """Simplification tolerance for drawing ``frame``: ``floor_m``, or coarser for a big extent."""
    west, south, east, north = frame.total_bounds
    return max(floor_m, max(east - west, north - south) / DRAWN_SPAN_PX)


def coordinate_digits(tolerance_m: float) -> int:
    """Decimal places of degrees keeping about a tenth of the tolerance (5 places: about 1 m)."""
    return int(np.clip(np.ceil(-np.log10(tolerance_m / 10 / METRES_PER_DEGREE)), 4, 5))


def _to_geojson(frame: gpd.GeoDataFrame, properties: list[str], simplify_m: float) -> dict[str, Any]:
    """GeoJSON in WGS84, simplified to at least ``simplify_m``; coordinates rounded to match."""
    if frame.empty:  # an uploaded locality may have no main roads or services
        return {"type": "FeatureCollection", "features": []}
    drawn = frame[[*properties, "geometry"]].copy()
    tolerance_m = drawing_tolerance_m(drawn, simplify_m) if simplify_m else 1.0
    if simplify_m:
        drawn["geometry"] = drawn.geometry.simplify(tolerance_m, preserve_topology=True)
    drawn = drawn.to_crs(WGS84)
    digits = coordinate_digits(tolerance_m)
    # Rounding (not set_precision) keeps JSON numbers short and never fails on topology.
    geometries = shapely.transform(drawn.geometry.values, lambda xy: np.round(xy, digits))
    # Assembled from GEOS's GeoJSON and pandas' records (both in C): several times faster than
    # GeoDataFrame.to_json for England's 34,753 areas, and the same features.
    records = drawn[properties].to_json(orient="records", lines=True, double_precision=15).splitlines()
    shapes = ["null" if shape is None else shape for shape in shapely.to_geojson(geometries)]
    features = ",".join(f'{{"type":"Feature","properties":{record},"geometry":{shape}}}'
                        for record, shape in zip(records, shapes, strict=True))
    return dict(json.loads(f'{{"type":"FeatureCollection","features":[{features}]}}'))


@functools.lru_cache(maxsize=4)
def area_geojson(folder: str) -> dict[str, Any]:
    """Small areas for the choropleth; property ``i`` is the row number used for recolouring."""
    areas = locality_for(folder).areas.copy()
    areas["i"] = range(len(areas))
    return _to_geojson(areas, ["i", "code", "name", "district"], AREA_SIMPLIFY_M)


@functools.lru_cache(maxsize=4)
def county_geojson(folder: str) -> dict[str, Any]:
    return _to_geojson(locality_for(folder).county, ["name"], OUTLINE_SIMPLIFY_M)


@functools.lru_cache(maxsize=4)
def roads_geojson(folder: str) -> dict[str, Any]:
    return _to_geojson(locality_for(folder).main_roads, ["road_class"], OUTLINE_SIMPLIFY_M)


def lat_lon(frame: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """(latitude, longitude) of each point in ``frame``, for map markers."""
    points = frame.geometry.to_crs(WGS84)
    return [(round(p.y, 6), round(p.x, 6)) for p in points]


@functools.lru_cache(maxsize=4)
def map_bounds(folder: str) -> list[list[float]]:
    """[[south, west], [north, east]] of the county, for fitting the map."""
    west, south, east, north = locality_for(folder).county.to_crs(WGS84).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]


def planner_folder(settings: Settings) -> str:
    """The locality the planner uses: the active dataset version when there is a usable one,
    else DATA_FOLDER (the demo by default).

    Read on every call (one small file), so switching versions on the data page makes new
    page loads use the new one at once in every worker; each folder keeps its own cache
    entries, so pages still open on the old version keep working while it is switched.
    """
    folder = locality_folder(settings.datasets_folder)
    return str(folder) if folder is not None else str(settings.data_folder)


def current_dataset_version() -> str:
    """The id of the dataset version the planner uses ("v0002"), or "demo" for DATA_FOLDER:
    what a new plan's ``dataset_version`` should be, so "what changed since" can find it."""
    import flask

    settings = flask.current_app.config["DSP_SETTINGS"]
    folder = locality_folder(settings.datasets_folder)
    return folder.name if folder is not None else "demo"


def current_folder() -> str:
    """The data folder of the app serving this request (see :func:`planner_folder`)."""
    import flask

    return planner_folder(flask.current_app.config["DSP_SETTINGS"])


def current_locality() -> Locality:
    """The locality of the app serving this request."""
    return locality_for(current_folder())
