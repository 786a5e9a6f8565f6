"""Conversions between longitude/latitude (WGS84) and British National Grid metres.

pyproj builds a transformer again in every new thread that uses it. Built with
``Transformer.from_crs`` that means a new search of PROJ's database, about 50 ms, which a
server with one thread per request (Flask's, behind ``python app.py``) paid on every
drag, twice. Built from the chosen operation's pipeline text, the same transformation is
rebuilt in under a millisecond and gives identical results. The best operation this
machine has is chosen once: the OSTN15 grid where it is installed, else the Helmert
transformation that ``from_crs`` falls back to.
"""

from __future__ import annotations

import warnings

from pyproj import Transformer
from pyproj.transformer import TransformerGroup

WGS84 = "EPSG:4326"
BRITISH_NATIONAL_GRID = "EPSG:27700"


def fast_transformer(source: str, target: str) -> Transformer:
    """The best available transformation from ``source`` to ``target`` (x/y = lon/lat order),
    as a pipeline that is cheap to rebuild in a new thread."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "best transformation is not available": a grid not installed
        best = TransformerGroup(source, target, always_xy=True).transformers[0]
    return Transformer.from_pipeline(best.definition)


_TO_GRID = fast_transformer(WGS84, BRITISH_NATIONAL_GRID)
_TO_LONLAT = fast_transformer(BRITISH_NATIONAL_GRID, WGS84)


def grid_xy(lon: float, lat: float) -> tuple[float, float]:
    """British National Grid metres (x, y) of a longitude and latitude."""
    x, y = _TO_GRID.transform(lon, lat)
    return float(x), float(y)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Longitude and latitude of British National Grid metres (x, y)."""
    lon, lat = _TO_LONLAT.transform(x, y)
    return float(lon), float(lat)
