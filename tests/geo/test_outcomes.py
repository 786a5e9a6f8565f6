"""Tests for expected outcomes, cost per outcome, reach of groups and direct-payments uptake."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from geo.assumptions import Assumptions, assumptions_from_csv
from geo.errors import PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.investment import InvestmentPlan, PlannedHub, ips_cost_gbp
from geo.outcomes import (
    OUTCOMES,
    SUPPORT_LINES,
    client_group_shares,
    direct_payments_outlook,
    expected_job_starts,
    expected_outcomes,
    group_reach,
    group_shares_from_areas,
    ips_people_supported,
    outcome_totals,
)


@pytest.fixture(scope="module")
def assumptions() -> Assumptions:
    """The project's table with round rates and costs, so figures can be checked by hand."""
    return assumptions_from_csv().with_values({
        "ips_caseload": 20, "ips_caseload_cap": 20, "rate_job_start_ips": 0.4,
        "rate_job_start_traditional": 0.2, "rate_mainstream_links": 0.5,
        "rate_social_contact_hub": 0.7, "rate_volunteering_hub": 0.1,
        "rate_social_contact_traditional": 0.4, "hub_workers_per_hub": 4,
        "hub_people_per_worker": 15, "links_workers_per_hub": 2, "links_caseload": 30,
        "salary_employment_specialist_gbp": 30_000, "salary_ips_manager_gbp": 40_000,
        "on_costs_fraction": 0.2, "reshape_keep_fraction": 0.5, "dp_average_award_gbp": 2_000,
        "dp_uptake_first_year": 0.02, "dp_uptake_final_year": 0.10, "contract_years": 5,
    })


@pytest.fixture(scope="module")
def services() -> pd.DataFrame:
    """A GBP 100k day centre (40 people) and a GBP 100k work project (half employment, 20 people)."""
    return pd.DataFrame({
        "service_id": ["S1", "S2"],
        "budget_gbp": [100_000.0, 100_000.0],
        "budget_day_activity_gbp": [100_000.0, 50_000.0],
        "budget_employment_gbp": [0.0, 50_000.0],
        "budget_mainstream_gbp": [0.0, 0.0],
        "clients": [40, 20],
        "clients_female": [20, 5],
        "clients_18_24": [2, 1],
        "clients_bme": [1, 2],
    })


@pytest.mark.parametrize("specialists", [1, 5, 10, 12])
def test_people_supported_is_specialists_times_caseload(assumptions, specialists) -> None:
    assert ips_people_supported(specialists, assumptions) == specialists * 20
    assert expected_job_starts(specialists, assumptions) == pytest.approx(specialists * 20 * 0.4)


def test_adding_specialists_raises_job_starts(assumptions) -> None:
    starts = [expected_job_starts(n, assumptions) for n in range(0, 16)]
    assert all(later > earlier for earlier, later in itertools.pairwise(starts))


def test_caseload_above_the_fidelity_cap_adds_no_job_starts(assumptions) -> None:
    at_cap = expected_job_starts(10, assumptions)
    for caseload in (25, 30, 60):
        over = assumptions.with_values({"ips_caseload": caseload})
        assert expected_job_starts(10, over) == pytest.approx(at_cap)
    under = assumptions.with_values({"ips_caseload": 15})
    assert expected_job_starts(10, under) == pytest.approx(10 * 15 * 0.4)
    lower_cap = assumptions.with_values({"ips_caseload_cap": 12})
    assert ips_people_supported(10, lower_cap) == 120


def test_referrals_limit_people_supported(assumptions) -> None:
    assert ips_people_supported(10, assumptions, referrals_per_year=150) == 150
    assert ips_people_supported(10, assumptions, referrals_per_year=500) == 200
    assert expected_job_starts(20, assumptions, referrals_per_year=150) == pytest.approx(60)


def test_outcomes_per_line_by_hand(services, assumptions) -> None:
    plan = InvestmentPlan(
        {"S1": "decommission", "S2": "reshape"},
        hubs=(PlannedHub("H1", "A"), PlannedHub("H2", "B", capacity_places=25, links_workers=1)),
        ips_specialists=10,
        direct_payments_gbp=8_000,
    )
    table = expected_outcomes(services, plan, assumptions).set_index("line")
    assert list(table.index) == list(SUPPORT_LINES)
    people = table["people_supported"]
    assert people["hub"] == 4 * 15 + 25
    assert people["community_links"] == (2 + 1) * 30
    assert people["ips"] == 200
    assert people["existing_vocational"] == pytest.approx(20 * 0.5 * 0.5)
    assert people["existing_day"] == pytest.approx(20 * 0.5 * 0.5)
    assert people["direct_payments"] == pytest.approx(4)
    assert table.loc["ips", "job_starts"] == pytest.approx(80)
    assert table.loc["existing_vocational", "job_starts"] == pytest.approx(5 * 0.2)
    assert table.loc["community_links", "mainstream_participation"] == pytest.approx(90 * 0.5)
    assert table.loc["hub", "social_contact"] == pytest.approx(85 * 0.7)
    assert table.loc["hub", "volunteering"] == pytest.approx(85 * 0.1)
    assert table.loc["ips", "social_contact"] == 0
    ips_cost = ips_cost_gbp(10, 1, assumptions)
    assert table.loc["ips", "cost_gbp"] == pytest.approx(ips_cost)
    assert table.loc["ips", "gbp_per_main_outcome"] == pytest.approx(ips_cost / 80)
    assert table.loc["existing_vocational", "cost_gbp"] == pytest.approx(25_000)
    assert table.loc["ips", "gbp_per_person"] == pytest.approx(ips_cost / 200)
    assert math.isnan(table.loc["direct_payments", "gbp_per_main_outcome"])

    totals = outcome_totals(table.reset_index()).set_index("outcome")
    assert list(totals.index) == list(OUTCOMES)
    assert totals.loc["job_starts", "count"] == pytest.approx(81)
    assert totals.loc["job_starts", "gbp_per_outcome"] == pytest.approx((ips_cost + 25_000) / 81)


def test_decommissioned_services_stop_producing_outcomes(services, assumptions) -> None:
    kept = expected_outcomes(services, InvestmentPlan(ips_specialists=0), assumptions)
    closed = expected_outcomes(
        services, InvestmentPlan({"S1": "decommission", "S2": "decommission"}, ips_specialists=0),
        assumptions,
    )
    assert kept.set_index("line").loc["existing_day", "people_supported"] == pytest.approx(50)
    assert closed[list(OUTCOMES)].to_numpy().sum() == 0
    assert closed["people_supported"].sum() == 0


def test_low_and_high_rates_bracket_the_central_figures(services) -> None:
    table = assumptions_from_csv()
    plan = InvestmentPlan(hubs=(PlannedHub("H1", "A"),))
    low, central, high = (
        expected_outcomes(services, plan, table, rates=r)[list(OUTCOMES)].to_numpy()
        for r in ("low", "central", "high")
    )
    assert (low <= central).all() and (central <= high).all()
    assert (low < central).any() and (central < high).any()
    hub_contact = OUTCOMES.index("social_contact")
    people = table["hub_workers_per_hub"] * table["hub_people_per_worker"]
    assert low[0, hub_contact] == pytest.approx(people * table.low("rate_social_contact_hub"))
    with pytest.raises(PlannerInputError, match="rates"):
        expected_outcomes(services, plan, table, rates="best")  # type: ignore[arg-type]


def test_more_specialists_in_a_plan_raise_job_starts_until_referrals_run_out(
    services, assumptions
) -> None:
    def starts(n: int) -> float:
        table = expected_outcomes(services, InvestmentPlan(ips_specialists=n), assumptions,
                                  ips_referrals_per_year=150)
        return float(table.set_index("line").loc["ips", "job_starts"])

    assert starts(4) < starts(7) < starts(8) == starts(9) == pytest.approx(60)


def test_group_reach_by_hand() -> None:
    reach = group_reach(
        need=[100.0, 100.0],
        reached=[1.0, 0.0],
        group_shares={"women": [0.6, 0.4], "bme": [0.1, 0.3]},
    ).set_index("group")
    assert reach.loc["women", "share_of_need"] == pytest.approx(0.5)
    assert reach.loc["women", "share_of_reached"] == pytest.approx(0.6)
    assert reach.loc["women", "reach_ratio"] == pytest.approx(1.2)
    assert reach.loc["women", "coverage"] == pytest.approx(0.6)
    assert reach.loc["bme", "reach_ratio"] == pytest.approx(0.1 / 0.2)
    assert reach.loc["bme", "label"] == "Black and minority ethnic people"


def test_group_reach_when_nothing_is_reached_is_nan_not_an_error() -> None:
    reach = group_reach([1.0, 2.0], [0.0, 0.0], {"women": [0.5, 0.5]})
    assert math.isnan(reach["share_of_reached"].iloc[0])
    assert reach["coverage"].iloc[0] == 0


@pytest.mark.parametrize(
    ("need", "reached", "shares", "message"),
    [
        ([1.0, 2.0], [1.0], {"women": [0.5, 0.5]}, "reached: expected 2 values"),
        ([1.0, 2.0], [1.0, 1.5], {"women": [0.5, 0.5]}, r"reached, area 2: expected a number between 0 and 1"),
        ([1.0, -2.0], [1.0, 1.0], {"women": [0.5, 0.5]}, "need, area 2"),
        ([0.0, 0.0], [1.0, 1.0], {"women": [0.5, 0.5]}, "weights adding up to more than 0"),
        ([1.0, 2.0], [1.0, 1.0], {"women": [0.5, np.nan]}, r"group_shares\['women'\], area 2"),
        ([1.0, 2.0], [1.0, 1.0], {"women": ["a", "b"]}, "numbers, one per area"),
    ],
)
def test_group_reach_refuses_bad_input(need, reached, shares, message) -> None:
    with pytest.raises(PlannerInputError, match=message):
        group_reach(need, reached, shares)


def test_group_shares_from_areas_and_clients(services) -> None:
    areas = pd.DataFrame({"pop_female": [50, 0], "pop_total": [100, 0], "pop_18_24": [10, 0],
                          "pop_adult": [80, 0], "bme_share": [0.2, 0.0]})
    shares = group_shares_from_areas(areas)
    assert shares["women"].tolist() == [0.5, 0.0]
    assert shares["age_18_24"].tolist() == [0.125, 0.0]
    assert shares["bme"].tolist() == [0.2, 0.0]
    clients = client_group_shares(services).set_index("group")["share_of_clients"]
    assert clients["women"] == pytest.approx(25 / 60)
    assert clients["bme"] == pytest.approx(3 / 60)
    with pytest.raises(PlannerInputError, match="bme_share"):
        group_shares_from_areas(areas.drop(columns="bme_share"))


def test_direct_payments_outlook_by_hand(assumptions) -> None:
    outlook = direct_payments_outlook(1_000_000, assumptions).set_index("contract_year")
    assert list(outlook.index) == [1, 2, 3, 4, 5]
    assert outlook["uptake_share"].tolist() == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.10])
    assert outlook.loc[1, "direct_payments_gbp"] == pytest.approx(20_000)
    assert outlook.loc[5, "block_contract_gbp"] == pytest.approx(900_000)
    assert outlook.loc[5, "people_on_direct_payments"] == pytest.approx(100_000 / 2_000)
    total = outlook["direct_payments_gbp"] + outlook["block_contract_gbp"]
    assert np.allclose(total, 1_000_000)
    assert (outlook["uptake_share_low"] <= outlook["uptake_share"]).all()
    assert (outlook["uptake_share"] <= outlook["uptake_share_high"]).all()
    assert (outlook["block_contract_gbp_low"] <= outlook["block_contract_gbp"]).all()
    assert (outlook["block_contract_gbp"] <= outlook["block_contract_gbp_high"]).all()
    assert outlook.loc[5, "block_contract_gbp_low"] == pytest.approx(
        1_000_000 * (1 - assumptions.high("dp_uptake_final_year"))
    )


def test_direct_payments_outlook_follows_edits(assumptions) -> None:
    one_year = assumptions.with_values({"contract_years": 1})
    assert direct_payments_outlook(500_000, one_year)["uptake_share"].tolist() == [0.10]
    faster = assumptions.with_values({"dp_uptake_final_year": 0.2})
    assert direct_payments_outlook(100, faster)["uptake_share"].iloc[-1] == pytest.approx(0.2)
    with pytest.raises(PlannerInputError, match="block_contract_gbp"):
        direct_payments_outlook(-1.0, assumptions)


def test_demo_services_under_reach_young_and_bme_people() -> None:
    demo = load_locality()
    shares = group_shares_from_areas(demo.areas)
    need = demo.areas["need_weight"].to_numpy()
    of_need = group_reach(need, np.ones_like(need), shares).set_index("group")["share_of_need"]
    of_clients = client_group_shares(demo.services).set_index("group")["share_of_clients"]
    assert of_clients["bme"] < of_need["bme"]
    assert of_clients["age_18_24"] < of_need["age_18_24"]
    table = expected_outcomes(demo.services, InvestmentPlan(ips_specialists=0, ips_managers=0),
                              assumptions_from_csv())
    assert table["people_supported"].sum() == pytest.approx(demo.services["clients"].sum())


def test_a_group_with_unknown_figures_is_left_out_not_guessed() -> None:
    """An upload with no figures by sex or ethnicity: reach is worked out for the groups that are known."""
    areas = load_locality().areas.copy()
    areas["pop_female"] = np.nan
    areas.loc[3, "bme_share"] = np.nan
    shares = group_shares_from_areas(areas)
    assert list(shares) == ["age_18_24"]
    reach = group_reach(areas["need_weight"], np.ones(len(areas)), shares)
    assert reach["group"].tolist() == ["age_18_24"] and reach["coverage"].iloc[0] == pytest.approx(1.0)
