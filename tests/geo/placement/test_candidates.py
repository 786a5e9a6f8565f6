"""Tests for geo.placement.candidates: lattice over populated land, towns, existing services."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geo.errors import PlannerInputError
from geo.placement.candidates import candidate_sites
from tests.support.grids import grid_graph, square_areas


def test_candidate_set_has_lattice_towns_and_services() -> None:
    graph = grid_graph(side=14)
    towns = gpd.GeoDataFrame({"name": ["Bigton", "Smallham"]}, geometry=[Point(1300, 1300), Point(300, 2200)],
                             crs=27700)
    services = gpd.GeoDataFrame({"service_id": ["S01"], "name": ["Day centre"]}, geometry=[Point(900, 400)],
                                crs=27700)
    sites = candidate_sites(square_areas(), graph, towns=towns, services=services, n_lattice=60)
    counts = sites["kind"].value_counts()
    assert counts["town_centre"] == 2 and counts["existing_service"] == 1
    assert 40 <= counts["lattice"] <= 60
    assert sites["site_id"].is_unique
    assert list(sites.columns) == ["site_id", "kind", "name", "x", "y", "area"]

    lattice = sites[sites["kind"] == "lattice"]
    node_xy = {(x, y) for x, y in zip(graph.x, graph.y, strict=True)}
    assert all((x, y) in node_xy for x, y in zip(lattice["x"], lattice["y"], strict=True))
    assert not lattice.duplicated(["x", "y"]).any()
    empty = box(3 * 650, 0, 4 * 650, 650).buffer(-60)  # the unpopulated square, away from its edges
    assert not any(empty.contains(Point(x, y)) for x, y in zip(lattice["x"], lattice["y"], strict=True))
    assert sites.loc[sites["site_id"] == "S01", "area"].item() == "X01"


@pytest.mark.parametrize("n_lattice", [10, 100])
def test_lattice_size_follows_the_request(n_lattice: int) -> None:
    sites = candidate_sites(square_areas(), grid_graph(side=14), n_lattice=n_lattice)
    assert 0.5 * n_lattice <= len(sites) <= 1.1 * n_lattice


def test_points_far_from_any_road_are_left_out() -> None:
    areas = square_areas()
    far_away = areas.assign(geometry=areas.geometry.translate(20_000, 0))
    with pytest.raises(PlannerInputError, match="pop_total"):
        candidate_sites(areas.assign(pop_total=0), grid_graph())
    assert candidate_sites(far_away, grid_graph(), n_lattice=30).empty


def test_bad_lattice_size_is_refused() -> None:
    with pytest.raises(PlannerInputError, match="n_lattice"):
        candidate_sites(square_areas(), grid_graph(), n_lattice=0)
