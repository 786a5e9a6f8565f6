"""The data page's callbacks, called directly with the base64 contents dcc.Upload sends."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dash import no_update

from dashboard import create_app, data_page, ids
from dashboard.auth import begin_session
from dashboard.config import Settings, settings_from_env
from dashboard.data_access import planner_folder
from dashboard.data_page import (
    checked_state,
    chosen_outputs,
    column_mapping,
    data_job,
    data_view,
    decode_upload,
    enable_saving,
    issue_ticket,
    job_failed,
    limits_for,
    read_ticket,
    ticket_for,
    upload_options,
    upload_set,
)
from dashboard.store_access import close_stores, store_for
from geo.errors import PlannerInputError, UnsafeUploadError, UploadError
from geo.ingest.datasets import active_version_id, list_versions
from geo.ingest.files import Upload, UploadLimits
from geo.ingest.networks import DEFAULT_NETWORK_MARGIN_KM
from geo.locality import DEMO_FOLDER
from geo.scenarios import Hub
from geo.workspace.accounts import Role
from geo.workspace.store import sqlite_url
from tests.support.rutland_upload import ADULT_SHARE, COLUMNS, N_AREAS, rutland_files
from tests.support.upload_samples import csv_bytes, good_upload_set, indicator_frame, save_with_one_road

NO_OPTIONS: dict[str, Any] = {}
LIMITS = UploadLimits(max_upload_bytes=2**20)


def data_url(content: bytes, mime: str = "application/octet-stream") -> str:
    """What dcc.Upload puts in ``contents`` for a file."""
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def browser_files(uploads: dict[str, list[Upload]]) -> dict[str, tuple[Any, Any]]:
    """{role: (file names, contents)} as the page's States hold them (indicators: lists)."""
    files: dict[str, tuple[Any, Any]] = {}
    for role, chosen in uploads.items():
        names, contents = [u.name for u in chosen], [data_url(u.content) for u in chosen]
        files[role] = (names, contents) if role == "indicators" else (names[0], contents[0])
    return files


def sample_files(tmp_path: Path, *, indicators: bytes | None = None) -> dict[str, tuple[Any, Any]]:
    good = good_upload_set(tmp_path)
    assert good.areas is not None and good.services is not None
    chosen = [Upload("indicators.csv", indicators)] if indicators is not None else list(good.indicators)
    return browser_files({"areas": [good.areas], "indicators": chosen, "services": [good.services]})




@pytest.fixture
def request_context(app: Any) -> Iterator[None]:
    """A request in single-user mode: the one local user is an administrator."""
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(instance_folder=tmp_path / "instance")


def texts(component: Any) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      default=lambda c: c.to_plotly_json() if hasattr(c, "to_plotly_json") else str(c))


# ---------------------------------------------------------------------------------------
# Files and choices from the browser
# ---------------------------------------------------------------------------------------
def test_an_uploaded_file_is_decoded_and_its_size_checked_before_decoding() -> None:
    assert decode_upload("a.csv", data_url(b"code,pop\n"), LIMITS) == Upload("a.csv", b"code,pop\n")
    with pytest.raises(UnsafeUploadError, match=r"big\.pbf: the file is about 2\.0 MB; expected at most 1\.0 MB"):
        decode_upload("big.pbf", "data:;base64," + "A" * (2**21 * 4 // 3), LIMITS)
    with pytest.raises(UploadError, match="arrived damaged"):
        decode_upload("a.csv", "data:text/csv;base64,@@@not base64@@@", LIMITS)
    with pytest.raises(UploadError, match="did not send the file's contents"):
        decode_upload("a.csv", None, LIMITS)
    with pytest.raises(UploadError, match="the file is empty"):
        decode_upload("a.csv", "data:text/csv;base64,", LIMITS)


def test_roles_without_a_file_are_absent_as_on_page_load(tmp_path: Path) -> None:
    assert upload_set({}, LIMITS).files() == ()
    assert upload_set({role: (None, None) for role in data_page.ROLE_KEYS}, LIMITS).files() == ()
    uploads = upload_set(sample_files(tmp_path), LIMITS)
    assert [role for role, _ in uploads.files()] == ["areas", "indicators", "services"]
    assert uploads.indicators[0].content == csv_bytes(indicator_frame())


def test_the_forms_choices_are_read_and_mistakes_named() -> None:
    assert column_mapping("All Ages=pop_total\n\n imd = imd_score ") == {"All Ages": "pop_total", "imd": "imd_score"}
    with pytest.raises(PlannerInputError, match=r"HEADER=our_name.*found 'pop_total'"):
        column_mapping("pop_total")
    options = upload_options({"locality_name": " Rutland ", "adult_share": "0.79", "crs": " EPSG:27700 ",
                              "columns": "a=pop_total", "layer": " areas ", "sheet": "Data",
                              "network_margin_km": 4}, LIMITS)
    assert (options.locality_name, options.adult_share, options.crs) == ("Rutland", 0.79, "EPSG:27700")
    assert (options.layer, options.sheet, options.network_margin_km) == ("areas", "Data", 4.0)
    blank = upload_options({}, LIMITS)
    assert blank.locality_name == "Uploaded locality" and blank.network_margin_km == DEFAULT_NETWORK_MARGIN_KM
    assert blank.layer is None and blank.sheet is None
    for share in ("1.5", "0", "many"):
        with pytest.raises(PlannerInputError, match="Share of residents who are adults"):
            upload_options({"adult_share": share}, LIMITS)
    for margin in ("-1", "500", "far"):
        with pytest.raises(PlannerInputError, match="Roads beyond the boundary: expected a number at least 0"):
            upload_options({"network_margin_km": margin}, LIMITS)


@pytest.mark.parametrize("value", ["0", "lots", "5000", "nan"])
def test_the_upload_size_limit_is_configured_and_checked(value: str) -> None:
    with pytest.raises(PlannerInputError, match=f"MAX_UPLOAD_MB must be a number of megabytes above 0 and at "
                                                f"most 2048, found '{value}'"):
        settings_from_env({"MAX_UPLOAD_MB": value})
    settings = settings_from_env({"MAX_UPLOAD_MB": "5"})
    assert settings.max_upload_mb == 5.0 and limits_for(settings).max_upload_bytes == 5 * 2**20
    assert settings_from_env({}).max_upload_mb == 100.0


def test_chosen_files_are_named_and_saving_waits_for_a_clean_check() -> None:
    assert data_page.chosen_text(None) == "No file chosen."
    assert data_page.chosen_text(["a.csv", "b.csv"]) == "Chosen: a.csv, b.csv"
    assert enable_saving(None, False) == (True, True)
    assert enable_saving({"passed": False, "warnings": 0}, True) == (True, True)
    assert enable_saving({"passed": True, "warnings": 0}, False) == (False, True)
    assert enable_saving({"passed": True, "warnings": 3}, False) == (True, False)  # accept first
    assert enable_saving({"passed": True, "warnings": 3}, True) == (False, False)


# ---------------------------------------------------------------------------------------
# Jobs: check, save, switch
# ---------------------------------------------------------------------------------------
def test_a_check_lists_problems_in_plain_english_errors_first(request_context: None, settings: Settings,
                                                             tmp_path: Path) -> None:
    bad = indicator_frame().astype(object)
    bad.loc[3, "pop_total"] = "lots"
    files = sample_files(tmp_path, indicators=csv_bytes(bad))
    report, checked, status, *_ = data_job(issue_ticket("check"), files, NO_OPTIONS, settings)
    assert checked["passed"] is False and checked["errors"] == 1 and status is None
    rows = report.children[2].children[2].children  # the table body
    cells = [[texts(c) for c in row.children] for row in rows]
    assert "Error" in cells[0][0] and all("Warning" in row[0] for row in cells[1:])
    assert ('"indicators.csv"' in cells[0][1] and '"row 5"' in cells[0][2] and '"pop_total"' in cells[0][3]
            and "expected a number" in cells[0][4] and "found 'lots'" in cells[0][4])
    assert "Nothing has been saved" in texts(report) and not settings.datasets_folder.exists()


def test_saving_needs_roads_and_refuses_files_that_changed_since_the_check(request_context: None,
                                                                         settings: Settings, tmp_path: Path) -> None:
    files = sample_files(tmp_path)
    _, checked, *_ = data_job(issue_ticket("check"), files, NO_OPTIONS, settings)
    assert checked["passed"] and checked["warnings"] > 0
    _, _, status, *_ = data_job(issue_ticket("apply", digest="0000", note=""), files, NO_OPTIONS, settings)
    assert "The warnings changed since you accepted them" in texts(status)
    _, _, status, *_ = data_job(issue_ticket("apply", digest=checked["digest"], note=""), files, NO_OPTIONS, settings)
    assert "Add the Roads file" in texts(status)
    assert list_versions(settings.datasets_folder) == ()  # nothing saved either time
    assert planner_folder(settings) == str(DEMO_FOLDER)


def test_only_analysts_get_tickets_and_jobs_refuse_forged_or_stale_ones(tmp_path: Path, settings: Settings,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    instance = tmp_path / "accounts"
    app = create_app(Settings(instance_folder=instance, auth_mode="accounts"))
    store = store_for(sqlite_url(instance))
    planner = store.create_user("pat", "a long enough password", Role.PLANNER)
    analyst = store.create_user("ana", "a long enough password", Role.ANALYST)

    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(planner)
        with pytest.raises(PlannerInputError, match="Only analysts and administrators"):
            ticket_for(ids.DATA_CHECK, None, False, None, None)
        assert "Only analysts" in texts(data_view({}))  # the page says so, and the form is disabled
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        begin_session(analyst)
        ticket = ticket_for(ids.DATA_SWITCH, None, False, "v0001", None)
        assert read_ticket(ticket, "switch")["version"] == "v0001"
        with pytest.raises(PlannerInputError, match="Check the files first"):
            ticket_for(ids.DATA_APPLY, None, False, None, None)
        with pytest.raises(PlannerInputError, match="tick the box to accept them"):
            ticket_for(ids.DATA_APPLY, {"passed": True, "warnings": 2, "digest": "x"}, False, None, None)
        forged = {"ticket": ticket["ticket"][:-4] + "AAAA"}
        _, _, status, *_ = data_job(forged, {}, NO_OPTIONS, settings)
        assert "could not be checked" in texts(status)
        monkeypatch.setattr(data_page, "TICKET_MAX_AGE_S", -1)
        _, _, status, *_ = data_job(ticket, {}, NO_OPTIONS, settings)
        assert "could not be checked (it may have expired)" in texts(status)
    close_stores()


def test_a_fault_is_reported_without_a_traceback() -> None:
    outputs = job_failed(RuntimeError("Traceback (most recent call last): secret path /srv/x"))
    shown = texts(outputs[2])
    assert "fault in the planner" in shown and "Traceback" not in shown and "/srv/x" not in shown
    assert outputs[0] is no_update and outputs[1] is no_update


def test_changing_the_files_after_a_check_clears_it() -> None:
    on_load = chosen_outputs([None, ["a.csv"], None, None, None], changed=False)
    assert on_load[:2] == ["No file chosen.", "Chosen: a.csv"] and on_load[5:] == [no_update, no_update]
    changed = chosen_outputs([None] * 5, changed=True)
    assert changed[:5] == ["No file chosen."] * 5 and changed[5] is None
    assert "check them again" in texts(changed[6])


def test_checked_state_keeps_only_what_saving_needs(tmp_path: Path) -> None:
    from geo.ingest.uploads import prepare_upload

    report = prepare_upload(good_upload_set(tmp_path)).report
    state = checked_state(report)
    assert state == {"passed": True, "errors": 0, "warnings": len(report.warnings), "digest": report.warnings_digest}


# ---------------------------------------------------------------------------------------
# Rutland end to end: the page's jobs make a working locality and switch between versions
# ---------------------------------------------------------------------------------------
@pytest.mark.shared_data
def test_rutland_is_saved_used_and_switched_through_the_pages_jobs(request_context: None, settings: Settings,
                                                                   shared_data: Path, tmp_path: Path) -> None:
    paths = rutland_files(shared_data, tmp_path / "files")
    files = browser_files({role: [Upload(p.name, p.read_bytes()) for p in chosen] for role, chosen in paths.items()})
    options = {"locality_name": "Rutland", "adult_share": ADULT_SHARE,
               "columns": "\n".join(f"{k}={v}" for k, v in COLUMNS.items())}
    progress: list[tuple[int, str]] = []
    _, checked, *_ = data_job(issue_ticket("check"), files, options, settings, progress=progress.append)
    assert checked["passed"] and checked["warnings"] > 0 and settings.datasets_folder.exists()
    assert [p.name for p in settings.datasets_folder.iterdir()] == []  # checking saved nothing
    progress.clear()
    _, checked, status, versions, switch_options, in_use, _ = data_job(
        issue_ticket("apply", digest=checked["digest"], note="2019 figures"), files, options, settings,
        progress=progress.append)
    assert "Saved v0001 and switched the planner to it" in texts(status) and in_use == "v0001", texts(status)
    assert checked is None and [o["value"] for o in switch_options] == ["v0001"] and "In use" in texts(versions)
    steps = [text for _, text in progress]
    assert steps[0] == "Reading and checking the files" and "Reading the road network" in steps
    assert steps[-1] == "Putting v0001 in use" and [p for p, _ in progress] == sorted(p for p, _ in progress)
    assert list((settings.cache_folder / "matrices").glob("traveltime_drive_*.npz"))  # travel times built

    folder = planner_folder(settings)
    assert folder == str(settings.datasets_folder / "v0001")  # the planner follows the version in use
    from dashboard.data_access import locality_for
    from dashboard.engine import score_plan

    locality = locality_for(folder)
    assert len(locality.areas) == N_AREAS and locality.biggest_town == "Oakham"
    oakham = locality.towns.set_index("name").geometry["Oakham"]
    result = score_plan(folder, (Hub("H1", "Oakham hub", oakham.x, oakham.y),))
    assert np.isfinite(result.minutes).all() and 0 < result.summary.set_index("group").loc[
        "population", "mean_minutes"] < 30

    services_only = {"services": files["services"]}
    _, checked, *_ = data_job(issue_ticket("check"), services_only, options, settings)
    data_job(issue_ticket("apply", digest=checked["digest"] if checked["warnings"] else None, note=""),
             services_only, options, settings)
    assert active_version_id(settings.datasets_folder) == "v0002"
    _, _, status, _, _, in_use, _ = data_job(issue_ticket("switch", version="v0001"), {}, options, settings)
    assert in_use == "v0001" and "The planner now uses v0001" in texts(status)
    changes = data_page.changes_view(settings.datasets_folder, "v0002")
    assert "Changes in v0001 since v0002" in texts(changes)


def test_new_page_loads_follow_the_version_in_use(app: Any, tmp_path: Path) -> None:
    settings = app.server.config["DSP_SETTINGS"]
    client = app.server.test_client()
    assert "Brackenshire (fictional)" in client.get("/_dash-layout").get_data(as_text=True)
    version = save_with_one_road(settings.datasets_folder, good_upload_set(tmp_path), "Squareshire")
    try:
        layout = client.get("/_dash-layout").get_data(as_text=True)
        assert "Squareshire" in layout and "Brackenshire" not in layout
        assert re.search(r'"dataset_version":\s*"v0001"', layout)  # a new plan is pinned to the version in use
        assert "own data (version v0001)" in layout and "made up" not in layout
        with app.server.test_request_context("/"):
            from dashboard.data_access import current_dataset_version, current_folder

            assert current_folder() == str(version.path) and current_dataset_version() == "v0001"
    finally:
        (settings.datasets_folder / "ACTIVE").unlink()  # the other tests expect the demo
    assert "Brackenshire (fictional)" in client.get("/_dash-layout").get_data(as_text=True)
    assert app.server.config["MAX_CONTENT_LENGTH"] == data_page.max_request_bytes(settings) > 5 * 100 * 2**20


def test_a_version_the_planner_cannot_show_is_never_put_in_use(request_context: None, settings: Settings,
                                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import layout

    def broken_page(*_: Any) -> None:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(layout, "page", broken_page)
    with pytest.raises(PlannerInputError, match=r"v0007 was saved but not put in use: the planner cannot show it"):
        data_page.planner_page_builds(str(DEMO_FOLDER), "v0007")
    monkeypatch.undo()
    data_page.planner_page_builds(str(DEMO_FOLDER), "demo")  # the demo builds


def test_a_plan_made_on_an_older_version_is_rescored_on_the_one_in_use(settings: Settings, tmp_path: Path) -> None:
    from dashboard.planning_panel import initial_plan
    from geo.ingest.uploads import UploadSet

    root = settings.datasets_folder
    good = good_upload_set(tmp_path)
    first = save_with_one_road(root, good, "Squareshire")
    grown = indicator_frame()
    added = 2 * int(grown.loc[5, "pop_total"])  # the sixth area triples
    grown.loc[5, ["pop_total", "pop_male", "pop_female", "pop_adult"]] *= 3
    second = save_with_one_road(root, UploadSet(areas=good.areas, services=good.services,
                                                 indicators=(Upload("indicators.csv", csv_bytes(grown)),)),
                                 "Squareshire")
    assert planner_folder(settings) == str(second.path)
    plan = initial_plan(str(first.path), first.version_id)
    assert plan["dataset_version"] == "v0001"

    result = data_page.rescore_open_plan(settings, plan, "drive")
    before, after, change = result.figure("population", "total")
    assert change == pytest.approx(added) and after == pytest.approx(before + added)
    assert np.isfinite(result.figure("need", "mean_minutes")[:2]).all()
    assert result.data_changes is not None  # need is relative to the locality's mean, so every area's need moves
    moved = result.data_changes.area_changes.query("pop_change != 0")
    assert list(moved["codes_after"]) == [("E01000006",)] and float(moved["pop_change"].iloc[0]) == added
    assert (result.from_version, result.to_version, result.hubs_outside) == ("v0001", "v0002", ())
    view = texts(data_page.rescore_view(result))
    assert "On v0001" in view and "On v0002" in view and f"+{added:,}" in view and "What changed in the data" in view

    with pytest.raises(PlannerInputError, match="made on v0002, the data in use, so its figures are already"):
        data_page.rescore_open_plan(settings, {**plan, "dataset_version": "v0002"}, None)
    with pytest.raises(PlannerInputError, match="made on v0009, which is not among the saved versions"):
        data_page.rescore_open_plan(settings, {**plan, "dataset_version": "v0009"}, None)


@pytest.mark.slow
def test_the_planner_keeps_the_old_version_until_the_new_one_is_built(request_context: None, settings: Settings,
                                                                      tmp_path: Path) -> None:
    root = settings.datasets_folder
    old = save_with_one_road(root, good_upload_set(tmp_path), "Squareshire")
    new = save_with_one_road(root, good_upload_set(tmp_path, with_services=False), "Squareshire", activate=False)
    in_use_at_each_step: list[tuple[str, str]] = []

    def progress(step: tuple[int, str]) -> None:
        in_use_at_each_step.append((step[1], planner_folder(settings)))

    data_page.switch_to(root, new.version_id, cache_dir=settings.cache_folder / "matrices", progress=progress)
    steps = [text for text, _ in in_use_at_each_step]
    assert sum("Building travel times" in text for text in steps) >= 3 and steps[-1] == "Putting v0002 in use"
    assert {folder for _, folder in in_use_at_each_step} == {str(old.path)}  # the old one, all the while
    assert planner_folder(settings) == str(new.path)


def test_the_page_speaks_to_page_users_and_shows_no_server_paths(request_context: None, tmp_path: Path,
                                                                 settings: Settings) -> None:
    """A shapefile with no projection: the page names its own control, never the command line's option."""
    from tests.support.upload_samples import area_frame, shapefile_zip

    files = sample_files(tmp_path)
    files["areas"] = ("areas.zip", data_url(shapefile_zip(area_frame(), tmp_path, drop=(".prj",))))
    report, *_ = data_job(issue_ticket("check"), files, NO_OPTIONS, settings)
    shown = texts(report)
    assert "give the projection under More options (for example EPSG:27700)" in shown and "--crs" not in shown
    assert data_page.page_text(f"{tmp_path}/instance/datasets/v0001/locality.gpkg: file not found") == (
        "locality.gpkg: file not found")
    assert str(tmp_path) not in texts(status_alert_for(f"{tmp_path}/x/y.pbf: cannot read"))


def status_alert_for(message: str) -> Any:
    return data_page.status_alert(message, "danger")


def test_the_report_lists_every_row_and_folds_routine_notes_away() -> None:
    from geo.ingest.report import Issue, ValidationReport

    grouped = Issue("error", "i.csv", None, "All Ages", "709 of 709 rows have this problem (rows 2 to 710); ...",
                    "not_a_number", rows=tuple(range(2, 711)), details=tuple(f"found 'x{n}'" for n in range(709)))
    matters = Issue("warning", "a.geojson", None, "pwc_x", "no population-weighted centroid", "no_centroid")
    routine = Issue("warning", "a.geojson", None, None, "no district column", "default_used")
    view = data_page.report_view(ValidationReport((routine, matters, grouped))).to_plotly_json()
    shown = texts(view)
    assert "rows 2 to 710" in shown and "found 'x708'" in shown and "Each of the 709" in shown  # every row
    first_table, folded = shown.index("What the check found"), shown.index("routine note(s)")
    assert first_table < shown.index("no population-weighted centroid") < folded < shown.index("no district column")
