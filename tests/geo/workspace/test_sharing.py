"""Shared scenarios: only the author and named co-editors change them, the author sees who changed what,
publishing publishes one chosen version, and stores made before all this upgrade without loss."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from geo.errors import PlannerInputError
from geo.scenarios import Hub, ScenarioContent
from geo.workspace.accounts import AccessDeniedError, Role, User
from geo.workspace.store import ScenarioNotFoundError, ScenarioStore, engine_for, init_store, upgrade_database

PASSWORD = "correct horse battery"


def content(notes: str) -> ScenarioContent:
    return ScenarioContent(dataset_version="demo", assumptions_version="default", notes=notes,
                           hubs=(Hub("H1", "Riverside hub", 452_000.0, 231_000.0),))


@dataclass(frozen=True)
class People:
    store: ScenarioStore
    alice: User  # planner, the author
    bob: User  # planner in the steering group
    sam: User  # viewer in the steering group
    ada: User  # admin


@pytest.fixture
def people(store_url: str) -> Iterator[People]:
    with init_store(store_url) as store:
        yield People(store, store.create_user("alice", PASSWORD, Role.PLANNER),
                     store.create_user("bob", PASSWORD, Role.PLANNER),
                     store.create_user("sam", PASSWORD, Role.VIEWER, steering_group=True),
                     store.create_user("ada", PASSWORD, Role.ADMIN))


def test_only_the_author_and_named_co_editors_save_or_rename_a_group_paper(people: People) -> None:
    store, alice, bob = people.store, people.alice, people.bob
    slug = store.create_scenario(alice, "Group paper", content("one"), visibility="group").scenario.slug
    with pytest.raises(AccessDeniedError, match="only its author and co-editors may: save a copy instead"):
        store.save(bob, slug, content("bob's"), base_version=1)
    with pytest.raises(AccessDeniedError):
        store.rename(bob, slug, "Bob's now")
    copy = store.duplicate(bob, slug, title="Bob's copy")  # he may always save a copy of his own
    assert copy.scenario.author == "bob" and store.scenario(alice, slug).current_version == 1
    store.set_editor(alice, slug, "bob", editor=True)
    assert store.scenario(alice, slug).editors == ("bob",)
    assert store.save(bob, slug, content("two"), base_version=1).version == 2
    store.set_editor(alice, slug, "bob", editor=False)
    with pytest.raises(AccessDeniedError):
        store.save(bob, slug, content("three"), base_version=2)
    with pytest.raises(PlannerInputError, match="not a planner"):
        store.set_editor(alice, slug, "sam", editor=True)
    with pytest.raises(AccessDeniedError, match="not allowed to delete or share"):
        store.set_editor(bob, slug, "bob", editor=True)  # only the author names co-editors


def test_the_author_sees_who_else_changed_what_renames_included(people: People) -> None:
    store, alice, bob = people.store, people.alice, people.bob
    slug = store.create_scenario(alice, "Before", content("one"), visibility="group").scenario.slug
    store.set_editor(alice, slug, "bob", editor=True)
    store.save(bob, slug, content("two"), base_version=1, message="moved the hub")
    store.rename(bob, slug, "After")
    store.save(alice, slug, content("three"), base_version=2)
    changes = [(change.who, change.what) for change in store.changes(alice, slug)]
    assert changes == [("bob", "renamed it (Before to After)"), ("bob", "saved version 2 (moved the hub)")]
    assert store.changes(people.ada, slug)  # admins too
    with pytest.raises(AccessDeniedError):
        store.changes(bob, slug)


def test_publishing_publishes_one_chosen_version_and_earlier_drafts_stay_as_they_were(people: People) -> None:
    store, alice = people.store, people.alice
    slug = store.create_scenario(alice, "Draft then public", content("draft note: close Eastwick")).scenario.slug
    store.save(alice, slug, content("for the public"), base_version=1)
    store.save(alice, slug, content("later draft"), base_version=2)
    record = store.set_visibility(alice, slug, "public", version=2)
    assert (record.visibility, record.published_version, record.audience) == ("public", 2, "draft")
    for outsider in (None, people.bob, people.sam):
        assert store.open_version(outsider, slug).content.notes == "for the public"  # the newest they may see
        assert [v.version for v in store.versions(outsider, slug)] == [2]
        assert store.scenario(outsider, slug).current_version == 2
        for draft in (1, 3):
            with pytest.raises(ScenarioNotFoundError):
                store.open_version(outsider, slug, draft)
    assert store.open_version(alice, slug).version == 3  # the author still sees everything
    assert store.open_version(alice, slug, 1).visibility == "draft"
    assert store.open_version(alice, slug, 2).visibility == "public"
    store.set_visibility(alice, slug, "draft")
    with pytest.raises(ScenarioNotFoundError):
        store.open_version(None, slug)


def test_a_store_made_before_co_editors_and_publishing_upgrades_without_loss(store_url: str) -> None:
    engine = engine_for(store_url)
    upgrade_database(engine, revision="0002_follow_sessions")
    engine.dispose()
    old = ScenarioStore(engine_for(store_url))  # the old schema, written as the old code wrote it
    with old.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, username, password_hash, role, steering_group, created_at) "
                                "VALUES (1, 'alice', 'scrypt:32768:8:1$x$y', 'planner', true, '2026-01-01')"))
        for scenario_id, visibility in ((1, "public"), (2, "group"), (3, "draft")):
            connection.execute(text(
                "INSERT INTO scenarios (id, slug, title, author_id, visibility, current_version, created_at, "
                "updated_at) VALUES (:id, :slug, :title, 1, :visibility, 2, '2026-01-01', '2026-01-02')"),
                {"id": scenario_id, "slug": f"s{scenario_id}", "title": f"Plan {scenario_id}",
                 "visibility": visibility})
            for version in (1, 2):
                connection.execute(text(
                    "INSERT INTO scenario_versions (scenario_id, version, content, author_id, created_at, message) "
                    "VALUES (:id, :version, :content, 1, '2026-01-01', '')"),
                    {"id": scenario_id, "version": version,
                     "content": _json(content(f"plan {scenario_id} v{version}"))})
    old.close()
    with init_store(store_url) as store:  # upgrade head, as the app does at start
        alice = store.user("alice")
        for slug, visibility, published in (("s1", "public", 2), ("s2", "group", None), ("s3", "draft", None)):
            record = store.scenario(alice, slug)
            assert (record.visibility, record.published_version, record.title) == (visibility, published,
                                                                                    f"Plan {slug[1]}")
            assert [store.open_version(alice, slug, v).content.notes for v in (1, 2)] == [
                f"plan {slug[1]} v1", f"plan {slug[1]} v2"]
        assert store.open_version(None, "s1").content.notes == "plan 1 v2"  # still public
        with pytest.raises(ScenarioNotFoundError):
            store.open_version(None, "s1", 1)  # an earlier draft is no longer published with it


def _json(value: ScenarioContent) -> str:
    from geo.scenarios import scenario_to_json

    return scenario_to_json(dataclasses.replace(value))


def test_a_room_following_a_draft_of_a_published_scenario_hides_it_from_outsiders(people: People) -> None:
    from geo.workspace.follow import open_room, viewer_state

    store, alice = people.store, people.alice
    slug = store.create_scenario(alice, "Shown", content("draft")).scenario.slug
    store.save(alice, slug, content("public"), base_version=1)
    store.set_visibility(alice, slug, "public", version=2)
    code = open_room(store, alice, scenario=slug, version=1).room_code
    assert viewer_state(store, None, code).hidden
    assert not viewer_state(store, alice, code).hidden
