"""Read and check a GTFS timetable for a locality: one service day, the stops that matter.

GTFS (the General Transit Feed Specification) is how England's bus timetables are
published (the Bus Open Data Service). A feed is a zip of CSV tables; this reads it with
partridge (a maintained GTFS reader: it parses times and works out which services run on
which date) and turns the day chosen into a :class:`geo.transit.Timetable`:

- the service day: a weekday the feed covers (by default its busiest, the earliest if
  several tie); trips of the day before that run past midnight come in too;
- trips in ``frequencies.txt`` are expanded into one trip per headway from the start time;
- stops outside the locality and its margin (:data:`STOP_MARGIN_M`) are left out, and
  with them the parts of trips that run there;
- times missing at stops that are not timing points are interpolated along the trip.

Problems become :class:`~geo.ingest.report.Issue` rows naming file, row and column: not
a zip or not GTFS, missing required files, duplicate ids, unreadable or out-of-order
times, no service on the chosen day, no stop inside the locality (errors); stops far
outside left out and trips past midnight (warnings). Nothing is written but a temporary
folder for the reader, removed at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import shapely

from geo.errors import PlannerInputError, UploadError
from geo.ingest.files import DEFAULT_LIMITS, Upload, UploadLimits, check_archive
from geo.ingest.networks import DEFAULT_NETWORK_MARGIN_KM
from geo.ingest.report import Issue
from geo.ingest.uploads import PreparedUpload
from geo.transit import (
    DEFAULT_CHOICE,
    DEFAULT_TRANSIT,
    Timetable,
    TimetableChoice,
    TransitSettings,
    clock_seconds,
    timetable_from_tables,
)

# Stops as far beyond the locality as its roads are kept (geo.ingest.networks): people cross the
# boundary to catch a bus, and walk there on those roads.
STOP_MARGIN_M = DEFAULT_NETWORK_MARGIN_KM * 1000.0
MARGIN_KEY = "stop_margin_km"
REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
CALENDAR_FILES = ("calendar.txt", "calendar_dates.txt")
TIMETABLE_ZIP = "timetable_gtfs.zip"
TIMETABLE_SETTINGS = "timetable.json"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
_LISTED = 5  # problems of one kind listed before "and N more"


@dataclass(frozen=True, eq=False)
class TimetableRead:
    """A feed read for a locality: the timetable (None when there were errors) and the issues."""

    timetable: Timetable | None
    issues: tuple[Issue, ...]
    weekdays: tuple[tuple[dt.date, int], ...] = ()

    @property
    def passed(self) -> bool:
        """True when the feed can be used (warnings may remain)."""
        return not any(i.severity == "error" for i in self.issues)


def read_timetable(upload: Upload, boundary: shapely.Geometry | None, *,
                   choice: TimetableChoice = DEFAULT_CHOICE, margin_m: float = STOP_MARGIN_M,
                   limits: UploadLimits = DEFAULT_LIMITS) -> TimetableRead:
    """Read ``upload`` (a GTFS zip) for the locality inside ``boundary`` (British National Grid).

    Returns every problem found; the timetable only when there are no errors.
    """
    issues: list[Issue] = []
    try:
        with _unpacked(upload, limits) as folder:
            return _read_folder(upload.name, folder, boundary, choice, margin_m, issues)
    except UploadError as error:
        message = str(error).removeprefix(f"{upload.name}: ")
        return TimetableRead(None, (Issue("error", upload.name, None, None, message, "unreadable_file"),))


@contextlib.contextmanager
def _unpacked(upload: Upload, limits: UploadLimits) -> Iterator[Path]:
    """The feed's tables in a temporary folder (checked for zip bombs and unsafe names first)."""
    if not upload.content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise UploadError(f"{upload.name}: expected a GTFS feed (a zip of .txt tables); this is not a zip file")
    members = check_archive(upload, limits=limits)
    tables = {PurePosixPath(m.filename).name: m for m in members if m.filename.lower().endswith(".txt")}
    if not any(name in tables for name in (*REQUIRED_FILES, *CALENDAR_FILES)):
        found = ", ".join(sorted(PurePosixPath(m.filename).name for m in members)[:8]) or "nothing"
        raise UploadError(f"{upload.name}: a zip file, but not a GTFS feed: expected stops.txt, trips.txt, "
                          f"stop_times.txt and the other GTFS tables; found {found}")
    folder = Path(tempfile.mkdtemp(prefix="dsp-gtfs-"))
    try:
        with zipfile.ZipFile(io.BytesIO(upload.content)) as archive:
            for name, member in tables.items():
                with archive.open(member) as source:
                    (folder / name).write_bytes(source.read(member.file_size + 1)[: member.file_size])
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_folder(file: str, folder: Path, boundary: shapely.Geometry | None, choice: TimetableChoice,
                 margin_m: float, issues: list[Issue]) -> TimetableRead:
    import partridge

    missing = [n for n in REQUIRED_FILES if not (folder / n).is_file()]
    if not any((folder / n).is_file() for n in CALENDAR_FILES):
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        issues.append(Issue("error", file, None, None, f"the feed has no {', '.join(missing)} (required by GTFS)",
                            "missing_file"))
        return TimetableRead(None, tuple(issues))
    raw = {name: _raw_table(folder / name) for name in ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")}
    for name, key in (("stops.txt", ["stop_id"]), ("routes.txt", ["route_id"]), ("trips.txt", ["trip_id"]),
                      ("stop_times.txt", ["trip_id", "stop_sequence"])):
        issues.extend(_duplicates(file, name, raw[name], key))
    issues.extend(_bad_times(file, raw["stop_times.txt"]))
    if any(i.severity == "error" for i in issues):
        return TimetableRead(None, tuple(issues))
    try:
        by_date = partridge.read_service_ids_by_date(str(folder))
        counts = _trips_by_date(raw["trips.txt"], by_date)
    except Exception as error:  # partridge raises many types for malformed calendars
        issues.append(Issue("error", file, None, None, f"cannot read the calendar ({error})", "unreadable_file"))
        return TimetableRead(None, tuple(issues))
    weekdays = tuple((day, n) for day, n in sorted(counts.items()) if day.weekday() < 5 and n > 0)
    day = choice.service_date or busiest_weekday(weekdays)
    if day is None or counts.get(day, 0) == 0:
        wanted = "a weekday" if day is None else f"{day:%A} {day.isoformat()}"
        issues.append(Issue("error", file, None, "calendar.txt",
                            f"no trips run on {wanted}; the feed has trips on {_days_text(weekdays)}",
                            "no_service"))
        return TimetableRead(None, tuple(issues), weekdays)
    previous = day - dt.timedelta(days=1)
    feed = partridge.load_feed(str(folder), view={"trips.txt": {"service_id": by_date.get(day, frozenset())}})
    late = partridge.load_feed(str(folder), view={"trips.txt": {"service_id": by_date.get(previous, frozenset())}})
    stops = _stops_in_bng(feed.stops if not feed.stops.empty else raw["stops.txt"], file, issues)
    if stops is None:
        return TimetableRead(None, tuple(issues), weekdays)
    times = _day_stop_times(feed, late, file, issues)
    if times is None:
        return TimetableRead(None, tuple(issues), weekdays)
    used = stops[stops["stop_id"].isin(times["stop_id"])]
    kept = used
    if boundary is not None:
        near = shapely.contains_xy(shapely.buffer(boundary, margin_m), used["x"].to_numpy(), used["y"].to_numpy())
        kept = used[near]
        far = used[~near]
        if kept.empty:
            issues.append(Issue("error", file, None, "stops.txt",
                                f"none of the {len(used):,} stops served on {day:%A %d %B %Y} is within "
                                f"{margin_m / 1000:g} km of the locality: is this the right feed?", "stops_outside"))
            return TimetableRead(None, tuple(issues), weekdays)
        if not far.empty:
            issues.append(Issue("warning", file, None, "stops.txt",
                                f"{len(far):,} of the {len(used):,} stops served that day are more than "
                                f"{margin_m / 1000:g} km outside the locality (e.g. {_names(far)}); they and "
                                "the parts of trips that run there are left out", "stops_outside"))
    times = times[times["stop_id"].isin(kept["stop_id"])]
    times = times[times.groupby("trip_id")["stop_id"].transform("size") >= 2]
    if times.empty:
        issues.append(Issue("error", file, None, "stop_times.txt",
                            f"no trip stops twice within the locality on {day:%A %d %B %Y}", "no_service"))
        return TimetableRead(None, tuple(issues), weekdays)
    agencies = feed.agency["agency_name"].astype(str).tolist() if "agency_name" in feed.agency else []
    routes = _trip_routes(feed)
    timetable = timetable_from_tables(
        kept.reset_index(drop=True), times, name=choice.name or feed_name(agencies, file), service_date=day,
        trip_routes=routes)
    return TimetableRead(timetable, tuple(issues), weekdays)


def _raw_table(path: Path) -> pd.DataFrame:
    """A table as text, rows numbered as the analyst sees them (header = row 1)."""
    if not path.is_file():
        return pd.DataFrame()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _duplicates(file: str, name: str, table: pd.DataFrame, key: list[str]) -> list[Issue]:
    missing = [c for c in key if c not in table.columns]
    if missing:
        return [Issue("error", file, None, None, f"{name} has no column {', '.join(missing)} (required by GTFS)",
                      "missing_column")]
    repeated = table[table.duplicated(key, keep="first")]
    issues = [Issue("error", f"{file}: {name}", int(row), key[-1],
                    f"{' and '.join(key)} {', '.join(str(table.at[row, c]) for c in key)} appears more than once; "
                    "expected each once", "duplicate_id")
              for row in repeated.index[:_LISTED]]
    if len(repeated) > _LISTED:
        issues.append(Issue("error", f"{file}: {name}", None, key[-1],
                            f"... and {len(repeated) - _LISTED:,} more repeated ids", "duplicate_id"))
    return issues


def _bad_times(file: str, stop_times: pd.DataFrame) -> list[Issue]:
    """Unreadable times, a departure before its arrival, and times going back along a trip."""
    where = f"{file}: stop_times.txt"
    issues: list[Issue] = []
    seconds = {}
    for column in ("arrival_time", "departure_time"):
        if column not in stop_times.columns:
            return [Issue("error", where, None, column, "the column is missing (required by GTFS)", "missing_column")]
        text = stop_times[column].astype(str).str.strip()
        parsed = text.str.extract(_TIME).astype(float)
        value = parsed[0] * 3600 + parsed[1] * 60 + parsed[2]
        bad = (text != "") & value.isna()
        issues.extend(Issue("error", where, int(row), column,
                            f"expected a time HH:MM:SS (hours may pass 24), found {text[row]!r}", "bad_time")
                      for row in bad[bad].index[:_LISTED])
        seconds[column] = value
    if issues:
        return issues
    arrival = seconds["arrival_time"].fillna(seconds["departure_time"])
    departure = seconds["departure_time"].fillna(seconds["arrival_time"])
    early = departure < arrival
    shown = stop_times.astype(str)
    issues.extend(Issue("error", where, int(row), "departure_time",
                        f"the departure ({shown.at[row, 'departure_time']!s}) is before the arrival "
                        f"({shown.at[row, 'arrival_time']!s})", "time_order") for row in early[early].index[:_LISTED])
    order = pd.DataFrame({"trip": stop_times["trip_id"], "sequence": pd.to_numeric(
        stop_times["stop_sequence"], errors="coerce"), "arrival": arrival, "departure": departure})
    order = order.dropna(subset=["arrival"]).sort_values(["trip", "sequence"], kind="stable")
    before = order.groupby("trip")["departure"].shift()
    backwards = order["arrival"] < before
    for row in backwards[backwards].index[:_LISTED]:
        issues.append(Issue("error", where, int(row), "arrival_time",
                            f"trip {shown.at[row, 'trip_id']!s} arrives at stop sequence "
                            f"{shown.at[row, 'stop_sequence']!s} ({shown.at[row, 'arrival_time']!s}) before it "
                            "left the stop before: stop times out of order", "time_order"))
    late = int((departure >= 86_400).sum())
    if late:
        issues.append(Issue("warning", where, None, "departure_time",
                            f"{late:,} stop times are after 24:00 (trips running past midnight); each counts on "
                            "the day its trip belongs to, and those of the day before are included", "after_midnight"))
    return issues


def _trips_by_date(trips: pd.DataFrame, by_date: dict[dt.date, frozenset[str]]) -> dict[dt.date, int]:
    per_service = trips["service_id"].value_counts() if "service_id" in trips.columns else pd.Series(dtype=int)
    return {day: int(per_service.reindex(list(ids)).fillna(0).sum()) for day, ids in by_date.items()}


def busiest_weekday(weekdays: tuple[tuple[dt.date, int], ...]) -> dt.date | None:
    """The weekday with the most trips (the earliest of several): the default service day."""
    if not weekdays:
        return None
    most = max(n for _, n in weekdays)
    return min(day for day, n in weekdays if n == most)


def _days_text(weekdays: tuple[tuple[dt.date, int], ...]) -> str:
    if not weekdays:
        return "no weekday at all"
    shown = ", ".join(f"{d:%a} {d.isoformat()}" for d, _ in weekdays[:6])
    return shown + (f" and {len(weekdays) - 6:,} more weekdays" if len(weekdays) > 6 else "")


def _stops_in_bng(stops: pd.DataFrame, file: str, issues: list[Issue]) -> pd.DataFrame | None:
    from pyproj import Transformer

    if "stop_lat" not in stops.columns or "stop_lon" not in stops.columns:
        issues.append(Issue("error", f"{file}: stops.txt", None, "stop_lat", "expected stop_lat and stop_lon columns",
                            "missing_column"))
        return None
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce")
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce")
    bad = ~(lat.between(-90, 90) & lon.between(-180, 180))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        issues.append(Issue("error", f"{file}: stops.txt", row + 2, "stop_lat",
                            f"stop {stops['stop_id'].iloc[row]}: expected a latitude and longitude, found "
                            f"{stops['stop_lat'].iloc[row]!r}, {stops['stop_lon'].iloc[row]!r}", "bad_location"))
        return None
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon.to_numpy(), lat.to_numpy())
    names = stops["stop_name"].astype(str) if "stop_name" in stops.columns else stops["stop_id"].astype(str)
    return pd.DataFrame({"stop_id": stops["stop_id"].astype(str).to_numpy(), "stop_name": names.to_numpy(),
                         "x": x, "y": y})


def _day_stop_times(feed: object, late: object, file: str, issues: list[Issue]) -> pd.DataFrame | None:
    """Stop times of the day's trips (frequencies expanded), and the day before's trips past midnight."""
    today = _trip_times(feed)
    yesterday = _trip_times(late)
    yesterday = yesterday[yesterday.groupby("trip_id")["departure_s"].transform("max") >= 86_400]
    yesterday = yesterday.assign(trip_id="previous day: " + yesterday["trip_id"],
                                 arrival_s=yesterday["arrival_s"] - 86_400,
                                 departure_s=yesterday["departure_s"] - 86_400)
    times = pd.concat([today, yesterday], ignore_index=True)
    if times.empty:
        issues.append(Issue("error", f"{file}: stop_times.txt", None, None, "no stop times for the day's trips",
                            "no_service"))
        return None
    return times


def _trip_times(feed: object) -> pd.DataFrame:
    """One trip's stop times per trip in the feed's view, times in seconds, pick-up and drop-off rules."""
    stop_times: pd.DataFrame = feed.stop_times  # type: ignore[attr-defined]
    columns = ["trip_id", "stop_sequence", "stop_id", "arrival_s", "departure_s", "can_board", "can_alight"]
    if stop_times.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({
        "trip_id": stop_times["trip_id"].astype(str), "stop_sequence": stop_times["stop_sequence"].astype(int),
        "stop_id": stop_times["stop_id"].astype(str),
        "arrival_s": pd.to_numeric(stop_times["arrival_time"], errors="coerce"),
        "departure_s": pd.to_numeric(stop_times["departure_time"], errors="coerce"),
        "can_board": _rule(stop_times, "pickup_type"),
        "can_alight": _rule(stop_times, "drop_off_type"),
    }).sort_values(["trip_id", "stop_sequence"], kind="stable")
    frame["arrival_s"] = frame["arrival_s"].fillna(frame["departure_s"])
    frame["departure_s"] = frame["departure_s"].fillna(frame["arrival_s"])
    frame = _interpolated(frame)
    frequencies: pd.DataFrame = feed.frequencies  # type: ignore[attr-defined]
    if frequencies is not None and not frequencies.empty:
        frame = _expand_frequencies(frame, frequencies)
    return frame[columns].reset_index(drop=True)


def _rule(stop_times: pd.DataFrame, column: str) -> np.ndarray:
    """False where a pick-up or drop-off rule says none (1); other values (phone, driver) allow it."""
    if column not in stop_times.columns:
        return np.ones(len(stop_times), dtype=bool)
    return pd.to_numeric(stop_times[column], errors="coerce").fillna(0).to_numpy() != 1


def _interpolated(frame: pd.DataFrame) -> pd.DataFrame:
    """Times missing at stops that are not timing points, filled in evenly between the known ones."""
    if not frame["arrival_s"].isna().any():
        return frame
    order = frame.groupby("trip_id").cumcount().astype(float)
    filled = []
    for _, group in frame.assign(_order=order).groupby("trip_id", sort=False):
        known = group["arrival_s"].notna().to_numpy()
        values = group["arrival_s"].to_numpy(dtype=float)
        if known.sum() >= 2:
            values = np.interp(group["_order"].to_numpy(), group["_order"].to_numpy()[known], values[known])
        filled.append(pd.Series(values, index=group.index))
    times = pd.concat(filled)
    out = frame.assign(arrival_s=times, departure_s=frame["departure_s"].fillna(times))
    return out.dropna(subset=["arrival_s"])


def _expand_frequencies(frame: pd.DataFrame, frequencies: pd.DataFrame) -> pd.DataFrame:
    """A trip listed in frequencies.txt runs from each start time every headway; its stop times give the shape."""
    templates = set(frequencies["trip_id"].astype(str))
    fixed = frame[~frame["trip_id"].isin(templates)]
    runs = [fixed]
    for trip_id, start, end, headway in zip(frequencies["trip_id"].astype(str), frequencies["start_time"].astype(float),
                                            frequencies["end_time"].astype(float),
                                            frequencies["headway_secs"].astype(int), strict=True):
        template = frame[frame["trip_id"] == trip_id]
        if template.empty:
            continue
        first = float(template["departure_s"].iloc[0])
        for leave in np.arange(start, end, max(headway, 1)):
            shift = leave - first
            runs.append(template.assign(trip_id=f"{trip_id} at {int(leave) // 3600:02d}:{int(leave) % 3600 // 60:02d}",
                                        arrival_s=template["arrival_s"] + shift,
                                        departure_s=template["departure_s"] + shift))
    return pd.concat(runs, ignore_index=True)


def _trip_routes(feed: object) -> pd.Series:
    trips: pd.DataFrame = feed.trips  # type: ignore[attr-defined]
    routes: pd.DataFrame = feed.routes  # type: ignore[attr-defined]
    if trips.empty or "route_id" not in trips.columns:
        return pd.Series(dtype=object)
    names = routes.set_index("route_id")["route_short_name"] if "route_short_name" in routes.columns else None
    values = trips["route_id"].map(names) if names is not None else trips["route_id"]
    return pd.Series(values.astype(str).to_numpy(), index=trips["trip_id"].astype(str).to_numpy())


def feed_name(agencies: list[str], file: str) -> str:
    """How the figures name the feed: its operators ("A, B and 3 other operators"), else the file."""
    names = list(dict.fromkeys(a.strip() for a in agencies if a and a.strip()))
    if not names:
        return PurePosixPath(file).stem
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} other operators"


def _names(stops: pd.DataFrame) -> str:
    shown = ", ".join(stops["stop_name"].astype(str).head(3))
    return shown + (" and others" if len(stops) > 3 else "")


def check_timetable(prepared: PreparedUpload, choice: TimetableChoice, *,
                    limits: UploadLimits = DEFAULT_LIMITS) -> PreparedUpload:
    """Read an upload's timetable (when it has one) for its areas and add what was found to the report.

    On success the choice is kept with the day the feed is read for (the busiest weekday
    when none was chosen), so the saved version routes on exactly that day.
    """
    upload = prepared.uploads.timetable
    if upload is None or prepared.areas is None or not prepared.report.passed:
        return prepared
    boundary = shapely.union_all(prepared.areas.geometry.to_numpy())
    read = read_timetable(upload, boundary, choice=choice, margin_m=prepared.network_margin_km * 1000.0,
                          limits=limits)
    report = prepared.report.with_issues(read.issues)
    if read.timetable is None or not report.passed:
        return replace(prepared, report=report, areas=None, services=None)
    chosen = replace(choice, service_date=read.timetable.service_date, name=read.timetable.name)
    return replace(prepared, report=report, timetable=chosen)


def timetable_summary(choice: TimetableChoice) -> str:
    """One line for reports and listings: the feed, the day and the window."""
    day = choice.service_date
    when = f"{day:%A} {day.day} {day:%B %Y}" if day else "its busiest weekday"
    return f"{choice.name or 'timetable'} for {when}, leaving {choice.window_start}-{choice.window_end}"


# ---------------------------------------------------------------------------------------
# A locality folder's timetable
# ---------------------------------------------------------------------------------------
def write_timetable(folder: Path, content: bytes, choice: TimetableChoice, *,
                    margin_km: float = DEFAULT_NETWORK_MARGIN_KM) -> None:
    """Keep a feed and the choice made for it with a locality (a dataset version, or the demo).

    ``margin_km`` is how far beyond the locality its stops are kept (its roads' margin).
    """
    if choice.service_date is None:
        raise PlannerInputError("write_timetable: expected a chosen service day, found none")
    (folder / TIMETABLE_ZIP).write_bytes(content)
    settings = {"service_date": choice.service_date.isoformat(), "window_start": choice.window_start,
                "window_end": choice.window_end, "name": choice.name, MARGIN_KEY: margin_km}
    (folder / TIMETABLE_SETTINGS).write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", "utf-8")


def copy_timetable(source: Path, target: Path) -> bool:
    """Carry a locality's timetable over to a new version of it (True when there was one)."""
    if not has_timetable(source):
        return False
    for name in (TIMETABLE_ZIP, TIMETABLE_SETTINGS):
        shutil.copyfile(source / name, target / name)
    return True


def has_timetable(folder: Path | str) -> bool:
    """True when the locality in ``folder`` has a timetable."""
    return (Path(folder) / TIMETABLE_ZIP).is_file() and (Path(folder) / TIMETABLE_SETTINGS).is_file()


def timetable_choice(folder: Path | str) -> TimetableChoice:
    """The service day and window kept with a locality's timetable."""
    try:
        data = json.loads((Path(folder) / TIMETABLE_SETTINGS).read_text("utf-8"))
        return TimetableChoice(service_date=dt.date.fromisoformat(data["service_date"]),
                               window_start=str(data.get("window_start", DEFAULT_TRANSIT.window_start)),
                               window_end=str(data.get("window_end", DEFAULT_TRANSIT.window_end)),
                               name=data.get("name"))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PlannerInputError(f"{Path(folder) / TIMETABLE_SETTINGS}: cannot read the timetable's settings "
                                f"({error})") from error


def load_timetable(folder: Path | str, boundary: shapely.Geometry | None) -> tuple[Timetable, TransitSettings]:
    """The timetable kept with a locality, read for its day and area, and its window."""
    folder = Path(folder)
    choice = timetable_choice(folder)
    upload = Upload(TIMETABLE_ZIP, (folder / TIMETABLE_ZIP).read_bytes())
    settings = json.loads((folder / TIMETABLE_SETTINGS).read_text("utf-8"))
    margin_m = float(settings.get(MARGIN_KEY, DEFAULT_NETWORK_MARGIN_KM)) * 1000.0
    read = read_timetable(upload, boundary, choice=choice, margin_m=margin_m)
    if read.timetable is None:
        raise PlannerInputError(f"{folder / TIMETABLE_ZIP}: " + "; ".join(str(i) for i in read.issues
                                                                        if i.severity == "error"))
    return read.timetable, choice.settings()


__all__ = ["STOP_MARGIN_M", "TimetableChoice", "TimetableRead", "busiest_weekday", "check_timetable", "clock_seconds",
           "copy_timetable", "feed_name", "has_timetable", "load_timetable", "read_timetable", "timetable_choice",
           "timetable_summary", "write_timetable"]
