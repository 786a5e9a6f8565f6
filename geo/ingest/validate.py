"""Check an analyst's uploaded tables before anything is saved, and report in plain English.

Every check returns :class:`Issue` values rather than raising, so one pass over a whole
upload lists every problem at once (a report an analyst can work through) instead of
stopping at the first. Rows are counted the way a spreadsheet user counts them: the
header is row 1, the first data row is row 2. In spatial files (which have no header)
``row`` is the 1-based feature number. Nothing here reads or writes files: readers in
:mod:`geo.ingest.uploads` hand over :class:`Table` values, and :mod:`geo.ingest.datasets` refuses to
save unless :meth:`ValidationReport.can_apply` says so.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import DataFileError
from geo.locality import SERVICE_FUNCTIONS

Severity = Literal["error", "warning"]
BRITISH_NATIONAL_GRID = 27700

# At most this many issues of one kind (same file, column and check) are listed one by one;
# the rest are counted in a closing line, so a file with 30,000 bad rows stays readable.
MAX_LISTED_PER_KIND = 20
# A service this far outside the areas is almost certainly misplaced (swapped or wrong
# coordinates) rather than a city-centre service that residents travel to.
SERVICE_FAR_OUTSIDE_KM = 50.0
# A population-weighted centroid this far outside its own area is probably misplaced.
PWC_OUTSIDE_TOLERANCE_M = 1_000.0
# Sums that should agree (men + women = all) may differ by rounding in published tables.
SUM_TOLERANCE_PEOPLE = 5.0
SUM_TOLERANCE_SHARE = 0.02
# Great Britain in longitude/latitude and in British National Grid metres.
GB_LATITUDE = (49.0, 61.5)
GB_LONGITUDE = (-9.0, 2.5)
GB_EASTING = (0.0, 700_000.0)
GB_NORTHING = (0.0, 1_300_000.0)
# Share of road nodes left out of the main network above which the extract is refused.
NETWORK_DROPPED_ERROR_SHARE = 0.5

MISSING_MARKERS = frozenset({
    "", "na", "n/a", "nan", "null", "none", "-", "\u2013", "..", ":", "x", "*", "#n/a", "missing",
})
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_SPACE_THOUSANDS = re.compile(r"^[+-]?\d{1,3}( \d{3})+(\.\d*)?$")
_ODD_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f", ""})


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    """One problem found in an upload, located as precisely as the file allows.

    ``row`` is 1-based as a spreadsheet user counts (header = row 1) or, in spatial files,
    the 1-based feature number; ``column`` is the header as written in the file.
    """

    severity: Severity
    file: str
    row: int | None
    column: str | None
    message: str
    check: str = ""
    row_label: str = "row"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{self.severity.upper()}: {', '.join(where)}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the app's report table and the CLI's ``--json``."""
        return {
            "severity": self.severity, "file": self.file, "row": self.row,
            "row_label": self.row_label, "column": self.column, "message": self.message,
            "check": self.check,
        }


@dataclass(frozen=True)
class ValidationReport:
    """Everything wrong with one upload: errors block saving, warnings need accepting."""

    issues: tuple[Issue, ...] = ()

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Problems that must be fixed before the upload can be saved."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """Problems the analyst may accept (the upload is saved as it is, or as repaired)."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def passed(self) -> bool:
        """True when there are no errors (warnings may remain)."""
        return not self.errors

    @property
    def warnings_digest(self) -> str:
        """A short fingerprint of the listed warnings.

        The analyst accepts *these* warnings by handing the digest back when saving, so a
        file changed between looking at the report and saving cannot slip new warnings in.
        """
        text = "\n".join(str(i) for i in self.warnings)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def can_apply(self, accepted_warnings: str | None = None) -> bool:
        """True when there are no errors and either no warnings or these warnings accepted."""
        if not self.passed:
            return False
        return not self.warnings or accepted_warnings == self.warnings_digest

    def with_issues(self, issues: Iterable[Issue]) -> ValidationReport:
        """A new report with ``issues`` added after the existing ones."""
        return ValidationReport(self.issues + tuple(issues))

    def to_text(self, *, limit: int | None = None) -> str:
        """The report as plain-English lines, errors first."""
        ordered = self.errors + self.warnings
        if not ordered:
            return "No problems found."
        shown = ordered if limit is None else ordered[:limit]
        lines = [
            f"{len(self.errors)} error(s) and {len(self.warnings)} warning(s).",
            *(str(i) for i in shown),
        ]
        if len(shown) < len(ordered):
            lines.append(f"... and {len(ordered) - len(shown)} more.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form of the whole report."""
        return {
            "passed": self.passed,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "warnings_digest": self.warnings_digest,
            "issues": [i.to_dict() for i in self.issues],
        }


@dataclass(frozen=True, eq=False)
class Table:
    """One uploaded table with our column names, rows numbered as the analyst sees them.

    ``frame``'s index is the spreadsheet row (header = 1) or, for spatial files, the
    feature number; ``headers`` maps each of our column names to the header as written in
    the file, so messages can name the column the analyst knows.
    """

    file: str
    frame: pd.DataFrame
    headers: Mapping[str, str] = field(default_factory=dict)
    row_label: str = "row"
    all_headers: tuple[str, ...] = ()

    def header(self, column: str) -> str:
        """The file's own header for one of our columns (our name when it was derived)."""
        return self.headers.get(column, column)

    def found_columns(self) -> str:
        """The file's headers as written, for 'found columns ...' in messages."""
        return _list_headers(self.all_headers or list(self.headers.values()))


class _IssueList:
    """Collects issues, listing at most :data:`MAX_LISTED_PER_KIND` of each kind."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._counts: dict[tuple[str, str | None, str, Severity], int] = defaultdict(int)
        self._row_label: dict[tuple[str, str | None, str, Severity], str] = {}

    def add(self, severity: Severity, file: str, row: int | None, column: str | None,
            message: str, *, check: str, row_label: str = "row") -> None:
        key = (file, column, check, severity)
        self._counts[key] += 1
        self._row_label[key] = row_label
        if self._counts[key] <= MAX_LISTED_PER_KIND:
            self.issues.append(Issue(severity, file, row, column, message, check, row_label))

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue.severity, issue.file, issue.row, issue.column, issue.message,
                     check=issue.check, row_label=issue.row_label)

    def done(self) -> list[Issue]:
        """The collected issues plus one line per kind that was cut short."""
        closing = [
            Issue(severity, file, None, column,
                  f"... and {count - MAX_LISTED_PER_KIND:,} more {self._row_label[key]}s "
                  f"with the same problem ({check.replace('_', ' ')})", check)
            for key, count in self._counts.items()
            if count > MAX_LISTED_PER_KIND
            for file, column, check, severity in [key]
        ]
        return self.issues + closing


# ---------------------------------------------------------------------------------------
# Reading values
# ---------------------------------------------------------------------------------------
class _Bad:
    """A cell that could not be read as the expected type (kept to quote it back)."""

    __slots__ = ("found",)

    def __init__(self, found: object) -> None:
        self.found = found


def parse_number(value: object) -> float | _Bad | None:
    """Read one cell as a number: None when blank or a 'no data' marker, _Bad when not a number.

    Accepts thousands separators ("1,234", "1 234"), a leading pound sign, a trailing
    percent sign and spreadsheet numbers. A decimal comma ("12,5") is refused because
    it cannot be told from a thousands separator in general.
    """
    if value is None or isinstance(value, bool):
        return None if value is None else _Bad(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        return number if math.isfinite(number) else _Bad(value)
    text = str(value).translate(_ODD_SPACES).strip()
    if text.lower() in MISSING_MARKERS:
        return None
    text = _clean_number_text(text)
    if not _PLAIN_NUMBER.match(text):
        return _Bad(value)
    number = float(text)
    return number if math.isfinite(number) else _Bad(value)  # "1E310" overflows: not a usable number


def parse_bool(value: object) -> bool | _Bad:
    """Read one cell as yes/no (blank counts as no)."""
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return _Bad(value)


def normalise_code(value: object) -> str | None:
    """An area or service code as text: trimmed, upper case, whole numbers without '.0'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().upper()
    return text or None


def normalise_codes(values: pd.Series) -> pd.Series:
    """:func:`normalise_code` over a column (object dtype, None where blank)."""
    objects = values.astype(object).to_numpy()
    if all(isinstance(v, str) for v in objects):
        text = pd.Series(objects, dtype=object).str.strip().str.upper()
        return pd.Series(text.where(text != "", None).to_numpy(dtype=object), index=values.index,
                         dtype=object)
    return pd.Series([normalise_code(v) for v in objects], index=values.index, dtype=object)


def _quote(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class NumberRule:
    """What one numeric column must hold, for messages and range checks."""

    what: str
    minimum: float | None = 0.0
    maximum: float | None = None
    whole: bool = False

    def expected(self) -> str:
        bounds = []
        if self.minimum is not None and self.maximum is not None:
            bounds.append(f"between {self.minimum:g} and {self.maximum:g}")
        elif self.minimum is not None:
            bounds.append(f"of at least {self.minimum:g}")
        elif self.maximum is not None:
            bounds.append(f"of at most {self.maximum:g}")
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} ({self.what}) {' '.join(bounds)}".strip()


COUNT = NumberRule("a count of people", 0.0)
AGE_BANDS = ("pop_under_18", "pop_18_24", "pop_25_34", "pop_35_49", "pop_50_64", "pop_65_plus")
ADULT_BANDS = AGE_BANDS[1:]
BAND_LIMITS: dict[str, tuple[int, int | None]] = {
    "pop_under_18": (0, 17), "pop_18_24": (18, 24), "pop_25_34": (25, 34),
    "pop_35_49": (35, 49), "pop_50_64": (50, 64), "pop_65_plus": (65, None),
    "pop_adult": (18, None),
}
INDICATOR_RULES: dict[str, NumberRule] = {
    **{c: COUNT for c in ("pop_total", "pop_male", "pop_female", "pop_adult", "pop_bme", *AGE_BANDS)},
    "bme_share": NumberRule("a share from 0 to 1", 0.0, 1.0),
    "bme_pct": NumberRule("a percentage", 0.0, 100.0),
    "imd_score": NumberRule("a deprivation score", 0.0, 100.0),
    "imd_decile": NumberRule("a deprivation decile, 1 = most deprived", 1.0, 10.0, whole=True),
    "smi_prevalence_pct": NumberRule("a percentage of adults", 0.0, 100.0),
    "cmd_prevalence_pct": NumberRule("a percentage of adults", 0.0, 100.0),
    "pwc_x": NumberRule("a British National Grid easting in metres", *GB_EASTING),
    "pwc_y": NumberRule("a British National Grid northing in metres", *GB_NORTHING),
}
SERVICE_RULES: dict[str, NumberRule] = {
    **{c: NumberRule("an amount in pounds a year", 0.0) for c in (
        "budget_gbp", "budget_day_activity_gbp", "budget_employment_gbp", "budget_mainstream_gbp")},
    **{c: NumberRule("a number of people", 0.0, whole=True) for c in (
        "clients", "clients_female", "clients_18_24", "clients_bme", "clients_over_50",
        "clients_volunteered")},
    "latitude": NumberRule("a latitude in Great Britain", *GB_LATITUDE),
    "longitude": NumberRule("a longitude in Great Britain", *GB_LONGITUDE),
    "easting": NumberRule("a British National Grid easting in metres", *GB_EASTING),
    "northing": NumberRule("a British National Grid northing in metres", *GB_NORTHING),
}
SINGLE_AGE = re.compile(r"^age_(\d+)(_plus)?$")


def _rule_for(column: str, rules: Mapping[str, NumberRule]) -> NumberRule | None:
    if column in rules:
        return rules[column]
    return COUNT if SINGLE_AGE.match(column) else None


def parse_numbers(table: Table, rules: Mapping[str, NumberRule],
                  issues: _IssueList) -> pd.DataFrame:
    """Turn every column with a rule into floats, listing each cell that is not a number or
    is out of range (those cells become NaN)."""
    out = table.frame.copy()
    for column in list(out.columns):
        rule = _rule_for(column, rules)
        if rule is None:
            continue
        header = table.header(column)
        values, bad = parse_number_column(out[column])
        for row in out.index[bad]:
            cell = out.at[row, column]
            hint = ""
            if isinstance(cell, str) and re.fullmatch(r"[+-]?\d+,\d{1,2}", cell.strip()):
                hint = " (use a point for decimals, not a comma)"
            issues.add("error", table.file, _row(row), header,
                       f"expected {rule.expected()}, found {_quote(cell)}{hint}",
                       check="not_a_number", row_label=table.row_label)
        with np.errstate(invalid="ignore"):
            too_low = values < rule.minimum if rule.minimum is not None else np.zeros(len(values), bool)
            too_high = values > rule.maximum if rule.maximum is not None else np.zeros(len(values), bool)
            not_whole = (values != np.round(values)) if rule.whole else np.zeros(len(values), bool)
        for position in np.flatnonzero(too_low | too_high | not_whole):
            check = "not_whole" if not (too_low[position] or too_high[position]) else "out_of_range"
            issues.add("error", table.file, _row(out.index[int(position)]), header,
                       f"expected {rule.expected()}, found {values[position]:g}",
                       check=check, row_label=table.row_label)
            values[position] = np.nan
        out[column] = values
    return out


def _clean_number_text(text: str) -> str:
    """Strip what :func:`parse_number` strips: odd spaces, a pound sign, a percent sign and
    thousands separators."""
    text = text.translate(_ODD_SPACES).strip()
    if text.startswith("£"):
        text = text[1:].strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    if "," in text and _COMMA_THOUSANDS.match(text):
        return text.replace(",", "")
    if " " in text and _SPACE_THOUSANDS.match(text):
        return text.replace(" ", "")
    return text


def _clean_number_texts(text: pd.Series) -> pd.Series:
    """:func:`_clean_number_text` over many cells, vectorised for the common cases."""
    text = text.str.strip()
    unusual = text.str.contains("[\u00a0\u202f\u2009£%]", regex=True)
    if unusual.any():
        text = text.where(~unusual, text[unusual].map(_clean_number_text))
    commas = text.str.fullmatch(_COMMA_THOUSANDS.pattern)
    text = text.where(~commas, text.str.replace(",", "", regex=False))
    spaces = text.str.fullmatch(_SPACE_THOUSANDS.pattern)
    return text.where(~spaces, text.str.replace(" ", "", regex=False))


def parse_number_column(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_number` over a whole column, fast: (floats with NaN, mask of bad cells)."""
    values = np.full(len(cells), np.nan)
    bad = np.zeros(len(cells), dtype=bool)
    objects = cells.astype(object).to_numpy()
    is_number = np.fromiter(
        (isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
         for v in objects), dtype=bool, count=len(objects))
    if is_number.any():
        numbers = objects[is_number].astype(float)
        infinite = np.isinf(numbers)
        values[np.flatnonzero(is_number)[~infinite]] = numbers[~infinite]
        bad[np.flatnonzero(is_number)[infinite]] = True
    is_text = ~is_number & pd.notna(objects)
    if is_text.any():
        text = pd.Series(objects[is_text], dtype=object).astype(str)
        missing = text.str.strip().str.lower().isin(MISSING_MARKERS).to_numpy()
        odd = text.str.contains(r"[^0-9.eE+-]", regex=True).to_numpy(dtype=bool)
        if odd.any():
            text = text.where(~odd, _clean_number_texts(text[odd]))
        plain = text.str.fullmatch(_PLAIN_NUMBER.pattern).to_numpy(dtype=bool)
        parsed = pd.to_numeric(text.where(plain, None), errors="coerce").to_numpy(dtype=float)
        good = plain & np.isfinite(parsed) & ~missing
        positions = np.flatnonzero(is_text)
        values[positions[good]] = parsed[good]
        bad[positions[~missing & ~good]] = True
    return values, bad


def _codes(table: Table, issues: _IssueList, *, what: str) -> pd.Series:
    """The table's code column, normalised; blank codes and duplicates are listed."""
    codes = normalise_codes(table.frame["code"])
    header = table.header("code")
    for row in codes.index[codes.isna()]:
        issues.add("error", table.file, _row(row), header, f"expected {what}, found a blank cell",
                   check="blank_code", row_label=table.row_label)
    present = codes.dropna()
    present = present[present.duplicated(keep=False)]
    for code, rows in present.groupby(present).groups.items():
        if len(rows) > 1:
            listed = ", ".join(str(_row(r)) for r in rows)
            issues.add("error", table.file, _row(rows[1]), header,
                       f"code {code} appears more than once ({table.row_label}s {listed}); "
                       "expected each code once", check="duplicate_code", row_label=table.row_label)
    return codes


# ---------------------------------------------------------------------------------------
# Boundaries
# ---------------------------------------------------------------------------------------
def check_boundaries(table: Table) -> tuple[gpd.GeoDataFrame | None, list[Issue]]:
    """Check area polygons: a code on every feature, each code once, usable geometry.

    Invalid polygons are repaired with ``make_valid`` (keeping the polygon parts) and
    reported as warnings with the change in area; empty or unrepairable ones are errors.
    Returns ``code``, ``name`` (when given) and ``geometry``, indexed by feature number.
    """
    issues = _IssueList()
    frame = table.frame
    if "code" not in frame.columns:
        issues.add("error", table.file, None, None,
                   "expected a column of area codes (for example LSOA11CD or code); found "
                   f"columns {table.found_columns()}", check="missing_column")
        return None, issues.done()
    codes = _codes(table, issues, what="an area code")
    geometry = gpd.GeoSeries(frame.geometry, index=frame.index, crs=frame.crs)
    repaired: list[shapely.Geometry | None] = []
    for row, shape in geometry.items():
        code = codes.get(row) or "(no code)"
        label = f"area {code}"
        if shape is None or shape.is_empty:
            issues.add("error", table.file, _row(row), "geometry",
                       f"{label}: expected a polygon, found an empty geometry",
                       check="empty_geometry", row_label=table.row_label)
            repaired.append(None)
            continue
        if shape.geom_type not in ("Polygon", "MultiPolygon") and shape.is_valid:
            issues.add("error", table.file, _row(row), "geometry",
                       f"{label}: expected a polygon, found a {shape.geom_type}",
                       check="not_a_polygon", row_label=table.row_label)
            repaired.append(None)
            continue
        if shape.has_z:
            shape = shapely.force_2d(shape)
        if shape.is_valid:
            repaired.append(shape)
            continue
        reason = shapely.is_valid_reason(shape)
        fixed = _polygon_parts(shapely.make_valid(shape))
        if fixed is None or fixed.area <= 0:
            issues.add("error", table.file, _row(row), "geometry",
                       f"{label}: the polygon is invalid ({_short_reason(reason)}) and could not be repaired",
                       check="unrepairable_geometry", row_label=table.row_label)
            repaired.append(None)
            continue
        issues.add("warning", table.file, _row(row), "geometry",
                   f"{label}: the polygon was invalid ({_short_reason(reason)}); repaired with "
                   f"make_valid (area now {fixed.area / 1e6:,.3f} km²)",
                   check="repaired_geometry", row_label=table.row_label)
        repaired.append(fixed)
    columns: dict[str, Any] = {"code": codes}
    if "name" in frame.columns:
        columns["name"] = frame["name"].map(lambda v: None if _blank(v) else str(v).strip())
    result = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(repaired, index=frame.index),
                              crs=frame.crs)
    if result.empty:
        issues.add("error", table.file, None, None, "expected at least one area, found none",
                   check="no_rows")
    return result, issues.done()


def _short_reason(reason: str) -> str:
    """GEOS's reason without the coordinates, which mean nothing to an analyst."""
    return re.sub(r"\[[^\]]*\]", "", reason).strip() or reason


def _polygon_parts(shape: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of a repaired geometry (make_valid can add stray lines)."""
    if shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    parts = [g for g in shapely.get_parts(shape) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def _blank(value: object) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return str(value).strip() == ""


def _row(label: Any) -> int:
    """A row label (an index value pandas types loosely) as the int it always is here."""
    return int(label)


def _at(frame: pd.DataFrame, label: Any, column: str) -> float:
    value: Any = frame.at[label, column]
    return float(value)


def _list_headers(columns: Iterable[object], limit: int = 12) -> str:
    names = [str(c) for c in columns if str(c) != "geometry"]
    shown = ", ".join(repr(n) for n in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown or "none"


# ---------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------
SEX_VALUES: dict[str, str] = {
    "persons": "all", "all persons": "all", "all": "all", "total": "all", "people": "all",
    "all people": "all", "both": "all", "both sexes": "all",
    "males": "male", "male": "male", "m": "male", "men": "male",
    "females": "female", "female": "female", "f": "female", "women": "female",
}


def parse_indicators(table: Table) -> tuple[pd.DataFrame | None, list[Issue]]:
    """Check one indicator table and return it typed, one row per area code.

    Numbers are parsed (thousands separators and all), ranges checked, codes checked for
    blanks and duplicates. A long table with one row per sex (``sex`` = Persons/Males/
    Females) is folded into one row per area; single years of age become our age bands;
    a percentage of minority ethnic residents becomes ``bme_share``; a count of them is
    divided by the area's population. The result is indexed by area code and keeps, in
    ``source_row``, the row each area came from.
    """
    issues = _IssueList()
    frame = table.frame
    if "code" not in frame.columns:
        hint = ""
        if "name" in frame.columns:
            hint = (f"; column '{table.header('name')}' holds area names, but areas are matched "
                    "by code because names are not unique and change between vintages")
        issues.add("error", table.file, None, None,
                   "expected a column of area codes (for example 'LSOA11CD', 'area_code' or "
                   f"'code'); found columns {table.found_columns()}{hint}",
                   check="missing_column")
        return None, issues.done()
    typed = parse_numbers(table, INDICATOR_RULES, issues)
    typed["code"] = normalise_codes(frame["code"])
    if "sex" in typed.columns:
        typed = _fold_sex_rows(table, typed, issues)
    else:
        _codes(table, issues, what="an area code")
    typed = typed[typed["code"].notna()].copy()
    typed["source_row"] = typed.index.astype(int)
    typed = typed.drop_duplicates("code", keep="first").set_index("code")
    typed = _single_years_to_bands(table, typed, issues)
    _ethnicity_to_share(table, typed, issues)
    _check_indicator_sums(table, typed, issues)
    known = {"source_row", "name", "district", "town", "lot", *INDICATOR_RULES, *BAND_LIMITS}
    keep = [c for c in typed.columns if c in known and c not in ("bme_pct", "pop_bme")]
    useful = [c for c in keep if c not in ("source_row", "name")]
    if not useful:
        issues.add("error", table.file, None, None,
                   "expected at least one indicator column (population, age bands, ethnicity, "
                   "deprivation or prevalence); found columns "
                   f"{table.found_columns()}; see the accepted column names "
                   "with 'python -m cli.data aliases'", check="no_indicators")
    if typed.empty:
        issues.add("error", table.file, None, None, "expected at least one row of data, found none",
                   check="no_rows")
    return typed[keep], issues.done()


def _fold_sex_rows(table: Table, typed: pd.DataFrame, issues: _IssueList) -> pd.DataFrame:
    """One row per area from a table with a row per sex (Persons, Males, Females).

    Counts come from the Persons row, or from Males plus Females where it is missing;
    ``pop_male``/``pop_female`` are the Males and Females rows' totals.
    """
    header = table.header("sex")
    sexes: list[Any] = []
    for row, value in typed["sex"].items():
        sex = None if _blank(value) else SEX_VALUES.get(str(value).strip().lower())
        if sex is None:
            issues.add("error", table.file, _row(row), header,
                       f"expected Persons, Males or Females, found {_quote(value)}",
                       check="bad_sex", row_label=table.row_label)
        sexes.append(sex)
    typed = typed.assign(sex=sexes, source_row=typed.index.astype(int))
    typed = typed[typed["sex"].notna() & typed["code"].notna()]
    groups: dict[Any, Any] = dict(typed.groupby(["code", "sex"]).groups)
    for (code, sex), rows in groups.items():
        if len(rows) > 1:
            listed = ", ".join(str(_row(r)) for r in rows)
            issues.add("error", table.file, _row(rows[1]), table.header("code"),
                       f"code {code} has more than one '{sex}' row (rows {listed}); expected one "
                       "row per area and sex", check="duplicate_code", row_label=table.row_label)
    typed = typed.drop_duplicates(["code", "sex"], keep="first")
    codes = list(dict.fromkeys(typed["code"]))
    part = {sex: typed[typed["sex"] == sex].set_index("code").reindex(codes)
            for sex in ("all", "male", "female")}
    counts = [c for c in typed.columns
              if c == "pop_total" or c in BAND_LIMITS or SINGLE_AGE.match(c)]
    result = pd.DataFrame(index=pd.Index(codes, name="code"))
    for column in typed.columns:
        if column in ("code", "sex", "source_row"):
            continue
        if column in counts:
            result[column] = part["all"][column].fillna(part["male"][column] + part["female"][column])
        else:
            result[column] = typed.groupby("code")[column].first().reindex(codes)
    if "pop_total" in typed.columns:
        for sex in ("male", "female"):
            if f"pop_{sex}" not in typed.columns:
                result[f"pop_{sex}"] = part[sex]["pop_total"]
    first_row = typed.groupby("code")["source_row"].min().reindex(codes)
    result = result.reset_index()
    result.index = pd.Index(first_row.to_numpy(dtype=int))
    return result


def _single_years_to_bands(table: Table, typed: pd.DataFrame, issues: _IssueList) -> pd.DataFrame:
    """Sum single years of age (0, 1, ..., 89, 90+) into our bands where they cover them."""
    years: dict[int, str] = {}
    open_from: tuple[int, str] | None = None
    for column in typed.columns:
        match = SINGLE_AGE.match(column)
        if match:
            age = int(match.group(1))
            if match.group(2):
                open_from = (age, column)
            else:
                years[age] = column
    if not years:
        return typed
    top = open_from[0] if open_from else max(years) + 1
    gaps = [a for a in range(0, top) if a not in years]
    if open_from is None or gaps:
        issues.add("warning", table.file, None, None,
                   "single years of age were found but do not run from 0 to an open top band "
                   f"(for example '90+'){'; missing ages ' + _ranges(gaps) if gaps else ''}; "
                   "they were not used for age bands", check="incomplete_ages")
        return typed
    for band, (low, high) in BAND_LIMITS.items():
        if band in typed.columns:
            continue
        upper = top - 1 if high is None else high
        columns = [years[a] for a in range(low, upper + 1) if a in years]
        if high is None:
            columns.append(open_from[1])
        typed[band] = typed[columns].sum(axis=1, min_count=len(columns))
    return typed.drop(columns=[*years.values(), open_from[1]])


def _ranges(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers[:10]) + (" ..." if len(numbers) > 10 else "")


def _ethnicity_to_share(table: Table, typed: pd.DataFrame, issues: _IssueList) -> None:
    if "bme_share" not in typed.columns and "bme_pct" in typed.columns:
        typed["bme_share"] = typed["bme_pct"] / 100.0
    if "bme_share" not in typed.columns and "pop_bme" in typed.columns:
        if "pop_total" not in typed.columns:
            issues.add("error", table.file, None, table.header("pop_bme"),
                       "a count of minority ethnic residents needs the area's total population "
                       "in the same file to become a share; found no population column",
                       check="missing_column")
            return
        share = typed["pop_bme"] / typed["pop_total"].where(typed["pop_total"] > 0)
        too_big = share > 1 + 1e-9
        for code in typed.index[too_big]:
            issues.add("error", table.file, _row(typed.at[code, "source_row"]), table.header("pop_bme"),
                       f"area {code}: {_at(typed, code, 'pop_bme'):g} minority ethnic residents is "
                       f"more than the {_at(typed, code, 'pop_total'):g} residents in all",
                       check="inconsistent_sum", row_label=table.row_label)
        typed["bme_share"] = share.where(~too_big)


def _check_indicator_sums(table: Table, typed: pd.DataFrame, issues: _IssueList) -> None:
    """Parts that should add up to the whole: sexes, age bands, adults."""
    if "pop_total" not in typed.columns:
        return
    total = typed["pop_total"]
    checks: list[tuple[str, list[str]]] = []
    if {"pop_male", "pop_female"} <= set(typed.columns):
        checks.append(("men and women", ["pop_male", "pop_female"]))
    if set(AGE_BANDS) <= set(typed.columns):
        checks.append(("the age bands", list(AGE_BANDS)))
    for what, parts in checks:
        summed = typed[parts].sum(axis=1, min_count=len(parts))
        off = (summed - total).abs() > np.maximum(SUM_TOLERANCE_PEOPLE, SUM_TOLERANCE_SHARE * total)
        for code in typed.index[off.fillna(False)]:
            issues.add("error", table.file, _row(typed.at[code, "source_row"]), table.header("pop_total"),
                       f"area {code}: {what} add up to {summed[code]:,.0f} but the total population "
                       f"is {total[code]:,.0f}", check="inconsistent_sum", row_label=table.row_label)
    if "pop_adult" in typed.columns:
        over = typed["pop_adult"] > total + SUM_TOLERANCE_PEOPLE
        for code in typed.index[over.fillna(False)]:
            issues.add("error", table.file, _row(typed.at[code, "source_row"]), table.header("pop_adult"),
                       f"area {code}: {_at(typed, code, 'pop_adult'):,.0f} adults is more than the "
                       f"{total[code]:,.0f} residents in all", check="inconsistent_sum",
                       row_label=table.row_label)


def check_code_coverage(area_file: str, area_codes: Sequence[str],
                        indicator_tables: Sequence[tuple[str, pd.DataFrame]], *,
                        area_names: Sequence[str] = ()) -> list[Issue]:
    """List codes found in one file and not another.

    An area with no indicator rows is an error (it would have no population); indicator
    rows for codes that are not among the areas are a warning (a national table filtered
    to the locality is normal) and are left out.
    """
    issues: list[Issue] = []
    areas = set(area_codes)
    names = {str(n).strip().upper() for n in area_names if not _blank(n)}
    for file, typed in indicator_tables:
        codes = set(typed.index)
        missing = [c for c in area_codes if c not in codes]
        extra = sorted(codes - areas)
        if missing and len(missing) == len(area_codes) and extra and names and set(extra) & names:
            issues.append(Issue(
                "error", file, None, "code",
                f"the code column holds area names (for example {_quote(extra[0])}), not codes; "
                f"expected codes like {area_codes[0]} as in {area_file}", "names_not_codes"))
            continue
        if missing:
            issues.append(Issue(
                "error", file, None, None,
                f"{len(missing):,} area code(s) in {area_file} have no row here: {_code_list(missing)}",
                "code_not_in_file"))
        if extra:
            issues.append(Issue(
                "warning", file, None, None,
                f"{len(extra):,} code(s) here are not areas in {area_file} and will be left out: "
                f"{_code_list(extra)}", "code_not_in_areas"))
    return issues


def _code_list(codes: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(str(c) for c in codes[:limit])
    return shown + (f" and {len(codes) - limit:,} more" if len(codes) > limit else "")


def check_areas_table(areas: gpd.GeoDataFrame, *, file: str) -> list[Issue]:
    """Checks on the assembled areas: areas with no people, centroids outside their area."""
    issues = _IssueList()
    empty = areas["pop_total"].fillna(0) <= 0
    for code in areas.loc[empty, "code"]:
        issues.add("warning", file, None, None,
                   f"area {code} has no residents (population 0): it stays on the map but "
                   "carries no demand", check="no_people")
    if bool(empty.all()) and len(areas):
        issues.add("error", file, None, None,
                   "no area has any residents: expected a population column with counts above 0",
                   check="no_people_at_all")
    points = shapely.points(areas["pwc_x"].to_numpy(float), areas["pwc_y"].to_numpy(float))
    distance = shapely.distance(areas.geometry.to_numpy(), points)
    for code, metres in zip(areas["code"], distance, strict=True):
        if np.isfinite(metres) and metres > PWC_OUTSIDE_TOLERANCE_M:
            issues.add("warning", file, None, "pwc_x",
                       f"area {code}: the population-weighted centroid lies {metres / 1000:,.1f} km "
                       "outside the area", check="centroid_outside")
    return issues.done()


# ---------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------
FUNCTION_LABELS: dict[str, str] = {
    **{key: key for key in SERVICE_FUNCTIONS},
    **{label.lower(): key for key, label in SERVICE_FUNCTIONS.items()},
    "social contact": "social_contact", "social": "social_contact",
    "structured activity": "structured_activity", "activity": "structured_activity",
    "skills training": "skills", "training": "skills",
    "employment": "employment_support", "employment support": "employment_support",
    "ips": "employment_support", "supported employment": "employment_support",
    "job retention": "job_retention",
    "sheltered employment": "sheltered_employment", "sheltered work": "sheltered_employment",
    "sheltered workshop": "sheltered_employment",
    "mainstream": "mainstream_participation", "mainstream participation": "mainstream_participation",
    "community links": "mainstream_participation",
    "peer support": "peer_support", "peer": "peer_support", "user-led": "peer_support",
    "user led": "peer_support", "user-led support": "peer_support",
}
_FUNCTION_SPLIT = re.compile(r"[;,|/\n]+")
BUDGET_PARTS = ("budget_day_activity_gbp", "budget_employment_gbp", "budget_mainstream_gbp")
CLIENT_PARTS = ("clients_female", "clients_18_24", "clients_bme", "clients_over_50",
                "clients_volunteered")
SERVICE_TEXT = ("service_type", "provider", "district", "town", "opening_days")


def parse_services(table: Table) -> tuple[gpd.GeoDataFrame | None, list[Issue]]:
    """Check a services table and return it as points in British National Grid metres.

    Needs a name, a location (latitude and longitude, or easting and northing), a budget
    (the total, or the three lines by function) and a number of clients. Optional columns
    are filled with documented defaults and each default used is reported as a warning.
    """
    issues = _IssueList()
    frame = table.frame
    columns = set(frame.columns)
    has_lonlat = {"latitude", "longitude"} <= columns
    has_grid = {"easting", "northing"} <= columns
    required = [("name", "the service's name"), ("clients", "the number of clients")]
    missing = [f"'{c}' ({what})" for c, what in required if c not in columns]
    if not (has_lonlat or has_grid):
        missing.append("a location: 'latitude' and 'longitude', or 'easting' and 'northing'")
    if "budget_gbp" not in columns and not set(BUDGET_PARTS) <= columns:
        missing.append("'budget_gbp' (the annual budget) or the three budget lines "
                       f"{', '.join(BUDGET_PARTS)}")
    if missing:
        issues.add("error", table.file, None, None,
                   f"expected {'; '.join(missing)}; found columns "
                   f"{table.found_columns()}", check="missing_column")
        return None, issues.done()
    swapped = _check_swapped(table, issues) if has_lonlat else []
    numbers = table.frame.copy()
    if swapped:  # already reported; do not report their ranges as well
        numbers.loc[swapped, ["latitude", "longitude"]] = None
    typed = parse_numbers(replace(table, frame=numbers), SERVICE_RULES, issues)
    for column in ("latitude", "longitude") if has_lonlat else ("easting", "northing"):
        for row in frame.index[frame[column].map(_blank)]:
            issues.add("error", table.file, _row(row), table.header(column),
                       f"expected the service's {column}, found a blank cell",
                       check="blank_location", row_label=table.row_label)
    for row, name in frame["name"].items():
        if _blank(name):
            issues.add("error", table.file, _row(row), table.header("name"),
                       "expected the service's name, found a blank cell", check="blank_name",
                       row_label=table.row_label)
    if "service_id" in frame.columns:
        ids = _codes(Table(table.file, frame.rename(columns={"service_id": "code"}),
                           {"code": table.header("service_id")}, table.row_label),
                     issues, what="a service id")
    else:
        ids = pd.Series([f"S{n:02d}" for n in range(1, len(frame) + 1)], index=frame.index)
        issues.add("warning", table.file, None, None,
                   "no service id column: services were numbered S01, S02, ... in file order",
                   check="default_used")
    result = pd.DataFrame(index=frame.index)
    result["service_id"] = ids
    result["name"] = frame["name"].map(lambda v: "" if _blank(v) else str(v).strip())
    for column in SERVICE_TEXT:
        result[column] = (frame[column].map(lambda v: "" if _blank(v) else str(v).strip())
                          if column in frame.columns else "")
    _budgets(table, typed, result, issues)
    result["clients"] = typed["clients"]
    for row in typed.index[typed["clients"].isna() & frame["clients"].map(_blank)]:
        issues.add("error", table.file, _row(row), table.header("clients"),
                   "expected the number of clients, found a blank cell", check="blank_value",
                   row_label=table.row_label)
    absent = [c for c in CLIENT_PARTS if c not in typed.columns]
    for column in CLIENT_PARTS:
        result[column] = typed[column].fillna(0.0) if column in typed.columns else 0.0
        if column in typed.columns:
            over = typed[column] > typed["clients"]
            for row in typed.index[over.fillna(False)]:
                issues.add("error", table.file, _row(row), table.header(column),
                           f"expected at most the {_at(typed, row, 'clients'):g} clients in all, "
                           f"found {_at(typed, row, column):g}", check="inconsistent_sum",
                           row_label=table.row_label)
    if absent:
        issues.add("warning", table.file, None, None,
                   f"no column for {', '.join(absent)}: counted as 0 for every service, so "
                   "analyses of those groups will show none", check="default_used")
    result["functions"] = _functions(table, result, issues)
    result["locality_wide"] = _locality_wide(table, issues)
    points = _service_points(table, typed, has_grid)
    services = gpd.GeoDataFrame(result, geometry=points, crs=BRITISH_NATIONAL_GRID)
    duplicated = services["name"].duplicated(keep=False) & (services["name"] != "")
    for name, rows in services[duplicated].groupby("name").groups.items():
        issues.add("warning", table.file, _row(rows[1]), table.header("name"),
                   f"the name {name!r} appears more than once (rows "
                   f"{', '.join(str(_row(r)) for r in rows)})", check="duplicate_name",
                   row_label=table.row_label)
    if services.empty:
        issues.add("error", table.file, None, None, "expected at least one service, found none",
                   check="no_rows")
    return services, issues.done()


def _check_swapped(table: Table, issues: _IssueList) -> list[Any]:
    """Latitude and longitude typed the wrong way round is the commonest location error;
    returns the rows where they are."""
    raw_lat = table.frame["latitude"].map(parse_number)
    raw_lon = table.frame["longitude"].map(parse_number)
    rows = []
    for row in table.frame.index:
        lat, lon = raw_lat[row], raw_lon[row]
        if isinstance(lat, float) and isinstance(lon, float):
            swapped = (GB_LATITUDE[0] <= lon <= GB_LATITUDE[1]
                       and GB_LONGITUDE[0] <= lat <= GB_LONGITUDE[1])
            if swapped:
                rows.append(row)
                issues.add("error", table.file, _row(row), table.header("latitude"),
                           f"latitude {lat:g} and longitude {lon:g} look swapped: expected a "
                           "latitude of 49 to 61.5 and a longitude of -9 to 2.5 in Great Britain",
                           check="swapped_coordinates", row_label=table.row_label)
    return rows


def _budgets(table: Table, typed: pd.DataFrame, result: pd.DataFrame, issues: _IssueList) -> None:
    has_total = "budget_gbp" in typed.columns
    has_parts = set(BUDGET_PARTS) <= set(typed.columns)
    if has_total and has_parts:
        result["budget_gbp"] = typed["budget_gbp"]
        for column in BUDGET_PARTS:
            result[column] = typed[column].fillna(0.0)
        summed = result[list(BUDGET_PARTS)].sum(axis=1)
        off = (summed - result["budget_gbp"]).abs() > 1.0
        for row in result.index[off.fillna(False)]:
            issues.add("error", table.file, _row(row), table.header("budget_gbp"),
                       f"the three budget lines add up to £{summed[row]:,.0f} but the total "
                       f"budget is £{_at(result, row, 'budget_gbp'):,.0f}", check="inconsistent_sum",
                       row_label=table.row_label)
    elif has_parts:
        for column in BUDGET_PARTS:
            result[column] = typed[column].fillna(0.0)
        result["budget_gbp"] = result[list(BUDGET_PARTS)].sum(axis=1)
    else:
        result["budget_gbp"] = typed["budget_gbp"]
        result["budget_day_activity_gbp"] = typed["budget_gbp"]
        result["budget_employment_gbp"] = 0.0
        result["budget_mainstream_gbp"] = 0.0
        issues.add("warning", table.file, None, None,
                   "no split of the budget by function: each service's whole budget is counted "
                   "as day activity and support", check="default_used")
    blank = result["budget_gbp"].isna() & table.frame.get(
        "budget_gbp", pd.Series(None, index=table.frame.index, dtype=object)).map(_blank)
    for row in result.index[blank]:
        issues.add("error", table.file, _row(row), table.header("budget_gbp"),
                   "expected the annual budget in pounds, found a blank cell", check="blank_value",
                   row_label=table.row_label)


def _functions(table: Table, result: pd.DataFrame, issues: _IssueList) -> list[str]:
    if "functions" not in table.frame.columns:
        issues.add("warning", table.file, None, None,
                   "no functions column: services are listed with no functions, so analyses by "
                   "function will not count them", check="default_used")
        return [""] * len(result)
    keys_out = []
    for row, cell in table.frame["functions"].items():
        keys: list[str] = []
        if not _blank(cell):
            for part in _FUNCTION_SPLIT.split(str(cell)):
                token = part.strip().lower().replace("_", " ")
                if not token:
                    continue
                key = FUNCTION_LABELS.get(token) or FUNCTION_LABELS.get(token.replace(" ", "_"))
                if key is None:
                    issues.add("error", table.file, _row(row), table.header("functions"),
                               f"unknown function {part.strip()!r}; expected some of "
                               f"{', '.join(SERVICE_FUNCTIONS)} separated by ';'",
                               check="unknown_function", row_label=table.row_label)
                elif key not in keys:
                    keys.append(key)
        keys_out.append(";".join(keys))
    return keys_out


def _locality_wide(table: Table, issues: _IssueList) -> list[bool]:
    if "locality_wide" not in table.frame.columns:
        return [False] * len(table.frame)
    out = []
    for row, cell in table.frame["locality_wide"].items():
        value = parse_bool(cell)
        if isinstance(value, _Bad):
            issues.add("error", table.file, _row(row), table.header("locality_wide"),
                       f"expected yes or no, found {_quote(cell)}", check="not_yes_no",
                       row_label=table.row_label)
            value = False
        out.append(bool(value))
    return out


def _service_points(table: Table, typed: pd.DataFrame, has_grid: bool) -> gpd.GeoSeries:
    if has_grid:
        x, y = typed["easting"].to_numpy(float), typed["northing"].to_numpy(float)
        return gpd.GeoSeries(shapely.points(x, y), index=typed.index, crs=BRITISH_NATIONAL_GRID)
    lonlat = gpd.GeoSeries(
        shapely.points(typed["longitude"].to_numpy(float), typed["latitude"].to_numpy(float)),
        index=typed.index, crs=4326)
    return lonlat.to_crs(BRITISH_NATIONAL_GRID)


def check_services_within(services: gpd.GeoDataFrame, boundary: shapely.Geometry, *,
                          file: str, header: str = "location") -> list[Issue]:
    """Services outside the areas: a warning (some serve residents from a city centre), or
    an error when more than :data:`SERVICE_FAR_OUTSIDE_KM` km away (wrong coordinates)."""
    issues = _IssueList()
    located = services[services.geometry.notna() & ~services.geometry.is_empty]
    distance = shapely.distance(boundary, located.geometry.to_numpy())
    for (row, service), metres in zip(located.iterrows(), distance, strict=True):
        if not np.isfinite(metres) or metres <= 0:
            continue
        km = metres / 1000.0
        severity: Severity = "error" if km > SERVICE_FAR_OUTSIDE_KM else "warning"
        hint = " (check the coordinates)" if severity == "error" else ""
        issues.add(severity, file, _row(row), header,
                   f"service {service['name']!r} lies {km:,.1f} km outside the areas{hint}",
                   check="service_outside")
    return issues.done()


# ---------------------------------------------------------------------------------------
# Road network
# ---------------------------------------------------------------------------------------
class ComponentSummary(Protocol):
    """What the largest-connected-part step left out (``geo.network.ComponentReport`` fits)."""

    @property
    def nodes_total(self) -> int: ...

    @property
    def nodes_dropped(self) -> int: ...


@dataclass(frozen=True)
class NetworkSummary:
    """The numbers of a network build, when no ``ComponentReport`` object is at hand."""

    nodes_total: int
    nodes_dropped: int


def check_network(summary: ComponentSummary, *, file: str) -> list[Issue]:
    """Report road junctions left out because they are not connected to the main network.

    A few dropped nodes are normal (private roads, a border cut); more than half means the
    extract does not cover the locality's roads, and is refused.
    """
    total, dropped = int(summary.nodes_total), int(summary.nodes_dropped)
    if total <= 0:
        return [Issue("error", file, None, None, "expected a road network, found no road junctions",
                      "empty_network")]
    if dropped <= 0:
        return []
    share = dropped / total
    if share > NETWORK_DROPPED_ERROR_SHARE:
        return [Issue("error", file, None, None,
                      f"{dropped:,} of {total:,} road junctions ({share:.0%}) are not connected to "
                      "the main road network; expected most roads to join up (is the extract for "
                      "the right place?)", "disconnected_roads")]
    return [Issue("warning", file, None, None,
                  f"{dropped:,} of {total:,} road junctions ({share:.1%}) are in parts not "
                  "connected to the main road network and were left out", "disconnected_roads")]


def run_checks(*checks: Callable[[], list[Issue]]) -> ValidationReport:
    """Run independent checks and gather all their issues into one report."""
    issues: list[Issue] = []
    for check in checks:
        issues.extend(check())
    return ValidationReport(tuple(issues))


class UploadRejectedError(DataFileError):
    """A whole upload refused because its validation report has errors or unaccepted warnings."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report
