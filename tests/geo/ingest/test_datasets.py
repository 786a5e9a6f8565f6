"""Dataset versions on disk: saving, listing, switching, atomicity, changes, and the CLI."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

import geo.ingest.datasets as datasets
from cli.data import main as cli_main
from geo.ingest.datasets import (
    MIN_EDGE_LENGTH_M,
    RURAL,
    DatasetError,
    activate_version,
    active_version_id,
    changes_since,
    check_roads,
    compare_layers,
    derive_towns,
    get_version,
    list_versions,
    load_version_layers,
    locality_folder,
    main_roads_from_tables,
    road_tables,
    save_version,
    upload_dataset,
)
from geo.ingest.files import Upload
from geo.ingest.locality_files import load_locality
from geo.ingest.networks import DEFAULT_NETWORK_MARGIN_KM
from geo.ingest.report import UploadRejectedError
from geo.ingest.uploads import UploadSet, prepare_upload
from geo.locality import AREA_COLUMNS
from geo.network import RoadNetwork, build_mode_graph, network_from_tables
from geo.traveltime import AreaRouter
from tests.support.rutland_upload import N_AREAS, rutland_files, rutland_options, rutland_upload_set
from tests.support.upload_samples import (
    CODES,
    ORIGIN_X,
    ORIGIN_Y,
    area_frame,
    csv_bytes,
    folder_snapshot,
    good_upload_set,
    indicator_frame,
    service_frame,
    spatial_bytes,
)

pytestmark = pytest.mark.slow  # each test saves whole dataset versions, networks included


def _save(root: Path, uploads: UploadSet, note: str = "") -> datasets.DatasetVersion:
    prepared = datasets.check_upload(root, uploads)
    assert prepared.report.passed, prepared.report.to_text()
    return save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest, note=note)


def _upload(codes: tuple[str, ...], tmp_path: Path, *, scale: float = 1.0,
            lookup: pd.DataFrame | None = None) -> UploadSet:
    indicators = indicator_frame(codes)
    for column in ("pop_total", "pop_male", "pop_female", "pop_adult"):
        indicators[column] = (indicators[column] * scale).round().astype(int)
    indicators["pop_female"] = indicators["pop_total"] - indicators["pop_male"]
    return UploadSet(
        areas=Upload("areas.geojson", spatial_bytes(area_frame(codes), "GeoJSON", tmp_path)),
        indicators=(Upload("indicators.csv", csv_bytes(indicators)),),
        lookup=None if lookup is None else Upload("lookup.csv", csv_bytes(lookup)),
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "datasets"


def test_first_version_is_saved_whole_and_made_active(root: Path, tmp_path: Path) -> None:
    version = _save(root, good_upload_set(tmp_path), note="first")
    assert version.version_id == "v0001" and version.parent is None and version.note == "first"
    assert active_version_id(root) == "v0001"
    assert (version.n_areas, version.n_services) == (6, 2)
    assert version.pop_total == float(indicator_frame()["pop_total"].sum())
    assert {s.role for s in version.sources} == {"areas", "indicators", "services"}
    for source in version.sources:
        assert (version.path / source.stored_as).is_file()
    layers = load_version_layers(root, "v0001")
    assert list(layers.areas.columns) == [*AREA_COLUMNS, "geometry"]
    assert layers.areas.crs.to_epsg() == 27700
    assert layers.services is not None and list(layers.services["name"]) == list(service_frame()["name"])
    gpkg_layers = set(gpd.list_layers(version.path / "locality.gpkg")["name"])
    assert gpkg_layers == {"areas", "services", "districts", "county", "towns"}  # no roads: no main_roads
    report = json.loads((version.path / "report.json").read_text())
    assert report["passed"] and report["warnings"] == version.accepted_warnings
    assert sorted(p.name for p in root.iterdir()) == [".lock", "ACTIVE", "v0001"]


def test_file_names_that_climb_out_of_folders_are_stored_inside_the_version(root: Path, tmp_path: Path) -> None:
    good = good_upload_set(tmp_path)
    assert good.areas is not None and good.services is not None
    hostile = UploadSet(areas=Upload("../../../areas.geojson", good.areas.content), indicators=good.indicators,
                        services=Upload("..\\..\\services.csv", good.services.content))
    def outside_the_data_folder() -> list[Path]:
        return sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(root))

    root.mkdir(parents=True)
    before = outside_the_data_folder()
    version = _save(root, hostile)
    assert outside_the_data_folder() == before  # nothing written anywhere else
    stored = sorted(s.stored_as for s in version.sources)
    assert stored == ["sources/areas-areas.geojson", "sources/indicators-indicators.csv",
                      "sources/services-services.csv"]
    assert all((version.path / s).resolve().is_relative_to(version.path.resolve()) for s in stored)


def test_versions_accumulate_and_can_be_switched_without_deleting(root: Path, tmp_path: Path) -> None:
    _save(root, _upload(CODES, tmp_path))
    second = _save(root, _upload((*CODES[:5], "E01000009"), tmp_path, scale=1.1))
    assert second.parent == "v0001" and active_version_id(root) == "v0002"
    assert second.changes["areas_added"] == ["E01000009"]
    assert second.changes["areas_removed"] == ["E01000006"]
    assert [v.version_id for v in list_versions(root)] == ["v0001", "v0002"]
    before = folder_snapshot(root / "v0001")
    activate_version(root, "v0001")
    assert active_version_id(root) == "v0001"
    third = _save(root, _upload(CODES, tmp_path, scale=1.2))
    assert third.version_id == "v0003" and third.parent == "v0001"
    assert folder_snapshot(root / "v0001") == before
    assert [v.version_id for v in list_versions(root)] == ["v0001", "v0002", "v0003"]


def test_a_folder_names_the_dataset_version_a_plan_is_pinned_to(root: Path, tmp_path: Path) -> None:
    version = _save(root, _upload(CODES, tmp_path))
    assert datasets.dataset_version_of(version.path) == "v0001"
    assert datasets.dataset_version_of(str(version.path)) == "v0001"
    (root / "v0002").mkdir()  # named like a version but never saved
    assert datasets.dataset_version_of(root / "v0002") == "demo"
    assert datasets.dataset_version_of(tmp_path / "demo_data") == "demo"


def test_changes_since_a_version_for_rescoring(root: Path, tmp_path: Path) -> None:
    _save(root, _upload(CODES, tmp_path))
    _save(root, _upload((*CODES[:5], "E01000009"), tmp_path, scale=1.1))
    summary = changes_since(root, "v0001")
    assert summary.to_version == "v0002"
    assert summary.areas_added == ("E01000009",) and summary.areas_removed == ("E01000006",)
    assert summary.areas_changed == 5
    pops = indicator_frame()["pop_total"]
    assert summary.pop_before == float(pops.sum())
    first = summary.area_changes.set_index(summary.area_changes["codes_after"].map(lambda c: c[0]))
    assert first.loc["E01000001", "pop_change"] == round(pops[0] * 1.1) - pops[0]
    text = summary.to_text()
    assert "1 areas added: E01000009" in text and "residents" in text
    assert changes_since(root, "v0002").is_empty
    assert "nothing that affects the scores" in changes_since(root, "v0002").to_text()


def test_2011_and_2021_codes_are_matched_through_a_lookup(root: Path, tmp_path: Path) -> None:
    old = ("E01000001", "E01000002", "E01000003", "E01000004")
    new = ("E01100001", "E01100002", "E01100003", "E01000004")
    lookup = pd.DataFrame({"LSOA11CD": ["E01000001", "E01000002", "E01000003"],
                           "LSOA21CD": ["E01100001", "E01100002", "E01100003"]})
    _save(root, _upload(old, tmp_path))
    _save(root, _upload(new, tmp_path, lookup=lookup))
    summary = changes_since(root, "v0001")
    assert summary.areas_added == () and summary.areas_removed == ()
    assert {k for _, _, k in summary.areas_recoded} == {"renamed"}
    assert len(summary.area_changes) == 4
    without = compare_layers(load_version_layers(root, "v0001").areas, load_version_layers(root, "v0002").areas)
    assert len(without.areas_added) == 3 and len(without.areas_removed) == 3


def test_split_and_merged_areas_compare_over_their_groups() -> None:
    old = area_frame(("A1", "A2", "A3")).assign(pop_total=[100.0, 200.0, 300.0], need_weight=[80.0, 160.0, 240.0])
    new = area_frame(("B1", "B2", "B3")).assign(pop_total=[60.0, 50.0, 520.0], need_weight=[48.0, 40.0, 400.0])
    lookup = pd.DataFrame({"old_code": ["A1", "A1", "A2", "A3"], "new_code": ["B1", "B2", "B3", "B3"]})
    summary = compare_layers(old, new, lookup=lookup, from_version="v0001", to_version="v0002")
    kinds = {k: (o, n) for o, n, k in summary.areas_recoded}
    assert kinds == {"split": (("A1",), ("B1", "B2")), "merged": (("A2", "A3"), ("B3",))}
    table = summary.area_changes.set_index("match")
    assert table.loc["split", "pop_change"] == 10.0 and table.loc["merged", "pop_change"] == 20.0


def test_services_only_upload_keeps_the_areas(root: Path, tmp_path: Path) -> None:
    _save(root, good_upload_set(tmp_path, with_services=False))
    moved = service_frame().assign(budget_gbp=[100_000, 60_000], budget_employment_gbp=[0, 40_000])
    version = _save(root, UploadSet(services=Upload("services.csv", csv_bytes(moved))))
    assert version.n_areas == 6 and version.n_services == 2
    assert version.changes["services_added"] == ["Hillside Centre", "Riverside Works"]
    again = moved.assign(clients=[41, 20], clients_female=[20, 8])
    third = _save(root, UploadSet(services=Upload("services.csv", csv_bytes(again))))
    assert third.changes["services_changed"] == ["Hillside Centre"]


def test_warnings_must_be_accepted_with_their_digest(root: Path, tmp_path: Path) -> None:
    prepared = prepare_upload(good_upload_set(tmp_path))
    assert prepared.report.warnings
    for accepted in (None, "0000"):
        with pytest.raises(UploadRejectedError, match="need accepting"):
            save_version(root, prepared, accepted_warnings=accepted)
    assert not root.exists()
    with pytest.raises(UploadRejectedError, match="need accepting") as caught:
        upload_dataset(root, good_upload_set(tmp_path))
    assert caught.value.report.warnings
    _, version = upload_dataset(root, good_upload_set(tmp_path),
                                accepted_warnings=prepared.report.warnings_digest)
    assert version.version_id == "v0001"


def test_a_failure_while_writing_leaves_everything_as_it_was(root: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _save(root, _upload(CODES, tmp_path))
    before = folder_snapshot(root)
    real_write = datasets._write_version

    def half_written(folder: Path, *args: object, **kwargs: object) -> None:
        real_write(folder, *args, **kwargs)  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(datasets, "_write_version", half_written)
    with pytest.raises(OSError, match="disk full"):
        _save(root, _upload(CODES, tmp_path, scale=2.0))
    assert folder_snapshot(root) == before

    monkeypatch.setattr(datasets, "_write_version", real_write)
    real_replace = os.replace

    def failing_replace(src: object, dst: object) -> None:
        raise OSError("cannot replace")

    monkeypatch.setattr(datasets.os, "replace", failing_replace)
    with pytest.raises(OSError, match="cannot replace"):
        activate_version(root, "v0001")
    monkeypatch.setattr(datasets.os, "replace", real_replace)
    assert (root / "ACTIVE").read_text() == "v0001\n"
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("version_id", ["../v0001", "v0001/../../x", "/etc", "v1", "v0099", ""])
def test_version_ids_cannot_reach_outside_or_name_missing_versions(root: Path, tmp_path: Path,
                                                                   version_id: str) -> None:
    _save(root, _upload(CODES, tmp_path))
    before = folder_snapshot(tmp_path / "instance")
    with pytest.raises(DatasetError):
        activate_version(root, version_id)
    with pytest.raises(DatasetError):
        get_version(root, version_id)
    assert folder_snapshot(tmp_path / "instance") == before


def test_a_corrupted_pointer_is_reported(root: Path, tmp_path: Path) -> None:
    _save(root, _upload(CODES, tmp_path))
    (root / "ACTIVE").write_text("../../etc\n")
    with pytest.raises(DatasetError, match="not a saved version"):
        active_version_id(root)


# ---------------------------------------------------------------------------------------
# The command line does what the app does
# ---------------------------------------------------------------------------------------
def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _write(tmp_path: Path, uploads: UploadSet) -> dict[str, str]:
    paths = {}
    for role, upload in uploads.files():
        path = tmp_path / "files" / upload.name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(upload.content)
        paths[role] = str(path)
    return paths


@pytest.mark.slow
def test_cli_validate_upload_versions_activate_changes(root: Path, tmp_path: Path) -> None:
    files = _write(tmp_path, good_upload_set(tmp_path))
    common = ["--areas", files["areas"], "--indicators", files["indicators"], "--services", files["services"]]
    code, out, _ = _run("--data", str(root), "validate", *common)
    assert code == 0 and "0 error(s)" in out and not root.exists()
    code, out, _ = _run("--data", str(root), "upload", *common)
    assert code == 1 and "--accept-warnings" in out and not root.exists()
    code, out, _ = _run("--data", str(root), "upload", *common, "--accept-warnings", "--note", "baseline")
    assert code == 0 and "Saved v0001" in out
    code, out, _ = _run("--data", str(root), "upload", *common, "--accept-warnings", "--no-activate")
    assert code == 0 and "not made active" in out and active_version_id(root) == "v0001"
    code, out, _ = _run("--data", str(root), "versions")
    assert code == 0 and "* v0001" in out and "  v0002" in out
    code, out, _ = _run("--data", str(root), "activate", "v0002")
    assert code == 0 and active_version_id(root) == "v0002"
    code, out, _ = _run("--data", str(root), "changes", "--since", "v0001", "--json")
    assert code == 0 and json.loads(out)["areas_added"] == []
    code, out, _ = _run("aliases")
    assert code == 0 and "LSOA11CD".lower() in out


def test_cli_reports_errors_without_a_traceback(root: Path, tmp_path: Path) -> None:
    bad = indicator_frame().astype(object)
    bad.loc[1, "pop_total"] = "lots"
    uploads = UploadSet(areas=good_upload_set(tmp_path).areas, indicators=(Upload("bad.csv", csv_bytes(bad)),))
    files = _write(tmp_path, uploads)
    code, out, err = _run("--data", str(root), "upload", "--areas", files["areas"],
                          "--indicators", files["indicators"], "--accept-warnings", "--json")
    report = json.loads(out)
    assert code == 1 and report["errors"] == 1
    assert report["issues"][0]["row"] == 3 and report["issues"][0]["column"] == "pop_total"
    code, _, err = _run("--data", str(root), "activate", "v0009")
    assert code == 1 and "no saved version 'v0009'" in err and "Traceback" not in err
    code, _, err = _run("--data", str(root), "validate", "--areas", str(tmp_path / "missing.geojson"))
    assert code == 1 and "file not found" in err
    code, _, err = _run("--data", str(root), "validate", "--areas", files["areas"], "--column", "nonsense")
    assert code == 1 and "HEADER=our_name" in err
    assert not root.exists()


@pytest.mark.shared_data
def test_cli_checks_the_rutland_road_network(shared_data: Path, tmp_path: Path) -> None:
    population = shared_data / "england_lsoa_imd2019_population"
    areas = shared_data / "lsoa_boundaries_by_la_2011" / "lsoa11_E06000017.geojson"
    code, out, err = _run(
        "--data", str(tmp_path / "datasets"), "validate", "--areas", str(areas),
        "--indicators", str(population / "mysociety_lsoa_population_2019.csv"),
        "--adult-share", "0.79", "--roads", str(shared_data / "osm_rutland" / "rutland-latest.osm.pbf"),
        "--json")
    assert code == 0, err
    roads = [i for i in json.loads(out)["issues"] if i["file"] == "rutland-latest.osm.pbf"]
    assert len(roads) == 1 and roads[0]["check"] == "disconnected_roads" and roads[0]["severity"] == "warning"
    code, out, _ = _run("--data", str(tmp_path / "datasets"), "validate", "--areas", str(areas),
                        "--indicators", str(population / "mysociety_lsoa_population_2019.csv"),
                        "--adult-share", "0.79", "--network-margin-km", "90", "--json")
    assert code == 1 and "expected a distance from 0 to 50 km beyond the boundary, found 90.0" in out


@pytest.mark.slow
def test_concurrent_saves_get_distinct_versions(root: Path, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _save(root, _upload(CODES, tmp_path))
    prepared = []
    for i in range(3):
        (tmp_path / str(i)).mkdir()
        prepared.append(prepare_upload(_upload(CODES, tmp_path / str(i), scale=1 + i / 10)))
    with ThreadPoolExecutor(3) as pool:
        saved = list(pool.map(lambda p: save_version(root, p, accepted_warnings=p.report.warnings_digest),
                              prepared))
    assert sorted(v.version_id for v in saved) == ["v0002", "v0003", "v0004"]
    assert [v.version_id for v in list_versions(root)] == ["v0001", "v0002", "v0003", "v0004"]
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]


def test_areas_only_upload_keeps_the_services_and_checks_them_again(root: Path, tmp_path: Path) -> None:
    _save(root, good_upload_set(tmp_path))
    version = _save(root, _upload(CODES, tmp_path, scale=1.5))
    assert version.n_services == 2 and version.changes["services_removed"] == []
    assert version.changes["pop_after"] == pytest.approx(1.5 * version.changes["pop_before"], rel=0.01)
    (tmp_path / "small").mkdir()
    prepared = datasets.check_upload(root, _upload(CODES[:1], tmp_path / "small"))
    kept = [i for i in prepared.report.warnings if i.check == "service_outside"]
    assert [i.file for i in kept] == ["services (kept from the current version)"]
    assert "Riverside Works" in kept[0].message


def test_leftovers_of_a_killed_save_are_ignored_then_cleared(root: Path, tmp_path: Path) -> None:
    _save(root, _upload(CODES, tmp_path))
    stale = root / ".tmp-v0002-deadbeef"
    stale.mkdir()
    (stale / "manifest.json").write_text("{}")
    os.utime(stale, (0, 0))
    fresh = root / ".tmp-v0002-inflight"
    fresh.mkdir()
    assert [v.version_id for v in list_versions(root)] == ["v0001"]
    _save(root, _upload(CODES, tmp_path, scale=1.1))
    assert not stale.exists() and fresh.exists()


# ---------------------------------------------------------------------------------------
# A version is a complete locality the planner can load: road tables, main roads, towns
# ---------------------------------------------------------------------------------------
def _line_network() -> RoadNetwork:
    """Four junctions across the six squares: an A road, a zero-length minor bit, a path."""
    x = np.array([ORIGIN_X + 100.0, ORIGIN_X + 1_100.0, ORIGIN_X + 1_100.0, ORIGIN_X + 2_900.0])
    y = np.array([ORIGIN_Y + 500.0, ORIGIN_Y + 500.0, ORIGIN_Y + 500.0, ORIGIN_Y + 1_500.0])
    return RoadNetwork(node_id=np.array([9001, 9002, 9003, 9004]), x=x, y=y,
                       edge_u=np.array([0, 1, 2]), edge_v=np.array([1, 2, 3]),
                       edge_class=np.array([1, 3, 4], dtype=np.int8),
                       edge_length_m=np.array([1_000.0, 0.0, 2_100.0]),
                       edge_oneway=np.array([False, True, False]), source="test")


def test_road_tables_follow_the_contract_and_route_again() -> None:
    nodes, edges = road_tables(_line_network())
    assert nodes["node_id"].tolist() == [0, 1, 2, 3] and nodes["x"].dtype == np.float64
    assert edges["road_class"].tolist() == ["a_road", "minor", "path"]
    assert edges["length_m"].tolist() == [1_000.0, MIN_EDGE_LENGTH_M, 2_100.0]
    assert edges["oneway"].tolist() == [False, True, False]
    again = network_from_tables(nodes, edges)
    assert (again.edge_class == _line_network().edge_class).all() and again.n_nodes == 4
    main = main_roads_from_tables(nodes, edges)
    assert main["road_class"].tolist() == ["a_road"] and main.length.sum() == pytest.approx(1_000.0)
    assert main_roads_from_tables(nodes, edges.iloc[1:]).empty


def _prepared_areas(tmp_path: Path) -> gpd.GeoDataFrame:
    prepared = prepare_upload(good_upload_set(tmp_path, with_services=False))
    assert prepared.areas is not None
    return prepared.areas


def test_towns_come_from_osm_places_when_the_areas_name_none(tmp_path: Path) -> None:
    areas = _prepared_areas(tmp_path)
    places = gpd.GeoDataFrame({"name": ["Hilltown", "Rivertown", "Faraway"]}, crs=27700, geometry=[
        Point(ORIGIN_X + 500, ORIGIN_Y + 500), Point(ORIGIN_X + 2_500, ORIGIN_Y + 1_500),
        Point(ORIGIN_X + 50_000, ORIGIN_Y)])
    towns, area_towns, how = derive_towns(areas, places)
    assert how == "OpenStreetMap cities and towns"
    # squares 1, 2, 4 are nearer Hilltown; 3, 5, 6 nearer Rivertown; nobody lives near Faraway
    assert area_towns.tolist() == ["Hilltown", "Hilltown", "Rivertown", "Hilltown", "Rivertown", "Rivertown"]
    by_name = towns.set_index("name")
    assert by_name["population"].to_dict() == {"Hilltown": 4_000.0, "Rivertown": 4_700.0}
    assert by_name["is_biggest"].to_dict() == {"Hilltown": False, "Rivertown": True}
    assert by_name.loc["Rivertown", "geometry"].equals(places.geometry.iloc[1])


def test_towns_come_from_the_town_column_or_else_the_area_names(tmp_path: Path) -> None:
    areas = _prepared_areas(tmp_path)
    named = areas.assign(town=["Ashby", "Ashby", "Brook", "Brook", "Unknown", "Unknown"])
    towns, area_towns, how = derive_towns(named)
    assert how == "the areas' town column" and sorted(towns["name"]) == ["Ashby", "Brook"]
    assert area_towns.tolist()[-2:] == [RURAL, RURAL]
    towns, area_towns, how = derive_towns(areas, places=None)
    assert how == "the place part of the area names"  # "Area 1" ... "Area 6" -> "Area"
    assert towns["name"].tolist() == ["Area"] and set(area_towns) == {"Area"}
    assert towns["population"].iloc[0] == float(areas["pop_total"].sum()) and bool(towns["is_biggest"].iloc[0])


def test_a_version_without_roads_is_kept_but_not_used_and_roads_carry_forward(root: Path, tmp_path: Path) -> None:
    first = _save(root, good_upload_set(tmp_path))
    assert not first.has_roads and locality_folder(root) is None  # the app stays on its data folder
    gpkg_layers = set(gpd.list_layers(first.path / "locality.gpkg")["name"])
    assert {"towns", "county", "districts"} <= gpkg_layers
    nodes, edges = road_tables(_line_network())  # as if an extract had come with it
    nodes.to_parquet(first.path / "road_nodes.parquet", index=False)
    edges.to_parquet(first.path / "road_edges.parquet", index=False)
    assert locality_folder(root) == first.path
    locality = load_locality(first.path)
    assert len(locality.areas) == 6 and locality.biggest_town == "Area" and locality.main_roads.empty
    second = _save(root, UploadSet(services=Upload("services.csv", csv_bytes(service_frame().iloc[:1]))))
    assert second.has_roads and get_version(root, "v0002").has_roads
    for name in ("road_nodes.parquet", "road_edges.parquet"):  # the same areas keep the same roads
        assert (second.path / name).read_bytes() == (first.path / name).read_bytes()
    assert locality_folder(root) == second.path
    assert load_locality(second.path).services["name"].tolist() == ["Hillside Centre"]
    (root / "ACTIVE").write_text("v0009\n")
    assert locality_folder(root) is None  # a damaged pointer: the app falls back, no crash


def test_an_unreadable_road_extract_is_reported_by_name_and_leaves_nothing_behind(root: Path, tmp_path: Path) -> None:
    uploads = good_upload_set(tmp_path, with_services=False)
    uploads = UploadSet(areas=uploads.areas, indicators=uploads.indicators,
                        roads=Upload("roads.osm.pbf", b"this is not an OpenStreetMap extract"))
    checked = check_roads(root, datasets.check_upload(root, uploads))
    assert not checked.report.passed and checked.areas is None
    (issue,) = checked.report.errors
    assert issue.file == "roads.osm.pbf" and "cannot read" in issue.message and str(root) not in issue.message
    assert [p.name for p in root.iterdir()] == []  # the scratch copy is gone; nothing was saved


@pytest.fixture(scope="module")
def rutland(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datasets.DatasetVersion]:
    """Rutland built from public files through the same steps as the data page."""
    base = tmp_path_factory.mktemp("rutland")
    root = base / "datasets"
    prepared = check_roads(root, datasets.check_upload(root, rutland_upload_set(rutland_files(shared_data, base)),
                                                       options=rutland_options()))
    assert prepared.report.passed, prepared.report.to_text()
    version = save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest,
                           locality_name="Rutland")
    return root, version


@pytest.mark.shared_data
def test_rutland_from_public_files_is_a_working_locality(rutland: tuple[Path, datasets.DatasetVersion]) -> None:
    root, version = rutland
    assert locality_folder(root) == version.path and version.towns_from == "OpenStreetMap cities and towns"
    locality = load_locality(version.path)
    assert len(locality.areas) == N_AREAS and locality.name == "Rutland" and not locality.is_fictional
    assert abs(locality.areas["pop_total"].sum() - 39_927) < 1  # mid-2019, as the provenance says
    assert locality.areas["imd_decile"].between(5, 10).all()  # Rutland: deciles 5-10 only
    assert set(locality.towns["name"]) == {"Oakham", "Uppingham"} and locality.biggest_town == "Oakham"
    assert {"a_road", "b_road"} <= set(locality.main_roads["road_class"])
    assert len(locality.services) == 2 and set(locality.services["town"]) == {"Oakham", "Uppingham"}
    router = AreaRouter.from_areas(build_mode_graph(network_from_tables(locality.road_nodes, locality.road_edges)),
                                   locality.areas)
    oakham = locality.towns.set_index("name").geometry["Oakham"]
    minutes = router.minutes_to_point(oakham.x, oakham.y)
    assert np.isfinite(minutes).all() and 0 < minutes.max() < 40  # a small county: all within 40 minutes
    # The roads reach beyond the county (by the default margin), and the version says so.
    county = locality.county.union_all()
    outside = ~shapely.contains_xy(county, locality.road_nodes["x"], locality.road_nodes["y"])
    assert outside.sum() > 500 and version.network_margin_km == DEFAULT_NETWORK_MARGIN_KM
    assert "up to 10 km beyond the locality's boundary" in locality.road_network
    assert "rutland-latest.osm.pbf" in locality.road_network and "driveways" in locality.road_network
    assert locality.areas["pwc_x"].notna().all()  # the recipe's population-weighted centroids


@pytest.mark.shared_data
def test_a_placement_runs_on_the_uploaded_locality(rutland: tuple[Path, datasets.DatasetVersion]) -> None:
    from geo.placement.candidates import candidate_sites
    from geo.placement.models import p_median

    _, version = rutland
    locality = load_locality(version.path)
    graph = build_mode_graph(network_from_tables(locality.road_nodes, locality.road_edges))
    router = AreaRouter.from_areas(graph, locality.areas)
    sites = candidate_sites(locality.areas, graph, towns=locality.towns, services=locality.services, n_lattice=80)
    matrix = router.matrix(sites[["x", "y"]].to_numpy(), sites["site_id"].tolist())
    need = locality.areas["need_weight"].to_numpy()
    one, two = (p_median(matrix.minutes, need, n_hubs=n, time_limit_seconds=10) for n in (1, 2))
    assert len(two.sites) == 2 and np.isfinite(two.mean_minutes)
    assert two.value <= one.value and two.bound <= two.value + 1e-6
    assert two.mean_minutes < one.mean_minutes < 30


@pytest.mark.shared_data
def test_population_weighted_centroids_by_area_code_set_where_journeys_start(
        rutland: tuple[Path, datasets.DatasetVersion], shared_data: Path, tmp_path: Path) -> None:
    """The recipe's centroids (a table keyed by LSOA code) are where journeys start: a journey within Ketton
    starts in the village. Without them it starts in the middle of Ketton's large rural area, the check says
    what that costs, and the field is left empty rather than holding the polygon's middle."""
    from dataclasses import replace

    from pyrosm import OSM

    files = rutland_files(shared_data, tmp_path / "files")
    with_centroids = load_locality(rutland[1].path)
    table = pd.read_csv(files["indicators"][-1]).set_index("code")
    given = with_centroids.areas.set_index("code")[["pwc_x", "pwc_y"]]
    np.testing.assert_allclose(given.to_numpy(), table.loc[given.index, ["x", "y"]].to_numpy(), atol=0.1)

    uploads = rutland_upload_set(files)
    uploads = replace(uploads, indicators=uploads.indicators[:-1])  # the recipe without the centroids
    root = tmp_path / "datasets"
    prepared = check_roads(root, datasets.check_upload(root, uploads, options=rutland_options()))
    assert [i.check for i in prepared.report.warnings].count("no_centroid") == 1
    without = load_locality(save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest,
                                         locality_name="Rutland").path)
    assert without.areas["pwc_x"].isna().all() and without.areas["pwc_y"].isna().all()

    places = OSM(str(shared_data / "osm_rutland" / "rutland-latest.osm.pbf")).get_data_by_custom_criteria(
        custom_filter={"place": ["village"]}, keep_ways=False, keep_relations=False).to_crs(27700)
    names = places["tags"].map(lambda tags: json.loads(tags).get("name") if isinstance(tags, str) else None)
    ketton = places.geometry[(places["name"] if "name" in places.columns else names) == "Ketton"].iloc[0]

    def minutes_within_ketton(locality: Any) -> float:
        router = AreaRouter.from_areas(build_mode_graph(network_from_tables(locality.road_nodes,
                                                                            locality.road_edges)), locality.areas)
        home = int(np.flatnonzero(locality.areas.contains(ketton))[0])
        return float(router.minutes_to_point(ketton.x, ketton.y)[home])

    assert minutes_within_ketton(with_centroids) < 2.0 < 4.0 < minutes_within_ketton(without)  # 1.7 against 4.3


def test_an_upload_without_centroids_is_warned_of_what_it_costs(tmp_path: Path) -> None:
    prepared = prepare_upload(good_upload_set(tmp_path))
    [warning] = [i for i in prepared.report.issues if i.check == "no_centroid"]
    assert "6 of 6 area(s)" in warning.message and "instead of from where its people live" in warning.message
    assert "population-weighted centroids" in warning.message
    assert prepared.areas is not None and prepared.areas["pwc_x"].isna().all()  # never a stand-in in the field


def test_services_alone_are_added_to_a_saved_version_not_yet_in_use(root: Path, tmp_path: Path) -> None:
    """A version saved without services (and not put in use) takes services uploaded on their own."""
    first = good_upload_set(tmp_path, with_services=False)
    prepared = datasets.check_upload(root, first)
    save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest, activate=False)
    assert active_version_id(root) is None and len(list_versions(root)) == 1
    services_only = UploadSet(services=good_upload_set(tmp_path).services)
    prepared = datasets.check_upload(root, services_only)
    assert prepared.report.passed, prepared.report.to_text()  # not "there is no saved version yet"
    second = save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest)
    assert second.parent == "v0001" and (second.n_areas, second.n_services) == (6, 2)
    assert load_version_layers(root, "v0002").areas["code"].tolist() == load_version_layers(
        root, "v0001").areas["code"].tolist()


def test_nothing_to_build_on_is_refused_by_name(root: Path) -> None:
    report = datasets.check_upload(root, UploadSet(roads=Upload("roads.osm.pbf", b"pbf"))).report
    assert [i.message for i in report.errors] == [
        "roads need areas: upload an areas file with them (there is no saved version yet)"]
    report = datasets.check_upload(root, UploadSet()).report
    assert ("expected an areas file, a services file, a roads file or a timetable; found none"
            in report.errors[0].message)


@pytest.mark.shared_data
def test_roads_alone_replace_the_roads(root: Path, shared_data: Path, tmp_path: Path) -> None:
    """Rutland saved with roads cut at the boundary; the same extract uploaded alone with the default margin
    replaces them: a new version with the same areas and services and roads reaching beyond the county."""
    from dataclasses import replace

    uploads = rutland_upload_set(rutland_files(shared_data, tmp_path / "files"))
    options = replace(rutland_options(), network_margin_km=0.0)
    prepared = check_roads(root, datasets.check_upload(root, uploads, options=options))
    first = save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest, locality_name="Rutland")
    roads_only = UploadSet(roads=uploads.roads)
    prepared = check_roads(root, datasets.check_upload(root, roads_only, options=rutland_options()))
    assert prepared.report.passed, prepared.report.to_text()
    second = save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest, locality_name="Rutland")
    assert (first.network_margin_km, second.network_margin_km) == (0.0, DEFAULT_NETWORK_MARGIN_KM)
    before, after = load_locality(first.path), load_locality(second.path)
    assert after.areas["code"].tolist() == before.areas["code"].tolist() and len(after.services) == 2
    county = before.county.union_all()
    outside = ~shapely.contains_xy(county, after.road_nodes["x"], after.road_nodes["y"])
    assert shapely.contains_xy(county, before.road_nodes["x"], before.road_nodes["y"]).all() and outside.sum() > 500
