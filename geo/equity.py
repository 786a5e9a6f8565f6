"""Fairness of spend: where each pound lands against where the need is.

Each service's (or hub's) budget is counted against the areas it serves: spread over its
catchment in proportion to need, with nearer areas counting more (the same distance decay
as the access score: full weight within 20 minutes, 0.68 to 40, 0.22 to 60, none beyond).
A locality-wide service (one that serves the whole county, like a vocational service) is
spread by each area's share of the county's need. From that: spend per head of need per
area against the fair share (the county's spend shared by need), the Gini coefficient and
Lorenz curve of spend per head of need, the concentration index by deprivation, the
biggest town's share, and the same figures per district and per contract lot.

Sign of the concentration index: areas are ranked from the most deprived to the least,
so a negative index means spend is concentrated where deprivation is highest and a
positive one means it favours the better-off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.access import DEFAULT_DECAY, DistanceDecay
from geo.errors import PlannerInputError
from geo.traveltime import Router

RURAL = "Rural"


def attribute_spend(minutes_by_site: np.ndarray, budget_gbp: np.ndarray, need: np.ndarray, *,
                    locality_wide: np.ndarray | None = None,
                    decay: DistanceDecay = DEFAULT_DECAY) -> np.ndarray:
    """Share each site's budget among areas: areas x sites of pounds (columns sum to budgets).

    A site whose catchment holds no need (nobody within reach) is counted against the
    area(s) quickest to reach it, so no money disappears from the totals.
    """
    minutes = np.asarray(minutes_by_site, dtype=np.float64)
    budget = np.asarray(budget_gbp, dtype=np.float64)
    need = np.asarray(need, dtype=np.float64)
    wide = (np.zeros(budget.size, dtype=bool) if locality_wide is None
            else np.asarray(locality_wide, dtype=bool))
    if minutes.shape != (need.size, budget.size) or wide.size != budget.size:
        raise PlannerInputError(
            f"minutes_by_site: expected {need.size} areas x {budget.size} sites, found shape {minutes.shape}"
        )
    pull = decay.weight(minutes) * need[:, None]
    pull[:, wide] = need[:, None]
    reached = pull.sum(axis=0)
    for site in np.flatnonzero(reached <= 0):
        column = np.where(np.isnan(minutes[:, site]), np.inf, minutes[:, site])
        if np.isfinite(column).any():
            pull[:, site] = (column == column.min()).astype(np.float64)
        else:
            pull[:, site] = need  # unreachable from everywhere: fall back to need share
        reached[site] = pull[:, site].sum()
    return pull * np.divide(budget, reached, out=np.zeros_like(budget), where=reached > 0)


def lorenz_curve(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of weight (x) and of ``values * weights`` (y), from (0, 0), lowest value first."""
    order = np.argsort(values, kind="stable")
    return _cumulative_shares(weights[order], (values * weights)[order])


def gini_coefficient(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Gini coefficient of ``values`` (e.g. spend per head of need), each counted ``weights`` times.

    0 is perfect equality; 1 is everything in one place. Uses the trapezoid area under the
    Lorenz curve, exact for grouped data.
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
    x, y = lorenz_curve(values, weights)
    return _one_minus_twice_area(x, y)


def concentration_index(values: np.ndarray, deprivation: np.ndarray,
                        weights: np.ndarray | None = None) -> float:
    """Concentration index of ``values`` by ``deprivation`` (higher = more deprived).

    Areas are ranked from the most deprived; negative means ``values`` are concentrated
    in the more deprived areas. Areas with equal deprivation share a rank (they are pooled).
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
    x, y = concentration_curve(values, deprivation, weights)
    return _one_minus_twice_area(x, y)


def concentration_curve(values: np.ndarray, deprivation: np.ndarray,
                        weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of weight and of ``values * weights``, most deprived first, ties pooled."""
    levels, group = np.unique(-np.asarray(deprivation, dtype=np.float64), return_inverse=True)
    pooled_weight = np.bincount(group, weights=weights, minlength=levels.size)
    pooled_total = np.bincount(group, weights=values * weights, minlength=levels.size)
    return _cumulative_shares(pooled_weight, pooled_total)


def _cumulative_shares(weights: np.ndarray, amounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total_weight, total_amount = weights.sum(), amounts.sum()
    if total_weight <= 0 or total_amount <= 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    x = np.r_[0.0, np.cumsum(weights) / total_weight]
    y = np.r_[0.0, np.cumsum(amounts) / total_amount]
    return x, y


def _one_minus_twice_area(x: np.ndarray, y: np.ndarray) -> float:
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


@dataclass(frozen=True, eq=False)
class SpendEquity:
    """How a set of services' or hubs' spend falls across areas, districts and lots.

    ``per_area``: ``area``, ``district``, ``lot``, ``town``, ``population``, ``need``,
    ``imd_score``, ``spend_gbp``, ``fair_share_gbp``, ``spend_per_need_gbp`` and
    ``ratio_to_fair_share`` (1 = exactly its share of need). ``by_district`` and
    ``by_lot`` have the same totals per group plus ``share_of_spend`` and
    ``share_of_need``. ``lorenz`` and ``concentration`` are curve points (``need_share``,
    ``spend_share``). ``biggest_town_share_of_sites`` counts the budgets of sites located
    in the biggest town; ``biggest_town_share_of_spend`` the spend attributed to its areas.
    ``gini`` and ``concentration_index`` are NaN when there is no spend to share (a blank
    plan): nothing spent is not the same as spend shared equally.
    """

    per_area: pd.DataFrame
    by_district: pd.DataFrame
    by_lot: pd.DataFrame
    lorenz: pd.DataFrame
    concentration: pd.DataFrame
    gini: float
    concentration_index: float
    total_gbp: float
    biggest_town: str
    biggest_town_share_of_sites: float
    biggest_town_share_of_spend: float
    biggest_town_share_of_need: float


def spend_equity(areas: pd.DataFrame, minutes_by_site: np.ndarray, budget_gbp: np.ndarray, *,
                 locality_wide: np.ndarray | None = None, site_towns: Sequence[str] | None = None,
                 biggest_town: str | None = None,
                 decay: DistanceDecay = DEFAULT_DECAY) -> SpendEquity:
    """Attribute the sites' budgets to areas and measure how fairly they fall against need.

    ``areas`` needs ``code``, ``district``, ``lot``, ``town``, ``pop_total``,
    ``need_weight`` and ``imd_score``; ``minutes_by_site`` is areas x sites in that order.
    ``biggest_town`` defaults to the non-rural town with the most residents.
    """
    required = ("code", "district", "lot", "town", "pop_total", "need_weight", "imd_score")
    missing = [c for c in required if c not in areas.columns]
    if missing:
        raise PlannerInputError(f"areas: missing column(s) {', '.join(missing)}")
    need = areas["need_weight"].to_numpy(dtype=np.float64)
    budget = np.asarray(budget_gbp, dtype=np.float64)
    if (budget < 0).any() or not np.isfinite(budget).all():
        row = int(((budget < 0) | ~np.isfinite(budget)).argmax())
        raise PlannerInputError(f"budget_gbp, site {row + 1}: expected pounds of 0 or more, found {budget[row]}")
    spend = attribute_spend(minutes_by_site, budget, need, locality_wide=locality_wide,
                            decay=decay).sum(axis=1)
    total = float(budget.sum())
    fair = total * need / need.sum() if need.sum() > 0 else np.zeros_like(need)
    imd = areas["imd_score"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_need = np.where(need > 0, spend / need, np.nan)
        ratio = np.where(fair > 0, spend / fair, np.nan)
    per_area = pd.DataFrame({
        "area": areas["code"].astype(str).to_numpy(),
        "district": areas["district"].to_numpy(),
        "lot": areas["lot"].to_numpy(),
        "town": areas["town"].to_numpy(),
        "population": areas["pop_total"].to_numpy(dtype=np.float64),
        "need": need,
        "imd_score": imd,
        "spend_gbp": spend,
        "fair_share_gbp": fair,
        "spend_per_need_gbp": per_need,
        "ratio_to_fair_share": ratio,
    })
    counted = need > 0
    lorenz_x, lorenz_y = lorenz_curve(per_need[counted], need[counted])
    conc_x, conc_y = concentration_curve(per_need[counted], imd[counted], need[counted])

    town = biggest_town if biggest_town is not None else _biggest_town(per_area)
    in_town = per_area["town"].to_numpy() == town
    site_share = float("nan")
    if site_towns is not None:
        located = np.asarray([str(t) for t in site_towns]) == town
        site_share = float(budget[located].sum() / total) if total > 0 else float("nan")
    return SpendEquity(
        per_area=per_area,
        by_district=_by_group(per_area, "district"),
        by_lot=_by_group(per_area, "lot"),
        lorenz=pd.DataFrame({"need_share": lorenz_x, "spend_share": lorenz_y}),
        concentration=pd.DataFrame({"need_share": conc_x, "spend_share": conc_y}),
        gini=_one_minus_twice_area(lorenz_x, lorenz_y) if total > 0 else math.nan,
        concentration_index=_one_minus_twice_area(conc_x, conc_y) if total > 0 else math.nan,
        total_gbp=total,
        biggest_town=town,
        biggest_town_share_of_sites=site_share,
        biggest_town_share_of_spend=float(spend[in_town].sum() / total) if total > 0 else float("nan"),
        biggest_town_share_of_need=float(need[in_town].sum() / need.sum()) if need.sum() > 0 else float("nan"),
    )


def _biggest_town(per_area: pd.DataFrame) -> str:
    towns = per_area.loc[per_area["town"] != RURAL].groupby("town")["population"].sum()
    if towns.empty:
        raise PlannerInputError("areas, column town: expected at least one town other than 'Rural'")
    return str(towns.idxmax())


def _by_group(per_area: pd.DataFrame, column: str) -> pd.DataFrame:
    table = per_area.groupby(column, sort=True)[["population", "need", "spend_gbp", "fair_share_gbp"]].sum()
    table["share_of_spend"] = table["spend_gbp"] / table["spend_gbp"].sum()
    table["share_of_need"] = table["need"] / table["need"].sum()
    table["spend_per_need_gbp"] = table["spend_gbp"] / table["need"]
    table["ratio_to_fair_share"] = table["spend_gbp"] / table["fair_share_gbp"]
    return table.reset_index()


def service_spend_equity(router: Router, areas: pd.DataFrame, services: pd.DataFrame, *,
                         biggest_town: str | None = None,
                         decay: DistanceDecay = DEFAULT_DECAY) -> SpendEquity:
    """Spend equity of existing services (point geometries, ``budget_gbp``, ``locality_wide``, ``town``)."""
    if "budget_gbp" not in services.columns:
        raise PlannerInputError("services: missing column budget_gbp")
    xy = np.column_stack([services.geometry.x.to_numpy(), services.geometry.y.to_numpy()])
    ids = services["service_id"].astype(str).tolist() if "service_id" in services.columns else [
        str(i) for i in range(len(services))]
    matrix = router.matrix(xy, ids)
    wide = services["locality_wide"].to_numpy(dtype=bool) if "locality_wide" in services.columns else None
    towns = services["town"].astype(str).tolist() if "town" in services.columns else None
    return spend_equity(areas, matrix.minutes, services["budget_gbp"].to_numpy(dtype=np.float64),
                        locality_wide=wide, site_towns=towns, biggest_town=biggest_town, decay=decay)
