"""Put areas and sites onto the road network: nearest node plus a straight-line leg.

People do not live on road junctions, so each point is joined to its nearest node of
a mode's graph (never one on a driveway or car-park aisle: :attr:`geo.network.ModeGraph.snappable`)
and the straight line between them is counted as an extra leg at the
mode's stated access speed (:meth:`geo.network.TravelSpeeds.access_kmh`). Snap
distances are returned, and unusually long ones come back as plain-English warnings
(values, not Python warnings) for the data panel to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import PlannerInputError
from geo.network import ModeGraph

# A point more than this far from any road probably has a wrong coordinate or lies
# outside the network's extent; its figures are still computed but flagged.
FAR_SNAP_M = 1_000.0


@dataclass(frozen=True, eq=False)
class Snap:
    """Where each point joins a mode's graph.

    ``node`` indexes the graph's nodes; ``access_seconds`` is the straight-line leg
    (``distance_m`` at the graph's access speed) added to every trip from or to it.
    """

    node: np.ndarray
    distance_m: np.ndarray
    access_seconds: np.ndarray
    warnings: tuple[str, ...]


def area_origins(areas: pd.DataFrame) -> np.ndarray:
    """Where each area's journeys start (n x 2 metres): its population-weighted centroid where known.

    Where ``pwc_x``/``pwc_y`` are absent or empty (an upload without them), row by row, the
    middle of the polygon: its centroid, or a point inside it where the centroid falls
    outside. That is where nobody in particular lives, so uploads are warned about it.
    """
    n = len(areas)
    xy = np.full((n, 2), np.nan)
    if "pwc_x" in areas.columns and "pwc_y" in areas.columns:
        xy[:, 0] = pd.to_numeric(areas["pwc_x"], errors="coerce").to_numpy(float)
        xy[:, 1] = pd.to_numeric(areas["pwc_y"], errors="coerce").to_numpy(float)
    missing = ~np.isfinite(xy).all(axis=1)
    if missing.any():
        geometry = getattr(areas, "geometry", None)
        if geometry is None:
            row = int(missing.argmax())
            raise PlannerInputError(
                f"areas, row {row + 1}: expected pwc_x and pwc_y or a geometry, found neither"
            )
        shapes = geometry[missing]
        centre = shapes.centroid
        inside = centre.where(centre.within(shapes), shapes.representative_point())
        xy[missing, 0] = inside.x.to_numpy()
        xy[missing, 1] = inside.y.to_numpy()
    return xy


def snap_points(graph: ModeGraph, xy: np.ndarray, *, labels: Sequence[str] | None = None,
                far_m: float = FAR_SNAP_M) -> Snap:
    """Join points (n x 2 metres, British National Grid) to their nearest node of ``graph``.

    ``labels`` name the points in warnings (e.g. area codes or site ids).
    """
    points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    bad = ~np.isfinite(points).all(axis=1)
    if bad.any():
        row = int(bad.argmax())
        name = labels[row] if labels is not None else f"row {row + 1}"
        raise PlannerInputError(f"point {name}: expected finite x and y, found {tuple(points[row])}")
    distance, node = graph.nearest_nodes(points)
    access_seconds = distance / (graph.access_kmh / 3.6)
    warnings: list[str] = []
    for far in np.flatnonzero(distance > far_m).tolist():
        name = labels[far] if labels is not None else f"point {far + 1}"
        warnings.append(
            f"{name} is {distance[far]:,.0f} m from the nearest {graph.label.lower()} network node "
            f"(more than {far_m:,.0f} m); the gap is counted as a straight line at "
            f"{graph.access_kmh:g} km/h, so check its location"
        )
    return Snap(node=node, distance_m=distance, access_seconds=access_seconds,
                warnings=tuple(warnings))
