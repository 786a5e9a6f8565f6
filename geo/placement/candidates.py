"""Candidate sites for new hubs: a small, documented set the optimiser can choose from.

Three kinds, in this order:

- ``lattice``: road-network nodes on a regular square lattice over populated land (the
  areas with residents), spaced so that about ``n_lattice`` points fall on land; each
  lattice point moves to its nearest network node, and points further than
  ``max_snap_m`` from any road (fields, water) are left out;
- ``town_centre``: each town's centre point;
- ``existing_service``: each existing service's site (so keeping a building is an option).

A few hundred sites keeps a full areas x sites matrix quick to build and small enough for
the optimiser (the demo: about 320 sites).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import PlannerInputError
from geo.network import ModeGraph

KINDS = ("lattice", "town_centre", "existing_service")


def candidate_sites(areas: gpd.GeoDataFrame, graph: ModeGraph, *,
                    towns: gpd.GeoDataFrame | None = None,
                    services: gpd.GeoDataFrame | None = None,
                    n_lattice: int = 300, max_snap_m: float = 500.0) -> pd.DataFrame:
    """Candidate hub sites: ``site_id``, ``kind``, ``name``, ``x``, ``y`` (metres) and ``area``.

    ``areas`` needs polygons and ``pop_total`` (``code``/``name`` label the lattice points);
    ``towns`` needs ``name`` and points; ``services`` needs ``service_id``, ``name`` and points.
    """
    if n_lattice < 1:
        raise PlannerInputError(f"n_lattice: expected at least 1, found {n_lattice}")
    if "pop_total" not in areas.columns:
        raise PlannerInputError("areas: missing column pop_total (residents per area)")
    populated = areas.loc[pd.to_numeric(areas["pop_total"], errors="coerce").fillna(0) > 0]
    if populated.empty:
        raise PlannerInputError("areas, column pop_total: expected at least one area with residents")
    frames = [_lattice(populated, graph, n_lattice, max_snap_m)]
    if towns is not None and len(towns):
        frames.append(pd.DataFrame({
            "site_id": [f"T{i + 1:02d}" for i in range(len(towns))],
            "kind": "town_centre",
            "name": [f"{n} town centre" for n in towns["name"].astype(str)],
            "x": towns.geometry.x.to_numpy(), "y": towns.geometry.y.to_numpy(),
        }))
    if services is not None and len(services):
        frames.append(pd.DataFrame({
            "site_id": services["service_id"].astype(str).to_numpy(),
            "kind": "existing_service",
            "name": services["name"].astype(str).to_numpy(),
            "x": services.geometry.x.to_numpy(), "y": services.geometry.y.to_numpy(),
        }))
    sites = pd.concat(frames, ignore_index=True)
    sites["area"] = _containing_area(areas, sites["x"].to_numpy(), sites["y"].to_numpy())
    if sites["site_id"].duplicated().any():
        duplicate = sites.loc[sites["site_id"].duplicated(), "site_id"].iloc[0]
        raise PlannerInputError(f"services, column service_id: {duplicate!r} clashes with another site id")
    return sites


def _lattice(populated: gpd.GeoDataFrame, graph: ModeGraph, n_lattice: int,
             max_snap_m: float) -> pd.DataFrame:
    land_m2 = float(populated.geometry.area.sum())
    spacing = float(np.sqrt(land_m2 / n_lattice))
    minx, miny, maxx, maxy = populated.total_bounds
    xs = np.arange(minx + spacing / 2, maxx, spacing)
    ys = np.arange(miny + spacing / 2, maxy, spacing)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    hit, _ = populated.sindex.query(shapely.points(gx, gy), predicate="intersects")
    on_land = np.unique(hit)
    distance, node = graph.nearest_nodes(np.column_stack([gx[on_land], gy[on_land]]))
    snapped = node[distance <= max_snap_m]
    _, first = np.unique(snapped, return_index=True)
    nodes = snapped[np.sort(first)]  # lattice order (south to north, west to east), no repeats
    return pd.DataFrame({
        "site_id": [f"L{i + 1:03d}" for i in range(nodes.size)],
        "kind": "lattice",
        "name": [f"Lattice point {i + 1}" for i in range(nodes.size)],
        "x": graph.x[nodes], "y": graph.y[nodes],
    })


def _containing_area(areas: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Code of the area each point lies in ("" outside every area)."""
    codes = (areas["code"].astype(str).to_numpy() if "code" in areas.columns
             else np.arange(len(areas)).astype(str))
    out = np.full(x.size, "", dtype=object)
    point_index, area_index = areas.sindex.query(shapely.points(x, y), predicate="intersects")
    out[point_index[::-1]] = codes[area_index[::-1]]  # first match wins on shared borders
    return out
