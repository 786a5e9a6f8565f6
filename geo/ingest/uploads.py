"""Read an analyst's uploaded files (areas, indicators, services) into checked tables.

Everything is read from bytes in memory, so checking an upload writes nothing anywhere:
a file is only saved (by :mod:`geo.ingest.datasets`) once the whole set has passed. Readers
accept the files analysts actually have:

- **Areas**: GeoJSON, GeoPackage, zipped Shapefile or TopoJSON, in any projection
  (reprojected to British National Grid, EPSG:27700). A file with no projection is
  refused unless one is given, except GeoJSON and TopoJSON in longitude/latitude, whose
  formats mean WGS84 by default (TopoJSON's assumption is reported as a warning).
- **Indicators**: CSV or XLSX keyed by area code, in UTF-8 (with or without a byte-order
  mark), UTF-16 with a byte-order mark, Windows-1252 or Latin-1; numbers may carry
  thousands separators ("1,234"); header names are matched through :data:`ALIASES`
  (``python -m cli.data aliases`` prints them), single years of age are summed into our
  bands, and a table with a row per sex is folded into one row per area.
- **Services**: CSV or XLSX with latitude/longitude or easting/northing, budgets,
  clients and functions.

Archives are checked before they are opened (size, member count, compression ratio,
no paths outside the archive), and every failure is a :class:`UploadError` naming the
file and what was expected, never a traceback.
"""

from __future__ import annotations

import csv
import io
import math
import re
import stat
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import UnsafeUploadError as UnsafeUploadError
from geo.errors import UploadError as UploadError
from geo.ingest.validate import (
    AGE_BANDS,
    BAND_LIMITS,
    BRITISH_NATIONAL_GRID,
    CLIENT_PARTS,
    GB_EASTING,
    GB_NORTHING,
    Issue,
    Table,
    ValidationReport,
    check_areas_table,
    check_boundaries,
    check_code_coverage,
    check_network,
    check_services_within,
    normalise_code,
    parse_indicators,
    parse_services,
)
from geo.ingest.validate import ComponentSummary as ComponentSummary
from geo.ingest.validate import UploadRejectedError as UploadRejectedError
from geo.locality import AREA_COLUMNS, SERVICE_COLUMNS

TableKind = Literal["areas", "indicators", "services", "lookup"]
LOTS = ("West", "Central", "East")
# Need per adult = SMI % + CMD % / CMD_NEED_DIVISOR: a person with a severe mental illness
# counts ten times a person with a common mental disorder, since day services mostly serve
# the former (the same formula as the demo, data/generate_demo.py ``add_need``).
CMD_NEED_DIVISOR = 10.0
XLSX_MEMBER = "xl/workbook.xml"
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf")
_SHAPEFILE_OPTIONAL = (".prj", ".cpg")
_HEADER_SEARCH_ROWS = 20


# ---------------------------------------------------------------------------------------
# Files and limits
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UploadLimits:
    """How big an upload may be; archive limits guard against zip bombs."""

    max_upload_bytes: int = 100 * 2**20
    max_archive_members: int = 200
    max_uncompressed_bytes: int = 1024 * 2**20
    max_compression_ratio: float = 200.0


DEFAULT_LIMITS = UploadLimits()


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the analyst gave it (no folders) and its bytes."""

    name: str
    content: bytes = field(repr=False)

    @property
    def suffix(self) -> str:
        """The file's lower-case extension, ``.geojson``, ``.csv`` and so on."""
        return PurePosixPath(self.name.lower()).suffix


def upload_from_bytes(name: str, content: bytes, *, limits: UploadLimits = DEFAULT_LIMITS) -> Upload:
    """Wrap uploaded bytes, refusing them when larger than ``limits.max_upload_bytes``."""
    clean = safe_file_name(name)
    if len(content) > limits.max_upload_bytes:
        raise UnsafeUploadError(
            f"{clean}: the file is {_megabytes(len(content))}; expected at most "
            f"{_megabytes(limits.max_upload_bytes)} (the upload size limit)")
    if not content:
        raise UploadError(f"{clean}: the file is empty")
    return Upload(clean, content)


def upload_from_path(path: Path | str, *, limits: UploadLimits = DEFAULT_LIMITS) -> Upload:
    """Read a file from disk as an upload, checking its size before reading it."""
    path = Path(path)
    if not path.is_file():
        raise UploadError(f"{path}: file not found")
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        raise UnsafeUploadError(
            f"{path.name}: the file is {_megabytes(size)}; expected at most "
            f"{_megabytes(limits.max_upload_bytes)} (the upload size limit)")
    return upload_from_bytes(path.name, path.read_bytes(), limits=limits)


def safe_file_name(name: str) -> str:
    """The last part of a name with only safe characters, for messages and storage."""
    base = re.split(r"[\\/]", str(name))[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", base).strip(". ")
    return base[:120] or "upload"


def _megabytes(size: int) -> str:
    """A size people read at a glance: bytes, KB or MB."""
    if size < 2**10:
        return f"{size:,} bytes"
    if size < 2**20:
        return f"{size / 2**10:,.1f} KB"
    return f"{size / 2**20:,.1f} MB"


def check_archive(upload: Upload, *, limits: UploadLimits = DEFAULT_LIMITS) -> list[zipfile.ZipInfo]:
    """Refuse zip archives that could harm the server, before anything is extracted.

    Checks the number of members, their total uncompressed size, each member's
    compression ratio (zip bombs), and that no member is a link, encrypted, or named with
    an absolute path or ``..`` (zip slip). Returns the members worth reading (folders and
    macOS resource forks left out).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.content))
    except (zipfile.BadZipFile, OSError) as error:
        raise UploadError(f"{upload.name}: expected a zip archive, but it cannot be opened "
                          f"({error})") from error
    members = archive.infolist()
    if len(members) > limits.max_archive_members:
        raise UnsafeUploadError(
            f"{upload.name}: the archive has {len(members):,} files; expected at most "
            f"{limits.max_archive_members:,}")
    total = 0
    for member in members:
        name = member.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise UnsafeUploadError(
                f"{upload.name}: the archive member {name!r} points outside the archive; "
                "refused (expected plain relative names)")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise UnsafeUploadError(f"{upload.name}: the archive member {name!r} is a link; refused")
        if member.flag_bits & 0x1:
            raise UnsafeUploadError(f"{upload.name}: the archive member {name!r} is encrypted; refused")
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 2**20 and ratio > limits.max_compression_ratio:
            raise UnsafeUploadError(
                f"{upload.name}: the archive member {name!r} expands {ratio:,.0f} times "
                f"(to {_megabytes(member.file_size)}); expected at most "
                f"{limits.max_compression_ratio:,.0f} times (a zip bomb?)")
    if total > limits.max_uncompressed_bytes:
        raise UnsafeUploadError(
            f"{upload.name}: the archive expands to {_megabytes(total)}; expected at most "
            f"{_megabytes(limits.max_uncompressed_bytes)}")
    return [m for m in members if not m.is_dir() and not _is_junk(m.filename)]


def _is_junk(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return "__MACOSX" in path.parts or path.name.startswith("._") or path.name == ".DS_Store"


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, upload: Upload) -> bytes:
    """One member's bytes; zipfile stops at the declared size, so a lying header cannot
    make this bigger than :func:`check_archive` allowed."""
    try:
        with archive.open(member) as handle:
            return handle.read(member.file_size + 1)[: member.file_size]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise UploadError(f"{upload.name}: cannot read {member.filename!r} from the archive "
                          f"({error})") from error


FileFormat = Literal["csv", "xlsx", "geojson", "topojson", "gpkg", "shapefile_zip"]


def detect_format(upload: Upload, *, limits: UploadLimits = DEFAULT_LIMITS) -> FileFormat:
    """What a file is, from its first bytes (the extension can lie)."""
    head = upload.content[:64]
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError(f"{upload.name}: this is an old Excel (.xls) file; expected .xlsx or "
                          "CSV: open it in a spreadsheet and save it as .xlsx")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        members = check_archive(upload, limits=limits)
        names = {m.filename for m in members}
        if XLSX_MEMBER in names:
            return "xlsx"
        if any(n.lower().endswith(".shp") for n in names):
            return "shapefile_zip"
        raise UploadError(f"{upload.name}: a zip archive with no shapefile (.shp) and not an "
                          f"Excel workbook; found {_short_list(sorted(names))}")
    if upload.suffix == ".shp":
        raise UploadError(f"{upload.name}: a shapefile is several files (.shp, .shx, .dbf, .prj); "
                          "expected them zipped together into one .zip")
    text_start = _sniff_text(upload.content[:4096])
    if text_start.lstrip().startswith("{"):
        return "topojson" if re.search(r'"type"\s*:\s*"Topology"', text_start) else "geojson"
    if upload.suffix in (".geojson", ".json", ".topojson"):
        raise UploadError(f"{upload.name}: expected GeoJSON or TopoJSON (text starting with '{{'); "
                          "found something else")
    if upload.suffix in (".gpkg", ".xlsx", ".zip"):
        raise UploadError(f"{upload.name}: the file is not a valid {upload.suffix[1:]} file "
                          "(it may be damaged or cut short)")
    return "csv"


def _sniff_text(head: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16", "cp1252", "latin-1"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return ""


def _short_list(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return (shown + f" and {len(names) - limit} more") if len(names) > limit else (shown or "nothing")


# ---------------------------------------------------------------------------------------
# Text tables: decoding, rows, headers
# ---------------------------------------------------------------------------------------
def decode_text(upload: Upload) -> str:
    """Decode a text file in whichever common encoding it uses.

    Byte-order marks decide (UTF-8, UTF-16); otherwise strict UTF-8, then Windows-1252
    (Excel's "CSV" on Windows), then Latin-1, which reads any byte.
    """
    content = upload.content
    if content.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    elif b"\x00" in content[:4096]:
        odd, even = content[1:4096:2].count(0), content[0:4096:2].count(0)
        half = len(content[:4096]) // 2
        if max(odd, even) < 0.4 * half or min(odd, even) > 0.1 * half:
            raise UploadError(f"{upload.name}: expected a text (CSV) file; found binary data")
        encodings = ("utf-16-le",) if odd > even else ("utf-16-be",)
    else:
        encodings = ("utf-8", "cp1252", "latin-1")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError(f"{upload.name}: cannot read the text as {' or '.join(encodings)}; expected "
                      "a CSV file saved as UTF-8, UTF-16, Windows-1252 or Latin-1")


def _csv_rows(upload: Upload) -> tuple[list[list[Any]], list[Issue]]:
    text = decode_text(upload)
    if "\x00" in text:
        raise UploadError(f"{upload.name}: expected a text (CSV) file; found binary data")
    delimiter = _sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UploadError(f"{upload.name}: cannot read as CSV ({error})") from error
    return [list(row) for row in rows], []


def _sniff_delimiter(text: str) -> str:
    """The separator that splits the first lines into the most, equally long, rows."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    best, best_score = ",", 1
    for delimiter in (",", ";", "\t", "|"):
        widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        if not widths:
            continue
        score = widths[0] if widths.count(widths[0]) >= max(1, len(widths) // 2) else 1
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _xlsx_rows(upload: Upload, sheet: str | None, kind: TableKind) -> list[list[Any]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(upload.content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for damaged workbooks
        raise UploadError(f"{upload.name}: cannot open the Excel workbook ({error})") from error
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise UploadError(f"{upload.name}: no sheet named {sheet!r}; found sheets "
                              f"{', '.join(repr(n) for n in names)}")
        candidates = [sheet] if sheet is not None else names
        first: list[list[Any]] | None = None
        for name in candidates:
            rows = [list(r) for r in book[name].iter_rows(min_row=1, values_only=True)]
            if first is None:
                first = rows
            if _find_header(rows, kind) is not None:
                return rows
        return first or []
    finally:
        book.close()


def _find_header(rows: Sequence[Sequence[Any]], kind: TableKind) -> int | None:
    """The index of the header row: the first of the top rows naming a column we know."""
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        headers = [str(c) for c in row if c is not None and str(c).strip()]
        if len(headers) >= 2 and any(match_column(h, kind) for h in headers):
            return index
    return None


def _table_from_rows(upload: Upload, rows: list[list[Any]], kind: TableKind,
                     columns: Mapping[str, str]) -> tuple[Table, list[Issue]]:
    """Our Table from raw rows: find the header, map its names, number rows from 1."""
    issues: list[Issue] = []
    header_index = _find_header(rows, kind)
    if header_index is None:
        explicit = {normalise_header(k) for k in columns}
        header_index = next((i for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS])
                             if any(c is not None and normalise_header(c) in explicit for c in row)),
                            None)
    if header_index is None:
        header_index = next((i for i, row in enumerate(rows) if any(_filled(c) for c in row)), None)
    if header_index is None:
        raise UploadError(f"{upload.name}: the file has no rows; expected a header row and data")
    header = [("" if c is None else str(c).strip().lstrip("\ufeff")) for c in rows[header_index]]
    while header and not header[-1]:
        header.pop()
    mapping = map_columns(header, kind, columns)
    width = len(header)
    records: dict[int, list[Any]] = {}
    for index in range(header_index + 1, len(rows)):
        row = list(rows[index])
        if all(c is None or c == "" for c in row) or not any(_filled(c) for c in row):
            continue
        extra = [c for c in row[width:] if _filled(c)]
        if extra:
            issues.append(Issue(
                "error", upload.name, index + 1, None,
                f"expected {width} values as in the header, found {width + len(extra)}: a number "
                "with a thousands separator (1,234) must be in quotes, or the file uses another "
                "separator", "row_too_long"))
            continue  # its values are in the wrong columns: checking them would only mislead
        records[index + 1] = (row + [None] * width)[:width]
    frame = pd.DataFrame(list(records.values()), index=pd.Index(list(records), dtype=int),
                         columns=list(range(width)), dtype=object)
    chosen = {position: name for position, name in mapping.items()}
    frame = frame[list(chosen)].rename(columns=chosen)
    headers = {name: header[position] for position, name in chosen.items()}
    return Table(upload.name, frame, headers, all_headers=tuple(h for h in header if h)), issues


def _filled(cell: Any) -> bool:
    if cell is None:
        return False
    if isinstance(cell, float) and math.isnan(cell):
        return False
    return bool(str(cell).strip())


def read_table(upload: Upload, kind: TableKind, *, columns: Mapping[str, str] | None = None,
               sheet: str | None = None,
               limits: UploadLimits = DEFAULT_LIMITS) -> tuple[Table, list[Issue]]:
    """Read a CSV or XLSX upload as a :class:`Table` with our column names.

    ``columns`` maps headers as written in the file to our names, for headers the
    aliases do not know (it wins over them). Rows keep the numbers a spreadsheet shows.
    """
    file_format = detect_format(upload, limits=limits)
    if file_format == "xlsx":
        rows, issues = _xlsx_rows(upload, sheet, kind), list[Issue]()
    elif file_format == "csv":
        rows, issues = _csv_rows(upload)
    else:
        raise UploadError(f"{upload.name}: expected a table (CSV or XLSX); found a "
                          f"{_FORMAT_NAMES[file_format]} file")
    table, more = _table_from_rows(upload, rows, kind, columns or {})
    return table, issues + more


_FORMAT_NAMES: dict[str, str] = {
    "csv": "CSV", "xlsx": "Excel", "geojson": "GeoJSON", "topojson": "TopoJSON",
    "gpkg": "GeoPackage", "shapefile_zip": "zipped Shapefile",
}


# ---------------------------------------------------------------------------------------
# Column names
# ---------------------------------------------------------------------------------------
def normalise_header(text: object) -> str:
    """A header in a comparable form: 'LSOA code (2011)' -> 'lsoa_code_2011', '90+' -> '90_plus'."""
    value = str(text).strip().lstrip("\ufeff").lower()
    value = value.replace("+", " plus ").replace("%", " pct ").replace("&", " and ")
    value = value.replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"[^a-z0-9]+", "_", value).strip("_")


_CODE = (
    "code", "area_code", "areacode", "area_cd", "lsoa_code", "lsoa11cd", "lsoa21cd", "lsoa11_code",
    "lsoa21_code", "lsoa_code_2011", "lsoa_code_2021", "lsoa_2011_code", "lsoa_2021_code", "lsoa",
    "lsoa11", "lsoa21", "msoa11cd", "msoa21cd", "msoa_code", "oa11cd", "oa21cd", "oa_code",
    "geography_code", "geo_code", "geogcode", "mnemonic", "feature_code", "small_area_code",
    "datazone", "data_zone", "data_zone_code", "datazone2011", "dz_code",
)
_NAME = (
    "name", "area_name", "areaname", "lsoa_name", "lsoa11nm", "lsoa21nm", "lsoa_name_2011",
    "lsoa_name_2021", "msoa11nm", "msoa21nm", "msoa_name", "geography_name", "area_nm",
    "feature_name",
)
_DISTRICT = (
    "district", "district_name", "lad_name", "local_authority", "local_authority_name", "la_name",
    "local_authority_district_name_2019", "local_authority_district_name", "borough",
)
ALIASES: dict[TableKind, dict[str, tuple[str, ...]]] = {
    "indicators": {
        "code": _CODE,
        "name": _NAME,
        "district": _DISTRICT,
        "town": ("town", "town_name", "nearest_town", "settlement"),
        "lot": ("lot", "contract_lot"),
        "sex": ("sex", "gender"),
        "pop_total": ("pop_total", "population", "pop", "total_population", "all_ages", "all_persons",
                      "all_people", "persons", "total", "usual_residents", "all_usual_residents",
                      "total_pop", "residents", "population_total"),
        "pop_male": ("pop_male", "male", "males", "men", "male_population", "population_male",
                     "all_males", "pop_males", "male_pop"),
        "pop_female": ("pop_female", "female", "females", "women", "female_population",
                       "population_female", "all_females", "pop_females", "female_pop"),
        "pop_adult": ("pop_adult", "adults", "adult_population", "pop_adults", "adult_pop",
                      "population_aged_18_and_over"),
        "pop_under_18": ("pop_under_18", "children", "under_18s"),
        "bme_share": ("bme_share", "bme", "bame", "bame_share", "bme_proportion", "bame_proportion",
                      "share_bme", "minority_ethnic_share", "ethnic_minority_share", "non_white_share",
                      "bme_fraction"),
        "bme_pct": ("bme_pct", "bme_percent", "bme_percentage", "bame_pct", "bame_percent", "pct_bme",
                    "percent_bme", "minority_ethnic_pct", "ethnic_minority_pct", "non_white_pct"),
        "pop_bme": ("pop_bme", "bme_population", "bme_count", "bame_population", "bame_count",
                    "minority_ethnic_population", "ethnic_minority_population", "bme_residents"),
        "imd_score": ("imd_score", "imd", "imd_2019_score", "imd19_score", "imd_score_2019",
                      "imd2019_score", "imd_2015_score", "index_of_multiple_deprivation_imd_score",
                      "index_of_multiple_deprivation_score", "deprivation_score", "imd_overall_score"),
        "imd_decile": ("imd_decile", "imd_2019_decile", "imd19_decile", "imd_decile_2019",
                       "deprivation_decile", "index_of_multiple_deprivation_imd_decile",
                       "imd_decile_where_1_is_most_deprived"),
        "smi_prevalence_pct": ("smi_prevalence_pct", "smi_prevalence", "smi_pct", "smi",
                               "smi_percent", "smi_rate", "serious_mental_illness_prevalence",
                               "severe_mental_illness_prevalence", "smi_prevalence_percent",
                               "mental_health_prevalence", "qof_mental_health_prevalence"),
        "cmd_prevalence_pct": ("cmd_prevalence_pct", "cmd_prevalence", "cmd_pct", "cmd",
                               "cmd_percent", "cmd_rate", "common_mental_disorder_prevalence",
                               "common_mental_disorders_prevalence",
                               "common_mental_health_disorder_prevalence"),
        "pwc_x": ("pwc_x", "pwc_easting", "pop_weighted_x", "population_weighted_centroid_x",
                  "centroid_x", "bng_e", "x", "easting"),
        "pwc_y": ("pwc_y", "pwc_northing", "pop_weighted_y", "population_weighted_centroid_y",
                  "centroid_y", "bng_n", "y", "northing"),
    },
    "services": {
        "service_id": ("service_id", "id", "service_ref", "ref", "reference", "service_code", "code"),
        "name": ("name", "service_name", "service", "name_of_service", "title"),
        "service_type": ("service_type", "type", "category", "model", "service_model", "kind"),
        "provider": ("provider", "provider_name", "organisation", "organization",
                     "organisation_name", "operator", "run_by"),
        "district": _DISTRICT,
        "town": ("town", "town_name", "nearest_town", "settlement"),
        "budget_gbp": ("budget_gbp", "budget", "annual_budget", "annual_budget_gbp",
                       "budget_per_year", "contract_value", "contract_value_gbp", "annual_cost",
                       "cost", "cost_gbp", "spend", "annual_spend", "funding", "total_budget",
                       "budget_total"),
        "budget_day_activity_gbp": ("budget_day_activity_gbp", "budget_day_activity",
                                    "day_activity_budget", "day_activity_gbp", "day_activity",
                                    "day_activity_and_support"),
        "budget_employment_gbp": ("budget_employment_gbp", "budget_employment", "employment_budget",
                                  "employment_gbp", "employment_support_budget"),
        "budget_mainstream_gbp": ("budget_mainstream_gbp", "budget_mainstream", "mainstream_budget",
                                  "mainstream_gbp", "mainstream_participation_budget"),
        "clients": ("clients", "clients_total", "number_of_clients", "no_of_clients",
                    "service_users", "users", "people", "people_supported", "attendees", "caseload"),
        "clients_female": ("clients_female", "female_clients", "clients_women", "women", "female"),
        "clients_18_24": ("clients_18_24", "clients_aged_18_24", "clients_aged_18_to_24",
                          "young_clients"),
        "clients_bme": ("clients_bme", "bme_clients", "clients_bame", "bame_clients"),
        "clients_over_50": ("clients_over_50", "clients_50_plus", "clients_aged_50_plus",
                            "clients_aged_over_50", "over_50s", "clients_50_and_over"),
        "clients_volunteered": ("clients_volunteered", "volunteered", "clients_volunteering"),
        "functions": ("functions", "function", "services_offered", "offers", "activities",
                      "what_it_offers"),
        "opening_days": ("opening_days", "open_days", "days", "days_open", "opening",
                         "opening_hours"),
        "locality_wide": ("locality_wide", "county_wide", "countywide", "borough_wide",
                          "locality_wide_service", "whole_locality", "serves_whole_locality"),
        "latitude": ("latitude", "lat", "wgs84_lat", "y_lat"),
        "longitude": ("longitude", "lon", "long", "lng", "wgs84_lon", "x_lon"),
        "easting": ("easting", "eastings", "bng_e", "os_easting", "east", "x", "x_coordinate"),
        "northing": ("northing", "northings", "bng_n", "os_northing", "north", "y", "y_coordinate"),
    },
    "lookup": {
        "old_code": ("old_code", "from_code", "code_2011", "lsoa11cd", "lsoa_code_2011",
                     "lsoa11_code", "msoa11cd", "oa11cd"),
        "new_code": ("new_code", "to_code", "code_2021", "lsoa21cd", "lsoa_code_2021",
                     "lsoa21_code", "msoa21cd", "oa21cd"),
    },
}
ALIASES["areas"] = ALIASES["indicators"]
# Header shapes no fixed list covers (each tried after the fixed names above).
PATTERNS: dict[TableKind, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "indicators": (
        ("code", re.compile(r"^(lsoa|msoa|oa|dz)_?\d{2,4}_?(cd|code)$")),
        ("code", re.compile(r"^(lsoa|msoa)_code_\d{4}$")),
        ("name", re.compile(r"^(lsoa|msoa)_?\d{2,4}_?(nm|name)$")),
        ("district", re.compile(r"^lad_?\d{2}_?nm$")),
        ("pop_total", re.compile(r"^(total_)?pop(ulation)?_(mid_)?(19|20)\d{2}$")),
        ("pop_total", re.compile(r"^total_population_mid")),
        ("imd_score", re.compile(r"^(imd|index_of_multiple_deprivation)(_imd)?_?(\d{2,4}_)?score(_\d{4})?$")),
        ("imd_decile", re.compile(r"^(imd|index_of_multiple_deprivation)(_imd)?_?(\d{2,4}_)?decile"
                                  r"(_\d{4})?(_where_1_is_most_deprived.*)?$")),
    ),
    "services": (),
    "lookup": (
        ("old_code", re.compile(r"^(lsoa|msoa|oa)_?(11|2011)_?(cd|code)$")),
        ("new_code", re.compile(r"^(lsoa|msoa|oa)_?(21|2021)_?(cd|code)$")),
    ),
}
PATTERNS["areas"] = PATTERNS["indicators"]
_AGE_BAND = re.compile(
    r"^(?:pop_|population_|people_|persons_)?(?:aged?_|ages_)?(\d{1,2})_(?:to_)?(\d{1,2})(?:_years?)?$")
_AGE_UNDER = re.compile(r"^(?:pop_|population_)?(?:aged?_)?under_(\d{1,2})(?:_years?)?$")
_AGE_OPEN = re.compile(
    r"^(?:pop_|population_|people_|persons_)?(?:aged?_|ages_)?(\d{1,2})_?"
    r"(?:plus|and_over|and_older|or_over|over|years_and_over|years_plus)$")
_AGE_SINGLE = re.compile(r"^(?:aged?_)?(\d{1,2})(?:_years?)?$")


def _age_column(normalised: str) -> str | None:
    """Our name for an age header: one of our bands, ``age_N`` or ``age_N_plus``, or None."""
    bands = {limits: name for name, limits in BAND_LIMITS.items()}
    match = _AGE_BAND.match(normalised)
    if match:
        return bands.get((int(match.group(1)), int(match.group(2))))
    match = _AGE_UNDER.match(normalised)
    if match:
        return bands.get((0, int(match.group(1)) - 1))
    match = _AGE_OPEN.match(normalised)
    if match:
        low = int(match.group(1))
        return bands.get((low, None)) or f"age_{low}_plus"
    match = _AGE_SINGLE.match(normalised)
    if match:
        return f"age_{int(match.group(1))}"
    return None


def match_column(header: object, kind: TableKind) -> str | None:
    """Our column name for one header of a ``kind`` table, or None when we do not know it."""
    normalised = normalise_header(header)
    if not normalised:
        return None
    for name, aliases in ALIASES[kind].items():
        if normalised in aliases:
            return name
    for name, pattern in PATTERNS[kind]:
        if pattern.match(normalised):
            return name
    if kind in ("indicators", "areas"):
        return _age_column(normalised)
    return None


def map_columns(header: Sequence[str], kind: TableKind,
                explicit: Mapping[str, str] | None = None) -> dict[int, str]:
    """Which file column becomes which of ours (position -> name).

    ``explicit`` (header as written -> our name) wins; otherwise each header goes through
    :func:`match_column`. When several headers could be the same column of ours, the one
    whose alias comes first in :data:`ALIASES` wins (``LSOA11CD`` over a bare ``lsoa``).
    """
    explicit_norm = {normalise_header(k): v for k, v in (explicit or {}).items()}
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for position, text in enumerate(header):
        target = explicit_norm.get(normalise_header(text))
        if target:
            chosen[position] = target
            taken.add(target)
    candidates: dict[str, list[tuple[int, int]]] = {}
    for position, text in enumerate(header):
        if position in chosen or not text:
            continue
        name = match_column(text, kind)
        if name is None or name in taken:
            continue
        aliases = ALIASES[kind].get(name, ())
        normalised = normalise_header(text)
        rank = aliases.index(normalised) if normalised in aliases else len(aliases)
        candidates.setdefault(name, []).append((rank, position))
    for name, options in candidates.items():
        chosen[min(options)[1]] = name
    return dict(sorted(chosen.items()))


def alias_table() -> str:
    """The accepted header names for each of our columns, as plain text (for docs and CLI)."""
    lines = ["Headers are matched case-insensitively, ignoring spaces and punctuation."]
    for kind in ("indicators", "services", "lookup"):
        lines.append(f"\n[{kind}]")
        for name, aliases in ALIASES[kind].items():
            lines.append(f"  {name}: {', '.join(aliases)}")
        for name, pattern in PATTERNS[kind]:
            lines.append(f"  {name}: also headers matching {pattern.pattern}")
    lines.append("\n[indicators] age: '18-24', 'Aged 18 to 24', 'pop_18_24', '65+', 'Aged 65 and over',"
                 " 'under 18', '18+' (adults), and single years '0' ... '89' with an open top "
                 "band such as '90+' (summed into our bands)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Spatial files
# ---------------------------------------------------------------------------------------
def read_boundaries(upload: Upload, *, crs: str | int | None = None, layer: str | None = None,
                    columns: Mapping[str, str] | None = None,
                    limits: UploadLimits = DEFAULT_LIMITS) -> tuple[Table, list[Issue]]:
    """Read area polygons from GeoJSON, GeoPackage, zipped Shapefile or TopoJSON.

    Returns a :class:`Table` (rows numbered by feature, from 1) in British National Grid
    metres, with attribute headers mapped like an indicator table. ``crs`` is the
    projection to assume when the file declares none.
    """
    file_format = detect_format(upload, limits=limits)
    if file_format in ("csv", "xlsx"):
        raise UploadError(f"{upload.name}: expected area boundaries (GeoJSON, GeoPackage, zipped "
                          f"Shapefile or TopoJSON); found a {_FORMAT_NAMES[file_format]} table")
    source: bytes = upload.content
    if file_format == "shapefile_zip":
        source, layer = _flat_shapefile_zip(upload, layer, limits)
    layer = _choose_layer(upload, source, layer)
    frame = _read_spatial(upload, source, layer)
    issues: list[Issue] = []
    frame, crs_issues = _to_british_grid(upload, frame, file_format, crs)
    issues.extend(crs_issues)
    header = [str(c) for c in frame.columns if c != frame.geometry.name]
    mapping = map_columns(header, "areas", columns)
    attributes = pd.DataFrame(
        {name: frame[header[position]].astype(object) for position, name in mapping.items()})
    attributes.index = pd.RangeIndex(1, len(frame) + 1)
    geometry = gpd.GeoSeries(frame.geometry.to_numpy(), index=attributes.index, crs=frame.crs)
    table_frame = gpd.GeoDataFrame(attributes, geometry=geometry, crs=frame.crs)
    headers = {name: header[position] for position, name in mapping.items()}
    return Table(upload.name, table_frame, headers, row_label="feature", all_headers=tuple(header)), issues


def _flat_shapefile_zip(upload: Upload, layer: str | None,
                        limits: UploadLimits) -> tuple[bytes, str | None]:
    """A new in-memory zip holding one shapefile's parts at its root, so GDAL reads it
    whatever folders the analyst zipped."""
    members = check_archive(upload, limits=limits)
    archive = zipfile.ZipFile(io.BytesIO(upload.content))
    stems: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        suffix = path.suffix.lower()
        if suffix in _SHAPEFILE_PARTS + _SHAPEFILE_OPTIONAL:
            stems.setdefault(str(path.with_suffix("")), {})[suffix] = member
    shapes = {stem: parts for stem, parts in stems.items() if ".shp" in parts}
    if layer is not None:
        shapes = {s: p for s, p in shapes.items() if PurePosixPath(s).name == layer}
        if not shapes:
            raise UploadError(f"{upload.name}: no shapefile named {layer!r} in the archive; found "
                              f"{_short_list([PurePosixPath(s).name for s in stems])}")
    if len(shapes) > 1:
        names = sorted(f"{s}.shp" for s in shapes)
        polygon = [s for s in shapes if _shapefile_is_polygon(archive, shapes[s][".shp"], upload)]
        if len(polygon) != 1:
            raise UploadError(f"{upload.name}: the archive holds several shapefiles "
                              f"({_short_list(names)}); say which one holds the areas (layer)")
        shapes = {polygon[0]: shapes[polygon[0]]}
    stem, parts = next(iter(shapes.items()))
    name = PurePosixPath(stem).name
    absent = [s for s in _SHAPEFILE_PARTS if s not in parts]
    if absent:
        raise UploadError(f"{upload.name}: the archive holds {name}.shp but not "
                          f"{', '.join(name + s for s in absent)}; expected all the files of the "
                          "shapefile zipped together")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as flat:
        for suffix, member in parts.items():
            flat.writestr(f"{name}{suffix}", _read_member(archive, member, upload))
    return buffer.getvalue(), name


def _shapefile_is_polygon(archive: zipfile.ZipFile, member: zipfile.ZipInfo, upload: Upload) -> bool:
    head = _read_member(archive, member, upload)[:36]
    return len(head) >= 36 and int.from_bytes(head[32:36], "little") in (5, 15, 25)


def _choose_layer(upload: Upload, source: bytes, layer: str | None) -> str | None:
    try:
        with _quiet_gdal():
            import pyogrio

            layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(source)]
    except Exception as error:  # pyogrio raises several types for unreadable input
        raise UploadError(f"{upload.name}: cannot read as a spatial file ({_short_error(error)})") from error
    names = [n for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise UploadError(f"{upload.name}: no layer named {layer!r}; found layers {_short_list(names)}")
        return layer
    if len(layers) <= 1:
        return None  # the only layer (its name may be a temporary one, so do not pass it)
    if "areas" in names:
        return "areas"
    polygons = [n for n, t in layers if "polygon" in t.lower()]
    if len(polygons) == 1:
        return polygons[0]
    raise UploadError(f"{upload.name}: the file has several layers ({_short_list(names)}); say "
                      "which one holds the areas (layer)")


def _read_spatial(upload: Upload, source: bytes, layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        with _quiet_gdal():
            frame = pyogrio.read_dataframe(source, layer=layer)
    except Exception as error:  # pyogrio raises several types for unreadable input
        raise UploadError(f"{upload.name}: cannot read the areas ({_short_error(error)})") from error
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise UploadError(f"{upload.name}: expected polygons, found a table with no geometry")
    return frame


@contextmanager
def _quiet_gdal() -> Iterator[None]:
    """Silence GDAL's chatter (file-extension notices) that pyogrio raises as warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


_FRIENDLY_ERRORS = (
    ("malformed", "the file is damaged or cut short"),
    ("not a database", "the file is damaged or not a GeoPackage"),
    ("not recognized as being in a supported file format", "not a spatial format that can be read"),
    ("Unterminated", "the file is cut short or not valid JSON"),
)


def _short_error(error: BaseException) -> str:
    """GDAL's reason in words an analyst can act on, without temporary file names."""
    text = str(error).split("; It might help")[0]
    text = re.sub(r"/vsi\w+/\S+", "the file", text)
    for marker, friendly in _FRIENDLY_ERRORS:
        if marker in text:
            return friendly
    return text[:200]


def _to_british_grid(upload: Upload, frame: gpd.GeoDataFrame, file_format: FileFormat,
                     crs: str | int | None) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Reproject to EPSG:27700, refusing files whose projection is unknown."""
    issues: list[Issue] = []
    bounds = frame.total_bounds if len(frame) else np.array([np.nan] * 4)
    lonlat_like = bool(np.all(np.isfinite(bounds))) and (
        -180 <= bounds[0] <= 180 and -180 <= bounds[2] <= 180
        and -90 <= bounds[1] <= 90 and -90 <= bounds[3] <= 90)
    declared = frame.crs
    geojson_default = file_format == "geojson" and declared is not None and declared.to_epsg() == 4326
    if crs is not None and (declared is None or geojson_default):
        try:
            frame = frame.set_crs(crs, allow_override=True)
        except Exception as error:  # pyproj raises CRSError and others for unknown names
            raise UploadError(f"{upload.name}: the projection {crs!r} is not known "
                              f"({_short_error(error)}); expected for example EPSG:27700") from error
    elif declared is None:
        if file_format == "topojson" and lonlat_like:
            frame = frame.set_crs(4326)
            issues.append(Issue("warning", upload.name, None, None,
                                "TopoJSON carries no projection; the coordinates look like "
                                "longitude/latitude, so WGS84 (EPSG:4326) was assumed", "assumed_crs"))
        else:
            raise UploadError(
                f"{upload.name}: the file has no projection (no .prj file or CRS); expected one, "
                f"so the areas can be placed on the map. Coordinates run from "
                f"{_bounds_text(bounds)}{_crs_hint(bounds)}; give the projection (for example "
                "--crs EPSG:27700)")
    if frame.crs is not None and frame.crs.is_geographic and not lonlat_like and len(frame):
        raise UploadError(
            f"{upload.name}: the file says longitude/latitude ({frame.crs.to_string()}) but the "
            f"coordinates run from {_bounds_text(bounds)}{_crs_hint(bounds)}; give the right "
            "projection (for example --crs EPSG:27700)")
    try:
        with _quiet_gdal():
            projected = frame.to_crs(BRITISH_NATIONAL_GRID)
    except Exception as error:  # pyproj raises several types for impossible transforms
        raise UploadError(f"{upload.name}: cannot reproject from {frame.crs} to British National "
                          f"Grid ({_short_error(error)})") from error
    new_bounds = projected.total_bounds if len(projected) else bounds
    inside = (GB_EASTING[0] - 50_000 <= new_bounds[0] and new_bounds[2] <= GB_EASTING[1] + 50_000
              and GB_NORTHING[0] - 50_000 <= new_bounds[1] and new_bounds[3] <= GB_NORTHING[1])
    if len(projected) and not inside:
        raise UploadError(
            f"{upload.name}: after reprojection the areas lie outside Great Britain (eastings "
            f"{new_bounds[0]:,.0f} to {new_bounds[2]:,.0f}, northings {new_bounds[1]:,.0f} to "
            f"{new_bounds[3]:,.0f}); expected a British locality: is the projection right?")
    return projected, issues


def _bounds_text(bounds: np.ndarray) -> str:
    return f"({bounds[0]:,.2f}, {bounds[1]:,.2f}) to ({bounds[2]:,.2f}, {bounds[3]:,.2f})"


def _crs_hint(bounds: np.ndarray) -> str:
    if (GB_EASTING[0] <= bounds[0] and bounds[2] <= GB_EASTING[1]
            and GB_NORTHING[0] <= bounds[1] and bounds[3] <= GB_NORTHING[1] and bounds[2] > 1000):
        return ", which looks like British National Grid metres (EPSG:27700)"
    return ""


# ---------------------------------------------------------------------------------------
# Code lookups (2011 <-> 2021)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CodeLookup:
    """Pairs of old and new area codes (2011 and 2021 LSOAs, say); a code may map to several."""

    file: str
    pairs: pd.DataFrame  # old_code, new_code

    def translate(self, codes: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The new codes each old code became (empty when the lookup does not know it)."""
        grouped = self.pairs.groupby("old_code")["new_code"].apply(tuple).to_dict()
        return {c: tuple(grouped.get(c, ())) for c in codes}


def read_code_lookup(upload: Upload, *, columns: Mapping[str, str] | None = None,
                     limits: UploadLimits = DEFAULT_LIMITS) -> CodeLookup:
    """Read a table of old and new area codes (for example LSOA11CD and LSOA21CD)."""
    table, issues = read_table(upload, "lookup", columns=columns, limits=limits)
    missing = [c for c in ("old_code", "new_code") if c not in table.frame.columns]
    if missing:
        raise UploadError(
            f"{upload.name}: expected a column of old codes and one of new codes (for example "
            f"LSOA11CD and LSOA21CD); found columns {table.found_columns()}")
    if any(i.severity == "error" for i in issues):
        raise UploadError(str(next(i for i in issues if i.severity == "error")))
    pairs = pd.DataFrame({
        "old_code": [normalise_code(v) for v in table.frame["old_code"]],
        "new_code": [normalise_code(v) for v in table.frame["new_code"]],
    }).dropna().drop_duplicates().reset_index(drop=True)
    if pairs.empty:
        raise UploadError(f"{upload.name}: the lookup has no pairs of codes")
    return CodeLookup(upload.name, pairs)


# ---------------------------------------------------------------------------------------
# Need, and the areas table in the demo's schema
# ---------------------------------------------------------------------------------------
def need_from_prevalence(pop_adult: pd.Series, smi_prevalence_pct: pd.Series | None,
                         cmd_prevalence_pct: pd.Series | None) -> pd.DataFrame:
    """Need index and need weight per area, exactly as the demo derives them.

    need rate per adult = SMI % + CMD % / 10; ``need_index`` = 100 x rate / the
    adult-weighted mean rate over the locality (100 = average need per adult);
    ``need_weight`` = adults x need_index / 100, the demand weight "need". Where one
    prevalence is not given the rate uses the other; where neither is, every area's index
    is 100 (need follows the adult population). Rounded like the demo (2 and 1 decimals).
    """
    adults = pop_adult.astype(float)
    rate = pd.Series(0.0, index=adults.index)
    given = False
    if smi_prevalence_pct is not None and smi_prevalence_pct.notna().any():
        rate = rate + smi_prevalence_pct.astype(float).fillna(smi_prevalence_pct.mean())
        given = True
    if cmd_prevalence_pct is not None and cmd_prevalence_pct.notna().any():
        rate = rate + cmd_prevalence_pct.astype(float).fillna(cmd_prevalence_pct.mean()) / CMD_NEED_DIVISOR
        given = True
    total_adults = float(adults.sum())
    county_rate = float((rate * adults).sum() / total_adults) if total_adults > 0 else 0.0
    if not given or county_rate <= 0:
        index = pd.Series(100.0, index=adults.index)
    else:
        index = (100.0 * rate / county_rate).round(2)
    weight = (adults * index / 100.0).round(1)
    return pd.DataFrame({"need_index": index, "need_weight": weight})


@dataclass(frozen=True)
class UploadOptions:
    """Choices an analyst can make about how files are read (all optional).

    ``crs``: projection of an areas file that declares none. ``layer``: which layer or
    shapefile in the areas file. ``columns``: headers as written -> our column names, for
    headers the aliases miss. ``sheet``: which Excel sheet. ``adult_share``: estimate
    adults as this share of residents when no adult counts are given.
    ``locality_name``: the locality's name (also the district when none is given).
    """

    crs: str | int | None = None
    layer: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None
    adult_share: float | None = None
    locality_name: str = "Uploaded locality"
    limits: UploadLimits = DEFAULT_LIMITS


DEFAULT_OPTIONS = UploadOptions()


def merge_indicators(tables: Sequence[tuple[str, pd.DataFrame]]) -> tuple[pd.DataFrame, list[Issue]]:
    """One indicator table from several, keyed by code; the first file giving a value wins,
    and values given differently by two files are reported."""
    issues: list[Issue] = []
    merged = pd.DataFrame()
    origin: dict[str, str] = {}
    for file, typed in tables:
        values = typed.drop(columns=["source_row"], errors="ignore")
        if merged.empty:
            merged = values.copy()
            origin.update({c: file for c in values.columns})
            continue
        merged = merged.reindex(merged.index.union(values.index))
        for column in values.columns:
            incoming = values[column].reindex(merged.index)
            if column not in merged.columns:
                merged[column] = incoming
                origin[column] = file
                continue
            both = merged[column].notna() & incoming.notna()
            if merged[column].dtype.kind == "f" and incoming.dtype.kind == "f":
                differ = both & ((merged[column] - incoming).abs() > 1e-6 * incoming.abs().clip(lower=1))
            else:
                differ = both & (merged[column].astype(str) != incoming.astype(str))
            if differ.any():
                example = differ[differ].index[0]
                issues.append(Issue(
                    "warning", file, None, column,
                    f"{int(differ.sum()):,} area(s) have a different {column} here than in "
                    f"{origin[column]} (for example {example}: {incoming[example]!s} here, "
                    f"{merged.at[example, column]!s} there); the value from {origin[column]} is used",
                    "conflicting_values"))
            merged[column] = merged[column].where(merged[column].notna(), incoming)
    return merged, issues


def build_areas(boundaries: gpd.GeoDataFrame, indicators: pd.DataFrame, *, file: str,
                adult_share: float | None = None,
                locality_name: str = "Uploaded locality") -> tuple[gpd.GeoDataFrame | None, list[Issue]]:
    """The areas layer in the demo's schema from checked boundaries and indicators.

    Required: a population for every area and adults (given, from age bands, or estimated
    with ``adult_share``). Optional values not given stay empty (NaN) and each is
    reported; derived ones (need, centroids, lots, area) are computed and reported.
    """
    issues: list[Issue] = []
    areas = boundaries.set_index("code", drop=False)
    data = indicators.reindex(areas.index)

    def column(name: str) -> pd.Series:
        return data[name].astype(float) if name in data.columns else pd.Series(np.nan, index=areas.index)

    def warn(message: str, check: str = "default_used", where: str | None = None) -> None:
        issues.append(Issue("warning", file, None, where, message, check))

    if "pop_total" not in data.columns and {"pop_male", "pop_female"} <= set(data.columns):
        data["pop_total"] = data["pop_male"] + data["pop_female"]
    if "pop_total" not in data.columns:
        issues.append(Issue("error", file, None, None,
                            "expected a population for every area (a column such as pop_total, "
                            "'All Ages' or population); found none in any file", "missing_column"))
        return None, issues
    pop_total = column("pop_total")
    blank = pop_total.isna()
    if blank.any():
        issues.append(Issue("error", file, None, "pop_total",
                            f"{int(blank.sum()):,} area(s) have no population: "
                            f"{_short_list(list(areas.index[blank]), 30)}", "blank_value"))
    adults, under_18 = _adults(data, column, pop_total, adult_share, file, issues)
    if adults is None:
        return None, issues
    out = pd.DataFrame(index=areas.index)
    out["code"] = areas["code"]
    out["name"] = _text(areas, data, "name", default=None).fillna(areas["code"])
    district = _text(areas, data, "district", default=None)
    if district.isna().all():
        warn(f"no district column: every area's district is the locality name {locality_name!r}")
    out["district"] = district.fillna(locality_name)
    town = _text(areas, data, "town", default=None)
    if town.isna().all():
        warn("no town column: towns are derived when the version is saved (OpenStreetMap's "
             "cities and towns when a road extract is given, else the place part of the area "
             "names); add a town column to name them yourself")
    out["town"] = town.fillna("Unknown")
    out["pop_total"] = pop_total
    for name in ("pop_male", "pop_female"):
        out[name] = column(name)
    out["pop_under_18"] = under_18
    for band in AGE_BANDS[1:]:
        out[band] = column(band)
    out["pop_adult"] = adults
    missing_optional = [n for n in ("pop_male", "pop_female", *AGE_BANDS[1:]) if out[n].isna().all()]
    if missing_optional:
        warn(f"no values for {', '.join(missing_optional)}: left empty, so analyses by sex and "
             "age band are not available for this locality")
    for name in ("bme_share", "imd_score", "imd_decile", "smi_prevalence_pct", "cmd_prevalence_pct"):
        out[name] = column(name)
    smi = out["smi_prevalence_pct"] if out["smi_prevalence_pct"].notna().any() else None
    cmd = out["cmd_prevalence_pct"] if out["cmd_prevalence_pct"].notna().any() else None
    for name, what in (("bme_share", "ethnicity"), ("imd_score", "deprivation score"),
                       ("imd_decile", "deprivation decile"),
                       ("smi_prevalence_pct", "severe mental illness prevalence"),
                       ("cmd_prevalence_pct", "common mental disorder prevalence")):
        if out[name].isna().all() and not (name.endswith("prevalence_pct") and smi is cmd is None):
            warn(f"no {what} column ({name}): left empty")
        elif out[name].isna().any() and not out[name].isna().all():
            warn(f"{int(out[name].isna().sum()):,} area(s) have no {name}: "
                 f"{_short_list(list(out.index[out[name].isna()]), 10)}", "blank_value", name)
    if smi is None and cmd is None:
        warn("no prevalence of severe mental illness or common mental disorders given: left "
             "empty, and every area's need index is 100, so need follows the adult population")
    need = need_from_prevalence(out["pop_adult"].fillna(0.0), smi, cmd)
    out["need_index"] = need["need_index"]
    out["need_weight"] = need["need_weight"]
    geometry = gpd.GeoSeries(areas.geometry.to_numpy(), index=areas.index, crs=boundaries.crs)
    pwc_x, pwc_y = column("pwc_x"), column("pwc_y")
    if pwc_x.isna().any() or pwc_y.isna().any():
        inner = geometry.representative_point()
        centre = geometry.centroid
        use_centre = centre.within(geometry)
        fallback = centre.where(use_centre, inner)
        without = int((pwc_x.isna() | pwc_y.isna()).sum())
        pwc_x = pwc_x.fillna(pd.Series(fallback.x, index=areas.index))
        pwc_y = pwc_y.fillna(pd.Series(fallback.y, index=areas.index))
        warn(f"no population-weighted centroid for {without:,} of {len(areas):,} area(s): the "
             "area's own centre was used (a point inside the area where the centre falls outside)")
    out["pwc_x"], out["pwc_y"] = pwc_x.round(1), pwc_y.round(1)
    out["area_km2"] = (geometry.area / 1e6).round(3)
    out["lot"] = _lots(data, out, warn)
    result = gpd.GeoDataFrame(out[list(AREA_COLUMNS)].reset_index(drop=True),
                              geometry=geometry.reset_index(drop=True), crs=BRITISH_NATIONAL_GRID)
    return result, issues


def _adults(data: pd.DataFrame, column: Any, pop_total: pd.Series, adult_share: float | None,
            file: str, issues: list[Issue]) -> tuple[pd.Series | None, pd.Series]:
    """Adults and under-18s from whatever the files give, most direct first."""
    given_adults: pd.Series = column("pop_adult")
    under_18: pd.Series = column("pop_under_18")
    bands = [column(b) for b in AGE_BANDS[1:]]
    from_bands = sum(bands[1:], bands[0]) if all(b.notna().all() for b in bands) else None
    adults = given_adults
    if adults.isna().any() and from_bands is not None:
        adults = adults.fillna(from_bands)
    if adults.isna().any() and under_18.notna().any():
        adults = adults.fillna(pop_total - under_18)
    if adults.isna().any() and adult_share is not None:
        if not 0 < adult_share <= 1:
            issues.append(Issue("error", file, None, None,
                                f"expected an adult share between 0 and 1, found {adult_share:g}",
                                "out_of_range"))
            return None, under_18
        estimated = adults.isna()
        adults = adults.fillna((pop_total * adult_share).round())
        issues.append(Issue(
            "warning", file, None, "pop_adult",
            f"adults estimated as {adult_share:.1%} of residents for {int(estimated.sum()):,} "
            "area(s) with no adult counts", "estimated_adults"))
    if adults.isna().all():
        issues.append(Issue(
            "error", file, None, None,
            "expected the number of adults (18 and over) in each area: a pop_adult column, age "
            "bands (18-24 ... 65+), single years of age, or under-18s; found none. Add them, or "
            "give an adult share to estimate adults from the total (--adult-share)",
            "missing_column"))
        return None, under_18
    if adults.isna().any():
        issues.append(Issue("error", file, None, "pop_adult",
                            f"{int(adults.isna().sum()):,} area(s) have no adult count: "
                            f"{_short_list(list(adults.index[adults.isna()]), 30)}", "blank_value"))
        return None, under_18
    return adults, under_18.fillna(pop_total - adults)


def _text(areas: gpd.GeoDataFrame, data: pd.DataFrame, name: str, *,
          default: str | None) -> pd.Series:
    values = pd.Series(default, index=areas.index, dtype=object)
    for source in (areas, data):
        if name in source.columns:
            column = source[name].map(lambda v: None if not _filled(v) else str(v).strip())
            values = values.where(values.notna(), column)
    return values


def _lots(data: pd.DataFrame, out: pd.DataFrame, warn: Any) -> pd.Series:
    """Contract lots as given, or West/Central/East thirds of the population by easting."""
    if "lot" in data.columns:
        given = data["lot"].map(lambda v: str(v).strip().title() if _filled(v) else None)
        if given.notna().all() and given.isin(LOTS).all():
            return given
        warn("the lot column is incomplete or not West/Central/East everywhere: lots were "
             "assigned instead", "default_used", "lot")
    order = out["pwc_x"].sort_values(kind="stable").index
    share = out.loc[order, "pop_total"].fillna(0).cumsum() / max(float(out["pop_total"].sum()), 1.0)
    lots = pd.Series(np.select([share <= 1 / 3, share <= 2 / 3], ["West", "Central"], "East"),
                     index=order)
    if "lot" not in data.columns:
        warn("no contract lot column: lots were assigned West, Central and East by easting, "
             "each with about a third of the residents")
    return lots.reindex(out.index)


# ---------------------------------------------------------------------------------------
# A whole upload
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UploadSet:
    """The files of one upload. Areas come with their indicators; services may come alone
    (the areas are then the active version's); ``roads`` is kept with the version."""

    areas: Upload | None = None
    indicators: tuple[Upload, ...] = ()
    services: Upload | None = None
    lookup: Upload | None = None
    roads: Upload | None = None
    network: ComponentSummary | None = None

    def files(self) -> tuple[tuple[str, Upload], ...]:
        """Every file with its role, in a stable order."""
        found: list[tuple[str, Upload]] = []
        if self.areas is not None:
            found.append(("areas", self.areas))
        found.extend(("indicators", u) for u in self.indicators)
        for role in ("services", "lookup", "roads"):
            upload = getattr(self, role)
            if upload is not None:
                found.append((role, upload))
        return tuple(found)


@dataclass(frozen=True, eq=False)
class PreparedUpload:
    """An upload read and checked: the new layers (when they passed) and the report."""

    report: ValidationReport
    areas: gpd.GeoDataFrame | None
    services: gpd.GeoDataFrame | None
    uploads: UploadSet
    lookup: CodeLookup | None = None
    areas_changed: bool = False
    services_changed: bool = False


def prepare_upload(uploads: UploadSet, *, options: UploadOptions = DEFAULT_OPTIONS,
                   current_areas: gpd.GeoDataFrame | None = None,
                   current_services: gpd.GeoDataFrame | None = None) -> PreparedUpload:
    """Read and check every file of an upload together, listing every problem found.

    Files that cannot be read become one error each (the others are still checked).
    ``current_areas``/``current_services`` (the active version's) stand in for what this
    upload does not replace, so services are checked against the areas they will be used
    with. Nothing is written anywhere.
    """
    issues: list[Issue] = []
    names = [u.name for _, u in uploads.files()]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        issues.append(Issue("error", repeated[0], None, None,
                            "two uploaded files have the same name; expected different names",
                            "duplicate_file"))
    for _, upload in uploads.files():
        if len(upload.content) > options.limits.max_upload_bytes:
            issues.append(Issue("error", upload.name, None, None,
                                f"the file is {_megabytes(len(upload.content))}; expected at most "
                                f"{_megabytes(options.limits.max_upload_bytes)}", "too_big"))
    issues.extend(_check_column_names(options.columns))
    if any(i.severity == "error" for i in issues):
        return PreparedUpload(ValidationReport(tuple(issues)), None, None, uploads)
    if uploads.areas is None and uploads.indicators:
        issues.append(Issue("error", uploads.indicators[0].name, None, None,
                            "indicators need the areas file they belong to in the same upload",
                            "missing_file"))
    if uploads.areas is None and uploads.services is None and not uploads.indicators:
        issues.append(Issue("error", "upload", None, None,
                            "expected an areas file or a services file; found neither",
                            "missing_file"))
    lookup = None
    lookup_upload = uploads.lookup
    if lookup_upload is not None:
        lookup = _guard(issues, lookup_upload, lambda: read_code_lookup(
            lookup_upload, columns=options.columns, limits=options.limits))
    areas = current_areas
    if uploads.areas is not None:
        areas = _prepare_areas(uploads, options, issues, lookup)
    elif areas is None and uploads.services is not None:
        issues.append(Issue("error", uploads.services.name, None, None,
                            "services need areas: upload an areas file with them (there is no "
                            "saved version yet)", "missing_file"))
    services = current_services
    if uploads.services is not None:
        services = _prepare_services(uploads.services, options, areas, issues)
    elif services is not None and areas is not None and uploads.areas is not None:
        issues.extend(check_services_within(services, _boundary(areas), file="services (kept from "
                                            "the current version)"))
    if uploads.network is not None:
        roads = uploads.roads.name if uploads.roads is not None else "road network"
        issues.extend(check_network(uploads.network, file=roads))
    report = ValidationReport(tuple(issues))
    passed = report.passed
    return PreparedUpload(
        report=report,
        areas=areas if passed else None,
        services=services if passed else None,
        uploads=uploads,
        lookup=lookup,
        areas_changed=uploads.areas is not None,
        services_changed=uploads.services is not None,
    )


def _check_column_names(columns: Mapping[str, str]) -> list[Issue]:
    """An explicit header mapping must name one of our columns (a typo would be ignored)."""
    known = {name for aliases in ALIASES.values() for name in aliases}
    issues = []
    for header, name in columns.items():
        if name not in known and _age_column(normalise_header(name)) is None:
            issues.append(Issue("error", "column mapping", None, header,
                                f"{header}={name}: {name!r} is not one of our columns; expected one of "
                                f"{', '.join(sorted(known))}", "unknown_column"))
    return issues


def _guard(issues: list[Issue], upload: Upload, read: Any) -> Any:
    """Run one reader; an unreadable file becomes one error in the report."""
    try:
        return read()
    except UploadError as error:
        message = str(error)
        prefix = f"{upload.name}: "
        issues.append(Issue("error", upload.name, None, None,
                            message[len(prefix):] if message.startswith(prefix) else message,
                            "unreadable_file"))
        return None


def _prepare_areas(uploads: UploadSet, options: UploadOptions, issues: list[Issue],
                   lookup: CodeLookup | None) -> gpd.GeoDataFrame | None:
    areas_upload = uploads.areas
    assert areas_upload is not None
    read = _guard(issues, areas_upload, lambda: read_boundaries(
        areas_upload, crs=options.crs, layer=options.layer, columns=options.columns,
        limits=options.limits))
    tables: list[tuple[str, pd.DataFrame]] = []  # indicator files first: they win over attributes
    attribute_table: list[tuple[str, pd.DataFrame]] = []
    boundaries = None
    if read is not None:
        table, read_issues = read
        issues.extend(read_issues)
        boundaries, boundary_issues = check_boundaries(table)
        issues.extend(boundary_issues)
        attribute_names = set(table.frame.columns) - {"code", "name", "geometry"}
        if boundaries is not None and attribute_names:
            attributes = replace(table, frame=pd.DataFrame(table.frame.drop(columns="geometry")))
            typed, attribute_issues = parse_indicators(attributes)
            issues.extend(i for i in attribute_issues
                          if i.check not in ("duplicate_code", "blank_code", "no_indicators"))
            if typed is not None:
                attribute_table.append((table.file, typed))
    for upload in uploads.indicators:
        read_indicator = _guard(issues, upload, lambda u=upload: read_table(
            u, "indicators", columns=options.columns, sheet=options.sheet, limits=options.limits))
        if read_indicator is None:
            continue
        table, read_issues = read_indicator
        issues.extend(read_issues)
        typed, indicator_issues = parse_indicators(table)
        issues.extend(indicator_issues)
        if typed is not None:
            tables.append((table.file, typed))
    tables.extend(attribute_table)
    if boundaries is None or any(i.severity == "error" for i in issues):
        return None
    codes = list(boundaries["code"])
    names = list(boundaries["name"]) if "name" in boundaries.columns else []
    if lookup is not None:
        tables = [(f, _translate_codes(f, t, codes, lookup, issues)) for f, t in tables]
    external = [(f, t) for f, t in tables if f != areas_upload.name]
    coverage = check_code_coverage(areas_upload.name, codes, external, area_names=names)
    issues.extend(coverage)
    if any(i.severity == "error" for i in coverage):
        return None
    merged, merge_issues = merge_indicators(tables)
    issues.extend(merge_issues)
    built, build_issues = build_areas(boundaries, merged, file=areas_upload.name,
                                      adult_share=options.adult_share,
                                      locality_name=options.locality_name)
    issues.extend(build_issues)
    if built is None:
        return None
    issues.extend(check_areas_table(built, file=areas_upload.name))
    return built


def _translate_codes(file: str, typed: pd.DataFrame, area_codes: Sequence[str], lookup: CodeLookup,
                     issues: list[Issue]) -> pd.DataFrame:
    """Move an indicator table keyed by old codes (2011 LSOAs, say) onto the areas' codes.

    Only one-to-one pairs are translated: a split or merged area's counts cannot be
    apportioned without more data, so those codes stay as they are (and are then listed
    as missing by the coverage check).
    """
    areas = set(area_codes)
    unmatched = [c for c in typed.index if c not in areas]
    pairs = lookup.pairs[lookup.pairs["old_code"].isin(unmatched) & lookup.pairs["new_code"].isin(areas)]
    if pairs.empty:
        return typed
    old_count = lookup.pairs.groupby("old_code")["new_code"].transform("nunique")
    new_count = lookup.pairs.groupby("new_code")["old_code"].transform("nunique")
    one_to_one = lookup.pairs[(old_count == 1) & (new_count == 1)]
    usable = one_to_one[one_to_one["old_code"].isin(unmatched) & ~one_to_one["new_code"].isin(typed.index)]
    renamed = dict(zip(usable["old_code"], usable["new_code"], strict=True))
    split_or_merged = sorted(set(pairs["old_code"]) - set(renamed))
    message = f"{len(renamed):,} code(s) were matched to the areas through {lookup.file} (one to one)"
    if split_or_merged:
        message += (f"; {len(split_or_merged):,} code(s) split or merged between vintages cannot be "
                    f"apportioned and were not matched: {_short_list(split_or_merged, 20)}")
    issues.append(Issue("warning", file, None, None, message, "codes_translated"))
    return typed.rename(index=renamed)


def _prepare_services(upload: Upload, options: UploadOptions, areas: gpd.GeoDataFrame | None,
                      issues: list[Issue]) -> gpd.GeoDataFrame | None:
    read = _guard(issues, upload, lambda: read_table(
        upload, "services", columns=options.columns, sheet=options.sheet, limits=options.limits))
    if read is None:
        return None
    table, read_issues = read
    issues.extend(read_issues)
    services, service_issues = parse_services(_lonlat_in_grid_columns(table, issues))
    issues.extend(service_issues)
    if services is None:
        return None
    if areas is None or any(i.severity == "error" for i in issues):
        return services
    located = services[services.geometry.notna() & ~services.geometry.is_empty]
    header = table.header("latitude" if "latitude" in table.frame.columns else "easting")
    issues.extend(check_services_within(located, _boundary(areas), file=upload.name, header=header))
    return _fill_service_places(services, areas)


def _lonlat_in_grid_columns(table: Table, issues: list[Issue]) -> Table:
    """Treat 'x'/'y' columns holding longitude/latitude as such (reported)."""
    frame = table.frame
    if not {"easting", "northing"} <= set(frame.columns) or "latitude" in frame.columns:
        return table
    from geo.ingest.validate import GB_LATITUDE, GB_LONGITUDE, parse_number

    xs = [parse_number(v) for v in frame["easting"]]
    ys = [parse_number(v) for v in frame["northing"]]
    numbers = [(x, y) for x, y in zip(xs, ys, strict=True) if isinstance(x, float) and isinstance(y, float)]
    if numbers and all(GB_LONGITUDE[0] <= x <= GB_LONGITUDE[1] and GB_LATITUDE[0] <= y <= GB_LATITUDE[1]
                       for x, y in numbers):
        issues.append(Issue("warning", table.file, None, table.header("easting"),
                            "the x/y columns hold longitude and latitude, not British National "
                            "Grid metres; read as longitude/latitude", "assumed_crs"))
        renamed = frame.rename(columns={"easting": "longitude", "northing": "latitude"})
        headers = dict(table.headers)
        headers["longitude"], headers["latitude"] = headers.pop("easting"), headers.pop("northing")
        return replace(table, frame=renamed, headers=headers)
    return table


def _boundary(areas: gpd.GeoDataFrame) -> shapely.Geometry:
    return shapely.union_all(areas.geometry.to_numpy())


def _fill_service_places(services: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """District and town from the area each service stands in, where the file gave none."""
    joined = gpd.sjoin(services[["geometry"]], areas[["district", "town", "geometry"]],
                       how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    out = services.copy()
    for column in ("district", "town"):
        blank = out[column] == ""
        out.loc[blank, column] = joined.loc[blank, f"{column}"].fillna("Outside the locality")
    for column in ("clients", *CLIENT_PARTS):
        out[column] = out[column].astype("int64")
    ordered = [c for c in SERVICE_COLUMNS if c in out.columns] + ["clients_volunteered"]
    result = gpd.GeoDataFrame(out[ordered], geometry=out.geometry, crs=BRITISH_NATIONAL_GRID)
    return result.reset_index(drop=True)
