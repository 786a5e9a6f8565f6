"""Appraisals in the store: join codes, seats, the conflict-of-interest rule on the server,
declarations changed only by the facilitator and recorded, visibility as for scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from geo.appraisal import ConflictOfInterestError, Participant, new_appraisal, option_from_scenario, set_weight
from geo.errors import PlannerInputError
from geo.scenarios import Hub, ScenarioContent
from geo.workspace import appraisals
from geo.workspace.accounts import AccessDeniedError, User
from geo.workspace.store import ScenarioStore, init_store, sqlite_url

PASSWORD = "correct horse battery"


def content(label: str, decisions: dict[str, str] | None = None) -> ScenarioContent:
    return ScenarioContent(dataset_version="demo", assumptions_version="default",
                           hubs=(Hub("H1", f"{label} hub", 400_000, 300_000),),
                           service_decisions=decisions or {})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Group:
    store: ScenarioStore
    chris: User  # the facilitator: a planner
    sam: User  # a service user in the steering group (viewer)
    pat: User  # a provider in the steering group (planner)
    vic: User  # outside the steering group
    keep: str  # option slugs
    close: str


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Group]:
    store = init_store(sqlite_url(tmp_path_factory.mktemp("appraisals")))
    chris = store.create_user("chris", PASSWORD, "planner")
    sam = store.create_user("sam", PASSWORD, "viewer", steering_group=True)
    pat = store.create_user("pat", PASSWORD, "planner")
    vic = store.create_user("vic", PASSWORD, "viewer", steering_group=False)
    keep = store.create_scenario(chris, "Keeps everything", content("keep"), visibility="group")
    close = store.create_scenario(chris, "Closes S03", content("close", {"S03": "decommission"}), visibility="group")
    yield Group(store, chris, sam, pat, vic, keep.scenario.slug, close.scenario.slug)
    store.close()


def opened(group: Group, visibility: str = "group") -> appraisals.AppraisalRecord:
    options = [option_from_scenario(group.keep, "Keeps everything", content("keep")),
               option_from_scenario(group.close, "Closes S03", content("close"))]  # stale: the store re-reads
    people = [Participant("p1", "Sam", frozenset({"S03"}), "service user"), Participant("p2", "Pat", group="provider")]
    return appraisals.open_appraisal(group.store, group.chris, "Day services options", new_appraisal(options, people),
                                     visibility=visibility)  # type: ignore[arg-type]


def full_sheet(option: str, value: float = 6.0) -> list[tuple[str, str, float]]:
    return [(option, key, value) for key in ("access", "fairness", "cost", "outcomes")]


def test_participants_join_with_the_code_take_a_seat_and_score(group: Group) -> None:
    record = opened(group)
    assert len(record.join_code) == appraisals.JOIN_CODE_CHARS
    found = appraisals.find_by_code(group.store, group.sam, record.join_code.lower()[:3] + "-" + record.join_code[3:])
    assert found.slug == record.slug
    state = appraisals.take_seat(group.store, group.sam, record.slug, "p1")
    assert state.my_seat == "p1" and state.seats == {"p1": "sam"} and not state.may_facilitate
    state = appraisals.record_scores(group.store, group.sam, record.slug, "p1", full_sheet(group.keep))
    assert {(s.participant_id, s.option_id) for s in state.appraisal.scores} == {("p1", group.keep)}


def test_conflict_of_interest_rule_is_kept_on_the_server_against_the_scenario_as_saved(group: Group) -> None:
    record = opened(group)
    appraisals.take_seat(group.store, group.sam, record.slug, "p1")
    state = appraisals.appraisal_state(group.store, group.sam, record.slug)
    assert state.appraisal.option(group.close).changed_services == frozenset({"S03"})
    with pytest.raises(ConflictOfInterestError, match="may not score option 'Closes S03'"):
        appraisals.record_scores(group.store, group.sam, record.slug, "p1",
                                 full_sheet(group.keep) + full_sheet(group.close))
    # nothing of the sheet was saved
    assert not appraisals.appraisal_state(group.store, group.sam, record.slug).appraisal.scores


def test_seats_are_personal(group: Group) -> None:
    record = opened(group)
    appraisals.take_seat(group.store, group.sam, record.slug, "p1")
    with pytest.raises(AccessDeniedError, match="already taken"):
        appraisals.take_seat(group.store, group.pat, record.slug, "p1")
    with pytest.raises(AccessDeniedError, match="another participant"):
        appraisals.take_seat(group.store, group.sam, record.slug, "p2")
    with pytest.raises(AccessDeniedError, match="may not score for participant 'p1'"):
        appraisals.record_scores(group.store, group.pat, record.slug, "p1", full_sheet(group.keep))
    with pytest.raises(AccessDeniedError, match="may not score for participant 'p1'"):
        appraisals.record_scores(group.store, group.chris, record.slug, "p1", full_sheet(group.keep))
    # the facilitator scores for a seat nobody took (one device in the room)
    state = appraisals.record_scores(group.store, group.chris, record.slug, "p2", full_sheet(group.close, 8))
    assert len(state.appraisal.scores) == 4


def test_only_the_facilitator_changes_declarations_and_each_change_is_recorded(group: Group) -> None:
    record = opened(group)
    appraisals.take_seat(group.store, group.sam, record.slug, "p1")
    with pytest.raises(AccessDeniedError, match="not allowed to run"):
        appraisals.declare(group.store, group.sam, record.slug, "p1", [])
    with pytest.raises(AccessDeniedError, match="not allowed to run"):
        appraisals.change_setup(group.store, group.pat, record.slug, lambda a: set_weight(a, "cost", 3))
    appraisals.record_scores(group.store, group.chris, record.slug, "p2", full_sheet(group.close))
    state = appraisals.declare(group.store, group.chris, record.slug, "p2", ["S03"])
    assert not state.appraisal.scores  # Pat's scores of the option closing S03 are now barred and gone
    assert [(d.participant_id, d.before, d.after, d.changed_by) for d in state.declarations] == [
        ("p2", (), ("S03",), "chris")]
    state = appraisals.declare(group.store, group.chris, record.slug, "p1", [])
    assert state.declarations[-1].before == ("S03",) and state.declarations[-1].after == ()
    exported = appraisals.export(state)
    assert exported["declaration_changes"][0]["changed_by"] == "chris"
    assert exported["seats"] == {"p1": "sam"}


def test_visibility_is_as_for_scenarios(group: Group) -> None:
    record = opened(group, "draft")
    with pytest.raises(AccessDeniedError):
        appraisals.find_by_code(group.store, group.sam, record.join_code)
    assert record.slug not in {r.slug for r in appraisals.appraisals(group.store, group.sam)}
    appraisals.set_visibility(group.store, group.chris, record.slug, "group")
    assert record.slug in {r.slug for r in appraisals.appraisals(group.store, group.sam)}
    with pytest.raises(AccessDeniedError):
        appraisals.take_seat(group.store, group.vic, record.slug, "p2")
    with pytest.raises(AccessDeniedError):
        appraisals.open_appraisal(group.store, group.sam, "Mine", new_appraisal((), ()))
    appraisals.delete_appraisal(group.store, group.chris, record.slug)
    assert record.slug not in {r.slug for r in appraisals.appraisals(group.store, group.chris)}


def test_bad_codes_are_refused_plainly(group: Group) -> None:
    with pytest.raises(PlannerInputError, match="expected 6 letters and digits"):
        appraisals.find_by_code(group.store, group.sam, "K0")
    with pytest.raises(PlannerInputError, match="there is no appraisal"):
        appraisals.find_by_code(group.store, group.sam, "ZZZZZZ")
