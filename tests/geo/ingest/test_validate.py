"""Validation checks and the report: locations, severities, repairs, cross-file checks."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from geo.ingest.areas import check_areas_table
from geo.ingest.boundaries import check_boundaries
from geo.ingest.cells import Table, parse_bool, parse_number
from geo.ingest.indicators import check_code_coverage, parse_indicators
from geo.ingest.networks import NetworkSummary, check_network
from geo.ingest.report import Issue, ValidationReport, choice
from geo.ingest.services import check_services_within, parse_services
from geo.network import ComponentReport
from tests.support.upload_samples import area_frame, indicator_frame, service_frame


def _table(frame: pd.DataFrame, file: str = "t.csv") -> Table:
    """A Table as a reader would hand it over: rows numbered from 2 (header = row 1)."""
    frame = frame.astype(object)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return Table(file, frame, {c: c for c in frame.columns})


def _areas_table(shapes: list[object], codes: list[str | None]) -> Table:
    frame = gpd.GeoDataFrame({"code": codes}, geometry=gpd.GeoSeries(shapes), crs=27700)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return Table("areas.gpkg", frame, {"code": "LSOA11CD"}, row_label="feature")


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------
def test_issue_names_file_row_and_column() -> None:
    issue = Issue("error", "pop.csv", 7, "All Ages", "expected a number, found 'abc'")
    assert str(issue) == "ERROR: pop.csv, row 7, column 'All Ages': expected a number, found 'abc'"
    feature = Issue("warning", "a.gpkg", 3, None, "repaired", row_label="feature")
    assert str(feature) == "WARNING: a.gpkg, feature 3: repaired"


def test_report_applies_only_without_errors_and_with_warnings_accepted() -> None:
    warning = Issue("warning", "a", None, None, "w")
    error = Issue("error", "a", None, None, "e")
    clean = ValidationReport()
    assert clean.can_apply() and clean.to_text() == "No problems found."
    warned = ValidationReport((warning,))
    assert not warned.can_apply() and not warned.can_apply("nonsense")
    assert warned.can_apply(warned.warnings_digest)
    other = ValidationReport((Issue("warning", "a", None, None, "another"),))
    assert not other.can_apply(warned.warnings_digest)
    failed = ValidationReport((warning, error))
    assert not failed.can_apply(failed.warnings_digest)
    assert failed.to_text().splitlines()[1].startswith("ERROR")  # errors listed first
    assert json.loads(json.dumps(failed.to_dict()))["errors"] == 1


def test_every_row_with_a_problem_is_reported_in_one_grouped_issue() -> None:
    frame = pd.DataFrame({"code": [f"C{i}" for i in range(709)], "pop_total": ["bad"] * 709})
    _, issues = parse_indicators(_table(frame))
    [grouped] = [i for i in issues if i.check == "not_a_number"]
    assert grouped.rows == tuple(range(2, 711)) and len(grouped.details) == 709  # every row, none dropped
    assert grouped.message.startswith("709 of 709 rows have this problem (rows 2 to 710); the first, row 2: ")
    assert grouped.row is None and "found 'bad'" in grouped.message
    three = parse_indicators(_table(pd.DataFrame({"code": ["A", "B", "C", "D"], "pop_total": ["q", 1, "y", "z"]})))[1]
    assert "3 of 4 rows have this problem (rows 2, 4 and 5)" in next(i.message for i in three)


def test_routine_notes_come_after_the_warnings_that_change_results() -> None:
    routine = Issue("warning", "a.csv", None, None, "no district column", "default_used")
    matters = Issue("warning", "a.csv", None, None, "no population-weighted centroid", "no_centroid")
    report = ValidationReport((routine, matters))
    assert report.notable_warnings == (matters,) and report.routine_notes == (routine,)
    lines = report.to_text().splitlines()
    assert lines[0] == "0 error(s) and 2 warning(s), 1 of them routine notes."
    assert lines[1].endswith("no population-weighted centroid") and lines[2].startswith("Routine notes")
    assert [i["check"] for i in report.to_dict()["issues"]] == ["no_centroid", "default_used"]


def test_messages_name_the_choice_in_the_words_of_whoever_reads_them() -> None:
    issue = Issue("error", "areas.shp.zip", None, None, f"the file has no projection; give {choice('crs')}")
    assert issue.line("command line").endswith("give --crs (for example --crs EPSG:27700)")
    assert issue.line("page").endswith("give the projection under More options (for example EPSG:27700)")
    assert "--" not in ValidationReport((issue,)).to_text(audience="page")


# ---------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cell", "expected"), [
    ("1,234", 1234.0), ("1,234,567.5", 1234567.5), ("1 234", 1234.0), ("\u00a01\u00a0234 ", 1234.0),
    ("£12,000", 12000.0), ("7.5%", 7.5), ("-3", -3.0), (" 42 ", 42.0), (12, 12.0), (2.5, 2.5),
    ("", None), ("..", None), ("n/a", None), (None, None), (float("nan"), None),
])
def test_numbers_are_read_like_an_analyst_writes_them(cell: object, expected: float | None) -> None:
    assert parse_number(cell) == expected


@pytest.mark.parametrize("cell", ["abc", "12,5", "1,23", "1_000", "inf", "1.2.3", True, float("inf")])
def test_non_numbers_are_refused(cell: object) -> None:
    value = parse_number(cell)
    assert value is not None and not isinstance(value, float)


@pytest.mark.parametrize(("cell", "expected"), [("yes", True), ("Y", True), ("1", True), (True, True),
                                                ("no", False), ("", False), (None, False), (0, False)])
def test_yes_no_cells(cell: object, expected: bool) -> None:
    assert parse_bool(cell) is expected


# ---------------------------------------------------------------------------------------
# Boundaries
# ---------------------------------------------------------------------------------------
def test_invalid_polygon_is_repaired_and_reported() -> None:
    bowtie = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])
    table = _areas_table([box(0, 0, 10, 10), bowtie], ["E1", "E2"])
    boundaries, issues = check_boundaries(table)
    assert boundaries is not None and boundaries.geometry.is_valid.all()
    assert boundaries.geometry.iloc[1].area == pytest.approx(500_000)
    assert [(i.severity, i.row, i.check) for i in issues] == [("warning", 2, "repaired_geometry")]
    assert issues[0].message == ("area E2: the outline crosses itself near easting 500, northing 500; it was "
                                 "repaired, keeping the ground it encloses (area now 0.500 km²)")  # plain words


@pytest.mark.parametrize(("shape", "check", "message"), [
    (Polygon(), "empty_geometry", "found an empty geometry"),
    (None, "empty_geometry", "found an empty geometry"),
    (Point(5, 5), "not_a_polygon", "found a Point"),
    (LineString([(0, 0), (5, 5)]), "not_a_polygon", "found a LineString"),
    (Polygon([(0, 0), (10, 10), (20, 20), (0, 0)]), "unrepairable_geometry", "could not be repaired"),
])
def test_unusable_geometry_is_an_error_naming_the_feature(shape: object, check: str, message: str) -> None:
    _, issues = check_boundaries(_areas_table([box(0, 0, 10, 10), shape], ["E1", "E2"]))
    assert [(i.severity, i.row, i.check) for i in issues] == [("error", 2, check)]
    assert message in issues[0].message and "area E2" in issues[0].message


def test_duplicate_and_blank_area_codes() -> None:
    squares = [box(i, 0, i + 1, 1) for i in range(4)]
    _, issues = check_boundaries(_areas_table(squares, ["E1", "E2", "E1", None]))
    by_check = {i.check: i for i in issues}
    assert by_check["duplicate_code"].row == 3 and "features 1, 3" in by_check["duplicate_code"].message
    assert by_check["blank_code"].row == 4 and by_check["blank_code"].column == "LSOA11CD"


# ---------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------
def test_indicator_rows_are_typed_and_keyed_by_code() -> None:
    typed, issues = parse_indicators(_table(indicator_frame()))
    assert issues == [] and typed is not None
    assert list(typed.index) == list(indicator_frame()["code"])
    assert typed["pop_total"].dtype == float and list(typed["source_row"]) == list(range(2, 8))


@pytest.mark.parametrize(("column", "value", "message"), [
    ("pop_total", "many", "expected a number (a count of people) between 0 and 10,000,000, found 'many'"),
    ("pop_total", "-5", "found -5"),
    ("imd_decile", "11", "between 1 and 10, found 11"),
    ("imd_decile", "2.5", "a whole number"),
    ("bme_share", "23", "between 0 and 1, found 23"),
    ("smi_prevalence_pct", "150", "between 0 and 100, found 150"),
    ("imd_score", "12,5", "use a point for decimals"),
])
def test_bad_values_name_row_and_column(column: str, value: str, message: str) -> None:
    frame = indicator_frame().astype(object)
    frame.loc[2, column] = value
    _, issues = parse_indicators(_table(frame))
    errors = [i for i in issues if i.severity == "error"]
    assert len(errors) >= 1
    first = errors[0]
    assert (first.row, first.column) == (4, column)
    assert message in first.message


def test_parts_that_do_not_add_up_are_errors() -> None:
    frame = indicator_frame()
    frame.loc[0, "pop_male"] = 10
    frame.loc[1, "pop_adult"] = 99_999
    _, issues = parse_indicators(_table(frame))
    messages = {i.row: i.message for i in issues}
    assert "men and women add up to" in messages[2]
    assert "adults is more than the" in messages[3]


def test_percent_and_count_ethnicity_become_shares() -> None:
    frame = pd.DataFrame({"code": ["A", "B"], "pop_total": [100, 200], "bme_pct": [10, 25]})
    typed, _ = parse_indicators(_table(frame))
    assert typed is not None and list(typed["bme_share"]) == [0.1, 0.25]
    frame = pd.DataFrame({"code": ["A", "B"], "pop_total": [100, 200], "pop_bme": [10, 300]})
    typed, issues = parse_indicators(_table(frame))
    assert typed is not None and typed.loc["A", "bme_share"] == 0.1
    assert [i.row for i in issues] == [3] and "more than the 200 residents" in issues[0].message


def test_codes_missing_from_one_file_are_listed() -> None:
    typed, _ = parse_indicators(_table(indicator_frame().iloc[:4]))
    assert typed is not None
    codes = list(indicator_frame()["code"])
    issues = check_code_coverage("areas.gpkg", codes, [("pop.csv", typed)])
    assert len(issues) == 1 and issues[0].severity == "error"
    assert codes[4] in issues[0].message and codes[5] in issues[0].message
    extra, _ = parse_indicators(_table(indicator_frame().assign(code=lambda f: f["code"] + "X")))
    assert extra is not None
    issues = check_code_coverage("areas.gpkg", codes[:0], [("pop.csv", extra)])
    assert issues[0].severity == "warning" and "will be left out" in issues[0].message


def test_names_in_the_code_column_are_recognised() -> None:
    frame = indicator_frame().assign(code=[f"Area {i}" for i in range(1, 7)])
    typed, _ = parse_indicators(_table(frame))
    assert typed is not None
    issues = check_code_coverage("areas.gpkg", list(indicator_frame()["code"]), [("pop.csv", typed)],
                                 area_names=[f"Area {i}" for i in range(1, 7)])
    assert [i.check for i in issues] == ["names_not_codes"]
    assert "holds area names" in issues[0].message


def test_areas_with_nobody_are_warned_about() -> None:
    areas = area_frame().assign(pop_total=[0, 10, 10, 10, 10, 10], pwc_x=450_500.0, pwc_y=250_500.0)
    issues = check_areas_table(areas, file="areas.gpkg")
    assert [i.check for i in issues if i.check == "no_people"] == ["no_people"]
    assert "E01000001 has no residents" in issues[0].message
    nobody = areas.assign(pop_total=0)
    assert "no_people_at_all" in {i.check for i in check_areas_table(nobody, file="a")}


# ---------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------
def test_services_parse_to_points_with_defaults_reported() -> None:
    frame = service_frame()[["name", "easting", "northing", "budget_gbp", "clients"]]
    services, issues = parse_services(_table(frame, "services.csv"))
    assert services is not None
    assert list(services["service_id"]) == ["S01", "S02"]
    assert list(services["budget_day_activity_gbp"]) == list(frame["budget_gbp"].astype(float))
    defaults = [i for i in issues if i.check == "default_used"]
    assert len(defaults) == 4 and all(i.severity == "warning" for i in defaults)


@pytest.mark.parametrize(("change", "column", "message"), [
    ({"budget_gbp": 1}, "budget_gbp", "add up to £100,000 but the total budget is £1"),
    ({"functions": "knitting"}, "functions", "unknown function 'knitting'"),
    ({"clients_female": 41}, "clients_female", "expected at most the 40 clients in all"),
    ({"locality_wide": "maybe"}, "locality_wide", "expected yes or no"),
    ({"name": ""}, "name", "found a blank cell"),
    ({"clients": 2.5}, "clients", "a whole number"),
    ({"easting": ""}, "easting", "found a blank cell"),
])
def test_bad_service_rows_name_row_and_column(change: dict[str, object], column: str, message: str) -> None:
    frame = service_frame().astype(object)
    for key, value in change.items():
        frame.loc[0, key] = value
    _, issues = parse_services(_table(frame, "services.csv"))
    errors = [i for i in issues if i.severity == "error"]
    assert errors and (errors[0].row, errors[0].column) == (2, column)
    assert message in errors[0].message


def test_swapped_latitude_and_longitude() -> None:
    frame = pd.DataFrame({"name": ["A"], "latitude": [-0.7], "longitude": [52.6], "budget_gbp": [1], "clients": [1]})
    _, issues = parse_services(_table(frame, "services.csv"))
    assert any(i.check == "swapped_coordinates" and i.row == 2 for i in issues)


def test_services_outside_the_areas() -> None:
    boundary = box(0, 0, 1000, 1000)
    services = gpd.GeoDataFrame({"name": ["in", "near", "far"]},
                                geometry=[Point(500, 500), Point(6000, 500), Point(90_000, 500)], crs=27700)
    services.index = pd.RangeIndex(2, 5)
    issues = check_services_within(services, boundary, file="s.csv", header="Easting")
    assert [(i.severity, i.row) for i in issues] == [("warning", 3), ("error", 4)]
    assert "5.0 km outside" in issues[0].message and "check the coordinates" in issues[1].message
    assert "shown as outside the locality and reached by the roads beyond the boundary" in issues[0].message
    narrow = check_services_within(services, boundary, file="s.csv", header="Easting", margin_km=2)
    assert "beyond the 2 km of roads kept around the locality" in narrow[0].message


# ---------------------------------------------------------------------------------------
# Roads
# ---------------------------------------------------------------------------------------
def test_disconnected_roads_from_a_summary_or_a_network_report() -> None:
    assert check_network(NetworkSummary(1000, 0), file="roads.pbf") == []
    warning = check_network(NetworkSummary(1000, 30), file="roads.pbf")
    assert [i.severity for i in warning] == ["warning"] and "30 of 1,000" in warning[0].message
    report = ComponentReport(mode="drive", nodes_total=1000, nodes_kept=300, nodes_unusable=0,
                             nodes_dropped=700, edges_kept=300, edges_dropped=800, components_dropped=5,
                             length_dropped_km=12.0)
    error = check_network(report, file="roads.pbf")
    assert [i.severity for i in error] == ["error"] and "70%" in error[0].message
    assert check_network(NetworkSummary(0, 0), file="roads.pbf")[0].check == "empty_network"


def test_centroids_far_outside_their_area_are_warned_about() -> None:
    areas = area_frame().assign(pop_total=10.0, pwc_x=450_500.0, pwc_y=250_500.0)
    issues = [i for i in check_areas_table(areas, file="areas.gpkg") if i.check == "centroid_outside"]
    # (450500, 250500) is 1.5 km from the third square and 1.58 km from the sixth; the rest are nearer
    assert [i.message for i in issues] == [
        "area E01000003: the population-weighted centroid lies 1.5 km outside the area",
        "area E01000006: the population-weighted centroid lies 1.6 km outside the area"]
