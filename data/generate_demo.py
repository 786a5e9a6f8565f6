"""Generate the embedded demo locality: Brackenshire, a fictional county.

Run ``python -m data.generate_demo [output_folder]`` (default ``data/demo``). The output is
deterministic: the same seed gives the same tables. Everything here is made up to
reproduce the case described in the papers (see ``data/README.md``); no real person,
place or service is described.

The county has a rural north and a sparse extreme east; most people live in eight towns,
the biggest (Kingsmere) holding a little under a third of them. Thirteen existing day and
vocational services sit mostly along the southern edge and around the biggest towns.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from data import demo_timetable
from geo.ingest.gtfs import TimetableChoice, write_timetable

SEED = 20070401
CRS = "EPSG:27700"
COUNTY_NAME = "Brackenshire (fictional)"
ORIGIN_X, ORIGIN_Y = 400_000.0, 200_000.0  # south-west corner of the county's box, metres
CENTRE = np.array([ORIGIN_X + 34_000.0, ORIGIN_Y + 25_000.0])
MEAN_AREA_POPULATION = 1_550

# Cut-points of the English IMD 2019 score that separate national deciles (decile 1 =
# most deprived). Read off the published 2019 scores for all 32,844 English LSOAs.
IMD_DECILE_CUTS = (43.859, 33.254, 26.575, 21.555, 17.648, 14.238, 11.299, 8.616, 5.909)


@dataclass(frozen=True)
class Town:
    """A town: where its people cluster and how many live there."""

    name: str
    dx_km: float  # offset from the county centre (east positive)
    dy_km: float  # offset from the county centre (north positive)
    population: int
    spread_km: float  # standard deviation of where its small areas lie


TOWNS = (
    Town("Kingsmere", -4.0, -14.0, 236_000, 2.6),
    Town("Ashworth", -21.0, -13.5, 92_000, 1.8),
    Town("Fenbury", 12.0, -15.5, 70_000, 1.6),
    Town("Thornley", -25.0, 2.0, 56_000, 1.5),
    Town("Millbrook", 2.0, -1.0, 48_000, 1.4),
    Town("Oakhampton Cross", 4.0, -19.0, 42_000, 1.3),
    Town("Harrowfield", -2.0, 15.0, 20_000, 1.0),
    Town("Eastwick Marsh", 27.0, -4.0, 15_000, 0.9),
)

# District seeds (km offsets from the centre) and the contract lot each district falls in.
DISTRICTS = (
    ("Kingsmere", -4.0, -14.0, "Central"),
    ("Westvale", -22.0, -5.0, "West"),
    ("Millbrook and Downs", 4.0, -3.0, "Central"),
    ("North Moors", -2.0, 16.0, "Central"),
    ("East Levels", 20.0, -8.0, "East"),
)

ROAD_SPEEDS_NOTE = "speeds per class are set in geo.network, not here"


@dataclass(frozen=True)
class Service:
    """One existing day or vocational service, as the papers describe the mix."""

    service_id: str
    name: str
    service_type: str
    provider: str
    town: str  # a town name, or "South border" for the one rural service on the southern edge
    budget_day_activity_gbp: int
    budget_employment_gbp: int
    budget_mainstream_gbp: int
    clients: int
    female_share: float
    share_18_24: float
    share_bme: float
    share_over_50: float
    volunteered: int
    functions: tuple[str, ...]
    opening_days: str


SERVICES = (
    Service("S01", "Kingsmere Resource Centre", "Day centre", "Brackenshire Mental Health Trust",
            "Kingsmere", 640_000, 0, 0, 140, 0.46, 0.03, 0.07, 0.62, 38,
            ("social_contact", "structured_activity", "skills"), "Mon-Fri"),
    Service("S02", "Harbour Street Drop-in", "Drop-in", "Kingsmere Wellbeing Trust",
            "Kingsmere", 185_000, 0, 0, 95, 0.41, 0.06, 0.09, 0.48, 30,
            ("social_contact", "peer_support"), "Mon, Wed, Fri, Sat"),
    Service("S03", "Kingsmere Works", "Work project", "Forward Pathways",
            "Kingsmere", 100_000, 200_000, 0, 60, 0.35, 0.08, 0.05, 0.40, 25,
            ("skills", "employment_support", "job_retention", "sheltered_employment"), "Mon-Fri"),
    Service("S04", "Lantern Clubhouse", "Clubhouse", "Lantern Clubhouse Ltd",
            "Kingsmere", 205_000, 0, 35_000, 70, 0.50, 0.04, 0.06, 0.55, 32,
            ("social_contact", "structured_activity", "peer_support", "mainstream_participation"),
            "Mon-Fri"),
    Service("S05", "Ashworth Day Centre", "Day centre", "Brackenshire County Council",
            "Ashworth", 420_000, 0, 0, 100, 0.52, 0.02, 0.03, 0.66, 22,
            ("social_contact", "structured_activity", "skills"), "Mon-Fri"),
    Service("S06", "Ashworth Garden Workshop", "Sheltered workshop", "Greenhands Co-operative",
            "Ashworth", 210_000, 0, 0, 55, 0.24, 0.02, 0.02, 0.71, 18,
            ("structured_activity", "skills", "sheltered_employment"), "Mon-Thu"),
    Service("S07", "Fenbury Day Centre", "Day centre", "Brackenshire Mental Health Trust",
            "Fenbury", 380_000, 0, 0, 85, 0.55, 0.01, 0.02, 0.69, 20,
            ("social_contact", "structured_activity", "skills"), "Mon-Fri"),
    Service("S08", "Fenbury Pathways", "Work project", "Forward Pathways",
            "Fenbury", 80_000, 150_000, 0, 50, 0.38, 0.06, 0.04, 0.42, 21,
            ("skills", "employment_support", "sheltered_employment"), "Mon-Fri"),
    Service("S09", "Oakhampton Cross Day Service", "Day centre", "Brackenshire County Council",
            "Oakhampton Cross", 260_000, 0, 0, 60, 0.50, 0.02, 0.02, 0.70, 16,
            ("social_contact", "structured_activity"), "Tue-Fri"),
    Service("S10", "Thornley Drop-in", "Drop-in", "Thornley Community Association",
            "Thornley", 85_000, 0, 35_000, 55, 0.47, 0.07, 0.03, 0.45, 24,
            ("social_contact", "peer_support", "mainstream_participation"), "Tue, Thu, Sat"),
    Service("S11", "Millbrook Craft Workshop", "Sheltered workshop",
            "Brackenshire Mental Health Trust", "Millbrook", 190_000, 0, 0, 45, 0.40, 0.00, 0.02,
            0.73, 12, ("structured_activity", "skills", "sheltered_employment"), "Mon-Fri"),
    Service("S12", "Southbank Women's Day Service", "Women-only day service",
            "Southbank Women's Centre", "South border", 115_000, 0, 0, 35, 1.00, 0.09, 0.11,
            0.37, 14, ("social_contact", "structured_activity", "peer_support"), "Mon, Wed, Thu"),
    Service("S13", "North Moors Day Centre", "Day centre", "Brackenshire County Council",
            "Harrowfield", 210_000, 0, 0, 45, 0.49, 0.00, 0.00, 0.76, 8,
            ("social_contact", "structured_activity", "skills"), "Mon, Wed, Fri"),
)


# ---------------------------------------------------------------------------------------
# Geometry of the county
# ---------------------------------------------------------------------------------------
def county_outline(rng: np.random.Generator) -> Polygon:
    """A smooth, irregular county outline about 68 km wide and 50 km tall."""
    angles = np.linspace(0, 2 * np.pi, 181)[:-1]
    radius = np.ones_like(angles)
    for harmonic in range(2, 7):
        radius += rng.uniform(0.02, 0.06) * np.cos(harmonic * angles + rng.uniform(0, 2 * np.pi))
    x = CENTRE[0] + 34_000 * radius * np.cos(angles)
    y = CENTRE[1] + 25_000 * radius * np.sin(angles)
    return Polygon(np.column_stack([x, y])).buffer(0)


def town_centre(town: Town) -> np.ndarray:
    return CENTRE + 1_000.0 * np.array([town.dx_km, town.dy_km])


def _points_inside(polygon: Polygon, xy: np.ndarray) -> np.ndarray:
    return shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])


def _rural_density(xy: np.ndarray) -> np.ndarray:
    """Relative density of rural residents: thinner in the north and the extreme east."""
    north = np.clip((xy[:, 1] - CENTRE[1]) / 25_000.0, 0, 1)
    east = np.clip((xy[:, 0] - (CENTRE[0] + 16_000)) / 18_000.0, 0, 1)
    return 1.0 - 0.65 * north - 0.7 * east


def _sample_rural(
    rng: np.random.Generator, county: Polygon, n: int, avoid: list[tuple[np.ndarray, float]]
) -> np.ndarray:
    """Rejection-sample ``n`` points by rural density, away from town cores."""
    minx, miny, maxx, maxy = county.bounds
    chosen: list[np.ndarray] = []
    while sum(len(c) for c in chosen) < n:
        xy = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        keep = _points_inside(county, xy) & (rng.uniform(0, 1, len(xy)) < _rural_density(xy))
        for centre, radius in avoid:
            keep &= np.hypot(*(xy - centre).T) > radius
        chosen.append(xy[keep])
    return np.vstack(chosen)[:n]


def _sample_town(rng: np.random.Generator, county: Polygon, town: Town, n: int) -> np.ndarray:
    """Sample ``n`` points around a town centre, inside the county."""
    chosen: list[np.ndarray] = []
    centre = town_centre(town)
    while sum(len(c) for c in chosen) < n:
        xy = centre + rng.normal(0, town.spread_km * 1_000.0, size=(2 * n + 8, 2))
        chosen.append(xy[_points_inside(county, xy)])
    return np.vstack(chosen)[:n]


# ---------------------------------------------------------------------------------------
# Small areas and their people
# ---------------------------------------------------------------------------------------
def area_seeds(rng: np.random.Generator, county: Polygon) -> tuple[np.ndarray, list[str]]:
    """Population-weighted centres of the small areas and the town each belongs to."""
    seeds, towns = [], []
    for town in TOWNS:
        n = round(town.population / MEAN_AREA_POPULATION)
        seeds.append(_sample_town(rng, county, town, n))
        towns += [town.name] * n
    avoid = [(town_centre(t), 2.2 * t.spread_km * 1_000.0) for t in TOWNS]
    n_rural = round(205_000 / MEAN_AREA_POPULATION)
    seeds.append(_sample_rural(rng, county, n_rural, avoid))
    towns += ["Rural"] * n_rural
    return np.vstack(seeds), towns


def voronoi_cells(seeds: np.ndarray, boundary: Polygon) -> list[Polygon]:
    """Voronoi cells of ``seeds`` clipped to ``boundary``, in the order of the seeds."""
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=boundary, ordered=True)
    clipped = [cell.intersection(boundary) for cell in cells.geoms]
    return [_largest_polygon(c) for c in clipped]


def _largest_polygon(geometry: shapely.Geometry) -> Polygon:
    if isinstance(geometry, Polygon):
        return geometry
    return max(geometry.geoms, key=lambda g: g.area)


def _split_integer(total: int, shares: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers in proportion to ``shares`` (largest remainder)."""
    raw = total * shares / shares.sum()
    counts = np.floor(raw).astype(int)
    remainder = total - counts.sum()
    counts[np.argsort(-(raw - counts))[:remainder]] += 1
    return counts


def imd_decile(score: np.ndarray) -> np.ndarray:
    """National IMD 2019 decile (1 = most deprived) for each score, from the cut-points."""
    return 1 + np.searchsorted(-np.asarray(IMD_DECILE_CUTS), -score, side="right")


def people(rng: np.random.Generator, seeds: np.ndarray, towns: list[str]) -> pd.DataFrame:
    """Residents by sex and age, ethnicity, deprivation and mental-health prevalence."""
    n = len(seeds)
    by_name = {t.name: t for t in TOWNS}
    core = np.zeros(n)  # 1 at a town's heart, falling to 0 at its edge; scaled by town size
    for i, name in enumerate(towns):
        if name in by_name:
            town = by_name[name]
            distance = np.hypot(*(seeds[i] - town_centre(town)))
            size = min(1.0, town.population / 120_000)
            core[i] = size * np.exp(-0.5 * (distance / (0.9 * town.spread_km * 1_000)) ** 2)
    east_coast = np.clip((seeds[:, 0] - (CENTRE[0] + 18_000)) / 14_000.0, 0, 1)
    urban = np.array([t != "Rural" for t in towns])

    pop_total = np.clip(rng.normal(MEAN_AREA_POPULATION, 330, n), 1_000, 3_000).round().astype(int)
    imd_score = np.clip(
        4 + 36 * core + 5 * urban + 16 * east_coast + rng.gamma(2.0, 3.5, n), 1.5, 75
    )
    bme_share = np.clip(0.025 + 0.26 * core + 0.03 * urban + rng.normal(0, 0.012, n), 0.005, 0.6)
    age_means = np.column_stack([
        np.full(n, 0.20) + 0.02 * core,          # under 18
        0.075 + 0.05 * core,                     # 18-24 (a college in Kingsmere)
        0.12 + 0.04 * core,                      # 25-34
        np.full(n, 0.19),                        # 35-49
        0.20 - 0.03 * core,                      # 50-64
        0.215 - 0.08 * core - 0.03 * urban,      # 65+
    ])
    bands = np.vstack([rng.dirichlet(400 * m) for m in age_means])
    ages = np.vstack([_split_integer(p, b) for p, b in zip(pop_total, bands, strict=True)])
    female = np.round(pop_total * np.clip(rng.normal(0.508, 0.01, n), 0.47, 0.55)).astype(int)

    smi = np.clip(0.52 + 0.016 * imd_score + rng.normal(0, 0.06, n), 0.3, 2.5)
    cmd = np.clip(12.0 + 0.20 * imd_score + rng.normal(0, 0.8, n), 8.0, 30.0)
    table = pd.DataFrame({
        "town": towns,
        "pop_total": pop_total,
        "pop_male": pop_total - female,
        "pop_female": female,
        "pop_under_18": ages[:, 0],
        "pop_18_24": ages[:, 1],
        "pop_25_34": ages[:, 2],
        "pop_35_49": ages[:, 3],
        "pop_50_64": ages[:, 4],
        "pop_65_plus": ages[:, 5],
    })
    table["pop_adult"] = table["pop_total"] - table["pop_under_18"]
    table["bme_share"] = bme_share.round(4)
    table["imd_score"] = imd_score.round(3)
    table["imd_decile"] = imd_decile(table["imd_score"].to_numpy())
    table["smi_prevalence_pct"] = smi.round(3)
    table["cmd_prevalence_pct"] = cmd.round(2)
    return add_need(table)


def add_need(table: pd.DataFrame) -> pd.DataFrame:
    """Add the need index and need weight (see data/README.md for the formula).

    need rate per adult = SMI % + CMD % / 10 (a person with a severe mental illness counts
    ten times a person with a common mental disorder, since day services mostly serve the
    former); need_index = 100 * rate / county adult-weighted mean rate; need_weight =
    adults * need_index / 100, i.e. adults counted by how much need each carries.
    """
    rate = table["smi_prevalence_pct"] + table["cmd_prevalence_pct"] / 10.0
    county_rate = float((rate * table["pop_adult"]).sum() / table["pop_adult"].sum())
    out = table.copy()
    out["need_index"] = (100.0 * rate / county_rate).round(2)
    out["need_weight"] = (out["pop_adult"] * out["need_index"] / 100.0).round(1)
    return out


# ---------------------------------------------------------------------------------------
# Roads
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoadPlan:
    """Main-road polylines by class, before they are cut into network nodes."""

    lines: list[tuple[str, LineString]]


def _bent_line(rng: np.random.Generator, a: np.ndarray, b: np.ndarray, bend: float) -> LineString:
    """A gently curving road from a to b (two displaced interior points)."""
    direction = b - a
    normal = np.array([-direction[1], direction[0]]) / (np.linalg.norm(direction) + 1e-9)
    pts = [a]
    for t in (0.33, 0.66):
        pts.append(a + t * direction + normal * rng.normal(0, bend) * np.linalg.norm(direction))
    pts.append(b)
    return LineString(pts)


def main_road_plan(rng: np.random.Generator, county: Polygon) -> RoadPlan:
    """Motorway along the south, A roads joining towns, B roads out to the countryside."""
    centre = {t.name: town_centre(t) for t in TOWNS}
    lines: list[tuple[str, LineString]] = []
    west_end = np.array([county.bounds[0] + 1_500, centre["Ashworth"][1] + 3_500])
    east_end = np.array([county.bounds[2] - 6_000, centre["Fenbury"][1] + 4_000])
    motorway_via = [west_end, centre["Ashworth"] + [2_500, 3_000], centre["Kingsmere"] + [0, 4_500],
                    centre["Fenbury"] + [-2_000, 3_500], east_end]
    for a, b in itertools.pairwise(motorway_via):
        lines.append(("motorway", _bent_line(rng, a, b, 0.03)))
    a_links = [("Kingsmere", "Ashworth"), ("Kingsmere", "Fenbury"), ("Kingsmere", "Millbrook"),
               ("Kingsmere", "Oakhampton Cross"), ("Millbrook", "Harrowfield"),
               ("Ashworth", "Thornley"), ("Thornley", "Millbrook"), ("Fenbury", "Eastwick Marsh"),
               ("Millbrook", "Eastwick Marsh")]
    for a, b in a_links:
        lines.append(("a_road", _bent_line(rng, centre[a], centre[b], 0.06)))
    minx, miny, maxx, maxy = county.bounds
    for name in ("Harrowfield", "Thornley", "Eastwick Marsh", "Millbrook", "Ashworth", "Fenbury",
                 "Kingsmere", "Harrowfield", "Millbrook", "Eastwick Marsh", "Thornley"):
        for _ in range(30):
            target = np.array([rng.uniform(minx, maxx), rng.uniform(miny, maxy)])
            if county.buffer(-2_000).contains(Point(target)) and 7_000 < np.hypot(*(target - centre[name])) < 20_000:
                break
        lines.append(("b_road", _bent_line(rng, centre[name], target, 0.08)))
    return RoadPlan(lines)


def minor_road_nodes(rng: np.random.Generator, county: Polygon) -> np.ndarray:
    """Junctions of the minor-road mesh: dense in towns, sparse in the countryside."""
    rural = _sample_rural(rng, county, 13_000, [])
    towns = [_sample_town(rng, county, t, int(t.population / 22)) for t in TOWNS]
    return np.vstack([rural, *towns])


def minor_road_edges(rng: np.random.Generator, xy: np.ndarray, county: Polygon) -> np.ndarray:
    """Minor roads: a pruned Delaunay mesh that stays connected, inside the county."""
    triangles = Delaunay(xy).simplices
    pairs = np.vstack([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    length = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    kth, _ = cKDTree(xy).query(xy, k=5)
    local = np.maximum(kth[pairs[:, 0], 4], kth[pairs[:, 1], 4])
    mid = (xy[pairs[:, 0]] + xy[pairs[:, 1]]) / 2
    short = (length <= 1.25 * local) & _points_inside(county, mid)
    pairs, length = pairs[short], length[short]
    graph = coo_matrix((length, (pairs[:, 0], pairs[:, 1])), shape=(len(xy), len(xy)))
    tree = minimum_spanning_tree(graph).tocoo()
    in_tree = set(zip(np.minimum(tree.row, tree.col).tolist(), np.maximum(tree.row, tree.col).tolist(), strict=True))
    keep = np.array([(int(u), int(v)) in in_tree for u, v in pairs]) | (rng.uniform(0, 1, len(pairs)) < 0.62)
    return pairs[keep]


def road_network(rng: np.random.Generator, county: Polygon) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """Node and edge tables of the whole network, and main-road lines for drawing."""
    minor_xy = minor_road_nodes(rng, county)
    minor_pairs = minor_road_edges(rng, minor_xy, county)
    curvature = rng.uniform(1.05, 1.3, len(minor_pairs))
    lengths = np.hypot(*(minor_xy[minor_pairs[:, 0]] - minor_xy[minor_pairs[:, 1]]).T) * curvature
    nodes = [minor_xy]
    edges = [pd.DataFrame({"u": minor_pairs[:, 0], "v": minor_pairs[:, 1],
                           "road_class": "minor", "length_m": lengths})]
    minor_tree = cKDTree(minor_xy)
    next_id = len(minor_xy)
    plan = main_road_plan(rng, county)
    for road_class, line in plan.lines:
        clipped = line.intersection(county)
        if clipped.is_empty or not isinstance(clipped, LineString):
            clipped = line
        step = 400.0 if road_class != "motorway" else 1_000.0
        count = max(2, int(np.ceil(clipped.length / step)) + 1)
        pts = np.array([clipped.interpolate(d).coords[0] for d in np.linspace(0, clipped.length, count)])
        ids = np.arange(next_id, next_id + len(pts))
        next_id += len(pts)
        nodes.append(pts)
        seg = np.hypot(*np.diff(pts, axis=0).T) * 1.02
        edges.append(pd.DataFrame({"u": ids[:-1], "v": ids[1:], "road_class": road_class, "length_m": seg}))
        # junctions with the local network: every node for A/B roads, ends and towns for motorways
        junction_index = np.array([0, len(pts) - 1]) if road_class == "motorway" else np.arange(len(pts))
        dist, nearest = minor_tree.query(pts[junction_index])
        edges.append(pd.DataFrame({"u": ids[junction_index], "v": nearest,
                                   "road_class": "minor" if road_class != "motorway" else "a_road",
                                   "length_m": np.maximum(dist * 1.1, 20.0)}))
    all_xy = np.vstack(nodes)
    edge_table = pd.concat(edges, ignore_index=True)
    edge_table = _join_motorway_to_towns(edge_table, all_xy, minor_tree)
    edge_table = edge_table[edge_table["u"] != edge_table["v"]].reset_index(drop=True)
    edge_table["oneway"] = False
    edge_table["length_m"] = edge_table["length_m"].round(1)
    edge_table = edge_table.astype({"u": "int64", "v": "int64", "road_class": "str", "length_m": "float64"})
    node_table = pd.DataFrame({"node_id": np.arange(len(all_xy), dtype="int64"),
                               "x": all_xy[:, 0].round(1), "y": all_xy[:, 1].round(1)})
    _check_connected(node_table, edge_table)
    lines = gpd.GeoDataFrame({"road_class": [c for c, _ in plan.lines]},
                             geometry=[line.intersection(county) for _, line in plan.lines], crs=CRS)
    return node_table, edge_table, lines


def _join_motorway_to_towns(edges: pd.DataFrame, xy: np.ndarray, minor_tree: cKDTree) -> pd.DataFrame:
    """Add motorway junctions nearest each southern town (slip roads into the local mesh)."""
    motorway_nodes = np.unique(edges.loc[edges["road_class"] == "motorway", ["u", "v"]].to_numpy())
    slips = []
    for town in TOWNS:
        if town.dy_km > -10:
            continue
        gaps = np.hypot(*(xy[motorway_nodes] - town_centre(town)).T)
        node = int(motorway_nodes[np.argmin(gaps)])
        dist, nearest = minor_tree.query(xy[node])
        slips.append({"u": node, "v": int(nearest), "road_class": "a_road", "length_m": max(dist * 1.1, 20.0)})
    return pd.concat([edges, pd.DataFrame(slips)], ignore_index=True)


def _check_connected(nodes: pd.DataFrame, edges: pd.DataFrame) -> None:
    n = len(nodes)
    graph = coo_matrix((np.ones(len(edges)), (edges["u"], edges["v"])), shape=(n, n))
    count, _ = connected_components(graph, directed=False)
    if count != 1:
        raise RuntimeError(f"generated road network has {count} separate parts; expected one")


# ---------------------------------------------------------------------------------------
# Services, towns, districts
# ---------------------------------------------------------------------------------------
def service_table(rng: np.random.Generator, county: Polygon, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The 13 existing services, each sited near the centre of its town."""
    rows, points = [], []
    for s in SERVICES:
        if s.town == "South border":
            kingsmere, ashworth = (town_centre(t) for t in TOWNS[:2])
            anchor = (kingsmere + ashworth) / 2 + np.array([0.0, -6_000.0])
            boundary_point = county.exterior.interpolate(county.exterior.project(Point(anchor)))
            anchor = np.array(boundary_point.coords[0]) + np.array([0.0, 2_500.0])
        else:
            anchor = town_centre(next(t for t in TOWNS if t.name == s.town))
        same_town = [other.service_id for other in SERVICES if other.town == s.town]
        if len(same_town) > 1:  # spread a town's services across it, as real ones are
            angle = 2 * np.pi * same_town.index(s.service_id) / len(same_town) + rng.uniform(-0.3, 0.3)
            anchor = anchor + rng.uniform(900, 1_600) * np.array([np.cos(angle), np.sin(angle)])
        point = Point(anchor + rng.normal(0, 250, 2))
        budget = s.budget_day_activity_gbp + s.budget_employment_gbp + s.budget_mainstream_gbp
        rows.append({
            "service_id": s.service_id, "name": s.name, "service_type": s.service_type,
            "provider": s.provider, "town": s.town if s.town != "South border" else "Rural",
            "budget_gbp": budget, "budget_day_activity_gbp": s.budget_day_activity_gbp,
            "budget_employment_gbp": s.budget_employment_gbp,
            "budget_mainstream_gbp": s.budget_mainstream_gbp, "clients": s.clients,
            "clients_female": round(s.clients * s.female_share),
            "clients_18_24": round(s.clients * s.share_18_24),
            "clients_bme": round(s.clients * s.share_bme),
            "clients_over_50": round(s.clients * s.share_over_50),
            "clients_volunteered": s.volunteered,
            "functions": ";".join(s.functions), "opening_days": s.opening_days,
            "locality_wide": False,
        })
        points.append(point)
    table = gpd.GeoDataFrame(rows, geometry=points, crs=CRS)
    joined = gpd.sjoin(table, areas[["district", "geometry"]], how="left", predicate="within")
    table["district"] = joined["district"].to_numpy()
    ordered = ["service_id", "name", "service_type", "provider", "district", "town"]
    return table[ordered + [c for c in table.columns if c not in ordered]]


def district_table(county: Polygon) -> gpd.GeoDataFrame:
    """Districts: Voronoi cells of the district seeds, clipped to the county."""
    seeds = np.array([CENTRE + 1_000.0 * np.array([dx, dy]) for _, dx, dy, _ in DISTRICTS])
    cells = voronoi_cells(seeds, county)
    return gpd.GeoDataFrame({"district": [d[0] for d in DISTRICTS], "lot": [d[3] for d in DISTRICTS]},
                            geometry=cells, crs=CRS)


def area_table(rng: np.random.Generator, county: Polygon, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The small areas: Voronoi cells around population-weighted centres, with their people."""
    seeds, towns = area_seeds(rng, county)
    cells = voronoi_cells(seeds, county)
    table = people(rng, seeds, towns)
    seed_points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(seeds[:, 0], seeds[:, 1]), crs=CRS)
    joined = gpd.sjoin(seed_points, districts, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    table["district"] = joined["district"].to_numpy()
    table["lot"] = joined["lot"].to_numpy()
    table["pwc_x"] = seeds[:, 0].round(1)
    table["pwc_y"] = seeds[:, 1].round(1)
    areas = gpd.GeoDataFrame(table, geometry=cells, crs=CRS)
    areas["area_km2"] = (areas.geometry.area / 1e6).round(3)
    # order areas by district, then north to south, west to east, then name them
    areas = areas.sort_values(["district", "pwc_y", "pwc_x"], ascending=[True, False, True]).reset_index(drop=True)
    areas["code"] = [f"ZZ01{i + 1:06d}" for i in range(len(areas))]
    areas["name"] = areas["district"] + " " + (areas.groupby("district").cumcount() + 1).map("{:03d}".format)
    first = ["code", "name", "district", "town", "lot"]
    return areas[first + [c for c in areas.columns if c not in first]]


def town_table(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Towns with their population (sum of their small areas) and which is biggest."""
    population = areas[areas["town"] != "Rural"].groupby("town")["pop_total"].sum()
    rows = []
    for t in TOWNS:
        centre = town_centre(t)
        nearest = areas.geometry.distance(Point(centre)).idxmin()
        rows.append({"name": t.name, "district": areas.loc[nearest, "district"],
                     "population": int(population.get(t.name, 0)), "geometry": Point(centre)})
    towns = gpd.GeoDataFrame(rows, crs=CRS)
    towns["is_biggest"] = towns["population"] == towns["population"].max()
    return towns


@dataclass(frozen=True)
class DemoLocality:
    """Everything the generator makes, before it is written to disk."""

    county: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    main_roads: gpd.GeoDataFrame
    road_nodes: pd.DataFrame
    road_edges: pd.DataFrame
    timetable: dict[str, pd.DataFrame]


def generate(seed: int = SEED) -> DemoLocality:
    """Build the whole demo locality from one seed."""
    rng = np.random.default_rng(seed)
    outline = county_outline(rng)
    county = gpd.GeoDataFrame({"name": [COUNTY_NAME]}, geometry=[outline], crs=CRS)
    districts = district_table(outline)
    areas = area_table(rng, outline, districts)
    towns = town_table(areas)
    services = service_table(rng, outline, areas)
    nodes, edges, main_roads = road_network(rng, outline)
    # The buses have a generator of their own: changing them changes nothing else.
    buses = demo_timetable.routes_for(areas, towns, county, np.random.default_rng(seed + 21))
    return DemoLocality(county, districts, areas, towns, services, main_roads, nodes, edges,
                        demo_timetable.gtfs_tables(buses))


def write(locality: DemoLocality, folder: Path) -> None:
    """Write the locality as one GeoPackage (layers) plus two Parquet road tables."""
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / "locality.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    for layer in ("county", "districts", "areas", "towns", "services", "main_roads"):
        getattr(locality, layer).to_file(gpkg, layer=layer, driver="GPKG")
    locality.road_nodes.to_parquet(folder / "road_nodes.parquet", index=False)
    locality.road_edges.to_parquet(folder / "road_edges.parquet", index=False)
    write_timetable(folder, demo_timetable.gtfs_zip(locality.timetable), TimetableChoice(
        service_date=demo_timetable.SERVICE_DATE, name=demo_timetable.FEED_NAME))


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parent / "demo"
    locality = generate()
    write(locality, folder)
    areas = locality.areas
    print(f"Wrote {folder}: {len(areas)} areas, {areas['pop_total'].sum():,} residents, "
          f"{len(locality.road_nodes):,} road nodes, {len(locality.road_edges):,} road edges, "
          f"{len(locality.services)} services, {len(locality.timetable['trips.txt']):,} bus trips a weekday")


if __name__ == "__main__":
    main(sys.argv[1:])
