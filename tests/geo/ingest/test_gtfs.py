"""Reading a GTFS feed for a locality: each bad feed gets one clear message, and nothing comes through."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import shapely

from geo.ingest.files import Upload, upload_from_path
from geo.ingest.gtfs import TimetableChoice, read_timetable
from tests.support.gtfs_feeds import ORIGIN, TUESDAY, feed, stops_table, trip_rows

STOPS = {"A": (0, 0), "B": (3000, 0), "C": (60_000, 0)}
GOOD = {"t1": ("WD", trip_rows("t1", [("A", "08:00:00"), ("B", "08:10:00"), ("C", "09:00:00")]))}
NEAR_A_AND_B = shapely.box(ORIGIN[0] - 500, ORIGIN[1] - 500, ORIGIN[0] + 3_500, ORIGIN[1] + 500)


def messages(upload: Upload, boundary: shapely.Geometry | None = None, **choice: object) -> list[str]:
    read = read_timetable(upload, boundary, choice=TimetableChoice(**choice))  # type: ignore[arg-type]
    if not read.passed:
        assert read.timetable is None
    return [str(i) for i in read.issues]


def zipped(files: dict[str, str], name: str = "feed.zip") -> Upload:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return Upload(name, buffer.getvalue())


def only_error(found: list[str]) -> str:
    errors = [m for m in found if m.startswith("ERROR")]
    assert len(errors) >= 1, found
    return errors[0]


def test_a_good_feed_reads_with_no_issue() -> None:
    read = read_timetable(feed(STOPS, GOOD), None, choice=TimetableChoice(service_date=TUESDAY))
    assert read.passed and not read.issues and read.timetable is not None
    assert read.timetable.n_trips == 1 and read.timetable.name == "Test Buses"


def test_not_a_zip() -> None:
    assert "this is not a zip file" in only_error(messages(Upload("feed.zip", b"stop_id,stop_name\n1,x\n")))


def test_a_zip_that_is_not_gtfs() -> None:
    error = only_error(messages(zipped({"notes.md": "hello", "photo.jpg": "x"})))
    assert "not a GTFS feed" in error and "notes.md" in error


def test_missing_required_files_are_named() -> None:
    tables = {"agency.txt": "agency_name\nX\n", "stops.txt": "stop_id,stop_lat,stop_lon\nA,51,-1\n"}
    error = only_error(messages(zipped(tables)))
    assert "routes.txt, trips.txt, stop_times.txt, calendar.txt or calendar_dates.txt" in error


def test_duplicate_ids_are_listed_with_their_row() -> None:
    stops = {**STOPS}
    upload = feed(stops, GOOD)
    with zipfile.ZipFile(io.BytesIO(upload.content)) as archive:
        files = {n: archive.read(n).decode() for n in archive.namelist()}
    files["stops.txt"] = stops_table(STOPS).to_csv(index=False) + "A,Stop A again,51.1,-1.2\n"
    error = only_error(messages(zipped(files)))
    assert "stops.txt, row 5" in error and "stop_id A appears more than once" in error


def test_stop_times_out_of_order() -> None:
    upload = feed(STOPS, {"t1": ("WD", trip_rows("t1", [("A", "08:00:00"), ("B", "07:50:00")]))})
    error = only_error(messages(upload, service_date=TUESDAY))
    assert "stop_times.txt, row 3, column 'arrival_time'" in error and "out of order" in error


def test_an_unreadable_time() -> None:
    upload = feed(STOPS, {"t1": ("WD", trip_rows("t1", [("A", "08:00:00"), ("B", "8.10")]))})
    error = only_error(messages(upload, service_date=TUESDAY))
    assert "row 3" in error and "expected a time HH:MM:SS" in error and "'8.10'" in error


def test_no_service_on_the_chosen_day() -> None:
    saturday = TUESDAY.replace(day=7)
    error = only_error(messages(feed(STOPS, GOOD), service_date=saturday))
    assert "no trips run on Saturday 2026-03-07" in error and "Mon 2026-03-02" in error


def test_stops_far_outside_are_left_out_with_a_warning() -> None:
    read = read_timetable(feed(STOPS, GOOD), NEAR_A_AND_B, choice=TimetableChoice(service_date=TUESDAY))
    assert read.passed and read.timetable is not None
    assert list(read.timetable.stop_ids) == ["A", "B"]
    assert any("1 of the 3 stops served that day are more than 10 km outside the locality" in str(i)
               for i in read.issues if i.severity == "warning")


def test_a_feed_for_somewhere_else() -> None:
    elsewhere = shapely.box(0, 0, 1_000, 1_000)
    assert "is this the right feed?" in only_error(messages(feed(STOPS, GOOD), elsewhere, service_date=TUESDAY))


def test_times_past_midnight_are_read_and_reported() -> None:
    upload = feed(STOPS, {"t1": ("WD", trip_rows("t1", [("A", "23:50:00"), ("B", "24:10:00")]))})
    found = messages(upload, service_date=TUESDAY)
    assert any(m.startswith("WARNING") and "1 stop times are after 24:00" in m for m in found), found


@pytest.mark.shared_data
def test_newport_reads_for_its_one_day_with_its_quirks(shared_data) -> None:  # type: ignore[no-untyped-def]
    upload = upload_from_path(shared_data / "gtfs_newport" / "newport-20230613_gtfs_small.zip")
    read = read_timetable(upload, None, choice=TimetableChoice(service_date=dt.date(2023, 6, 13)))
    assert read.passed and read.timetable is not None
    assert read.timetable.n_stops == 655  # the stops its trips use (PROVENANCE.md: 655 served)
    assert (read.timetable.departure >= 24 * 3600).any()  # times past 24:00 come through
    assert dt.date(2023, 6, 13) in dict(read.weekdays)


def test_a_timetable_alone_joins_the_version_in_use_and_is_carried_on(tmp_path: Path) -> None:
    from geo.ingest import datasets
    from geo.ingest.gtfs import has_timetable
    from geo.ingest.uploads import UploadOptions, UploadSet
    from tests.support.upload_samples import ORIGIN_X, ORIGIN_Y, good_upload_set

    root = tmp_path / "datasets"
    first = datasets.check_upload(root, good_upload_set(tmp_path))
    datasets.save_version(root, first, accepted_warnings=first.report.warnings_digest)
    options = UploadOptions(timetable=TimetableChoice(service_date=TUESDAY))
    bad = feed({"A": (500, 500)}, {"t": ("WD", trip_rows("t", [("A", "08:00:00"), ("A", "07:00:00")]))},
               origin=(ORIGIN_X, ORIGIN_Y))
    refused = datasets.check_upload(root, UploadSet(timetable=bad), options=options)
    assert not refused.report.passed and refused.areas is None  # nothing can be saved from it
    buses = feed({"A": (500, 500), "B": (2_500, 1_500)},
                 {"t": ("WD", trip_rows("t", [("A", "08:00:00"), ("B", "08:10:00")]))}, origin=(ORIGIN_X, ORIGIN_Y))
    prepared = datasets.check_upload(root, UploadSet(timetable=buses), options=options)
    assert prepared.report.passed, prepared.report.to_text()
    version = datasets.save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest)
    assert version.n_areas == 6 and has_timetable(version.path)
    assert version.timetable == "Test Buses for Tuesday 3 March 2026, leaving 08:00-10:00"
    services_only = good_upload_set(tmp_path)
    later = datasets.check_upload(root, UploadSet(services=services_only.services))
    carried = datasets.save_version(root, later, accepted_warnings=later.report.warnings_digest)
    assert has_timetable(carried.path) and carried.timetable == version.timetable
