"""The public-transport engine: hand-made timetables with known answers, an independent check."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.access import area_weights, hub_access
from geo.ingest.gtfs import TimetableChoice, read_timetable
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER
from geo.network import build_mode_graph, network_from_tables
from geo.scenarios import Hub
from geo.transit import (
    DEFAULT_TRANSIT,
    INF,
    Timetable,
    TransitSettings,
    build_patterns,
    clock_seconds,
    raptor,
    stop_profiles,
    transfers_from_walks,
    transit_router,
)
from tests.support.gtfs_feeds import ORIGIN, TUESDAY, feed, trip_rows
from tests.support.transit_reference import ConnectionScan, agreement, engine_median_minutes

SETTINGS = DEFAULT_TRANSIT


def timetable_of(upload, **choice) -> Timetable:  # type: ignore[no-untyped-def]
    read = read_timetable(upload, None, choice=TimetableChoice(service_date=TUESDAY, **choice))
    assert read.timetable is not None, [str(i) for i in read.issues]
    return read.timetable


def straight_transfers(timetable: Timetable, settings: TransitSettings = SETTINGS):  # type: ignore[no-untyped-def]
    xy = np.column_stack([timetable.stop_x, timetable.stop_y])
    walk = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / settings.walk_m_per_s
    return transfers_from_walks(walk, settings)


def earliest(timetable: Timetable, origin: str, leave: str, target: str,
             settings: TransitSettings = SETTINGS) -> str | None:
    """The engine's earliest arrival at ``target``, leaving ``origin`` at ``leave`` (HH:MM:SS or None)."""
    stops = list(timetable.stop_ids)
    found = raptor(build_patterns(timetable, 0, 48 * 3600), straight_transfers(timetable, settings),
                   np.array([stops.index(origin)]), np.array([clock_seconds(leave)]), horizon=settings.horizon_seconds,
                   max_rides=settings.max_rides)[0, stops.index(target)]
    return None if found >= INF else _clock(int(found))


def reference(timetable: Timetable, origin: str, leave: str, target: str,
              settings: TransitSettings = SETTINGS) -> str | None:
    """The connection scan's answer to the same question."""
    stops = list(timetable.stop_ids)
    scan = ConnectionScan(timetable, straight_transfers(timetable, settings), settings)
    found = scan.arrivals(stops.index(origin), clock_seconds(leave))[stops.index(target)]
    return None if not np.isfinite(found) else _clock(int(found))


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


LINE = {"A": (0, 0), "B": (3000, 0), "B2": (3000, 200), "C": (6000, 0), "D": (9000, 0)}


def test_a_change_takes_at_least_the_minimum_transfer_time() -> None:
    upload = feed(LINE, {
        "t1": ("WD", trip_rows("t1", [("A", "08:00:00"), ("B", "08:10:00")])),
        "t2": ("WD", trip_rows("t2", [("B", "08:10:30"), ("C", "08:20:00")])),
        "t3": ("WD", trip_rows("t3", [("B", "08:11:00"), ("C", "08:21:00")])),
    })
    timetable = timetable_of(upload)
    assert earliest(timetable, "A", "08:00:00", "C") == "08:21:00"  # 08:10:30 is 30 s after getting off
    assert reference(timetable, "A", "08:00:00", "C") == "08:21:00"
    no_minimum = dataclasses.replace(SETTINGS, min_transfer_minutes=0.0)
    assert earliest(timetable, "A", "08:00:00", "C", no_minimum) == "08:20:00"


def test_a_change_may_walk_to_a_nearby_stop() -> None:
    upload = feed(LINE, {
        "t1": ("WD", trip_rows("t1", [("A", "08:00:00"), ("B", "08:10:00")])),
        "t4": ("WD", trip_rows("t4", [("B2", "08:12:00"), ("D", "08:30:00")])),
        "t5": ("WD", trip_rows("t5", [("B2", "08:13:00"), ("D", "08:31:00")])),
    })
    timetable = timetable_of(upload)
    # 200 m at 4.8 km/h is 150 s: at B2 by 08:12:30, too late for 08:12.
    assert earliest(timetable, "A", "08:00:00", "D") == "08:31:00"
    assert reference(timetable, "A", "08:00:00", "D") == "08:31:00"
    short = dataclasses.replace(SETTINGS, max_transfer_m=100.0)
    assert earliest(timetable, "A", "08:00:00", "D", short) is None


def test_a_faster_later_trip_is_found_although_it_overtakes() -> None:
    upload = feed(LINE, {
        "slow": ("WD", trip_rows("slow", [("A", "08:00:00"), ("B", "08:20:00"), ("C", "08:40:00")])),
        "fast": ("WD", trip_rows("fast", [("A", "08:05:00"), ("B", "08:10:00"), ("C", "08:15:00")])),
    })
    timetable = timetable_of(upload)
    assert build_patterns(timetable, 0, 86_400).n_patterns == 2  # split: one may not overtake the other
    assert earliest(timetable, "A", "08:00:00", "C") == "08:15:00"


def test_no_boarding_or_alighting_where_the_feed_says_none() -> None:
    upload = feed(LINE, {
        "t1": ("WD", trip_rows("t1", [("A", "08:00:00"), ("B", "08:10:00"), ("C", "08:20:00")],
                               pickup_type=[1, 0, 0], drop_off_type=[0, 1, 0])),
    })
    timetable = timetable_of(upload)
    assert earliest(timetable, "A", "07:59:00", "C") is None  # no pick-up at A
    assert earliest(timetable, "B", "08:00:00", "C") == "08:20:00"
    assert reference(timetable, "A", "07:59:00", "C") is None


def test_the_calendar_and_its_exceptions_decide_the_day() -> None:
    upload = feed(LINE, {
        "weekday": ("WD", trip_rows("weekday", [("A", "08:00:00"), ("B", "08:10:00")])),
        "saturday": ("SAT", trip_rows("saturday", [("A", "08:01:00"), ("B", "08:11:00")])),
        "extra": ("EXTRA", trip_rows("extra", [("A", "08:02:00"), ("B", "08:12:00")])),
    }, calendar=[
        {"service_id": "WD", "monday": 1, "tuesday": 1, "wednesday": 1, "thursday": 1, "friday": 1, "saturday": 0,
         "sunday": 0, "start_date": "20260302", "end_date": "20260327"},
        {"service_id": "SAT", "monday": 0, "tuesday": 0, "wednesday": 0, "thursday": 0, "friday": 0, "saturday": 1,
         "sunday": 0, "start_date": "20260302", "end_date": "20260327"},
    ], calendar_dates=[{"service_id": "WD", "date": "20260303", "exception_type": 2},
                       {"service_id": "EXTRA", "date": "20260303", "exception_type": 1}])
    assert list(timetable_of(upload).trip_ids) == ["extra"]  # Tuesday 3 March: the weekday service removed
    wednesday = read_timetable(upload, None, choice=TimetableChoice(service_date=TUESDAY.replace(day=4)))
    assert wednesday.timetable is not None and list(wednesday.timetable.trip_ids) == ["weekday"]
    busiest = read_timetable(upload, None).timetable  # no day chosen: the busiest weekday, the earliest of ties
    assert busiest is not None and busiest.service_date == TUESDAY.replace(day=2)


def test_a_trip_of_the_day_before_that_runs_past_midnight_counts() -> None:
    upload = feed(LINE, {
        "late": ("WD", trip_rows("late", [("A", "32:05:00"), ("B", "32:25:00")])),  # 08:05 the next morning
    })
    timetable = timetable_of(upload)
    assert sorted(timetable.trip_ids) == ["late", "previous day: late"]  # Monday's, and Tuesday's own
    assert earliest(timetable, "A", "08:00:00", "B") == "08:25:00"


def test_frequencies_become_trips_every_headway() -> None:
    upload = feed(LINE, {"f": ("WD", trip_rows("f", [("A", "00:00:00"), ("B", "00:15:00")]))},
                  frequencies=[{"trip_id": "f", "start_time": "07:00:00", "end_time": "10:30:00", "headway_secs": 600}])
    timetable = timetable_of(upload)
    assert timetable.n_trips == 21  # 07:00, 07:10, ... 10:20
    profiles = stop_profiles(build_patterns(timetable, 0, 86_400), straight_transfers(timetable), SETTINGS)
    stops = list(timetable.stop_ids)
    median = engine_median_minutes(profiles, stops.index("A"), SETTINGS)[stops.index("B")]
    # Leaving at minute m: wait (-m mod 10) minutes, ride 15. The 60th of 120 sorted times is 15 + 4.
    assert median == 19.0


def test_journeys_from_an_area_walk_wait_ride_and_walk_on() -> None:
    """One road, one route every 10 minutes: the median and shares are worked out by hand."""
    xs = np.arange(0.0, 6001.0, 100.0)
    nodes = pd.DataFrame({"node_id": np.arange(xs.size), "x": ORIGIN[0] + xs, "y": ORIGIN[1]})
    edges = pd.DataFrame({"u": np.arange(xs.size - 1), "v": np.arange(1, xs.size), "road_class": "minor",
                          "length_m": 100.0, "oneway": False})
    walk = build_mode_graph(network_from_tables(nodes, edges), "walk")
    upload = feed({"A": (100, 0), "B": (6000, 0)},
                  {"f": ("WD", trip_rows("f", [("A", "00:00:00"), ("B", "00:15:00")]))},
                  frequencies=[{"trip_id": "f", "start_time": "07:00:00", "end_time": "11:00:00", "headway_secs": 600}])
    areas = pd.DataFrame({"code": ["Z1"], "pwc_x": [ORIGIN[0]], "pwc_y": [ORIGIN[1]]})
    router = transit_router(walk, areas, timetable_of(upload))
    journeys = router.journeys_to_snapped(router.snap(np.array([[ORIGIN[0] + 6000, ORIGIN[1]]])))
    # At A 75 s after leaving (100 m at 4.8 km/h): the next bus at or after that, then 15 minutes.
    minutes = np.arange(120)
    wait = (np.ceil((minutes + 1.25) / 10) * 10 - minutes)
    times = np.sort(wait + 15)
    # The engine counts each walk in whole seconds, rounded up: the stops' positions, read back
    # from latitude and longitude, are a hair from the road's end, so the last walk is 1 s.
    assert journeys.median_minutes[0, 0] == pytest.approx(times[59], abs=2 / 60)
    assert journeys.share_within[30][0, 0] == pytest.approx(np.mean(wait + 15 <= 30))
    assert journeys.share_within[45][0, 0] == 1.0


@pytest.fixture(scope="module")
def demo_router():  # type: ignore[no-untyped-def]
    locality = load_locality(DEMO_FOLDER)
    from geo.ingest.gtfs import load_timetable

    timetable, settings = load_timetable(DEMO_FOLDER, locality.county.geometry.union_all())
    walk = build_mode_graph(network_from_tables(locality.road_nodes, locality.road_edges), "walk")
    return locality, walk, timetable, settings, transit_router(walk, locality.areas, timetable, settings=settings)


@pytest.mark.slow
def test_after_a_drag_the_figures_equal_a_full_recomputation(demo_router) -> None:  # type: ignore[no-untyped-def]
    locality, walk, timetable, settings, router = demo_router
    weights = area_weights(locality.areas)
    towns = locality.towns
    hubs = [Hub(hub_id=f"H{i + 1}", name=str(r["name"]), x=float(r.geometry.x), y=float(r.geometry.y),
                capacity_places=40) for i, (_, r) in enumerate(towns.head(4).iterrows())]
    before = hub_access(router, hubs, weights)
    for dx, dy in ((1_200.0, -800.0), (-2_500.0, 3_100.0)):
        moved = [dataclasses.replace(hubs[0], x=hubs[0].x + dx, y=hubs[0].y + dy), *hubs[1:]]
        dragged = hub_access(router, moved, weights, previous=before.hub_minutes)
        fresh = hub_access(transit_router(walk, locality.areas, timetable, settings=settings), moved, weights)
        pd.testing.assert_frame_equal(dragged.per_area, fresh.per_area)
        pd.testing.assert_frame_equal(dragged.summary, fresh.summary)
        assert np.isfinite(dragged.minutes).mean() > 0.5


@pytest.mark.slow
def test_area_journeys_equal_an_independent_connection_scan(demo_router) -> None:  # type: ignore[no-untyped-def]
    """Leaving each sampled area at each minute: walk to any stop in reach, scan, walk to the site."""
    locality, _, timetable, settings, router = demo_router
    site = locality.towns.geometry.iloc[1]
    snap = router.snap(np.array([[site.x, site.y]]))
    engine = router.journeys_to_snapped(snap).median_minutes[:, 0]
    walks = router.access_seconds
    to_site = router.walk_router.minutes_to_snapped(snap)[:, 0] * 60.0
    scan = ConnectionScan(timetable, router.transfers, settings)
    limit = settings.max_walk_minutes * 60.0
    n_areas = router.n_areas
    rng = np.random.default_rng(5)
    for area in rng.choice(n_areas, 8, replace=False).tolist():
        reach = {s: w for s, w in enumerate(walks[area]) if w <= limit}
        times = []
        for minute in range(settings.n_minutes):
            leave = settings.start_seconds + 60 * minute
            arrived = scan.arrivals_from({s: leave + np.ceil(w) for s, w in reach.items()}, leave)
            by_bus = min((arrived[s] + np.ceil(to_site[n_areas + s]) for s in range(timetable.n_stops)
                          if to_site[n_areas + s] <= limit), default=np.inf)
            journey = min(by_bus, leave + to_site[area]) - leave
            times.append(journey if journey <= settings.max_trip_minutes * 60 else np.inf)
        expected = np.sort(times)[59] / 60.0
        assert (np.isnan(engine[area]) and np.isinf(expected)) or engine[area] == pytest.approx(expected), area


@pytest.mark.slow
@pytest.mark.shared_data
def test_stop_to_stop_medians_agree_with_a_connection_scan_on_real_timetables(shared_data) -> None:  # type: ignore[no-untyped-def]
    """Newport's real BODS feed for Tuesday 13 June 2023: at least 99% of 200 random pairs within a minute."""
    from pyproj import Transformer

    from geo.ingest.files import upload_from_path

    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    (x0, x1), (y0, y1) = to_grid.transform([-3.077081, -2.925075], [51.52222, 51.593596])
    upload = upload_from_path(shared_data / "gtfs_newport" / "newport-20230613_gtfs.zip")
    read = read_timetable(upload, shapely.box(x0, y0, x1, y1))
    assert read.timetable is not None
    timetable = read.timetable
    assert timetable.service_date.isoformat() == "2023-06-13"
    transfers = straight_transfers(timetable)
    profiles = stop_profiles(build_patterns(timetable, SETTINGS.start_seconds, SETTINGS.horizon_seconds),
                             transfers, SETTINGS)
    percent, pairs = agreement(ConnectionScan(timetable, transfers, SETTINGS), profiles, origins=20, per_origin=10)
    assert len(pairs) >= 200
    assert percent >= 99.0, [p for p in pairs if not abs(p[2] - p[3]) <= 1.0][:10]
