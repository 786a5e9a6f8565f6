"""A whole upload: every file read and checked together into one report and the new layers, writing nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.errors import UploadError
from geo.ingest.areas import build_areas, check_areas_table
from geo.ingest.boundaries import check_boundaries, read_boundaries
from geo.ingest.columns import ALIASES, age_column, normalise_header
from geo.ingest.files import DEFAULT_LIMITS, Upload, UploadLimits, megabytes
from geo.ingest.indicators import check_code_coverage, merge_indicators, parse_indicators
from geo.ingest.lookups import CodeLookup, read_code_lookup, translate_codes
from geo.ingest.networks import (
    DEFAULT_NETWORK_MARGIN_KM,
    MAX_NETWORK_MARGIN_KM,
    ComponentSummary,
    check_network,
)
from geo.ingest.report import Issue, ValidationReport
from geo.ingest.services import (
    areas_outline,
    check_services_within,
    fill_service_places,
    lonlat_in_grid_columns,
    parse_services,
)
from geo.ingest.tables import read_table
from geo.transit import DEFAULT_CHOICE, TimetableChoice


@dataclass(frozen=True)
class UploadOptions:
    """Choices an analyst can make about how files are read (all optional).

    ``crs``: projection of an areas file that declares none. ``layer``: which layer or
    shapefile in the areas file. ``columns``: headers as written -> our column names, for
    headers the aliases miss. ``sheet``: which Excel sheet. ``adult_share``: estimate
    adults as this share of residents when no adult counts are given.
    ``locality_name``: the locality's name (also the district when none is given).
    ``network_margin_km``: how far beyond the areas' boundary the road network (and a
    timetable's stops) reach, so journeys may leave and re-enter the locality.
    ``timetable``: the service day and departure window for an uploaded GTFS timetable.
    ``header_row``: which row of the CSV and Excel tables holds the column names (from 1),
    when it is not the first row naming a column the checks know.
    """

    crs: str | int | None = None
    layer: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None
    adult_share: float | None = None
    locality_name: str = "Uploaded locality"
    limits: UploadLimits = DEFAULT_LIMITS
    network_margin_km: float = DEFAULT_NETWORK_MARGIN_KM
    timetable: TimetableChoice = DEFAULT_CHOICE
    header_row: int | None = None


DEFAULT_OPTIONS = UploadOptions()


@dataclass(frozen=True)
class UploadSet:
    """The files of one upload. Areas come with their indicators; services may come alone
    (the areas are then the active version's); ``roads`` is kept with the version."""

    areas: Upload | None = None
    indicators: tuple[Upload, ...] = ()
    services: Upload | None = None
    lookup: Upload | None = None
    roads: Upload | None = None
    network: ComponentSummary | None = None
    timetable: Upload | None = None

    def files(self) -> tuple[tuple[str, Upload], ...]:
        """Every file with its role, in a stable order."""
        found: list[tuple[str, Upload]] = []
        if self.areas is not None:
            found.append(("areas", self.areas))
        found.extend(("indicators", u) for u in self.indicators)
        for role in ("services", "lookup", "roads", "timetable"):
            upload = getattr(self, role)
            if upload is not None:
                found.append((role, upload))
        return tuple(found)


@dataclass(frozen=True, eq=False)
class PreparedUpload:
    """An upload read and checked: the new layers (when they passed) and the report."""

    report: ValidationReport
    areas: gpd.GeoDataFrame | None
    services: gpd.GeoDataFrame | None
    uploads: UploadSet
    lookup: CodeLookup | None = None
    areas_changed: bool = False
    services_changed: bool = False
    network_margin_km: float = DEFAULT_NETWORK_MARGIN_KM
    timetable: TimetableChoice | None = None  # the day and window chosen for an uploaded timetable


def prepare_upload(uploads: UploadSet, *, options: UploadOptions = DEFAULT_OPTIONS,
                   current_areas: gpd.GeoDataFrame | None = None,
                   current_services: gpd.GeoDataFrame | None = None) -> PreparedUpload:
    """Read and check every file of an upload together, listing every problem found.

    Files that cannot be read become one error each (the others are still checked).
    ``current_areas``/``current_services`` (the active version's) stand in for what this
    upload does not replace, so services are checked against the areas they will be used
    with. Nothing is written anywhere.
    """
    issues: list[Issue] = []
    names = [u.name for _, u in uploads.files()]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        issues.append(Issue("error", repeated[0], None, None,
                            "two uploaded files have the same name; expected different names",
                            "duplicate_file"))
    for _, upload in uploads.files():
        if len(upload.content) > options.limits.max_upload_bytes:
            issues.append(Issue("error", upload.name, None, None,
                                f"the file is {megabytes(len(upload.content))}; expected at most "
                                f"{megabytes(options.limits.max_upload_bytes)}", "too_big"))
    issues.extend(_check_column_names(options.columns))
    issues.extend(_check_margin(options.network_margin_km))
    if any(i.severity == "error" for i in issues):
        return PreparedUpload(ValidationReport(tuple(issues)), None, None, uploads)
    if uploads.areas is None and uploads.indicators:
        issues.append(Issue("error", uploads.indicators[0].name, None, None,
                            "indicators need the areas file they belong to in the same upload",
                            "missing_file"))
    if (uploads.areas is None and uploads.services is None and uploads.roads is None and not uploads.indicators
            and uploads.timetable is None):
        issues.append(Issue("error", "upload", None, None,
                            "expected an areas file, a services file, a roads file or a timetable; found none",
                            "missing_file"))
    lookup = None
    lookup_upload = uploads.lookup
    if lookup_upload is not None:
        lookup = _guard(issues, lookup_upload, lambda: read_code_lookup(
            lookup_upload, columns=options.columns, limits=options.limits))
    areas = current_areas
    if uploads.areas is not None:
        areas = _prepare_areas(uploads, options, issues, lookup)
    elif areas is None and (uploads.services or uploads.roads) is not None:
        alone = uploads.services or uploads.roads
        assert alone is not None
        issues.append(Issue("error", alone.name, None, None,
                            f"{'services' if uploads.services else 'roads'} need areas: upload an areas file with "
                            "them (there is no saved version yet)", "missing_file"))
    services = current_services
    if uploads.services is not None:
        services = _prepare_services(uploads.services, options, areas, issues)
    elif services is not None and areas is not None and uploads.areas is not None:
        issues.extend(check_services_within(services, areas_outline(areas), file="services (kept from "
                                            "the current version)", margin_km=options.network_margin_km))
    if uploads.network is not None:
        roads = uploads.roads.name if uploads.roads is not None else "road network"
        issues.extend(check_network(uploads.network, file=roads))
    report = ValidationReport(tuple(issues))
    passed = report.passed
    return PreparedUpload(
        report=report,
        areas=areas if passed else None,
        services=services if passed else None,
        uploads=uploads,
        lookup=lookup,
        areas_changed=uploads.areas is not None,
        services_changed=uploads.services is not None,
        network_margin_km=options.network_margin_km,
    )


def _check_margin(margin_km: float) -> list[Issue]:
    """The road network's margin must be a distance the network can be read over."""
    if isinstance(margin_km, int | float) and 0 <= margin_km <= MAX_NETWORK_MARGIN_KM:
        return []
    return [Issue("error", "road network margin", None, None,
                  f"expected a distance from 0 to {MAX_NETWORK_MARGIN_KM:g} km beyond the boundary, "
                  f"found {margin_km!r}", "out_of_range")]


def _check_column_names(columns: Mapping[str, str]) -> list[Issue]:
    """An explicit header mapping must name one of our columns (a typo would be ignored)."""
    known = {name for aliases in ALIASES.values() for name in aliases}
    issues = []
    for header, name in columns.items():
        if name not in known and age_column(normalise_header(name)) is None:
            issues.append(Issue("error", "column mapping", None, header,
                                f"{header}={name}: {name!r} is not one of our columns; expected one of "
                                f"{', '.join(sorted(known))}", "unknown_column"))
    return issues


def _guard(issues: list[Issue], upload: Upload, read: Any) -> Any:
    """Run one reader; an unreadable file becomes one error in the report."""
    try:
        return read()
    except UploadError as error:
        message = str(error)
        prefix = f"{upload.name}: "
        issues.append(Issue("error", upload.name, None, None,
                            message[len(prefix):] if message.startswith(prefix) else message,
                            "unreadable_file"))
        return None


def _prepare_areas(uploads: UploadSet, options: UploadOptions, issues: list[Issue],
                   lookup: CodeLookup | None) -> gpd.GeoDataFrame | None:
    areas_upload = uploads.areas
    assert areas_upload is not None
    read = _guard(issues, areas_upload, lambda: read_boundaries(
        areas_upload, crs=options.crs, layer=options.layer, columns=options.columns,
        limits=options.limits))
    tables: list[tuple[str, pd.DataFrame]] = []  # indicator files first: they win over attributes
    attribute_table: list[tuple[str, pd.DataFrame]] = []
    boundaries = None
    if read is not None:
        table, read_issues = read
        issues.extend(read_issues)
        boundaries, boundary_issues = check_boundaries(table)
        issues.extend(boundary_issues)
        attribute_names = set(table.frame.columns) - {"code", "name", "geometry"}
        if boundaries is not None and attribute_names:
            attributes = replace(table, frame=pd.DataFrame(table.frame.drop(columns="geometry")))
            typed, attribute_issues = parse_indicators(attributes)
            issues.extend(i for i in attribute_issues
                          if i.check not in ("duplicate_code", "blank_code", "no_indicators"))
            if typed is not None:
                attribute_table.append((table.file, typed))
    for upload in uploads.indicators:
        read_indicator = _guard(issues, upload, lambda u=upload: read_table(
            u, "indicators", columns=options.columns, sheet=options.sheet, header_row=options.header_row,
            limits=options.limits))
        if read_indicator is None:
            continue
        table, read_issues = read_indicator
        issues.extend(read_issues)
        typed, indicator_issues = parse_indicators(table)
        issues.extend(indicator_issues)
        if typed is not None:
            tables.append((table.file, typed))
    tables.extend(attribute_table)
    if boundaries is None or any(i.severity == "error" for i in issues):
        return None
    codes = list(boundaries["code"])
    names = list(boundaries["name"]) if "name" in boundaries.columns else []
    if lookup is not None:
        tables = [(f, translate_codes(f, t, codes, lookup, issues)) for f, t in tables]
    external = [(f, t) for f, t in tables if f != areas_upload.name]
    coverage = check_code_coverage(areas_upload.name, codes, external, area_names=names)
    issues.extend(coverage)
    if any(i.severity == "error" for i in coverage):
        return None
    merged, merge_issues = merge_indicators(tables)
    issues.extend(merge_issues)
    built, build_issues = build_areas(boundaries, merged, file=areas_upload.name,
                                      adult_share=options.adult_share,
                                      locality_name=options.locality_name)
    issues.extend(build_issues)
    if built is None:
        return None
    issues.extend(check_areas_table(built, file=areas_upload.name))
    return built


def _prepare_services(upload: Upload, options: UploadOptions, areas: gpd.GeoDataFrame | None,
                      issues: list[Issue]) -> gpd.GeoDataFrame | None:
    read = _guard(issues, upload, lambda: read_table(
        upload, "services", columns=options.columns, sheet=options.sheet, header_row=options.header_row,
        limits=options.limits))
    if read is None:
        return None
    table, read_issues = read
    issues.extend(read_issues)
    services, service_issues = parse_services(lonlat_in_grid_columns(table, issues))
    issues.extend(service_issues)
    if services is None:
        return None
    if areas is None or any(i.severity == "error" for i in issues):
        return services
    located = services[services.geometry.notna() & ~services.geometry.is_empty]
    header = table.header("latitude" if "latitude" in table.frame.columns else "easting")
    issues.extend(check_services_within(located, areas_outline(areas), file=upload.name, header=header,
                                        margin_km=options.network_margin_km))
    return fill_service_places(services, areas)
