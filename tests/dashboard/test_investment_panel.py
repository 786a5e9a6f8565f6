"""The investment, fairness, outcome and assumptions panels: builders and callback bodies called directly."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from dashboard import history, ids, investment_panel, outcomes_panel, plan_money, starting_points
from dashboard.html_slot import to_html
from dashboard.money_charts import before_after_bars, label_margin, money, money_ticks
from dashboard.money_tables import before_after_table
from dashboard.planning_panel import plan_fill
from geo import plan_edits
from geo.errors import PlannerInputError
from geo.locality import DEMO_FOLDER
from geo.projection import lonlat
from geo.scenarios import ScenarioContent, scenario_from_dict, scenario_to_dict
from tests.support.callback_client import text_of

FOLDER = str(DEMO_FOLDER)




@pytest.fixture(scope="module")
def plan(locality) -> ScenarioContent:  # type: ignore[no-untyped-def]
    """Six hubs in the biggest towns, today's services kept: the controls' defaults mean this plan."""
    return plan_edits.starting_plan(locality.towns, dataset_version="demo", assumptions_version="default")


@pytest.fixture(scope="module")
def service_ids(locality) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(s) for s in locality.services["service_id"]]


def money_edit(plan: ScenarioContent, **changes: Any) -> ScenarioContent | None:
    values = {"decisions": {}, "ips_specialists": 10, "links_workers_per_hub": 2, "direct_payments_gbp": 0,
              **changes}
    return investment_panel.apply_money_edit(plan, **values)


def position(outputs: list[Any], element_id: str) -> int:
    """Where an element's output sits in a callback's outputs (a pattern id by its type)."""
    for i, output in enumerate(outputs):
        found = output.component_id
        if found == element_id or (isinstance(found, dict) and found.get("type") == element_id):
            return i
    raise AssertionError(f"{element_id} is not among the outputs")


def moved(plan: ScenarioContent, hub_id: str, dx_m: float, dy_m: float) -> ScenarioContent:
    hubs = tuple(dataclasses.replace(h, x=h.x + dx_m, y=h.y + dy_m) if h.hub_id == hub_id else h for h in plan.hubs)
    return dataclasses.replace(plan, hubs=hubs)


# ---------------------------------------------------------------------------------------
# Controls -> plan
# ---------------------------------------------------------------------------------------
def test_money_controls_write_into_the_plan_and_record_history(plan) -> None:  # type: ignore[no-untyped-def]
    assert money_edit(plan) is None  # the controls' first values are what the plan already means
    new = money_edit(plan, decisions={"S01": "decommission", "S02": "keep", "S03": "reshape"},
                     ips_specialists=12, direct_payments_gbp=150_000)
    assert new is not None
    assert dict(new.service_decisions) == {"S01": "decommission", "S03": "reshape"}  # keep is the default
    assert new.money.ips_specialists_fte == 12 and new.money.direct_payments_gbp == 150_000
    boxes = [{"type": ids.SERVICE_DECISION, "service": s} for s in ("S01", "S02")]
    data, recorded, message = investment_panel.edit_money(
        ["decommission", "keep"], 12, 2, 0, boxes, scenario_to_dict(plan), history.empty())
    assert data["service_decisions"] == {"S01": "decommission"}
    assert recorded["past"] == [scenario_to_dict(plan)] and "updated" in message


@pytest.mark.parametrize(("changes", "message"), [
    ({"ips_specialists": None}, "IPS employment specialists: expected a number"),
    ({"links_workers_per_hub": -1}, "Community links workers per hub: expected a number of at least 0"),
    ({"direct_payments_gbp": "lots"}, "Direct payments: expected a number"),
])
def test_bad_control_values_are_refused_with_the_control_named(plan, changes, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlannerInputError, match=message):
        money_edit(plan, **changes)
    _, _, status = investment_panel.edit_money([], changes.get("ips_specialists", 10),
                                               changes.get("links_workers_per_hub", 2),
                                               changes.get("direct_payments_gbp", 0), [], scenario_to_dict(plan),
                                               history.empty())
    assert status.startswith("Not changed:")


def test_controls_follow_the_plan_after_undo_or_opening_a_scenario(plan, service_ids) -> None:  # type: ignore[no-untyped-def]
    boxes = [{"type": ids.SERVICE_DECISION, "service": s} for s in service_ids]
    with pytest.raises(PreventUpdate):
        investment_panel.follow_plan_money(None, scenario_to_dict(plan), boxes, ["keep"] * len(boxes), 10, 2.0, 0)
    changed = money_edit(plan, decisions={"S05": "reshape"}, ips_specialists=4)
    decisions, ips, links, direct = investment_panel.follow_plan_money(
        None, scenario_to_dict(changed), boxes, ["keep"] * len(boxes), 10, 2.0, 0)
    assert decisions[service_ids.index("S05")] == "reshape" and decisions.count("keep") == len(boxes) - 1
    assert (ips, links, direct) == (4, 2, 0)


# ---------------------------------------------------------------------------------------
# The ledger views
# ---------------------------------------------------------------------------------------
def test_closing_a_service_releases_its_budget_and_shows_in_the_ledger(plan, service_ids) -> None:  # type: ignore[no-untyped-def]
    before = plan_money.plan_outcomes(FOLDER, plan)
    closed = money_edit(plan, decisions={"S01": "decommission"})
    after = plan_money.plan_outcomes(FOLDER, closed)
    budget = 640_000.0  # S01's budget in the demo
    assert after.costed.ledger.released_gbp == pytest.approx(budget)
    assert after.costed.ledger.plan_gbp == pytest.approx(before.costed.ledger.plan_gbp - budget)
    outputs = investment_panel.money_outputs()
    views = investment_panel.money_views(after, service_ids)
    released = views[position(outputs, ids.SERVICE_RELEASED)]
    assert released[0] == money(budget) == "£640k" and set(released[1:]) == {"£0"}
    waterfall = views[position(outputs, ids.LEDGER_WATERFALL)]["data"][0]
    assert waterfall["x"][1] == pytest.approx(-budget)  # the "Released" step
    # Year one pays six months of double running for the closed service.
    assert after.year_one.plan_gbp - after.costed.ledger.plan_gbp == pytest.approx(
        budget * 6 / 12 + float(after.year_one.lines["set_up_gbp"].sum()))
    assert "£320k for running closed" in views[position(outputs, ids.LEDGER_YEAR_ONE)]


def test_todays_split_is_the_papers_88_10_2(plan) -> None:  # type: ignore[no-untyped-def]
    figure = investment_panel.model_figure(plan_money.plan_outcomes(FOLDER, plan).costed.ledger)
    today = figure["data"][0]
    assert [round(v) for v in today["x"][:3]] == [88, 10, 2]
    assert today["text"][0].startswith("88%")


def test_money_views_match_their_outputs(plan, service_ids) -> None:  # type: ignore[no-untyped-def]
    views = investment_panel.money_views(plan_money.plan_outcomes(FOLDER, plan), service_ids)
    assert len(views) == len(investment_panel.money_outputs())
    outcome_views = outcomes_panel.outcome_views(plan_money.plan_outcomes(FOLDER, plan))
    assert len(outcome_views) == len(outcomes_panel.outcome_outputs())
    outputs = investment_panel.money_outputs()
    assert views[position(outputs, ids.KPI_TODAY_COST)] == "£3,500,000"
    assert views[position(outputs, ids.KPI_BUDGET)] == "£3,500,000"  # today's spend, while no cap is set
    assert views[position(outputs, ids.KPI_HEADROOM_LABEL)] == "a year over the budget"
    capped = dataclasses.replace(plan, money=dataclasses.replace(plan.money, budget_cap_gbp=9_000_000))
    views = investment_panel.money_views(plan_money.plan_outcomes(FOLDER, capped), service_ids)
    assert views[position(outputs, ids.KPI_BUDGET)] == "£9,000,000"
    assert views[position(outputs, ids.KPI_HEADROOM_LABEL)] == "a year to spare within the budget"


def test_budget_box_sets_the_plan_cap_and_today_s_spend_means_none(plan) -> None:  # type: ignore[no-untyped-def]
    new = investment_panel.apply_budget_edit(plan, 3_000_000, today_gbp=3_500_000)
    assert new is not None and new.money.budget_cap_gbp == 3_000_000
    assert investment_panel.apply_budget_edit(new, 3_500_000, today_gbp=3_500_000).money.budget_cap_gbp is None
    assert investment_panel.apply_budget_edit(plan, "", today_gbp=3_500_000) is None
    with pytest.raises(PlannerInputError, match="Budget a year"):
        investment_panel.apply_budget_edit(plan, "lots", today_gbp=3_500_000)


# ---------------------------------------------------------------------------------------
# Fairness: the stable headline ids follow a hub move
# ---------------------------------------------------------------------------------------
def headline_values(app, plan: ScenarioContent, **selection: Any) -> tuple[Any, ...]:  # type: ignore[no-untyped-def]
    options = {"district": "none", "hub": None, "area_row": None, **selection}
    with app.server.test_request_context():
        return investment_panel.recompute_places(None, "drive", options["district"], options["area_row"],
                                                 options["hub"], scenario_to_dict(plan))[:-1]  # less the digests


def test_a_move_sends_only_the_money_by_place_that_changed(app, plan) -> None:  # type: ignore[no-untyped-def]
    """Each output sent is redrawn in the browser (a chart by Plotly): what reads as before is not sent again."""
    with app.server.test_request_context():
        first = investment_panel.recompute_places(None, "drive", "none", None, None, scenario_to_dict(plan))
        again = investment_panel.recompute_places(None, "drive", "none", None, None,
                                                  scenario_to_dict(moved(plan, "H1", 2_000.0, 1_000.0)), first[-1])
    outputs = investment_panel.place_outputs()
    assert all(value is not no_update for value in first[:-2])  # a freshly opened tab gets everything
    assert again[position(outputs, ids.KPI_GINI_SPEND)] not in (no_update, first[position(outputs, ids.KPI_GINI_SPEND)])
    assert again[position(outputs, ids.EQUITY_LORENZ_CHART)] is not no_update
    assert again[position(outputs, ids.LEDGER_LOT_CHART)] is no_update  # spend by lot does not move with a hub
    assert again[-1] != first[-1]


def test_the_lorenz_curve_says_the_gini_shown_above_it(app, plan) -> None:  # type: ignore[no-untyped-def]
    """The curve is SVG in a slot (no Plotly on a drag): its legend and its text for screen readers carry the
    same Gini as the headline figure, and each curve runs from no spend to all of it."""
    values = headline_values(app, plan)
    outputs = investment_panel.place_outputs()
    gini, curve = values[position(outputs, ids.KPI_GINI_SPEND)], values[position(outputs, ids.EQUITY_LORENZ_CHART)]
    assert f"The plan (Gini {gini})</li>" in curve and re.search(rf'aria-label="[^"]*The plan \(Gini {gini}\)', curve)
    lines = re.findall(r'<polyline points="([^"]+)"', curve)
    assert [len(points.split()) for points in lines] == [2, 101, 101]  # even; today; the plan
    for points in lines:
        assert points.split()[0] == lines[0].split()[0] and points.split()[-1] == lines[0].split()[-1]


def test_gini_and_biggest_town_share_follow_a_hub_move(app, plan) -> None:  # type: ignore[no-untyped-def]
    outputs = investment_panel.place_outputs()
    gini_at, share_at = position(outputs, ids.KPI_GINI_SPEND), position(outputs, ids.KPI_BIGGEST_TOWN_SHARE)
    before = headline_values(app, plan)
    after = headline_values(app, moved(plan, "H1", 12_000.0, 9_000.0))  # Kingsmere's hub far out of town
    for values in (before, after):
        assert 0.0 <= float(values[gini_at]) <= 1.0
        assert re.fullmatch(r"\d{1,3}\.\d%", values[share_at])
    assert before[gini_at] != after[gini_at]
    assert float(after[share_at].rstrip("%")) < float(before[share_at].rstrip("%"))
    assert before[-1] is None  # no problem to report


def test_a_blank_plan_has_no_gini_to_show_rather_than_perfect_fairness(app) -> None:  # type: ignore[no-untyped-def]
    blank = scenario_from_dict(starting_points.starting_plan(FOLDER, "blank", "demo"))
    values = headline_values(app, blank)
    outputs = investment_panel.place_outputs()
    assert values[position(outputs, ids.KPI_GINI_SPEND)] == "-"  # nothing spent is not spend shared equally
    assert "The plan (Gini -)" in values[position(outputs, ids.EQUITY_LORENZ_CHART)]


def test_a_budget_change_changes_the_gini(app, plan) -> None:  # type: ignore[no-untyped-def]
    closed = money_edit(plan, decisions={"S01": "decommission", "S02": "decommission", "S03": "decommission"})
    assert headline_values(app, plan)[0] != headline_values(app, closed)[0]


def row_labels(table: str, *, selected: bool = False) -> list[str]:
    """The row labels of a table sent as HTML (only the selected rows' when ``selected``)."""
    rows = re.findall(r"<tr( class=\"[^\"]*\")?>(.*?)</tr>", table)
    return [re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", cells).group(1))  # type: ignore[union-attr]
            for marked, cells in rows if "scope=\"row\"" in cells
            and (not selected or investment_panel.SELECTED_ROW in marked)]


def test_selections_are_highlighted_in_every_panel(app, plan, locality) -> None:  # type: ignore[no-untyped-def]
    row = int(np.flatnonzero(locality.areas["district"].to_numpy() == "North Moors")[0])
    values = headline_values(app, plan, district="North Moors", hub="H3", area_row=row)
    outputs = investment_panel.place_outputs()
    for chart in (ids.EQUITY_GAP_CHART, ids.LEDGER_DISTRICT_CHART):
        table = values[position(outputs, chart)]
        assert row_labels(table, selected=True) == ["North Moors"], chart
        assert 'aria-pressed="true" class="bar-choice" data-district="North Moors"' in table
        assert table.count('aria-pressed="true"') == 1
    table = values[position(outputs, ids.HUB_COSTS_TABLE)]
    rows = [tag for tag in re.findall(r"<tr[^>]*>", table) if "data-hub-id" in tag]
    marked = [re.search(r'data-hub-id="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
              for tag in rows if f'class="{investment_panel.SELECTED_ROW}"' in tag]
    assert marked == ["H3"] and len(rows) == len(plan.hubs)
    note = text_of(values[position(outputs, ids.SELECTED_AREA_NOTE)])
    assert str(locality.areas["name"].iat[row]) in note and "per need-weighted adult" in note
    fifth = (int(locality.areas["imd_decile"].iat[row]) + 1) // 2
    fifths = values[position(outputs, ids.EQUITY_FIFTHS_CHART)]
    assert row_labels(fifths, selected=True) == [row_labels(fifths)[fifth - 1]]


def test_a_map_click_chooses_an_area_and_its_district(locality) -> None:  # type: ignore[no-untyped-def]
    row = 42
    lon, lat = lonlat(*locality.areas.loc[row, ["pwc_x", "pwc_y"]])
    click = {"latlng": {"lat": lat, "lng": lon}}
    assert investment_panel.place_choice(locality, click, None) == (row, locality.areas["district"].iat[row])
    unchanged = investment_panel.place_choice(locality, click, "hub")
    assert all(value is investment_panel.no_update for value in unchanged)


def test_every_district_in_the_money_tables_is_a_button_but_locality_wide(app, plan) -> None:  # type: ignore[no-untyped-def]
    """Choosing a district was a bar click; in the tables it is a button (assets/money.js), reachable by keyboard."""
    values = headline_values(app, plan)
    outputs = investment_panel.place_outputs()
    for chart in (ids.EQUITY_GAP_CHART, ids.LEDGER_DISTRICT_CHART):
        table = values[position(outputs, chart)]
        buttons = re.findall(r'<button aria-pressed="false" class="bar-choice" data-district="([^"]+)" '
                             r'type="button">\1</button>', table)
        districts = [label for label in row_labels(table) if label != "Locality-wide"]
        assert buttons == districts and len(districts) >= 5, chart
    assert "<button" not in values[position(outputs, ids.LEDGER_LOT_CHART)]


def test_the_spend_map_layer_moves_with_the_hubs(app, plan, locality) -> None:  # type: ignore[no-untyped-def]
    from dashboard.engine import score_plan

    with app.server.test_request_context():
        fills = []
        for version in (plan, moved(plan, "H1", 12_000.0, 9_000.0)):
            fill, legend = plan_fill(score_plan(FOLDER, version.hubs), version, "spend_per_need")
            fills.append(fill)
    assert len(fills[0]["classes"]) == len(locality.areas)
    assert set(fills[0]["classes"]) <= set(range(len(plan_money.SPEND_PALETTE)))
    assert fills[0]["classes"] != fills[1]["classes"]
    assert "fair share" in text_of(legend)


def test_spend_classes_are_fixed_shares_of_the_fair_share(plan) -> None:  # type: ignore[no-untyped-def]
    equity = plan_money.today_equity(FOLDER, "drive")
    classed = plan_money.spend_per_need_classes(equity)
    ratio = equity.per_area["ratio_to_fair_share"].to_numpy()
    expected = np.searchsorted(plan_money.SPEND_RATIO_BREAKS, ratio, side="right")
    assert classed.classes == expected.tolist()
    fair = equity.total_gbp / equity.per_area["need"].sum()
    middle = [text for _, text in classed.legend_rows if "about the fair share" in text]
    assert len(middle) == 1 and f"£{fair:,.2f}" in middle[0]
    assert len(classed.legend_rows) == len(plan_money.SPEND_PALETTE)


# ---------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------
def job_starts(plan: ScenarioContent, line: str = "ips") -> float:
    """Paid job starts a year from one support line (the IPS service by default)."""
    outcomes = plan_money.plan_outcomes(FOLDER, plan).outcomes
    return float(outcomes.loc[outcomes["line"] == line, "job_starts"].iloc[0])


def test_more_specialists_raise_job_starts_but_a_caseload_over_the_cap_does_not(plan) -> None:  # type: ignore[no-untyped-def]
    base = job_starts(plan)
    more = job_starts(money_edit(plan, ips_specialists=14))
    assert more - base == pytest.approx(4 * 20 * 0.4)  # 4 specialists x 20 people x 40% a year
    over_cap = outcomes_panel.apply_assumption_edit(plan, {"ips_caseload": 30}, reset=False)
    assert over_cap is not None and job_starts(over_cap) == pytest.approx(base)
    note = text_of(outcomes_panel.support_table(plan_money.plan_outcomes(FOLDER, over_cap)))
    assert "caseload of 30" in note and "not counted" in note


def test_outcome_views_show_today_the_plan_and_ranges(plan, app) -> None:  # type: ignore[no-untyped-def]
    outcomes = plan_money.plan_outcomes(FOLDER, plan)
    table = text_of(outcomes_panel.outcomes_table(outcomes))
    for label in ("Paid job starts", "People taking part in mainstream activities",
                  "People gaining new social contacts", "People starting voluntary work"):
        assert label in table
    assert re.search(r"\(\d[\d,]* to \d[\d,]*\)", table)
    figure = outcomes_panel.uptake_figure(outcomes.direct_payments)
    high, low, central = (trace["y"] for trace in figure["data"])
    assert all(lo <= c <= hi for lo, c, hi in zip(low, central, high, strict=True))
    assert "year 5" in outcomes_panel.direct_payments_note(outcomes)
    within, reach = headline_values(app, plan)[-3:-1]
    summary = plan_money.placed_plan(FOLDER, plan).access.summary.set_index("group").loc["population"]
    assert int(within.replace(",", "")) == round(summary["total"] * summary["share_within_30"])
    reach_text = text_of(reach)
    assert "Women" in reach_text and "Black and minority ethnic people" in reach_text


# ---------------------------------------------------------------------------------------
# Assumptions
# ---------------------------------------------------------------------------------------
def test_an_edited_assumption_is_recorded_in_the_plan_and_changes_the_figures(plan) -> None:  # type: ignore[no-untyped-def]
    base = plan_money.default_assumptions()
    edited = outcomes_panel.apply_assumption_edit(plan, {**dict(base), "rate_job_start_ips": 0.5}, reset=False)
    assert edited is not None
    assert dict(edited.assumptions) == {"rate_job_start_ips": 0.5}
    assert edited.assumptions_version == base.with_values({"rate_job_start_ips": 0.5}).version
    assert edited.assumptions_version != base.version
    assert job_starts(edited) == pytest.approx(job_starts(plan) * 0.5 / 0.4)
    assert outcomes_panel.apply_assumption_edit(edited, {"rate_job_start_ips": 0.5}, reset=False) is None
    reset = outcomes_panel.apply_assumption_edit(edited, {}, reset=True)
    assert reset is not None and dict(reset.assumptions) == {} and reset.assumptions_version == base.version
    store = outcomes_panel.follow_plan_assumptions(None, scenario_to_dict(edited), {})
    assert store == {"rate_job_start_ips": 0.5}
    boxes = [{"type": ids.ASSUMPTION_VALUE, "key": k} for k in ("rate_job_start_ips", "ips_caseload_cap")]
    values, summary = outcomes_panel.show_assumptions(store, boxes)
    assert values == [0.5, 20.0] and "You changed 1 value" in summary


@pytest.mark.parametrize(("values", "message"), [
    ({"rate_job_start_ips": 1.5}, "expected between 0 and 1"),
    ({"contract_years": 2.5}, "whole number"),
    ({"ips_caseload": None}, "expected a number, found an empty box"),
])
def test_an_impossible_assumption_is_refused_with_its_row_named(plan, values, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlannerInputError, match=message):
        outcomes_panel.apply_assumption_edit(plan, values, reset=False)


def test_the_layout_has_the_stable_ids_and_every_assumption(app) -> None:  # type: ignore[no-untyped-def]
    text = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    for element_id in (ids.KPI_GINI_SPEND, ids.KPI_BIGGEST_TOWN_SHARE, ids.LEDGER_WATERFALL, ids.EQUITY_LORENZ_CHART,
                       ids.DP_CHART, ids.IPS_SPECIALISTS):
        assert f'"{element_id}"' in text
    assert text.count('"assumption-value"') == len(plan_money.default_assumptions())
    assert text.count('"service-decision"') == 13


# ---------------------------------------------------------------------------------------
# Chart helpers
# ---------------------------------------------------------------------------------------
def test_money_and_ticks_read_like_a_slide() -> None:
    assert [money(v) for v in (3_496_000, 640_000, 950, -74_000)] == ["£3.50m", "£640k", "£950", "−£74k"]
    assert money(13_000, signed=True) == "+£13k" and money(float("nan")) == "-"
    ticks = money_ticks(1_127_000)
    assert ticks["tickvals"] == [0, 500_000, 1_000_000, 1_500_000]
    assert ticks["ticktext"] == ["£0", "£500k", "£1.00m", "£1.50m"]
    assert money_ticks(90_000)["tickvals"][:3] == [0, 25_000, 50_000]


def test_before_after_bars_print_each_value_and_escape_labels() -> None:
    figure = before_after_bars(["East", "<b>West</b>"], [1.0, 2.0], [2.0, 1.0], title="t", today_text=["a", "b"],
                               plan_text=["c", "d"])
    assert [bar["name"] for bar in figure["data"]] == ["Today", "The plan"]
    assert figure["data"][0]["y"] == ["East", "&lt;b&gt;West&lt;/b&gt;"] and figure["data"][1]["text"] == ["c", "d"]
    assert figure["layout"]["margin"]["l"] == label_margin(["East", "<b>West</b>"])


def test_table_bars_start_at_zero_with_gaps_either_side_of_a_line() -> None:
    gaps = to_html(before_after_table("c", "District", ["East", "West"], [-50.0, 100.0], [25.0, 0.0],
                                      today_text=["−£50", "+£100"], plan_text=["+£25", "£0"]))
    bars = re.findall(r'class="bar-fill" style="left: ([\d.]+)%; width: ([\d.]+)%', gaps)
    assert bars == [("25.0", "25.0"), ("50.0", "12.5"), ("50.0", "50.0"), ("50.0", "0.0")]
    assert gaps.count('class="bar-mark bar-zero" style="left: 50.0%') == 4  # zero: one line on every bar
    fair = to_html(before_after_table("c", "Fifth", ["Most deprived"], [50.0], [80.0], today_text=["a"],
                                      plan_text=["b"], reference=100.0))
    assert re.findall(r'left: ([\d.]+)%; width: ([\d.]+)%', fair) == [("0.0", "50.0"), ("0.0", "80.0")]
    assert fair.count('class="bar-mark" style="left: 100.0%') == 2 and "bar-zero" not in fair


def test_a_problem_message_is_cleared_once_then_not_sent_again(app, plan) -> None:  # type: ignore[no-untyped-def]
    """Each output sent costs the page a pass over its components: the empty message goes only when it clears one."""
    broken = dataclasses.replace(plan, assumptions={"on_costs_fraction": 5.0})
    with app.server.test_request_context():
        def places(version: ScenarioContent, shown: Any) -> tuple[Any, ...]:
            return investment_panel.recompute_places(None, "drive", "none", None, None, scenario_to_dict(version),
                                                     shown)
        good = places(plan, None)
        failed = places(broken, good[-1])
        fixed = places(plan, failed[-1])
        moved_again = places(moved(plan, "H1", 2_000.0, 1_000.0), fixed[-1])
    assert "could not be worked out" in failed[-2] and failed[-1] is None  # forget what the page shows
    assert fixed[-2] is None and all(value is not no_update for value in fixed[:-1])  # cleared, all sent again
    assert moved_again[-2] is no_update


def test_a_plan_whose_money_cannot_be_worked_out_says_why(app, plan, locality) -> None:  # type: ignore[no-untyped-def]
    from dashboard.engine import score_plan

    broken = dataclasses.replace(plan, assumptions={"on_costs_fraction": 5.0})  # a fraction above 1
    values = headline_values(app, broken)
    assert all(value is investment_panel.no_update for value in values[:-1])
    assert "on_costs_fraction" in values[-1] and "between 0 and 1" in values[-1]
    with app.server.test_request_context():
        fill, legend = plan_fill(score_plan(FOLDER, broken.hubs), broken, "spend_per_need")
    assert set(fill["classes"]) == {-1} and len(fill["classes"]) == len(locality.areas)
    assert "cannot be worked out" in text_of(legend)
