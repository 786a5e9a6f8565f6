"""Exports: the briefing pack's pages and words, spreadsheets safe from formula injection, GIS files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboard import create_app
from dashboard.auth import current_user
from dashboard.config import Settings
from dashboard.exports import FORMULA_STARTS, export_url, neutralise, neutralise_frame
from dashboard.planning_panel import initial_plan
from dashboard.store_access import close_stores, scenario_store
from geo.ingest.locality_files import load_locality
from geo.scenarios import scenario_from_dict

pytestmark = pytest.mark.slow  # builds the briefing pack's PDF and every export

FORMULA_HUB = '=HYPERLINK("http://attacker.example","Click")'
PLUS_HUB = "+44 Market Street hub"
RELEASE_NOTE = "Confidential until the cabinet decision on 12 May 2026; then public."


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    app = create_app(Settings(instance_folder=tmp_path_factory.mktemp("instance")))
    locality = load_locality()
    plan = initial_plan()
    plan["hubs"][0]["name"] = FORMULA_HUB
    plan["hubs"][1]["name"] = PLUS_HUB
    plan["hubs"][2]["outreach_points"] = [{"name": "@Library room", "x": 447000.0, "y": 214000.0}]
    plan["notes"] = "Preferred by the service users' panel."
    plan["release_note"] = RELEASE_NOTE
    with app.server.test_request_context("/"):
        opened = scenario_store().create_scenario(current_user(), "Six hubs option", scenario_from_dict(plan),
                                                  visibility="group")
    client = app.server.test_client()
    files = {name: client.get(export_url(opened.scenario.slug, name, version=1, mode="drive"))
             for name in ("briefing.pdf", "areas.csv", "areas.xlsx", "areas.geojson", "areas.gpkg")}
    yield {"app": app, "slug": opened.scenario.slug, "files": files, "areas": len(locality.areas)}
    close_stores()


@pytest.fixture(scope="module")
def pdf_pages(saved: dict[str, Any]) -> list[str]:
    answer = saved["files"]["briefing.pdf"]
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith(f'attachment; filename="{saved["slug"]}-v1-briefing.pdf"')
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(answer.data)).pages]


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+2", "'=1+2"), ("+44 1234", "'+44 1234"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Kingsmere hub", "Kingsmere hub"), ("a=b", "a=b"), ("", ""),
    ("  =1+2", "'  =1+2"), ("\n@cmd", "'\n@cmd"), ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"), ("\uff0b1", "'\uff0b1"),
    ("  plain", "  plain"),
    (-5, -5), (3.5, 3.5), (None, None),
])
def test_neutralise_makes_formula_text_inert(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def test_neutralise_frame_leaves_numbers_as_numbers() -> None:
    import pandas as pd

    frame = neutralise_frame(pd.DataFrame({"name": ["=cmd", "ok"], "minutes": [-1.5, 2.0], "=col": [1, 2]}))
    assert frame["name"].tolist() == ["'=cmd", "ok"] and frame["minutes"].tolist() == [-1.5, 2.0]
    assert list(frame.columns) == ["name", "minutes", "'=col"]


def test_the_briefing_pack_has_its_pages_in_order(pdf_pages: list[str]) -> None:
    first = pdf_pages[0]
    for words in ("Six hubs option", "CONFIDENTIAL: STEERING GROUP ONLY", "do not share it",
                  f"When it may be shared: {RELEASE_NOTE}", "average journey to the nearest hub",
                  "spent a year today", "a year in the plan", "spread of journey times", "Page 1 of"):
        assert words in first, words
    starts = {title: next(i for i, text in enumerate(pdf_pages) if title in text) for title in (
        "Preferred by the service users' panel", "Map: how long it takes to reach a hub", "The hubs",
        "Money: today and the plan", "Is the money fair?", "What the plan is expected to achieve",
        "How the figures were worked out", "Assumptions and where they come from",
        "Glossary: the words this pack uses")}
    assert starts["Preferred by the service users' panel"] < starts["Map: how long it takes to reach a hub"]
    order = list(starts.values())[1:]
    assert order == sorted(order) and len(set(order)) == len(order), starts
    assert "=HYPERLINK(" in pdf_pages[starts["The hubs"]]
    assert "NHS Agenda for Change pay rates" in pdf_pages[starts["Assumptions and where they come from"]]
    glossary = " ".join(pdf_pages[starts["Glossary: the words this pack uses"]:])
    for term in ("IPS", "LSOA", "SMI", "IMD", "Gini of spend", "Individual Placement and Support", "Lorenz curve"):
        assert term in glossary, term
    assert "E2SFCA" not in glossary  # the pack shows no access score, so it does not explain one
    assert all("CONFIDENTIAL: STEERING GROUP ONLY" in text for text in pdf_pages)  # on every page
    assert pdf_pages[-1].endswith(f"Page {len(pdf_pages)} of {len(pdf_pages)}")


def test_the_csv_carries_every_area_with_formula_text_neutralised(saved: dict[str, Any]) -> None:
    answer = saved["files"]["areas.csv"]
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert len(rows) == saved["areas"]
    nearest = {row["nearest_hub"] for row in rows}
    assert "A. " + FORMULA_HUB in nearest and "B. " + PLUS_HUB in nearest  # with the hubs' labels
    assert "hub_places_per_1000" not in rows[0]  # no hub has its places set: no near-zero access score
    every_cell = [value for row in rows for value in row.values()]
    assert not any(value.startswith(FORMULA_STARTS) for value in every_cell)
    assert all(float(row["minutes_to_nearest_hub"]) >= 0 for row in rows)


def test_the_workbook_has_no_formulas_and_says_who_may_see_it(saved: dict[str, Any]) -> None:
    book = load_workbook(io.BytesIO(saved["files"]["areas.xlsx"].data))
    areas, about = book["Areas"], book["About"]
    assert areas.max_row == saved["areas"] + 1
    cells = [cell for row in areas.iter_rows() for cell in row] + [cell for row in about.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert not any(isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS) for cell in cells)
    assert "A. " + FORMULA_HUB in {cell.value for cell in areas["J"]}
    notes = {row[0].value: row[1].value for row in about.iter_rows()}
    assert notes["When it may be shared"] == RELEASE_NOTE
    assert notes["Who may see it"].startswith("CONFIDENTIAL: STEERING GROUP ONLY")


def test_geography_downloads_hold_areas_hubs_and_outreach_points(saved: dict[str, Any], tmp_path: Path) -> None:
    collection = json.loads(saved["files"]["areas.geojson"].data)
    kinds = [feature["properties"]["kind"] for feature in collection["features"]]
    assert kinds.count("area") == saved["areas"] and kinds.count("hub") == 6 and kinds.count("outreach point") == 1
    lon, lat = collection["features"][-1]["geometry"]["coordinates"]
    assert -3 < lon < 0 and 50 < lat < 54  # WGS84, as GeoJSON requires
    assert collection["scenario"]["Scenario"] == "Six hubs option"
    path = tmp_path / "plan.gpkg"
    path.write_bytes(saved["files"]["areas.gpkg"].data)
    assert [name for name, _ in pyogrio.list_layers(path)] == ["areas", "hubs", "outreach_points"]
    info = pyogrio.read_info(path, layer="hubs")
    assert info["features"] == 6 and info["crs"] == "EPSG:27700"
    assert pyogrio.read_info(path, layer="areas")["features"] == saved["areas"]


def test_the_pack_says_what_the_road_network_includes(saved: dict[str, Any]) -> None:
    client = saved["app"].server.test_client()
    page = client.get(export_url(saved["slug"], "briefing.html", version=1, mode="drive")).get_data(as_text=True)
    assert "<b>Roads:</b> The demo&#39;s made-up road network" in page
    assert "Where journeys start" not in page  # the demo gives every area its population-weighted centroid
