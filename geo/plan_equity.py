"""Fairness of a plan's spend: the ledger's money placed where it is spent and weighed against need.

:mod:`geo.equity` measures how a set of sites' budgets falls on areas; :mod:`geo.investment`
says how much each line of a plan costs. This module joins them: it sums the ledger per
place the money is spent (each existing service, each hub with its community links
workers, and one locality-wide place for the IPS service and direct payments, which are
shared by need), measures those sites exactly as :func:`geo.equity.spend_equity` does
(reusing its attribution and curves, with the areas' fixed columns read once, so it can
run on every hub move), and adds the view by national deprivation fifth. The same ledger
gives today (``current_gbp``) and the plan (``plan_gbp``), so both are measured alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.access import DEFAULT_DECAY, DistanceDecay
from geo.equity import RURAL, SpendEquity, attribute_spend, concentration_curve, lorenz_curve
from geo.errors import PlannerInputError
from geo.investment import LOCALITY_WIDE, InvestmentLedger

Amount = Literal["plan_gbp", "current_gbp"]

LOCALITY_WIDE_SITE = "locality-wide"
FIFTH_LABELS = {
    1: "Most deprived fifth",
    2: "Second fifth",
    3: "Middle fifth",
    4: "Fourth fifth",
    5: "Least deprived fifth",
}


@dataclass(frozen=True, eq=False)
class SpendSites:
    """A ledger's money summed per place it is spent, in a fixed order.

    Existing services first (in the order asked), then hubs (each with its community
    links workers), then one locality-wide site for the IPS service and direct payments.
    ``towns`` is where each site is (``LOCALITY_WIDE`` for the last).
    """

    site_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    budget_gbp: np.ndarray
    locality_wide: np.ndarray
    towns: tuple[str, ...]


def areas_at_points(areas: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    """Row of the area holding each point (n x 2 metres); a point outside every area gets the nearest.

    A hub dragged just over the county line still belongs to a district, so the ledger
    can put it in a contract lot.
    """
    points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    rows = np.full(len(points), -1, dtype=np.int64)
    if not len(points):
        return rows
    geometries = shapely.points(points)
    point_index, area_index = areas.sindex.query(geometries, predicate="intersects")
    # A point on a shared edge touches two areas: keep the first, as a click would.
    rows[point_index[::-1]] = area_index[::-1]
    outside = np.flatnonzero(rows < 0)
    if outside.size:
        nearest_point, nearest_area = areas.sindex.nearest(geometries[outside], return_all=False)
        rows[outside[nearest_point]] = nearest_area
    return rows


def ledger_sites(ledger: InvestmentLedger, *, service_ids: Sequence[str], hub_ids: Sequence[str],
                 amount: Amount = "plan_gbp") -> SpendSites:
    """Sum the ledger's ``amount`` per place: each service, each hub with its links, the locality-wide lines.

    A hub's community links line (``<hub_id>-links``) counts at the hub, where the
    workers are based. Every pound of the ledger lands on exactly one site.
    """
    if amount not in ("plan_gbp", "current_gbp"):
        raise PlannerInputError(f"amount: expected 'plan_gbp' or 'current_gbp', found {amount!r}")
    services = [str(s) for s in service_ids]
    hubs = [str(h) for h in hub_ids]
    index = {("existing", s): i for i, s in enumerate(services)}
    index.update({("hub", h): len(services) + j for j, h in enumerate(hubs)})
    wide = len(services) + len(hubs)
    budget = np.zeros(wide + 1)
    towns = [""] * wide + [LOCALITY_WIDE]
    lines = ledger.lines
    for line_id, line_type, town, gbp in zip(lines["line_id"].tolist(), lines["line_type"].tolist(),
                                             lines["town"].tolist(), lines[amount].tolist(), strict=True):
        if line_type == "existing":
            key = ("existing", line_id)
        elif line_type == "hub":
            key = ("hub", line_id)
        elif line_type == "community_links":
            key = ("hub", line_id.removesuffix("-links"))
        else:
            budget[wide] += gbp
            continue
        if key not in index:
            raise PlannerInputError(
                f"ledger line {line_id!r}: expected a {key[0]} among "
                f"{', '.join(services if key[0] == 'existing' else hubs) or 'none'}, found none"
            )
        budget[index[key]] += gbp
        towns[index[key]] = str(town)
    kinds = ("existing",) * len(services) + ("hub",) * len(hubs) + ("locality_wide",)
    return SpendSites(
        site_ids=(*services, *hubs, LOCALITY_WIDE_SITE), kinds=kinds, budget_gbp=budget,
        locality_wide=np.array([kind == "locality_wide" for kind in kinds]), towns=tuple(towns),
    )


@dataclass(frozen=True, eq=False)
class EquityAreas:
    """The areas' fixed columns as arrays, read once so a plan can be measured on every hub move.

    Group columns (``district``, ``lot``) are held as integer codes into sorted names,
    so totals per group are one ``np.bincount``; ``fifth`` is the national deprivation
    fifth (1 = deciles 1-2, the most deprived) and 0 where no decile is known.
    """

    columns: dict[str, Any]
    need: np.ndarray
    imd_score: np.ndarray
    population: np.ndarray
    town: np.ndarray
    groups: dict[str, tuple[np.ndarray, Any]]
    fifth: np.ndarray
    biggest_town: str


EQUITY_AREA_COLUMNS = ("code", "district", "lot", "town", "pop_total", "need_weight", "imd_score")


def equity_areas(areas: pd.DataFrame, *, biggest_town: str | None = None) -> EquityAreas:
    """Read the columns :func:`plan_spend_equity` needs from the demo ``areas`` layer (or one like it).

    ``imd_decile`` is optional (without it there is no view by deprivation fifth).
    ``biggest_town`` defaults to the non-rural town with the most residents.
    """
    missing = [c for c in EQUITY_AREA_COLUMNS if c not in areas.columns]
    if missing:
        raise PlannerInputError(f"areas: missing column(s) {', '.join(missing)}")
    town = areas["town"].astype(str).to_numpy(dtype=object)
    population = areas["pop_total"].to_numpy(dtype=np.float64)
    # Text columns become pandas string arrays once, so each result's tables are cheap to build.
    columns: dict[str, Any] = {
        "area": pd.array(areas["code"].astype(str).to_numpy(dtype=object), dtype="str"),
        "district": pd.array(areas["district"].astype(str).to_numpy(dtype=object), dtype="str"),
        "lot": pd.array(areas["lot"].astype(str).to_numpy(dtype=object), dtype="str"),
        "town": pd.array(town, dtype="str"),
        "population": population,
        "need": areas["need_weight"].to_numpy(dtype=np.float64),
        "imd_score": areas["imd_score"].to_numpy(dtype=np.float64),
    }
    groups = {}
    for column in ("district", "lot"):
        names, codes = np.unique(np.asarray(columns[column], dtype=str), return_inverse=True)
        groups[column] = (codes, pd.array(names.astype(object), dtype="str"))
    fifth = np.zeros(len(areas), dtype=np.int64)
    if "imd_decile" in areas.columns:
        deciles = pd.to_numeric(areas["imd_decile"], errors="coerce").to_numpy(dtype=np.float64)
        known = np.isin(deciles, np.arange(1, 11))
        fifth[known] = (deciles[known].astype(np.int64) + 1) // 2
    if biggest_town is None:
        in_towns = town != RURAL
        if not in_towns.any():
            raise PlannerInputError("areas, column town: expected at least one town other than 'Rural'")
        names, codes = np.unique(town[in_towns].astype(str), return_inverse=True)
        biggest_town = str(names[np.bincount(codes, weights=population[in_towns]).argmax()])
    return EquityAreas(columns=columns, need=columns["need"], imd_score=columns["imd_score"],
                       population=population, town=town, groups=groups, fifth=fifth,
                       biggest_town=biggest_town)


def plan_spend_equity(areas: EquityAreas, ledger: InvestmentLedger, *, service_ids: Sequence[str],
                      service_minutes: np.ndarray, hub_ids: Sequence[str], hub_minutes: np.ndarray,
                      amount: Amount = "plan_gbp", decay: DistanceDecay = DEFAULT_DECAY) -> SpendEquity:
    """How fairly a plan's spend (or today's, with ``amount="current_gbp"``) falls against need.

    ``service_minutes`` and ``hub_minutes`` are areas x services and areas x hubs in the
    order of ``service_ids`` and ``hub_ids``. Services decommissioned in the plan carry
    no money and so draw nothing; the locality-wide lines are shared by need.

    Gives the same figures as :func:`geo.equity.spend_equity` on the same sites (a test
    holds them together) in a few milliseconds, because the areas' fixed columns are read
    once (:func:`equity_areas`) and group totals are sums over integer codes, not pandas
    group-bys: fast enough to redo on every hub move.
    """
    sites = ledger_sites(ledger, service_ids=service_ids, hub_ids=hub_ids, amount=amount)
    need = areas.need
    n_areas = need.size
    service_block = np.asarray(service_minutes, dtype=np.float64).reshape(n_areas, -1)
    hub_block = np.asarray(hub_minutes, dtype=np.float64).reshape(n_areas, -1)
    if service_block.shape[1] != len(service_ids) or hub_block.shape[1] != len(hub_ids):
        raise PlannerInputError(
            f"minutes: expected {n_areas} areas x {len(service_ids)} services and x {len(hub_ids)} hubs, "
            f"found {service_block.shape} and {hub_block.shape}"
        )
    minutes = np.column_stack([service_block, hub_block, np.zeros(n_areas)])
    budget = sites.budget_gbp
    spend = attribute_spend(minutes, budget, need, locality_wide=sites.locality_wide, decay=decay).sum(axis=1)
    total = float(budget.sum())
    need_total = float(need.sum())
    fair = total * need / need_total if need_total > 0 else np.zeros_like(need)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_need = np.where(need > 0, spend / need, np.nan)
        ratio = np.where(fair > 0, spend / fair, np.nan)
    per_area = pd.DataFrame({**areas.columns, "spend_gbp": spend, "fair_share_gbp": fair,
                             "spend_per_need_gbp": per_need, "ratio_to_fair_share": ratio}, copy=False)
    counted = need > 0
    lorenz_x, lorenz_y = lorenz_curve(per_need[counted], need[counted])
    conc_x, conc_y = concentration_curve(per_need[counted], areas.imd_score[counted], need[counted])
    in_town = areas.town == areas.biggest_town
    located = np.asarray(sites.towns, dtype=object) == areas.biggest_town
    population = areas.population
    return SpendEquity(
        per_area=per_area,
        by_district=_group_totals("district", areas, population, spend, fair),
        by_lot=_group_totals("lot", areas, population, spend, fair),
        lorenz=pd.DataFrame({"need_share": lorenz_x, "spend_share": lorenz_y}),
        concentration=pd.DataFrame({"need_share": conc_x, "spend_share": conc_y}),
        gini=_gini_from_curve(lorenz_x, lorenz_y) if total > 0 else float("nan"),
        concentration_index=_gini_from_curve(conc_x, conc_y) if total > 0 else float("nan"),
        total_gbp=total,
        biggest_town=areas.biggest_town,
        biggest_town_share_of_sites=float(budget[located].sum() / total) if total > 0 else float("nan"),
        biggest_town_share_of_spend=float(spend[in_town].sum() / total) if total > 0 else float("nan"),
        biggest_town_share_of_need=float(need[in_town].sum() / need_total) if need_total > 0 else float("nan"),
    )


def _gini_from_curve(x: np.ndarray, y: np.ndarray) -> float:
    """One less twice the area under a Lorenz (or concentration) curve, by trapezoids."""
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


def _group_totals(column: str, areas: EquityAreas, population: np.ndarray, spend: np.ndarray,
                  fair: np.ndarray) -> pd.DataFrame:
    codes, names = areas.groups[column]
    size = len(names)
    sums = {name: np.bincount(codes, weights=values, minlength=size)
            for name, values in (("population", population), ("need", areas.need), ("spend_gbp", spend),
                                 ("fair_share_gbp", fair))}
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            column: names, **sums,
            "share_of_spend": sums["spend_gbp"] / sums["spend_gbp"].sum(),
            "share_of_need": sums["need"] / sums["need"].sum(),
            "spend_per_need_gbp": sums["spend_gbp"] / sums["need"],
            "ratio_to_fair_share": sums["spend_gbp"] / sums["fair_share_gbp"],
        })
    return table


def spend_by_deprivation_fifth(areas: EquityAreas, equity: SpendEquity) -> pd.DataFrame:
    """Spend per head of need in each national deprivation fifth (deciles 1-2 are the most deprived).

    ``equity`` is a result for the same ``areas``. Columns: fifth (1-5), label, need,
    spend_gbp, fair_share_gbp, spend_per_need_gbp and ratio_to_fair_share (NaN for a
    fifth with no need). Every fifth has a row, so charts keep their shape; areas without
    a decile are left out.
    """
    per_area = equity.per_area
    if len(per_area) != areas.fifth.size:
        raise PlannerInputError(
            f"equity: expected a result for the same {areas.fifth.size} areas, found {len(per_area)}"
        )
    known = areas.fifth > 0
    fifth = areas.fifth[known] - 1

    def total(column: str) -> np.ndarray:
        return np.bincount(fifth, weights=per_area[column].to_numpy(dtype=np.float64)[known], minlength=5)

    need, spend, fair = total("need"), total("spend_gbp"), total("fair_share_gbp")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_need = np.where(need > 0, spend / need, np.nan)
        ratio = np.where(fair > 0, spend / fair, np.nan)
    return pd.DataFrame({
        "fifth": np.arange(1, 6), "label": [FIFTH_LABELS[f] for f in range(1, 6)], "need": need,
        "spend_gbp": spend, "fair_share_gbp": fair, "spend_per_need_gbp": per_need,
        "ratio_to_fair_share": ratio,
    })
