"""Road networks: an OpenStreetMap extract read over the locality and its margin, and checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import shapely

from geo.errors import NetworkError
from geo.ingest.report import Issue
from geo.network import BRITISH_NATIONAL_GRID, DEFAULT_SPEEDS, ROAD_CLASSES, RoadNetwork

# How far beyond the locality's boundary roads are kept (and, for timetables, stops): real
# journeys leave and re-enter it (Rutland's A1 slip roads), and people use services just
# across the border. The analyst may choose 0 (the boundary itself) to MAX_NETWORK_MARGIN_KM.
DEFAULT_NETWORK_MARGIN_KM = 10.0
MAX_NETWORK_MARGIN_KM = 50.0

# OpenStreetMap highway tags -> our road classes (see geo.network.ROAD_CLASSES).
OSM_ROAD_CLASSES: dict[str, str] = {
    "motorway": "motorway", "motorway_link": "motorway",
    "trunk": "a_road", "trunk_link": "a_road", "primary": "a_road", "primary_link": "a_road",
    "secondary": "b_road", "secondary_link": "b_road",
    "tertiary": "minor", "tertiary_link": "minor", "unclassified": "minor",
    "residential": "minor", "living_street": "minor", "service": "minor", "road": "minor",
    "footway": "path", "pedestrian": "path", "path": "path", "steps": "path",
    "cycleway": "path", "bridleway": "path", "track": "path", "corridor": "path",
}
# Service roads of these kinds become "driveway": driven slowly, never where a journey starts.
OSM_DRIVEWAY_SERVICES = frozenset({"driveway", "parking_aisle", "drive-through"})
# Access values that close a way to the public (for the mode the tag is about).
OSM_CLOSED = frozenset({"no", "private", "agricultural", "forestry", "military", "emergency", "permit",
                        "delivery"})
# The most specific tag wins: motorcar, then motor_vehicle, then vehicle, then access.
MOTOR_ACCESS_TAGS = ("motorcar", "motor_vehicle", "vehicle", "access")
FOOT_ACCESS_TAGS = ("foot", "access")


def network_extent(outline: shapely.Geometry, margin_km: float) -> shapely.Geometry:
    """The locality's outline grown by ``margin_km``: the ground a network is read over."""
    return outline.buffer(margin_km * 1000.0) if margin_km > 0 else outline


def describe_network(source: str | None, margin_km: float | None) -> str:
    """What a version's road network includes, in words for the pack and the data page."""
    if source is None:
        return "No road network was uploaded with this data."
    reach = (f"roads up to {margin_km:g} km beyond the locality's boundary, so journeys may leave and re-enter it"
             if margin_km else "roads inside the locality's boundary only")
    return (f"Roads and paths from the OpenStreetMap extract {source}: {reach}. Roads closed to motor "
            f"vehicles are walked, not driven; driveways and car-park aisles are driven at "
            f"{DEFAULT_SPEEDS.driveway_kmh:g} km/h and no journey starts or ends on them; private roads are "
            "left out.")


def network_from_pbf(path: Path | str, *, within: shapely.Geometry | None = None) -> RoadNetwork:
    """Read every road and path of an OpenStreetMap ``.osm.pbf`` extract into a network.

    Nodes are projected to British National Grid metres. ``within`` (a polygon in those
    metres: the locality and its margin, :func:`network_extent`) keeps only roads with both
    ends inside it. Highway tags map to road classes through :data:`OSM_ROAD_CLASSES`;
    driveways and car-park aisles become "driveway"; a road closed to motor vehicles
    (``motorcar``, ``motor_vehicle``, ``vehicle`` or ``access`` in :data:`OSM_CLOSED`, the
    most specific tag deciding) becomes a path when people may walk it and is left out when
    they may not, as are paths closed to people on foot. One-way roads follow OSM's
    ``oneway`` (``yes``/``-1``); roundabouts and motorways are one-way unless tagged otherwise.
    """
    from pyproj import Transformer
    from pyrosm import OSM

    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"{path}: file not found (expected an OpenStreetMap .osm.pbf extract)")
    try:
        result = OSM(str(path)).get_network(network_type="all", nodes=True)
    except Exception as error:  # pyrosm raises many types for unreadable files
        raise NetworkError(f"{path}: cannot read as an OpenStreetMap extract: {error}") from error
    if result is None:
        raise NetworkError(f"{path}: the extract has no roads or paths")
    nodes, edges = result
    road_class = _road_classes(edges)
    keep = pd.notna(road_class)
    edges = edges.loc[keep]
    road_class = road_class[keep]

    transformer = Transformer.from_crs("EPSG:4326", BRITISH_NATIONAL_GRID, always_xy=True)
    x, y = transformer.transform(nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float))
    osm_id = nodes["id"].to_numpy(np.int64)
    inside = np.ones(osm_id.size, dtype=bool)
    if within is not None:
        inside = shapely.contains_xy(within, x, y)

    highway = _column(edges, "highway")
    oneway_tag = _column(edges, "oneway")
    junction = _column(edges, "junction")
    reverse = oneway_tag == "-1"
    oneway = (
        np.isin(oneway_tag, ["yes", "true", "1", "-1"])
        | (junction == "roundabout")
        | np.isin(highway, ["motorway", "motorway_link"])
    ) & ~np.isin(oneway_tag, ["no", "false", "0"])
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    u, v = np.where(reverse, v, u), np.where(reverse, u, v)

    order = np.argsort(osm_id)
    sorted_ids = osm_id[order]
    pu = np.searchsorted(sorted_ids, u).clip(0, sorted_ids.size - 1)
    pv = np.searchsorted(sorted_ids, v).clip(0, sorted_ids.size - 1)
    known = (sorted_ids[pu] == u) & (sorted_ids[pv] == v)
    iu, iv = order[pu], order[pv]
    use = known & inside[iu] & inside[iv]
    used_nodes = np.unique(np.r_[iu[use], iv[use]])
    if used_nodes.size == 0:
        raise NetworkError(f"{path}: no roads left within the locality and its margin")
    position = np.full(osm_id.size, -1, dtype=np.int64)
    position[used_nodes] = np.arange(used_nodes.size)
    codes = pd.Series(road_class[use]).map({name: i for i, name in enumerate(ROAD_CLASSES)}).to_numpy(np.int8)
    return RoadNetwork(
        node_id=osm_id[used_nodes], x=np.asarray(x)[used_nodes], y=np.asarray(y)[used_nodes],
        edge_u=position[iu[use]], edge_v=position[iv[use]], edge_class=codes,
        edge_length_m=edges["length"].to_numpy(float)[use], edge_oneway=oneway[use],
        source=f"OpenStreetMap extract {path.name}",
    )


def _road_classes(edges: pd.DataFrame) -> np.ndarray:
    """Each way's road class from its tags (None: left out), by the rules of :func:`network_from_pbf`."""
    road_class = pd.Series(_column(edges, "highway")).map(OSM_ROAD_CLASSES).to_numpy(dtype=object)
    known = pd.notna(road_class)
    road_class[~known] = None
    driveway = np.isin(_column(edges, "service"), list(OSM_DRIVEWAY_SERVICES)) & (road_class == "minor")
    road_class[driveway] = "driveway"
    motor_closed = known & np.isin(_most_specific(edges, MOTOR_ACCESS_TAGS), list(OSM_CLOSED))
    foot_closed = known & np.isin(_most_specific(edges, FOOT_ACCESS_TAGS), list(OSM_CLOSED))
    is_path = road_class == "path"
    road_class[~is_path & motor_closed] = "path"  # walked, not driven (if people may walk it)
    road_class[(is_path | motor_closed) & foot_closed] = None
    return road_class


def _most_specific(edges: pd.DataFrame, tags: tuple[str, ...]) -> np.ndarray:
    """The value of the first of ``tags`` each way carries ('' when none): its access for one mode."""
    value = np.full(len(edges), "", dtype=object)
    for tag in reversed(tags):  # the most specific last, so it wins
        found = _column(edges, tag)
        value = np.where(found != "", found, value)
    return value


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A tag as lower-case text ('' where absent), from its own column or pyrosm's ``tags`` JSON."""
    if name in frame.columns:
        return frame[name].fillna("").astype(str).str.strip().str.lower().to_numpy()
    values = np.full(len(frame), "", dtype=object)
    if "tags" not in frame.columns:
        return values
    tags = frame["tags"].fillna("").astype(str)
    mentioned = tags.str.contains(f'"{name}"', regex=False).to_numpy()
    for row in np.flatnonzero(mentioned):
        try:
            values[row] = str(json.loads(tags.iloc[row]).get(name, "")).strip().lower()
        except (ValueError, AttributeError):
            continue
    return values

# Share of road nodes left out of the main network above which the extract is refused.
NETWORK_DROPPED_ERROR_SHARE = 0.5


class ComponentSummary(Protocol):
    """What the largest-connected-part step left out (``geo.network.ComponentReport`` fits)."""

    @property
    def nodes_total(self) -> int:
        """Junctions in the extract."""

    @property
    def nodes_dropped(self) -> int:
        """Junctions outside the largest connected part, left out."""


@dataclass(frozen=True)
class NetworkSummary:
    """The numbers of a network build, when no ``ComponentReport`` object is at hand."""

    nodes_total: int
    nodes_dropped: int


def check_network(summary: ComponentSummary, *, file: str) -> list[Issue]:
    """Report road junctions left out because they are not connected to the main network.

    A few dropped nodes are normal (private roads, a border cut); more than half means the
    extract does not cover the locality's roads, and is refused.
    """
    total, dropped = int(summary.nodes_total), int(summary.nodes_dropped)
    if total <= 0:
        return [Issue("error", file, None, None, "expected a road network, found no road junctions",
                      "empty_network")]
    if dropped <= 0:
        return []
    share = dropped / total
    if share > NETWORK_DROPPED_ERROR_SHARE:
        return [Issue("error", file, None, None,
                      f"{dropped:,} of {total:,} road junctions ({share:.0%}) are not connected to "
                      "the main road network; expected most roads to join up (is the extract for "
                      "the right place?)", "disconnected_roads")]
    return [Issue("warning", file, None, None,
                  f"{dropped:,} of {total:,} road junctions ({share:.1%}) are in parts not "
                  "connected to the main road network and were left out", "disconnected_roads")]
