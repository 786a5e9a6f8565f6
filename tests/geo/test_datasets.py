"""Dataset versions on disk: saving, listing, switching, atomicity, changes, and the CLI."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import geo.datasets as datasets
from cli.data import main as cli_main
from geo.datasets import (
    DatasetError,
    activate_version,
    active_version_id,
    changes_since,
    compare_layers,
    get_version,
    list_versions,
    load_version_layers,
    save_version,
    upload_dataset,
)
from geo.io import AREA_COLUMNS
from geo.uploads import Upload, UploadRejectedError, UploadSet, prepare_upload
from tests.geo.upload_samples import (
    CODES,
    area_frame,
    csv_bytes,
    folder_snapshot,
    good_upload_set,
    indicator_frame,
    service_frame,
    spatial_bytes,
)


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
    assert gpkg_layers == {"areas", "services", "districts", "county"}
    report = json.loads((version.path / "report.json").read_text())
    assert report["passed"] and report["warnings"] == version.accepted_warnings
    assert sorted(p.name for p in root.iterdir()) == [".lock", "ACTIVE", "v0001"]


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
