"""Read a locality from disk into typed structures, checking it on the way in.

All reading of the locality's own files lives here, so that every other module can trust
what it is given. A missing or malformed file raises :class:`~geo.errors.DataFileError`
naming the file and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import DataFileError

BRITISH_NATIONAL_GRID = 27700
DEMO_FOLDER = Path(__file__).resolve().parents[1] / "data" / "demo"

AREA_COLUMNS = (
    "code", "name", "district", "town", "lot", "pop_total", "pop_male", "pop_female",
    "pop_under_18", "pop_18_24", "pop_25_34", "pop_35_49", "pop_50_64", "pop_65_plus",
    "pop_adult", "bme_share", "imd_score", "imd_decile", "smi_prevalence_pct",
    "cmd_prevalence_pct", "need_index", "need_weight", "pwc_x", "pwc_y", "area_km2",
)
SERVICE_COLUMNS = (
    "service_id", "name", "service_type", "provider", "district", "town", "budget_gbp",
    "budget_day_activity_gbp", "budget_employment_gbp", "budget_mainstream_gbp", "clients",
    "clients_female", "clients_18_24", "clients_bme", "clients_over_50", "functions",
    "opening_days", "locality_wide",
)
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "county": ("name",),
    "districts": ("district", "lot"),
    "areas": AREA_COLUMNS,
    "towns": ("name", "district", "population", "is_biggest"),
    "services": SERVICE_COLUMNS,
    "main_roads": ("road_class",),
}
NODE_COLUMNS = ("node_id", "x", "y")
EDGE_COLUMNS = ("u", "v", "road_class", "length_m", "oneway")
NUMERIC_AREA_COLUMNS = tuple(c for c in AREA_COLUMNS if c not in {"code", "name", "district", "town", "lot"})

SERVICE_FUNCTIONS = {
    "social_contact": "Social contact",
    "structured_activity": "Structured activity",
    "skills": "Skills and training",
    "employment_support": "Employment support",
    "job_retention": "Job retention",
    "sheltered_employment": "Sheltered employment",
    "mainstream_participation": "Support into mainstream activities",
    "peer_support": "User-led and peer support",
}


@dataclass(frozen=True)
class Locality:
    """One locality's areas, services, places and roads, in British National Grid metres."""

    name: str
    is_fictional: bool
    county: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    main_roads: gpd.GeoDataFrame
    road_nodes: pd.DataFrame
    road_edges: pd.DataFrame

    @property
    def biggest_town(self) -> str:
        """Name of the town with the most residents."""
        return str(self.towns.loc[self.towns["is_biggest"], "name"].iloc[0])


def load_locality(folder: Path | str = DEMO_FOLDER) -> Locality:
    """Read and check a locality folder (``locality.gpkg`` plus two road Parquet tables)."""
    folder = Path(folder)
    gpkg = folder / "locality.gpkg"
    layers = {layer: _read_layer(gpkg, layer, columns) for layer, columns in LAYER_COLUMNS.items()}
    nodes = _read_table(folder / "road_nodes.parquet", NODE_COLUMNS)
    edges = _read_table(folder / "road_edges.parquet", EDGE_COLUMNS)
    _check_areas(gpkg, layers["areas"])
    _check_services(gpkg, layers["services"])
    _check_roads(folder, nodes, edges)
    county_name = str(layers["county"]["name"].iloc[0])
    return Locality(
        name=county_name,
        is_fictional="fictional" in county_name.lower(),
        road_nodes=nodes,
        road_edges=edges,
        **layers,
    )


def _read_layer(gpkg: Path, layer: str, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    if not gpkg.is_file():
        raise DataFileError(f"{gpkg}: file not found (expected a GeoPackage with the locality's layers)")
    try:
        frame = gpd.read_file(gpkg, layer=layer)
    except Exception as error:  # pyogrio raises several types for unreadable input
        raise DataFileError(f"{gpkg}: cannot read layer '{layer}': {error}") from error
    if frame.crs is None or frame.crs.to_epsg() != BRITISH_NATIONAL_GRID:
        found = "none" if frame.crs is None else frame.crs.to_string()
        raise DataFileError(f"{gpkg}, layer '{layer}': expected British National Grid (EPSG:27700), found {found}")
    _require_columns(f"{gpkg}, layer '{layer}'", frame, columns)
    if frame.empty:
        raise DataFileError(f"{gpkg}, layer '{layer}': the layer has no rows")
    return frame


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several types for unreadable input
        raise DataFileError(f"{path}: cannot read as Parquet: {error}") from error
    _require_columns(str(path), frame, columns)
    return frame


def _require_columns(where: str, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFileError(f"{where}: missing column(s) {', '.join(missing)}")


def _check_areas(gpkg: Path, areas: gpd.GeoDataFrame) -> None:
    where = f"{gpkg}, layer 'areas'"
    duplicated = areas["code"][areas["code"].duplicated()]
    if not duplicated.empty:
        raise DataFileError(f"{where}: area code {duplicated.iloc[0]} appears more than once")
    for column in NUMERIC_AREA_COLUMNS:
        values = pd.to_numeric(areas[column], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise DataFileError(
                f"{where}, row {row + 1} (area {areas['code'].iloc[row]}), column {column}: "
                f"expected a number of at least 0, found {areas[column].iloc[row]!r}"
            )
    if not areas.geometry.is_valid.all():
        row = int((~areas.geometry.is_valid).to_numpy().argmax())
        raise DataFileError(f"{where}, row {row + 1} (area {areas['code'].iloc[row]}): invalid polygon")


def _check_services(gpkg: Path, services: gpd.GeoDataFrame) -> None:
    where = f"{gpkg}, layer 'services'"
    lines = services[["budget_day_activity_gbp", "budget_employment_gbp", "budget_mainstream_gbp"]].sum(axis=1)
    mismatch = (lines - services["budget_gbp"]).abs() > 1
    if mismatch.any():
        row = int(mismatch.to_numpy().argmax())
        raise DataFileError(
            f"{where}, row {row + 1} ({services['name'].iloc[row]}): the three budget lines add up to "
            f"{lines.iloc[row]:,.0f} but budget_gbp is {services['budget_gbp'].iloc[row]:,.0f}"
        )
    for row, functions in enumerate(services["functions"]):
        unknown = [f for f in str(functions).split(";") if f not in SERVICE_FUNCTIONS]
        if unknown:
            raise DataFileError(
                f"{where}, row {row + 1}, column functions: unknown function {unknown[0]!r}; "
                f"expected some of {', '.join(SERVICE_FUNCTIONS)}"
            )


def _check_roads(folder: Path, nodes: pd.DataFrame, edges: pd.DataFrame) -> None:
    ids = nodes["node_id"].to_numpy()
    if len(ids) == 0 or ids[0] != 0 or (ids[1:] - ids[:-1] != 1).any():
        raise DataFileError(f"{folder / 'road_nodes.parquet'}: node_id must run 0, 1, 2, ... without gaps")
    for end in ("u", "v"):
        outside = (edges[end] < 0) | (edges[end] >= len(nodes))
        if outside.any():
            row = int(outside.to_numpy().argmax())
            raise DataFileError(
                f"{folder / 'road_edges.parquet'}, row {row + 1}, column {end}: node {edges[end].iloc[row]} "
                f"is not in road_nodes.parquet (which has {len(nodes)} nodes)"
            )
    if (edges["length_m"] <= 0).any():
        row = int((edges["length_m"] <= 0).to_numpy().argmax())
        raise DataFileError(
            f"{folder / 'road_edges.parquet'}, row {row + 1}, column length_m: expected a length above 0"
        )
