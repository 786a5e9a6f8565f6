"""Tests for the assumptions table: reading, checking, immutable edits and the version label."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from geo.assumptions import (
    COLUMNS,
    DEFAULT_ASSUMPTIONS_PATH,
    REQUIRED_UNITS,
    Assumptions,
    assumptions_from_csv,
    assumptions_from_frame,
    assumptions_from_records,
)
from geo.errors import DataFileError, PlannerInputError


@pytest.fixture(scope="module")
def table() -> Assumptions:
    return assumptions_from_csv()


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(records)
    return path


def test_project_table_has_every_required_row_with_source_and_date(table: Assumptions) -> None:
    assert set(REQUIRED_UNITS) <= set(table)
    for key in table:
        row = table.row(key)
        assert row.label and row.source and row.date, key
        assert row.unit == REQUIRED_UNITS.get(key, row.unit)
        if row.low is not None and row.high is not None:
            assert row.low <= row.value <= row.high, key


def test_project_table_holds_the_papers_and_trial_figures(table: Assumptions) -> None:
    assert table["ips_caseload_cap"] == 20
    assert table["ips_caseload"] == 20
    assert table["transition_months"] == 6
    # IPS beats traditional vocational rehabilitation, as the trials report.
    assert table["rate_job_start_ips"] > table["rate_job_start_traditional"]
    assert "Burns" in table.row("rate_job_start_ips").source
    assert "Fidelity" in table.row("ips_caseload_cap").source
    made_up = [key for key in table if "fictional demo" in table.row(key).source]
    assert "hub_running_cost_gbp" in made_up


def test_with_values_returns_a_new_table_and_leaves_the_old_one(table: Assumptions) -> None:
    edited = table.with_values({"ips_caseload": 18, "on_costs_fraction": 0.28})
    assert edited["ips_caseload"] == 18
    assert edited["on_costs_fraction"] == 0.28
    assert table["ips_caseload"] == 20
    assert edited.version != table.version
    assert edited.with_values({"ips_caseload": 20, "on_costs_fraction": 0.30}).version == (
        table.version
    )


def test_edit_outside_the_range_widens_the_range(table: Assumptions) -> None:
    edited = table.with_values({"dp_uptake_final_year": 0.35})
    row = edited.row("dp_uptake_final_year")
    assert row.value == 0.35
    assert row.high == 0.35
    assert row.low == table.row("dp_uptake_final_year").low


def test_tables_are_frozen(table: Assumptions) -> None:
    with pytest.raises(AttributeError):
        table.rows = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"no_such_key": 1.0}, "no row with key 'no_such_key'"),
        ({"on_costs_fraction": 1.5}, "between 0 and 1"),
        ({"hub_running_cost_gbp": -10.0}, "at least 0"),
        ({"contract_years": 4.5}, "whole number"),
        ({"ips_caseload": "many"}, "expected a number"),
        ({"ips_caseload": float("nan")}, "finite"),
    ],
)
def test_bad_edits_are_refused_naming_the_key(
    table: Assumptions, edits: dict[str, object], message: str
) -> None:
    with pytest.raises(PlannerInputError, match=message):
        table.with_values(edits)  # type: ignore[arg-type]


def test_version_ignores_wording_but_not_numbers(table: Assumptions) -> None:
    frame = table.to_frame()
    reworded = frame.assign(label=frame["label"] + " (reworded)")
    assert assumptions_from_frame(reworded).version == table.version
    renumbered = frame.copy()
    renumbered.loc[renumbered["key"] == "hub_set_up_cost_gbp", "high"] = 130000
    assert assumptions_from_frame(renumbered).version != table.version


def test_round_trips_keep_the_version(table: Assumptions, tmp_path: Path) -> None:
    assert assumptions_from_records(table.to_records()) == table
    assert assumptions_from_frame(table.to_frame()).version == table.version
    written = _write(tmp_path / "a.csv", table.to_records())
    assert assumptions_from_csv(written).version == table.version
    assert table.version.startswith("assumptions-")


def test_missing_file_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        assumptions_from_csv(tmp_path / "nope.csv")


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    pd.read_csv(DEFAULT_ASSUMPTIONS_PATH).drop(columns="source").to_csv(path, index=False)
    with pytest.raises(DataFileError, match=r"missing column.*source"):
        assumptions_from_csv(path)


def _break(records: list[dict[str, object]], key: str, changes: dict[str, object]) -> None:
    for record in records:
        if record["key"] == key:
            record.update(changes)
            return
    raise AssertionError(key)


@pytest.mark.parametrize(
    ("key", "changes", "message"),
    [
        ("ips_caseload_cap", {"value": "twenty"}, r"column value: expected a number, found 'twenty'"),
        ("on_costs_fraction", {"value": 1.3, "high": 1.4}, r"column value: expected between 0 and 1"),
        ("hub_running_cost_gbp", {"low": 90000}, r"low <= value <= high"),
        ("hub_running_cost_gbp", {"high": ""}, r"both or neither"),
        ("links_caseload", {"unit": "persons"}, r"column unit: expected one of"),
        ("links_caseload", {"unit": "staff"}, r"column unit: expected 'people', found 'staff'"),
        ("contract_years", {"value": 2.5}, r"whole number of years"),
        ("transition_months", {"date": "June 2009"}, r"column date: expected a date"),
        ("transition_months", {"date": "2009-13"}, r"column date: expected a date"),
        ("rate_job_start_ips", {"source": ""}, r"column source: expected text"),
        ("rate_job_start_ips", {"key": "Rate Job"}, r"column key: expected lower-case"),
    ],
)
def test_bad_rows_are_refused_naming_line_and_column(
    table: Assumptions, tmp_path: Path, key: str, changes: dict[str, object], message: str
) -> None:
    records = table.to_records()
    _break(records, key, changes)
    line = [r["key"] for r in table.to_records()].index(key) + 2
    path = _write(tmp_path / "a.csv", records)
    with pytest.raises(DataFileError, match=rf"line {line}\b.*{message}"):
        assumptions_from_csv(path)


def test_duplicate_and_missing_keys_are_refused(table: Assumptions, tmp_path: Path) -> None:
    records = table.to_records()
    keys = [r["key"] for r in records]
    duplicate = records[keys.index("ips_caseload")]
    with pytest.raises(DataFileError,
                       match=rf"line {len(records) + 2}, column key: 'ips_caseload' already appears"
                             rf" at .*line {keys.index('ips_caseload') + 2}$"):
        assumptions_from_csv(_write(tmp_path / "dup.csv", [*records, duplicate]))
    without = [r for r in records if r["key"] != "contract_years"]
    with pytest.raises(DataFileError, match=r"missing row.*contract_years"):
        assumptions_from_csv(_write(tmp_path / "missing.csv", without))


def test_extra_rows_in_known_units_are_kept(table: Assumptions) -> None:
    extra = {
        "key": "access_threshold_minutes", "label": "Travel time counted as good access",
        "value": 45, "unit": "minutes", "low": 30, "high": 60, "source": "demo", "date": "2026",
    }
    bigger = assumptions_from_records([*table.to_records(), extra])
    assert bigger["access_threshold_minutes"] == 45
    assert "access_threshold_minutes" in bigger and "access_threshold_minutes" not in table
    assert bigger.get("nothing", 7) == 7


def test_records_missing_a_field_are_refused(table: Assumptions) -> None:
    records = table.to_records()
    del records[0]["unit"]
    with pytest.raises(PlannerInputError, match=r"record 1: missing field.*unit"):
        assumptions_from_records(records)


def test_unknown_key_lookup_names_the_known_keys(table: Assumptions) -> None:
    with pytest.raises(PlannerInputError, match=r"no row with key 'salary'.*ips_caseload"):
        table["salary"]
