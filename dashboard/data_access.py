"""Load the locality once per process, resolve which one a request is for, and draw it.

The locality is read-only after loading, so caching it per process is safe with several
gunicorn workers: each worker holds the same immutable copy.

**A page keeps the data it was drawn from.** Every page carries its data version (the
store :data:`dashboard.ids.PAGE_DATA_VERSION`, first in the layout); the browser stamps
it on every callback request (``assets/data_version.js``, wired in by
:func:`renderer_hooks`), and :func:`current_folder` answers each callback from that
version's folder, whatever is active now. So an analyst activating a new version never
changes, or mixes into, a page already open; a page whose version cannot be served here
(a version this server does not hold) is told to reload (:class:`PageDataChangedError`).
Callbacks need nothing of their own for this: they call :func:`current_folder` or
:func:`current_locality` as before.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import dash
import geopandas as gpd
import numpy as np
import shapely
from dash.exceptions import MissingCallbackContextException
from dash.types import RendererHooks

from dashboard import ids
from dashboard.config import Settings
from geo.errors import PlannerError
from geo.ingest.datasets import DEMO_VERSION, VERSION_PATTERN, locality_folder, usable_version_folder
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


# The field of a callback request that carries the page's data version (assets/data_version.js).
REQUEST_FIELD = "dataVersion"
CUSTOM_DATA_NAMESPACE = "dsp_page"


class PageDataChangedError(PlannerError):
    """The data a page was drawn from cannot be served any more: the page must be reloaded."""


# The query parameter of a download address that carries the data version of the page it was
# offered on (dashboard/exports.py), so a file holds the figures that page shows.
QUERY_FIELD = "data"


def _version_name(value: object) -> str | None:
    """``value`` when it names a data version ("demo", "v0002"), else None: the browser's
    word is never used as a path."""
    if isinstance(value, str) and (value == DEMO_VERSION or VERSION_PATTERN.fullmatch(value)):
        return value
    return None


def page_data_version_from_request() -> str | None:
    """The data version the browser stamped on this callback request ("demo" or "v0002"),
    or None when there is none (a request from outside a page)."""
    import flask

    body = flask.request.get_json(silent=True) if flask.request else None
    return _version_name(body.get(REQUEST_FIELD)) if isinstance(body, dict) else None


# Read once per callback, with the request at hand, and carried into background jobs (which
# run where there is no request) with the rest of the callback's context.
dash.hooks.custom_data(CUSTOM_DATA_NAMESPACE)(lambda _context: page_data_version_from_request())


def page_data_version() -> str | None:
    """The data version of the page this request comes from, if it says: the version stamped
    on a callback, or a download address's ``data`` parameter."""
    import flask

    try:
        return _version_name(dash.callback_context.custom_data.get(CUSTOM_DATA_NAMESPACE))
    except (LookupError, MissingCallbackContextException):  # not answering a callback
        pass
    return _version_name(flask.request.args.get(QUERY_FIELD)) if flask.has_request_context() else None


def folder_for_version(settings: Settings, version: str) -> str:
    """The folder holding ``version``: DATA_FOLDER for "demo", else the saved version's own."""
    if version == DEMO_VERSION:
        return str(settings.data_folder)
    folder = usable_version_folder(settings.datasets_folder, version)
    if folder is None:
        raise PageDataChangedError(
            f"The data this page was drawn from (version {version}) is not available on this server. "
            "Reload the page to use the data in use now.")
    return str(folder)


def renderer_hooks() -> RendererHooks:
    """Dash renderer hooks that make every callback request carry its page's data version."""
    store = json.dumps(ids.PAGE_DATA_VERSION)
    return RendererHooks(
        layout_post=f"function(layout) {{ window.dspDataVersion.remember(layout, {store}); }}",
        request_pre=f"function(payload) {{ window.dspDataVersion.stamp(payload, {json.dumps(REQUEST_FIELD)}); }}",
    )


def page_data_changed(error: Exception) -> None:
    """The app's last word on a callback that failed: a page whose data is gone is told to
    reload (in the banner every page has); anything else is raised as before."""
    if not isinstance(error, PageDataChangedError):
        raise error
    dash.set_props(ids.DATA_CHANGED_NOTICE, {"children": str(error), "hidden": False})


def current_dataset_version() -> str:
    """The data version this request is for: its page's, else the one the planner uses now
    ("v0002", or "demo" for DATA_FOLDER). A new plan is pinned to it, so "what changed
    since" can find the data it was made on."""
    import flask

    version = page_data_version()
    if version is not None:
        return version
    settings = flask.current_app.config["DSP_SETTINGS"]
    folder = locality_folder(settings.datasets_folder)
    return folder.name if folder is not None else DEMO_VERSION


def current_folder() -> str:
    """The data folder this request is answered from: its page's data version's folder
    (see the module's docstring), else the one the planner uses now (:func:`planner_folder`)."""
    import flask

    settings = flask.current_app.config["DSP_SETTINGS"]
    version = page_data_version()
    return planner_folder(settings) if version is None else folder_for_version(settings, version)


def current_locality() -> Locality:
    """The locality this request is answered from (see :func:`current_folder`)."""
    return locality_for(current_folder())
