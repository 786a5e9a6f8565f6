"""Tests for geo.workspace.store on SQLite and on a real PostgreSQL server started by the tests."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from geo.errors import PlannerError, PlannerInputError
from geo.money import PlanMoney
from geo.scenarios import Hub, OutreachPoint, ScenarioContent
from geo.workspace import appraisals as _appraisals  # noqa: F401  (its tables join the metadata)
from geo.workspace.accounts import AccessDeniedError, Role, User
from geo.workspace.store import (
    MIGRATIONS_DIR,
    Base,
    SaveConflictError,
    ScenarioNotFoundError,
    ScenarioStore,
    init_store,
    sqlite_url,
)
from tests.support.paths import PROJECT_ROOT

PASSWORD = "correct horse battery"


def content(label: str, *, n_hubs: int = 2) -> ScenarioContent:
    return ScenarioContent(
        dataset_version="demo-2026-11",
        assumptions_version="assumptions-v1",
        hubs=tuple(
            Hub(f"H{i}", f"{label} hub {i}", 400_000 + 1000 * i, 300_000, locked=i == 0,
                capacity_places=40 + i,
                outreach_points=(OutreachPoint(f"{label} room {i}", 401_000, 299_000 + i),))
            for i in range(n_hubs)
        ),
        service_decisions={"S01": "keep", "S02": "decommission"},
        money=PlanMoney(direct_payments_gbp=250_000.0, ips_specialists_fte=8),
        assumptions={"ips_job_rate": 0.4, "label": label},
        notes=f"{label} notes",
    )


@dataclass(frozen=True)
class World:
    store: ScenarioStore
    alice: User  # planner, steering group
    bob: User  # planner, steering group
    olga: User  # planner outside the steering group
    sam: User  # viewer in the steering group (a service user)
    vic: User  # viewer outside the steering group
    ada: User  # admin


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One store per backend with six accounts, shared by the module's tests for speed."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("store"))
        drop = None
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.create_database()
        url, drop = server.url(name), name
    store = init_store(url)
    made = {name: store.create_user(name, PASSWORD, role, steering_group=member)
            for name, role, member in [("alice", "planner", True), ("bob", "planner", True),
                                       ("olga", "planner", False), ("sam", "viewer", True),
                                       ("vic", "viewer", False), ("ada", "admin", False)]}
    yield World(store=store, **made)
    store.close()
    if drop is not None:
        request.getfixturevalue("postgres_server").drop_database(drop)


# ----------------------------------------------------------------------- round trips


def test_scenario_round_trips_through_the_database(world: World) -> None:
    store, alice = world.store, world.alice
    saved = store.create_scenario(alice, "North hubs, option A", content("A"),
                                  visibility="group")
    assert saved.version == 1 and saved.is_current
    assert saved.scenario.slug.startswith("north-hubs-option-a-")
    for ref in (saved.scenario.scenario_id, saved.scenario.slug):
        opened = store.open_version(alice, ref)
        assert opened.content == content("A")
        assert opened.scenario.title == "North hubs, option A"
        assert opened.author == "alice"
        assert opened.scenario.visibility == "group"
        assert opened.created_at.tzinfo is UTC
        assert opened.created_at == saved.created_at


def test_every_save_is_a_new_version_and_old_ones_stay(world: World) -> None:
    store, alice, bob = world.store, world.alice, world.bob
    first = store.create_scenario(alice, "Versions", content("v1"), visibility="group")
    second = store.save(alice, first.scenario.slug, content("v2"), base_version=1,
                        message="moved hub 1")
    store.set_editor(alice, first.scenario.slug, "bob", editor=True)  # named co-editor
    third = store.save(bob, first.scenario.slug, content("v3", n_hubs=3), base_version=2)
    assert (second.version, third.version) == (2, 3)
    assert third.scenario.current_version == 3
    assert store.open_version(alice, first.scenario.slug, 1).content == content("v1")
    assert store.open_version(alice, first.scenario.slug, 2).content == content("v2")
    assert store.open_version(alice, first.scenario.slug).content == content("v3", n_hubs=3)
    assert not store.open_version(alice, first.scenario.slug, 2).is_current
    history = store.versions(alice, first.scenario.slug)
    assert [(v.version, v.author, v.message) for v in history] == [
        (1, "alice", "Created"), (2, "alice", "moved hub 1"), (3, "bob", "")]
    with pytest.raises(ScenarioNotFoundError, match="version 4: there is no such scenario or version"):
        store.open_version(alice, first.scenario.slug, 4)


def test_restoring_an_old_version_saves_a_copy_as_the_newest(world: World) -> None:
    store, alice = world.store, world.alice
    slug = store.create_scenario(alice, "Restore me", content("one")).scenario.slug
    store.save(alice, slug, content("two"), base_version=1)
    store.save(alice, slug, content("three"), base_version=2)
    restored = store.restore(alice, slug, 1, base_version=3)
    assert restored.version == 4
    assert restored.content == content("one")
    assert restored.message == "Restored version 1"
    assert [v.version for v in store.versions(alice, slug)] == [1, 2, 3, 4]
    assert store.open_version(alice, slug, 3).content == content("three")
    with pytest.raises(SaveConflictError):
        store.restore(alice, slug, 2, base_version=3)


def test_rename_keeps_the_url_and_duplicate_copies_a_chosen_version(world: World) -> None:
    store, alice, bob = world.store, world.alice, world.bob
    original = store.create_scenario(alice, "Draft name", content("x"), visibility="group")
    slug = original.scenario.slug
    store.save(alice, slug, content("y"), base_version=1)
    renamed = store.rename(alice, slug, "  Final   name ")
    assert (renamed.title, renamed.slug) == ("Final name", slug)
    copy = store.duplicate(bob, slug, version=1)
    assert copy.scenario.slug != slug
    assert copy.scenario.title == "Copy of Final name"
    assert copy.scenario.author == "bob" and copy.scenario.visibility == "draft"
    assert copy.content == content("x")
    assert copy.message == f"Copied from {slug} version 1"
    assert store.open_version(alice, slug).version == 2  # the source is untouched


def test_notes_change_makes_a_version_with_only_the_notes_different(world: World) -> None:
    store, alice = world.store, world.alice
    slug = store.create_scenario(alice, "Notes", content("n")).scenario.slug
    noted = store.set_notes(alice, slug, "Shortlisted on 3 March.", base_version=1)
    assert noted.version == 2
    assert noted.content == dataclasses.replace(content("n"), notes="Shortlisted on 3 March.")


# ------------------------------------------------------------------- save conflicts


def test_second_saver_gets_a_conflict_carrying_both_versions(world: World) -> None:
    store, alice, bob = world.store, world.alice, world.bob
    slug = store.create_scenario(alice, "Shared plan", content("base"),
                                 visibility="group").scenario.slug
    store.set_editor(alice, slug, "bob", editor=True)
    alice_opened = store.open_version(alice, slug)
    bob_opened = store.open_version(bob, slug)
    store.save(alice, slug, content("alice edit"), base_version=alice_opened.version)
    with pytest.raises(SaveConflictError) as caught:
        store.save(bob, slug, content("bob edit"), base_version=bob_opened.version)
    conflict = caught.value
    assert (conflict.base_version, conflict.current_version) == (1, 2)
    assert conflict.attempted == content("bob edit")
    assert conflict.current is not None
    assert conflict.current.content == content("alice edit")
    assert conflict.current.author == "alice"
    assert "saved as version 2 by alice" in str(conflict)
    assert "save them as a new scenario" in str(conflict)
    assert [v.version for v in store.versions(bob, slug)] == [1, 2]
    # Bob loses nothing: he saves his work as a new scenario.
    kept = store.save_as(bob, "Shared plan (Bob)", conflict.attempted)
    assert store.open_version(bob, kept.scenario.slug).content == content("bob edit")


def test_concurrent_saves_from_one_version_let_exactly_one_win(world: World) -> None:
    store, alice = world.store, world.alice
    slug = store.create_scenario(alice, "Race", content("start")).scenario.slug
    n_threads = 6
    barrier = threading.Barrier(n_threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def save(i: int) -> None:
        barrier.wait()
        try:
            store.save(alice, slug, content(f"racer {i}"), base_version=1)
            result = f"won {i}"
        except SaveConflictError:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(outcomes) == n_threads
    assert len(winners) == 1
    assert [v.version for v in store.versions(alice, slug)] == [1, 2]
    winner = int(winners[0].split()[1])
    assert store.open_version(alice, slug).content == content(f"racer {winner}")


@pytest.mark.parametrize("base_version", [0, -1, True, "1"])
def test_bad_base_version_is_refused(world: World, base_version: object) -> None:
    slug = world.store.create_scenario(world.alice, "Base", content("b")).scenario.slug
    with pytest.raises(PlannerInputError, match="base_version: expected a version number"):
        world.store.save(world.alice, slug, content("c"),
                         base_version=base_version)  # type: ignore[arg-type]


# -------------------------------------------------------------------- who sees what


def test_viewers_are_refused_drafts_and_confidential_scenarios(world: World) -> None:
    store, alice = world.store, world.alice
    draft = store.create_scenario(alice, "Alice draft", content("d")).scenario.slug
    group = store.create_scenario(alice, "Confidential", content("g"),
                                  visibility="group").scenario.slug
    public = store.create_scenario(alice, "Published", content("p"),
                                   visibility="public").scenario.slug

    for user in (world.vic, world.sam, world.bob, world.olga, None):
        for read in (store.open_version, store.scenario, store.versions):
            with pytest.raises(ScenarioNotFoundError):  # the same answer as for no scenario at all
                read(user, draft)
    for user in (world.vic, world.olga, None):
        with pytest.raises(ScenarioNotFoundError, match="no such scenario or version that you may open"):
            store.open_version(user, group)
    with pytest.raises(ScenarioNotFoundError):
        store.duplicate(world.olga, group)
    assert store.open_version(world.sam, group).content == content("g")
    assert store.open_version(world.ada, draft).content == content("d")
    for user in (world.vic, world.sam, world.olga, None):
        assert store.open_version(user, public).content == content("p")

    for user, title in ((world.vic, "Published"), (None, "Published")):
        titles = {r.title for r in store.scenarios(user)}
        assert title in titles
        assert not titles & {"Alice draft", "Confidential"}
    assert {"Confidential", "Published"} <= {r.title for r in store.scenarios(world.sam)}
    assert "Alice draft" not in {r.title for r in store.scenarios(world.sam)}
    assert {"Alice draft", "Confidential", "Published"} <= {
        r.title for r in store.scenarios(alice)}


def test_only_planners_with_sight_of_a_scenario_change_it(world: World) -> None:
    store, alice = world.store, world.alice
    group = store.create_scenario(alice, "Group plan", content("g"), visibility="group")
    slug = group.scenario.slug
    for user in (world.sam, world.vic, world.olga, world.bob, None):  # bob sees it but is not a co-editor
        with pytest.raises(PlannerError):  # not allowed, or (for those who may not see it) not found
            store.save(user, slug, content("hijack"), base_version=1)
        with pytest.raises(PlannerError):
            store.rename(user, slug, "Hijacked")
        with pytest.raises(PlannerError):
            store.restore(user, slug, 1, base_version=1)
    assert store.open_version(alice, slug).content == content("g") and store.scenario(alice, slug).title == "Group plan"
    for user in (world.sam, world.vic, None):
        with pytest.raises(AccessDeniedError, match="not allowed to create"):
            store.create_scenario(user, "Mine", content("m"))
    for user in (world.bob, world.sam):  # they see it, but it is not theirs to share
        with pytest.raises(AccessDeniedError, match="not allowed to delete or share"):
            store.set_visibility(user, slug, "public")
        with pytest.raises(AccessDeniedError, match="not allowed to delete or share"):
            store.delete(user, slug)
    with pytest.raises(ScenarioNotFoundError):
        store.delete(world.vic, slug)
    store.set_editor(alice, slug, "bob", editor=True)
    assert store.save(world.bob, slug, content("bob"), base_version=1).version == 2
    assert store.open_version(alice, slug).content == content("bob")
    assert store.set_visibility(world.ada, slug, "public").visibility == "public"
    assert store.open_version(None, slug).version == 2


# --------------------------------------------------------------- recoverable delete


def test_deleting_is_recoverable_with_every_version(world: World) -> None:
    store, alice, bob = world.store, world.alice, world.bob
    slug = store.create_scenario(alice, "Bin me", content("1"), visibility="group").scenario.slug
    store.save(alice, slug, content("2"), base_version=1)
    deleted = store.delete(alice, slug)
    assert deleted.deleted_at is not None
    assert slug not in {r.slug for r in store.scenarios(alice)}
    assert slug in {r.slug for r in store.scenarios(alice, deleted=True)}
    assert slug not in {r.slug for r in store.scenarios(bob, deleted=True)}
    with pytest.raises(ScenarioNotFoundError):
        store.open_version(bob, slug)
    with pytest.raises(PlannerInputError, match="is deleted: undelete it before saving"):
        store.save(alice, slug, content("3"), base_version=2)
    assert store.open_version(alice, slug, 1).content == content("1")  # author can look

    restored = store.undelete(alice, slug)
    assert restored.deleted_at is None
    assert slug in {r.slug for r in store.scenarios(bob)}
    assert [v.version for v in store.versions(bob, slug)] == [1, 2]
    assert store.open_version(bob, slug).content == content("2")


def test_admin_can_undelete_anyones_scenario(world: World) -> None:
    store = world.store
    slug = store.create_scenario(world.bob, "Bob's", content("b")).scenario.slug
    store.delete(world.bob, slug)
    with pytest.raises(ScenarioNotFoundError):
        store.undelete(world.alice, slug)
    assert store.undelete(world.ada, slug).deleted_at is None


# ----------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("title", "match"),
    [("", "title: expected non-blank text"), ("x" * 201, "at most 200 characters"),
     ("a\x00b", "expected ordinary text"), ("bad \ud800", "expected ordinary text")],
)
def test_bad_titles_are_refused(world: World, title: str, match: str) -> None:
    with pytest.raises(PlannerInputError, match=match):
        world.store.create_scenario(world.alice, title, content("t"))


def test_unknown_scenarios_and_visibilities_are_named(world: World) -> None:
    store = world.store
    with pytest.raises(ScenarioNotFoundError, match="scenario 'no-such-slug': there is no such scenario"):
        store.open_version(world.alice, "no-such-slug")
    with pytest.raises(ScenarioNotFoundError, match="scenario 999999: there is no such"):
        store.open_version(world.alice, 999999)
    with pytest.raises(PlannerInputError, match="visibility: expected one of"):
        store.create_scenario(world.alice, "Vis", content("v"),
                              visibility="secret")  # type: ignore[arg-type]


def test_awkward_text_in_content_survives_the_database(world: World) -> None:
    awkward = dataclasses.replace(content("a"), notes="NUL \x00, half \ud83d, £ and ✓")
    slug = world.store.create_scenario(world.alice, "Awkward", awkward).scenario.slug
    assert world.store.open_version(world.alice, slug).content == awkward


# ------------------------------------------------------------------------- accounts


def test_accounts_authenticate_and_roles_change(world: World) -> None:
    store = world.store
    assert store.authenticate("ALICE", PASSWORD) == world.alice
    assert store.authenticate("alice", "wrong password!") is None
    assert store.authenticate("nobody", PASSWORD) is None
    assert store.authenticate("not a name", PASSWORD) is None
    assert store.user_by_id(world.vic.user_id) == world.vic
    assert store.user_by_id(10**6) is None
    assert {"alice", "ada", "vic"} <= {u.username for u in store.users()}
    with pytest.raises(PlannerInputError, match="'alice' is already taken"):
        store.create_user("Alice", PASSWORD, "viewer")
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).all()
    assert all(PASSWORD not in row[0] and row[0].startswith("scrypt:") for row in stored)


# ----------------------------------------------------------------------- migrations


def _schema_differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


STORE_TABLES = {"users", "scenarios", "scenario_versions", "follow_sessions", "scenario_editors", "scenario_events",
                "user_sessions", "sign_in_failures", "running_jobs", "appraisals", "appraisal_scores",
                "appraisal_seats", "appraisal_declarations"}


def _newest_revision() -> str:
    """The head of the migration scripts, read from the scripts themselves."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrated_schema_equals_the_orm_metadata(store_url: str) -> None:
    init_store(store_url).close()
    assert _schema_differences(store_url) == []
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert version == _newest_revision() != "0001_initial"
    assert tables == {"alembic_version", *STORE_TABLES}


def _reflected_schema(url: str) -> dict[str, object]:
    """Describe every table as the database itself reports it, names included."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            return {
                table: {
                    "columns": [(c["name"], str(c["type"]), c["nullable"])
                                for c in found.get_columns(table)],
                    "primary_key": found.get_pk_constraint(table),
                    "foreign_keys": sorted((fk["name"], tuple(fk["constrained_columns"]),
                                            fk["referred_table"])
                                           for fk in found.get_foreign_keys(table)),
                    "indexes": sorted((ix["name"], tuple(ix["column_names"]), ix["unique"])
                                      for ix in found.get_indexes(table)),
                    "unique": sorted((uq["name"], tuple(uq["column_names"]))
                                     for uq in found.get_unique_constraints(table)),
                }
                for table in found.get_table_names() if table != "alembic_version"
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_build_exactly_what_create_all_would(backend: str, tmp_path: Path,
                                                        request: pytest.FixtureRequest) -> None:
    """create_all is used only here, as the reference the migrations must match."""
    if backend == "sqlite":
        migrated_url = sqlite_url(tmp_path / "migrated")
        reference_url = sqlite_url(tmp_path / "reference")
        (tmp_path / "reference" / "instance").mkdir(parents=True)
        names: list[str] = []
    else:
        server = request.getfixturevalue("postgres_server")
        names = [server.create_database(), server.create_database()]
        migrated_url, reference_url = (server.url(name) for name in names)
    try:
        init_store(migrated_url).close()
        reference = create_engine(reference_url)
        Base.metadata.create_all(reference)
        reference.dispose()
        migrated_schema = _reflected_schema(migrated_url)
        assert set(migrated_schema) == STORE_TABLES
        assert migrated_schema == _reflected_schema(reference_url)
    finally:
        for name in names:
            request.getfixturevalue("postgres_server").drop_database(name)


def test_opening_an_existing_store_keeps_its_data(store_url: str) -> None:
    with init_store(store_url) as store:
        alice = store.create_user("alice", PASSWORD, Role.PLANNER)
        slug = store.create_scenario(alice, "Kept", content("k")).scenario.slug
    with init_store(store_url) as reopened:
        assert reopened.open_version(alice, slug).content == content("k")


def test_a_partly_empty_database_is_refused_by_the_comparison(tmp_path: Path) -> None:
    """Guards the guard: an unmigrated database shows differences."""
    url = sqlite_url(tmp_path)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    assert _schema_differences(url) != []


def test_workers_opening_a_new_store_at_once_all_succeed(store_url: str) -> None:
    url = store_url
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_store() -> None:
        barrier.wait()
        try:
            init_store(url).close()
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _schema_differences(url) == []


# --------------------------------------------------------------- crash during saves

SAVER = """
import sys
from geo.scenarios import Hub, ScenarioContent
from geo.workspace.store import init_store

store = init_store(sys.argv[1])
user = store.user("alice")
slug = sys.argv[2]
version = store.open_version(user, slug).version
while True:
    content = ScenarioContent(
        dataset_version="demo", assumptions_version="a",
        hubs=tuple(Hub(f"H{i}", f"hub {i} of version {version + 1}", 400000 + i, 300000)
                   for i in range(150)),
        notes="x" * 15000 + f" version {version + 1}")
    version = store.save(user, slug, content, base_version=version).version
    print(version, flush=True)
"""


@pytest.mark.slow
def test_killing_a_saver_mid_save_leaves_only_whole_versions(store_url: str, tmp_path: Path) -> None:
    """SIGKILL a process in the middle of saving, on SQLite and on PostgreSQL (the server rolls back)."""
    url = store_url
    with init_store(url) as store:
        alice = store.create_user("alice", PASSWORD, Role.PLANNER)
        slug = store.create_scenario(alice, "Crash test", content("start")).scenario.slug
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    saver = subprocess.Popen([sys.executable, str(script), url, slug], cwd=PROJECT_ROOT,
                             env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    confirmed = 1
    try:
        assert saver.stdout is not None
        deadline = time.monotonic() + 60
        while confirmed < 25 and time.monotonic() < deadline:
            line = saver.stdout.readline()
            if not line:
                break
            confirmed = int(line)
        time.sleep(0.003)  # land the kill somewhere inside a later save
    finally:
        saver.send_signal(signal.SIGKILL)
        _, errors = saver.communicate(timeout=30)
    assert confirmed >= 25, f"the saver did not get going: {errors[-2000:]}"
    assert saver.returncode == -signal.SIGKILL

    if url.startswith("sqlite"):
        with sqlite3.connect(tmp_path / "instance" / "scenarios.sqlite3") as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with init_store(url) as store:
        opened = store.open_version(alice, slug)
        assert opened.version >= confirmed  # every save reported as done is there
        numbers = [v.version for v in store.versions(alice, slug)]
        assert numbers == list(range(1, opened.version + 1))
        for number in numbers[1:]:
            version = store.open_version(alice, slug, number)
            assert version.content.notes.endswith(f" version {number}")
            assert len(version.content.hubs) == 150
        # the store still works after the crash
        assert store.save(alice, slug, content("after"), base_version=opened.version).version == (
            opened.version + 1)
