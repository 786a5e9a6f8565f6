"""The areas layer in the demo's schema, built from checked boundaries and indicators: adults, need, centroids, lots."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.ingest.cells import BRITISH_NATIONAL_GRID, blank
from geo.ingest.columns import AGE_BANDS
from geo.ingest.report import Issue, IssueList, choice, short_list
from geo.locality import AREA_COLUMNS
from geo.snapping import area_origins

LOTS = ("West", "Central", "East")


# Need per adult = SMI % + CMD % / CMD_NEED_DIVISOR: a person with a severe mental illness
# counts ten times a person with a common mental disorder, since day services mostly serve
# the former (the same formula as the demo, data/generate_demo.py ``add_need``).
CMD_NEED_DIVISOR = 10.0


# A population-weighted centroid this far outside its own area is probably misplaced.
PWC_OUTSIDE_TOLERANCE_M = 1_000.0


def no_centroid_message(without: int, total: int) -> str:
    """The warning for areas given without a population-weighted centroid, with what it costs."""
    return (f"no population-weighted centroid for {without:,} of {total:,} area(s): their journeys are measured "
            "from the middle of each area's polygon instead of from where its people live, which in rural areas "
            "can add several minutes to every journey. Add the ONS population-weighted centroids for these areas "
            "(a table of the area code with X and Y, such as 'LSOA (Dec 2011) Population Weighted Centroids') "
            "to measure from where people live")


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
                            f"{short_list(list(areas.index[blank]), 30)}", "blank_value"))
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
    for indicator, values in _indicators_and_need(column, out["pop_adult"], warn).items():
        out[indicator] = values
    geometry = gpd.GeoSeries(areas.geometry.to_numpy(), index=areas.index, crs=boundaries.crs)
    pwc_x, pwc_y = column("pwc_x"), column("pwc_y")
    without = pwc_x.isna() | pwc_y.isna()
    if without.any():  # left empty: the field holds only what its name says
        pwc_x, pwc_y = pwc_x.where(~without), pwc_y.where(~without)
        issues.append(Issue("warning", file, None, None, no_centroid_message(int(without.sum()), len(areas)),
                            "no_centroid"))
    out["pwc_x"], out["pwc_y"] = pwc_x.round(1), pwc_y.round(1)
    out["area_km2"] = (geometry.area / 1e6).round(3)
    out["lot"] = _lots(data, out, geometry, warn)
    result = gpd.GeoDataFrame(out[list(AREA_COLUMNS)].reset_index(drop=True),
                              geometry=geometry.reset_index(drop=True), crs=BRITISH_NATIONAL_GRID)
    return result, issues


def _indicators_and_need(column: Any, adults: pd.Series, warn: Any) -> pd.DataFrame:
    """Ethnicity, deprivation and prevalence as given (empty where not, each reported) and the need they give."""
    out = pd.DataFrame({name: column(name) for name in
                        ("bme_share", "imd_score", "imd_decile", "smi_prevalence_pct", "cmd_prevalence_pct")})
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
                 f"{short_list(list(out.index[out[name].isna()]), 10)}", "blank_value", name)
    if smi is None and cmd is None:
        warn("no prevalence of severe mental illness or common mental disorders given: left "
             "empty, and every area's need index is 100, so need follows the adult population")
    need = need_from_prevalence(adults.fillna(0.0), smi, cmd)
    out["need_index"] = need["need_index"]
    out["need_weight"] = need["need_weight"]
    return out


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
            f"give {choice('adult_share')} to estimate adults from the total",
            "missing_column"))
        return None, under_18
    if adults.isna().any():
        issues.append(Issue("error", file, None, "pop_adult",
                            f"{int(adults.isna().sum()):,} area(s) have no adult count: "
                            f"{short_list(list(adults.index[adults.isna()]), 30)}", "blank_value"))
        return None, under_18
    return adults, under_18.fillna(pop_total - adults)


def _text(areas: gpd.GeoDataFrame, data: pd.DataFrame, name: str, *,
          default: str | None) -> pd.Series:
    values = pd.Series(default, index=areas.index, dtype=object)
    for source in (areas, data):
        if name in source.columns:
            column = source[name].map(lambda v: None if blank(v) else str(v).strip())
            values = values.where(values.notna(), column)
    return values


def _lots(data: pd.DataFrame, out: pd.DataFrame, geometry: gpd.GeoSeries, warn: Any) -> pd.Series:
    """Contract lots as given, or West/Central/East thirds of the population by easting."""
    if "lot" in data.columns:
        given = data["lot"].map(lambda v: str(v).strip().title() if not blank(v) else None)
        if given.notna().all() and given.isin(LOTS).all():
            return given
        warn("the lot column is incomplete or not West/Central/East everywhere: lots were "
             "assigned instead", "default_used", "lot")
    starts = area_origins(gpd.GeoDataFrame(out[["pwc_x", "pwc_y"]], geometry=geometry))
    order = pd.Series(starts[:, 0], index=out.index).sort_values(kind="stable").index
    share = out.loc[order, "pop_total"].fillna(0).cumsum() / max(float(out["pop_total"].sum()), 1.0)
    lots = pd.Series(np.select([share <= 1 / 3, share <= 2 / 3], ["West", "Central"], "East"),
                     index=order)
    if "lot" not in data.columns:
        warn("no contract lot column: lots were assigned West, Central and East by easting, "
             "each with about a third of the residents")
    return lots.reindex(out.index)


def check_areas_table(areas: gpd.GeoDataFrame, *, file: str) -> list[Issue]:
    """Checks on the assembled areas: areas with no people, centroids outside their area."""
    issues = IssueList()
    empty = areas["pop_total"].fillna(0) <= 0
    for code in areas.loc[empty, "code"]:
        issues.add("warning", file, None, None,
                   f"area {code} has no residents (population 0): it stays on the map but "
                   "carries no demand", check="no_people")
    if bool(empty.all()) and len(areas):
        issues.add("error", file, None, None,
                   "no area has any residents: expected a population column with counts above 0",
                   check="no_people_at_all")
    given = areas["pwc_x"].notna() & areas["pwc_y"].notna()
    points = shapely.points(areas.loc[given, "pwc_x"].to_numpy(float), areas.loc[given, "pwc_y"].to_numpy(float))
    distance = shapely.distance(areas.geometry[given].to_numpy(), points)
    for code, metres in zip(areas.loc[given, "code"], distance, strict=True):
        if metres > PWC_OUTSIDE_TOLERANCE_M:
            issues.add("warning", file, None, "pwc_x",
                       f"area {code}: the population-weighted centroid lies {metres / 1000:,.1f} km "
                       "outside the area", check="centroid_outside")
    return issues.done()
