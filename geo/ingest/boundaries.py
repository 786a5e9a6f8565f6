"""Area boundaries: GeoJSON, GeoPackage, zipped Shapefile or TopoJSON read into British National Grid, and checked."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import UploadError
from geo.ingest.cells import BRITISH_NATIONAL_GRID, GB_EASTING, GB_NORTHING, Table, blank, check_codes, row_number
from geo.ingest.columns import map_columns
from geo.ingest.files import (
    DEFAULT_LIMITS,
    FORMAT_NAMES,
    FileFormat,
    Upload,
    UploadLimits,
    check_archive,
    detect_format,
    read_member,
)
from geo.ingest.report import Issue, IssueList, choice, short_list

_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf")


_SHAPEFILE_OPTIONAL = (".prj", ".cpg")


def read_boundaries(upload: Upload, *, crs: str | int | None = None, layer: str | None = None,
                    columns: Mapping[str, str] | None = None,
                    limits: UploadLimits = DEFAULT_LIMITS) -> tuple[Table, list[Issue]]:
    """Read area polygons from GeoJSON, GeoPackage, zipped Shapefile or TopoJSON.

    Returns a :class:`Table` (rows numbered by feature, from 1) in British National Grid
    metres, with attribute headers mapped like an indicator table. ``crs`` is the
    projection to assume when the file declares none.
    """
    file_format = detect_format(upload, limits=limits)
    if file_format in ("csv", "xlsx"):
        raise UploadError(f"{upload.name}: expected area boundaries (GeoJSON, GeoPackage, zipped "
                          f"Shapefile or TopoJSON); found a {FORMAT_NAMES[file_format]} table")
    source: bytes = upload.content
    if file_format == "shapefile_zip":
        source, layer = _flat_shapefile_zip(upload, layer, limits)
    layer = _choose_layer(upload, source, layer)
    frame = _read_spatial(upload, source, layer)
    issues: list[Issue] = []
    frame, crs_issues = _to_british_grid(upload, frame, file_format, crs)
    issues.extend(crs_issues)
    header = [str(c) for c in frame.columns if c != frame.geometry.name]
    mapping = map_columns(header, "areas", columns)
    attributes = pd.DataFrame(
        {name: frame[header[position]].astype(object) for position, name in mapping.items()})
    attributes.index = pd.RangeIndex(1, len(frame) + 1)
    geometry = gpd.GeoSeries(frame.geometry.to_numpy(), index=attributes.index, crs=frame.crs)
    table_frame = gpd.GeoDataFrame(attributes, geometry=geometry, crs=frame.crs)
    headers = {name: header[position] for position, name in mapping.items()}
    return Table(upload.name, table_frame, headers, row_label="feature", all_headers=tuple(header)), issues


def _flat_shapefile_zip(upload: Upload, layer: str | None,
                        limits: UploadLimits) -> tuple[bytes, str | None]:
    """A new in-memory zip holding one shapefile's parts at its root, so GDAL reads it
    whatever folders the analyst zipped."""
    members = check_archive(upload, limits=limits)
    archive = zipfile.ZipFile(io.BytesIO(upload.content))
    stems: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        suffix = path.suffix.lower()
        if suffix in _SHAPEFILE_PARTS + _SHAPEFILE_OPTIONAL:
            stems.setdefault(str(path.with_suffix("")), {})[suffix] = member
    shapes = {stem: parts for stem, parts in stems.items() if ".shp" in parts}
    if layer is not None:
        shapes = {s: p for s, p in shapes.items() if PurePosixPath(s).name == layer}
        if not shapes:
            raise UploadError(f"{upload.name}: no shapefile named {layer!r} in the archive; found "
                              f"{short_list([PurePosixPath(s).name for s in stems])}")
    if len(shapes) > 1:
        names = sorted(f"{s}.shp" for s in shapes)
        polygon = [s for s in shapes if _shapefile_is_polygon(archive, shapes[s][".shp"], upload)]
        if len(polygon) != 1:
            raise UploadError(f"{upload.name}: the archive holds several shapefiles "
                              f"({short_list(names)}); say which one holds the areas: {choice('layer')}")
        shapes = {polygon[0]: shapes[polygon[0]]}
    stem, parts = next(iter(shapes.items()))
    name = PurePosixPath(stem).name
    absent = [s for s in _SHAPEFILE_PARTS if s not in parts]
    if absent:
        raise UploadError(f"{upload.name}: the archive holds {name}.shp but not "
                          f"{', '.join(name + s for s in absent)}; expected all the files of the "
                          "shapefile zipped together")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as flat:
        for suffix, member in parts.items():
            flat.writestr(f"{name}{suffix}", read_member(archive, member, upload))
    return buffer.getvalue(), name


def _shapefile_is_polygon(archive: zipfile.ZipFile, member: zipfile.ZipInfo, upload: Upload) -> bool:
    head = read_member(archive, member, upload)[:36]
    return len(head) >= 36 and int.from_bytes(head[32:36], "little") in (5, 15, 25)


def _choose_layer(upload: Upload, source: bytes, layer: str | None) -> str | None:
    try:
        with _quiet_gdal():
            import pyogrio

            layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(source)]
    except Exception as error:  # pyogrio raises several types for unreadable input
        raise UploadError(f"{upload.name}: cannot read as a spatial file ({_short_error(error)})") from error
    names = [n for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise UploadError(f"{upload.name}: no layer named {layer!r}; found layers {short_list(names)}")
        return layer
    if len(layers) <= 1:
        return None  # the only layer (its name may be a temporary one, so do not pass it)
    if "areas" in names:
        return "areas"
    polygons = [n for n, t in layers if "polygon" in t.lower()]
    if len(polygons) == 1:
        return polygons[0]
    raise UploadError(f"{upload.name}: the file has several layers ({short_list(names)}); say "
                      f"which one holds the areas: {choice('layer')}")


def _read_spatial(upload: Upload, source: bytes, layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        with _quiet_gdal():
            frame = pyogrio.read_dataframe(source, layer=layer)
    except Exception as error:  # pyogrio raises several types for unreadable input
        raise UploadError(f"{upload.name}: cannot read the areas ({_short_error(error)})") from error
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise UploadError(f"{upload.name}: expected polygons, found a table with no geometry")
    return frame


@contextmanager
def _quiet_gdal() -> Iterator[None]:
    """Silence GDAL's chatter (file-extension notices) that pyogrio raises as warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


_FRIENDLY_ERRORS = (
    ("malformed", "the file is damaged or cut short"),
    ("not a database", "the file is damaged or not a GeoPackage"),
    ("not recognized as being in a supported file format", "not a spatial format that can be read"),
    ("Unterminated", "the file is cut short or not valid JSON"),
    ("nested", "its contents are nested too deeply to be areas"),
    ("Invalid projection", "the projection is not one that is known"),
)
_UNREADABLE = "it may be damaged, cut short, or not the kind of file its name says"


def _short_error(error: BaseException) -> str:
    """A library's reason in words an analyst can act on: never its own text, which names its internals."""
    text = str(error)
    for marker, friendly in _FRIENDLY_ERRORS:
        if marker in text:
            return friendly
    return _UNREADABLE


def _to_british_grid(upload: Upload, frame: gpd.GeoDataFrame, file_format: FileFormat,
                     crs: str | int | None) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Reproject to EPSG:27700, refusing files whose projection is unknown."""
    issues: list[Issue] = []
    bounds = frame.total_bounds if len(frame) else np.array([np.nan] * 4)
    lonlat_like = bool(np.all(np.isfinite(bounds))) and (
        -180 <= bounds[0] <= 180 and -180 <= bounds[2] <= 180
        and -90 <= bounds[1] <= 90 and -90 <= bounds[3] <= 90)
    declared = frame.crs
    geojson_default = file_format == "geojson" and declared is not None and declared.to_epsg() == 4326
    if crs is not None and (declared is None or geojson_default):
        try:
            frame = frame.set_crs(crs, allow_override=True)
        except Exception as error:  # pyproj raises CRSError and others for unknown names
            raise UploadError(f"{upload.name}: the projection {crs!r} is not known "
                              f"({_short_error(error)}); expected for example EPSG:27700") from error
    elif declared is None:
        if file_format == "topojson" and lonlat_like:
            frame = frame.set_crs(4326)
            issues.append(Issue("warning", upload.name, None, None,
                                "TopoJSON carries no projection; the coordinates look like "
                                "longitude/latitude, so WGS84 (EPSG:4326) was assumed", "assumed_crs"))
        else:
            raise UploadError(
                f"{upload.name}: the file has no projection (no .prj file or CRS); expected one, "
                f"so the areas can be placed on the map. Coordinates run from "
                f"{_bounds_text(bounds)}{_crs_hint(bounds)}; give {choice('crs')}")
    if frame.crs is not None and frame.crs.is_geographic and not lonlat_like and len(frame):
        raise UploadError(
            f"{upload.name}: the file says longitude/latitude ({frame.crs.to_string()}) but the "
            f"coordinates run from {_bounds_text(bounds)}{_crs_hint(bounds)}; give the right one: "
            f"{choice('crs')}")
    try:
        with _quiet_gdal():
            projected = frame.to_crs(BRITISH_NATIONAL_GRID)
    except Exception as error:  # pyproj raises several types for impossible transforms
        raise UploadError(f"{upload.name}: cannot reproject from {frame.crs} to British National "
                          f"Grid ({_short_error(error)})") from error
    new_bounds = projected.total_bounds if len(projected) else bounds
    inside = (GB_EASTING[0] - 50_000 <= new_bounds[0] and new_bounds[2] <= GB_EASTING[1] + 50_000
              and GB_NORTHING[0] - 50_000 <= new_bounds[1] and new_bounds[3] <= GB_NORTHING[1])
    if len(projected) and not inside:
        raise UploadError(
            f"{upload.name}: after reprojection the areas lie outside Great Britain (eastings "
            f"{new_bounds[0]:,.0f} to {new_bounds[2]:,.0f}, northings {new_bounds[1]:,.0f} to "
            f"{new_bounds[3]:,.0f}); expected a British locality: is the projection right?")
    return projected, issues


def _bounds_text(bounds: np.ndarray) -> str:
    return f"({bounds[0]:,.2f}, {bounds[1]:,.2f}) to ({bounds[2]:,.2f}, {bounds[3]:,.2f})"


def _crs_hint(bounds: np.ndarray) -> str:
    if (GB_EASTING[0] <= bounds[0] and bounds[2] <= GB_EASTING[1]
            and GB_NORTHING[0] <= bounds[1] and bounds[3] <= GB_NORTHING[1] and bounds[2] > 1000):
        return ", which looks like British National Grid metres (EPSG:27700)"
    return ""


def check_boundaries(table: Table) -> tuple[gpd.GeoDataFrame | None, list[Issue]]:
    """Check area polygons: a code on every feature, each code once, usable geometry.

    Invalid polygons are repaired with ``make_valid`` (keeping the polygon parts) and
    reported as warnings with the change in area; empty or unrepairable ones are errors.
    Returns ``code``, ``name`` (when given) and ``geometry``, indexed by feature number.
    """
    frame = table.frame
    issues = IssueList(total=len(frame))
    if "code" not in frame.columns:
        issues.add("error", table.file, None, None,
                   "expected a column of area codes (for example LSOA11CD or code); found "
                   f"columns {table.found_columns()}", check="missing_column")
        return None, issues.done()
    codes = check_codes(table, issues, what="an area code")
    geometry = gpd.GeoSeries(frame.geometry, index=frame.index, crs=frame.crs)
    repaired: list[shapely.Geometry | None] = []
    for row, shape in geometry.items():
        code = codes.get(row) or "(no code)"
        label = f"area {code}"
        if shape is None or shape.is_empty:
            issues.add("error", table.file, row_number(row), "geometry",
                       f"{label}: expected a polygon, found an empty geometry",
                       check="empty_geometry", row_label=table.row_label)
            repaired.append(None)
            continue
        if shape.geom_type not in ("Polygon", "MultiPolygon") and shape.is_valid:
            issues.add("error", table.file, row_number(row), "geometry",
                       f"{label}: expected a polygon, found a {shape.geom_type}",
                       check="not_a_polygon", row_label=table.row_label)
            repaired.append(None)
            continue
        if shape.has_z:
            shape = shapely.force_2d(shape)
        if shape.is_valid:
            repaired.append(shape)
            continue
        reason = shapely.is_valid_reason(shape)
        fixed = _polygon_parts(shapely.make_valid(shape))
        if fixed is None or fixed.area <= 0:
            issues.add("error", table.file, row_number(row), "geometry",
                       f"{label}: the outline {plain_reason(reason)}, and could not be repaired: correct it in "
                       "a GIS program and upload the file again",
                       check="unrepairable_geometry", row_label=table.row_label)
            repaired.append(None)
            continue
        issues.add("warning", table.file, row_number(row), "geometry",
                   f"{label}: the outline {plain_reason(reason)}; it was repaired, keeping the ground it "
                   f"encloses (area now {fixed.area / 1e6:,.3f} km²)",
                   check="repaired_geometry", row_label=table.row_label)
        repaired.append(fixed)
    columns: dict[str, Any] = {"code": codes}
    if "name" in frame.columns:
        columns["name"] = frame["name"].map(lambda v: None if blank(v) else str(v).strip())
    result = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(repaired, index=frame.index),
                              crs=frame.crs)
    if result.empty:
        issues.add("error", table.file, None, None, "expected at least one area, found none",
                   check="no_rows")
    return result, issues.done()


# What each of GEOS's reasons for an invalid polygon means, said plainly.
_GEOMETRY_REASONS = (
    ("Ring Self-intersection", "touches itself at a point"),
    ("Self-intersection", "crosses itself"),
    ("Too few points", "has too few corners to enclose any ground"),
    ("Hole lies outside shell", "has a hole that lies outside the area"),
    ("Holes are nested", "has a hole inside another hole"),
    ("Interior is disconnected", "has holes that cut the area in two"),
    ("Nested shells", "has one part lying inside another"),
    ("Duplicate Rings", "repeats one of its rings"),
    ("Invalid Coordinate", "has a corner with no valid coordinates"),
    ("Ring is not closed", "does not close"),
)


def plain_reason(reason: str) -> str:
    """Why a polygon is invalid in plain words, and where (British National Grid metres), for an analyst."""
    said = next((plain for marker, plain in _GEOMETRY_REASONS if reason.startswith(marker)),
                "does not enclose the ground properly")
    place = re.search(r"\[\s*(-?[\d.eE+]+)\s+(-?[\d.eE+]+)", reason)
    if place is None:
        return said
    x, y = float(place.group(1)), float(place.group(2))
    return f"{said} near easting {x:,.0f}, northing {y:,.0f}"


def _polygon_parts(shape: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of a repaired geometry (make_valid can add stray lines)."""
    if shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    parts = [g for g in shapely.get_parts(shape) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)
