"""Tests for geo.workspace.accounts (hashing, roles, the access rule) and the accounts CLI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli import accounts as accounts_cli
from geo.errors import PlannerInputError
from geo.workspace.accounts import (
    AccessDeniedError,
    Role,
    User,
    authorise,
    can_create,
    can_edit,
    can_manage,
    can_view,
    can_view_version,
    check_username,
    check_visibility,
    hash_password,
    require,
    verify_password,
)
from geo.workspace.store import init_store, sqlite_url
from tests.support.paths import PROJECT_ROOT

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class FakeScenario:
    author_id: int
    visibility: str
    deleted_at: datetime | None = None
    published_version: int | None = None
    audience: str = ""
    editor_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not self.audience:  # a public scenario's other versions are confidential to the group
            object.__setattr__(self, "audience", "group" if self.visibility == "public" else self.visibility)
        if self.visibility == "public" and self.published_version is None:
            object.__setattr__(self, "published_version", 2)


AUTHOR = User(1, "alice", Role.PLANNER, steering_group=True)
OTHER_PLANNER = User(2, "bob", Role.PLANNER, steering_group=True)
OUTSIDE_PLANNER = User(3, "olga", Role.PLANNER, steering_group=False)
MEMBER_VIEWER = User(4, "sam", Role.VIEWER, steering_group=True)
VIEWER = User(5, "vic", Role.VIEWER, steering_group=False)
ANALYST = User(6, "ann", Role.ANALYST, steering_group=True)
ADMIN = User(7, "ada", Role.ADMIN, steering_group=False)
ANONYMOUS = None
PEOPLE = {"author": AUTHOR, "other_planner": OTHER_PLANNER, "outside_planner": OUTSIDE_PLANNER,
          "member_viewer": MEMBER_VIEWER, "viewer": VIEWER, "analyst": ANALYST, "admin": ADMIN,
          "anonymous": ANONYMOUS}

# Who may (view every version, edit, manage) a live scenario of each visibility, written out by
# hand from the rule in the issues: draft = author only; group = steering group sees, only the
# author (and co-editors, and admins) change; public = one version for all, the rest as group.
# "p" = may read the published version (and only that one, unless "v").
EXPECTED = {
    "draft": {"author": "vem", "other_planner": "", "outside_planner": "",
              "member_viewer": "", "viewer": "", "analyst": "", "admin": "vem",
              "anonymous": ""},
    "group": {"author": "vem", "other_planner": "v", "outside_planner": "",
              "member_viewer": "v", "viewer": "", "analyst": "v", "admin": "vem",
              "anonymous": ""},
    "public": {"author": "vemp", "other_planner": "vp", "outside_planner": "p",
               "member_viewer": "vp", "viewer": "p", "analyst": "vp", "admin": "vemp",
               "anonymous": "p"},
}


@pytest.mark.parametrize("visibility", ["draft", "group", "public"])
@pytest.mark.parametrize("person", list(PEOPLE))
def test_access_rule_matches_the_table(visibility: str, person: str) -> None:
    scenario = FakeScenario(author_id=AUTHOR.user_id, visibility=visibility)
    user = PEOPLE[person]
    allowed = "".join(letter for letter, check in
                      (("v", can_view), ("e", can_edit), ("m", can_manage),
                       ("p", lambda u, s: s.published_version is not None and can_view_version(u, s, 2)))
                      if check(user, scenario))
    assert allowed == EXPECTED[visibility][person]
    if visibility == "public":  # an earlier version keeps the group's audience
        assert can_view_version(user, scenario, 1) is ("v" in allowed)


@pytest.mark.parametrize("person", list(PEOPLE))
def test_only_the_author_and_named_co_editors_change_a_shared_scenario(person: str) -> None:
    scenario = FakeScenario(author_id=AUTHOR.user_id, visibility="group",
                            editor_ids=frozenset({OTHER_PLANNER.user_id, MEMBER_VIEWER.user_id}))
    editors = {"author", "other_planner", "admin"}  # a viewer named co-editor still cannot edit
    assert can_edit(PEOPLE[person], scenario) is (person in editors)


@pytest.mark.parametrize("person", list(PEOPLE))
def test_deleted_scenarios_are_seen_only_by_those_who_can_undelete(person: str) -> None:
    scenario = FakeScenario(author_id=AUTHOR.user_id, visibility="public",
                            deleted_at=datetime(2026, 1, 1, tzinfo=UTC))
    user = PEOPLE[person]
    may_undelete = person in {"author", "admin"}
    assert can_view(user, scenario) is may_undelete
    assert can_manage(user, scenario) is may_undelete
    assert can_edit(user, scenario) is False


def test_unknown_visibility_grants_nothing() -> None:
    scenario = FakeScenario(author_id=AUTHOR.user_id, visibility="secret")
    assert not authorise(ADMIN, "view", scenario)


def test_require_names_who_and_what() -> None:
    scenario = FakeScenario(author_id=AUTHOR.user_id, visibility="group")
    with pytest.raises(AccessDeniedError, match="user 'vic' is not allowed to open plan A"):
        require(VIEWER, "view", scenario, what="plan A")
    with pytest.raises(AccessDeniedError, match="an anonymous visitor is not allowed to open"):
        require(None, "view", scenario)
    require(MEMBER_VIEWER, "view", scenario)


def test_only_planners_and_up_create() -> None:
    assert [can_create(PEOPLE[p]) for p in ("viewer", "member_viewer", "anonymous")] == [
        False, False, False]
    assert all(can_create(user) for user in (AUTHOR, ANALYST, ADMIN))


def test_roles_are_ordered_and_parsed() -> None:
    assert Role.VIEWER < Role.PLANNER < Role.ANALYST < Role.ADMIN
    assert Role.from_label(" Analyst ") is Role.ANALYST
    with pytest.raises(PlannerInputError, match="role: expected one of viewer, planner"):
        Role.from_label("boss")


def test_password_is_stored_only_as_a_salted_hash() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert PASSWORD not in first
    assert first.startswith("scrypt:")
    assert first != second  # a fresh salt each time
    assert verify_password(first, PASSWORD)
    assert verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password(first, "x" * 5000)


@pytest.mark.parametrize("password", ["short", "", "x" * 1025])
def test_weak_or_absurd_passwords_are_refused(password: str) -> None:
    with pytest.raises(PlannerInputError, match="password: expected at"):
        hash_password(password)


@pytest.mark.parametrize("name", ["a", "has space", "-dash", "x" * 41, "émile", ""])
def test_bad_usernames_are_refused(name: str) -> None:
    with pytest.raises(PlannerInputError, match="username: expected 2-40 characters"):
        check_username(name)


def test_usernames_are_case_insensitive() -> None:
    assert check_username("  Alice.Smith ") == "alice.smith"


def test_visibility_is_checked() -> None:
    assert check_visibility("group") == "group"
    with pytest.raises(PlannerInputError, match="visibility: expected one of draft, group"):
        check_visibility("confidential")


# ------------------------------------------------------------------------------ the CLI


def run_cli(url: str, *args: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    status = accounts_cli.main(["--database-url", url, *args], stdin=io.StringIO(stdin),
                               stdout=out)
    return status, out.getvalue()


@pytest.mark.slow
def test_cli_creates_lists_and_changes_accounts(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    url = sqlite_url(tmp_path)
    assert run_cli(url, "create", "--username", "Alice", "--role", "planner",
                   "--password-stdin", stdin=PASSWORD + "\n") == (
        0, "created alice (planner, steering group)\n")
    assert run_cli(url, "create", "--username", "vic", "--role", "viewer",
                   "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    status, listing = run_cli(url, "list")
    assert status == 0
    rows = [line.split() for line in listing.splitlines()[1:]]
    assert rows == [["alice", "planner", "yes", "no"], ["vic", "viewer", "no", "no"]]

    assert run_cli(url, "set-role", "--username", "vic", "--role", "analyst")[0] == 0
    assert run_cli(url, "set-group", "--username", "vic", "--steering-group")[0] == 0
    assert run_cli(url, "set-password", "--username", "vic", "--password-stdin",
                   stdin="another long password\n")[0] == 0
    with init_store(url) as store:
        vic = store.authenticate("vic", "another long password")
        assert vic is not None
        assert (vic.role, vic.steering_group) == (Role.ANALYST, True)
        assert store.authenticate("vic", PASSWORD) is None
        assert store.authenticate("alice", PASSWORD) is not None

    assert run_cli(url, "create", "--username", "alice", "--role", "admin",
                   "--password-stdin", stdin=PASSWORD + "\n")[0] == 1
    assert run_cli(url, "create", "--username", "bob", "--role", "admin",
                   "--password-stdin", stdin="short\n")[0] == 1
    assert run_cli(url, "set-role", "--username", "nobody", "--role", "admin")[0] == 1
    errors = capsys.readouterr().err
    assert "'alice' is already taken" in errors
    assert "password: expected at least 10 characters" in errors
    assert "no account called 'nobody'" in errors
    assert PASSWORD.encode() not in (tmp_path / "scenarios.sqlite3").read_bytes()


def test_cli_prompts_twice_and_refuses_a_mismatch(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url = sqlite_url(tmp_path)
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(accounts_cli.getpass, "getpass", lambda _prompt: next(typed))
    assert run_cli(url, "create", "--username", "alice", "--role", "planner")[0] == 1
    assert "do not match" in capsys.readouterr().err
    typed = iter([PASSWORD, PASSWORD])
    assert run_cli(url, "create", "--username", "alice", "--role", "planner")[0] == 0


def test_cli_url_comes_from_option_then_env_then_instance_folder(tmp_path: Path) -> None:
    assert accounts_cli.database_url("sqlite:///x.db", {"DATABASE_URL": "pg"}) == (
        "sqlite:///x.db")
    assert accounts_cli.database_url(None, {"DATABASE_URL": "postgresql://h/db"}) == (
        "postgresql://h/db")
    assert accounts_cli.database_url(None, {"INSTANCE_FOLDER": str(tmp_path)}) == (
        sqlite_url(tmp_path))


@pytest.mark.slow
def test_cli_runs_as_a_module(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": url}
    made = subprocess.run(
        [sys.executable, "-m", "cli.accounts", "create", "--username", "ada", "--role",
         "admin", "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=PROJECT_ROOT, env=env,
        timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    assert "created ada (admin, steering group)" in made.stdout
    with init_store(url) as store:
        assert store.user("ada").role is Role.ADMIN
