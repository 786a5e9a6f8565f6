"""Readers for analyst uploads: formats, projections, encodings, headers, archives, need."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geo.errors import UnsafeUploadError, UploadError
from geo.ingest.areas import need_from_prevalence
from geo.ingest.boundaries import read_boundaries
from geo.ingest.cells import parse_number, parse_number_column
from geo.ingest.columns import map_columns, match_column, normalise_header
from geo.ingest.files import Upload, UploadLimits, check_archive, detect_format, upload_from_bytes, upload_from_path
from geo.ingest.indicators import parse_indicators
from geo.ingest.lookups import read_code_lookup
from geo.ingest.tables import decode_text, read_table
from geo.ingest.uploads import UploadOptions, UploadSet, prepare_upload
from geo.locality import AREA_COLUMNS, SERVICE_COLUMNS
from tests.support.upload_samples import (
    CODES,
    TOPOJSON_TWO_SQUARES,
    area_frame,
    csv_bytes,
    geojson_without_crs,
    good_upload_set,
    indicator_frame,
    service_frame,
    shapefile_zip,
    spatial_bytes,
    xlsx_bytes,
)

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")


# ---------------------------------------------------------------------------------------
# Spatial formats and projections
# ---------------------------------------------------------------------------------------
def _codes_and_area(table: object) -> tuple[list[str], float]:
    frame = table.frame  # type: ignore[attr-defined]
    return list(frame["code"]), float(frame.geometry.area.sum())


@pytest.mark.parametrize("fmt", ["geojson_bng", "geojson_wgs84", "gpkg", "shapefile_zip", "nested_zip"])
def test_every_areas_format_reads_back_in_british_grid(fmt: str, tmp_path: Path) -> None:
    frame = area_frame()
    if fmt == "geojson_bng":
        upload = Upload("a.geojson", spatial_bytes(frame, "GeoJSON", tmp_path))
    elif fmt == "geojson_wgs84":
        upload = Upload("a.geojson", spatial_bytes(frame.to_crs(4326), "GeoJSON", tmp_path))
    elif fmt == "gpkg":
        upload = Upload("a.gpkg", spatial_bytes(frame.to_crs(3857), "GPKG", tmp_path))
    elif fmt == "shapefile_zip":
        upload = Upload("a.zip", shapefile_zip(frame.to_crs(4326), tmp_path))
    else:
        upload = Upload("a.zip", shapefile_zip(frame, tmp_path, folder="export/boundaries/",
                                               extra={"__MACOSX/._areas.shp": b"junk"}))
    table, issues = read_boundaries(upload)
    codes, area = _codes_and_area(table)
    assert table.frame.crs.to_epsg() == 27700
    assert codes == list(CODES)
    assert area == pytest.approx(6_000_000.0, rel=1e-3)
    assert issues == []
    assert table.row_label == "feature" and list(table.frame.index) == [1, 2, 3, 4, 5, 6]


def test_topojson_without_projection_is_read_as_lonlat_with_a_warning() -> None:
    table, issues = read_boundaries(Upload("a.topojson", TOPOJSON_TWO_SQUARES))
    assert list(table.frame["code"]) == ["E01000001", "E01000002"]
    assert table.headers["code"] == "LSOA11CD"
    assert [i.check for i in issues] == ["assumed_crs"]
    assert "WGS84" in issues[0].message
    bounds = table.frame.total_bounds
    assert 400_000 < bounds[0] < 500_000 and 200_000 < bounds[1] < 300_000


def test_shapefile_without_projection_is_a_clear_error(tmp_path: Path) -> None:
    upload = Upload("a.zip", shapefile_zip(area_frame(), tmp_path, drop=(".prj",)))
    with pytest.raises(UploadError, match="no projection") as caught:
        read_boundaries(upload)
    assert "British National Grid" in str(caught.value)
    table, _ = read_boundaries(upload, crs="EPSG:27700")
    assert _codes_and_area(table)[1] == pytest.approx(6e6)


def test_geojson_with_grid_metres_but_no_crs_member_is_refused_then_read_with_crs() -> None:
    upload = Upload("a.geojson", geojson_without_crs(area_frame()))
    with pytest.raises(UploadError, match="looks like British National Grid"):
        read_boundaries(upload)
    table, _ = read_boundaries(upload, crs=27700)
    assert _codes_and_area(table)[1] == pytest.approx(6e6)


def test_geopackage_with_several_layers_needs_a_layer_unless_one_is_areas(tmp_path: Path) -> None:
    path = tmp_path / "many.gpkg"
    area_frame().to_file(path, layer="first")
    area_frame().iloc[:2].to_file(path, layer="second")
    upload = Upload("many.gpkg", path.read_bytes())
    with pytest.raises(UploadError, match="several layers"):
        read_boundaries(upload)
    table, _ = read_boundaries(upload, layer="second")
    assert len(table.frame) == 2


def test_format_is_sniffed_from_content_not_extension(tmp_path: Path) -> None:
    assert detect_format(Upload("x.csv", xlsx_bytes(indicator_frame()))) == "xlsx"
    assert detect_format(Upload("x.txt", spatial_bytes(area_frame(), "GPKG", tmp_path))) == "gpkg"
    assert detect_format(Upload("x.dat", TOPOJSON_TWO_SQUARES)) == "topojson"
    assert detect_format(Upload("x.json", b'{"type": "FeatureCollection", "features": []}')) == "geojson"
    with pytest.raises(UploadError, match="old Excel"):
        detect_format(Upload("x.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100))


# ---------------------------------------------------------------------------------------
# Archives and size limits
# ---------------------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("members", "limits", "message"), [
    ({"../../etc/evil.shp": b"x"}, UploadLimits(), "points outside the archive"),
    ({"/abs/evil.shp": b"x"}, UploadLimits(), "points outside the archive"),
    ({"C:/evil.shp": b"x"}, UploadLimits(), "points outside the archive"),
    ({"bomb.shp": b"\x00" * (4 * 2**20)}, UploadLimits(), "zip bomb"),
    ({f"f{i}.txt": b"x" for i in range(12)}, UploadLimits(max_archive_members=10), "at most 10"),
    ({"big.shp": np.random.default_rng(1).bytes(2**21)}, UploadLimits(max_uncompressed_bytes=2**20),
     "expands to"),
])
def test_unsafe_archives_are_refused_before_extraction(members: dict[str, bytes], limits: UploadLimits,
                                                        message: str) -> None:
    with pytest.raises(UnsafeUploadError, match=message):
        check_archive(Upload("evil.zip", _zip(members)), limits=limits)


def test_archive_links_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link.shp")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeUploadError, match="is a link"):
        check_archive(Upload("links.zip", buffer.getvalue()))


def test_upload_size_limit_applies_to_bytes_and_paths(tmp_path: Path) -> None:
    limits = UploadLimits(max_upload_bytes=100)
    with pytest.raises(UnsafeUploadError, match="upload size limit"):
        upload_from_bytes("big.csv", b"x" * 101, limits=limits)
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 101)
    with pytest.raises(UnsafeUploadError, match="expected at most"):
        upload_from_path(path, limits=limits)
    assert upload_from_bytes("../../etc/ok.csv", b"x" * 100, limits=limits).name == "ok.csv"


# ---------------------------------------------------------------------------------------
# Tables: encodings, separators, headers
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_any_common_encoding_reads_the_same_names(encoding: str) -> None:
    frame = pd.DataFrame({"LSOA11CD": ["E01000001", "E01000002"], "LSOA11NM": ["Ynys Môn 001", "Café 002"],
                          "All Ages": ["1,234", "987"]})
    table, issues = read_table(Upload("p.csv", csv_bytes(frame, encoding=encoding)), "indicators")
    assert issues == []
    assert list(table.frame["name"]) == ["Ynys Môn 001", "Café 002"]
    assert table.headers == {"code": "LSOA11CD", "name": "LSOA11NM", "pop_total": "All Ages"}
    values, bad = parse_number_column(table.frame["pop_total"])
    assert list(values) == [1234.0, 987.0] and not bad.any()


def test_utf16_without_byte_order_mark_and_semicolons_are_read() -> None:
    text = "code;pop_total\nE01000001;12\n"
    table, _ = read_table(Upload("p.csv", text.encode("utf-16-le")), "indicators")
    assert list(table.frame["code"]) == ["E01000001"]
    assert decode_text(Upload("p.csv", "a,b\n".encode("utf-8-sig"))) == "a,b\n"


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    text = "Population table\n\ncode,pop_total\nE01000001,10\n\nE01000002,20\n"
    table, _ = read_table(Upload("p.csv", text.encode()), "indicators")
    assert list(table.frame.index) == [4, 6]
    workbook = xlsx_bytes(pd.DataFrame({"code": ["E01000001"], "pop": [5]}), title_rows=["Title", "Source"])
    table, _ = read_table(Upload("p.xlsx", workbook), "indicators")
    assert list(table.frame.index) == [4]
    assert table.frame.at[4, "pop_total"] == 5


def test_too_many_values_in_a_row_names_the_row() -> None:
    text = "code,pop_total\nE01000001,1,234\n"
    _, issues = read_table(Upload("p.csv", text.encode()), "indicators")
    assert len(issues) == 1 and issues[0].row == 2
    assert "must be in quotes" in issues[0].message


@pytest.mark.parametrize(("header", "expected"), [
    ("LSOA11CD", "code"), ("LSOA code (2011)", "code"), ("lsoa21cd", "code"), ("Area Code", "code"),
    ("LSOA name (2011)", "name"), ("LAD19NM", "district"), ("All Ages", "pop_total"),
    ("Population", "pop_total"), ("Total population: mid 2015 (excluding prisoners)", "pop_total"),
    ("Males", "pop_male"), ("Females", "pop_female"), ("Aged 18 to 24", "pop_18_24"),
    ("18-24", "pop_18_24"), ("pop_25_34", "pop_25_34"), ("Age 35-49", "pop_35_49"), ("50 to 64", "pop_50_64"),
    ("65+", "pop_65_plus"), ("Aged 65 and over", "pop_65_plus"), ("Under 18", "pop_under_18"),
    ("18+", "pop_adult"), ("Adults", "pop_adult"), ("90+", "age_90_plus"), ("37", "age_37"),
    ("Index of Multiple Deprivation (IMD) Score", "imd_score"),
    ("Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)", "imd_decile"),
    ("IMD_decile", "imd_decile"), ("BME %", "bme_pct"), ("BME share", "bme_share"),
    ("SMI prevalence", "smi_prevalence_pct"), ("CMD %", "cmd_prevalence_pct"),
    ("aged_16_to_64", None), ("period", None), ("Income_decile", None),
])
def test_indicator_header_aliases(header: str, expected: str | None) -> None:
    assert match_column(header, "indicators") == expected


@pytest.mark.parametrize(("header", "expected"), [
    ("Service name", "name"), ("Lat", "latitude"), ("Lng", "longitude"), ("Easting", "easting"),
    ("Annual budget (£)", "budget_gbp"), ("Service users", "clients"), ("Functions", "functions"),
    ("County-wide", "locality_wide"), ("Organisation", "provider"),
])
def test_service_header_aliases(header: str, expected: str) -> None:
    assert match_column(header, "services") == expected


@pytest.mark.parametrize(("header", "expected"), [
    ("LSOA11CD", "code"), ("LSOA21CD", "code"), ("LAD13CD", "code"), ("WD22CD", "code"), ("CTYUA19CD", "code"),
    ("MSOA21NM", "name"), ("WD22NM", "name"), ("LAD19NM", "district"),
])
def test_ons_code_columns_of_any_vintage_are_recognised(header: str, expected: str) -> None:
    assert match_column(header, "indicators") == expected


def test_the_smallest_geography_is_the_code_and_a_lookup_runs_from_old_to_new() -> None:
    assert map_columns(["LAD19CD", "LSOA11CD", "pop"], "indicators") == {1: "code", 2: "pop_total"}
    assert map_columns(["LAD19CD", "LAD13CD", "LAD19NM"], "lookup") == {0: "new_code", 1: "old_code"}
    assert map_columns(["WD11CD", "WD22CD"], "lookup") == {0: "old_code", 1: "new_code"}


def test_the_header_row_can_be_given_when_the_checks_would_take_another() -> None:
    text = "pop_total,source\n39927,ONS\ncode,pop_total,pop_adult\nE01013787,1500,1200\n"
    upload = Upload("population.csv", text.encode())
    guessed, _ = read_table(upload, "indicators")
    assert "code" not in guessed.frame.columns  # row 1 looks like a header
    table, issues = read_table(upload, "indicators", header_row=3)
    assert issues == [] and table.frame.to_dict("records") == [
        {"code": "E01013787", "pop_total": "1500", "pop_adult": "1200"}] and list(table.frame.index) == [4]
    with pytest.raises(UploadError, match="the header row was given as row 9, but the file has 4 row"):
        read_table(upload, "indicators", header_row=9)


def test_explicit_mapping_wins_and_best_alias_is_chosen() -> None:
    header = ["lsoa", "LSOA11CD", "overall_local_score", "nation"]
    mapping = map_columns(header, "indicators", {"overall_local_score": "imd_score"})
    assert mapping == {1: "code", 2: "imd_score"}
    assert normalise_header("\ufeffLSOA code (2011)") == "lsoa_code_2011"


def test_xlsx_sheet_with_known_headers_is_found_among_several() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["About this file"])
    data = book.create_sheet("Data")
    data.append(["code", "pop_total"])
    data.append(["E01000001", 42])
    buffer = io.BytesIO()
    book.save(buffer)
    table, _ = read_table(Upload("p.xlsx", buffer.getvalue()), "indicators")
    assert table.frame.loc[2, "pop_total"] == 42
    with pytest.raises(UploadError, match="no sheet named 'Other'"):
        read_table(Upload("p.xlsx", buffer.getvalue()), "indicators", sheet="Other")


def test_single_years_and_rows_per_sex_fold_into_our_bands() -> None:
    ages = [str(a) for a in range(90)] + ["90+"]
    rows = []
    for code in ("E01000001", "E01000002"):
        for sex, per_year in (("Persons", 2), ("Males", 1), ("Females", 1)):
            rows.append({"area_code": code, "sex": sex, "all_ages": per_year * 91,
                         **{a: per_year for a in ages}})
    table, _ = read_table(Upload("ages.csv", csv_bytes(pd.DataFrame(rows))), "indicators")
    typed, issues = parse_indicators(table)
    assert issues == [] and typed is not None
    first = typed.loc["E01000001"]
    assert first["pop_total"] == 182 and first["pop_male"] == 91 and first["pop_female"] == 91
    assert first["pop_under_18"] == 36 and first["pop_18_24"] == 14 and first["pop_65_plus"] == 52
    assert first["pop_adult"] == 182 - 36
    assert int(first["source_row"]) == 2 and int(typed.loc["E01000002", "source_row"]) == 5


def test_lookup_reads_old_and_new_codes() -> None:
    frame = pd.DataFrame({"LSOA11CD": ["E01000001", "E01000001"], "LSOA21CD": ["E01100001", "E01100002"],
                          "CHGIND": ["S", "S"]})
    lookup = read_code_lookup(Upload("lookup.csv", csv_bytes(frame)))
    assert lookup.translate(["E01000001", "X"]) == {"E01000001": ("E01100001", "E01100002"), "X": ()}


# ---------------------------------------------------------------------------------------
# Need and the assembled areas table
# ---------------------------------------------------------------------------------------
def test_need_from_prevalence_by_hand() -> None:
    adults = pd.Series([100.0, 300.0])
    smi = pd.Series([1.0, 2.0])
    cmd = pd.Series([10.0, 20.0])
    # rates 2 and 4; adult-weighted mean (200 + 1200) / 400 = 3.5
    need = need_from_prevalence(adults, smi, cmd)
    assert list(need["need_index"]) == [round(200 / 3.5, 2), round(400 / 3.5, 2)]
    assert list(need["need_weight"]) == [round(100 * round(200 / 3.5, 2) / 100, 1),
                                         round(300 * round(400 / 3.5, 2) / 100, 1)]
    flat = need_from_prevalence(adults, None, None)
    assert list(flat["need_index"]) == [100.0, 100.0] and list(flat["need_weight"]) == [100.0, 300.0]


def test_need_from_prevalence_reproduces_the_demo() -> None:
    demo = Path(__file__).resolve().parents[3] / "data" / "demo" / "locality.gpkg"
    areas = gpd.read_file(demo, layer="areas", ignore_geometry=True)
    need = need_from_prevalence(areas["pop_adult"], areas["smi_prevalence_pct"], areas["cmd_prevalence_pct"])
    np.testing.assert_allclose(need["need_index"], areas["need_index"], atol=0.011)
    np.testing.assert_allclose(need["need_weight"], areas["need_weight"], atol=0.11)


def test_a_good_upload_builds_the_demo_schema(tmp_path: Path) -> None:
    prepared = prepare_upload(good_upload_set(tmp_path))
    assert prepared.report.passed, prepared.report.to_text()
    areas, services = prepared.areas, prepared.services
    assert areas is not None and services is not None
    assert list(areas.columns) == [*AREA_COLUMNS, "geometry"]
    assert list(services.columns)[: len(SERVICE_COLUMNS)] == list(SERVICE_COLUMNS)
    assert areas.crs.to_epsg() == 27700 and services.crs.to_epsg() == 27700
    indicators = indicator_frame()
    assert list(areas["pop_total"]) == list(indicators["pop_total"].astype(float))
    assert areas["need_weight"].sum() == pytest.approx(areas["pop_adult"].sum(), rel=1e-3)
    assert set(areas["lot"]) == {"West", "Central", "East"}
    assert list(services["service_id"]) == ["S01", "S02"]
    assert services.geometry.x.tolist() == list(service_frame()["easting"])
    assert list(services["district"]) == ["Uploaded locality"] * 2
    assert services["clients"].dtype == np.int64


def test_services_by_latitude_and_longitude_with_function_labels(tmp_path: Path) -> None:
    frame = service_frame()
    points = gpd.GeoSeries(gpd.points_from_xy(frame["easting"], frame["northing"]), crs=27700).to_crs(4326)
    frame = frame.drop(columns=["easting", "northing"]).assign(Latitude=points.y, Longitude=points.x)
    frame["functions"] = ["Social contact, Structured activity", "IPS | skills training"]
    frame["locality_wide"] = ["no", "Yes"]
    uploads = UploadSet(areas=good_upload_set(tmp_path).areas,
                        indicators=good_upload_set(tmp_path).indicators,
                        services=Upload("services.xlsx", xlsx_bytes(frame)))
    prepared = prepare_upload(uploads)
    assert prepared.report.passed, prepared.report.to_text()
    services = prepared.services
    assert services is not None
    assert list(services["functions"]) == ["social_contact;structured_activity", "employment_support;skills"]
    assert list(services["locality_wide"]) == [False, True]
    np.testing.assert_allclose(services.geometry.x, service_frame()["easting"], atol=0.01)


def test_unreadable_files_are_listed_together_with_other_problems(tmp_path: Path) -> None:
    good = good_upload_set(tmp_path)
    uploads = UploadSet(areas=Upload("areas.geojson", b'{"type": "FeatureCollection", "feat'),
                        indicators=good.indicators,
                        services=Upload("services.csv", b"name,clients\nX,1\n"))
    report = prepare_upload(uploads).report
    files = {i.file for i in report.errors}
    assert files == {"areas.geojson", "services.csv"}
    assert all("Traceback" not in str(i) for i in report.issues)


# ---------------------------------------------------------------------------------------
# Properties of the table readers
# ---------------------------------------------------------------------------------------
def _with_thousands(value: int) -> str:
    return f"{value:,}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.lists(st.integers(min_value=-10**9, max_value=10**9), min_size=3, max_size=3),
                    min_size=1, max_size=12),
    decimals=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
                      min_size=1, max_size=12),
    encoding=st.sampled_from(ENCODINGS),
    separator=st.sampled_from([",", ";", "\t"]),
    as_excel=st.booleans(),
)
@pytest.mark.slow
def test_numeric_tables_read_back_equal(values: list[list[int]], decimals: list[float], encoding: str,
                                        separator: str, as_excel: bool) -> None:
    n = min(len(values), len(decimals))
    frame = pd.DataFrame({
        "code": [f"E0{i:07d}" for i in range(n)],
        "pop_total": [_with_thousands(v[0]) for v in values[:n]],
        "pop_male": [_with_thousands(v[1]) for v in values[:n]],
        "pop_adult": [str(v[2]) for v in values[:n]],
        "imd_score": [repr(d) for d in decimals[:n]],
    })
    if as_excel:
        upload = Upload("t.xlsx", xlsx_bytes(frame))
    else:
        upload = Upload("t.csv", csv_bytes(frame, encoding=encoding, sep=separator))
    table, issues = read_table(upload, "indicators")
    assert issues == []
    assert list(table.frame["code"]) == list(frame["code"])
    for column, expected in (("pop_total", [v[0] for v in values[:n]]), ("pop_male", [v[1] for v in values[:n]]),
                             ("pop_adult", [v[2] for v in values[:n]]), ("imd_score", decimals[:n])):
        parsed, bad = parse_number_column(table.frame[column])
        assert not bad.any()
        assert list(parsed) == [float(x) for x in expected]


cell_text = st.one_of(
    st.text(alphabet="0123456789,. -+eE£%ax\u00a0\u2009\u202f\t", max_size=12),
    st.sampled_from(["", "NA", "n/a", "..", "-", "x", "1,234", "12,5", "1 234", "£5", "7%", "inf", "nan"]),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(), st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(cell_text, min_size=1, max_size=30))
@example(cells=["1E310", "-1e400", "12"])  # too big for a float: both parsers call it bad
def test_column_parser_agrees_with_the_cell_parser(cells: list[object]) -> None:
    values, bad = parse_number_column(pd.Series(cells, dtype=object))
    for cell, value, is_bad in zip(cells, values, bad, strict=True):
        expected = parse_number(cell)
        if expected is None:
            assert np.isnan(value) and not is_bad
        elif isinstance(expected, float):
            assert value == expected and not is_bad
        else:
            assert np.isnan(value) and is_bad


# ---------------------------------------------------------------------------------------
# Real public data
# ---------------------------------------------------------------------------------------
@pytest.mark.shared_data
def test_rutland_geojson_and_topojson_boundaries_agree(shared_data: Path) -> None:
    folder = shared_data / "lsoa_boundaries_by_la_2011"
    geojson, _ = read_boundaries(upload_from_path(folder / "lsoa11_E06000017.geojson"))
    topojson, issues = read_boundaries(upload_from_path(folder / "lsoa11_E06000017.topojson"))
    assert [i.check for i in issues] == ["assumed_crs"]
    assert list(geojson.frame["code"]) == list(topojson.frame["code"])
    assert len(geojson.frame) == 23  # PROVENANCE.md: 23 LSOAs
    np.testing.assert_allclose(geojson.frame.geometry.area, topojson.frame.geometry.area, rtol=0.01)


@pytest.mark.shared_data
def test_rutland_builds_a_valid_locality(shared_data: Path) -> None:
    folder = shared_data / "england_lsoa_imd2019_population"
    uploads = UploadSet(
        areas=upload_from_path(shared_data / "lsoa_boundaries_by_la_2011" / "lsoa11_E06000017.topojson"),
        indicators=(upload_from_path(folder / "mysociety_lsoa_population_2019.csv"),
                    upload_from_path(folder / "mysociety_UK_IMD_E.csv")),
    )
    options = UploadOptions(columns={"overall_local_score": "imd_score", "original_decile": "imd_decile"},
                            adult_share=0.79, locality_name="Rutland")
    prepared = prepare_upload(uploads, options=options)
    assert prepared.report.passed, prepared.report.to_text()
    areas = prepared.areas
    assert areas is not None and len(areas) == 23
    assert areas["pop_total"].sum() == 39_927  # PROVENANCE.md: Rutland mid-2019 population
    assert set(areas["imd_decile"].astype(int)) <= set(range(5, 11))  # Rutland: deciles 5-10 only
    assert areas.geometry.is_valid.all()
    repaired = [i for i in prepared.report.warnings if i.check == "repaired_geometry"]
    assert len(repaired) == 1  # PROVENANCE.md: one invalid geometry


@pytest.mark.shared_data
def test_greater_manchester_2021_invalid_geometries_are_repaired_with_a_report(shared_data: Path) -> None:
    from geo.ingest.boundaries import check_boundaries

    path = shared_data / "greater_manchester_trafford" / "boundaries" / "lsoa2021_gm_lsoa_generalised.geojson"
    table, issues = read_boundaries(upload_from_path(path))
    boundaries, check_issues = check_boundaries(table)
    assert issues == [] and boundaries is not None and len(boundaries) == 1_702
    [repaired] = [i for i in check_issues if i.check == "repaired_geometry"]  # one issue for every such feature
    assert len(repaired.rows) == 4 and repaired.message.startswith("4 of 1,702 features have this problem")
    assert repaired.severity == "warning" and all("it was repaired" in d for d in repaired.details)
    assert {d.split(":")[0] for d in repaired.details} == {  # PROVENANCE.md: 4 invalid
        "area E01005866", "area E01005907", "area E01006012", "area E01006312"}
    assert boundaries.geometry.is_valid.all()


@pytest.mark.shared_data
def test_trafford_population_by_sex_and_single_year_joins_its_2021_boundaries(shared_data: Path) -> None:
    folder = shared_data / "greater_manchester_trafford"
    uploads = UploadSet(
        areas=upload_from_path(folder / "boundaries" / "lsoa2021_trafford_lsoa_generalised.geojson"),
        indicators=(upload_from_path(
            folder / "population" / "trafford_lsoa21_mid2024_population_by_sex_single_year_age.csv"),),
    )
    prepared = prepare_upload(uploads, options=UploadOptions(locality_name="Trafford"))
    assert prepared.report.passed, prepared.report.to_text()
    areas = prepared.areas
    assert areas is not None and len(areas) == 139
    assert areas["pop_total"].sum() == 241_025  # PROVENANCE.md: Persons total
    bands = areas[["pop_under_18", "pop_18_24", "pop_25_34", "pop_35_49", "pop_50_64", "pop_65_plus"]].sum(axis=1)
    np.testing.assert_allclose(bands, areas["pop_total"])
    np.testing.assert_allclose(areas["pop_male"] + areas["pop_female"], areas["pop_total"])


def test_indicators_keyed_by_old_codes_are_matched_through_a_lookup(tmp_path: Path) -> None:
    new_codes = tuple(c.replace("E0100", "E0110") for c in CODES)
    lookup = pd.DataFrame({"LSOA11CD": [*CODES, CODES[5]], "LSOA21CD": [*new_codes[:5], "E01100006", "E01100007"]})
    uploads = UploadSet(areas=Upload("areas.geojson", spatial_bytes(area_frame(new_codes), "GeoJSON", tmp_path)),
                        indicators=(Upload("imd.csv", csv_bytes(indicator_frame())),),
                        lookup=Upload("lookup.csv", csv_bytes(lookup)))
    report = prepare_upload(uploads).report
    matched = [i for i in report.warnings if i.check == "codes_translated"]
    assert len(matched) == 1 and matched[0].message.startswith("5 code(s) were matched")
    assert "E01000006" in matched[0].message  # split into two 2021 areas: not apportioned
    missing = [i for i in report.errors if i.check == "code_not_in_file"]
    assert len(missing) == 1 and "E01100006" in missing[0].message
    one_to_one = lookup.iloc[:6]
    uploads = UploadSet(areas=uploads.areas, indicators=uploads.indicators,
                        lookup=Upload("lookup.csv", csv_bytes(one_to_one)))
    prepared = prepare_upload(uploads)
    assert prepared.report.passed and prepared.areas is not None
    assert list(prepared.areas["code"]) == list(new_codes)
    assert list(prepared.areas["pop_total"]) == list(indicator_frame()["pop_total"].astype(float))
    assert prepared.lookup is not None and len(prepared.lookup.pairs) == 6


def test_the_documented_aliases_are_the_ones_in_use() -> None:
    from geo.ingest.columns import alias_table

    doc = (Path(__file__).resolve().parents[3] / "docs" / "UPLOADS.md").read_text(encoding="utf-8")
    assert alias_table() in doc, "docs/UPLOADS.md is out of date: paste the output of python -m cli.data aliases"


def test_a_mistyped_column_mapping_is_an_error(tmp_path: Path) -> None:
    report = prepare_upload(good_upload_set(tmp_path), options=UploadOptions(columns={"IMD": "imd_scor"})).report
    assert [(i.check, i.column) for i in report.errors] == [("unknown_column", "IMD")]
    assert "'imd_scor' is not one of our columns" in report.errors[0].message


def test_indicator_files_win_over_attributes_of_the_areas_file(tmp_path: Path) -> None:
    frame = area_frame().assign(pop_total=[1.0] * 6)
    uploads = UploadSet(areas=Upload("areas.geojson", spatial_bytes(frame, "GeoJSON", tmp_path)),
                        indicators=good_upload_set(tmp_path).indicators)
    prepared = prepare_upload(uploads)
    assert prepared.areas is not None
    assert list(prepared.areas["pop_total"]) == list(indicator_frame()["pop_total"].astype(float))
    conflict = [i for i in prepared.report.warnings if i.check == "conflicting_values"]
    assert len(conflict) == 1 and conflict[0].file == "areas.geojson" and "6 area(s)" in conflict[0].message


def test_x_and_y_columns_holding_longitude_and_latitude_are_read_as_such(tmp_path: Path) -> None:
    frame = service_frame()
    points = gpd.GeoSeries(gpd.points_from_xy(frame["easting"], frame["northing"]), crs=27700).to_crs(4326)
    frame = frame.drop(columns=["easting", "northing"]).assign(X=points.x, Y=points.y)
    good = good_upload_set(tmp_path)
    prepared = prepare_upload(UploadSet(areas=good.areas, indicators=good.indicators,
                                        services=Upload("services.csv", csv_bytes(frame))))
    assert prepared.services is not None
    assert [i.column for i in prepared.report.warnings if i.check == "assumed_crs"] == ["X"]
    np.testing.assert_allclose(prepared.services.geometry.y, service_frame()["northing"], atol=0.01)
