"""The demo locality reproduces the papers' case, on the committed files and on a fresh run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from data import generate_demo
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER, Locality

pytestmark = pytest.mark.slow  # regenerates the whole demo locality


@pytest.fixture(scope="module")
def fresh_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate_demo.write(generate_demo.generate(), folder)
    return folder


@pytest.fixture(scope="module", params=["committed", "regenerated"])
def locality(request: pytest.FixtureRequest, fresh_folder: Path) -> Locality:
    return load_locality(DEMO_FOLDER if request.param == "committed" else fresh_folder)


def test_generator_is_deterministic(fresh_folder: Path, tmp_path: Path) -> None:
    generate_demo.write(generate_demo.generate(), tmp_path)
    first, second = load_locality(fresh_folder), load_locality(tmp_path)
    for layer in ("areas", "services", "towns", "districts", "county", "main_roads"):
        pd.testing.assert_frame_equal(getattr(first, layer).to_wkb(), getattr(second, layer).to_wkb())
    pd.testing.assert_frame_equal(first.road_nodes, second.road_nodes)
    pd.testing.assert_frame_equal(first.road_edges, second.road_edges)


def test_committed_files_match_a_fresh_run(locality: Locality, fresh_folder: Path) -> None:
    fresh = load_locality(fresh_folder)
    pd.testing.assert_frame_equal(
        locality.areas.drop(columns="geometry"), fresh.areas.drop(columns="geometry"), check_exact=False
    )


def test_small_areas_and_people(locality: Locality) -> None:
    areas = locality.areas
    assert 400 <= len(areas) <= 700
    assert areas["pop_total"].between(1_000, 3_000).all()
    assert 600_000 <= areas["pop_total"].sum() <= 1_000_000
    assert areas.crs.to_epsg() == 27700
    assert (areas["pop_male"] + areas["pop_female"] == areas["pop_total"]).all()
    bands = ["pop_under_18", "pop_18_24", "pop_25_34", "pop_35_49", "pop_50_64", "pop_65_plus"]
    assert (areas[bands].sum(axis=1) == areas["pop_total"]).all()
    assert areas["bme_share"].between(0, 1).all()
    assert areas["imd_decile"].between(1, 10).all()
    county = locality.county.geometry.iloc[0]
    assert areas.geometry.within(county.buffer(1)).all()


def test_towns_one_big_town_with_a_quarter_to_a_third(locality: Locality) -> None:
    towns = locality.towns
    assert 6 <= len(towns) <= 9
    share = towns["population"].max() / locality.areas["pop_total"].sum()
    assert 0.25 <= share <= 1 / 3


def test_rural_north_and_extreme_east_are_sparse(locality: Locality) -> None:
    areas = locality.areas
    minx, miny, maxx, maxy = locality.county.total_bounds
    density = areas["pop_total"] / areas["area_km2"]
    north = areas["pwc_y"] > miny + 0.75 * (maxy - miny)
    east = areas["pwc_x"] > minx + 0.85 * (maxx - minx)
    overall = areas["pop_total"].sum() / areas["area_km2"].sum()
    assert areas.loc[north, "pop_total"].sum() / areas.loc[north, "area_km2"].sum() < overall / 2
    assert areas.loc[east, "pop_total"].sum() / areas.loc[east, "area_km2"].sum() < overall / 2
    assert density.max() > 20 * density.min()


def test_prevalence_rises_with_deprivation(locality: Locality) -> None:
    areas = locality.areas
    for column in ("smi_prevalence_pct", "cmd_prevalence_pct"):
        assert np.corrcoef(areas["imd_score"], areas[column])[0, 1] > 0.5


def test_need_index_follows_documented_formula(locality: Locality) -> None:
    areas = locality.areas
    rate = areas["smi_prevalence_pct"] + areas["cmd_prevalence_pct"] / 10
    county_rate = (rate * areas["pop_adult"]).sum() / areas["pop_adult"].sum()
    np.testing.assert_allclose(areas["need_index"], 100 * rate / county_rate, atol=0.01)
    np.testing.assert_allclose(areas["need_weight"], areas["pop_adult"] * areas["need_index"] / 100, atol=0.1)


def test_road_network(locality: Locality) -> None:
    nodes, edges = locality.road_nodes, locality.road_edges
    assert 20_000 <= len(nodes) <= 100_000
    assert set(edges["road_class"]) == {"motorway", "a_road", "b_road", "minor"}
    graph = coo_matrix((np.ones(len(edges)), (edges["u"], edges["v"])), shape=(len(nodes), len(nodes)))
    assert connected_components(graph, directed=False)[0] == 1
    towns = locality.towns.geometry
    xy = nodes[["x", "y"]].to_numpy()
    for point in towns:  # denser inside towns than across the county
        near = np.hypot(xy[:, 0] - point.x, xy[:, 1] - point.y) < 1_500
        assert near.sum() > len(nodes) / locality.areas["area_km2"].sum() * 7.07


def test_thirteen_services_as_the_papers_describe(locality: Locality) -> None:
    services = locality.services
    assert len(services) == 13
    assert 850 <= services["clients"].sum() <= 950
    total = services["budget_gbp"].sum()
    assert services["budget_day_activity_gbp"].sum() / total == pytest.approx(0.88, abs=0.005)
    assert services["budget_employment_gbp"].sum() / total == pytest.approx(0.10, abs=0.005)
    assert services["budget_mainstream_gbp"].sum() / total == pytest.approx(0.02, abs=0.005)
    in_biggest = services.loc[services["town"] == locality.biggest_town, "budget_gbp"].sum() / total
    assert 0.35 <= in_biggest < 0.40  # "almost two fifths"
    has = {f: services["functions"].str.split(";").map(lambda fs, f=f: f in fs).sum()
           for f in ("employment_support", "job_retention", "sheltered_employment", "mainstream_participation")}
    assert has == {"employment_support": 2, "job_retention": 1, "sheltered_employment": 4,
                   "mainstream_participation": 2}


def test_services_sit_south_and_in_big_towns_not_north_or_far_east(locality: Locality) -> None:
    services = locality.services
    minx, miny, maxx, maxy = locality.county.total_bounds
    y = (services.geometry.y - miny) / (maxy - miny)
    x = (services.geometry.x - minx) / (maxx - minx)
    assert (y < 0.4).sum() >= 8  # most along the southern edge
    assert (y > 0.66).sum() <= 1  # few in the north
    assert (x > 0.85).sum() == 0  # none in the extreme east
    big_two = locality.towns.nlargest(2, "population")["name"]
    assert services["town"].isin(big_two).sum() >= 6


def _gtfs_tables(folder: Path) -> dict[str, pd.DataFrame]:
    import io
    import zipfile

    with zipfile.ZipFile(folder / "timetable_gtfs.zip") as archive:
        return {name: pd.read_csv(io.BytesIO(archive.read(name)), dtype=str) for name in sorted(archive.namelist())}


def test_committed_timetable_matches_a_fresh_run(fresh_folder: Path) -> None:
    committed, fresh = _gtfs_tables(DEMO_FOLDER), _gtfs_tables(fresh_folder)
    assert committed.keys() == fresh.keys()
    for name in committed:
        pd.testing.assert_frame_equal(committed[name], fresh[name], obj=name)
    assert (DEMO_FOLDER / "timetable.json").read_text() == (fresh_folder / "timetable.json").read_text()


def test_buses_as_the_papers_locality_would_have_them() -> None:
    """Frequent in the towns, hourly between them, a few a day in the rural north and east."""
    from data import demo_timetable

    tables = _gtfs_tables(DEMO_FOLDER)
    trips, times = tables["trips.txt"], tables["stop_times.txt"]
    firsts = times[times["stop_sequence"] == "1"].merge(trips, on="trip_id")
    per_route = firsts[firsts["direction_id"] == "0"].groupby("route_id")["departure_time"].agg(
        lambda t: (t >= "08:00:00").sum() - (t >= "10:00:00").sum())  # departures between 08:00 and 10:00
    assert (per_route[per_route.index.str.startswith("K")] == 12).all()  # Kingsmere: every 10 minutes
    assert (per_route[per_route.index.str.startswith("X")] == 2).all()  # between towns: hourly
    rural = [f"R{k + 1}" for k in range(len(demo_timetable.RURAL))]
    assert (per_route[rural] <= 1).all()
    day_trips = firsts[firsts["direction_id"] == "0"].groupby("route_id").size()
    assert (day_trips[rural] <= 3).all()
    assert len(tables["stops.txt"]) > 300
