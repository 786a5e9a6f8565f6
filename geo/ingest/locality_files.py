"""Read a locality folder from disk into a checked :class:`~geo.locality.Locality`.

All reading of the locality's own files lives here, so that every other module can trust
what it is given. A missing or malformed file raises :class:`~geo.errors.DataFileError`
naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import DataFileError
from geo.locality import (
    AREA_COLUMNS,
    AREA_DEFAULTS,
    BRITISH_NATIONAL_GRID,
    DEFAULT_LOT,
    DEMO_FOLDER,
    EDGE_COLUMNS,
    LAYER_COLUMNS,
    NODE_COLUMNS,
    NUMERIC_AREA_COLUMNS,
    OPTIONAL_LAYERS,
    REQUIRED_AREA_COLUMNS,
    SERVICE_FUNCTIONS,
    UNKNOWN_TOWN,
    Locality,
)

MANIFEST_FILE = "manifest.json"  # a saved version's description (geo.ingest.datasets)


def load_locality(folder: Path | str = DEMO_FOLDER) -> Locality:
    """Read and check a locality folder (``locality.gpkg`` plus two road Parquet tables).

    Optional area columns and layers an uploaded locality left out get the defaults in
    :data:`AREA_DEFAULTS` and :data:`OPTIONAL_LAYERS`; required ones are checked.
    """
    folder = Path(folder)
    gpkg = folder / "locality.gpkg"
    present = _layer_names(gpkg)
    layers = {layer: _read_layer(gpkg, layer, columns, present=present)
              for layer, columns in LAYER_COLUMNS.items()}
    nodes = _read_table(folder / "road_nodes.parquet", NODE_COLUMNS)
    edges = _read_table(folder / "road_edges.parquet", EDGE_COLUMNS)
    county_name = str(layers["county"]["name"].iloc[0])
    _check_areas(gpkg, layers["areas"])
    layers["areas"] = _complete_areas(layers["areas"], county_name)
    layers["towns"] = _complete_towns(gpkg, layers["towns"], county_name)
    _check_services(gpkg, layers["services"])
    _check_roads(folder, nodes, edges)
    fictional = "fictional" in county_name.lower()
    return Locality(
        name=county_name,
        is_fictional=fictional,
        road_nodes=nodes,
        road_edges=edges,
        road_network=_road_network(folder, fictional),
        **layers,
    )


def _road_network(folder: Path, fictional: bool) -> str:
    """What the folder's road network includes, in words: as its version's manifest says, else
    for the demo or a folder of road tables."""
    manifest = folder / MANIFEST_FILE
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DataFileError(f"{manifest}: cannot read the version's manifest ({error})") from error
        if data.get("road_network"):
            return str(data["road_network"])
        if data.get("roads_source"):
            return ("Roads and paths from an OpenStreetMap extract, inside the locality's boundary only (this "
                    "version was saved before roads beyond it were kept).")
        return "No road network was uploaded with this data."
    if fictional:
        return ("The demo's made-up road network: a motorway, A and B roads joining the towns and a mesh of "
                "minor roads (data/README.md).")
    return "The road network supplied with the data (its road_nodes and road_edges tables)."


def _layer_names(gpkg: Path) -> set[str]:
    if not gpkg.is_file():
        raise DataFileError(f"{gpkg}: file not found (expected a GeoPackage with the locality's layers)")
    import pyogrio

    try:
        return {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    except Exception as error:  # pyogrio raises several types for unreadable input
        raise DataFileError(f"{gpkg}: cannot read as a GeoPackage: {error}") from error


def _read_layer(gpkg: Path, layer: str, columns: tuple[str, ...], *,
                present: set[str] | None = None) -> gpd.GeoDataFrame:
    optional = layer in OPTIONAL_LAYERS
    if optional and present is not None and layer not in present:
        return _empty_layer(columns)
    if not gpkg.is_file():
        raise DataFileError(f"{gpkg}: file not found (expected a GeoPackage with the locality's layers)")
    try:
        frame = gpd.read_file(gpkg, layer=layer)
    except Exception as error:  # pyogrio raises several types for unreadable input
        raise DataFileError(f"{gpkg}: cannot read layer '{layer}': {error}") from error
    if frame.empty and optional:
        return _empty_layer(columns)
    if frame.crs is None or frame.crs.to_epsg() != BRITISH_NATIONAL_GRID:
        found = "none" if frame.crs is None else frame.crs.to_string()
        raise DataFileError(f"{gpkg}, layer '{layer}': expected British National Grid (EPSG:27700), found {found}")
    required = REQUIRED_AREA_COLUMNS if layer == "areas" else ("name",) if layer == "towns" else columns
    _require_columns(f"{gpkg}, layer '{layer}'", frame, required)
    if frame.empty:
        raise DataFileError(f"{gpkg}, layer '{layer}': the layer has no rows")
    return frame


def _empty_layer(columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """A layer with its columns and no rows: what a locality without services or main roads has."""
    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in columns},
                            geometry=gpd.GeoSeries([], crs=BRITISH_NATIONAL_GRID), crs=BRITISH_NATIONAL_GRID)


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
    for column in ("code", "name"):
        blank = areas[column].map(_is_blank)
        if blank.any():
            row = int(blank.to_numpy().argmax())
            raise DataFileError(f"{where}, row {row + 1}, column {column}: expected a value, found none")
    for column in NUMERIC_AREA_COLUMNS:
        if column not in areas.columns:
            continue
        values = pd.to_numeric(areas[column], errors="coerce")
        unparsed = values.isna() & ~areas[column].map(_is_blank)
        missing = values.isna() if column in REQUIRED_AREA_COLUMNS else unparsed
        bad = missing | (values < 0)
        if bad.any():
            row = int(bad.to_numpy().argmax())
            value = areas[column].iloc[row]
            found = "nothing (the value is empty)" if _is_blank(value) else repr(_plain_value(value))
            raise DataFileError(
                f"{where}, row {row + 1} (area {areas['code'].iloc[row]}), column {column}: "
                f"expected a number of at least 0, found {found}"
            )
    if not areas.geometry.is_valid.all():
        row = int((~areas.geometry.is_valid).to_numpy().argmax())
        raise DataFileError(f"{where}, row {row + 1} (area {areas['code'].iloc[row]}): invalid polygon")


def _is_blank(value: object) -> bool:
    """True for a value a file left empty: None, NaN or blank text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _plain_value(value: object) -> object:
    """A numpy scalar as the plain Python value it holds, for messages people read."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _complete_areas(areas: gpd.GeoDataFrame, locality_name: str) -> gpd.GeoDataFrame:
    """The areas with every contract column, optional ones filled as :data:`AREA_DEFAULTS` says.

    Returns ``areas`` itself when nothing is missing (the demo), so it loads unchanged.
    """
    blanks = {c: areas[c].map(_is_blank) for c in AREA_COLUMNS if c in areas.columns}
    if all(c in areas.columns for c in AREA_COLUMNS) and not any(b.any() for c, b in blanks.items()
                                                                 if c in AREA_DEFAULTS):
        return areas
    out = areas.copy()
    for column, default in (("district", locality_name), ("town", UNKNOWN_TOWN), ("lot", DEFAULT_LOT)):
        if column not in out.columns:
            out[column] = default
        else:
            out[column] = out[column].where(~blanks[column], default)
    number = {c: pd.to_numeric(out[c], errors="coerce") for c in NUMERIC_AREA_COLUMNS if c in out.columns}
    empty = pd.Series(float("nan"), index=out.index)
    adults = number["pop_adult"]
    derived = {
        "pop_under_18": number["pop_total"] - adults,
        "need_index": pd.Series(100.0, index=out.index),
    }
    for column, values in derived.items():
        out[column] = number.get(column, empty).fillna(values)
    out["need_weight"] = number.get("need_weight", empty).fillna(adults * out["need_index"] / 100.0)
    out["area_km2"] = number.get("area_km2", empty).fillna(out.geometry.area / 1e6)
    for column in NUMERIC_AREA_COLUMNS:
        if column not in out.columns:
            out[column] = float("nan")
    ordered = [*AREA_COLUMNS, *(c for c in out.columns if c not in AREA_COLUMNS)]
    return gpd.GeoDataFrame(out[ordered], geometry=out.geometry.name)


def _complete_towns(gpkg: Path, towns: gpd.GeoDataFrame, locality_name: str) -> gpd.GeoDataFrame:
    """Towns with district (default: the locality's name), population (default 0) and
    is_biggest (default: the most populous); returns ``towns`` itself when complete."""
    where = f"{gpkg}, layer 'towns'"
    if all(c in towns.columns for c in LAYER_COLUMNS["towns"]) and not towns["is_biggest"].map(_is_blank).any():
        if not towns["is_biggest"].astype(bool).any():
            raise DataFileError(f"{where}, column is_biggest: expected one town marked as the biggest, found none")
        return towns
    out = towns.copy()
    if "district" not in out.columns:
        out["district"] = locality_name
    population = pd.to_numeric(out["population"], errors="coerce") if "population" in out.columns else None
    out["population"] = (population if population is not None else pd.Series(0.0, index=out.index)).fillna(0.0)
    biggest = pd.Series(False, index=out.index)
    biggest.iloc[int(out["population"].to_numpy().argmax())] = True
    out["is_biggest"] = biggest
    return out


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
        unknown = [f for f in str(functions).split(";") if f and f not in SERVICE_FUNCTIONS]  # none is allowed
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
