"""Present mode and follow mode: one click between scenarios, the room, and what each viewer may see."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from dashboard import ids, words
from dashboard.present_page import (
    VIEWS,
    choose,
    follow_view,
    followed,
    from_room_view,
    mark_pressed,
    next_state,
    open_or_close_room,
    poll_room,
    present_view,
    room_view,
    shown,
    stage_outputs,
)
from dashboard.store_access import scenario_store
from geo.workspace import follow
from geo.workspace.store import NOT_FOUND_WORDS as NOT_YOURS
from tests.support.callback_client import text_of
from tests.support.saved_scenarios import SECRET_HUB, Saved


@contextmanager
def clicked(component_id: str | dict[str, Any]) -> Iterator[None]:
    """Make ``dash.ctx`` report a click on ``component_id``, as Dash does inside a callback."""
    name = component_id if isinstance(component_id, str) else json.dumps(component_id, sort_keys=True,
                                                                           separators=(",", ":"))
    prop_id = f"{name}.n_clicks"
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": 1}]))
    try:
        yield
    finally:
        context_value.reset(token)


def state_for(saved: Saved) -> dict[str, Any]:
    return {"keys": [saved.six, saved.four, saved.north], "titles": ["Six hubs", "Four hubs", "Two moved north"],
            "index": 0, "view": "map", "mode": "drive", "room": None}


# ----------------------------------------------------------------------------- pure parts


def test_buttons_move_between_scenarios_views_and_modes() -> None:
    state = {"keys": ["a", "b"], "titles": ["A", "B"], "index": 0, "view": "map", "mode": "drive", "room": None}
    assert next_state(state, {"type": ids.PRESENT_SCENARIO, "index": 1})["index"] == 1
    assert next_state(state, {"type": ids.PRESENT_SCENARIO, "index": 5}) == state  # no such scenario
    assert next_state(state, {"type": ids.PRESENT_VIEW, "view": "spend"})["view"] == "spend"
    assert next_state(state, {"type": ids.PRESENT_VIEW, "view": "edit"}) == state
    assert next_state(state, {"type": ids.PRESENT_MODE, "mode": "bus"})["mode"] == "bus"
    assert room_view("groups", "walk") == "groups-walk"
    assert from_room_view("groups-walk") == ("groups", "walk")
    assert from_room_view("nonsense") == ("map", "drive")
    assert shown("k", "weird", "rocket") == {"key": "k", "view": "map", "mode": "drive", "note": None}


def test_pressed_buttons_are_marked_for_eyes_and_screen_readers() -> None:
    state = {"keys": ["a", "b", "c"], "titles": ["A", "B", "C"], "index": 2, "view": "groups", "mode": "walk"}
    classes, pressed, view_classes, view_pressed, _, mode_pressed = mark_pressed(state)
    assert pressed == ["false", "false", "true"] and classes[2].endswith(" active")
    assert view_pressed == ["true" if v == "groups" else "false" for v in VIEWS]
    assert "active" in view_classes[list(VIEWS).index("groups")]
    assert mode_pressed == ["false", "false", "true"]


# ----------------------------------------------------------------------------- present mode


def test_present_mode_is_read_only_and_shows_the_first_scenario(saved: Saved) -> None:
    with saved.request(saved.pat):
        page = text_of(present_view({"ids": f"{saved.six},{saved.four},current,no-such-slug"}))
    assert "Six hubs" in page and "Four hubs" in page and "present-tiles" in page
    assert "save it first" in page and "scenario 'no-such-slug': there is no such scenario" in page
    for editing in ('"type": "Input"', '"type": "Dropdown"', "Textarea", "Upload", "RadioItems"):
        assert editing not in page
    with saved.request(saved.pat):
        chooser = text_of(present_view({}))
    assert ids.PRESENT_PICKER in chooser and "Start presenting" in chooser


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_shows_its_figures(saved: Saved, view: str) -> None:
    with saved.request(saved.pat):
        title, figure, hidden, body = stage_outputs(shown(saved.four, view, "bus"))
    text = text_of(body)
    assert "Four hubs" in text_of(title) and "Public transport" in text_of(title)  # the demo has a timetable
    assert hidden == (view != "map")
    if view == "map":
        towns, hubs = figure["data"][-2:]  # hubs last, so no town's name hides a hub's letter
        assert hubs["text"] == ["A", "B", "C", "D"] and "Average journey" in text  # the hubs keep their letters
        assert towns["mode"] == "text" and "Kingsmere" in towns["text"] and "height" not in figure["layout"]
    elif view == "groups":
        assert figure is no_update and "Black and minority ethnic people" in text
    else:
        assert "Gini" in text and figure is no_update


def test_the_gini_is_written_as_the_planner_writes_it(saved: Saved) -> None:
    with saved.request(saved.pat):
        *_, body = stage_outputs(shown(saved.four, "spend", "drive"))
    assert re.search(rf"{words.GINI_SPEND}: [01]\.\d{{3}} \(", text_of(body))  # "0.087", as the Money tab


def test_one_click_publishes_to_the_room_and_followers_see_it(saved: Saved) -> None:
    state = state_for(saved)
    with saved.request(saved.pat), clicked(ids.PRESENT_FOLLOW_START):
        opened, room_text, stop_hidden, start_hidden = open_or_close_room(1, None, state)
    code = opened["room"]
    assert (stop_hidden, start_hidden) == (False, True) and code in text_of(room_text)
    with saved.request(saved.pat), clicked({"type": ids.PRESENT_SCENARIO, "index": 2}):
        new_state, new_shown, status = choose([0, 0, 1], [0, 0, 0], [0, 0, 0], opened)
    assert new_state["index"] == 2 and new_shown["key"] == saved.north and status is None
    with saved.request(saved.pat):
        room = follow.room_state(scenario_store(), code)
        assert (room.scenario, room.view, room.sequence) == (saved.north, "map-drive", 2)
        with clicked({"type": ids.PRESENT_VIEW, "view": "groups"}):
            choose([0, 0, 1], [0, 1, 0], [0, 0, 0], new_state)
        assert follow.room_state(scenario_store(), code).view == "groups-drive"
    with saved.request(saved.vic):
        seen = followed(code)
        assert seen == shown(saved.north, "groups", "drive")
        page = text_of(follow_view({"path": f"/follow/{code}"}))
        assert "Two moved north" in page and "Who is reached" in page
        outputs = poll_room(5, code, seen)
    assert outputs == (no_update,) * 5  # nothing new: nothing sent
    with saved.request(saved.pat), clicked(ids.PRESENT_FOLLOW_STOP):
        closed, _message, stop_hidden, start_hidden = open_or_close_room(1, 1, new_state)
    assert closed["room"] is None and (stop_hidden, start_hidden) == (True, False)
    with saved.request(saved.vic):
        assert "has ended" in followed(code)["note"]


def test_a_follower_never_sees_a_scenario_they_may_not_open(saved: Saved) -> None:
    with saved.request(saved.pat):
        code = follow.open_room(scenario_store(), saved.pat, scenario=saved.six).room_code
    with saved.request(saved.vic):
        page = text_of(follow_view({"path": f"/follow/{code}"}))
        outputs = poll_room(1, code, shown(saved.north))
    assert "do not have permission" in page
    assert SECRET_HUB not in page and "Six hubs" not in page and saved.six not in page
    assert outputs[0]["key"] is None and "do not have permission" in text_of(outputs[1])
    assert SECRET_HUB not in text_of(outputs) and saved.six not in text_of(outputs)


def test_a_forged_state_cannot_show_a_confidential_scenario(saved: Saved) -> None:
    with saved.request(saved.vic):
        title, _, hidden, body = stage_outputs(shown(saved.six))
    assert hidden and "cannot be shown" in text_of(title) and NOT_YOURS in text_of(body)
    assert SECRET_HUB not in text_of(body)


def test_unknown_and_ended_rooms_are_explained(saved: Saved) -> None:
    with saved.request(saved.pat):
        code = follow.open_room(scenario_store(), saved.pat).room_code
        assert "Waiting for the presenter" in followed(code)["note"]
        follow.close_room(scenario_store(), saved.pat, code)
        assert "has ended" in followed(code)["note"]
        assert "there is no room" in followed("ZZZZZZ")["note"]
        assert "room code" in text_of(follow_view({"path": "/follow"}))
