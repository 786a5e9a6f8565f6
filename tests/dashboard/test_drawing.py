"""What the map draws: simplification that grows with the locality, and GeoJSON equal to geopandas'."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from dashboard import data_access
from dashboard.data_access import (
    AREA_SIMPLIFY_M,
    DRAWN_SPAN_PX,
    _to_geojson,
    coordinate_digits,
    drawing_tolerance_m,
)
from geo.locality import Locality


def square_frame(side_m: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(400_000, 200_000, 400_000 + side_m,
                                                                    200_000 + side_m / 2)], crs="EPSG:27700")


@pytest.mark.parametrize(("side_m", "expected_m"), [(20_000.0, AREA_SIMPLIFY_M), (60_000.0, AREA_SIMPLIFY_M),
                                                    (650_000.0, 650_000.0 / DRAWN_SPAN_PX)])
def test_tolerance_is_the_floor_for_a_county_and_grows_with_the_extent(side_m: float, expected_m: float) -> None:
    assert drawing_tolerance_m(square_frame(side_m), AREA_SIMPLIFY_M) == pytest.approx(expected_m)


@pytest.mark.parametrize(("tolerance_m", "digits"), [(1.0, 5), (25.0, 5), (50.0, 5), (260.0, 4), (5_000.0, 4)])
def test_coordinates_keep_about_a_tenth_of_the_tolerance(tolerance_m: float, digits: int) -> None:
    assert coordinate_digits(tolerance_m) == digits


@pytest.mark.parametrize("layer", ["areas", "county", "main_roads"])
def test_drawn_geojson_equals_geopandas_for_the_same_geometry(locality: Locality, layer: str) -> None:
    frame = getattr(locality, layer).copy()
    frame["i"] = range(len(frame))
    properties = [*[c for c in frame.columns if c not in ("geometry", "i")][:3], "i"]
    drawn = _to_geojson(frame, properties, data_access.AREA_SIMPLIFY_M)

    tolerance = drawing_tolerance_m(frame, AREA_SIMPLIFY_M)
    expected = frame[[*properties, "geometry"]].copy()
    expected["geometry"] = expected.geometry.simplify(tolerance, preserve_topology=True)
    expected = expected.to_crs("EPSG:4326")
    digits = coordinate_digits(tolerance)
    expected["geometry"] = shapely.transform(expected.geometry.values, lambda xy: np.round(xy, digits))
    assert drawn == json.loads(expected.to_json(drop_id=True))
    assert len(drawn["features"]) == len(frame)


def test_a_missing_geometry_is_drawn_as_null() -> None:
    frame = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.Point(400_000, 200_000), None],
                             crs="EPSG:27700")
    assert _to_geojson(frame, ["name"], 0.0)["features"][1] == {"type": "Feature", "properties": {"name": "b"},
                                                                 "geometry": None}
