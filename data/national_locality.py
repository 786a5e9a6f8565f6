"""Build an England and Wales locality (34,753 real LSOAs) for timing the app at national scale.

The result is a locality folder in the demo's format (docs/CONTRACT.md), built once into a
cache folder (``instance/cache/national/``, not committed) from the shared data beside the
project, and reused while its sources and this builder's version are unchanged. It exists
to measure the app at 35,000 areas; it is a benchmark build, not data to plan with.

What is real and what is estimated or synthetic (the county name says so too):

- real: LSOA 2011 boundaries (ONS super-generalised, EPSG:4326, projected to EPSG:27700;
  the 3 invalid polygons are repaired with ``make_valid``); codes and names; ONS mid-2019
  population; English IMD 2019 scores and deciles;
- Wales has no English IMD: Welsh LSOAs take mySociety's England-anchored composite score
  (``UK_IMD_E_score``, the English model re-predicted for Wales) and its decile on the
  English bands (``E_expanded_decile``). Any LSOA without a population or IMD row takes
  the national median (none at the time of writing; the count is printed);
- estimated by rule: sex and age bands (rounded national shares for England and Wales,
  mid-2019, the same in every area: ``SEX_AGE_SHARES``); black and minority ethnic share
  (14% nationally, spread by population density: denser areas get more, see
  :func:`estimate_fields`); severe mental illness and common mental disorder prevalence
  from the IMD score by the demo's formulas without noise (``0.52 + 0.016 x IMD`` and
  ``12 + 0.20 x IMD`` percent of adults); need index and need weight by the formula in
  data/README.md (100 = national average need per adult);
- derived: ``district`` is the LSOA name without its trailing number (the local
  authority); ``lot`` is West, Central or East by the district's population-weighted
  easting (thirds of the population); the eight ``towns`` are the most populous districts
  with at least ``TOWN_MIN_DENSITY`` residents per km² (so cities, not rural counties),
  each at its population-weighted centre; an area's ``town`` is its district when that is
  one of the eight, otherwise "Rural" (the contract's word for "not in a listed town");
  ``pwc_x``/``pwc_y`` are the boundary file's centroids (not population-weighted);
- synthetic, for timing only: the road network is a jittered square lattice (spacing
  chosen for about 200,000 nodes, about 0.9 km) over the land (points within half a
  spacing of any LSOA), its largest connected piece kept; every 60th grid line is a
  motorway, every 20th an A road, every 10th a B road, the rest minor roads; lengths are
  10% longer than the straight line. ``main_roads`` are the motorway grid lines. The 13
  services are made up and placed in the biggest towns.

Run ``python -m data.national_locality [--rebuild]``; it prints the folder. Without
the shared data it stops with a message saying where the data was looked for.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from data.generate_demo import add_need

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
CACHE_FOLDER = PROJECT_ROOT / "instance" / "cache" / "national"
BUILD_VERSION = 1  # bump when the rules below change, so cached builds are remade
BUILD_STAMP = "BUILD.json"
CRS = "EPSG:27700"

BOUNDARIES = Path("england_wales_lsoa2011_bsc") / "LSOA_2011_BSC_EW_V3.geojson.gz"
IMD = Path("england_lsoa_imd2019_population") / "mysociety_UK_IMD_E.csv"
POPULATION = Path("england_lsoa_imd2019_population") / "mysociety_lsoa_population_2019.csv"
SOURCES = (BOUNDARIES, IMD, POPULATION)

COUNTY_NAME = ("England and Wales (benchmark build: real LSOA boundaries, population and deprivation; "
               "estimated age, sex, ethnicity and need; synthetic roads and services)")

# Rounded national shares, England and Wales, ONS mid-2019 estimates (the same in every area).
FEMALE_SHARE = 0.506
SEX_AGE_SHARES = {
    "pop_under_18": 0.213, "pop_18_24": 0.084, "pop_25_34": 0.136,
    "pop_35_49": 0.194, "pop_50_64": 0.186, "pop_65_plus": 0.187,
}
NATIONAL_BME_SHARE = 0.14  # black and minority ethnic share of residents, 2011 Census, rounded
TARGET_ROAD_NODES = 200_000
TOWN_COUNT = 8
TOWN_MIN_DENSITY = 1_000.0  # residents per km² of a district to count as a town or city
SEED = 35_000
SERVICES_PER_TOWN = (3, 2, 2, 2, 1, 1, 1, 1)  # 13 services, biggest towns first
SERVICE_TYPES = ("Day centre", "Drop-in", "Work project", "Sheltered workshop", "Clubhouse",
                 "Women-only day service")
SERVICE_FUNCTIONS = {
    "Day centre": "social_contact;structured_activity;skills",
    "Drop-in": "social_contact;peer_support",
    "Work project": "skills;employment_support;job_retention",
    "Sheltered workshop": "structured_activity;sheltered_employment",
    "Clubhouse": "social_contact;peer_support;mainstream_participation",
    "Women-only day service": "social_contact;structured_activity",
}


class SharedDataMissingError(FileNotFoundError):
    """The shared data this build reads is not beside the project."""


def national_locality(shared_data: Path = SHARED_DATA, folder: Path = CACHE_FOLDER, *,
                      rebuild: bool = False) -> Path:
    """The built locality folder: reused when its stamp matches the sources, built otherwise.

    Raises :class:`SharedDataMissingError` naming the missing file when the shared data is
    absent. Safe when two processes build at once: each writes a private folder and the
    first to finish is kept.
    """
    stamp = source_stamp(shared_data)
    if not rebuild and _stamp_of(folder) == stamp:
        return folder
    staging = folder.parent / f".{folder.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    build(shared_data, staging)
    (staging / BUILD_STAMP).write_text(json.dumps(stamp, indent=2))
    if _stamp_of(folder) == stamp and not rebuild:
        shutil.rmtree(staging)  # another process finished the same build first
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return folder


def source_stamp(shared_data: Path) -> dict[str, object]:
    """What a build depends on: this builder's version and each source file's size and time."""
    missing = [str(shared_data / name) for name in SOURCES if not (shared_data / name).is_file()]
    if missing:
        raise SharedDataMissingError(
            f"the national benchmark locality needs the shared data, not found: {', '.join(missing)} "
            "(expected ../shared/data beside the project)")
    files = {str(name): [(shared_data / name).stat().st_size, int((shared_data / name).stat().st_mtime)]
             for name in SOURCES}
    return {"version": BUILD_VERSION, "sources": files}


def _stamp_of(folder: Path) -> object:
    try:
        return json.loads((folder / BUILD_STAMP).read_text())
    except (OSError, ValueError):
        return None


def build(shared_data: Path, folder: Path) -> None:
    """Read the sources, estimate the missing fields, lay the roads and write the folder."""
    started = time.perf_counter()
    areas = estimate_fields(read_areas(shared_data))
    districts = dissolve_districts(areas)
    areas["lot"] = areas["district"].map(districts.set_index("district")["lot"])
    land = shapely.union_all(districts.geometry.values, grid_size=1.0)
    county = gpd.GeoDataFrame({"name": [COUNTY_NAME]}, geometry=[land], crs=CRS)
    nodes, edges, main_roads = road_lattice(land, target_nodes=TARGET_ROAD_NODES, seed=SEED)
    towns = towns_from_areas(areas)
    areas["town"] = np.where(areas["district"].isin(towns["name"]), areas["district"], "Rural")
    services = synthetic_services(towns, seed=SEED)
    write(folder, county=county, districts=districts, areas=areas, towns=towns, services=services,
          main_roads=main_roads, road_nodes=nodes, road_edges=edges)
    print(f"national locality: {len(areas):,} areas, {len(nodes):,} road nodes, {len(edges):,} edges, "
          f"built in {time.perf_counter() - started:.1f} s into {folder}")


def read_areas(shared_data: Path) -> gpd.GeoDataFrame:
    """LSOA boundaries in EPSG:27700 joined to population and IMD (real values only)."""
    boundaries = gpd.read_file(f"/vsigzip/{shared_data / BOUNDARIES}", engine="pyogrio", use_arrow=True,
                               columns=["LSOA11CD", "LSOA11NM", "BNG_E", "BNG_N"]).to_crs(CRS)
    population = pd.read_csv(shared_data / POPULATION, encoding="utf-8-sig", thousands=",")
    imd = pd.read_csv(shared_data / IMD, usecols=["nation", "lsoa", "overall_local_score", "UK_IMD_E_score",
                                                  "original_decile", "E_expanded_decile"])
    english = imd["nation"] == "E"
    # England: the official IMD 2019 score and decile. Wales: the England-anchored estimate.
    imd["imd_score"] = np.where(english, imd["overall_local_score"], imd["UK_IMD_E_score"])
    imd["imd_decile"] = np.where(english, imd["original_decile"], imd["E_expanded_decile"])
    areas = (boundaries.rename(columns={"LSOA11CD": "code", "LSOA11NM": "name", "BNG_E": "pwc_x", "BNG_N": "pwc_y"})
             .merge(population.rename(columns={"lsoa": "code", "pop": "pop_total"}), on="code", how="left")
             .merge(imd[["lsoa", "imd_score", "imd_decile"]].rename(columns={"lsoa": "code"}), on="code",
                    how="left"))
    for column in ("pop_total", "imd_score", "imd_decile"):
        missing = areas[column].isna()
        if missing.any():
            print(f"  {missing.sum()} area(s) without {column}: given the national median")
            areas[column] = areas[column].fillna(areas[column].median())
    areas["pop_total"] = areas["pop_total"].round().astype("int64")
    areas["imd_decile"] = areas["imd_decile"].round().astype("int64")
    areas["geometry"] = _polygons_only(shapely.make_valid(areas.geometry.values))
    areas["district"] = areas["name"].str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)
    areas["area_km2"] = (areas.geometry.area / 1e6).round(4)
    areas["pwc_x"] = areas["pwc_x"].astype("float64")
    areas["pwc_y"] = areas["pwc_y"].astype("float64")
    return areas


def _polygons_only(geometries: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of repaired geometries (make_valid can add stray lines)."""
    out = geometries.copy()
    for i in np.flatnonzero(~np.isin(shapely.get_type_id(geometries), [3, 6])):  # 3 Polygon, 6 MultiPolygon
        parts = shapely.get_parts(geometries[i])
        polygons = [p for p in shapely.get_parts(parts) if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.union_all(polygons)
    return out


def estimate_fields(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add the contract's columns the sources lack, by the rules in the module docstring."""
    out = areas.copy()
    total = out["pop_total"].to_numpy()
    out["pop_female"] = np.round(total * FEMALE_SHARE).astype("int64")
    out["pop_male"] = total - out["pop_female"]
    # Bands from rounded cumulative shares, so they sum exactly to the total.
    cumulative = np.round(np.outer(total, np.cumsum([0.0, *SEX_AGE_SHARES.values()]))).astype("int64")
    cumulative[:, -1] = total
    for k, column in enumerate(SEX_AGE_SHARES):
        out[column] = cumulative[:, k + 1] - cumulative[:, k]
    out["pop_adult"] = total - out["pop_under_18"]
    # Denser areas are more ethnically diverse: share grows with the square root of
    # density relative to the median, scaled so the national share is NATIONAL_BME_SHARE.
    density = total / np.maximum(out["area_km2"].to_numpy(), 1e-3)
    raw = np.sqrt(density / np.median(density))
    scaled = raw * NATIONAL_BME_SHARE * total.sum() / (raw * total).sum()
    out["bme_share"] = np.clip(scaled, 0.005, 0.8).round(4)
    score = out["imd_score"].to_numpy(dtype=float)
    out["smi_prevalence_pct"] = np.clip(0.52 + 0.016 * score, 0.3, 2.5).round(3)
    out["cmd_prevalence_pct"] = np.clip(12.0 + 0.20 * score, 8.0, 30.0).round(2)
    return gpd.GeoDataFrame(add_need(pd.DataFrame(out)), geometry="geometry", crs=CRS)


def dissolve_districts(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per district, with its lot (West, Central, East: thirds of the population by easting)."""
    districts = areas[["district", "geometry"]].dissolve("district", grid_size=1.0).reset_index()
    people = areas["pop_total"].groupby(areas["district"]).sum()
    easting = (areas["pwc_x"] * areas["pop_total"]).groupby(areas["district"]).sum() / people
    order = easting.sort_values()
    share = people[order.index].cumsum() / people.sum()
    lot = pd.Series(np.select([share <= 1 / 3, share <= 2 / 3], ["West", "Central"], "East"), index=order.index)
    districts["lot"] = districts["district"].map(lot)
    return gpd.GeoDataFrame(districts[["district", "lot", "geometry"]], geometry="geometry", crs=CRS)


def towns_from_areas(areas: gpd.GeoDataFrame, *, count: int = TOWN_COUNT) -> gpd.GeoDataFrame:
    """The ``count`` most populous dense districts, each at its population-weighted centre."""
    weight = areas["pop_total"].astype(float)
    grouped = pd.DataFrame({"district": areas["district"], "people": weight, "km2": areas["area_km2"],
                            "wx": areas["pwc_x"] * weight, "wy": areas["pwc_y"] * weight}).groupby("district").sum()
    dense = grouped[grouped["people"] / grouped["km2"] >= TOWN_MIN_DENSITY]
    top = dense.sort_values("people", ascending=False).head(count)
    towns = pd.DataFrame({"name": top.index, "district": top.index, "population": top["people"].astype("int64"),
                          "is_biggest": np.arange(len(top)) == 0})
    return gpd.GeoDataFrame(towns.reset_index(drop=True),
                            geometry=gpd.points_from_xy(top["wx"] / top["people"], top["wy"] / top["people"]),
                            crs=CRS)


def road_lattice(land: shapely.Geometry, *, target_nodes: int, seed: int
                 ) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """A synthetic road lattice over ``land``: node and edge tables and the motorway lines to draw."""
    spacing = float(np.sqrt(land.area / target_nodes))
    minx, miny, maxx, maxy = land.bounds
    columns = int(np.ceil((maxx - minx) / spacing)) + 1
    rows = int(np.ceil((maxy - miny) / spacing)) + 1
    grid_x = minx + spacing * np.arange(columns)
    grid_y = miny + spacing * np.arange(rows)
    gx, gy = np.meshgrid(grid_x, grid_y)
    near_land = shapely.buffer(land, spacing / 2, quad_segs=2)
    shapely.prepare(near_land)
    on_land = shapely.contains_xy(near_land, gx.ravel(), gy.ravel()).reshape(rows, columns)

    ids = np.arange(rows * columns).reshape(rows, columns)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    line = np.r_[np.repeat(np.arange(rows), columns - 1), np.tile(np.arange(columns), rows - 1)]
    keep = on_land.ravel()[u] & on_land.ravel()[v]
    u, v, line = u[keep], v[keep], line[keep]
    graph = coo_matrix((np.ones(u.size), (u, v)), shape=(rows * columns, rows * columns))
    _, label = connected_components(graph, directed=False)
    largest = np.bincount(label[on_land.ravel()]).argmax()
    kept = on_land.ravel() & (label == largest)
    in_piece = kept[u]
    u, v, line = u[in_piece], v[in_piece], line[in_piece]
    renumber = np.full(rows * columns, -1, dtype=np.int64)
    renumber[kept] = np.arange(int(kept.sum()))

    rng = np.random.default_rng(seed)
    x = gx.ravel()[kept] + rng.uniform(-0.2, 0.2, int(kept.sum())) * spacing
    y = gy.ravel()[kept] + rng.uniform(-0.2, 0.2, int(kept.sum())) * spacing
    nu, nv = renumber[u], renumber[v]
    road_class = np.where(line % 60 == 0, "motorway", np.where(
        line % 20 == 0, "a_road", np.where(line % 10 == 0, "b_road", "minor")))
    nodes = pd.DataFrame({"node_id": np.arange(x.size, dtype=np.int64), "x": x, "y": y})
    edges = pd.DataFrame({"u": nu, "v": nv, "road_class": road_class,
                          "length_m": np.hypot(x[nu] - x[nv], y[nu] - y[nv]) * 1.1, "oneway": False})
    horizontal = [shapely.LineString([(minx, y0), (maxx, y0)]) for y0 in grid_y[::60]]
    vertical = [shapely.LineString([(x0, miny), (x0, maxy)]) for x0 in grid_x[::60]]
    drawn = shapely.get_parts(shapely.intersection(np.array(horizontal + vertical), land))
    drawn = drawn[shapely.get_type_id(drawn) == 1]  # 1 LineString: drop stray points
    main_roads = gpd.GeoDataFrame({"road_class": ["motorway"] * len(drawn)}, geometry=drawn, crs=CRS)
    return nodes, edges, main_roads


def synthetic_services(towns: gpd.GeoDataFrame, *, seed: int) -> gpd.GeoDataFrame:
    """Thirteen made-up services in the biggest towns, a little way from each centre."""
    rng = np.random.default_rng(seed)
    rows, points = [], []
    number = 0
    for (_, town), count in zip(towns.iterrows(), SERVICES_PER_TOWN, strict=False):
        for k in range(count):
            number += 1
            kind = SERVICE_TYPES[(number - 1) % len(SERVICE_TYPES)]
            clients = int(rng.integers(30, 120))
            budget = int(rng.integers(15, 65)) * 10_000
            employment = budget // 5 if "employment_support" in SERVICE_FUNCTIONS[kind] else 0
            mainstream = budget // 10 if "mainstream_participation" in SERVICE_FUNCTIONS[kind] else 0
            rows.append({
                "service_id": f"S{number:02d}", "name": f"Synthetic service {number} ({town['name']})",
                "service_type": kind, "provider": "Synthetic provider (benchmark)", "district": town["district"],
                "town": town["name"], "budget_gbp": budget,
                "budget_day_activity_gbp": budget - employment - mainstream,
                "budget_employment_gbp": employment, "budget_mainstream_gbp": mainstream,
                "clients": clients,
                "clients_female": clients * 2 // 5 if kind != "Women-only day service" else clients,
                "clients_18_24": clients // 20, "clients_bme": clients // 10, "clients_over_50": clients * 3 // 5,
                "clients_volunteered": clients // 3, "functions": SERVICE_FUNCTIONS[kind],
                "opening_days": "Mon-Fri", "locality_wide": False,
            })
            angle = 2 * np.pi * k / max(count, 1)
            points.append((town.geometry.x + 1500 * np.cos(angle) * (k > 0),
                           town.geometry.y + 1500 * np.sin(angle) * (k > 0)))
    return gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(*zip(*points, strict=True)), crs=CRS)


def write(folder: Path, *, road_nodes: pd.DataFrame, road_edges: pd.DataFrame,
          **layers: gpd.GeoDataFrame) -> None:
    """Write the GeoPackage layers and the two road tables (the demo's file layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / "locality.gpkg"
    for name, layer in layers.items():
        pyogrio.write_dataframe(layer, gpkg, layer=name, driver="GPKG", promote_to_multi=name == "areas",
                                use_arrow=True)
    road_nodes.to_parquet(folder / "road_nodes.parquet", index=False)
    road_edges.to_parquet(folder / "road_edges.parquet", index=False)


def main(argv: list[str]) -> int:
    try:
        folder = national_locality(rebuild="--rebuild" in argv)
    except SharedDataMissingError as error:
        print(f"cannot build: {error}")
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
