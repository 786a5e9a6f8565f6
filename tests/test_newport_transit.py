"""Newport from the command line: areas, roads and a real BODS timetable in, journey times out.

Newport's 95 small areas (LSOA 2011) come from the national boundaries file; its OpenStreetMap
extract and GTFS feed from ../shared/data/gtfs_newport. Welsh population figures are not in
the shared data, so every area is given 1,500 residents (a stated placeholder: this test is
about journey times, not about who travels).
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest

from cli.data import main as cli_main
from dashboard.engine import router_for, travel_mode
from geo.ingest.datasets import active_version
from geo.transit import TransitRouter

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def newport_areas(shared_data: Path, folder: Path) -> tuple[Path, Path]:
    """Newport's LSOAs as GeoJSON, and a population file with the placeholder figures."""
    with gzip.open(shared_data / "england_wales_lsoa2011_bsc" / "LSOA_2011_BSC_EW_V3.geojson.gz", "rt") as source:
        every = json.load(source)
    features = [f for f in every["features"] if str(f["properties"]["LSOA11NM"]).startswith("Newport ")]
    areas = folder / "newport_lsoa11.geojson"
    areas.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    population = folder / "placeholder_population.csv"
    rows = io.StringIO()
    rows.write("lsoa11cd,pop_total,pop_adult\n")
    for feature in features:
        rows.write(f"{feature['properties']['LSOA11CD']},1500,1200\n")
    population.write_text(rows.getvalue())
    return areas, population


def test_newport_imports_a_real_timetable_and_shows_journey_times(shared_data: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    areas, population = newport_areas(shared_data, tmp_path)
    data = tmp_path / "datasets"
    feed = shared_data / "gtfs_newport"
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["--data", str(data), "upload", "--areas", str(areas), "--indicators", str(population),
                     "--roads", str(feed / "newport-2023-06-13.osm.pbf"),
                     "--timetable", str(feed / "newport-20230613_gtfs.zip"), "--service-date", "2023-06-13",
                     "--locality-name", "Newport", "--accept-warnings"], out=out, err=err)
    assert code == 0, out.getvalue() + err.getvalue()
    assert "stops served that day are more than 10 km outside the locality" in out.getvalue()
    assert "Public transport: National Express, Cardiff Bus and 5 other operators for Tuesday 13 June 2023" \
        in out.getvalue()
    version = active_version(data)
    assert version is not None and version.n_areas == 95
    folder = str(version.path)
    router = router_for(folder, "bus")
    assert isinstance(router, TransitRouter)
    assert travel_mode(folder, "bus").method.startswith(
        "Public transport, timetables of National Express, Cardiff Bus and 5 other operators for Tuesday 13 June 2023 "
        "08:00-10:00")
    # Newport bus station (Friars Walk), British National Grid.
    minutes = router.minutes_to_point(331_040.0, 188_110.0)
    reached = np.isfinite(minutes)
    assert reached.mean() > 0.9
    assert 10 < np.median(minutes[reached]) < 60
