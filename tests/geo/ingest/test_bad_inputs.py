"""The bad-input corpus: each bad file gets its clear message and leaves saved data unchanged.

Every case is built in code from the six-square sample locality, broken in one way an
analyst's file is commonly broken, and uploaded on top of a saved version. The test
checks the message (naming file, row and column where there is one) and that the data
folder is byte-for-byte what it was.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from geo.errors import PlannerInputError
from geo.ingest.datasets import save_version, upload_dataset
from geo.ingest.files import Upload, UploadLimits, upload_from_bytes
from geo.ingest.networks import NetworkSummary
from geo.ingest.report import UploadRejectedError
from geo.ingest.uploads import UploadOptions, UploadSet, prepare_upload
from tests.support.upload_samples import (
    CODES,
    area_frame,
    csv_bytes,
    folder_snapshot,
    geojson_without_crs,
    good_upload_set,
    indicator_frame,
    service_frame,
    shapefile_zip,
    spatial_bytes,
    xlsx_bytes,
)

Build = Callable[[Path], tuple[UploadSet, UploadOptions]]
DEFAULT = UploadOptions()


@dataclass(frozen=True)
class BadCase:
    """One bad upload and the text its report (or error) must contain."""

    name: str
    build: Build
    message: str
    severity: str = "error"
    options: UploadOptions = field(default=DEFAULT)


def _areas(tmp: Path, frame: gpd.GeoDataFrame | None = None, name: str = "areas.geojson") -> Upload:
    return Upload(name, spatial_bytes(area_frame() if frame is None else frame, "GeoJSON", tmp))


def _indicators(frame: pd.DataFrame | None = None, name: str = "indicators.csv") -> Upload:
    return Upload(name, csv_bytes(indicator_frame() if frame is None else frame))


def _with_indicators(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Build:
    def build(tmp: Path) -> tuple[UploadSet, UploadOptions]:
        frame = change(indicator_frame().astype(object))
        return UploadSet(areas=_areas(tmp), indicators=(_indicators(frame),)), DEFAULT
    return build


def _with_areas(change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Build:
    def build(tmp: Path) -> tuple[UploadSet, UploadOptions]:
        return UploadSet(areas=_areas(tmp, change(area_frame())), indicators=(_indicators(),)), DEFAULT
    return build


def _with_area_file(make: Callable[[Path], Upload], options: UploadOptions = DEFAULT) -> Build:
    def build(tmp: Path) -> tuple[UploadSet, UploadOptions]:
        return UploadSet(areas=make(tmp), indicators=(_indicators(),)), options
    return build


def _with_services(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Build:
    def build(tmp: Path) -> tuple[UploadSet, UploadOptions]:
        frame = change(service_frame().astype(object))
        return UploadSet(services=Upload("services.csv", csv_bytes(frame))), DEFAULT
    return build


def _set(frame: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


def _zip(members: dict[str, bytes], name: str = "areas.zip") -> Upload:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return Upload(name, buffer.getvalue())


def _shapefile_parts(tmp: Path) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(shapefile_zip(area_frame(), tmp)))
    return {n: archive.read(n) for n in archive.namelist()}


def _replace_geometry(index: int, shape: object) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        shapes = list(frame.geometry)
        shapes[index] = shape
        return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=gpd.GeoSeries(shapes), crs=27700)
    return change


def _raw_indicators(text: str) -> Build:
    def build(tmp: Path) -> tuple[UploadSet, UploadOptions]:
        return UploadSet(areas=_areas(tmp), indicators=(Upload("indicators.csv", text.encode()),)), DEFAULT
    return build


def _indicator_upload(upload: Upload) -> Build:
    def build(tmp: Path) -> tuple[UploadSet, UploadOptions]:
        return UploadSet(areas=_areas(tmp), indicators=(upload,)), DEFAULT
    return build


def _header_line() -> str:
    return ",".join(indicator_frame().columns)


def _sex_rows(tmp: Path) -> tuple[UploadSet, UploadOptions]:
    rows = [{"code": c, "sex": "Persons" if i else "Other", "all_ages": 1000, "pop_adult": 800}
            for c in CODES for i in (0, 1)]
    return UploadSet(areas=_areas(tmp), indicators=(_indicators(pd.DataFrame(rows)),)), DEFAULT


def _far_service(distance_m: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        return _set(frame, 1, "easting", 453_000.0 + distance_m)
    return change


CASES: list[BadCase] = [
    # --- area files: formats, projections, archives -------------------------------------
    BadCase("shapefile_without_prj",
            _with_area_file(lambda t: Upload("areas.zip", shapefile_zip(area_frame(), t, drop=(".prj",))), ),
            "areas.zip: the file has no projection"),
    BadCase("geojson_metres_without_crs",
            _with_area_file(lambda t: Upload("areas.geojson", geojson_without_crs(area_frame()))),
            "areas.geojson: the file says longitude/latitude"),
    BadCase("zip_slip_member", _with_area_file(lambda t: _zip({"../../evil.shp": b"x"})),
            "areas.zip: the archive member '../../evil.shp' points outside the archive"),
    BadCase("zip_absolute_member", _with_area_file(lambda t: _zip({"/tmp/evil.shp": b"x"})),
            "'/tmp/evil.shp' points outside the archive"),
    BadCase("zip_bomb", _with_area_file(lambda t: _zip({"bomb.shp": b"\x00" * (8 * 2**20)})),
            "areas.zip: the archive member 'bomb.shp' expands"),
    BadCase("zip_too_many_members",
            _with_area_file(lambda t: _zip({f"part{i}.txt": b"x" for i in range(8)}),
                            UploadOptions(limits=UploadLimits(max_archive_members=5))),
            "areas.zip: the archive has 8 files; expected at most 5"),
    BadCase("zip_missing_dbf",
            _with_area_file(lambda t: _zip({k: v for k, v in _shapefile_parts(t).items() if not k.endswith(".dbf")})),
            "holds areas.shp but not areas.dbf"),
    BadCase("zip_two_shapefiles",
            _with_area_file(lambda t: _zip({**_shapefile_parts(t),
                                            **{"b/" + k: v for k, v in _shapefile_parts(t).items()}})),
            "the archive holds several shapefiles"),
    BadCase("zip_without_shapefile", _with_area_file(lambda t: _zip({"readme.txt": b"hello"})),
            "areas.zip: a zip archive with no shapefile (.shp)"),
    BadCase("bare_shp_file", _with_area_file(lambda t: Upload("areas.shp", b"\x00\x00\x27\x0a" + b"\x00" * 96)),
            "areas.shp: a shapefile is several files"),
    BadCase("truncated_geopackage",
            _with_area_file(lambda t: Upload("areas.gpkg", spatial_bytes(area_frame(), "GPKG", t)[:2048])),
            "areas.gpkg: cannot read as a spatial file (the file is damaged or cut short)"),
    BadCase("truncated_geojson",
            _with_area_file(lambda t: Upload("areas.geojson", spatial_bytes(area_frame(), "GeoJSON", t)[:300])),
            "areas.geojson: cannot read as a spatial file (the file is cut short or not valid JSON)"),
    BadCase("areas_outside_great_britain",
            _with_area_file(lambda t: Upload("areas.geojson", spatial_bytes(
                gpd.GeoDataFrame({"code": list(CODES)}, geometry=[box(151 + i / 100, -34, 151.01 + i / 100, -33.99)
                                                                  for i in range(6)], crs=4326), "GeoJSON", t))),
            "after reprojection the areas lie outside Great Britain"),
    BadCase("table_given_as_areas",
            _with_area_file(lambda t: Upload("areas.csv", csv_bytes(indicator_frame()))),
            "areas.csv: expected area boundaries"),
    BadCase("empty_areas_file", lambda t: (UploadSet(areas=upload_from_bytes("areas.geojson", b"")), DEFAULT),
            "areas.geojson: the file is empty"),
    BadCase("file_over_the_size_limit",
            lambda t: (UploadSet(areas=upload_from_bytes("areas.geojson", b"x" * 2048,
                                                         limits=UploadLimits(max_upload_bytes=1024))), DEFAULT),
            "areas.geojson: the file is 2.0 KB; expected at most 1.0 KB (the upload size limit)"),
    BadCase("file_over_the_limit_in_the_set",
            lambda t: (good_upload_set(t), UploadOptions(limits=UploadLimits(max_upload_bytes=1024))),
            "areas.geojson: the file is"),
    # --- area contents ---------------------------------------------------------------------
    BadCase("no_code_column", _with_areas(lambda f: f.rename(columns={"code": "identifier"})),
            "areas.geojson: expected a column of area codes"),
    BadCase("duplicate_area_code",
            _with_areas(lambda f: f.assign(code=["E01000001", *CODES[1:2], "E01000001", *CODES[3:]])),
            "areas.geojson, feature 3, column 'code': code E01000001 appears more than once (features 1, 3)"),
    BadCase("blank_area_code", _with_areas(lambda f: f.assign(code=[CODES[0], "", *CODES[2:]])),
            "areas.geojson, feature 2, column 'code': expected an area code, found a blank cell"),
    BadCase("empty_geometry", _with_areas(_replace_geometry(1, None)),
            "areas.geojson, feature 2, column 'geometry': area E01000002: expected a polygon, found an empty geometry"),
    BadCase("points_not_polygons", _with_areas(_replace_geometry(2, Point(450_500, 250_500))),
            "feature 3, column 'geometry': area E01000003: expected a polygon, found a Point"),
    BadCase("lines_not_polygons",
            _with_areas(_replace_geometry(0, LineString([(450_000, 250_000), (451_000, 251_000)]))),
            "feature 1, column 'geometry': area E01000001: expected a polygon, found a LineString"),
    BadCase("unrepairable_polygon",
            _with_areas(_replace_geometry(3, Polygon([(450_000, 251_000), (450_500, 251_500), (451_000, 252_000)]))),
            "feature 4, column 'geometry': area E01000004: the outline crosses itself near easting 450,500, "
            "northing 251,500, and could not be repaired"),
    # --- indicator files -------------------------------------------------------------------
    BadCase("old_excel_indicators", _indicator_upload(Upload("indicators.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)),
            "indicators.xls: this is an old Excel (.xls) file"),
    BadCase("binary_indicators",
            _indicator_upload(Upload("indicators.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)),
            "indicators.csv: expected a text (CSV) file; found binary data"),
    BadCase("names_instead_of_codes_header",
            _with_indicators(lambda f: f.drop(columns="code").assign(
                **{"LSOA name": [f"Area {i}" for i in range(1, 7)]})),
            "indicators.csv: expected a column of area codes"),
    BadCase("names_in_the_code_column", _with_indicators(lambda f: f.assign(code=[f"Area {i}" for i in range(1, 7)])),
            "indicators.csv, column 'code': the code column holds area names"),
    BadCase("missing_area_codes", _with_indicators(lambda f: f.iloc[:4]),
            "indicators.csv: 2 area code(s) in areas.geojson have no row here: E01000005, E01000006"),
    BadCase("text_in_a_number_column", _with_indicators(lambda f: _set(f, 2, "pop_total", "lots")),
            "indicators.csv, row 4, column 'pop_total': expected a number (a count of people) between 0 and "
            "10,000,000, found 'lots'"),
    BadCase("negative_population", _with_indicators(lambda f: _set(f, 1, "pop_total", -5)),
            "indicators.csv, row 3, column 'pop_total': expected a number (a count of people) between 0 and "
            "10,000,000, found -5"),
    BadCase("decimal_comma", _with_indicators(lambda f: _set(f, 0, "imd_score", "12,5")),
            "indicators.csv, row 2, column 'imd_score': expected a number (a deprivation score) between 0 and 100, "
            "found '12,5' (use a point for decimals"),
    BadCase("unquoted_thousands",
            _raw_indicators(_header_line() + "\nE01000001,1,200,600,600,960,0.05,10,10,0.8,15\n"),
            "indicators.csv, row 2: expected 10 values as in the header, found 11"),
    BadCase("decile_above_ten", _with_indicators(lambda f: _set(f, 3, "imd_decile", 11)),
            "indicators.csv, row 5, column 'imd_decile': expected a whole number (a deprivation decile, 1 = most "
            "deprived) between 1 and 10, found 11"),
    BadCase("decile_not_whole", _with_indicators(lambda f: _set(f, 3, "imd_decile", 2.5)),
            "row 5, column 'imd_decile': expected a whole number"),
    BadCase("percentage_in_a_share_column", _with_indicators(lambda f: _set(f, 0, "bme_share", 23)),
            "row 2, column 'bme_share': expected a number (a share from 0 to 1) between 0 and 1, found 23"),
    BadCase("prevalence_over_100", _with_indicators(lambda f: _set(f, 5, "smi_prevalence_pct", 150)),
            "row 7, column 'smi_prevalence_pct': expected a number (a percentage of adults) between 0 and 100, "
            "found 150"),
    BadCase("duplicate_indicator_rows", _with_indicators(lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True)),
            "indicators.csv, row 8, column 'code': code E01000001 appears more than once (rows 2, 8)"),
    BadCase("men_and_women_do_not_add_up", _with_indicators(lambda f: _set(f, 0, "pop_male", 10)),
            "indicators.csv, row 2, column 'pop_total': area E01000001: men and women add up to 610 but the total "
            "population is 1,200"),
    BadCase("more_adults_than_residents", _with_indicators(lambda f: _set(f, 1, "pop_adult", 99_999)),
            "indicators.csv, row 3, column 'pop_adult': area E01000002: 99,999 adults is more than the 1,300"),
    BadCase("no_population_column",
            _with_indicators(lambda f: f.drop(columns=["pop_total", "pop_male", "pop_female", "pop_adult"])),
            "areas.geojson: expected a population for every area"),
    BadCase("no_adults_and_no_adult_share", _with_indicators(lambda f: f.drop(columns=["pop_adult"])),
            "areas.geojson: expected the number of adults (18 and over) in each area"),
    BadCase("no_recognisable_indicator_columns",
            _with_indicators(lambda f: f[["code"]].assign(colour="blue", size="large")),
            "indicators.csv: expected at least one indicator column"),
    BadCase("header_only", _raw_indicators(_header_line() + "\n"),
            "indicators.csv: expected at least one row of data, found none"),
    BadCase("unknown_sex_value", _sex_rows,
            "indicators.csv, column 'sex': 6 of 12 rows have this problem (rows 2, 4, 6, 8, 10 and 12); the first, "
            "row 2: expected Persons, Males or Females, found 'Other'"),
    BadCase("nobody_lives_anywhere",
            _with_indicators(lambda f: f.assign(pop_total=0, pop_male=0, pop_female=0, pop_adult=0)),
            "areas.geojson: no area has any residents"),
    BadCase("bme_percentage_over_100",
            _with_indicators(lambda f: _set(f.rename(columns={"bme_share": "BME %"}), 0, "BME %", 120)),
            "row 2, column 'BME %': expected a number (a percentage) between 0 and 100, found 120"),
    BadCase("indicators_without_areas", lambda t: (UploadSet(indicators=(_indicators(),)), DEFAULT),
            "indicators.csv: indicators need the areas file they belong to"),
    BadCase("same_file_name_twice",
            lambda t: (UploadSet(areas=_areas(t), indicators=(_indicators(), _indicators())), DEFAULT),
            "indicators.csv: two uploaded files have the same name"),
    BadCase("excel_with_bad_cell",
            lambda t: (UploadSet(areas=_areas(t), indicators=(Upload("indicators.xlsx", xlsx_bytes(
                _set(indicator_frame(), 1, "pop_total", "n.k."), title_rows=["Mid-year estimates"])),)), DEFAULT),
            "indicators.xlsx, row 4, column 'pop_total': expected a number (a count of people) between 0 and "
            "10,000,000, found 'n.k.'"),
    # --- services --------------------------------------------------------------------------
    BadCase("services_without_location", _with_services(lambda f: f.drop(columns=["easting", "northing"])),
            "services.csv: expected a location: 'latitude' and 'longitude', or 'easting' and 'northing'"),
    BadCase("swapped_latitude_longitude",
            _with_services(lambda f: f.drop(columns=["easting", "northing"]).assign(latitude=-1.1, longitude=52.2)),
            "services.csv, column 'latitude': 2 of 2 rows have this problem (rows 2 and 3); the first, row 2: "
            "latitude -1.1 and longitude 52.2 look swapped"),
    BadCase("service_far_outside", _with_services(_far_service(90_000)),
            "services.csv, row 3, column 'easting': service 'Riverside Works' lies 90.0 km outside the areas "
            "(check the coordinates)"),
    BadCase("budget_lines_do_not_add_up", _with_services(lambda f: _set(f, 0, "budget_gbp", 1)),
            "services.csv, row 2, column 'budget_gbp': the three budget lines add up to £100,000 but the total "
            "budget is £1"),
    BadCase("unknown_function", _with_services(lambda f: _set(f, 1, "functions", "skills;knitting")),
            "services.csv, row 3, column 'functions': unknown function 'knitting'"),
    BadCase("more_women_than_clients", _with_services(lambda f: _set(f, 0, "clients_female", 41)),
            "services.csv, row 2, column 'clients_female': expected at most the 40 clients in all, found 41"),
    BadCase("yes_no_column_with_maybe", _with_services(lambda f: _set(f, 0, "locality_wide", "maybe")),
            "services.csv, row 2, column 'locality_wide': expected yes or no, found 'maybe'"),
    BadCase("blank_service_name", _with_services(lambda f: _set(f, 1, "name", "")),
            "services.csv, row 3, column 'name': expected the service's name, found a blank cell"),
    BadCase("duplicate_service_ids", _with_services(lambda f: f.assign(service_id=["S01", "S01"])),
            "services.csv, row 3, column 'service_id': code S01 appears more than once (rows 2, 3)"),
    BadCase("latitude_outside_britain",
            _with_services(lambda f: f.drop(columns=["easting", "northing"]).assign(latitude=[70.0, 52.2],
                                                                                    longitude=[-1.2, -1.2])),
            "services.csv, row 2, column 'latitude': expected a number (a latitude in Great Britain) between 49 and "
            "61.5, found 70"),
    BadCase("services_header_only", lambda t: (UploadSet(services=Upload(
        "services.csv", b"name,easting,northing,budget_gbp,clients\n")), DEFAULT),
            "services.csv: expected at least one service, found none"),
    # --- lookups and roads -----------------------------------------------------------------
    BadCase("lookup_without_code_columns",
            lambda t: (UploadSet(areas=_areas(t), indicators=(_indicators(),),
                                 lookup=Upload("lookup.csv", b"from,to\nA,B\n")), DEFAULT),
            "lookup.csv: expected a column of old codes and one of new codes"),
    BadCase("road_network_mostly_disconnected",
            lambda t: (UploadSet(areas=_areas(t), indicators=(_indicators(),),
                                 roads=Upload("roads.osm.pbf", b"pbf"), network=NetworkSummary(1000, 800)), DEFAULT),
            "roads.osm.pbf: 800 of 1,000 road junctions (80%) are not connected to the main road network"),
    # --- warnings are listed, and nothing is saved until they are accepted -----------------
    BadCase("service_just_outside", _with_services(_far_service(4_500)),
            "services.csv, row 3, column 'easting': service 'Riverside Works' lies 4.5 km outside the areas",
            severity="warning"),
    BadCase("self_intersecting_polygon_repaired",
            _with_areas(_replace_geometry(0, Polygon([(450_000, 250_000), (451_000, 251_000), (451_000, 250_000),
                                                      (450_000, 251_000), (450_000, 250_000)]))),
            "areas.geojson, feature 1, column 'geometry': area E01000001: the outline crosses itself near easting "
            "450,500, northing 250,500; it was repaired", severity="warning"),
    # --- issue 17: what the checks used to let through, block wrongly, or crash on ------------------
    BadCase("population_of_1e30", _with_indicators(lambda f: _set(f, 0, "pop_total", "1e30")),
            "indicators.csv, row 2, column 'pop_total': expected a number (a count of people) between 0 and "
            "10,000,000, found 1e+30"),
    BadCase("population_unusually_large",
            _with_indicators(lambda f: _set(_set(_set(_set(f, 0, "pop_total", 80_000), 0, "pop_male", 40_000),
                                                 0, "pop_female", 40_000), 0, "pop_adult", 60_000)),
            "indicators.csv, row 2, column 'pop_total': 80,000 is more than 50,000, unusually large for a count of "
            "people (a small area has a few thousand residents): check the figure", severity="warning"),
    BadCase("one_empty_deprivation_decile", _with_indicators(lambda f: _set(f, 2, "imd_decile", "")),
            "areas.geojson, column 'imd_decile': 1 area(s) have no imd_decile: E01000003", severity="warning"),
    BadCase("cell_of_a_megabyte", _with_indicators(lambda f: _set(f, 0, "pop_total", "9" * 2**20 + "x")),
            "indicators.csv, row 2, column 'pop_total': expected a number (a count of people) between 0 and "
            "10,000,000, found '99999999"),
    BadCase("line_of_millions_of_values",
            _raw_indicators(_header_line() + "\nE01000001," + "1," * 2_000_000 + "\n"),
            "indicators.csv, row 2: expected 10 values as in the header, found 2,000,001"),
    BadCase("geojson_nested_too_deeply",
            _with_area_file(lambda t: Upload("areas.geojson", b'{"type": "FeatureCollection", "features": ['
                                             + b"[" * 50_000 + b"]" * 50_000 + b"]}")),
            "areas.geojson: cannot read as a spatial file (its contents are nested too deeply to be areas)"),
    BadCase("services_without_budget_or_clients_and_swapped",
            _with_services(lambda f: f.drop(columns=[c for c in f.columns if c.startswith(("budget", "clients"))]
                                            + ["easting", "northing"]).assign(latitude=-1.1, longitude=52.2)),
            "latitude -1.1 and longitude 52.2 look swapped"),
    BadCase("services_without_budget_or_clients",
            _with_services(lambda f: f.drop(columns=[c for c in f.columns if c.startswith(("budget", "clients"))])),
            "services.csv: no budget column: what each service costs is not known", severity="warning"),
    BadCase("indicator_codes_not_among_areas",
            _with_indicators(lambda f: pd.concat([f, f.iloc[[0]].assign(code="E01999999")], ignore_index=True)),
            "indicators.csv: 1 code(s) here are not areas in areas.geojson and will be left out: E01999999",
            severity="warning"),
]


@pytest.fixture(scope="module")
def saved_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding one accepted version of the sample locality (with services)."""
    root = tmp_path_factory.mktemp("saved") / "datasets"
    prepared = prepare_upload(good_upload_set(tmp_path_factory.mktemp("files")))
    save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest)
    return root


def test_the_corpus_is_large_and_every_case_is_named_once() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_gets_its_message_and_changes_nothing(case: BadCase, saved_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    shutil.copytree(saved_folder, root)
    before = folder_snapshot(root)
    with pytest.raises(PlannerInputError) as caught:
        uploads, options = case.build(tmp_path)
        upload_dataset(root, uploads, options=options)
    error = caught.value
    if isinstance(error, UploadRejectedError):
        matching = [i for i in error.report.issues if case.message in str(i)]
        assert matching, f"expected {case.message!r} in:\n{error.report.to_text()}"
        assert {i.severity for i in matching} == {case.severity}
        if case.severity == "warning":
            assert error.report.passed and "need accepting" in str(error)
        json.dumps(error.report.to_dict())
    else:
        assert case.message in str(error)
    assert "Traceback" not in str(error)
    assert folder_snapshot(root) == before
