"""The cheap-to-rebuild transformers give pyproj's own answers, in any thread."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from pyproj import Transformer

from geo.projection import BRITISH_NATIONAL_GRID, WGS84, grid_xy, lonlat

# Points across Great Britain, British National Grid metres.
GRID_POINTS = [(87_000.0, 20_000.0), (450_000.0, 200_000.0), (530_000.0, 180_000.0),
               (326_000.0, 673_000.0), (465_000.0, 1_210_000.0), (655_000.0, 310_000.0)]


def pyproj_reference(source: str, target: str) -> Transformer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return Transformer.from_crs(source, target, always_xy=True)


@pytest.mark.parametrize(("x", "y"), GRID_POINTS)
def test_lonlat_and_back_equal_pyproj_from_crs(x: float, y: float) -> None:
    lon, lat = pyproj_reference(BRITISH_NATIONAL_GRID, WGS84).transform(x, y)
    assert lonlat(x, y) == pytest.approx((lon, lat), abs=1e-9)
    assert grid_xy(lon, lat) == pytest.approx(pyproj_reference(WGS84, BRITISH_NATIONAL_GRID).transform(lon, lat),
                                              abs=1e-6)
    assert grid_xy(*lonlat(x, y)) == pytest.approx((x, y), abs=0.01)


def test_a_new_thread_gets_the_same_answer() -> None:
    found: list[tuple[float, float]] = []
    worker = threading.Thread(target=lambda: found.append(lonlat(*GRID_POINTS[1])))
    worker.start()
    worker.join()
    assert np.allclose(found[0], lonlat(*GRID_POINTS[1]), atol=0, rtol=0)
    assert -1.3 < found[0][0] < -1.2 and 51.6 < found[0][1] < 51.8  # near Oxford
