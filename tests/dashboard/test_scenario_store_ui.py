"""The scenario bar: save, save as, the save conflict, restore, rename, delete and the scenario URLs.

Driven through Dash's callback endpoint with Flask's test client (as a browser would), and
through the bar's action function called directly inside a request.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dashboard import ids
from dashboard.auth import current_user
from dashboard.planning_panel import initial_plan
from dashboard.scenario_bar import BarInput, heading_text, parse_address, run_action, scenario_address
from dashboard.store_access import scenario_store
from geo.errors import PlannerError
from tests.support.callback_client import post_callback

ACT = f"{ids.SCENARIO_CONFLICT}.is_open"
LOAD = f"{ids.SCENARIO_RELEASE_NOTE}.value"




@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return initial_plan()


def renamed(plan: dict[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(plan)
    changed["hubs"][0]["name"] = name
    return changed


def act(client, button: str, *, state: dict[str, Any] | None, plan: dict[str, Any], **fields: Any):  # type: ignore[no-untyped-def]
    values = {f"{button}.n_clicks": 1, f"{ids.SCENARIO}.data": state, f"{ids.PLAN}.data": plan,
              f"{ids.SCENARIO_VISIBILITY}.value": fields.pop("visibility", "draft")}
    values.update({f"{key}.value": value for key, value in fields.items()})
    status, response = post_callback(client, ACT, values, triggered=f"{button}.n_clicks")
    assert status == 200, response
    return response


def load(client, pathname: str, search: str = "", state: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    values = {f"{ids.URL}.pathname": pathname, f"{ids.URL}.search": search, f"{ids.SCENARIO}.data": state}
    return post_callback(client, LOAD, values, triggered=f"{ids.URL}.pathname")


def message(response: dict[str, Any]) -> str:
    return str(response.get(ids.SCENARIO_MESSAGE, {}).get("children"))


def test_save_then_save_again_makes_versions_and_sets_the_address(app, plan) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    first = act(client, ids.SCENARIO_SAVE, state=None, plan=plan, **{ids.SCENARIO_TITLE: "Six hubs",
                                                                      ids.SCENARIO_NOTES: "Agreed in March"})
    state = first[ids.SCENARIO]["data"]
    assert (state["title"], state["version"], state["current_version"]) == ("Six hubs", 1, 1)
    assert first[ids.URL] == {"pathname": f"/scenario/{state['slug']}", "search": "?version=1"}
    assert "Saved as a new scenario" in message(first)
    second = act(client, ids.SCENARIO_SAVE, state=state, plan=renamed(plan, "Market hall hub"),
                 **{ids.SCENARIO_CHANGE_NOTE: "moved to the market hall"})
    assert second[ids.SCENARIO]["data"]["version"] == 2 and "version 2" in message(second)
    with app.server.test_request_context("/"):
        history = scenario_store().versions(current_user(), state["slug"])
        newest = scenario_store().open_version(current_user(), state["slug"])
        first_version = scenario_store().open_version(current_user(), state["slug"], 1)
    assert first_version.content.notes == "Agreed in March"  # notes typed in the bar are saved with the plan
    assert [v.message for v in history] == ["Created", "moved to the market hall"]
    assert newest.content.hubs[0].name == "Market hall hub"
    assert newest.content.notes == "" and history[0].version == 1


def test_the_second_saver_gets_a_clear_conflict_and_loses_nothing(app, plan) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    saved = act(client, ids.SCENARIO_SAVE, state=None, plan=plan, **{ids.SCENARIO_TITLE: "Shared plan"})
    opened = saved[ids.SCENARIO]["data"]  # both planners opened version 1
    act(client, ids.SCENARIO_SAVE, state=opened, plan=renamed(plan, "Planner A hub"))
    theirs = act(client, ids.SCENARIO_SAVE, state=opened, plan=renamed(plan, "Planner B hub"))
    conflict = theirs[ids.SCENARIO_CONFLICT_TEXT]["children"]
    assert theirs[ids.SCENARIO_CONFLICT]["is_open"] is True
    assert conflict.startswith("Scenario 'Shared plan' was saved as version 2 by local at")
    assert "while you were editing version 1" in conflict
    assert "Your plan is still here" in message(theirs)
    assert ids.URL not in theirs and ids.PLAN not in theirs  # the plan in the browser is untouched
    assert theirs[ids.SCENARIO]["data"]["current_version"] == 2
    kept = act(client, ids.SCENARIO_CONFLICT_SAVE_AS, state=theirs[ids.SCENARIO]["data"],
               plan=renamed(plan, "Planner B hub"), visibility="group")
    copy_state = kept[ids.SCENARIO]["data"]
    assert copy_state["title"] == "Shared plan (my version)" and copy_state["visibility"] == "group"
    with app.server.test_request_context("/"):
        store, user = scenario_store(), current_user()
        assert store.open_version(user, opened["slug"]).content.hubs[0].name == "Planner A hub"
        assert store.open_version(user, copy_state["slug"]).content.hubs[0].name == "Planner B hub"


def test_restoring_an_old_version_opens_it_as_the_newest(app, plan) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    state = act(client, ids.SCENARIO_SAVE, state=None, plan=plan,
                **{ids.SCENARIO_TITLE: "Restorable"})[ids.SCENARIO]["data"]
    state = act(client, ids.SCENARIO_SAVE, state=state, plan=renamed(plan, "Later hub"))[ids.SCENARIO]["data"]
    restored = act(client, ids.SCENARIO_RESTORE, state=state, plan=plan, **{ids.SCENARIO_VERSION_PICK: 1})
    assert restored[ids.URL] == {"pathname": f"/scenario/{state['slug']}", "search": "?version=3"}
    assert restored[ids.SCENARIO]["data"] is None  # forget what was open, so the loader opens it afresh
    status, loaded = load(client, restored[ids.URL]["pathname"], restored[ids.URL]["search"])
    assert status == 200
    assert loaded[ids.PLAN]["data"]["hubs"][0]["name"] == plan["hubs"][0]["name"]
    assert loaded[ids.PLAN_HISTORY]["data"] == {"past": [], "future": []}
    assert loaded[ids.SCENARIO]["data"]["version"] == 3
    assert "Version 1 restored as version 3" in message(restored)


def test_scenario_addresses_open_the_newest_or_a_chosen_version(app, plan) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    state = act(client, ids.SCENARIO_SAVE, state=None, plan=plan, **{ids.SCENARIO_TITLE: "Addressed",
                                                                      ids.SCENARIO_RELEASE_NOTE: "After 12 May"})
    state = state[ids.SCENARIO]["data"]
    act(client, ids.SCENARIO_SAVE, state=state, plan=renamed(plan, "Second version hub"))
    path, _ = scenario_address(state["slug"])
    _, newest = load(client, path)
    assert newest[ids.SCENARIO]["data"]["version"] == 2
    assert newest[ids.PLAN]["data"]["hubs"][0]["name"] == "Second version hub"
    _, first = load(client, path, "?version=1")
    assert first[ids.PLAN]["data"]["hubs"][0]["name"] == plan["hubs"][0]["name"]
    assert first[ids.SCENARIO_RELEASE_NOTE]["value"] == "After 12 May"
    assert heading_text(first[ids.SCENARIO]["data"]).startswith("Addressed: version 1 of 2")
    # Already open (just saved): nothing reloads, so undo history survives a save.
    assert load(client, path, "?version=2", state={**state, "version": 2})[1] == {}
    _, missing = load(client, "/scenario/no-such-plan")
    assert "scenario 'no-such-plan': there is no such scenario" in message(missing) and ids.PLAN not in missing
    _, bad = load(client, path, "?version=two")
    assert "versions are numbered" in message(bad)
    assert client.get(path).status_code == 200  # the page itself: the planner, with the scenario loaded by callback


@pytest.mark.parametrize(("pathname", "search", "expected"), [
    ("/", "", None),
    ("/compare", "", None),
    ("/scenario/six-hubs-ab12cd", "", ("six-hubs-ab12cd", None)),
    ("/scenario/six-hubs-ab12cd/", "?version=3", ("six-hubs-ab12cd", 3)),
    ("/scenario/a/b", "", None),
    ("/scenario", "", None),
])
def test_parse_address(pathname: str, search: str, expected: object) -> None:
    assert parse_address(pathname, search) == expected


@pytest.mark.parametrize("search", ["?version=0", "?version=-1", "?version=1.5"])
def test_parse_address_refuses_bad_versions(search: str) -> None:
    with pytest.raises(PlannerError, match="versions are numbered"):
        parse_address("/scenario/x", search)


def test_rename_duplicate_visibility_delete_and_undelete(app, plan) -> None:  # type: ignore[no-untyped-def]
    with app.server.test_request_context("/"):
        store, user = scenario_store(), current_user()

        def do(action: str, state: dict[str, Any] | None, **fields: Any):  # type: ignore[no-untyped-def]
            return run_action(action, store, user, BarInput(state=state, plan=plan, **fields))

        state = do(ids.SCENARIO_SAVE_AS, None, title="Before").state
        assert isinstance(state, dict)
        renamed_state = do(ids.SCENARIO_RENAME, state, title="After").state
        assert renamed_state["title"] == "After" and renamed_state["slug"] == state["slug"]  # type: ignore[index]
        copied = do(ids.SCENARIO_DUPLICATE, state)
        assert copied.state is None and copied.address is not None and copied.address[1] == "?version=1"
        assert store.scenario(user, copied.address[0].rsplit("/", 1)[1]).title == "Copy of After"
        shared = do(ids.SCENARIO_VISIBILITY, state, visibility="public")
        assert shared.state["visibility"] == "public" and "anyone can read it" in str(shared.message)  # type: ignore[index]
        assert do(ids.SCENARIO_VISIBILITY, shared.state, visibility="public").message is None  # type: ignore[arg-type]
        deleted = do(ids.SCENARIO_DELETE, state)
        assert deleted.state["deleted"] is True  # type: ignore[index]
        assert state["slug"] in [r.slug for r in store.scenarios(user, deleted=True)]
        back = do(ids.SCENARIO_UNDELETE, deleted.state)  # type: ignore[arg-type]
        assert back.state["deleted"] is False and "back, with all its versions" in str(back.message)  # type: ignore[index]
        with pytest.raises(PlannerError, match="Save the plan first"):
            do(ids.SCENARIO_RENAME, None, title="x")
