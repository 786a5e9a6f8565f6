"""Choosing a town or area to move a hub to: every place listed for a county, found by search at England scale."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from dash import no_update

from dashboard import data_access, planning_panel
from dashboard.planning_panel import PLACE_LIST_LIMIT, PLACE_MATCHES, place_options, place_xy, search_places
from geo.locality import Locality


@pytest.fixture(scope="module")
def large(locality: Locality) -> Locality:
    """The demo's towns with more areas than the list limit (named like LSOAs: 'Leeds 001A')."""
    places = ["Leeds", "Leeds North", "Bradford", "York"]
    n = PLACE_LIST_LIMIT + 500
    areas = pd.DataFrame({"code": [f"E01{i:06d}" for i in range(n)],
                          "name": [f"{places[i % 4]} {i // 4:03d}{'AB'[i % 2]}" for i in range(n)]})
    return dataclasses.replace(locality, areas=areas)


def test_a_county_lists_every_town_and_area(locality: Locality) -> None:
    options = place_options(locality)
    assert len(options) == len(locality.towns) + len(locality.areas)
    assert options[0]["label"].startswith("Town: ")
    centroids = set(zip(locality.areas["pwc_x"], locality.areas["pwc_y"], strict=True))
    assert place_xy(locality, options[-1]["value"]) in centroids


def test_a_large_locality_lists_towns_until_something_is_typed(large: Locality) -> None:
    assert [o["label"] for o in place_options(large)] == [f"Town: {t}" for t in sorted(large.towns["name"])]
    assert place_options(large, "k") == [o for o in place_options(large) if "k" in o["label"].lower()]


@pytest.mark.parametrize("typed", ["leeds 01", "Area: Leeds 01", "  LEEDS 01 "])
def test_a_large_locality_finds_areas_by_name(large: Locality, typed: str) -> None:
    found = place_options(large, typed)
    assert 0 < len(found) <= PLACE_MATCHES
    assert all("leeds 01" in o["label"].lower() for o in found)
    assert [o["label"] for o in found] == sorted(o["label"] for o in found)


def test_a_large_locality_finds_an_area_by_code(large: Locality) -> None:
    assert place_options(large, "e01000123") == [{"label": "Area: York 030B", "value": "area:E01000123"}]


def test_search_keeps_the_chosen_place_and_leaves_a_county_alone(
        large: Locality, locality: Locality, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_access, "current_locality", lambda: large)
    options = search_places("bradford", "area:E01000003")
    assert {"label": "Area: York 000B", "value": "area:E01000003"} in options
    assert any(o["label"].startswith("Area: Bradford") for o in options)
    assert search_places("", "area:E01000003") is no_update
    monkeypatch.setattr(planning_panel.data_access, "current_locality", lambda: locality)
    assert search_places("king", None) is no_update
