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
import shapely

from geo.io import Locality, load_locality

WGS84 = "EPSG:4326"
AREA_SIMPLIFY_M = 25.0  # drawing only: sub-25 m detail is invisible at county zoom
OUTLINE_SIMPLIFY_M = 50.0


@functools.lru_cache(maxsize=4)
def locality_for(folder: str) -> Locality:
    """The locality in ``folder``, read and checked once per process."""
    return load_locality(Path(folder))


def _to_geojson(frame: gpd.GeoDataFrame, properties: list[str], simplify_m: float) -> dict[str, Any]:
    """GeoJSON in WGS84 with simplified geometry, coordinates rounded to about 1 m."""
    drawn = frame[[*properties, "geometry"]].copy()
    if simplify_m:
        drawn["geometry"] = drawn.geometry.simplify(simplify_m, preserve_topology=True)
    drawn = drawn.to_crs(WGS84)
    drawn["geometry"] = shapely.set_precision(drawn.geometry.values, grid_size=1e-5)
    return dict(json.loads(drawn.to_json(drop_id=True)))


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


def current_folder() -> str:
    """The data folder of the app serving this request (set by the app factory)."""
    import flask

    return str(flask.current_app.config["DSP_SETTINGS"].data_folder)


def current_locality() -> Locality:
    """The locality of the app serving this request."""
    return locality_for(current_folder())
