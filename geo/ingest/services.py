"""Services tables: locations, budgets, clients and functions, checked and placed on the map."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.ingest.cells import (
    BRITISH_NATIONAL_GRID,
    GB_EASTING,
    GB_LATITUDE,
    GB_LONGITUDE,
    GB_NORTHING,
    BadCell,
    NumberRule,
    Table,
    blank,
    check_codes,
    parse_bool,
    parse_number,
    parse_numbers,
    quote,
    row_number,
    value_at,
)
from geo.ingest.networks import DEFAULT_NETWORK_MARGIN_KM
from geo.ingest.report import Issue, IssueList, Severity
from geo.locality import SERVICE_COLUMNS, SERVICE_FUNCTIONS

# A service this far outside the areas is almost certainly misplaced (swapped or wrong
# coordinates) rather than a city-centre service that residents travel to.
SERVICE_FAR_OUTSIDE_KM = 50.0


SERVICE_RULES: dict[str, NumberRule] = {
    **{c: NumberRule("an amount in pounds a year", 0.0, 1e10, plausible=20_000_000.0,
                     why="a day or vocational service costs up to a few million pounds a year") for c in (
        "budget_gbp", "budget_day_activity_gbp", "budget_employment_gbp", "budget_mainstream_gbp")},
    **{c: NumberRule("a number of people", 0.0, 10_000_000.0, whole=True, plausible=5_000.0,
                     why="a service has up to a few hundred clients") for c in (
        "clients", "clients_female", "clients_18_24", "clients_bme", "clients_over_50",
        "clients_volunteered")},
    "latitude": NumberRule("a latitude in Great Britain", *GB_LATITUDE),
    "longitude": NumberRule("a longitude in Great Britain", *GB_LONGITUDE),
    "easting": NumberRule("a British National Grid easting in metres", *GB_EASTING),
    "northing": NumberRule("a British National Grid northing in metres", *GB_NORTHING),
}


FUNCTION_LABELS: dict[str, str] = {
    **{key: key for key in SERVICE_FUNCTIONS},
    **{label.lower(): key for key, label in SERVICE_FUNCTIONS.items()},
    "social contact": "social_contact", "social": "social_contact",
    "structured activity": "structured_activity", "activity": "structured_activity",
    "skills training": "skills", "training": "skills",
    "employment": "employment_support", "employment support": "employment_support",
    "ips": "employment_support", "supported employment": "employment_support",
    "job retention": "job_retention",
    "sheltered employment": "sheltered_employment", "sheltered work": "sheltered_employment",
    "sheltered workshop": "sheltered_employment",
    "mainstream": "mainstream_participation", "mainstream participation": "mainstream_participation",
    "community links": "mainstream_participation",
    "peer support": "peer_support", "peer": "peer_support", "user-led": "peer_support",
    "user led": "peer_support", "user-led support": "peer_support",
}


_FUNCTION_SPLIT = re.compile(r"[;,|/\n]+")


BUDGET_PARTS = ("budget_day_activity_gbp", "budget_employment_gbp", "budget_mainstream_gbp")


CLIENT_PARTS = ("clients_female", "clients_18_24", "clients_bme", "clients_over_50",
                "clients_volunteered")


SERVICE_TEXT = ("service_type", "provider", "district", "town", "opening_days")


def parse_services(table: Table) -> tuple[gpd.GeoDataFrame | None, list[Issue]]:
    """Check a services table and return it as points in British National Grid metres.

    Needs a name and a location (latitude and longitude, or easting and northing). Without a
    budget (the total, or the three lines by function) or a number of clients the file is
    still checked and accepted, with a warning that those figures will be unknown (left
    empty, never 0). Optional columns are filled with documented defaults and each default
    used is reported as a warning.
    """
    frame = table.frame
    issues = IssueList(total=len(frame))
    columns = set(frame.columns)
    has_lonlat = {"latitude", "longitude"} <= columns
    has_grid = {"easting", "northing"} <= columns
    missing = _missing_columns(columns)
    if missing:
        issues.add("error", table.file, None, None,
                   f"expected {'; '.join(missing)}; found columns "
                   f"{table.found_columns()}", check="missing_column")
        return None, issues.done()
    swapped = _check_swapped(table, issues) if has_lonlat else []
    numbers = table.frame.copy()
    if swapped:  # already reported; do not report their ranges as well
        numbers.loc[swapped, ["latitude", "longitude"]] = None
    typed = parse_numbers(replace(table, frame=numbers), SERVICE_RULES, issues)
    for column in ("latitude", "longitude") if has_lonlat else ("easting", "northing"):
        for row in frame.index[frame[column].map(blank)]:
            issues.add("error", table.file, row_number(row), table.header(column),
                       f"expected the service's {column}, found a blank cell",
                       check="blank_location", row_label=table.row_label)
    for row, name in frame["name"].items():
        if blank(name):
            issues.add("error", table.file, row_number(row), table.header("name"),
                       "expected the service's name, found a blank cell", check="blank_name",
                       row_label=table.row_label)
    if "service_id" in frame.columns:
        ids = check_codes(Table(table.file, frame.rename(columns={"service_id": "code"}),
                           {"code": table.header("service_id")}, table.row_label),
                     issues, what="a service id")
    else:
        ids = pd.Series([f"S{n:02d}" for n in range(1, len(frame) + 1)], index=frame.index)
        issues.add("warning", table.file, None, None,
                   "no service id column: services were numbered S01, S02, ... in file order",
                   check="default_used")
    result = pd.DataFrame(index=frame.index)
    result["service_id"] = ids
    result["name"] = frame["name"].map(lambda v: "" if blank(v) else str(v).strip())
    for column in SERVICE_TEXT:
        result[column] = (frame[column].map(lambda v: "" if blank(v) else str(v).strip())
                          if column in frame.columns else "")
    _budgets(table, typed, result, issues)
    _clients(table, typed, result, issues)
    result["functions"] = _functions(table, result, issues)
    result["locality_wide"] = _locality_wide(table, issues)
    points = _service_points(table, typed, has_grid)
    services = gpd.GeoDataFrame(result, geometry=points, crs=BRITISH_NATIONAL_GRID)
    duplicated = services["name"].duplicated(keep=False) & (services["name"] != "")
    for name, rows in services[duplicated].groupby("name").groups.items():
        issues.add("warning", table.file, row_number(rows[1]), table.header("name"),
                   f"the name {name!r} appears more than once (rows "
                   f"{', '.join(str(row_number(r)) for r in rows)})", check="duplicate_name",
                   row_label=table.row_label)
    if services.empty:
        issues.add("error", table.file, None, None, "expected at least one service, found none",
                   check="no_rows")
    return services, issues.done()


def _missing_columns(columns: set[str]) -> list[str]:
    """What a services table must have and ``columns`` lack, in words."""
    missing = [] if "name" in columns else ["'name' (the service's name)"]
    if not ({"latitude", "longitude"} <= columns or {"easting", "northing"} <= columns):
        missing.append("a location: 'latitude' and 'longitude', or 'easting' and 'northing'")
    return missing


def _clients(table: Table, typed: pd.DataFrame, result: pd.DataFrame, issues: IssueList) -> None:
    """Clients in all and by group into ``result``: blanks and groups larger than the whole are errors;
    with no clients column at all, every count is unknown (left empty) and says so."""
    frame = table.frame
    if "clients" not in typed.columns:
        for column in ("clients", *CLIENT_PARTS):
            result[column] = float("nan")
        issues.add("warning", table.file, None, None,
                   "no column of clients: how many people each service supports is not known, so today's "
                   "users and who they are cannot be shown; add a 'clients' column to count them",
                   check="clients_unknown")
        return
    result["clients"] = typed["clients"]
    for row in typed.index[typed["clients"].isna() & frame["clients"].map(blank)]:
        issues.add("error", table.file, row_number(row), table.header("clients"),
                   "expected the number of clients, found a blank cell", check="blank_value",
                   row_label=table.row_label)
    absent = [c for c in CLIENT_PARTS if c not in typed.columns]
    for column in CLIENT_PARTS:
        result[column] = typed[column].fillna(0.0) if column in typed.columns else 0.0
        if column in typed.columns:
            over = typed[column] > typed["clients"]
            for row in typed.index[over.fillna(False)]:
                issues.add("error", table.file, row_number(row), table.header(column),
                           f"expected at most the {value_at(typed, row, 'clients'):g} clients in all, "
                           f"found {value_at(typed, row, column):g}", check="inconsistent_sum",
                           row_label=table.row_label)
    if absent:
        issues.add("warning", table.file, None, None,
                   f"no column for {', '.join(absent)}: counted as 0 for every service, so "
                   "analyses of those groups will show none", check="default_used")


def _check_swapped(table: Table, issues: IssueList) -> list[Any]:
    """Latitude and longitude typed the wrong way round is the commonest location error;
    returns the rows where they are."""
    raw_lat = table.frame["latitude"].map(parse_number)
    raw_lon = table.frame["longitude"].map(parse_number)
    rows = []
    for row in table.frame.index:
        lat, lon = raw_lat[row], raw_lon[row]
        if isinstance(lat, float) and isinstance(lon, float):
            swapped = (GB_LATITUDE[0] <= lon <= GB_LATITUDE[1]
                       and GB_LONGITUDE[0] <= lat <= GB_LONGITUDE[1])
            if swapped:
                rows.append(row)
                issues.add("error", table.file, row_number(row), table.header("latitude"),
                           f"latitude {lat:g} and longitude {lon:g} look swapped: expected a "
                           "latitude of 49 to 61.5 and a longitude of -9 to 2.5 in Great Britain",
                           check="swapped_coordinates", row_label=table.row_label)
    return rows


def _budgets(table: Table, typed: pd.DataFrame, result: pd.DataFrame, issues: IssueList) -> None:
    has_total = "budget_gbp" in typed.columns
    has_parts = set(BUDGET_PARTS) <= set(typed.columns)
    if has_total and has_parts:
        result["budget_gbp"] = typed["budget_gbp"]
        for column in BUDGET_PARTS:
            result[column] = typed[column].fillna(0.0)
        summed = result[list(BUDGET_PARTS)].sum(axis=1)
        off = (summed - result["budget_gbp"]).abs() > 1.0
        for row in result.index[off.fillna(False)]:
            issues.add("error", table.file, row_number(row), table.header("budget_gbp"),
                       f"the three budget lines add up to £{summed[row]:,.0f} but the total "
                       f"budget is £{value_at(result, row, 'budget_gbp'):,.0f}", check="inconsistent_sum",
                       row_label=table.row_label)
    elif has_parts:
        for column in BUDGET_PARTS:
            result[column] = typed[column].fillna(0.0)
        result["budget_gbp"] = result[list(BUDGET_PARTS)].sum(axis=1)
    elif not has_total:
        for column in ("budget_gbp", *BUDGET_PARTS):
            result[column] = float("nan")
        issues.add("warning", table.file, None, None,
                   "no budget column: what each service costs is not known, so today's spend and what a plan "
                   f"saves or adds cannot be shown; add 'budget_gbp' (the annual budget) or the three lines "
                   f"{', '.join(BUDGET_PARTS)}", check="budget_unknown")
        return
    else:
        result["budget_gbp"] = typed["budget_gbp"]
        result["budget_day_activity_gbp"] = typed["budget_gbp"]
        result["budget_employment_gbp"] = 0.0
        result["budget_mainstream_gbp"] = 0.0
        issues.add("warning", table.file, None, None,
                   "no split of the budget by function: each service's whole budget is counted "
                   "as day activity and support", check="default_used")
    no_budget = result["budget_gbp"].isna() & table.frame.get(
        "budget_gbp", pd.Series(None, index=table.frame.index, dtype=object)).map(blank)
    for row in result.index[no_budget]:
        issues.add("error", table.file, row_number(row), table.header("budget_gbp"),
                   "expected the annual budget in pounds, found a blank cell", check="blank_value",
                   row_label=table.row_label)


def _functions(table: Table, result: pd.DataFrame, issues: IssueList) -> list[str]:
    if "functions" not in table.frame.columns:
        issues.add("warning", table.file, None, None,
                   "no functions column: services are listed with no functions, so analyses by "
                   "function will not count them", check="default_used")
        return [""] * len(result)
    keys_out = []
    for row, cell in table.frame["functions"].items():
        keys: list[str] = []
        if not blank(cell):
            for part in _FUNCTION_SPLIT.split(str(cell)):
                token = part.strip().lower().replace("_", " ")
                if not token:
                    continue
                key = FUNCTION_LABELS.get(token) or FUNCTION_LABELS.get(token.replace(" ", "_"))
                if key is None:
                    issues.add("error", table.file, row_number(row), table.header("functions"),
                               f"unknown function {part.strip()!r}; expected some of "
                               f"{', '.join(SERVICE_FUNCTIONS)} separated by ';'",
                               check="unknown_function", row_label=table.row_label)
                elif key not in keys:
                    keys.append(key)
        keys_out.append(";".join(keys))
    return keys_out


def _locality_wide(table: Table, issues: IssueList) -> list[bool]:
    if "locality_wide" not in table.frame.columns:
        return [False] * len(table.frame)
    out = []
    for row, cell in table.frame["locality_wide"].items():
        value = parse_bool(cell)
        if isinstance(value, BadCell):
            issues.add("error", table.file, row_number(row), table.header("locality_wide"),
                       f"expected yes or no, found {quote(cell)}", check="not_yes_no",
                       row_label=table.row_label)
            value = False
        out.append(bool(value))
    return out


def _service_points(table: Table, typed: pd.DataFrame, has_grid: bool) -> gpd.GeoSeries:
    if has_grid:
        x, y = typed["easting"].to_numpy(float), typed["northing"].to_numpy(float)
        return gpd.GeoSeries(shapely.points(x, y), index=typed.index, crs=BRITISH_NATIONAL_GRID)
    lonlat = gpd.GeoSeries(
        shapely.points(typed["longitude"].to_numpy(float), typed["latitude"].to_numpy(float)),
        index=typed.index, crs=4326)
    return lonlat.to_crs(BRITISH_NATIONAL_GRID)


def check_services_within(services: gpd.GeoDataFrame, boundary: shapely.Geometry, *,
                          file: str, header: str = "location",
                          margin_km: float = DEFAULT_NETWORK_MARGIN_KM) -> list[Issue]:
    """Services outside the areas: a warning (some serve residents from a city centre) that says
    whether the roads kept around the locality (``margin_km``) reach it, or an error when more
    than :data:`SERVICE_FAR_OUTSIDE_KM` km away (wrong coordinates)."""
    issues = IssueList()
    located = services[services.geometry.notna() & ~services.geometry.is_empty]
    distance = shapely.distance(boundary, located.geometry.to_numpy())
    for (row, service), metres in zip(located.iterrows(), distance, strict=True):
        if not np.isfinite(metres) or metres <= 0:
            continue
        km = metres / 1000.0
        severity: Severity = "error" if km > SERVICE_FAR_OUTSIDE_KM else "warning"
        if severity == "error":
            hint = " (check the coordinates)"
        elif km <= margin_km:
            hint = ": it is shown as outside the locality and reached by the roads beyond the boundary"
        else:
            hint = (f", beyond the {margin_km:g} km of roads kept around the locality, so journeys to it end "
                    "with a straight line from the last road kept: keep roads further out to reach it by road")
        issues.add(severity, file, row_number(row), header,
                   f"service {service['name']!r} lies {km:,.1f} km outside the areas{hint}",
                   check="service_outside")
    return issues.done()


def lonlat_in_grid_columns(table: Table, issues: list[Issue]) -> Table:
    """Treat 'x'/'y' columns holding longitude/latitude as such (reported)."""
    frame = table.frame
    if not {"easting", "northing"} <= set(frame.columns) or "latitude" in frame.columns:
        return table
    xs = [parse_number(v) for v in frame["easting"]]
    ys = [parse_number(v) for v in frame["northing"]]
    numbers = [(x, y) for x, y in zip(xs, ys, strict=True) if isinstance(x, float) and isinstance(y, float)]
    if numbers and all(GB_LONGITUDE[0] <= x <= GB_LONGITUDE[1] and GB_LATITUDE[0] <= y <= GB_LATITUDE[1]
                       for x, y in numbers):
        issues.append(Issue("warning", table.file, None, table.header("easting"),
                            "the x/y columns hold longitude and latitude, not British National "
                            "Grid metres; read as longitude/latitude", "assumed_crs"))
        renamed = frame.rename(columns={"easting": "longitude", "northing": "latitude"})
        headers = dict(table.headers)
        headers["longitude"], headers["latitude"] = headers.pop("easting"), headers.pop("northing")
        return replace(table, frame=renamed, headers=headers)
    return table


def areas_outline(areas: gpd.GeoDataFrame) -> shapely.Geometry:
    """The areas' outer boundary as one shape, for checking where services lie."""
    return shapely.union_all(areas.geometry.to_numpy())


def fill_service_places(services: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """District and town from the area each service stands in, where the file gave none."""
    joined = gpd.sjoin(services[["geometry"]], areas[["district", "town", "geometry"]],
                       how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    out = services.copy()
    for column in ("district", "town"):
        blank = out[column] == ""
        out.loc[blank, column] = joined.loc[blank, f"{column}"].fillna("Outside the locality")
    for column in ("clients", *CLIENT_PARTS):  # whole numbers, unless not known at all
        out[column] = out[column].astype("float64" if out[column].isna().any() else "int64")
    ordered = [c for c in SERVICE_COLUMNS if c in out.columns] + ["clients_volunteered"]
    result = gpd.GeoDataFrame(out[ordered], geometry=out.geometry, crs=BRITISH_NATIONAL_GRID)
    return result.reset_index(drop=True)
