"""Tests for geo.plan_equity: the ledger's money placed at its sites, and the fast equity against geo.equity."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.assumptions import assumptions_from_csv
from geo.equity import spend_equity
from geo.errors import PlannerInputError
from geo.investment import InvestmentPlan, PlannedHub, investment_ledger
from geo.plan_equity import (
    areas_at_points,
    equity_areas,
    ledger_sites,
    plan_spend_equity,
    spend_by_deprivation_fifth,
)

LOTS = {"North": "West", "South": "East"}


def small_areas() -> gpd.GeoDataFrame:
    """Four 1 km squares in a row: two in Bigton (North), one in Smallham and one rural (South)."""
    return gpd.GeoDataFrame({
        "code": ["A", "B", "C", "D"], "district": ["North", "North", "South", "South"],
        "lot": ["West", "West", "East", "East"], "town": ["Bigton", "Bigton", "Smallham", "Rural"],
        "pop_total": [5000, 4000, 3000, 1000], "need_weight": [4000.0, 3000.0, 2500.0, 500.0],
        "imd_score": [40.0, 30.0, 20.0, 10.0], "imd_decile": [1, 3, 6, 10],
    }, geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)], crs="EPSG:27700")


def small_services() -> pd.DataFrame:
    return pd.DataFrame({
        "service_id": ["S1", "S2"], "name": ["Big centre", "Small drop-in"], "district": ["North", "South"],
        "town": ["Bigton", "Smallham"], "budget_gbp": [600_000.0, 400_000.0],
        "budget_day_activity_gbp": [500_000.0, 400_000.0], "budget_employment_gbp": [100_000.0, 0.0],
        "budget_mainstream_gbp": [0.0, 0.0],
    })


@pytest.fixture(scope="module")
def ledger():  # type: ignore[no-untyped-def]
    plan = InvestmentPlan(service_decisions={"S1": "decommission"},
                          hubs=(PlannedHub(hub_id="H1", district="South", town="Smallham"),),
                          ips_specialists=2, direct_payments_gbp=50_000.0)
    return investment_ledger(small_services(), plan, assumptions_from_csv(), district_lots=LOTS)


MINUTES_SERVICES = np.array([[5.0, 50.0], [10.0, 45.0], [70.0, 5.0], [80.0, 15.0]])
MINUTES_HUBS = np.array([[35.0], [25.0], [5.0], [10.0]])


def test_every_pound_of_the_ledger_lands_on_one_site(ledger) -> None:  # type: ignore[no-untyped-def]
    sites = ledger_sites(ledger, service_ids=["S1", "S2"], hub_ids=["H1"])
    assert sites.site_ids == ("S1", "S2", "H1", "locality-wide")
    assert sites.budget_gbp.sum() == pytest.approx(ledger.plan_gbp)
    assert sites.budget_gbp[0] == 0.0  # decommissioned: a full year after the changeover, nothing is spent
    lines = ledger.lines.set_index("line_id")
    hub_and_links = lines.loc["H1", "plan_gbp"] + lines.loc["H1-links", "plan_gbp"]
    assert sites.budget_gbp[2] == pytest.approx(hub_and_links)
    assert sites.budget_gbp[3] == pytest.approx(lines.loc["ips", "plan_gbp"] + 50_000.0)
    assert list(sites.locality_wide) == [False, False, False, True]
    assert sites.towns == ("Bigton", "Smallham", "Smallham", "Locality-wide")
    today = ledger_sites(ledger, service_ids=["S1", "S2"], hub_ids=["H1"], amount="current_gbp")
    np.testing.assert_allclose(today.budget_gbp, [600_000.0, 400_000.0, 0.0, 0.0])


def test_sites_refuse_a_line_they_were_not_told_about(ledger) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlannerInputError, match="expected a hub among none"):
        ledger_sites(ledger, service_ids=["S1", "S2"], hub_ids=[])
    with pytest.raises(PlannerInputError, match="amount"):
        ledger_sites(ledger, service_ids=["S1", "S2"], hub_ids=["H1"], amount="budget")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["plan_gbp", "current_gbp"])
def test_fast_equity_equals_geo_equity_on_the_same_sites(ledger, amount: str) -> None:  # type: ignore[no-untyped-def]
    areas = small_areas()
    fast = plan_spend_equity(equity_areas(areas), ledger, service_ids=["S1", "S2"], service_minutes=MINUTES_SERVICES,
                             hub_ids=["H1"], hub_minutes=MINUTES_HUBS, amount=amount)  # type: ignore[arg-type]
    sites = ledger_sites(ledger, service_ids=["S1", "S2"], hub_ids=["H1"], amount=amount)  # type: ignore[arg-type]
    minutes = np.column_stack([MINUTES_SERVICES, MINUTES_HUBS, np.zeros(4)])
    reference = spend_equity(areas, minutes, sites.budget_gbp, locality_wide=sites.locality_wide,
                             site_towns=sites.towns)
    for name in ("gini", "concentration_index", "total_gbp", "biggest_town_share_of_sites",
                 "biggest_town_share_of_spend", "biggest_town_share_of_need"):
        assert getattr(fast, name) == pytest.approx(getattr(reference, name)), name
    assert fast.biggest_town == reference.biggest_town == "Bigton"
    for name in ("per_area", "by_district", "by_lot", "lorenz", "concentration"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(reference, name), check_dtype=False)


def test_closing_the_big_town_service_moves_spend_out_of_it(ledger) -> None:  # type: ignore[no-untyped-def]
    areas = equity_areas(small_areas())
    args = {"service_ids": ["S1", "S2"], "service_minutes": MINUTES_SERVICES, "hub_ids": ["H1"],
            "hub_minutes": MINUTES_HUBS}
    today = plan_spend_equity(areas, ledger, amount="current_gbp", **args)
    plan = plan_spend_equity(areas, ledger, **args)
    assert today.biggest_town_share_of_sites == pytest.approx(0.6)
    assert plan.biggest_town_share_of_sites == 0.0
    assert plan.biggest_town_share_of_spend < today.biggest_town_share_of_spend


def test_deprivation_fifths_add_up_and_keep_their_shape(ledger) -> None:  # type: ignore[no-untyped-def]
    areas = equity_areas(small_areas())
    result = plan_spend_equity(areas, ledger, service_ids=["S1", "S2"], service_minutes=MINUTES_SERVICES,
                               hub_ids=["H1"], hub_minutes=MINUTES_HUBS)
    fifths = spend_by_deprivation_fifth(areas, result)
    assert list(fifths["fifth"]) == [1, 2, 3, 4, 5]
    # Deciles 1, 3, 6 and 10 fall in fifths 1, 2, 3 and 5; fifth 4 holds no area.
    np.testing.assert_allclose(fifths["need"], [4000.0, 3000.0, 2500.0, 0.0, 500.0])
    assert fifths["spend_gbp"].sum() == pytest.approx(result.total_gbp)
    assert np.isnan(fifths.loc[3, "spend_per_need_gbp"])
    first = result.per_area.iloc[0]
    assert fifths.loc[0, "spend_per_need_gbp"] == pytest.approx(first["spend_gbp"] / first["need"])


def test_areas_at_points_inside_and_just_outside() -> None:
    areas = small_areas()
    rows = areas_at_points(areas, np.array([[500.0, 500.0], [3500.0, 200.0], [4300.0, 500.0], [1500.0, -800.0]]))
    assert list(rows) == [0, 3, 3, 1]  # the last two lie outside every area: the nearest one


def test_equity_areas_refuses_missing_columns() -> None:
    with pytest.raises(PlannerInputError, match="need_weight"):
        equity_areas(small_areas().drop(columns="need_weight"))
    with pytest.raises(PlannerInputError, match="at least one town"):
        equity_areas(small_areas().assign(town="Rural"))


def test_minutes_of_the_wrong_shape_are_refused(ledger) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlannerInputError, match="4 areas x 2 services"):
        plan_spend_equity(equity_areas(small_areas()), ledger, service_ids=["S1", "S2"],
                          service_minutes=np.zeros((4, 3)), hub_ids=["H1"], hub_minutes=MINUTES_HUBS)
