"""Rutland from public files, as an analyst would upload it (the README's recipe): for the end-to-end tests.

Boundaries (LSOA 2011), IMD 2019, mid-2019 population and the LSOA population-weighted
centroids come from ../shared/data; the national tables are cut to Rutland's 23 areas
(smaller uploads, same columns, same quirks: a byte-order mark and thousands separators).
Two made-up services complete the set. Nothing is copied into the project: the files are
written under a test's tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path

from geo.ingest.files import Upload
from geo.ingest.uploads import UploadOptions, UploadSet

BOUNDARIES = Path("lsoa_boundaries_by_la_2011") / "lsoa11_E06000017.geojson"
ROADS = Path("osm_rutland") / "rutland-latest.osm.pbf"
POPULATION = Path("england_lsoa_imd2019_population") / "mysociety_lsoa_population_2019.csv"
IMD = Path("england_lsoa_imd2019_population") / "mysociety_UK_IMD_E.csv"
# LSOA 2011 centroids by code in British National Grid metres (x, y): population-weighted, as their
# closeness to each area's villages shows (Ketton's area: 300 m from the village against 1.3 km
# for the polygon's middle), though the file's provenance does not say.
CENTROIDS = Path("england_lsoa_imd2019_population") / "hsma_england_lsoa_2011_centroids.csv"
# mySociety's IMD headers: the official IMD 2019 score and decile under other names.
COLUMNS = {"overall_local_score": "imd_score", "original_decile": "imd_decile"}
ADULT_SHARE = 0.79  # England's share of residents aged 18 and over (the population file has totals only)
N_AREAS = 23
SERVICES_CSV = "\n".join([
    "name,service_type,provider,latitude,longitude,budget_day_activity,budget_employment,budget_mainstream,"
    "clients,functions,opening_days",
    "Oakham day service (made up),Day centre,Example provider,52.6706,-0.7300,120000,20000,5000,45,"
    "social_contact;structured_activity;skills,Mon-Fri",
    "Uppingham work project (made up),Work project,Example provider,52.5880,-0.7240,40000,30000,0,18,"
    "employment_support;skills,Mon-Thu",
    "",
])


def rutland_files(shared_data: Path, folder: Path) -> dict[str, list[Path]]:
    """The files of a Rutland upload by role; the cut tables and services are written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    boundaries = shared_data / BOUNDARIES
    codes = {f["properties"]["LSOA11CD"] for f in json.loads(boundaries.read_text())["features"]}
    population = (shared_data / POPULATION).read_bytes().decode("utf-8-sig").splitlines(keepends=True)
    kept = [line for line in population[1:] if line.split(",")[0].strip('"') in codes]
    (folder / "population_2019.csv").write_bytes(("\ufeff" + population[0] + "".join(kept)).encode("utf-8"))
    imd = (shared_data / IMD).read_text(encoding="utf-8").splitlines(keepends=True)
    code_at = imd[0].split(",").index("lsoa")
    (folder / "imd2019.csv").write_text(imd[0] + "".join(line for line in imd[1:] if line.split(",")[code_at] in codes),
                                        encoding="utf-8")
    centroids = (shared_data / CENTROIDS).read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "lsoa_centroids.csv").write_text(
        centroids[0] + "".join(line for line in centroids[1:] if line.split(",")[1] in codes), encoding="utf-8")
    (folder / "services.csv").write_text(SERVICES_CSV, encoding="utf-8")
    return {"areas": [boundaries],
            "indicators": [folder / "population_2019.csv", folder / "imd2019.csv", folder / "lsoa_centroids.csv"],
            "services": [folder / "services.csv"], "roads": [shared_data / ROADS]}


def rutland_upload_set(files: dict[str, list[Path]]) -> UploadSet:
    def upload(path: Path) -> Upload:
        return Upload(path.name, path.read_bytes())

    return UploadSet(areas=upload(files["areas"][0]), indicators=tuple(upload(p) for p in files["indicators"]),
                     services=upload(files["services"][0]), roads=upload(files["roads"][0]))


def rutland_options() -> UploadOptions:
    return UploadOptions(columns=COLUMNS, adult_share=ADULT_SHARE, locality_name="Rutland")
