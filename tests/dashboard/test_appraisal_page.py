"""The appraisal pages: open, join with a code, take a seat, score, the rule, declarations, results, export."""

from __future__ import annotations

import json
from typing import Any

from dash import no_update

from dashboard import appraisal_page, ids
from dashboard.appraisal_page import (
    RULE_SENTENCE,
    add_participant,
    results_view,
    score_sheet,
    sheet_cells,
    with_options,
)
from dashboard.data_access import current_locality
from dashboard.store_access import scenario_store
from geo.appraisal import (
    Option,
    add_criterion,
    appraisal_results,
    new_appraisal,
    record_score,
)
from geo.errors import PlannerInputError
from geo.workspace import appraisals
from tests.support.callback_client import text_of, triggered
from tests.support.saved_scenarios import Saved

OPTIONS = (Option("six", "Six hubs"), Option("four", "Four hubs", frozenset({"S01", "S03"})))


def with_people() -> Any:
    appraisal = add_participant(new_appraisal(OPTIONS, ()), "Chris (commissioner)", [], "commissioner")
    return add_participant(appraisal, "  Sam   (service user) ", ["S03"], "service user")


def cell(option: str, criterion: str) -> dict[str, str]:
    return {"type": ids.APPRAISAL_SCORE, "option": option, "criterion": criterion}


def test_participants_get_ids_groups_and_tidy_names() -> None:
    people = with_people().participants
    assert [(p.participant_id, p.name, p.group) for p in people] == [
        ("p1", "Chris (commissioner)", "commissioner"), ("p2", "Sam (service user)", "service user")]
    try:
        add_participant(with_people(), "  ", [])
    except PlannerInputError as error:
        assert "type the person's name" in str(error)


def test_score_sheet_cells_are_read_and_bad_ones_refused() -> None:
    cells = sheet_cells([(cell("six", "access"), 7), (cell("six", "cost"), ""), (cell("four", "access"), None)])
    assert cells == [("six", "access", 7.0)]
    try:
        sheet_cells([(cell("six", "access"), "lots")])
    except PlannerInputError as error:
        assert "expected a number from 0 to 10" in str(error)


def test_changing_the_options_keeps_what_still_applies() -> None:
    appraisal = record_score(with_people(), "p1", "four", "access", 5.0)
    kept = with_options(appraisal, [OPTIONS[1]])
    assert [o.option_id for o in kept.options] == ["four"] and len(kept.scores) == 1
    assert with_options(appraisal, [OPTIONS[0]]).scores == ()


def test_score_sheet_shows_the_declaration_read_only_and_bars_options(saved: Saved) -> None:
    with saved.request(saved.pat):
        locality = current_locality()
        sheet = text_of(score_sheet(with_people(), "p2", locality))
    assert RULE_SENTENCE in sheet and "not asked to score Four hubs" in sheet
    assert "Only the facilitator can change this" in sheet
    assert ids.APPRAISAL_DECLARE_SERVICES not in sheet  # no way to clear one's own declaration here


def test_results_warn_about_thin_scoring_and_explain_what_is_missing() -> None:
    appraisal = with_people()
    assert "No complete score sheet yet" in text_of(results_view(appraisal))
    for criterion in appraisal.criteria:
        appraisal = record_score(appraisal, "p1", "four", criterion.key, 6.0)
    text = text_of(results_view(appraisal))
    assert "Read these totals with care" in text
    assert "Four hubs was scored by 1 of 2 participants" not in text  # 1 of 2 is half: not fewer than half
    assert "Six hubs was scored by 0 of 2 participants, fewer than half" in text
    assert appraisal_results(add_criterion(appraisal, "Keeps a safe space")) is not None


def test_a_facilitator_opens_one_and_participants_join_score_and_see_warnings(saved: Saved) -> None:
    store_user = saved.pat
    with saved.request(store_user):
        path, _ = appraisal_page.open_new(1, "Options for May", "group")
        slug = path.removeprefix("/appraise/")
        _, message = appraisal_page.choose_options([saved.six, saved.four], slug)
        assert message == "Options updated."
        appraisal_page.add_person(1, "Sam", ["S03"], "service user", slug)
        appraisal_page.add_person(1, "Chris", [], "commissioner", slug)
        record = appraisals.appraisal_state(scenario_store(), store_user, slug).record
        body = text_of(appraisal_page.appraisal_body(appraisals.appraisal_state(scenario_store(), store_user, slug)))
    assert record.join_code in body and "Declarations of interest" in body
    # Sam's own login would take the seat; here the facilitator scores for the free seat of Chris
    cells = [cell(saved.six, c) for c in ("access", "fairness", "cost", "outcomes")]
    with saved.request(store_user):
        results, message = appraisal_page.save_scores(1, "p2", [8, 7, 6, 5], cells, slug)
        assert message == "Scores saved."
        assert "Four hubs was scored by 0 of 2 participants" in text_of(results)
        barred = [cell(saved.four, c) for c in ("access", "fairness", "cost", "outcomes")]
        _, refused = appraisal_page.save_scores(1, "p1", [5, 5, 5, 5], barred, slug)
        assert "Scores not saved" in refused and "may not score option 'Four hubs'" in refused
        exported = json.loads(appraisal_page.download(1, slug)["content"])
    assert exported["title"] == "Options for May" and len(exported["scores"]) == 4


def test_only_the_facilitator_records_declarations_and_each_is_logged(saved: Saved) -> None:
    with saved.request(saved.pat):
        path, _ = appraisal_page.open_new(1, "Declarations", "group")
        slug = path.removeprefix("/appraise/")
        appraisal_page.add_person(1, "Sam", [], "service user", slug)
        _, message = appraisal_page.record_declaration(1, "p1", ["S01"], slug)
        assert message.startswith("Declaration recorded")
        state = appraisals.appraisal_state(scenario_store(), saved.pat, slug)
    assert [(d.after, d.changed_by) for d in state.declarations] == [(("S01",), "pat")]
    with saved.request(saved.vic):  # outside the steering group: may not even open it
        assert appraisal_page.record_declaration(1, "p1", [], slug)[0] is no_update
        assert "There is no appraisal here that you may open" in text_of(appraisal_page.appraisal_page(slug))
        _, joined = appraisal_page.join(1, state.record.join_code)
    assert joined.startswith("Not joined")


def test_joining_with_a_bad_code_says_why(saved: Saved) -> None:
    with saved.request(saved.pat):
        assert appraisal_page.join(1, "0O1I")[1].startswith("Not joined: join code: expected 6 letters")


def test_weight_changes_go_through_the_store(saved: Saved) -> None:
    with saved.request(saved.pat):
        path, _ = appraisal_page.open_new(1, "Weights", "draft")
        slug = path.removeprefix("/appraise/")
        with triggered(json.dumps({"key": "cost", "type": ids.APPRAISAL_WEIGHT}) + ".value", 3):
            _, message = appraisal_page.change_weight([1, 1, 3, 1], slug)
        state = appraisals.appraisal_state(scenario_store(), saved.pat, slug)
    assert message == "Weight changed." and state.appraisal.criterion("cost").weight == 3.0
