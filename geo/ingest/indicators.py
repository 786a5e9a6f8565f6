"""Indicator tables keyed by area code: population, age, ethnicity, deprivation, prevalence, checked and typed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo.ingest.cells import (
    COUNT,
    GB_EASTING,
    GB_NORTHING,
    NumberRule,
    Table,
    blank,
    check_codes,
    normalise_codes,
    parse_numbers,
    quote,
    row_number,
    value_at,
)
from geo.ingest.columns import AGE_BANDS, BAND_LIMITS, SINGLE_AGE
from geo.ingest.report import Issue, IssueList, choice

# Sums that should agree (men + women = all) may differ by rounding in published tables.
SUM_TOLERANCE_PEOPLE = 5.0


SUM_TOLERANCE_SHARE = 0.02


INDICATOR_RULES: dict[str, NumberRule] = {
    **{c: COUNT for c in ("pop_total", "pop_male", "pop_female", "pop_adult", "pop_bme", *AGE_BANDS)},
    "bme_share": NumberRule("a share from 0 to 1", 0.0, 1.0),
    "bme_pct": NumberRule("a percentage", 0.0, 100.0),
    "imd_score": NumberRule("a deprivation score", 0.0, 100.0),
    "imd_decile": NumberRule("a deprivation decile, 1 = most deprived", 1.0, 10.0, whole=True),
    "smi_prevalence_pct": NumberRule("a percentage of adults", 0.0, 100.0, plausible=5.0,
                                     why="severe mental illness is about 1% of adults, 3% at most"),
    "cmd_prevalence_pct": NumberRule("a percentage of adults", 0.0, 100.0, plausible=50.0,
                                     why="common mental disorders are about 10 to 30% of adults"),
    "pwc_x": NumberRule("a British National Grid easting in metres", *GB_EASTING),
    "pwc_y": NumberRule("a British National Grid northing in metres", *GB_NORTHING),
}


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
    frame = table.frame
    issues = IssueList(total=len(frame))
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
        check_codes(table, issues, what="an area code")
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
                   f"in {choice('aliases')}", check="no_indicators")
    if typed.empty:
        issues.add("error", table.file, None, None, "expected at least one row of data, found none",
                   check="no_rows")
    return typed[keep], issues.done()


def _fold_sex_rows(table: Table, typed: pd.DataFrame, issues: IssueList) -> pd.DataFrame:
    """One row per area from a table with a row per sex (Persons, Males, Females).

    Counts come from the Persons row, or from Males plus Females where it is missing;
    ``pop_male``/``pop_female`` are the Males and Females rows' totals.
    """
    header = table.header("sex")
    sexes: list[Any] = []
    for row, value in typed["sex"].items():
        sex = None if blank(value) else SEX_VALUES.get(str(value).strip().lower())
        if sex is None:
            issues.add("error", table.file, row_number(row), header,
                       f"expected Persons, Males or Females, found {quote(value)}",
                       check="bad_sex", row_label=table.row_label)
        sexes.append(sex)
    typed = typed.assign(sex=sexes, source_row=typed.index.astype(int))
    typed = typed[typed["sex"].notna() & typed["code"].notna()]
    groups: dict[Any, Any] = dict(typed.groupby(["code", "sex"]).groups)
    for (code, sex), rows in groups.items():
        if len(rows) > 1:
            listed = ", ".join(str(row_number(r)) for r in rows)
            issues.add("error", table.file, row_number(rows[1]), table.header("code"),
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


def _single_years_to_bands(table: Table, typed: pd.DataFrame, issues: IssueList) -> pd.DataFrame:
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


def _ethnicity_to_share(table: Table, typed: pd.DataFrame, issues: IssueList) -> None:
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
            issues.add("error", table.file, row_number(typed.at[code, "source_row"]), table.header("pop_bme"),
                       f"area {code}: {value_at(typed, code, 'pop_bme'):g} minority ethnic residents is "
                       f"more than the {value_at(typed, code, 'pop_total'):g} residents in all",
                       check="inconsistent_sum", row_label=table.row_label)
        typed["bme_share"] = share.where(~too_big)


def _check_indicator_sums(table: Table, typed: pd.DataFrame, issues: IssueList) -> None:
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
            issues.add("error", table.file, row_number(typed.at[code, "source_row"]), table.header("pop_total"),
                       f"area {code}: {what} add up to {summed[code]:,.0f} but the total population "
                       f"is {total[code]:,.0f}", check="inconsistent_sum", row_label=table.row_label)
    if "pop_adult" in typed.columns:
        over = typed["pop_adult"] > total + SUM_TOLERANCE_PEOPLE
        for code in typed.index[over.fillna(False)]:
            issues.add("error", table.file, row_number(typed.at[code, "source_row"]), table.header("pop_adult"),
                       f"area {code}: {value_at(typed, code, 'pop_adult'):,.0f} adults is more than the "
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
    names = {str(n).strip().upper() for n in area_names if not blank(n)}
    for file, typed in indicator_tables:
        codes = set(typed.index)
        missing = [c for c in area_codes if c not in codes]
        extra = sorted(codes - areas)
        if missing and len(missing) == len(area_codes) and extra and names and set(extra) & names:
            issues.append(Issue(
                "error", file, None, "code",
                f"the code column holds area names (for example {quote(extra[0])}), not codes; "
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
