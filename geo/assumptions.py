"""The one table of planning assumptions (costs, caseloads, outcome rates), checked and versioned.

Every rate and cost the investment and outcome figures use lives in ``data/assumptions.csv``
with a plain-English label, a unit, a plausible range, a source and a date, so a
commissioner can see where a number came from and change it. Assumptions are immutable:
an edit returns a new :class:`Assumptions` with a new :attr:`Assumptions.version`, the
label a saved plan records so its figures can be traced back.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import DataFileError, PlannerInputError

DEFAULT_ASSUMPTIONS_PATH = Path(__file__).resolve().parents[1] / "data" / "assumptions.csv"

COLUMNS = ("key", "label", "value", "unit", "low", "high", "source", "date")

# Each unit's allowed values (inclusive; None = unbounded) and whether it must be whole.
UNIT_BOUNDS: dict[str, tuple[float, float | None, bool]] = {
    "GBP per year": (0.0, None, False),
    "GBP": (0.0, None, False),
    "fraction": (0.0, 1.0, False),
    "fraction per year": (0.0, 1.0, False),
    "people": (0.0, None, False),
    "staff": (0.0, None, False),
    "months": (0.0, 60.0, False),
    "years": (1.0, 30.0, True),
    "minutes": (0.0, None, False),
}

# The keys the investment and outcome modules read, with the unit each must be in.
REQUIRED_UNITS: dict[str, str] = {
    "salary_employment_specialist_gbp": "GBP per year",
    "salary_ips_manager_gbp": "GBP per year",
    "salary_links_worker_gbp": "GBP per year",
    "salary_hub_worker_gbp": "GBP per year",
    "on_costs_fraction": "fraction",
    "hub_workers_per_hub": "staff",
    "hub_running_cost_gbp": "GBP per year",
    "hub_set_up_cost_gbp": "GBP",
    "outreach_point_cost_gbp": "GBP per year",
    "hub_people_per_worker": "people",
    "links_workers_per_hub": "staff",
    "links_caseload": "people",
    "ips_caseload": "people",
    "ips_caseload_cap": "people",
    "rate_job_start_ips": "fraction per year",
    "rate_job_start_traditional": "fraction per year",
    "rate_mainstream_links": "fraction per year",
    "rate_mainstream_hub": "fraction per year",
    "rate_mainstream_traditional": "fraction per year",
    "rate_social_contact_hub": "fraction per year",
    "rate_social_contact_links": "fraction per year",
    "rate_social_contact_traditional": "fraction per year",
    "rate_volunteering_hub": "fraction per year",
    "rate_volunteering_links": "fraction per year",
    "rate_volunteering_traditional": "fraction per year",
    "dp_uptake_first_year": "fraction",
    "dp_uptake_final_year": "fraction",
    "dp_average_award_gbp": "GBP per year",
    "transition_months": "months",
    "reshape_keep_fraction": "fraction",
    "contract_years": "years",
}

_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_DATE_PATTERN = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass(frozen=True)
class Assumption:
    """One row of the table: a named value in a unit, with its range, source and date.

    ``low`` and ``high`` bound the plausible range used for sensitivity figures (None
    where no range applies); ``date`` is when the figure applies or was set (YYYY,
    YYYY-MM or YYYY-MM-DD).
    """

    key: str
    label: str
    value: float
    unit: str
    low: float | None
    high: float | None
    source: str
    date: str


@dataclass(frozen=True)
class Assumptions(Mapping[str, float]):
    """The checked assumptions table, read like a mapping from key to value.

    ``assumptions["ips_caseload_cap"]`` gives the number; :meth:`row` gives the whole row.
    Build one with :func:`assumptions_from_csv`, :func:`assumptions_from_frame` or
    :func:`assumptions_from_records`; change it with :meth:`with_values`.
    """

    rows: tuple[Assumption, ...]
    _by_key: Mapping[str, Assumption] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {row.key: row for row in self.rows})

    def __getitem__(self, key: str) -> float:
        return self.row(key).value

    def __iter__(self) -> Iterator[str]:
        return (row.key for row in self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value for ``key``, or ``default`` when there is no such row."""
        row = self._by_key.get(key)
        return default if row is None else row.value

    def row(self, key: str) -> Assumption:
        """Return the full row for ``key``, naming the known keys when it is missing."""
        try:
            return self._by_key[key]
        except KeyError:
            raise PlannerInputError(
                f"assumptions: no row with key {key!r}; known keys are {', '.join(self._by_key)}"
            ) from None

    def low(self, key: str) -> float:
        """The low end of ``key``'s range, or its value when the row gives no range."""
        row = self.row(key)
        return row.value if row.low is None else row.low

    def high(self, key: str) -> float:
        """The high end of ``key``'s range, or its value when the row gives no range."""
        row = self.row(key)
        return row.value if row.high is None else row.high

    @property
    def version(self) -> str:
        """A stable label for the numbers in force, for a plan to record.

        It is a hash of every key with its unit, value and range, so two tables that
        give the same results share a label, while any change of a number gives a new
        one. Wording of labels and sources does not change it.
        """
        lines = sorted(
            f"{row.key}|{row.unit}|{row.value!r}|{row.low!r}|{row.high!r}" for row in self.rows
        )
        digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
        return f"assumptions-{digest[:12]}"

    def with_values(self, edits: Mapping[str, float]) -> Assumptions:
        """Return a new table with some values changed; this one is left as it was.

        Each new value is checked against its unit (a fraction between 0 and 1, money
        at least 0, whole years). A value outside the row's plausible range widens the
        range to include it, so the range always brackets the value in use.
        """
        unknown = [key for key in edits if key not in self._by_key]
        if unknown:
            raise PlannerInputError(
                f"assumptions edit: no row with key {unknown[0]!r}; "
                f"known keys are {', '.join(self._by_key)}"
            )
        rows = []
        for row in self.rows:
            if row.key not in edits:
                rows.append(row)
                continue
            where = f"assumptions edit, key {row.key!r}, value"
            value = _number(edits[row.key], where, PlannerInputError)
            _check_in_unit(value, row.unit, where, PlannerInputError)
            low = None if row.low is None else min(row.low, value)
            high = None if row.high is None else max(row.high, value)
            rows.append(replace(row, value=value, low=low, high=high))
        return Assumptions(tuple(rows))

    def to_frame(self) -> pd.DataFrame:
        """Return the table as a DataFrame with the file's columns (one row per key)."""
        return pd.DataFrame(self.to_records(), columns=list(COLUMNS))

    def to_records(self) -> list[dict[str, Any]]:
        """Return the table as JSON-ready rows (for a browser-side store or a saved plan)."""
        return [
            {
                "key": row.key, "label": row.label, "value": row.value, "unit": row.unit,
                "low": row.low, "high": row.high, "source": row.source, "date": row.date,
            }
            for row in self.rows
        ]


def assumptions_from_csv(path: Path | str = DEFAULT_ASSUMPTIONS_PATH) -> Assumptions:
    """Read and check the assumptions table from a CSV file.

    Problems raise :class:`~geo.errors.DataFileError` naming the file, the line, the
    column, what was expected and what was found.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: file not found (expected the assumptions table)")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = tuple(reader.fieldnames or ())
            records = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataFileError(f"{path}: cannot read as a UTF-8 CSV file: {error}") from error
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise DataFileError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}"
        )
    # Line 1 is the header, so record i sits on line i + 2.
    return _parse(records, lambda i: f"{path}, line {i + 2}", DataFileError)


def assumptions_from_frame(frame: pd.DataFrame) -> Assumptions:
    """Check a DataFrame with the table's columns (as edited in the app) and build the table."""
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise PlannerInputError(
            f"assumptions table: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, frame.columns)) or 'none'}"
        )
    records = frame[list(COLUMNS)].to_dict(orient="records")
    return _parse(records, lambda i: f"assumptions table, row {i + 1}", PlannerInputError)


def assumptions_from_records(records: Iterable[Mapping[str, Any]]) -> Assumptions:
    """Rebuild the table from :meth:`Assumptions.to_records` output (e.g. a browser store)."""
    rows = list(records)
    for i, record in enumerate(rows):
        missing = [column for column in COLUMNS if column not in record]
        if missing:
            raise PlannerInputError(
                f"assumptions record {i + 1}: missing field(s) {', '.join(missing)}"
            )
    return _parse(rows, lambda i: f"assumptions record {i + 1}", PlannerInputError)


def _parse(
    records: Sequence[Mapping[Any, Any]],
    where_row: Callable[[int], str],
    error: type[PlannerInputError],
) -> Assumptions:
    rows: list[Assumption] = []
    seen: dict[str, str] = {}
    for i, record in enumerate(records):
        where = where_row(i)
        key = _text(record["key"], f"{where}, column key", error)
        if not _KEY_PATTERN.fullmatch(key):
            raise error(
                f"{where}, column key: expected lower-case letters, digits and underscores "
                f"starting with a letter, found {key!r}"
            )
        if key in seen:
            raise error(f"{where}, column key: {key!r} already appears at {seen[key]}")
        seen[key] = where
        where = f"{where} (key {key!r})"
        unit = _text(record["unit"], f"{where}, column unit", error)
        if unit not in UNIT_BOUNDS:
            raise error(
                f"{where}, column unit: expected one of {', '.join(UNIT_BOUNDS)}, found {unit!r}"
            )
        expected_unit = REQUIRED_UNITS.get(key)
        if expected_unit is not None and unit != expected_unit:
            raise error(f"{where}, column unit: expected {expected_unit!r}, found {unit!r}")
        value = _number(record["value"], f"{where}, column value", error)
        _check_in_unit(value, unit, f"{where}, column value", error)
        low = _optional_number(record["low"], f"{where}, column low", error)
        high = _optional_number(record["high"], f"{where}, column high", error)
        if (low is None) != (high is None):
            raise error(f"{where}, columns low and high: expected both or neither, found one")
        if low is not None and high is not None:
            _check_in_unit(low, unit, f"{where}, column low", error)
            _check_in_unit(high, unit, f"{where}, column high", error)
            if not low <= value <= high:
                raise error(
                    f"{where}, columns low/value/high: expected low <= value <= high, "
                    f"found {low:g} / {value:g} / {high:g}"
                )
        rows.append(
            Assumption(
                key=key,
                label=_text(record["label"], f"{where}, column label", error),
                value=value,
                unit=unit,
                low=low,
                high=high,
                source=_text(record["source"], f"{where}, column source", error),
                date=_date(record["date"], f"{where}, column date", error),
            )
        )
    missing = [key for key in REQUIRED_UNITS if key not in seen]
    if missing:
        raise error(f"assumptions table: missing row(s) for key(s) {', '.join(missing)}")
    return Assumptions(tuple(rows))


def _text(raw: object, where: str, error: type[PlannerInputError]) -> str:
    text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
    if not text:
        raise error(f"{where}: expected text, found an empty cell")
    return text


def _number(raw: object, where: str, error: type[PlannerInputError]) -> float:
    if isinstance(raw, bool):
        raise error(f"{where}: expected a number, found {raw!r}")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise error(f"{where}: expected a number, found {raw!r}") from None
    if not math.isfinite(value):
        raise error(f"{where}: expected a finite number, found {raw!r}")
    return value


def _optional_number(raw: object, where: str, error: type[PlannerInputError]) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, float) and math.isnan(raw):
        return None
    return _number(raw, where, error)


def _check_in_unit(value: float, unit: str, where: str, error: type[PlannerInputError]) -> None:
    lowest, highest, whole = UNIT_BOUNDS[unit]
    if value < lowest or (highest is not None and value > highest):
        span = f"at least {lowest:g}" if highest is None else f"between {lowest:g} and {highest:g}"
        raise error(f"{where}: expected {span} ({unit}), found {value:g}")
    if whole and value != int(value):
        raise error(f"{where}: expected a whole number of {unit}, found {value:g}")


def _date(raw: object, where: str, error: type[PlannerInputError]) -> str:
    text = _text(raw, where, error)
    match = _DATE_PATTERN.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(part) if part else 1 for part in match.groups())
        date(year, month, day)
    except ValueError:
        raise error(
            f"{where}: expected a date as YYYY, YYYY-MM or YYYY-MM-DD, found {text!r}"
        ) from None
    return text
