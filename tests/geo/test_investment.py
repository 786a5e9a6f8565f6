"""Tests for the investment ledger on small hand-checkable plans, and on the demo locality."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.assumptions import Assumptions, assumptions_from_csv
from geo.errors import PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.investment import (
    LEDGER_COLUMNS,
    LOCALITY_WIDE,
    MODELS,
    REQUIRED_SERVICE_COLUMNS,
    InvestmentLedger,
    InvestmentPlan,
    PlannedHub,
    block_contract_gbp,
    district_lots_from_frame,
    hub_running_cost_gbp,
    investment_ledger,
    ips_cost_gbp,
    ledger_by_year,
    links_cost_gbp,
    plan_from_scenario,
    release_fraction,
    spend_by,
    spend_by_district,
    spend_by_lot,
    spend_by_model,
    waterfall,
)
from geo.locality import Locality
from geo.money import PlanMoney
from geo.scenarios import Hub, OutreachPoint, ScenarioContent

LOTS = {"Northdale": "East", "Southdale": "West", "Westdale": "West"}


@pytest.fixture(scope="module")
def assumptions() -> Assumptions:
    """The project's table with round numbers, so every figure below can be checked by hand."""
    return assumptions_from_csv().with_values({
        "salary_employment_specialist_gbp": 30_000,
        "salary_ips_manager_gbp": 40_000,
        "salary_links_worker_gbp": 25_000,
        "salary_hub_worker_gbp": 20_000,
        "on_costs_fraction": 0.2,
        "hub_workers_per_hub": 2,
        "hub_running_cost_gbp": 10_000,
        "hub_set_up_cost_gbp": 5_000,
        "outreach_point_cost_gbp": 1_000,
        "links_workers_per_hub": 1,
        "transition_months": 6,
        "reshape_keep_fraction": 0.6,
        "contract_years": 3,
    })


@pytest.fixture(scope="module")
def services() -> pd.DataFrame:
    """Three services: GBP 100k day centre, GBP 200k mixed service, GBP 50k mainstream project."""
    return pd.DataFrame({
        "service_id": ["S1", "S2", "S3"],
        "name": ["Day centre", "Work project", "Links project"],
        "district": ["Northdale", "Southdale", "Westdale"],
        "town": ["Bigtown", "Bigtown", "Rural"],
        "budget_gbp": [100_000.0, 200_000.0, 50_000.0],
        "budget_day_activity_gbp": [100_000.0, 120_000.0, 0.0],
        "budget_employment_gbp": [0.0, 60_000.0, 0.0],
        "budget_mainstream_gbp": [0.0, 20_000.0, 50_000.0],
        "clients": [40, 50, 20],
    })


def _ledger(services: pd.DataFrame, plan: InvestmentPlan, assumptions: Assumptions,
            contract_year: int | None = None) -> InvestmentLedger:
    return investment_ledger(services, plan, assumptions, district_lots=LOTS,
                             contract_year=contract_year)


NOTHING_NEW = InvestmentPlan(ips_specialists=0, ips_managers=0)


def test_keeping_everything_releases_nothing(services, assumptions) -> None:
    ledger = _ledger(services, NOTHING_NEW, assumptions, contract_year=1)
    assert ledger.current_gbp == 350_000
    assert ledger.plan_gbp == 350_000
    assert ledger.released_gbp == 0
    assert ledger.headroom_gbp == 0


@pytest.mark.parametrize(
    ("contract_year", "expected_release"),
    [(1, 100_000 - 100_000 * 6 / 12), (2, 100_000), (3, 100_000), (None, 100_000)],
)
def test_decommissioning_releases_the_budget_less_double_running(
    services, assumptions, contract_year, expected_release
) -> None:
    plan = InvestmentPlan({"S1": "decommission"}, ips_specialists=0, ips_managers=0)
    ledger = _ledger(services, plan, assumptions, contract_year=contract_year)
    assert ledger.released_gbp == pytest.approx(expected_release)
    s1 = ledger.lines[ledger.lines["line_id"] == "S1"]
    assert s1["plan_gbp"].sum() == pytest.approx(100_000 - expected_release)
    assert ledger.plan_gbp == pytest.approx(350_000 - expected_release)


@pytest.mark.parametrize(
    ("months", "year", "share"),
    [(0, 1, 1.0), (3, 1, 0.75), (6, 1, 0.5), (12, 1, 0.0), (18, 1, 0.0), (18, 2, 0.5),
     (18, 3, 1.0), (6, None, 1.0)],
)
def test_release_fraction_follows_the_documented_formula(months, year, share) -> None:
    assert release_fraction(year, months) == pytest.approx(share)


def test_longer_transition_releases_less_in_year_one(services, assumptions) -> None:
    plan = InvestmentPlan({"S1": "decommission"}, ips_specialists=0, ips_managers=0)
    slow = assumptions.with_values({"transition_months": 9})
    assert _ledger(services, plan, slow, 1).released_gbp == pytest.approx(25_000)
    assert _ledger(services, plan, slow, 2).released_gbp == pytest.approx(100_000)


def test_reshaping_keeps_the_documented_share_and_mix(services, assumptions) -> None:
    plan = InvestmentPlan({"S2": "reshape"}, ips_specialists=0, ips_managers=0)
    ledger = _ledger(services, plan, assumptions)
    s2 = ledger.lines[ledger.lines["line_id"] == "S2"].set_index("model")
    assert s2["released_gbp"].sum() == pytest.approx(200_000 * 0.4)
    assert s2.loc["day_activity", "plan_gbp"] == pytest.approx(120_000 * 0.6)
    assert s2.loc["employment", "plan_gbp"] == pytest.approx(60_000 * 0.6)
    assert s2.loc["mainstream", "plan_gbp"] == pytest.approx(20_000 * 0.6)
    year_one = _ledger(services, plan, assumptions, 1)
    assert year_one.released_gbp == pytest.approx(200_000 * 0.4 * 0.5)


def test_new_lines_are_costed_from_staffing(services, assumptions) -> None:
    hub = PlannedHub("H1", "Northdale", outreach_points=2)
    assert hub_running_cost_gbp(hub, assumptions) == pytest.approx(2 * 20_000 * 1.2 + 10_000 + 2_000)
    assert links_cost_gbp(1, assumptions) == pytest.approx(25_000 * 1.2)
    assert ips_cost_gbp(10, 1, assumptions) == pytest.approx(40_000 * 1.2 + 10 * 30_000 * 1.2)
    bigger = PlannedHub("H2", "Northdale", hub_workers=3, links_workers=2)
    assert hub_running_cost_gbp(bigger, assumptions) == pytest.approx(3 * 24_000 + 10_000)

    plan = InvestmentPlan(hubs=(hub, bigger), ips_specialists=10, direct_payments_gbp=7_000)
    by_type = spend_by(_ledger(services, plan, assumptions, 1), "line_type").set_index("line_type")
    assert by_type.loc["hub", "plan_gbp"] == pytest.approx(60_000 + 82_000 + 2 * 5_000)
    assert by_type.loc["community_links", "plan_gbp"] == pytest.approx(3 * 30_000)
    assert by_type.loc["ips", "plan_gbp"] == pytest.approx(408_000)
    assert by_type.loc["direct_payments", "plan_gbp"] == pytest.approx(7_000)
    later = spend_by(_ledger(services, plan, assumptions, 2), "line_type").set_index("line_type")
    assert later.loc["hub", "plan_gbp"] == pytest.approx(60_000 + 82_000)


def test_existing_site_pays_no_set_up(services, assumptions) -> None:
    plan = InvestmentPlan(hubs=(PlannedHub("H1", "Southdale", new_site=False),),
                          ips_specialists=0, ips_managers=0)
    ledger = _ledger(services, plan, assumptions, 1)
    assert ledger.lines["set_up_gbp"].sum() == 0


@pytest.fixture(scope="module")
def redesign() -> InvestmentPlan:
    return InvestmentPlan(
        {"S1": "decommission", "S2": "reshape", "S3": "keep"},
        hubs=(PlannedHub("H1", "Northdale", outreach_points=1),
              PlannedHub("H2", "Westdale", town="Smalltown")),
        ips_specialists=4,
        direct_payments_gbp=10_000,
    )


@pytest.mark.parametrize("contract_year", [1, 2, None])
def test_the_ledger_adds_up_every_way(services, assumptions, redesign, contract_year) -> None:
    ledger = _ledger(services, redesign, assumptions, contract_year)
    assert ledger.plan_gbp == pytest.approx(
        ledger.current_gbp - ledger.released_gbp + ledger.reinvested_gbp
    )
    steps = waterfall(ledger)
    assert list(steps["measure"]) == ["absolute", *["relative"] * 5, "total"]
    assert steps["amount_gbp"].iloc[:-1].sum() == pytest.approx(ledger.plan_gbp)
    assert steps["amount_gbp"].iloc[-1] == pytest.approx(ledger.plan_gbp)
    assert steps["running_total_gbp"].iloc[-2] == pytest.approx(ledger.plan_gbp)
    assert steps.set_index("step").loc["released", "amount_gbp"] == pytest.approx(
        -ledger.released_gbp
    )
    for table in (spend_by_model(ledger), spend_by_district(ledger), spend_by_lot(ledger),
                  spend_by(ledger, "town")):
        assert table["current_gbp"].sum() == pytest.approx(ledger.current_gbp)
        assert table["plan_gbp"].sum() == pytest.approx(ledger.plan_gbp)
        assert table["plan_share"].sum() == pytest.approx(1.0)
        assert (table["change_gbp"] == table["plan_gbp"] - table["current_gbp"]).all()


def test_split_by_model_today_and_in_the_plan(services, assumptions, redesign) -> None:
    models = spend_by_model(_ledger(services, redesign, assumptions)).set_index("model")
    assert list(models.index) == list(MODELS)
    assert models.loc["day_activity", "current_gbp"] == 220_000
    assert models.loc["employment", "current_share"] == pytest.approx(60_000 / 350_000)
    assert models.loc["direct_payments", "current_gbp"] == 0
    assert models.loc["direct_payments", "plan_gbp"] == 10_000
    ips = 40_000 * 1.2 + 4 * 36_000
    assert models.loc["employment", "plan_gbp"] == pytest.approx(60_000 * 0.6 + ips)


def test_lots_and_user_groupings(services, assumptions, redesign) -> None:
    ledger = _ledger(services, redesign, assumptions)
    lots = spend_by_lot(ledger).set_index("lot")
    assert set(lots.index) == {"East", "West", LOCALITY_WIDE}
    assert lots.loc["West", "current_gbp"] == 250_000
    regrouped = spend_by_lot(ledger, district_lots={"Northdale": "North", "Southdale": "South",
                                                     "Westdale": "South"}).set_index("lot")
    assert regrouped.loc["North", "current_gbp"] == 100_000
    assert regrouped.loc["South", "current_gbp"] == 250_000
    with pytest.raises(PlannerInputError, match="district 'Westdale' has no contract lot"):
        spend_by_lot(ledger, district_lots={"Northdale": "A", "Southdale": "B"})


def test_locality_wide_money_can_be_shared_by_need(services, assumptions, redesign) -> None:
    ledger = _ledger(services, redesign, assumptions)
    plain = spend_by_district(ledger).set_index("district")
    wide = plain.loc[LOCALITY_WIDE, "plan_gbp"]
    shared = spend_by_district(
        ledger, locality_wide_weights={"Northdale": 3, "Southdale": 1, "Westdale": 0}
    ).set_index("district")
    assert LOCALITY_WIDE not in shared.index
    assert shared["plan_gbp"].sum() == pytest.approx(ledger.plan_gbp)
    assert shared.loc["Northdale", "plan_gbp"] == pytest.approx(
        plain.loc["Northdale", "plan_gbp"] + 0.75 * wide
    )
    assert shared.loc["Westdale", "plan_gbp"] == pytest.approx(plain.loc["Westdale", "plan_gbp"])


def test_years_show_double_running_and_set_up(services, assumptions, redesign) -> None:
    years = ledger_by_year(services, redesign, assumptions, district_lots=LOTS)
    assert list(years["contract_year"]) == [1, 2, 3]
    assert years["set_up_gbp"].tolist() == [10_000, 0, 0]
    double_running = 100_000 * 0.5 + 200_000 * 0.4 * 0.5
    assert years["plan_gbp"].iloc[0] - years["plan_gbp"].iloc[1] == pytest.approx(
        double_running + 10_000
    )
    assert (years["headroom_gbp"] == years["current_gbp"] - years["plan_gbp"]).all()


def test_block_contract_excludes_ips_and_direct_payments(services, assumptions, redesign) -> None:
    ledger = _ledger(services, redesign, assumptions)
    lines = ledger.lines
    expected = ledger.plan_gbp - lines.loc[lines["line_type"].isin(["ips", "direct_payments"]),
                                           "plan_gbp"].sum()
    assert block_contract_gbp(ledger) == pytest.approx(expected)


def test_ledger_records_the_assumptions_it_used(services, assumptions, redesign) -> None:
    ledger = _ledger(services, redesign, assumptions)
    assert ledger.assumptions_version == assumptions.version
    dearer = assumptions.with_values({"on_costs_fraction": 0.3})
    dearer_ledger = _ledger(services, redesign, dearer)
    assert dearer_ledger.assumptions_version != ledger.assumptions_version
    assert dearer_ledger.plan_gbp > ledger.plan_gbp


def test_plan_from_a_saved_scenario(services, assumptions) -> None:
    content = ScenarioContent(
        dataset_version="demo-1",
        assumptions_version=assumptions.version,
        hubs=(Hub("H1", "North hub", 450_000, 250_000,
                  outreach_points=(OutreachPoint("Library", 451_000, 251_000),
                                   OutreachPoint("Surgery", 452_000, 252_000))),
              Hub("H2", "South hub", 455_000, 240_000, capacity_places=40)),
        service_decisions={"S1": "decommission"},
        money=PlanMoney(direct_payments_gbp=12_000, ips_specialists_fte=5, links_workers_per_hub_fte=1.5),
    )
    plan = plan_from_scenario(content, hub_districts={"H1": "Northdale", "H2": "Southdale"})
    assert plan.ips_specialists == 5 and [hub.links_workers for hub in plan.hubs] == [1.5, 1.5]
    assert [hub.outreach_points for hub in plan.hubs] == [2, 0]
    assert plan.hubs[1].capacity_places == 40
    assert plan.direct_payments_gbp == 12_000
    assert plan.service_decisions["S1"] == "decommission"
    assert _ledger(services, plan, assumptions).released_gbp == 100_000
    with pytest.raises(PlannerInputError, match=r"hub_districts\['H2'\]"):
        plan_from_scenario(content, hub_districts={"H1": "Northdale"})


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: InvestmentPlan({"S1": "close"}), "'keep' or 'reshape' or 'decommission'"),
        (lambda: InvestmentPlan(ips_specialists=-1), "ips_specialists: expected a number of at least 0"),
        (lambda: InvestmentPlan(direct_payments_gbp=math.inf), "direct_payments_gbp: expected a finite"),
        (lambda: InvestmentPlan(hubs=(PlannedHub("H", "A"), PlannedHub("H", "B"))),
         "an id not used by another hub"),
        (lambda: PlannedHub("H", "A", outreach_points=-2), "outreach_points"),
        (lambda: PlannedHub("H", ""), "district"),
        (lambda: PlannedHub("H", "A", links_workers=-1.0), "links_workers"),
    ],
)
def test_bad_plans_are_refused(build, message) -> None:
    with pytest.raises(PlannerInputError, match=message):
        build()


def test_bad_ledger_requests_are_refused(services, assumptions) -> None:
    with pytest.raises(PlannerInputError, match="found 'S9'"):
        _ledger(services, InvestmentPlan({"S9": "keep"}), assumptions)
    with pytest.raises(PlannerInputError, match="hub 'H1': district 'Eastdale' has no contract lot"):
        _ledger(services, InvestmentPlan(hubs=(PlannedHub("H1", "Eastdale"),)), assumptions)
    with pytest.raises(PlannerInputError, match="contract_year: expected a whole number from 1 to 3"):
        _ledger(services, NOTHING_NEW, assumptions, contract_year=4)
    broken = services.assign(budget_employment_gbp=[0.0, 70_000.0, 0.0])
    with pytest.raises(PlannerInputError, match=r"row 2 \(service S2\), column budget_gbp"):
        _ledger(broken, NOTHING_NEW, assumptions)
    negative = services.assign(budget_mainstream_gbp=[0.0, 20_000.0, -5.0])
    with pytest.raises(PlannerInputError, match=r"row 3.*budget_mainstream_gbp"):
        _ledger(negative, NOTHING_NEW, assumptions)
    with pytest.raises(PlannerInputError, match=r"missing column.*town"):
        _ledger(services.drop(columns="town"), NOTHING_NEW, assumptions)
    with pytest.raises(PlannerInputError, match="each id once"):
        _ledger(pd.concat([services, services.iloc[:1]]), NOTHING_NEW, assumptions)


def test_no_services_and_no_plan_gives_an_empty_ledger_of_the_same_shape(assumptions) -> None:
    empty = pd.DataFrame({column: [] for column in REQUIRED_SERVICE_COLUMNS})
    ledger = _ledger(empty, NOTHING_NEW, assumptions, contract_year=np.int64(2))
    assert ledger.lines.empty
    assert list(ledger.lines.columns) == list(LEDGER_COLUMNS)
    assert ledger.plan_gbp == 0
    models = spend_by_model(ledger)
    assert list(models["model"]) == list(MODELS)
    assert models["plan_share"].isna().all()
    assert waterfall(ledger)["amount_gbp"].abs().sum() == 0


def test_district_lots_from_a_table() -> None:
    table = pd.DataFrame({"district": ["A", "B", "A"], "lot": ["East", "West", "East"]})
    assert district_lots_from_frame(table) == {"A": "East", "B": "West"}
    with pytest.raises(PlannerInputError, match="district 'A'"):
        district_lots_from_frame(table.assign(lot=["East", "West", "West"]))


@pytest.fixture(scope="module")
def demo() -> Locality:
    return load_locality()


def test_demo_today_reproduces_the_papers_figures(demo) -> None:
    lots = district_lots_from_frame(demo.districts)
    ledger = investment_ledger(demo.services, NOTHING_NEW, assumptions_from_csv(),
                               district_lots=lots)
    shares = spend_by_model(ledger).set_index("model")["current_share"]
    assert shares["day_activity"] == pytest.approx(0.88, abs=0.01)
    assert shares["employment"] == pytest.approx(0.10, abs=0.01)
    assert shares["mainstream"] == pytest.approx(0.02, abs=0.01)
    towns = spend_by(ledger, "town").set_index("town")["current_share"]
    assert 0.35 <= towns[demo.biggest_town] <= 0.40
    assert towns.idxmax() == demo.biggest_town
    assert len(demo.services) == 13


def test_demo_redesign_moves_money_out_of_day_activity(demo) -> None:
    lots = district_lots_from_frame(demo.districts)
    hubs = tuple(PlannedHub(f"H{i}", district) for i, district in enumerate(sorted(lots)))
    plan = InvestmentPlan({sid: "decommission" for sid in demo.services["service_id"]},
                          hubs=hubs)
    ledger = investment_ledger(demo.services, plan, assumptions_from_csv(), district_lots=lots)
    shares = spend_by_model(ledger).set_index("model")
    assert shares.loc["day_activity", "plan_share"] < shares.loc["day_activity", "current_share"]
    assert shares.loc["employment", "plan_share"] > shares.loc["employment", "current_share"]
    assert ledger.released_gbp == pytest.approx(ledger.current_gbp)
