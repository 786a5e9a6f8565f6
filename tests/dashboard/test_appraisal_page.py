"""The appraisal view: options from saved scenarios, participants, the conflict-of-interest rule, results."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from dash import no_update

from dashboard import ids
from dashboard.appraisal_page import (
    RULE_SENTENCE,
    add_participant,
    appraisal_or_new,
    change_weight,
    changed,
    choose_options,
    download,
    load_file,
    record_sheet,
    results_view,
    save_scores,
    score_sheet,
    shape_of,
    with_options,
)
from dashboard.data_access import current_locality
from geo.appraisal import (
    ConflictOfInterestError,
    Option,
    add_criterion,
    appraisal_from_dict,
    appraisal_results,
    appraisal_to_dict,
    declare_services,
    new_appraisal,
    record_score,
)
from geo.errors import PlannerInputError
from tests.support.callback_client import text_of, triggered
from tests.support.saved_scenarios import Saved

OPTIONS = (Option("six", "Six hubs"), Option("four", "Four hubs", frozenset({"S01", "S03"})))


def with_people() -> Any:
    appraisal = add_participant(new_appraisal(OPTIONS, ()), "Chris (commissioner)", [])
    return add_participant(appraisal, "  Sam   (service user) ", ["S03"])


# ----------------------------------------------------------------------------- the changes


def test_participants_get_ids_and_tidy_names() -> None:
    appraisal = with_people()
    assert [(p.participant_id, p.name, set(p.services_used)) for p in appraisal.participants] == [
        ("p1", "Chris (commissioner)", set()), ("p2", "Sam (service user)", {"S03"})]
    with pytest.raises(PlannerInputError, match="participant name"):
        add_participant(appraisal, "  ", [])


def test_a_score_sheet_records_what_was_typed_and_keeps_the_rule() -> None:
    appraisal = with_people()
    sheet = [({"option": "six", "criterion": "access"}, 7), ({"option": "six", "criterion": "cost"}, None),
             ({"option": "four", "criterion": "access"}, "4.5")]
    scored = record_sheet(appraisal, "p1", sheet)
    assert {(s.option_id, s.criterion_key, s.score) for s in scored.scores} == {("six", "access", 7.0),
                                                                                 ("four", "access", 4.5)}
    with pytest.raises(ConflictOfInterestError, match="may not score option 'Four hubs'"):
        record_sheet(appraisal, "p2", sheet)


def test_changing_the_options_keeps_what_still_applies() -> None:
    appraisal = record_sheet(with_people(), "p1", [({"option": "six", "criterion": "access"}, 7),
                                                   ({"option": "four", "criterion": "access"}, 4)])
    appraisal = record_sheet(appraisal, "p2", [({"option": "six", "criterion": "access"}, 9)])
    # "six" now closes S03, which Sam uses: Sam's score goes; Chris's stays; "four" is dropped.
    narrowed = with_options(appraisal, [Option("six", "Six hubs", frozenset({"S03"}))])
    assert {(s.participant_id, s.option_id) for s in narrowed.scores} == {("p1", "six")}


def test_changed_reports_errors_and_ignores_no_change() -> None:
    data = appraisal_to_dict(with_people())
    assert changed(data, lambda a: a, "done") == (no_update, no_update)
    new, message = changed(data, lambda a: add_criterion(a, "Keeps a safe space", 2), "Added.")
    assert message == "Added." and appraisal_from_dict(new).criteria[-1].key == "keeps_a_safe_space"
    kept, error = changed(data, lambda a: add_criterion(a, "!!!"), "Added.")
    assert kept is no_update and "criterion label" in error


# ----------------------------------------------------------------------------- the builders


def test_score_sheet_does_not_offer_options_that_change_a_service_used(saved: Saved) -> None:
    with saved.request(saved.pat):
        sam = text_of(score_sheet(with_people(), "p2", current_locality()))
        chris = text_of(score_sheet(with_people(), "p1", current_locality()))
    assert RULE_SENTENCE in sam and "is not asked to score Four hubs" in sam
    assert '"option": "six"' in sam and '"option": "four"' not in sam
    assert RULE_SENTENCE not in chris and '"option": "four"' in chris
    assert chris.count('"type": "appraisal-score"') == 2 * 4  # two options x four built-in criteria


def test_results_show_totals_spread_and_sensitivity() -> None:
    appraisal = with_people()
    cells = lambda option, values: [({"option": option, "criterion": c.key}, v)  # noqa: E731
                                    for c, v in zip(appraisal.criteria, values, strict=True)]
    appraisal = record_sheet(appraisal, "p1", cells("six", (8, 6, 4, 6)) + cells("four", (5, 5, 9, 5)))
    appraisal = record_sheet(appraisal, "p2", cells("six", (6, 6, 6, 6)))
    results = appraisal_results(appraisal)
    text = text_of(results_view(appraisal))
    totals = results.totals.set_index("option_id")
    assert totals.loc["six", "weighted_total"] == pytest.approx((6 + 6) / 2)
    assert f"{totals.loc['four', 'weighted_total']:.1f}" in text
    assert "6.0 to 6.0" in text and "Not scoring (conflict of interest)" in text
    assert "How the order changes with the weights" in text
    verdict = "The order holds" if results.ranking_is_stable else "The order is sensitive"
    assert verdict in text


def test_results_explain_what_is_missing() -> None:
    assert "Choose the options" in text_of(results_view(new_appraisal((), ())))
    assert "No complete score sheet yet" in text_of(results_view(with_people()))


def test_forms_redraw_only_when_their_shape_changes() -> None:
    appraisal = with_people()
    weighted = appraisal_from_dict({**appraisal_to_dict(appraisal), "criteria": [
        {**c, "weight": 3.0} for c in appraisal_to_dict(appraisal)["criteria"]]})
    assert shape_of(weighted) == shape_of(appraisal)
    assert shape_of(declare_services(appraisal, "p1", ["S05"])) != shape_of(appraisal)


# ----------------------------------------------------------------------------- the callbacks


def test_options_come_from_scenarios_the_person_may_open(saved: Saved) -> None:
    with saved.request(saved.pat):
        data, message = choose_options([saved.six, saved.four], None)
    options = appraisal_from_dict(data).options
    assert message == "Options updated."
    assert [(o.name, set(o.changed_services)) for o in options] == [("Six hubs", set()),
                                                                    ("Four hubs", {"S01", "S03"})]
    with saved.request(saved.vic):
        refused, why = choose_options([saved.six], None)
    assert refused is no_update and "no such scenario or version that you may open" in why


def as_file(data: dict[str, Any]) -> str:
    return "data:application/json;base64," + base64.b64encode(json.dumps(data).encode()).decode()


def test_weights_scores_download_and_upload_round_trip(saved: Saved) -> None:
    with saved.request(saved.pat):
        data, _ = choose_options([saved.six, saved.four], appraisal_to_dict(with_people()))
        with triggered('{"key":"access","type":"' + ids.APPRAISAL_WEIGHT + '"}.value', 3):
            data, message = change_weight([3, 1, 1, 1], data)
        assert message == "Weight changed." and appraisal_or_new(data).criterion("access").weight == 3.0
        cell_ids = [{"type": ids.APPRAISAL_SCORE, "option": saved.six, "criterion": "access"}]
        data, message = save_scores(1, "p1", [8], cell_ids, data)
        assert message == "Scores saved." and appraisal_or_new(data).scores[0].score == 8.0
        refused, why = save_scores(1, "p2", [8], [{**cell_ids[0], "option": saved.four}], data)
        assert refused is no_update and "conflict-of-interest rule" in why
        file = download(1, data)
        assert file["filename"].endswith(".json")
        loaded, message = load_file(as_file(json.loads(file["content"])), "appraisal.json")
        assert appraisal_from_dict(loaded) == appraisal_from_dict(data) and message == "Loaded appraisal.json."
        junk = "data:application/json;base64," + base64.b64encode(b'{"scores": [{"score": 5}]}').decode()
        refused, why = load_file(junk, "junk.json")
    assert refused is no_update and "junk.json was not loaded" in why


def tampered(saved: Saved) -> dict[str, Any]:
    """An appraisal whose "Four hubs" claims to change nothing, so Sam (who uses S03, which it reshapes) scored it."""
    options = (Option(saved.six, "Six hubs"), Option(saved.four, "Four hubs", frozenset()))
    appraisal = add_participant(new_appraisal(options, ()), "Sam (service user)", ["S03"])
    appraisal = record_score(appraisal, "p1", saved.four, "access", 9.0)
    return appraisal_to_dict(record_score(appraisal, "p1", saved.six, "access", 4.0))


def test_the_rule_is_checked_against_the_saved_scenarios_not_the_file(saved: Saved) -> None:
    with saved.request(saved.pat):
        loaded, message = load_file(as_file(tampered(saved)), "edited.json")
    appraisal = appraisal_from_dict(loaded)
    assert appraisal.option(saved.four).changed_services == {"S01", "S03"}  # from the store, not the file
    assert [(s.option_id, s.score) for s in appraisal.scores] == [(saved.six, 4.0)]
    assert "1 score removed" in message
    with saved.request(saved.pat):  # a forged browser state cannot record the barred score either
        refused, why = save_scores(1, "p1", [9], [{"type": ids.APPRAISAL_SCORE, "option": saved.four,
                                                   "criterion": "access"}], tampered(saved))
    assert refused is no_update and "conflict-of-interest rule" in why


def test_a_loaded_file_keeps_only_options_the_person_may_open(saved: Saved) -> None:
    with saved.request(saved.vic):
        loaded, message = load_file(as_file(appraisal_to_dict(new_appraisal(
            (Option(saved.six, "Six hubs"), Option(saved.north, "Two moved north")), ()))), "shared.json")
    assert [o.option_id for o in appraisal_from_dict(loaded).options] == [saved.north]
    assert "Left out, as you may not open them or they no longer exist: Six hubs." in message
