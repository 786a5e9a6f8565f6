"""The scenario bar on a shared scenario: others save a copy, the author names co-editors, sees who changed
what, and publishes the version open in the bar."""

from __future__ import annotations

from dashboard import ids
from dashboard.scenario_bar import BarInput, changes_view, record_state, run_action
from dashboard.store_access import store_for, store_url
from tests.support.callback_client import text_of
from tests.support.saved_scenarios import PASSWORD, Saved


def test_a_planner_who_is_not_a_co_editor_saves_a_copy_and_the_author_sees_changes(saved: Saved) -> None:
    store = store_for(store_url(saved.app.server.config["DSP_SETTINGS"]))
    pia = store.create_user("pia", PASSWORD, "planner")
    state = record_state(store.scenario(pia, saved.six), 1, pia)
    assert state["can_edit"] is False
    copied = run_action(ids.SCENARIO_SAVE, store, pia, BarInput(state=state, plan=saved.plan))
    assert "saved as a new scenario of your own" in str(copied.message)
    assert isinstance(copied.state, dict) and copied.state["author"] == "pia"
    assert store.scenario(saved.pat, saved.six).current_version == 1  # theirs is unchanged

    author_state = record_state(store.scenario(saved.pat, saved.six), 1, saved.pat)
    added = run_action(ids.SCENARIO_EDITOR_ADD, store, saved.pat,
                       BarInput(state=author_state, plan=saved.plan, editor_name="pia"))
    assert "pia can now save new versions" in str(added.message)
    state = record_state(store.scenario(pia, saved.six), 1, pia)
    saved_again = run_action(ids.SCENARIO_SAVE, store, pia, BarInput(state=state, plan=saved.plan))
    assert saved_again.message == "Saved as version 2."
    renamed = run_action(ids.SCENARIO_RENAME, store, pia, BarInput(state=state, plan=saved.plan, title="Six hubs v2"))
    assert "Renamed" in str(renamed.message)
    shown = text_of(changes_view(store, saved.pat, record_state(store.scenario(saved.pat, saved.six), 2, saved.pat)))
    assert "pia renamed it (Six hubs to Six hubs v2)" in shown and "pia saved version 2" in shown
    assert changes_view(store, pia, state) is None  # only the author (and admins) see the list


def test_publishing_from_the_bar_publishes_the_version_open_in_it(saved: Saved) -> None:
    store = store_for(store_url(saved.app.server.config["DSP_SETTINGS"]))
    slug = saved.four
    store.save(saved.pat, slug, store.open_version(saved.pat, slug).content, base_version=1, message="later")
    state = record_state(store.scenario(saved.pat, slug), 1, saved.pat)  # version 1 is open in the bar
    outcome = run_action(ids.SCENARIO_VISIBILITY, store, saved.pat,
                         BarInput(state=state, plan=saved.plan, visibility="public"))
    assert "Version 1 is now public" in str(outcome.message) and "Every other version is still" in str(outcome.message)
    assert store.scenario(None, slug).published_version == 1
    assert [v.version for v in store.versions(None, slug)] == [1]
