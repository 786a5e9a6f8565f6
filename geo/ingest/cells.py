"""One uploaded table and its cells: numbers, yes/no, codes and the ranges they must fall in."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.ingest.columns import SINGLE_AGE
from geo.ingest.report import IssueList, list_headers

BRITISH_NATIONAL_GRID = 27700


# Great Britain in longitude/latitude and in British National Grid metres.
GB_LATITUDE = (49.0, 61.5)


GB_LONGITUDE = (-9.0, 2.5)


GB_EASTING = (0.0, 700_000.0)


GB_NORTHING = (0.0, 1_300_000.0)


MISSING_MARKERS = frozenset({
    "", "na", "n/a", "nan", "null", "none", "-", "\u2013", "..", ":", "x", "*", "#n/a", "missing",
})


_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


_SPACE_THOUSANDS = re.compile(r"^[+-]?\d{1,3}( \d{3})+(\.\d*)?$")


_ODD_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


_TRUE = frozenset({"true", "yes", "y", "1", "t"})


_FALSE = frozenset({"false", "no", "n", "0", "f", ""})


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
        return list_headers(self.all_headers or list(self.headers.values()))


class BadCell:
    """A cell that could not be read as the expected type (kept to quote it back)."""

    __slots__ = ("found",)

    def __init__(self, found: object) -> None:
        self.found = found


def parse_number(value: object) -> float | BadCell | None:
    """Read one cell as a number: None when blank or a 'no data' marker, BadCell when not a number.

    Accepts thousands separators ("1,234", "1 234"), a leading pound sign, a trailing
    percent sign and spreadsheet numbers. A decimal comma ("12,5") is refused because
    it cannot be told from a thousands separator in general.
    """
    if value is None or isinstance(value, bool):
        return None if value is None else BadCell(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        return number if math.isfinite(number) else BadCell(value)
    text = str(value).translate(_ODD_SPACES).strip()
    if text.lower() in MISSING_MARKERS:
        return None
    text = _clean_number_text(text)
    if not _PLAIN_NUMBER.match(text):
        return BadCell(value)
    number = float(text)
    return number if math.isfinite(number) else BadCell(value)  # "1E310" overflows: not a usable number


def parse_bool(value: object) -> bool | BadCell:
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
    return BadCell(value)


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


def quote(value: object) -> str:
    """A cell's value for a message: text in quotes, anything longer than 60 characters cut short."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class NumberRule:
    """What one numeric column must hold, for messages and range checks.

    Outside ``minimum``-``maximum`` a value is an error; above ``plausible`` it is possible but
    so unusual that it is reported as a warning naming the value (``why`` says what is usual),
    so a slip such as 1E30 residents never passes silently into plausible-looking figures.
    """

    what: str
    minimum: float | None = 0.0
    maximum: float | None = None
    whole: bool = False
    plausible: float | None = None
    why: str = ""

    def expected(self) -> str:
        """What the column must hold, in words: 'a whole number (a number of people) of at least 0'."""
        bounds = []
        if self.minimum is not None and self.maximum is not None:
            bounds.append(f"between {self.minimum:,.10g} and {self.maximum:,.10g}")
        elif self.minimum is not None:
            bounds.append(f"of at least {self.minimum:,.10g}")
        elif self.maximum is not None:
            bounds.append(f"of at most {self.maximum:,.10g}")
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} ({self.what}) {' '.join(bounds)}".strip()


# People in one small area: an LSOA has 1,000 to 3,000 residents and an MSOA about 8,000;
# no local authority has 10 million.
COUNT = NumberRule("a count of people", 0.0, 10_000_000.0, plausible=50_000.0,
                   why="a small area has a few thousand residents")


def _rule_for(column: str, rules: Mapping[str, NumberRule]) -> NumberRule | None:
    if column in rules:
        return rules[column]
    return COUNT if SINGLE_AGE.match(column) else None


def parse_numbers(table: Table, rules: Mapping[str, NumberRule],
                  issues: IssueList) -> pd.DataFrame:
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
            issues.add("error", table.file, row_number(row), header,
                       f"expected {rule.expected()}, found {quote(cell)}{hint}",
                       check="not_a_number", row_label=table.row_label)
        known = np.isfinite(values)  # an empty cell is "not known", never a wrong number
        with np.errstate(invalid="ignore"):
            too_low = known & (values < rule.minimum) if rule.minimum is not None else np.zeros(len(values), bool)
            too_high = known & (values > rule.maximum) if rule.maximum is not None else np.zeros(len(values), bool)
            not_whole = known & (values != np.round(values)) if rule.whole else np.zeros(len(values), bool)
            unusual = (known & ~too_high & (values > rule.plausible) if rule.plausible is not None
                       else np.zeros(len(values), bool))
        for position in np.flatnonzero(unusual):
            issues.add("warning", table.file, row_number(out.index[int(position)]), header,
                       f"{values[position]:,.10g} is more than {rule.plausible:,.0f}, unusually large for "
                       f"{rule.what} ({rule.why}): check the figure", check="implausible", row_label=table.row_label)
        for position in np.flatnonzero(too_low | too_high | not_whole):
            check = "not_whole" if not (too_low[position] or too_high[position]) else "out_of_range"
            issues.add("error", table.file, row_number(out.index[int(position)]), header,
                       f"expected {rule.expected()}, found {values[position]:,.10g}",
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


def check_codes(table: Table, issues: IssueList, *, what: str) -> pd.Series:
    """The table's code column, normalised; blank codes and duplicates are listed."""
    codes = normalise_codes(table.frame["code"])
    header = table.header("code")
    for row in codes.index[codes.isna()]:
        issues.add("error", table.file, row_number(row), header, f"expected {what}, found a blank cell",
                   check="blank_code", row_label=table.row_label)
    present = codes.dropna()
    present = present[present.duplicated(keep=False)]
    for code, rows in present.groupby(present).groups.items():
        if len(rows) > 1:
            listed = ", ".join(str(row_number(r)) for r in rows)
            issues.add("error", table.file, row_number(rows[1]), header,
                       f"code {code} appears more than once ({table.row_label}s {listed}); "
                       "expected each code once", check="duplicate_code", row_label=table.row_label)
    return codes


def blank(value: object) -> bool:
    """Return whether a cell is empty: None, NaN or only spaces."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return str(value).strip() == ""


def row_number(label: Any) -> int:
    """A row label (an index value pandas types loosely) as the int it always is here."""
    return int(label)


def value_at(frame: pd.DataFrame, label: Any, column: str) -> float:
    """The number in one cell of a checked table (its column already holds floats)."""
    value: Any = frame.at[label, column]
    return float(value)
