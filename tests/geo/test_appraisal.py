"""Tests for geo.appraisal: weighted scoring, the conflict-of-interest rule, rank stability."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from geo.appraisal import (
    Appraisal,
    ConflictOfInterestError,
    Criterion,
    Option,
    Participant,
    Score,
    add_criterion,
    appraisal_from_dict,
    appraisal_results,
    appraisal_to_dict,
    declare_services,
    default_criteria,
    eligible_options,
    new_appraisal,
    option_from_scenario,
    record_score,
    remove_criterion,
    set_weight,
)
from geo.errors import PlannerInputError
from geo.scenarios import ScenarioContent

OPTIONS = (
    Option("A", "Six hubs", changed_services=frozenset({"S03"})),
    Option("B", "Four hubs", changed_services=frozenset()),
    Option("C", "Keep as is", changed_services=frozenset()),
)
PEOPLE = (
    Participant("p1", "Chris (commissioner)"),
    Participant("p2", "Pat (provider)"),
    Participant("u1", "Sam (service user)", services_used=frozenset({"S03"})),
)


def two_criteria() -> tuple[Criterion, ...]:
    return (Criterion("access", "Access", 3.0, built_in=True),
            Criterion("cost", "Cost", 1.0, built_in=True))


def scored(appraisal: Appraisal, table: dict[tuple[str, str], tuple[float, ...]]) -> Appraisal:
    """Record (participant, option) -> one score per criterion, in criteria order."""
    for (participant_id, option_id), values in table.items():
        for criterion, value in zip(appraisal.criteria, values, strict=True):
            appraisal = record_score(appraisal, participant_id, option_id, criterion.key, value)
    return appraisal


def test_weighted_totals_and_spread_match_a_hand_calculation() -> None:
    appraisal = scored(new_appraisal(OPTIONS, PEOPLE, criteria=two_criteria()), {
        ("p1", "A"): (8, 4), ("p2", "A"): (6, 6),
        ("p1", "B"): (5, 9), ("p2", "B"): (7, 3), ("u1", "B"): (2, 2),
        ("p1", "C"): (1, 10), ("p2", "C"): (2, 10), ("u1", "C"): (3, 10),
    })
    totals = appraisal_results(appraisal).totals.set_index("option_id")
    # A: p1 (3*8 + 4) / 4 = 7, p2 (18 + 6) / 4 = 6; Sam may not score A (uses S03).
    assert totals.loc["A", "weighted_total"] == pytest.approx(6.5)
    assert (totals.loc["A", "min_total"], totals.loc["A", "max_total"]) == (6.0, 7.0)
    assert totals.loc["A", "sd_total"] == pytest.approx(0.5)
    assert (totals.loc["A", "n_participants"], totals.loc["A", "n_conflicted"]) == (2, 1)
    # B: p1 24/4 = 6, p2 24/4 = 6, u1 8/4 = 2 -> mean 14/3; sd of (6, 6, 2).
    assert totals.loc["B", "weighted_total"] == pytest.approx(14 / 3)
    assert totals.loc["B", "sd_total"] == pytest.approx(math.sqrt(32 / 9))
    # C: (3 + 10) / 4, (6 + 10) / 4, (9 + 10) / 4 -> 3.25, 4, 4.75 -> mean 4.
    assert totals.loc["C", "weighted_total"] == pytest.approx(4.0)
    assert list(totals["rank"]) == [1, 2, 3]


def test_conflict_of_interest_bars_scoring_options_that_change_a_used_service() -> None:
    appraisal = new_appraisal(OPTIONS, PEOPLE)
    assert [o.option_id for o in eligible_options(appraisal, "u1")] == ["B", "C"]
    assert [o.option_id for o in eligible_options(appraisal, "p1")] == ["A", "B", "C"]
    with pytest.raises(ConflictOfInterestError,
                       match=r"Sam \(service user\) declared using S03, which option 'Six hubs'"
                             r" closes or changes.*may not score option 'Six hubs'"):
        record_score(appraisal, "u1", "A", "access", 5)
    with pytest.raises(PlannerInputError):  # the rule is a kind of input error
        record_score(appraisal, "u1", "A", "cost", 5)
    with pytest.raises(ConflictOfInterestError):  # nor can it be smuggled in whole
        Appraisal(appraisal.criteria, appraisal.options, appraisal.participants,
                  scores=(Score("u1", "A", "access", 5),))


def test_declaring_a_service_later_drops_scores_the_rule_now_bars() -> None:
    appraisal = scored(new_appraisal(OPTIONS, PEOPLE, criteria=two_criteria()), {
        ("p2", "A"): (6, 6), ("p2", "B"): (7, 3)})
    barred = declare_services(appraisal, "p2", ["S03", "S09"])
    assert {(s.participant_id, s.option_id) for s in barred.scores} == {("p2", "B")}
    assert [o.option_id for o in eligible_options(barred, "p2")] == ["B", "C"]
    totals = appraisal_results(barred).totals.set_index("option_id")
    assert totals.loc["A", "n_participants"] == 0
    assert totals["weighted_total"].isna()["A"]
    assert totals.loc["A", "rank"] is pd.NA


def test_options_from_scenarios_change_every_service_not_kept() -> None:
    content = ScenarioContent(dataset_version="d", assumptions_version="a",
                              service_decisions={"S01": "keep", "S02": "reshape",
                                                 "S03": "decommission"})
    option = option_from_scenario("X", "Scenario X", content)
    assert option.changed_services == frozenset({"S02", "S03"})


def test_rank_changes_when_weights_move_are_reported() -> None:
    # X leads on access, Y on cost: with access weight 2 and cost 1,
    # X = 20/3 = 6.67 beats Y = 19/3 = 6.33. Halving access (X 10/2 = 5, Y 14/2 = 7)
    # or raising cost by half (X 20/3.5 = 5.71, Y 23.5/3.5 = 6.71) swaps them;
    # raising access or halving cost does not. Z trails throughout.
    options = (Option("X", "Access first"), Option("Y", "Cheaper"), Option("Z", "Neither"))
    criteria = (Criterion("access", "Access", 2.0), Criterion("cost", "Cost", 1.0))
    appraisal = scored(new_appraisal(options, PEOPLE[:1], criteria=criteria), {
        ("p1", "X"): (10, 0), ("p1", "Y"): (5, 9), ("p1", "Z"): (1, 1)})
    results = appraisal_results(appraisal, weight_change=0.5)
    assert list(results.totals["rank"]) == [1, 2, 3]
    assert results.unstable_option_ids == ("X", "Y")
    assert not results.ranking_is_stable
    moved = results.sensitivity.set_index(["criterion_key", "weight_factor", "option_id"])
    assert moved.loc[("access", 0.5, "Y"), "rank"] == 1
    assert moved.loc[("access", 0.5, "Y"), "rank_change"] == -1
    assert moved.loc[("access", 0.5, "X"), "weighted_total"] == pytest.approx(5.0)
    assert moved.loc[("access", 1.5, "X"), "rank_change"] == 0
    assert moved.loc[("cost", 0.5, "Y"), "rank_change"] == 0
    assert moved.loc[("cost", 1.5, "X"), "rank_change"] == 1
    assert set(moved.xs("Z", level="option_id")["rank_change"]) == {0}
    assert len(results.sensitivity) == 2 * 2 * 3

    # At +-10% access 1.8 ties X and Y (18/2.8 each): a tie is a change of rank.
    assert appraisal_results(appraisal, weight_change=0.1).unstable_option_ids == ("Y",)
    # At +-5% (access 1.9: X 19/2.9 = 6.55, Y 18.5/2.9 = 6.38) the ranking holds.
    assert appraisal_results(appraisal, weight_change=0.05).ranking_is_stable


def test_a_dominant_option_is_stable_and_ties_share_a_rank() -> None:
    options = (Option("X", "Best"), Option("Y", "Tied"), Option("Z", "Also tied"))
    appraisal = scored(new_appraisal(options, PEOPLE[:2], criteria=two_criteria()), {
        ("p1", "X"): (9, 9), ("p2", "X"): (8, 10), ("p1", "Y"): (4, 4), ("p2", "Y"): (4, 4),
        ("p1", "Z"): (4, 4), ("p2", "Z"): (4, 4)})
    results = appraisal_results(appraisal)
    assert list(results.totals["rank"]) == [1, 2, 2]
    assert results.ranking_is_stable


def test_own_criteria_count_once_everyone_has_scored_them() -> None:
    appraisal = scored(new_appraisal(OPTIONS[1:], PEOPLE[:2], criteria=two_criteria()), {
        ("p1", "B"): (5, 5), ("p2", "B"): (7, 7), ("p1", "C"): (2, 2), ("p2", "C"): (3, 3)})
    appraisal = add_criterion(appraisal, "Keeps a safe space", 4.0)
    assert appraisal.criteria[-1].key == "keeps_a_safe_space"
    assert not appraisal.criteria[-1].built_in
    appraisal = record_score(appraisal, "p1", "B", "keeps_a_safe_space", 10)
    totals = appraisal_results(appraisal).totals.set_index("option_id")
    # Only p1 has a complete card for B: (3*5 + 1*5 + 4*10) / 8 = 7.5.
    assert totals.loc["B", "weighted_total"] == pytest.approx(7.5)
    assert totals.loc["B", "n_participants"] == 1
    assert totals.loc["C", "n_participants"] == 0
    means = appraisal_results(appraisal).criterion_means.set_index(
        ["option_id", "criterion_key"])
    assert means.loc[("B", "access"), "mean_score"] == pytest.approx(6.0)
    assert means.loc[("C", "keeps_a_safe_space"), "n_scores"] == 0
    # Giving it no weight makes the other cards count again.
    zero = set_weight(appraisal, "keeps_a_safe_space", 0)
    assert appraisal_results(zero).totals.set_index("option_id").loc[
        "B", "n_participants"] == 2
    removed = remove_criterion(appraisal, "keeps_a_safe_space")
    assert all(s.criterion_key != "keeps_a_safe_space" for s in removed.scores)


def test_scores_can_be_changed() -> None:
    appraisal = new_appraisal(OPTIONS, PEOPLE, criteria=two_criteria())
    appraisal = record_score(appraisal, "p1", "B", "access", 2)
    appraisal = record_score(appraisal, "p1", "B", "access", 9.5)
    assert [s.score for s in appraisal.scores] == [9.5]


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("p1", "B", "access", 11), PlannerInputError, r"expected a number from 0 to 10"),
        (("p1", "B", "access", -1), PlannerInputError, r"from 0 to 10, found -1"),
        (("p1", "B", "access", math.nan), PlannerInputError, r"from 0 to 10"),
        (("p1", "B", "access", True), PlannerInputError, r"from 0 to 10, found True"),
        (("zz", "B", "access", 5), PlannerInputError, r"participant_id: expected one of"),
        (("p1", "Q", "access", 5), PlannerInputError, r"option_id: expected one of"),
        (("p1", "B", "beauty", 5), PlannerInputError, r"criterion key: expected one of"),
    ],
)
def test_bad_scores_are_refused(args: tuple[str, str, str, float], error: type[Exception],
                                match: str) -> None:
    with pytest.raises(error, match=match):
        record_score(new_appraisal(OPTIONS, PEOPLE), *args)


def test_bad_setups_are_refused() -> None:
    appraisal = new_appraisal(OPTIONS, PEOPLE)
    with pytest.raises(PlannerInputError, match=r"weight: expected a finite number >= 0"):
        set_weight(appraisal, "cost", -1)
    with pytest.raises(PlannerInputError, match="built-in criteria cannot be removed"):
        remove_criterion(appraisal, "access")
    with pytest.raises(PlannerInputError, match="criterion key: expected each to be unique"):
        add_criterion(appraisal, "Access")
    with pytest.raises(PlannerInputError, match="option_id: expected each to be unique"):
        new_appraisal((*OPTIONS, OPTIONS[0]), PEOPLE)
    with pytest.raises(PlannerInputError, match="expected 1-40 characters"):
        add_criterion(appraisal, "!!!")
    all_zero = appraisal
    for criterion in default_criteria():
        all_zero = set_weight(all_zero, criterion.key, 0)
    with pytest.raises(PlannerInputError, match="at least one weight above 0"):
        appraisal_results(all_zero)
    with pytest.raises(PlannerInputError, match="at least one option"):
        appraisal_results(new_appraisal((), PEOPLE))
    with pytest.raises(PlannerInputError, match="weight_change: expected a fraction"):
        appraisal_results(appraisal, weight_change=1.5)


def test_appraisal_survives_a_json_round_trip() -> None:
    appraisal = scored(new_appraisal(OPTIONS, PEOPLE), {("u1", "B"): (1, 2, 3, 4)})
    appraisal = add_criterion(appraisal, "Keeps a safe space", 2.5)
    data = json.loads(json.dumps(appraisal_to_dict(appraisal)))
    assert appraisal_from_dict(data) == appraisal
    data["scores"][0]["option_id"] = "A"  # Sam may not score A
    with pytest.raises(ConflictOfInterestError):
        appraisal_from_dict(data)
    del data["options"][0]["name"]
    with pytest.raises(PlannerInputError, match="missing the key 'name'"):
        appraisal_from_dict(data)


def _scored(appraisal, pairs):  # type: ignore[no-untyped-def]
    for participant, option in pairs:
        for criterion in appraisal.criteria:
            appraisal = record_score(appraisal, participant, option, criterion.key, 5.0)
    return appraisal


def test_results_warn_about_thinly_scored_options_and_those_one_group_scored() -> None:
    from geo.appraisal import Option, Participant, appraisal_results, new_appraisal, scoring_warnings

    options = [Option("a", "Option A"), Option("b", "Option B", frozenset({"S1"})),
               Option("c", "Option C", frozenset({"S1"}))]
    people = [Participant("p1", "Sam", frozenset({"S1"}), "service user"), Participant("p2", "Pat", group="provider"),
              Participant("p3", "Chris", group="commissioner")]
    appraisal = _scored(new_appraisal(options, people), [("p1", "a"), ("p2", "a"), ("p3", "a"), ("p2", "b"),
                                                         ("p2", "c"), ("p3", "c")])
    warnings = scoring_warnings(appraisal, appraisal_results(appraisal))
    assert [(w.option_id, w.kind) for w in warnings] == [("b", "thin")]
    assert "Option B was scored by 1 of 3 participants, fewer than half; 1 may not score it" in warnings[0].text
    same_group = [Participant("p1", "Sam", group="provider"), Participant("p2", "Pat", group="provider"),
                  Participant("p3", "Chris", group="provider"), Participant("p4", "Kim", group="service user")]
    appraisal = _scored(new_appraisal(options[:1], same_group), [("p1", "a"), ("p2", "a"), ("p3", "a")])
    warnings = scoring_warnings(appraisal, appraisal_results(appraisal))
    assert [(w.option_id, w.kind) for w in warnings] == [("a", "one group")]
    assert "3 of its 3 score sheets came from providers" in warnings[0].text
