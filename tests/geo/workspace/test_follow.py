"""Tests for geo.workspace.follow: rooms, publishing, what each viewer may see, and the migration."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect

from geo.errors import PlannerInputError
from geo.scenarios import Hub, ScenarioContent
from geo.workspace.accounts import AccessDeniedError, User
from geo.workspace.follow import (
    ROOM_CODE_ALPHABET,
    ROOM_CODE_CHARS,
    ROOM_LIFETIME,
    check_room_code,
    close_room,
    open_room,
    publish,
    room_state,
    viewer_state,
)
from geo.workspace.store import ScenarioNotFoundError, ScenarioStore, init_store, sqlite_url

PASSWORD = "correct horse battery"


def content(label: str) -> ScenarioContent:
    return ScenarioContent(dataset_version="demo", assumptions_version="default",
                           hubs=(Hub("H1", f"{label} hub", 400_000, 300_000),))


@dataclass(frozen=True)
class Room:
    store: ScenarioStore
    alice: User  # presenter: planner in the steering group
    sam: User  # viewer in the steering group
    vic: User  # viewer outside the steering group
    group_slug: str  # confidential steering-group scenario
    public_slug: str


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    """One store with three accounts for the module (password hashing is slow on purpose)."""
    store = init_store(sqlite_url(tmp_path_factory.mktemp("follow")))
    alice = store.create_user("alice", PASSWORD, "planner")
    sam = store.create_user("sam", PASSWORD, "viewer", steering_group=True)
    vic = store.create_user("vic", PASSWORD, "viewer", steering_group=False)
    group = store.create_scenario(alice, "Six hubs", content("six"), visibility="group")
    public = store.create_scenario(alice, "Four hubs", content("four"), visibility="public")
    yield Room(store, alice, sam, vic, group.scenario.slug, public.scenario.slug)
    store.close()


def test_publishing_moves_the_room_on_and_viewers_see_it(room: Room) -> None:
    opened = open_room(room.store, room.alice, scenario=room.public_slug)
    assert len(opened.room_code) == ROOM_CODE_CHARS
    assert set(opened.room_code) <= set(ROOM_CODE_ALPHABET)
    assert (opened.scenario, opened.view, opened.sequence) == (room.public_slug, "map", 1)
    moved = publish(room.store, room.alice, opened.room_code, scenario=room.group_slug, view="groups")
    assert (moved.scenario, moved.view, moved.sequence) == (room.group_slug, "groups", 2)
    again = publish(room.store, room.alice, opened.room_code.lower(), scenario=room.group_slug,
                    version=1, view="groups")
    assert again.sequence == 3 and again.version == 1
    seen = viewer_state(room.store, room.sam, opened.room_code)
    assert (seen.scenario, seen.version, seen.view, seen.hidden) == (room.group_slug, 1, "groups", False)


def test_a_viewer_never_learns_a_scenario_they_may_not_open(room: Room) -> None:
    code = open_room(room.store, room.alice, scenario=room.group_slug).room_code
    for viewer in (room.vic, None):
        hidden = viewer_state(room.store, viewer, code)
        assert hidden.hidden and hidden.scenario is None and hidden.version is None
        assert hidden.view == "map" and hidden.sequence == 1
    publish(room.store, room.alice, code, scenario=room.public_slug, view="map")
    shown = viewer_state(room.store, room.vic, code)
    assert not shown.hidden and shown.scenario == room.public_slug


def test_only_the_presenter_publishes_and_only_what_they_may_open(room: Room) -> None:
    code = open_room(room.store, room.alice).room_code
    with pytest.raises(AccessDeniedError, match="only the person who opened it"):
        publish(room.store, room.sam, code, scenario=room.public_slug)
    with pytest.raises(AccessDeniedError, match="anonymous"):
        publish(room.store, None, code, scenario=room.public_slug)
    vics_room = open_room(room.store, room.vic).room_code
    with pytest.raises(ScenarioNotFoundError, match="no such scenario or version that you may open"):
        publish(room.store, room.vic, vics_room, scenario=room.group_slug)
    with pytest.raises(AccessDeniedError, match="anonymous"):
        open_room(room.store, None)
    assert room_state(room.store, code).sequence == 1  # nothing refused was written


def test_closed_and_stale_rooms_have_ended(room: Room) -> None:
    state = open_room(room.store, room.alice)
    later = state.updated_at + ROOM_LIFETIME + timedelta(minutes=1)
    assert room_state(room.store, state.room_code).sequence == 1
    with pytest.raises(PlannerInputError, match="has ended"):
        room_state(room.store, state.room_code, now=later)
    with pytest.raises(AccessDeniedError, match="not allowed to close"):
        close_room(room.store, room.sam, state.room_code)
    close_room(room.store, room.alice, state.room_code)
    with pytest.raises(PlannerInputError, match="has ended"):
        viewer_state(room.store, room.sam, state.room_code)


@pytest.mark.parametrize(("code", "match"), [
    ("", "expected 6 letters"), ("ABC12", "expected 6 letters"), ("ABCDE0", "no 0, O, 1 or I"),
    ("ABCDEFG", "expected 6 letters"), (123456, "expected text"),
])
def test_bad_room_codes_are_refused(code: object, match: str) -> None:
    with pytest.raises(PlannerInputError, match=match):
        check_room_code(code)


def test_room_codes_are_read_forgivingly(room: Room) -> None:
    assert check_room_code(" k7m-q2p ") == "K7MQ2P"
    with pytest.raises(PlannerInputError, match="there is no room K7MQ2P"):
        room_state(room.store, "k7mq2p")


@pytest.mark.parametrize("view", ["", "Map", "map view", "x" * 21, None])
def test_bad_views_are_refused(room: Room, view: object) -> None:
    code = open_room(room.store, room.alice).room_code
    with pytest.raises(PlannerInputError, match="view"):
        publish(room.store, room.alice, code, scenario=None, view=view)  # type: ignore[arg-type]


def test_the_migration_adds_the_table_on_both_backends(store_url: str) -> None:
    with init_store(store_url) as store:
        alice = store.create_user("alice", PASSWORD, "planner")
        code = open_room(store, alice).room_code
        assert room_state(store, code).presenter_id == alice.user_id
    engine = create_engine(store_url)
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("follow_sessions")}
    engine.dispose()
    assert {"room_code", "presenter_id", "scenario", "version", "view", "sequence"} <= columns
