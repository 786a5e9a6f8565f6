"""Downloads of a saved scenario version, and the public read-only links.

``/export/<slug>/<file>?version=N&mode=drive`` serves a briefing pack (HTML or PDF), the
area results (CSV or Excel) or the geography (GeoJSON or GeoPackage) of one version, to
whoever the store says may see it (``current_user()``); ``/public/<slug>`` and
``/public/<slug>/<file>`` do the same for anonymous visitors, so they only ever show public
scenarios. Text cells in spreadsheets are neutralised against formula injection: a cell
that starts with = + - @ (or their full-width forms), a tab or a carriage return, even
after leading spaces or line breaks, gets a leading apostrophe.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import flask
import geopandas as gpd
import pandas as pd
from flask import Flask, request
from jinja2 import Environment
from shapely.geometry import Point

from dashboard.auth import current_user
from dashboard.briefing import area_table_frame, briefing_html, briefing_pdf, build_briefing, confidentiality
from dashboard.data_access import QUERY_FIELD, current_folder, locality_for, page_data_version
from dashboard.engine import DEFAULT_MODE, score_plan, travel_mode
from dashboard.logging_setup import audit
from dashboard.routes import version_number
from dashboard.store_access import scenario_store
from dashboard.words import PLACES_PER_1000
from geo.errors import PlannerInputError
from geo.locality import Locality
from geo.network import MODE_LABELS, Mode
from geo.workspace.accounts import AccessDeniedError
from geo.workspace.store import ScenarioVersion

NOT_FOUND = "There is no such scenario or version that you may open."
EXPORT_PREFIX = "/export"
PUBLIC_PREFIX = "/public"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS: dict[str, tuple[str, str]] = {
    "briefing.pdf": ("Briefing pack (PDF, for printing)", "application/pdf"),
    "briefing.html": ("Briefing pack (web page)", "text/html; charset=utf-8"),
    "areas.xlsx": ("Area results (Excel)", XLSX_TYPE),
    "areas.csv": ("Area results (CSV)", "text/csv; charset=utf-8"),
    "areas.geojson": ("Areas, hubs and outreach points (GeoJSON, for GIS)", "application/geo+json"),
    "areas.gpkg": ("Areas, hubs and outreach points (GeoPackage, for GIS)", "application/geopackage+sqlite3"),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r",
                  "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and the full-width forms some spreadsheets read
WGS84 = "EPSG:4326"
HTML_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; "
               "frame-ancestors 'none'")


def export_url(slug: str, name: str, *, version: int | None = None, mode: str | None = None,
               data_version: str | None = None) -> str:
    """The download address of file ``name`` (a key of EXPORTS) for a scenario version, worked out on
    ``data_version`` (the page's; the data in use when not given: see dashboard/data_access.py)."""
    query = {key: value for key, value in (("version", version), ("mode", mode), (QUERY_FIELD, data_version))
             if value is not None}
    return f"{EXPORT_PREFIX}/{slug}/{name}" + (f"?{urlencode(query)}" if query else "")


def public_url(slug: str, name: str | None = None) -> str:
    """The public read-only address of a scenario (or of one of its files)."""
    return f"{PUBLIC_PREFIX}/{slug}" + (f"/{name}" if name else "")


# ---------------------------------------------------------------------------------------
# Spreadsheets, safely
# ---------------------------------------------------------------------------------------
def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.lstrip(" \n\u00a0").startswith(FORMULA_STARTS):  # spaces may be trimmed first
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(column)) for column in safe.columns]
    return safe


def areas_csv(table: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read names with accents rightly."""
    return neutralise_frame(table).to_csv(index=False).encode("utf-8-sig")


def areas_xlsx(table: pd.DataFrame, about: list[tuple[str, str]]) -> bytes:
    """An Excel workbook: the area results, and a sheet saying what they are and who may see them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Areas"
    safe = neutralise_frame(table)
    sheet.append(list(safe.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in safe.itertuples(index=False):
        sheet.append([None if isinstance(v, float) and v != v else v for v in row])  # NaN: empty cell
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("About")
    for label, text in about:
        notes.append([neutralise(label), neutralise(text)])
        notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------------------
def geography(locality: Locality, opened: ScenarioVersion,
              table: pd.DataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Areas with their results, the hubs and the outreach points, in EPSG:27700."""
    crs = locality.areas.crs
    areas = gpd.GeoDataFrame(table.copy(), geometry=locality.areas.geometry.to_numpy(), crs=crs)
    hubs = opened.content.hubs
    labels = {h.hub_id: h.label for h in hubs}
    columns: dict[str, Any] = {"label": [h.label for h in hubs], "hub_id": [h.hub_id for h in hubs],
                               "name": [h.name for h in hubs], "locked": [h.locked for h in hubs]}
    if any(h.capacity_places is not None for h in hubs):
        columns["capacity_places"] = pd.array([h.capacity_places for h in hubs], dtype="Int64")
    hub_frame = gpd.GeoDataFrame(columns, geometry=[Point(h.x, h.y) for h in hubs], crs=crs)
    points = [(h.hub_id, h.name, p) for h in hubs for p in h.outreach_points]
    outreach = gpd.GeoDataFrame(
        {"hub_label": [labels[hub_id] for hub_id, _, _ in points], "hub_id": [hub_id for hub_id, _, _ in points],
         "hub_name": [name for _, name, _ in points],
         "name": [p.name for _, _, p in points]},
        geometry=[Point(p.x, p.y) for _, _, p in points], crs=crs)
    return areas, hub_frame, outreach


def areas_geojson(layers: tuple[gpd.GeoDataFrame, ...], about: dict[str, Any]) -> bytes:
    """One FeatureCollection in WGS84 (as GeoJSON requires); property ``kind`` says area, hub or outreach point."""
    features: list[Any] = []
    for kind, layer in zip(("area", "hub", "outreach point"), layers, strict=True):
        if len(layer):
            collection = json.loads(layer.to_crs(WGS84).to_json(drop_id=True, na="null"))
            for feature in collection["features"]:
                feature["properties"] = {"kind": kind, **feature["properties"]}
            features.extend(collection["features"])
    return json.dumps({"type": "FeatureCollection", "scenario": about, "features": features},
                      ensure_ascii=False).encode("utf-8")


def areas_gpkg(layers: tuple[gpd.GeoDataFrame, ...]) -> bytes:
    """A GeoPackage with layers areas, hubs and outreach_points in EPSG:27700 (British National Grid)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.gpkg"
        for name, layer in zip(("areas", "hubs", "outreach_points"), layers, strict=True):
            if len(layer):
                layer.to_file(path, layer=name, driver="GPKG")
        return path.read_bytes()


# ---------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------
def _open_requested(slug: str) -> tuple[ScenarioVersion, Mode]:
    """The version and travel mode asked for, if the requester may see it (else abort 400 or 404).

    A scenario the requester may not see gets the same 404 as one that does not exist.
    """
    try:
        version = version_number(request.args.get("version"))
    except PlannerInputError as error:
        flask.abort(400, str(error))
    mode = next((known for known in MODE_LABELS if known == (request.args.get("mode") or DEFAULT_MODE)), None)
    if mode is None:
        flask.abort(400, f"mode must be one of {', '.join(MODE_LABELS)}")
    try:
        opened = scenario_store().open_version(current_user(), slug, version)
    except (AccessDeniedError, PlannerInputError):
        flask.abort(404, NOT_FOUND)
    return opened, mode


def about_rows(opened: ScenarioVersion, mode: Mode, locality: Locality, *, with_places: bool) -> list[tuple[str, str]]:
    banner, meaning, when = confidentiality(opened)
    columns = "minutes_* are travel minutes from where the area's people live"
    if with_places:
        columns += (f"; hub_places_per_1000 is {PLACES_PER_1000} (the E2SFCA access score, sharing counted), from "
                    "the places set for each hub (a hub without them counts as the average of the others)")
    return [("Scenario", opened.scenario.title), ("Version", f"{opened.version} of {opened.scenario.current_version}"),
            ("Saved", f"{opened.created_at:%d %B %Y %H:%M} UTC by {opened.author}"), ("Locality", locality.name),
            ("Travel mode", travel_mode(current_folder(), mode).label),
            ("How journey times were worked out", travel_mode(current_folder(), mode).method),
            ("Who may see it", f"{banner}: {meaning}"), ("When it may be shared", when), ("Columns", columns + ".")]


def make_file(name: str, opened: ScenarioVersion, mode: Mode, *, downloads: list[tuple[str, str]]) -> bytes:
    """The bytes of export ``name`` for ``opened`` (already checked: the caller may see it)."""
    folder = current_folder()
    locality = locality_for(folder)
    if name.startswith("briefing."):
        briefing = build_briefing(opened, folder, locality, mode)
        if name.endswith(".pdf"):
            return briefing_pdf(briefing)
        return briefing_html(briefing, downloads=downloads).encode()
    result = score_plan(folder, opened.content.hubs, mode)
    with_places = any(hub.capacity_places is not None for hub in opened.content.hubs)
    names = {h.hub_id: f"{h.label}. {h.name}" for h in opened.content.hubs}
    table = area_table_frame(result, locality, names, travel_mode(folder, mode).label, with_places=with_places)
    about = about_rows(opened, mode, locality, with_places=with_places)
    if name == "areas.csv":
        return areas_csv(table)
    if name == "areas.xlsx":
        return areas_xlsx(table, about)
    layers = geography(locality, opened, table)
    if name == "areas.geojson":
        return areas_geojson(layers, dict(about))
    return areas_gpkg(layers)


def _serve(slug: str, name: str, links: Callable[[ScenarioVersion, str], list[tuple[str, str]]]) -> flask.Response:
    if name not in EXPORTS:
        flask.abort(404, "There is no such download.")
    opened, mode = _open_requested(slug)
    body = make_file(name, opened, mode, downloads=links(opened, mode))
    if opened.visibility != "public":  # confidential papers leaving the planner are recorded
        audit("download", current_user(), scenario_id=opened.scenario.scenario_id, version=opened.version,
              file=name)
    response = flask.Response(body, mimetype=EXPORTS[name][1].split(";")[0])
    stem, extension = name.split(".")
    disposition = "inline" if extension == "html" else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{slug}-v{opened.version}-{stem}.{extension}"'
    response.headers["Cache-Control"] = "no-store" if opened.visibility != "public" else "private, max-age=60"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if extension == "html":
        response.headers["Content-Security-Policy"] = HTML_POLICY
    return response


def download(slug: str, name: str) -> flask.Response:
    """A signed-in (or single-user) download; the store checks who may see the scenario."""
    return _serve(slug, name, lambda opened, mode: [
        (label, export_url(slug, other, version=opened.version, mode=mode, data_version=page_data_version()))
        for other, (label, _) in EXPORTS.items() if other != name])


def public_file(slug: str, name: str) -> flask.Response:
    """A file of a public scenario; ``current_user()`` is None on these paths, so nothing else shows."""
    return _serve(slug, name, lambda opened, mode: [
        (label, public_url(slug, other) + f"?version={opened.version}&mode={mode}")
        for other, (label, _) in EXPORTS.items() if other != "briefing.html"])


def public_page(slug: str) -> flask.Response:
    """The public read-only link: the briefing pack of a public scenario's newest version."""
    return public_file(slug, "briefing.html")


_INDEX = Environment(autoescape=True).from_string("""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Public scenarios - Day Services Planner</title></head><body style="font-family: sans-serif; max-width: 50rem;
margin: 2rem auto; padding: 0 1rem"><h1>Public scenarios</h1>
<p>Scenarios the steering group has published. Each opens as a read-only briefing pack.</p>
{% if records %}<ul>{% for r in records %}<li><a href="{{ url(r.slug) }}">{{ r.title }}</a> (version
{{ r.published_version }}, {{ r.updated_at.strftime("%d %B %Y") }})</li>{% endfor %}</ul>
{% else %}<p>Nothing has been published yet.</p>{% endif %}</body></html>""")


def public_index() -> flask.Response:
    records = [r for r in scenario_store().scenarios(current_user()) if r.published_version is not None]
    response = flask.Response(_INDEX.render(records=records, url=public_url), mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_POLICY
    return response


def register(server: Flask) -> None:
    """Add the download routes and the public links to ``server``."""
    server.add_url_rule(f"{EXPORT_PREFIX}/<slug>/<name>", "scenario_download", download)
    server.add_url_rule(f"{PUBLIC_PREFIX}/", "public_index", public_index)
    server.add_url_rule(f"{PUBLIC_PREFIX}/<slug>", "public_page", public_page)
    server.add_url_rule(f"{PUBLIC_PREFIX}/<slug>/<name>", "public_file", public_file)
