"""Small synthetic road graphs and areas for the travel-time, access and placement tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from geo.network import ModeGraph, build_mode_graph, network_from_tables


def grid_graph(mode: str = "drive", *, side: int = 14, seed: int = 0) -> ModeGraph:
    """A jittered grid of mixed road classes with some one-way streets, 200 m apart."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    keep = rng.random(u.size) < 0.85
    u, v = u[keep], v[keep]
    gx, gy = np.meshgrid(np.arange(side) * 200.0, np.arange(side) * 200.0)
    x = gx.ravel() + rng.uniform(-40, 40, side * side)
    y = gy.ravel() + rng.uniform(-40, 40, side * side)
    nodes = pd.DataFrame({"node_id": ids.ravel(), "x": x, "y": y})
    edges = pd.DataFrame({
        "u": u, "v": v,
        "road_class": rng.choice(["a_road", "b_road", "minor", "minor", "motorway"], u.size),
        "length_m": np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.3, u.size),
        "oneway": rng.random(u.size) < 0.15,
    })
    return build_mode_graph(network_from_tables(nodes, edges), mode)  # type: ignore[arg-type]


def square_areas() -> gpd.GeoDataFrame:
    """Sixteen 650 m squares over the test grid; one of them (X03) has nobody living in it."""
    cells = [(i, j) for j in range(4) for i in range(4)]
    return gpd.GeoDataFrame(
        {"code": [f"X{k:02d}" for k in range(16)], "name": [f"Area {k}" for k in range(16)],
         "pop_total": [0 if k == 3 else 1500 for k in range(16)]},
        geometry=[box(i * 650, j * 650, (i + 1) * 650, (j + 1) * 650) for i, j in cells], crs=27700,
    )
