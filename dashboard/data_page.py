"""The data page (/data): analysts upload their locality's files, read the checks, save a version.

An analyst drops in area boundaries, area figures (indicators), services, a road network
and a 2011-2021 code lookup; "Check the files" lists every problem in plain English
(file, row, column, what is wrong; errors first). Nothing is saved unless the whole set
passes, or passes with warnings the analyst has read and accepted. Saving makes a new
dataset version (see docs/UPLOADS.md); older versions are kept and can be switched back
to, and "What changed since" tells a scenario made on an older version what is different.

Checking, saving and switching run as background jobs (reading a county's road network
and building its travel times can take minutes) with a progress bar and a Cancel button.
The planner keeps using the version in use until the new one is ready: the version is
saved, its travel times are built, and only then is it made the one in use, so a
cancelled or failed job leaves the planner as it was. New page loads then use it.

Who may change data is checked on the server, not by hiding buttons: only analysts and
administrators (everyone in single-user mode) are given a signed ticket to start a job,
and every job checks its ticket before it does anything.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, ctx, dcc, html, no_update
from itsdangerous import BadSignature, URLSafeTimedSerializer

from dashboard import ids, limits
from dashboard.attrs import attrs
from dashboard.auth import current_user
from dashboard.callbacks import CallbackRegistry
from dashboard.config import Settings
from dashboard.data_access import locality_for, planner_folder
from dashboard.engine import DEFAULT_MODE, score_plan, travel_mode
from dashboard.error_pages import without_server_paths
from dashboard.logging_setup import LOGGER_NAME
from dashboard.routes import page_route
from dashboard.store_access import current_settings
from geo.errors import PlannerError, PlannerInputError, UnsafeUploadError, UploadError
from geo.ingest.datasets import (
    DEMO_VERSION,
    ChangeSummary,
    DatasetError,
    DatasetVersion,
    activate_version,
    active_version_id,
    changes_since,
    check_roads,
    check_upload,
    compare_layers,
    dataset_version_of,
    get_version,
    list_versions,
    save_version,
    version_folder,
)
from geo.ingest.files import Upload, UploadLimits, upload_from_bytes
from geo.ingest.gtfs import timetable_summary
from geo.ingest.networks import DEFAULT_NETWORK_MARGIN_KM, MAX_NETWORK_MARGIN_KM
from geo.ingest.report import Issue, ValidationReport, row_ranges, worded
from geo.ingest.rescore import PlanRescore, format_change, format_value, rescore
from geo.ingest.uploads import PreparedUpload, UploadOptions, UploadSet
from geo.network import MODES, Mode
from geo.scenarios import scenario_from_dict
from geo.transit import TimetableChoice
from geo.workspace.accounts import Role

CALLBACKS = CallbackRegistry()
logger = logging.getLogger(f"{LOGGER_NAME}.data")

PATH = "/data"
TICKET_SALT = "dsp-data-job"
TICKET_MAX_AGE_S = 600  # a job must start within this long of the click that asked for it
ProgressFn = Callable[[tuple[int, str]], None]


@dataclass(frozen=True)
class UploadRole:
    """One kind of file the page accepts."""

    key: str
    title: str
    explanation: str
    accept: str
    multiple: bool = False


ROLES = (
    UploadRole("areas", "Area boundaries",
               "The small areas (LSOAs: neighbourhoods of 1,000 to 3,000 residents) as GeoJSON, "
               "GeoPackage, zipped Shapefile or TopoJSON, in any projection.",
               ".geojson,.json,.gpkg,.zip,.topojson"),
    UploadRole("indicators", "Area figures",
               "CSV or Excel tables keyed by area code: population (total, by age and sex), "
               "deprivation (IMD: the Index of Multiple Deprivation), ethnicity, prevalence, and the "
               "ONS population-weighted centroids (where each area's people live, so journeys start "
               "there). You can give several.", ".csv,.txt,.xlsx", multiple=True),
    UploadRole("services", "Services",
               "CSV or Excel: name, where (latitude and longitude, or easting and northing), "
               "budget and clients of each day or vocational service.", ".csv,.txt,.xlsx"),
    UploadRole("roads", "Roads",
               "An OpenStreetMap extract (.osm.pbf) covering the locality, for travel times; roads "
               "up to 10 km beyond its boundary are kept too (see More options). Leave empty to keep "
               "the roads of the version in use.", ".pbf"),
    UploadRole("timetable", "Public transport timetable",
               "Optional: a GTFS zip (bus timetables, for example from the Bus Open Data Service) for "
               "journey times by public transport. Leave empty to keep the timetable of the version in use.",
               ".zip"),
    UploadRole("lookup", "2011 to 2021 code lookup",
               "Optional: a CSV or Excel table of old and new area codes (for example LSOA11CD and "
               "LSOA21CD), to match figures and versions across the two boundary vintages.",
               ".csv,.txt,.xlsx"),
)
ROLE_KEYS = tuple(role.key for role in ROLES)


# ---------------------------------------------------------------------------------------
# Who may change data, and tickets for jobs
# ---------------------------------------------------------------------------------------
def may_change_data() -> bool:
    """True when the person asking may upload data and switch versions (analyst or above)."""
    user = current_user()
    return user is not None and user.role >= Role.ANALYST


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(flask.current_app.secret_key), salt=TICKET_SALT)


def issue_ticket(action: str, **details: Any) -> dict[str, str]:
    """A signed request for a job, given only to someone allowed to change data, and bound to them.

    The job checks the ticket; the job managers (dashboard/limits.py ``admit``) check that whoever
    starts the job is the person it was given to.
    """
    user = current_user()
    if user is None or user.role < Role.ANALYST:
        raise PlannerInputError("Only analysts and administrators can upload data or switch "
                                "versions. Ask one of them, or sign in with an analyst account.")
    return {"ticket": _serializer().dumps({"action": action, "issued": time.time(), "user": user.user_id,
                                           **details})}


def read_ticket(data: Any, action: str | None = None) -> dict[str, Any]:
    """The job request in a ticket, refusing one that is forged, stale or for another job."""
    token = data.get("ticket") if isinstance(data, dict) else None
    try:
        payload = _serializer().loads(str(token), max_age=TICKET_MAX_AGE_S)
    except BadSignature:
        raise PlannerInputError("This request could not be checked (it may have expired): "
                                "reload the page and try again.") from None
    if not isinstance(payload, dict) or (action is not None and payload.get("action") != action):
        raise PlannerInputError("This request could not be checked: reload the page and try again.")
    return payload


# ---------------------------------------------------------------------------------------
# From the browser: files and options
# ---------------------------------------------------------------------------------------
def max_request_bytes(settings: Settings) -> int:
    """The largest request the server accepts: every file of an upload at the size limit,
    base64-encoded as the browser sends them (4 bytes per 3), with room for the rest."""
    return int(len(ROLES) * 2 * settings.max_upload_mb * 2**20 * 4 / 3) + 16 * 2**20


def limits_for(settings: Settings) -> UploadLimits:
    """Upload limits with the configured largest file (MAX_UPLOAD_MB)."""
    return UploadLimits(max_upload_bytes=int(settings.max_upload_mb * 2**20))


def decode_upload(name: str | None, contents: str | None, limits: UploadLimits) -> Upload:
    """One file as dcc.Upload sends it (a base64 data URL), refusing it when too big.

    The size is checked on the encoded text before anything is decoded.
    """
    label = name or "upload"
    if not isinstance(contents, str) or "," not in contents:
        raise UploadError(f"{label}: the browser did not send the file's contents; choose it again")
    header, _, data = contents.partition(",")
    if not header.endswith(";base64"):
        raise UploadError(f"{label}: the browser sent the file in an unexpected form; choose it again")
    if len(data) * 3 // 4 > limits.max_upload_bytes + 2:
        raise UnsafeUploadError(
            f"{label}: the file is about {len(data) * 3 / 4 / 2**20:,.1f} MB; expected at most "
            f"{limits.max_upload_bytes / 2**20:,.1f} MB (the upload size limit)")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError(f"{label}: the file's contents arrived damaged; choose it again") from None
    return upload_from_bytes(label, raw, limits=limits)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def upload_set(files: Mapping[str, tuple[Any, Any]], limits: UploadLimits) -> UploadSet:
    """The files of each role ({role: (file names, contents)}) as an UploadSet.

    A role with no file (``contents`` None, as on page load) is simply absent.
    """
    chosen: dict[str, list[Upload]] = {}
    for role in ROLE_KEYS:
        names, contents = files.get(role, (None, None))
        pairs = list(zip(_as_list(names), _as_list(contents), strict=False))
        chosen[role] = [decode_upload(name, content, limits) for name, content in pairs if content]
    def first(role: str) -> Upload | None:
        return chosen[role][0] if chosen[role] else None

    return UploadSet(areas=first("areas"), indicators=tuple(chosen["indicators"]), services=first("services"),
                     roads=first("roads"), lookup=first("lookup"), timetable=first("timetable"))


def column_mapping(text: str | None) -> dict[str, str]:
    """'HEADER=our_name' lines (or ';'-separated) as a mapping, as the command line's --column."""
    mapping: dict[str, str] = {}
    for line in (text or "").replace(";", "\n").splitlines():
        if not line.strip():
            continue
        source, sep, target = line.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise PlannerInputError(f"Column names: expected HEADER=our_name on each line (for example "
                                    f"'All Ages=pop_total'), found {line.strip()!r}")
        mapping[source.strip()] = target.strip()
    return mapping


def timetable_options(service_date: str | None, window: str | None) -> TimetableChoice:
    """The timetable's day (empty: the feed's busiest weekday) and window (empty: 08:00-10:00)."""
    day = None
    if (service_date or "").strip():
        try:
            day = dt.date.fromisoformat(str(service_date).strip())
        except ValueError as error:
            raise PlannerInputError(
                f"Service day: expected a date such as 2023-06-13, found {service_date!r}") from error
    if not (window or "").strip():
        return TimetableChoice(service_date=day)
    start, sep, end = str(window).partition("-")
    if not sep:
        raise PlannerInputError(f"Departure window: expected HH:MM-HH:MM such as 08:00-10:00, found {window!r}")
    choice = TimetableChoice(service_date=day, window_start=start.strip(), window_end=end.strip())
    choice.settings()  # refuses a malformed or empty window, saying why
    return choice



# The form's choices, by the UploadOptions field each one sets (the order of OPTION_STATES).
FORM_OPTIONS = {
    "locality_name": ids.DATA_LOCALITY_NAME, "adult_share": ids.DATA_ADULT_SHARE, "crs": ids.DATA_CRS,
    "columns": ids.DATA_COLUMNS, "layer": ids.DATA_LAYER, "sheet": ids.DATA_SHEET, "header_row": ids.DATA_HEADER_ROW,
    "network_margin_km": ids.DATA_NETWORK_MARGIN, "service_date": ids.DATA_SERVICE_DATE, "window": ids.DATA_WINDOW,
}


def _number(value: Any, label: str, low: float, high: float, example: str, *, above_low: bool = False) -> float | None:
    """A number typed in the form, or None when left blank; one outside its range is refused by name."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (low < number <= high if above_low else low <= number <= high):
        bound = "above" if above_low else "at least"
        raise PlannerInputError(f"{label}: expected a number {bound} {low:g} and at most {high:g} (such as "
                                f"{example}), found {value!r}")
    return number


def upload_options(form: Mapping[str, Any], limits: UploadLimits) -> UploadOptions:
    """The form's choices (by FORM_OPTIONS key) as UploadOptions, refusing numbers out of range."""
    def text(key: str) -> str | None:
        return str(form.get(key) or "").strip() or None

    margin = _number(form.get("network_margin_km"), "Roads beyond the boundary", 0, MAX_NETWORK_MARGIN_KM,
                     f"{DEFAULT_NETWORK_MARGIN_KM:g}")
    header_row = _number(form.get("header_row"), "Row holding the column names", 1, 10_000, "3")
    if header_row is not None and not header_row.is_integer():
        raise PlannerInputError(f"Row holding the column names: expected a whole number, found {form['header_row']!r}")
    return UploadOptions(
        crs=text("crs"), layer=text("layer"), sheet=text("sheet"), columns=column_mapping(form.get("columns")),
        adult_share=_number(form.get("adult_share"), "Share of residents who are adults", 0, 1, "0.79",
                            above_low=True),
        locality_name=text("locality_name") or "Uploaded locality", limits=limits,
        network_margin_km=DEFAULT_NETWORK_MARGIN_KM if margin is None else margin,
        timetable=timetable_options(form.get("service_date"), form.get("window")),
        header_row=None if header_row is None else int(header_row))


# ---------------------------------------------------------------------------------------
# The jobs (plain functions: the background callback only unpacks and hands over)
# ---------------------------------------------------------------------------------------
def check_files(root: Path, uploads: UploadSet, options: UploadOptions,
                progress: ProgressFn | None = None) -> PreparedUpload:
    """Check an upload against the version in use, road network included; writes nothing
    (but a scratch copy of the road extract inside the data folder, removed at once)."""
    _say(progress, 10, "Reading and checking the files")
    prepared = check_upload(root, uploads, options=options)
    if uploads.roads is not None:
        _say(progress, 40, "Reading the road network")
    return check_roads(root, prepared)


def apply_files(root: Path, prepared: PreparedUpload, *, accepted_digest: str | None, note: str,
                locality_name: str, cache_dir: Path, progress: ProgressFn | None = None) -> DatasetVersion:
    """Save a checked upload as a new version, build its travel times, then put it in use.

    The version is saved without being made active, so the planner keeps the old one while
    the travel times are built; a job stopped part-way leaves a saved version not in use.
    """
    if not prepared.report.can_apply(accepted_digest):
        if prepared.report.passed:
            raise PlannerInputError("The warnings changed since you accepted them (a file may have "
                                    "changed): check the files again, read the warnings and accept them.")
        raise PlannerInputError(f"Nothing was saved: the files have {len(prepared.report.errors)} "
                                "error(s). Check them again to see the list.")
    if prepared.uploads.roads is None and not _roads_in_use(root):
        raise PlannerInputError("Nothing was saved. Add the Roads file (an OpenStreetMap extract of the "
                                "locality): the planner needs a road network for travel times, and there is "
                                "no saved version with roads to keep.")
    _say(progress, 45, "Saving the new version and building its road network")
    version = save_version(root, prepared, accepted_warnings=accepted_digest, note=note,
                           activate=False, locality_name=locality_name)
    return switch_to(root, version.version_id, cache_dir=cache_dir, progress=progress, start=60)


def switch_to(root: Path, version_id: str, *, cache_dir: Path, progress: ProgressFn | None = None,
              start: int = 10) -> DatasetVersion:
    """Build a version's travel times for every mode (kept on disk), then make it the one in use."""
    from dashboard.jobs import MatrixRequest, matrix_summary

    version = get_version(root, version_id)
    if not version.has_roads:
        raise PlannerInputError(f"{version_id} has no road network, so the planner cannot work out "
                                "travel times with it. Upload an OpenStreetMap extract (Roads) with it.")
    folder = str(version_folder(root, version_id))
    step = (95 - start) / len(MODES)
    for number, mode in enumerate(MODES):
        _say(progress, int(start + number * step),
             f"Building travel times: {travel_mode(str(folder), mode).label.lower()} ({number + 1} of {len(MODES)})")
        matrix_summary(folder, MatrixRequest(mode=mode), cache_dir=cache_dir)
    _say(progress, 96, "Checking that the planner can show it")
    planner_page_builds(folder, version_id)
    _say(progress, 98, f"Putting {version_id} in use")
    return activate_version(root, version_id)


def planner_page_builds(folder: str, version_id: str) -> None:
    """Build the planner's page for a version before it is put in use.

    Every page load builds the planner, the data page included, so a version the planner
    cannot show would lock everyone out, even from switching back. A fault here is logged
    and the version is left out of use.
    """
    from dashboard import layout
    from dashboard.data_access import locality_for

    try:
        layout.page(locality_for(folder), folder)
    except PlannerError:
        raise
    except Exception as error:  # deliberately broad: keeps the app usable; the fault is logged
        logger.error("the planner cannot show %s", version_id, exc_info=error)
        raise PlannerInputError(
            f"{version_id} was saved but not put in use: the planner cannot show it yet (a fault in the "
            "planner, recorded in the server's log). The data in use has not changed.") from None


def rescore_open_plan(settings: Settings, plan: Any, mode: Mode | None) -> PlanRescore:
    """Score a plan on the dataset version it was made on and on the version in use.

    Refuses (with a message) a plan made on the data in use, or on a version this
    installation does not hold or that has no road network.
    """
    content = scenario_from_dict(plan)
    pinned = content.dataset_version
    target_folder = planner_folder(settings)
    target = dataset_version_of(target_folder)
    if pinned == target:
        raise PlannerInputError(f"The plan open in the planner was made on {_version_name(pinned)}, the data "
                                "in use, so its figures are already up to date.")
    root = settings.datasets_folder
    if pinned == DEMO_VERSION:
        pinned_folder = str(settings.data_folder)
    else:
        try:
            version = get_version(root, pinned)
        except DatasetError:
            raise PlannerInputError(f"The plan was made on {pinned}, which is not among the saved versions "
                                    "here, so it cannot be re-scored on it.") from None
        if not version.has_roads:
            raise PlannerInputError(f"The plan was made on {pinned}, which has no road network, so its "
                                    "journey times cannot be worked out again.")
        pinned_folder = str(version.path)
    chosen = mode or DEFAULT_MODE
    before = score_plan(pinned_folder, content.hubs, chosen)
    after = score_plan(target_folder, content.hubs, chosen)
    return rescore(content.hubs, before, after, areas_after=locality_for(target_folder).areas,
                   from_version=pinned, to_version=target,
                   data_changes=_data_changes(settings, pinned, pinned_folder, target, target_folder))


def _data_changes(settings: Settings, pinned: str, pinned_folder: str, target: str,
                  target_folder: str) -> ChangeSummary:
    """What changed in the data between two versions (the demo compared layer by layer)."""
    if DEMO_VERSION not in (pinned, target):
        return changes_since(settings.datasets_folder, pinned, to_version=target)
    old, new = locality_for(pinned_folder), locality_for(target_folder)
    return compare_layers(old.areas, new.areas, old_services=old.services, new_services=new.services,
                          from_version=pinned, to_version=target)


def _version_name(version_id: str) -> str:
    return "the demo data" if version_id == DEMO_VERSION else version_id


def _roads_in_use(root: Path) -> bool:
    """True when the version in use has road tables a new version can keep."""
    version_id = _in_use(root)
    return version_id is not None and get_version(root, version_id).has_roads


def _say(progress: ProgressFn | None, percent: int, text: str) -> None:
    if progress is not None:
        progress((percent, text))


# ---------------------------------------------------------------------------------------
# Builders: results -> components
# ---------------------------------------------------------------------------------------
def _where(issue: Issue) -> tuple[str, str]:
    if issue.row is not None:
        row = f"{issue.row_label} {issue.row}"
    elif issue.rows:
        row = row_ranges(issue.rows, issue.row_label)
    else:
        row = "-"
    return row, issue.column or "-"


def page_text(text: str) -> str:
    """A message as a page user reads it: choices named by the page's controls, and no server paths
    (a folder on the server means nothing to them and says too much to anyone else)."""
    return without_server_paths(worded(text, "page"))


def issue_rows(issues: Sequence[Issue]) -> list[html.Tr]:
    """The report table's rows: a problem found in several rows is one row, its every row listed below it."""
    rows = []
    for issue in issues:
        row, column = _where(issue)
        label = "Error" if issue.severity == "error" else "Warning"
        each = html.Details([html.Summary(f"Each of the {len(issue.details):,}"),
                             html.Ul([html.Li(page_text(d)) for d in issue.details], className="mb-0")]) \
            if issue.details else None
        rows.append(html.Tr(className=f"issue-{issue.severity}", children=[
            html.Td(html.Span(label, className=f"issue-badge issue-badge-{issue.severity}")),
            html.Td(issue.file), html.Td(row), html.Td(column), html.Td([page_text(issue.message), each])]))
    return rows


def issue_table(caption: str, issues: Sequence[Issue]) -> html.Table:
    return html.Table(className="table table-sm data-report-table mb-1", children=[
        html.Caption(caption, className="caption-top"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in ("", "File", "Row", "Column", "What is wrong")])),
        html.Tbody(issue_rows(issues)),
    ])


def report_view(report: ValidationReport, uploads: UploadSet | None = None) -> html.Div:
    """The check's result in plain English: a summary, then every problem, errors first, then the
    warnings that change results; routine notes (defaults used, values left empty) folded below."""
    errors, warnings, routine = report.errors, report.notable_warnings, report.routine_notes
    if errors:
        summary = dbc.Alert(color="danger", className="mb-2", children=[
            html.Strong(f"{len(errors):,} problem(s) must be fixed before anything can be saved. "),
            "Nothing has been saved. Fix the files and check them again.",
            f" There are also {len(report.warnings):,} warning(s)." if report.warnings else ""])
    elif report.warnings:
        summary = dbc.Alert(color="warning", className="mb-2", children=[
            html.Strong(f"No errors, {len(warnings):,} warning(s) that change results"
                        + (f" and {len(routine):,} routine note(s). " if routine else ". ")),
            "Read them: they say what was repaired, estimated or left empty. If they are acceptable, "
            "tick the box below them and save."])
    else:
        summary = dbc.Alert("No problems found. You can save these files as a new version.",
                            color="success", className="mb-2")
    files = [] if uploads is None else [
        html.Li(f"{upload.name} ({_size(len(upload.content))}): {role}") for role, upload in uploads.files()]
    notes = html.Details(className="data-routine-notes", children=[
        html.Summary(f"{len(routine):,} routine note(s): documented defaults used and values left empty"),
        issue_table("Routine notes", routine)]) if routine else None
    return html.Div(className="data-report", children=[
        summary,
        html.Details([html.Summary("Files checked"), html.Ul(files, className="mb-1")]) if files else None,
        issue_table("What the check found", errors + warnings) if errors or warnings else None,
        notes,
    ])


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.1f} MB" if n_bytes >= 2**20 else f"{max(n_bytes / 2**10, 0.1):,.1f} KB"


def checked_state(report: ValidationReport) -> dict[str, Any]:
    """What the browser keeps about the last check (enough to enable saving, nothing more)."""
    return {"passed": report.passed, "errors": len(report.errors), "warnings": len(report.warnings),
            "digest": report.warnings_digest}


def _changes_line(changes: Mapping[str, Any]) -> str:
    """A one-line summary of a manifest's changes since the version before."""
    if not changes.get("from_version"):
        return "First version."
    parts = []
    for key, label in (("areas_added", "areas added"), ("areas_removed", "areas removed")):
        if changes.get(key):
            parts.append(f"{len(changes[key]):,} {label}")
    if changes.get("areas_recoded"):
        parts.append(f"{len(changes['areas_recoded']):,} codes matched through the lookup")
    pop = float(changes.get("pop_after", 0)) - float(changes.get("pop_before", 0))
    need = float(changes.get("need_after", 0)) - float(changes.get("need_before", 0))
    if abs(pop) >= 0.5 or abs(need) >= 0.5:
        parts.append(f"residents {pop:+,.0f}, need {need:+,.0f}")
    for key, label in (("services_added", "services added"), ("services_removed", "services removed"),
                       ("services_changed", "services changed")):
        if changes.get(key):
            parts.append(f"{len(changes[key]):,} {label}")
    since = f"Since {changes['from_version']}: "
    return since + ("; ".join(parts) if parts else "nothing that affects the scores.")


def versions_view(versions: Sequence[DatasetVersion], in_use: str | None) -> Any:
    """The saved versions, newest first, the one in use marked, each with what changed."""
    if not versions:
        return html.P("No versions saved yet: the planner uses the demo data (Brackenshire, fictional) "
                      "until you save your own.", className="mb-0")
    items = []
    for version in reversed(versions):
        mark = html.Span("In use", className="version-in-use") if version.version_id == in_use else None
        saved = version.created_utc.replace("T", " ").replace("+00:00", " UTC")
        roads = "" if version.has_roads else " · no road network, so it cannot be used"
        items.append(html.Li(className="version-item", children=[
            html.Div([html.Strong(version.version_id), mark, f" {version.locality_name}, saved {saved}"]),
            html.Div(f"{version.n_areas:,} areas · {version.n_services:,} services · "
                     f"{version.pop_total:,.0f} residents{roads}", className="small"),
            html.Div(f"Note: {version.note}", className="small") if version.note else None,
            html.Div(_changes_line(version.changes), className="small text-muted"),
        ]))
    return html.Div([html.H3("Saved versions, newest first", className="visually-hidden"),
                     html.Ul(items, className="version-list list-unstyled mb-0")])


def version_options(versions: Sequence[DatasetVersion], *, usable_only: bool) -> list[dict[str, Any]]:
    return [{"label": f"{v.version_id}: {v.locality_name}" + (f" ({v.note})" if v.note else ""),
             "value": v.version_id} for v in reversed(versions) if v.has_roads or not usable_only]


def changes_view(root: Path, since: str | None) -> Any:
    """'What changed since' a version, up to the version in use, as plain-English lines."""
    if not since:
        return html.P("Choose a version to compare with the one in use.", className="mb-0")
    summary = changes_since(root, since)
    lines = summary.to_text().splitlines()
    return html.Div(className="changes-report", children=[
        html.P(lines[0], className="fw-semibold mb-1"),
        html.Ul([html.Li(line.strip()) for line in lines[1:]], className="mb-0")])


def rescore_view(result: PlanRescore) -> html.Div:
    """The plan's headline figures on the version it was made on and on the one in use."""
    made_on, in_use = _version_name(result.from_version), _version_name(result.to_version)
    labels = list(result.figures["label"])
    firsts = [i == 0 or labels[i] != labels[i - 1] for i in range(len(labels))]
    rows = [html.Tr(className="rescore-group-start" if first else None, children=[
                    html.Th(row["label"] if first else "", scope="row"), html.Td(row["what"]),
                     html.Td(format_value(row["measure"], row["before"]), className="text-end"),
                     html.Td(format_value(row["measure"], row["after"]), className="text-end"),
                     html.Td(format_change(row["measure"], row["change"]))])
            for first, (_, row) in zip(firsts, result.figures.iterrows(), strict=True)]
    table = html.Table(className="table table-sm rescore-table mb-2", children=[
        html.Caption(f"The same hubs on {made_on} (when the plan was made) and on {in_use} (in use now)",
                     className="caption-top"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in
                            ("Who", "Figure", f"On {made_on}", f"On {in_use}", "Change")])),
        html.Tbody(rows)])
    outside = dbc.Alert(
        f"{len(result.hubs_outside):,} hub(s) stand outside the areas of {in_use}: "
        f"{', '.join(result.hubs_outside)}. Move them before relying on these figures.",
        color="warning", className="mb-2") if result.hubs_outside else None
    changes = None
    if result.data_changes is not None:
        lines = result.data_changes.to_text().splitlines()
        changes = html.Details([html.Summary("What changed in the data"),
                                html.Ul([html.Li(line.strip()) for line in lines[1:]], className="mb-0")])
    return html.Div(className="rescore-report", children=[outside, table, changes])


def _in_use(root: Path) -> str | None:
    try:
        return active_version_id(root)
    except PlannerError:
        return None


def status_alert(message: str, colour: str = "info", *, planner_link: bool = False) -> dbc.Alert:
    """A message for the page; the server's folders are cut out of it (only a file's own name is kept)."""
    link = [" ", html.A("Open the planner with it", href="/", className="alert-link")] if planner_link else []
    return dbc.Alert([page_text(message), *link], color=colour, className="mb-0")


# ---------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------
def upload_box(role: UploadRole) -> html.Div:
    return html.Div(className="upload-row", children=[
        html.H3(role.title, className="h6 mb-1", id=f"{ids.DATA_UPLOADS[role.key]}-title"),
        html.P(role.explanation, className="small mb-1"),
        dcc.Upload(id=ids.DATA_UPLOADS[role.key], multiple=role.multiple, accept=role.accept,
                   className="upload-zone", className_active="upload-zone-active",
                   children=html.Div([
                       html.Span("Drop the file" + ("s" if role.multiple else "") + " here, or "),
                       html.Span("choose " + ("files" if role.multiple else "a file"), className="upload-link"),
                   ], role="button", tabIndex="0",
                       **attrs({"aria-label": f"{role.title}: choose " + ("files" if role.multiple else "a file")}))),
        html.Div(id={"type": ids.DATA_CHOSEN, "role": role.key}, className="upload-chosen small",
                 **attrs({"aria-live": "polite"})),
    ])


def options_box() -> html.Div:
    return html.Div(className="data-options", children=[
        dbc.Label("Name of the locality", html_for=ids.DATA_LOCALITY_NAME, className="fw-semibold mb-1"),
        dbc.Input(id=ids.DATA_LOCALITY_NAME, type="text", maxLength=80, placeholder="for example Rutland",
                  debounce=True),
        dbc.Label("Share of residents who are adults (18 and over)", html_for=ids.DATA_ADULT_SHARE,
                  className="fw-semibold mt-2 mb-1"),
        dbc.Input(id=ids.DATA_ADULT_SHARE, type="number", min=0.01, max=1, step=0.01, debounce=True,
                  placeholder="only if your figures have no adult counts, e.g. 0.79"),
        html.Details(className="mt-2", children=[
            html.Summary("More options: roads beyond the boundary, projection, layer, sheet, header row and "
                         "column names"),
            dbc.Label("Roads beyond the boundary (km)", html_for=ids.DATA_NETWORK_MARGIN, className="mt-2 mb-1"),
            dbc.Input(id=ids.DATA_NETWORK_MARGIN, type="number", min=0, max=MAX_NETWORK_MARGIN_KM, step=1,
                      debounce=True, placeholder=f"{DEFAULT_NETWORK_MARGIN_KM:g} (the default)"),
            html.P(className="small mb-0", children=(
                "Roads this far outside the areas are kept, so journeys may leave the locality and come back "
                "in, and services just across the border are reached by the roads people use.")),
            dbc.Label("Projection of an areas file that declares none", html_for=ids.DATA_CRS,
                      className="mt-2 mb-1"),
            dbc.Input(id=ids.DATA_CRS, type="text", maxLength=40, placeholder="for example EPSG:27700",
                      debounce=True),
            dbc.Label("Layer of the areas file that holds the areas (when it has several)",
                      html_for=ids.DATA_LAYER, className="mt-2 mb-1"),
            dbc.Input(id=ids.DATA_LAYER, type="text", maxLength=80, debounce=True,
                      placeholder="the layer's name, or the shapefile's name in a zip"),
            dbc.Label("Sheet of the Excel workbooks to read (when they have several)", html_for=ids.DATA_SHEET,
                      className="mt-2 mb-1"),
            dbc.Input(id=ids.DATA_SHEET, type="text", maxLength=80, debounce=True,
                      placeholder="the sheet's name, for example Data"),
            dbc.Label("Row holding the column names in the tables (when it is not found)",
                      html_for=ids.DATA_HEADER_ROW, className="mt-2 mb-1"),
            dbc.Input(id=ids.DATA_HEADER_ROW, type="number", min=1, step=1, debounce=True,
                      placeholder="found by the checks; or a row number, for example 3"),
            dbc.Label("Column names the checks do not recognise, one per line as HEADER=our_name",
                      html_for=ids.DATA_COLUMNS, className="mt-2 mb-1"),
            dbc.Textarea(id=ids.DATA_COLUMNS, rows=3, debounce=True,
                         placeholder="overall_local_score=imd_score\noriginal_decile=imd_decile"),
            html.P(className="small mb-0", children=(
                "Our names include pop_total (residents), pop_adult (adults), imd_score and imd_decile "
                "(deprivation; decile 1 = most deprived tenth of England), smi_prevalence_pct and "
                "cmd_prevalence_pct (severe mental illness and common mental disorders, % of adults); "
                "docs/UPLOADS.md lists every name.")),
        ]),
        html.Details(className="mt-2", children=[
            html.Summary("Timetable: the day and the departure window"),
            dbc.Label("The weekday to route on (empty: the feed's busiest weekday)",
                      html_for=ids.DATA_SERVICE_DATE, className="mt-2 mb-1"),
            dbc.Input(id=ids.DATA_SERVICE_DATE, type="text", maxLength=10, placeholder="for example 2023-06-13",
                      debounce=True),
            dbc.Label("People leave between (empty: 08:00-10:00)", html_for=ids.DATA_WINDOW, className="mt-2 mb-1"),
            dbc.Input(id=ids.DATA_WINDOW, type="text", maxLength=11, placeholder="08:00-10:00", debounce=True),
            html.P("Journey times by public transport are the median over each minute people could leave "
                   "in the window, as Conveyal and r5 report them.", className="small mb-0"),
        ]),
    ])


def upload_card(allowed: bool, max_upload_mb: float) -> dbc.Card:
    notice = None if allowed else dbc.Alert(
        "Only analysts and administrators can upload data or switch versions. You can look at the "
        "versions and what changed.", color="info")
    return dbc.Card(className="panel-card", children=[
        dbc.CardHeader(html.H2("Upload new data", className="h5 mb-0")),
        dbc.CardBody([
            notice,
            html.Fieldset(id=ids.DATA_FORM, disabled=not allowed, children=[
                html.Legend("Files and choices", className="visually-hidden"),
                html.P(className="small", children=(
                    f"Each file may be up to {max_upload_mb:,.0f} MB. Upload areas with their figures to "
                    "replace the areas; services or roads alone replace only those. Nothing is saved until "
                    "the whole set passes the checks.")),
                html.Div(className="upload-grid", children=[upload_box(role) for role in ROLES]),
                options_box(),
                html.Div(className="d-flex flex-wrap gap-2 mt-3", children=[
                    dbc.Button("Check the files", id=ids.DATA_CHECK, color="primary"),
                    dbc.Button("Start again", id=ids.DATA_CLEAR, color="secondary", outline=True),
                ]),
                html.Div(id=ids.DATA_REPORT, className="mt-3", **attrs({"aria-live": "polite"})),
                html.Div(id=ids.DATA_ACCEPT_BOX, hidden=True, className="mt-2", children=[
                    dbc.Checkbox(id=ids.DATA_ACCEPT, value=False,
                                 label="I have read the warnings above and accept them"),
                ]),
                dbc.Label("Note kept with the version", html_for=ids.DATA_NOTE, className="mt-2 mb-1"),
                dbc.Input(id=ids.DATA_NOTE, type="text", maxLength=200, placeholder="for example 2024 refresh"),
                dbc.Button("Save as a new version and use it", id=ids.DATA_APPLY, color="success",
                           className="mt-2", disabled=True),
            ]),
            html.Div(id=ids.DATA_NOTICE, className="mt-2", role="status"),
            html.Div(id=ids.DATA_PROGRESS_BOX, hidden=True, className="data-progress mt-3", children=[
                html.P(id=ids.DATA_PROGRESS_TEXT, className="mb-1", role="status"),
                dbc.Progress(id=ids.DATA_PROGRESS, value=0, striped=True, animated=True, className="mb-2"),
                html.P(className="small mb-1", children="The planner keeps using the data in use until this "
                       "finishes."),
                dbc.Button("Cancel", id=ids.DATA_CANCEL, color="danger", outline=True, size="sm"),
            ]),
            html.Div(id=ids.DATA_STATUS, className="mt-3"),
        ]),
    ])


def versions_card(root: Path, versions: Sequence[DatasetVersion], in_use: str | None, allowed: bool,
                  since: str | None) -> dbc.Card:
    since_options = version_options(versions, usable_only=False)
    since_value = since if since in {o["value"] for o in since_options} else None
    return dbc.Card(className="panel-card", children=[
        dbc.CardHeader(html.H2("Saved versions", className="h5 mb-0")),
        dbc.CardBody([
            html.Div(id=ids.DATA_VERSIONS, children=versions_view(versions, in_use)),
            html.H3("Switch the planner to another version", className="h6 mt-3"),
            html.Div(className="d-flex flex-wrap gap-2 align-items-end", children=[
                html.Div(className="version-pick", children=[
                    dbc.Label("Version", html_for=ids.DATA_SWITCH_PICK, className="mb-1"),
                    dcc.Dropdown(id=ids.DATA_SWITCH_PICK, options=version_options(versions, usable_only=True),
                                 value=in_use, clearable=False, placeholder="Choose a version",
                                 disabled=not allowed),
                ]),
                dbc.Button("Switch", id=ids.DATA_SWITCH, color="primary", disabled=not allowed),
            ]),
            html.H3("What changed since an older version", className="h6 mt-3"),
            html.P(id=ids.DATA_PLAN_VERSION, className="small mb-1"),
            html.Div(className="d-flex flex-wrap gap-2 align-items-end", children=[
                html.Div(className="version-pick", children=[
                    dbc.Label("Since", html_for=ids.DATA_SINCE_PICK, className="mb-1"),
                    dcc.Dropdown(id=ids.DATA_SINCE_PICK, options=since_options, value=since_value,
                                 placeholder="Choose a version"),
                ]),
                dbc.Button("Show what changed", id=ids.DATA_SINCE, color="secondary", outline=True),
            ]),
            html.Div(id=ids.DATA_CHANGES, className="mt-2", **attrs({"aria-live": "polite"}),
                     children=_safe_changes(root, since_value) if since_value else None),
            html.H3("Re-score the plan on the data in use", className="h6 mt-3"),
            html.P(className="small mb-1", children=(
                "A plan keeps the version of the data it was made on. See how the same hubs do on the data "
                "in use now: journey times and who is within reach, then and now.")),
            dbc.Button("Re-score the plan open in the planner", id=ids.DATA_RESCORE_BUTTON,
                       color="secondary", outline=True),
            html.Div(id=ids.DATA_RESCORE, className="mt-2", **attrs({"aria-live": "polite"})),
        ]),
    ])


def _safe_changes(root: Path, since: str | None) -> Any:
    try:
        return changes_view(root, since)
    except PlannerError as error:
        return status_alert(str(error), "warning")


@page_route(PATH, "Data")
def data_view(query: dict[str, str]) -> html.Div:
    """The data page: upload and check, then the saved versions."""
    settings = current_settings()
    root = settings.datasets_folder
    try:
        versions = list_versions(root)
        problem = None
    except PlannerError as error:  # a damaged manifest: say so, keep the page usable
        versions, problem = (), status_alert(str(error), "warning")
    in_use = _in_use(root)
    allowed = may_change_data()
    folder = planner_folder(settings)
    using = (f"The planner uses {in_use}." if in_use and folder != str(settings.data_folder)
             else "The planner uses the data it was started with (the demo by default).")
    return html.Div(className="page data-page", children=[
        html.H2("Your locality's data", className="h3"),
        html.P([using, " Upload your own areas, figures, services and roads here; every upload is checked "
                "first and kept as a version you can switch back to."]),
        problem,
        dcc.Store(id=ids.DATA_CHECKED),
        dcc.Store(id=ids.DATA_TICKET),
        html.Div(className="data-columns", children=[
            upload_card(allowed, settings.max_upload_mb),
            versions_card(root, versions, in_use, allowed, query.get("since")),
        ]),
    ])


# ---------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------
UPLOAD_STATES = [State(ids.DATA_UPLOADS[role], prop) for role in ROLE_KEYS for prop in ("filename", "contents")]
OPTION_STATES = [State(component, "value") for component in FORM_OPTIONS.values()]


def chosen_text(names: Any) -> str:
    listed = [str(n) for n in _as_list(names)]
    return "Chosen: " + ", ".join(listed) if listed else "No file chosen."


@CALLBACKS.callback([Output({"type": ids.DATA_CHOSEN, "role": role}, "children") for role in ROLE_KEYS]
                    + [Output(ids.DATA_CHECKED, "data", allow_duplicate=True),
                       Output(ids.DATA_REPORT, "children", allow_duplicate=True)],
                    [Input(ids.DATA_UPLOADS[role], "filename") for role in ROLE_KEYS]
                    + [Input(component, "value") for component in FORM_OPTIONS.values()],
                    prevent_initial_call="initial_duplicate")
def show_chosen(*values: Any) -> list[Any]:
    """Name the chosen files; a change after a check means the files must be checked again."""
    return chosen_outputs(values[:len(ROLE_KEYS)], changed=ctx.triggered_id is not None)


def chosen_outputs(names_by_role: Sequence[Any], *, changed: bool) -> list[Any]:
    """The chosen files' names and, after a change (not on page load), a cleared check."""
    texts = [chosen_text(names) for names in names_by_role]
    if not changed:
        return [*texts, no_update, no_update]
    return [*texts, None, html.P("The files or choices changed: check them again before saving.",
                                 className="small text-muted mb-0")]


@CALLBACKS.callback([Output(ids.DATA_UPLOADS[role], "contents") for role in ROLE_KEYS]
                    + [Output(ids.DATA_UPLOADS[role], "filename") for role in ROLE_KEYS],
                    Input(ids.DATA_CLEAR, "n_clicks"), prevent_initial_call=True)
def clear_files(_clicks: Any) -> list[None]:
    return [None] * (2 * len(ROLE_KEYS))


@CALLBACKS.callback(Output(ids.DATA_APPLY, "disabled"), Output(ids.DATA_ACCEPT_BOX, "hidden"),
                    Input(ids.DATA_CHECKED, "data"), Input(ids.DATA_ACCEPT, "value"))
def enable_saving(checked: Any, accepted: Any) -> tuple[bool, bool]:
    """Saving is possible after a check with no errors, and warnings (if any) accepted."""
    if not isinstance(checked, dict) or not checked.get("passed"):
        return True, True
    has_warnings = bool(checked.get("warnings"))
    return (has_warnings and not accepted), not has_warnings


@CALLBACKS.callback(Output(ids.DATA_TICKET, "data"), Output(ids.DATA_NOTICE, "children"),
                    Input(ids.DATA_CHECK, "n_clicks"), Input(ids.DATA_APPLY, "n_clicks"),
                    Input(ids.DATA_SWITCH, "n_clicks"),
                    State(ids.DATA_CHECKED, "data"), State(ids.DATA_ACCEPT, "value"),
                    State(ids.DATA_SWITCH_PICK, "value"),
                    State(ids.DATA_NOTE, "value"), prevent_initial_call=True)
def request_job(_check: Any, _apply: Any, _switch: Any, checked: Any, accepted: Any, pick: Any,
                note: Any) -> tuple[Any, Any]:
    """Check who is asking, then hand the browser a signed ticket that starts the job."""
    try:
        return ticket_for(str(ctx.triggered_id), checked, accepted, pick, note), None
    except PlannerError as error:
        return no_update, status_alert(str(error), "warning")


def ticket_for(trigger: str, checked: Any, accepted: Any, pick: Any, note: Any) -> dict[str, str]:
    """The ticket for the button pressed (refused for someone who may not change data)."""
    if trigger == ids.DATA_CHECK:
        return issue_ticket("check")
    if trigger == ids.DATA_APPLY:
        if not isinstance(checked, dict) or not checked.get("passed"):
            raise PlannerInputError("Check the files first: saving needs a check with no errors.")
        if checked.get("warnings") and not accepted:
            raise PlannerInputError("Read the warnings and tick the box to accept them before saving.")
        digest = str(checked.get("digest")) if checked.get("warnings") else None
        return issue_ticket("apply", digest=digest, note=str(note or "")[:200])
    if trigger == ids.DATA_SWITCH:
        if not pick:
            raise PlannerInputError("Choose the version to switch to.")
        return issue_ticket("switch", version=str(pick))
    raise PlannerInputError(f"Nothing to do for {trigger}.")


JOB_OUTPUTS = [Output(ids.DATA_REPORT, "children"), Output(ids.DATA_CHECKED, "data"),
               Output(ids.DATA_STATUS, "children"), Output(ids.DATA_VERSIONS, "children"),
               Output(ids.DATA_SWITCH_PICK, "options"), Output(ids.DATA_SWITCH_PICK, "value"),
               Output(ids.DATA_SINCE_PICK, "options")]


def job_failed(error: Exception) -> list[Any]:
    """A fault in the planner (not in the files): a plain message; the details go to the log."""
    refused = limits.refusal(error)  # not let start: someone else's ticket, or too many jobs running
    if refused is not None:
        return [no_update, no_update, status_alert(refused, "warning"), no_update, no_update, no_update, no_update]
    logger.error("data job failed", exc_info=error)
    message = ("The job stopped because of a fault in the planner; nothing was changed that the "
               "planner uses. The details are in the server's log.")
    return [no_update, no_update, status_alert(message, "danger"), no_update, no_update, no_update, no_update]


@CALLBACKS.callback(*JOB_OUTPUTS, Input(ids.DATA_TICKET, "data"), *UPLOAD_STATES, *OPTION_STATES,
                    background=True, prevent_initial_call=True, on_error=job_failed,
                    progress=[Output(ids.DATA_PROGRESS, "value"), Output(ids.DATA_PROGRESS, "label"),
                              Output(ids.DATA_PROGRESS_TEXT, "children")],
                    progress_default=[0, "", ""],
                    running=[(Output(ids.DATA_FORM, "disabled"), True, False),
                             (Output(ids.DATA_PROGRESS_BOX, "hidden"), False, True),
                             (Output(ids.DATA_SWITCH, "disabled"), True, False)],
                    cancel=[Input(ids.DATA_CANCEL, "n_clicks")])
def run_job(set_progress: Callable[[tuple[int, str, str]], None], ticket: Any, *form: Any) -> list[Any]:
    files = {role: (form[2 * i], form[2 * i + 1]) for i, role in enumerate(ROLE_KEYS)}
    options = dict(zip(FORM_OPTIONS, form[2 * len(ROLE_KEYS):], strict=True))

    def progress(step: tuple[int, str]) -> None:
        set_progress((step[0], f"{step[0]}%", step[1]))

    return data_job(ticket, files, options, current_settings(), progress=progress)


def data_job(ticket: Any, files: Mapping[str, tuple[Any, Any]], options: Mapping[str, Any], settings: Settings, *,
             progress: ProgressFn | None = None) -> list[Any]:
    """Run the job a ticket asks for and return the page's new report, status and version lists."""
    root = settings.datasets_folder
    report: Any = no_update
    checked: Any = no_update
    try:
        request = read_ticket(ticket)
        action = request.get("action")
        if action == "switch":
            version = switch_to(root, str(request.get("version")), cache_dir=settings.cache_folder / "matrices",
                                progress=progress)
            status = status_alert(f"The planner now uses {version.version_id} ({version.locality_name}).",
                                  "success", planner_link=True)
        else:
            limits = limits_for(settings)
            uploads = upload_set(files, limits)
            upload_choices = upload_options(options, limits)
            prepared = check_files(root, uploads, upload_choices, progress)
            report, checked = report_view(prepared.report, uploads), checked_state(prepared.report)
            if prepared.timetable is not None:
                report = html.Div([report, html.P(
                    f"Public transport: {timetable_summary(prepared.timetable)}. To route on another weekday the "
                    "feed runs, give it under Timetable and check again.", className="small mt-2 mb-0")])
            if action == "apply":
                version = apply_files(root, prepared, accepted_digest=request.get("digest"),
                                      note=str(request.get("note", "")), locality_name=upload_choices.locality_name,
                                      cache_dir=settings.cache_folder / "matrices", progress=progress)
                status = status_alert(
                    f"Saved {version.version_id} and switched the planner to it: {version.n_areas:,} areas, "
                    f"{version.n_services:,} services, {version.pop_total:,.0f} residents.",
                    "success", planner_link=True)
                checked = None
            else:
                status = None
    except PlannerError as error:
        status = status_alert(str(error), "danger")
    versions = list_versions(root)
    in_use = _in_use(root)
    return [report, checked, status, versions_view(versions, in_use),
            version_options(versions, usable_only=True), in_use,
            version_options(versions, usable_only=False)]


@CALLBACKS.callback(Output(ids.DATA_STATUS, "children", allow_duplicate=True),
                    Output(ids.DATA_VERSIONS, "children", allow_duplicate=True),
                    Input(ids.DATA_CANCEL, "n_clicks"), prevent_initial_call=True)
def cancelled(_clicks: Any) -> tuple[Any, Any]:
    root = current_settings().datasets_folder
    message = status_alert("Stopped. The data the planner uses has not changed.", "info")
    return message, versions_view(list_versions(root), _in_use(root))


@CALLBACKS.callback(Output(ids.DATA_CHANGES, "children"), Input(ids.DATA_SINCE, "n_clicks"),
                    State(ids.DATA_SINCE_PICK, "value"), prevent_initial_call=True)
def show_changes(_clicks: Any, since: Any) -> Any:
    return _safe_changes(current_settings().datasets_folder, since or None)


@CALLBACKS.callback(Output(ids.DATA_RESCORE, "children"), Input(ids.DATA_RESCORE_BUTTON, "n_clicks"),
                    State(ids.PLAN, "data"), State(ids.TRAVEL_MODE, "value"), prevent_initial_call=True)
def show_rescore(_clicks: Any, plan: Any, mode: Any) -> Any:
    """The open plan scored on its own version and on the version in use."""
    try:
        return rescore_view(rescore_open_plan(current_settings(), plan, mode))
    except PlannerError as error:
        return status_alert(str(error), "warning")


@CALLBACKS.callback(Output(ids.DATA_PLAN_VERSION, "children"), Output(ids.DATA_SINCE_PICK, "value"),
                    Input(ids.DATA_SINCE_PICK, "options"), State(ids.PLAN, "data"), State(ids.DATA_SINCE_PICK, "value"))
def plan_version(options: Any, plan: Any, chosen: Any) -> tuple[str, Any]:
    """Say which version the plan open in the planner was made on, and offer it as 'since'."""
    pinned = plan.get("dataset_version") if isinstance(plan, dict) else None
    known = {o["value"] for o in options or []}
    if pinned is not None and pinned == _in_use(current_settings().datasets_folder):
        return f"The plan open in the planner was made on {pinned}, the version in use.", chosen
    if pinned in known:
        return f"The plan open in the planner was made on {pinned}.", chosen or pinned
    if pinned:
        return f"The plan open in the planner was made on the {pinned} data.", chosen
    return "", chosen


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
