"""Brackenshire's buses (fictional): a GTFS timetable generated with the demo locality.

As a county like the papers' would have it: frequent town services (every 10 minutes in
Kingsmere, every 15 to 30 in the other towns), hourly routes between neighbouring towns,
and a few buses a day in the rural north and east. Every route runs both ways on
weekdays, 06:00 to 20:00. Town routes call at the centre of each small area of their part
of town; routes between towns call at the villages (rural small areas' centres) near the
way; times are whole minutes from the distance at a
route's speed. Deterministic: its own random generator, so the rest of the demo does not
change when the buses do. Written as a real GTFS zip (read back through the same
importer as an analyst's feed) with fixed file dates, so a fresh run gives the same tables.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

FEED_NAME = "Brackenshire Buses (fictional)"
SERVICE_START = dt.date(2026, 3, 2)  # a Monday
SERVICE_END = dt.date(2026, 7, 24)
SERVICE_DATE = dt.date(2026, 3, 3)  # the demo's service day: a Tuesday
FIRST_BUS_S = 6 * 3600
LAST_BUS_S = 20 * 3600
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Route:
    """One bus route: its stops (metres), how often and when it runs, and its speed."""

    short_name: str
    long_name: str
    stops: np.ndarray
    headway_min: int | None  # None: only at ``departures``
    departures: tuple[str, ...] = ()
    kmh: float = 20.0


# Cross-town routes: (town, headway in minutes, number of routes through the centre).
TOWN_SERVICES = (("Kingsmere", 10, 6), ("Ashworth", 15, 4), ("Fenbury", 15, 4), ("Thornley", 20, 3),
                 ("Millbrook", 20, 3), ("Oakhampton Cross", 30, 2), ("Harrowfield", 30, 2),
                 ("Eastwick Marsh", 30, 1))
# Hourly routes between towns (the A roads' pairs), calling at villages near the way.
INTER_TOWN = (("Kingsmere", "Ashworth"), ("Kingsmere", "Fenbury"), ("Kingsmere", "Millbrook"),
              ("Kingsmere", "Oakhampton Cross"), ("Millbrook", "Harrowfield"), ("Ashworth", "Thornley"),
              ("Thornley", "Millbrook"), ("Fenbury", "Eastwick Marsh"))
VILLAGE_REACH_M = 2_500.0  # an inter-town route calls at villages this close to its way
# A few buses a day from a town out to the rural north and east: (town, bearing in degrees, times).
RURAL = (("Harrowfield", 60.0, ("07:10", "12:40", "17:20")), ("Harrowfield", 300.0, ("07:40", "13:10")),
         ("Thornley", 30.0, ("08:05", "14:30", "17:45")), ("Eastwick Marsh", 20.0, ("07:25", "16:10")),
         ("Eastwick Marsh", 110.0, ("09:15", "15:40")))
# Every two hours out to the villages of the rest of the countryside: (town, bearing in degrees).
RURAL_TWO_HOURLY = (("Ashworth", 250.0), ("Ashworth", 200.0), ("Thornley", 280.0), ("Thornley", 330.0),
                    ("Kingsmere", 160.0), ("Millbrook", 300.0), ("Millbrook", 70.0), ("Oakhampton Cross", 120.0),
                    ("Fenbury", 150.0), ("Fenbury", 60.0))


def _town_points(towns: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    return {str(r["name"]): np.array([r.geometry.x, r.geometry.y]) for _, r in towns.iterrows()}


def _area_points(areas: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([areas["pwc_x"].to_numpy(float), areas["pwc_y"].to_numpy(float)])


def _merge_close(points: np.ndarray, within_m: float) -> np.ndarray:
    """Drop each point closer than ``within_m`` to the one kept before it (one stop for both)."""
    kept = [points[0]]
    for point in points[1:]:
        if np.hypot(*(point - kept[-1])) >= within_m:
            kept.append(point)
    return np.array(kept)


def routes_for(areas: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, county: gpd.GeoDataFrame,
               rng: np.random.Generator) -> list[Route]:
    """Every route of the network, from the towns, the small areas and the county outline."""
    centre = _town_points(towns)
    outline = county.geometry.iloc[0]
    routes: list[Route] = []
    for town, headway, n_routes in TOWN_SERVICES:
        # Each route serves the areas in two opposite sectors, calling at each one's centre.
        xy = _area_points(areas[areas["town"] == town])
        offset = xy - centre[town]
        turn = rng.uniform(0, np.pi / n_routes)
        sector = (((np.arctan2(offset[:, 1], offset[:, 0]) - turn) % np.pi) // (np.pi / n_routes)).astype(int)
        for k in range(n_routes):
            angle = turn + np.pi * (k + 0.5) / n_routes
            axis = np.array([np.cos(angle), np.sin(angle)])
            chosen = np.vstack([xy[sector == k], centre[town][None, :]])
            stops = _merge_close(chosen[np.argsort(chosen @ axis)], 250.0)
            routes.append(Route(f"{town[:1]}{k + 1}", f"{town} town {k + 1}", stops, headway, kmh=20.0))
    villages = _area_points(areas[areas["town"] == "Rural"])
    for number, (a, b) in enumerate(INTER_TOWN, start=1):
        way = centre[b] - centre[a]
        length = float(np.hypot(*way))
        along = (villages - centre[a]) @ way / length
        across = np.abs((villages - centre[a]) @ np.array([-way[1], way[0]]) / length)
        near = (along > 1_000.0) & (along < length - 1_000.0) & (across < VILLAGE_REACH_M)
        calls = villages[near][np.argsort(along[near])]
        stops = _merge_close(np.vstack([centre[a], calls, centre[b]]), 400.0)
        routes.append(Route(f"X{number}", f"{a} - {b}", stops, 60, kmh=40.0))
    inside = outline.buffer(-500)
    for number, (town, bearing, times) in enumerate(RURAL, start=1):
        routes.append(Route(f"R{number}", f"{town} villages {number}",
                            _village_path(centre[town], bearing, villages, inside), None, times, kmh=40.0))
    for number, (town, bearing) in enumerate(RURAL_TWO_HOURLY, start=len(RURAL) + 1):
        routes.append(Route(f"R{number}", f"{town} villages {number}",
                            _village_path(centre[town], bearing, villages, inside), 120, kmh=40.0))
    return routes


def _village_path(start: np.ndarray, bearing: float, villages: np.ndarray, inside: object) -> np.ndarray:
    """From a town, village to village roughly along a compass bearing, staying in the county."""
    way = np.array([np.sin(np.radians(bearing)), np.cos(np.radians(bearing))])
    path, here = [start], start
    for _ in range(8):
        ahead = villages[((villages - here) @ way > 1_200.0) & (np.hypot(*(villages - here).T) < 6_000.0)]
        if not ahead.size:
            break
        chosen = ahead[np.argmin(np.abs((ahead - here) @ np.array([-way[1], way[0]])))]
        if not inside.contains(gpd.points_from_xy([chosen[0]], [chosen[1]])[0]):  # type: ignore[attr-defined]
            break
        path.append(chosen)
        here = chosen
    return np.array(path)


def gtfs_tables(routes: list[Route]) -> dict[str, pd.DataFrame]:
    """The GTFS tables of ``routes``: both directions, weekdays."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    stops, trips, stop_times = [], [], []
    for r, route in enumerate(routes):
        lon, lat = to_lonlat.transform(route.stops[:, 0], route.stops[:, 1])
        ids = [f"BR{r + 1:02d}S{k + 1:03d}" for k in range(len(route.stops))]
        stops.extend({"stop_id": i, "stop_name": f"{route.long_name}, stop {k + 1}", "stop_lat": round(la, 6),
                      "stop_lon": round(lo, 6)} for k, (i, lo, la) in enumerate(zip(ids, lon, lat, strict=True)))
        step = np.hypot(*np.diff(route.stops, axis=0).T) * 1.2  # roads are longer than straight lines
        minutes = np.r_[0.0, np.cumsum(step)] / (route.kmh / 3.6) / 60.0
        starts = ([FIRST_BUS_S + 60 * ((r * 7) % route.headway_min) + 60 * route.headway_min * k
                   for k in range((LAST_BUS_S - FIRST_BUS_S) // (60 * route.headway_min))]
                  if route.headway_min else [_seconds(t) for t in route.departures])
        for direction in (0, 1):
            order = list(range(len(ids))) if direction == 0 else list(range(len(ids)))[::-1]
            offsets = np.round(minutes if direction == 0 else minutes[-1] - minutes[::-1]).astype(int)
            for start in starts:
                trip_id = f"{route.short_name}-{direction}-{start // 3600:02d}{start % 3600 // 60:02d}"
                trips.append({"route_id": route.short_name, "service_id": "WEEKDAY", "trip_id": trip_id,
                              "direction_id": direction})
                for seq, (k, offset) in enumerate(zip(order, offsets, strict=True), start=1):
                    clock = _clock(start + 60 * int(offset))
                    stop_times.append({"trip_id": trip_id, "arrival_time": clock, "departure_time": clock,
                                       "stop_id": ids[k], "stop_sequence": seq})
    return {
        "agency.txt": pd.DataFrame([{"agency_id": "BB", "agency_name": FEED_NAME,
                                     "agency_url": "https://example.invalid/brackenshire-buses",
                                     "agency_timezone": "Europe/London"}]),
        "routes.txt": pd.DataFrame([{"route_id": rt.short_name, "agency_id": "BB", "route_short_name": rt.short_name,
                                     "route_long_name": rt.long_name, "route_type": 3} for rt in routes]),
        "stops.txt": pd.DataFrame(stops),
        "calendar.txt": pd.DataFrame([{"service_id": "WEEKDAY", "monday": 1, "tuesday": 1, "wednesday": 1,
                                       "thursday": 1, "friday": 1, "saturday": 0, "sunday": 0,
                                       "start_date": f"{SERVICE_START:%Y%m%d}", "end_date": f"{SERVICE_END:%Y%m%d}"}]),
        "trips.txt": pd.DataFrame(trips),
        "stop_times.txt": pd.DataFrame(stop_times),
    }


def _seconds(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def gtfs_zip(tables: dict[str, pd.DataFrame]) -> bytes:
    """The tables as a GTFS zip with fixed dates (the same bytes for the same tables and zlib)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(tables):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, tables[name].to_csv(index=False, lineterminator="\n"))
    return buffer.getvalue()
