"""Hand-made GTFS feeds with known answers, written as real zips for the importer."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pyproj import Transformer

from data.demo_timetable import gtfs_zip
from geo.ingest.files import Upload

TUESDAY = dt.date(2026, 3, 3)
_TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
ORIGIN = (430_000.0, 210_000.0)  # somewhere in southern England, British National Grid metres


def stops_table(points: dict[str, tuple[float, float]], origin: tuple[float, float] = ORIGIN) -> pd.DataFrame:
    """GTFS stops at offsets (metres east, north) from ``origin``."""
    rows = []
    for stop_id, (dx, dy) in points.items():
        lon, lat = _TO_LONLAT.transform(origin[0] + dx, origin[1] + dy)
        rows.append({"stop_id": stop_id, "stop_name": f"Stop {stop_id}", "stop_lat": lat, "stop_lon": lon})
    return pd.DataFrame(rows)


def trip_rows(trip_id: str, calls: list[tuple[str, str]], **rules: list[int]) -> list[dict[str, object]]:
    """Stop times of one trip: (stop, HH:MM:SS) in order; ``pickup_type``/``drop_off_type`` lists optional."""
    rows: list[dict[str, object]] = []
    for k, (stop, clock) in enumerate(calls):
        row: dict[str, object] = {"trip_id": trip_id, "arrival_time": clock, "departure_time": clock,
                                  "stop_id": stop, "stop_sequence": k + 1}
        for column, values in rules.items():
            row[column] = values[k]
        rows.append(row)
    return rows


def feed(stops: dict[str, tuple[float, float]], trips: dict[str, tuple[str, list[dict[str, object]]]], *,
         calendar: list[dict[str, object]] | None = None, calendar_dates: list[dict[str, object]] | None = None,
         frequencies: list[dict[str, object]] | None = None, name: str = "feed.zip",
         origin: tuple[float, float] = ORIGIN) -> Upload:
    """A GTFS zip: ``trips`` maps trip id -> (service id, stop-time rows)."""
    services = sorted({service for service, _ in trips.values()})
    weekday = {"monday": 1, "tuesday": 1, "wednesday": 1, "thursday": 1, "friday": 1, "saturday": 0, "sunday": 0}
    tables = {
        "agency.txt": pd.DataFrame([{"agency_id": "T", "agency_name": "Test Buses", "agency_url": "https://example.invalid",
                                     "agency_timezone": "Europe/London"}]),
        "routes.txt": pd.DataFrame([{"route_id": "R", "agency_id": "T", "route_short_name": "1", "route_type": 3}]),
        "stops.txt": stops_table(stops, origin),
        "trips.txt": pd.DataFrame([{"route_id": "R", "service_id": service, "trip_id": trip}
                                   for trip, (service, _) in trips.items()]),
        "stop_times.txt": pd.DataFrame([row for _, rows in trips.values() for row in rows]),
        "calendar.txt": pd.DataFrame(calendar if calendar is not None else [
            {"service_id": s, **weekday, "start_date": "20260302", "end_date": "20260327"} for s in services]),
    }
    if calendar_dates:
        tables["calendar_dates.txt"] = pd.DataFrame(calendar_dates)
    if frequencies:
        tables["frequencies.txt"] = pd.DataFrame(frequencies)
    return Upload(name, gtfs_zip(tables))
