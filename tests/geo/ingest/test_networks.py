"""Reading OpenStreetMap roads: over the locality and its margin, by the rules of who may use each way."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import NetworkError
from geo.ingest.networks import (
    DEFAULT_NETWORK_MARGIN_KM,
    _road_classes,
    describe_network,
    network_extent,
    network_from_pbf,
)
from geo.network import ROAD_CLASSES, build_mode_graph
from geo.placement.candidates import candidate_sites
from geo.traveltime import AreaRouter

RUTLAND_PBF = Path("osm_rutland") / "rutland-latest.osm.pbf"
RUTLAND_LSOAS = Path("lsoa_boundaries_by_la_2011") / "lsoa11_E06000017.geojson"


def ways(*rows: dict[str, str]) -> pd.DataFrame:
    """Ways as pyrosm hands them over: a column per common tag, the rest in ``tags`` JSON."""
    columns = ("highway", "service", "access", "motor_vehicle", "foot", "tags")
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows])


@pytest.mark.parametrize(("tags", "expected"), [
    ({"highway": "residential"}, "minor"),
    ({"highway": "service"}, "minor"),
    ({"highway": "service", "service": "driveway"}, "driveway"),
    ({"highway": "service", "service": "parking_aisle"}, "driveway"),
    ({"highway": "unclassified", "motor_vehicle": "no"}, "path"),  # closed to cars: walked, not driven
    ({"highway": "residential", "tags": '{"motorcar":"no"}'}, "path"),
    ({"highway": "tertiary", "access": "no", "foot": "yes"}, "path"),
    ({"highway": "service", "access": "private"}, None),  # private: left out
    ({"highway": "service", "access": "private", "motor_vehicle": "yes"}, "minor"),  # the specific tag wins
    ({"highway": "residential", "motor_vehicle": "no", "foot": "no"}, None),
    ({"highway": "footway"}, "path"),
    ({"highway": "footway", "foot": "private"}, None),
    ({"highway": "proposed"}, None),
    ({"highway": "proposed", "motor_vehicle": "no"}, None),  # not a road at all stays out
])
def test_each_way_gets_the_class_of_who_may_use_it(tags: dict[str, str], expected: str | None) -> None:
    assert _road_classes(ways(tags))[0] == expected


@pytest.fixture(scope="module")
def rutland(shared_data: Path) -> tuple[shapely.Geometry, Path]:
    county = gpd.read_file(shared_data / RUTLAND_LSOAS).to_crs(27700).union_all()
    return county, shared_data / RUTLAND_PBF


@pytest.mark.shared_data
def test_rutland_roads_reach_beyond_the_county_up_to_the_margin(rutland: tuple[shapely.Geometry, Path]) -> None:
    county, pbf = rutland
    extent = network_extent(county, DEFAULT_NETWORK_MARGIN_KM)
    network = network_from_pbf(pbf, within=extent)
    inside = network_from_pbf(pbf, within=county)
    outside = ~shapely.contains_xy(county, network.x, network.y)
    assert outside.sum() > 500 and shapely.contains_xy(extent, network.x, network.y).all()
    assert shapely.contains_xy(county, inside.x, inside.y).all()
    drive, walk = build_mode_graph(network, "drive"), build_mode_graph(network, "walk")
    assert 5_000 < drive.n_nodes < walk.n_nodes
    assert drive.report.nodes_kept + drive.report.nodes_dropped + drive.report.nodes_unusable == network.n_nodes
    # A1 and A47 are trunk roads: the drive graph has A-road speeds on it.
    assert (network.edge_class == ROAD_CLASSES.index("a_road")).sum() > 100
    assert (network.edge_class == ROAD_CLASSES.index("path")).sum() > 1_000
    driveways_km = network.edge_length_m[network.edge_class == ROAD_CLASSES.index("driveway")].sum() / 1000
    assert 20 < driveways_km < 40  # about 26 km of driveways and car-park aisles, driven slowly
    assert not drive.snappable.all() and drive.snappable.sum() > 0.5 * drive.n_nodes


@pytest.mark.shared_data
def test_no_way_closed_to_motor_vehicles_is_driven(rutland: tuple[shapely.Geometry, Path]) -> None:
    from pyrosm import OSM

    county, pbf = rutland
    network = network_from_pbf(pbf, within=network_extent(county, DEFAULT_NETWORK_MARGIN_KM))
    _, edges = OSM(str(pbf)).get_network(network_type="all", nodes=True)
    closed = edges[edges["motor_vehicle"].isin(["no"]) & edges["highway"].isin(["unclassified", "residential",
                                                                                 "tertiary", "service", "track"])]
    assert closed["length"].sum() > 1_000  # there are such roads to leave out (about 3 km)
    closed_pairs = set(zip(closed["u"], closed["v"], strict=True))
    drivable = np.isin(network.edge_class, [ROAD_CLASSES.index(c) for c in ("motorway", "a_road", "b_road",
                                                                             "minor", "driveway")])
    ids = network.node_id
    driven_pairs = set(zip(ids[network.edge_u[drivable]], ids[network.edge_v[drivable]], strict=True))
    driven_pairs |= {(v, u) for u, v in driven_pairs}
    assert closed_pairs & driven_pairs == set()


@pytest.mark.shared_data
def test_tiny_leeds_extract_keeps_the_main_component(shared_data: Path) -> None:
    network = network_from_pbf(shared_data / "osm_leeds_its" / "its-example.osm.pbf")
    drive = build_mode_graph(network, "drive")
    assert drive.report.components_dropped > 0
    assert 50 < drive.n_nodes < network.n_nodes
    assert "left out" in drive.report.summary()


def test_missing_pbf_is_reported(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="not found"):
        network_from_pbf(tmp_path / "nowhere.osm.pbf")


def test_the_network_is_described_in_words() -> None:
    assert "up to 10 km beyond the locality's boundary" in describe_network("rutland.osm.pbf", 10.0)
    assert "inside the locality's boundary only" in describe_network("rutland.osm.pbf", 0.0)
    assert "closed to motor vehicles are walked" in describe_network("rutland.osm.pbf", 10.0)
    assert describe_network(None, None).startswith("No road network")


# Rutland 004D's start (the middle of its polygon) and a candidate site 4.6 km to its north-west.
RYHALL_AREA_START = (504_373.97, 311_361.34)
NORTH_WEST_SITE = (500_740.30, 314_108.03)


@pytest.mark.shared_data
def test_a_journey_leaving_the_county_is_timed_on_the_roads_it_uses(rutland: tuple[shapely.Geometry, Path]) -> None:
    """Hand check: the fastest route is 7.0 km (3.1 km of minor roads, 1.4 km of A road, 2.5 km of B road),
    2.1 km of it outside Rutland; at the speed table's 35, 70 and 55 km/h that is 9.2 minutes, plus 0.9 from
    the area's start 290 m to the road at 20 km/h: 10.1 minutes. Clipped to the county, the route has to stay
    inside it and takes 21.1 minutes."""
    county, pbf = rutland
    points = np.array([RYHALL_AREA_START, NORTH_WEST_SITE])

    def minutes(within: shapely.Geometry | None) -> float:
        graph = build_mode_graph(network_from_pbf(pbf, within=within), "drive")
        router = AreaRouter(graph, points[:1], ["Rutland 004D"], contract=False)
        return float(router.minutes_to_point(*points[1])[0])

    with_margin = minutes(network_extent(county, DEFAULT_NETWORK_MARGIN_KM))
    assert with_margin == pytest.approx(10.1, abs=0.05)
    assert minutes(None) == pytest.approx(with_margin, abs=1e-9)  # the whole extract: the same
    assert minutes(county) == pytest.approx(21.1, abs=0.05)  # the roads as they used to be read


@pytest.mark.shared_data
def test_rutland_times_on_the_margin_equal_the_unclipped_reference(rutland: tuple[shapely.Geometry, Path],
                                                                  shared_data: Path) -> None:
    """Every area to every candidate site: the network with its margin gives the times of the whole extract
    (a reference with no boundary at all); without the margin, about one pair in twelve is over half a minute
    too long."""
    county, pbf = rutland
    areas = gpd.read_file(shared_data / RUTLAND_LSOAS).to_crs(27700).rename(columns={"LSOA11CD": "code"})
    areas["pop_total"] = 1.0
    graphs = {name: build_mode_graph(network_from_pbf(pbf, within=within), "drive") for name, within in
              (("county", county), ("margin", network_extent(county, DEFAULT_NETWORK_MARGIN_KM)), ("whole", None))}
    sites = candidate_sites(areas, graphs["county"])[["x", "y"]].to_numpy()
    minutes = {name: AreaRouter.from_areas(graph, areas).minutes_to_points(sites) for name, graph in graphs.items()}
    assert np.nanmax(np.abs(minutes["margin"] - minutes["whole"])) < 0.01
    moved = np.abs(minutes["county"] - minutes["margin"]) > 0.5
    assert 0.05 < moved.mean() < 0.12
    assert np.nanmax(minutes["county"] - minutes["margin"]) > 10  # the worst pair: 21.1 against 10.1 minutes
