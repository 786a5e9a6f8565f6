"""Signing in: throttling across workers, the audit log, safe redirects, sessions that end, password hashing."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from cli import accounts as accounts_cli
from dashboard import create_app
from dashboard.auth import ACCOUNT_FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT, FAILURE_WINDOW, IDLE_TIMEOUT, SESSION_LIFETIME
from dashboard.config import Settings
from dashboard.logging_setup import configure_logging
from dashboard.store_access import close_stores, store_for
from geo.workspace.accounts import PASSWORD_METHOD, Role
from geo.workspace.store import ScenarioStore, UserRow, init_store, sqlite_url
from tests.support.saved_scenarios import contents

PASSWORD = "correct horse battery"
WRONG = "not the password at all"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    made = create_app(Settings(instance_folder=tmp_path, auth_mode="accounts"))
    store = store_for(sqlite_url(tmp_path))
    store.create_user("alex", PASSWORD, Role.PLANNER)
    store.create_user("bea", PASSWORD, Role.VIEWER)
    yield made
    close_stores()


@pytest.fixture
def store(app: Any, tmp_path: Path) -> ScenarioStore:
    return store_for(sqlite_url(tmp_path))


@pytest.fixture
def audit_log(app: Any) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(stream=stream)  # after the app: create_app sets logging up again
    yield stream
    configure_logging()


def audited(stream: io.StringIO) -> list[dict[str, Any]]:
    return [entry for entry in map(json.loads, stream.getvalue().splitlines()) if entry["logger"] == "dsp.audit"]


def sign_in(client: FlaskClient, username: str, password: str, next_path: str = "/",
            address: str = "192.0.2.10") -> Any:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password,
                                       "next": next_path}, environ_base={"REMOTE_ADDR": address})


def copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("dsp_session")
    assert cookie is not None
    target.set_cookie("dsp_session", cookie.value)


# ---------------------------------------------------------------------------------------- throttling
def test_after_too_many_wrong_passwords_even_the_right_one_is_refused(app: Any) -> None:
    client = app.server.test_client()
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        assert sign_in(client, "alex", WRONG).status_code == 401
    locked = sign_in(client, "alex", PASSWORD)
    assert locked.status_code == 429 and "Too many wrong passwords" in locked.get_data(as_text=True)
    other = sign_in(app.server.test_client(), "bea", PASSWORD, address="192.0.2.99")
    assert other.status_code == 302  # another account is not locked by alex's


def test_the_lock_lifts_once_the_failures_are_older_than_the_window(store: ScenarioStore) -> None:
    keys = [("account:alex", ACCOUNT_FAILURE_LIMIT)]
    now = datetime.now(UTC)
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        store.record_sign_in_failure(["account:alex"], window=FAILURE_WINDOW, now=now)
    assert store.sign_in_wait(keys, window=FAILURE_WINDOW, now=now) == FAILURE_WINDOW
    later = now + FAILURE_WINDOW + timedelta(seconds=1)
    assert store.sign_in_wait(keys, window=FAILURE_WINDOW, now=later) is None


def test_one_address_guessing_many_accounts_is_stopped_before_any_password_is_checked(
        app: Any, store: ScenarioStore, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.server.test_client()
    for n in range(ADDRESS_FAILURE_LIMIT):
        assert sign_in(client, f"guess{n:02d}", WRONG, address="198.51.100.7").status_code == 401
    checked: list[str] = []
    monkeypatch.setattr(ScenarioStore, "authenticate", lambda self, name, password: checked.append(name))
    assert sign_in(client, "alex", PASSWORD, address="198.51.100.7").status_code == 429
    assert checked == []  # no scrypt work was done for the refused guess
    monkeypatch.undo()
    assert sign_in(app.server.test_client(), "alex", PASSWORD, address="198.51.100.8").status_code == 302


def test_wrong_passwords_are_counted_in_the_store_so_every_worker_sees_them(tmp_path: Path) -> None:
    """Two workers are two processes with their own connections: here, two stores on one database."""
    url = sqlite_url(tmp_path)
    with init_store(url) as first_worker, init_store(url) as second_worker:
        for _ in range(ACCOUNT_FAILURE_LIMIT):
            first_worker.record_sign_in_failure(["account:alex"], window=FAILURE_WINDOW)
        assert second_worker.sign_in_wait([("account:alex", ACCOUNT_FAILURE_LIMIT)], window=FAILURE_WINDOW)


# ---------------------------------------------------------------------------------------- the audit log
def test_sign_ins_and_failures_are_audited_by_account_number_only(app: Any, store: ScenarioStore,
                                                                 audit_log: io.StringIO) -> None:
    client = app.server.test_client()
    sign_in(client, "alex", WRONG)
    sign_in(client, "nobody-here", WRONG)
    sign_in(client, "alex", PASSWORD)
    alex = store.user("alex").user_id
    events = [(e["event"], e.get("account_id"), e["user_id"]) for e in audited(audit_log)]
    assert events == [("sign_in_failed", alex, None), ("sign_in_failed", None, None), ("sign_in", None, alex)]
    assert "alex" not in audit_log.getvalue() and WRONG not in audit_log.getvalue()


# ---------------------------------------------------------------------------------------- redirects
@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example",
                                    "https://evil.example/", "/ /evil.example", "/\x00/evil.example"])
def test_after_sign_in_only_paths_of_this_app_are_followed(app: Any, target: str) -> None:
    answer = sign_in(app.server.test_client(), "alex", PASSWORD, next_path=target)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_the_reported_open_redirect_is_closed(app: Any) -> None:
    """/login?next=/%09/evil.example: the form carries the decoded next on to the post."""
    client = app.server.test_client()
    form = client.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert 'name="next" value="/"' in form
    assert sign_in(client, "alex", PASSWORD, next_path="/scenario/abc?version=2").headers["Location"] == (
        "/scenario/abc?version=2")


# ---------------------------------------------------------------------------------------- sessions
def test_signing_out_ends_a_copied_cookie_too(app: Any) -> None:
    browser, thief = app.server.test_client(), app.server.test_client()
    sign_in(browser, "alex", PASSWORD)
    copy_cookie(browser, thief)
    assert thief.get("/_dash-layout").status_code == 200
    page = browser.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("change", ["password", "disable", "sign-out"])
def test_a_password_change_disabling_or_signing_out_everywhere_ends_every_session(
        app: Any, store: ScenarioStore, change: str) -> None:
    browser = app.server.test_client()
    sign_in(browser, "alex", PASSWORD)
    assert browser.get("/_dash-layout").status_code == 200
    {"password": lambda: store.set_password("alex", "a brand new password"),
     "disable": lambda: store.set_disabled("alex", True),
     "sign-out": lambda: store.end_sessions("alex")}[change]()
    assert browser.get("/_dash-layout").status_code == 401
    if change == "disable":
        assert sign_in(app.server.test_client(), "alex", PASSWORD).status_code == 401
        store.set_disabled("alex", False)
        assert sign_in(app.server.test_client(), "alex", PASSWORD).status_code == 302


def test_a_session_ends_after_the_idle_timeout_and_the_lifetime(store: ScenarioStore) -> None:
    alex = store.user("alex")
    token = store.start_session(alex)
    start = datetime.now(UTC)

    def seen(at: datetime, session_token: str = token) -> bool:
        return store.session_user(session_token, idle=IDLE_TIMEOUT, lifetime=SESSION_LIFETIME, now=at) is not None

    assert seen(start + IDLE_TIMEOUT - timedelta(minutes=1))  # in use: kept alive
    assert seen(start + 2 * IDLE_TIMEOUT - timedelta(minutes=3))
    assert not seen(start + 3 * IDLE_TIMEOUT)  # then idle for longer than the timeout: gone for good
    assert not seen(start + IDLE_TIMEOUT - timedelta(minutes=1))
    busy = store.start_session(alex)
    moments = [start + k * (IDLE_TIMEOUT / 2) for k in range(1, int(SESSION_LIFETIME / (IDLE_TIMEOUT / 2)) + 2)]
    alive = [seen(moment, busy) for moment in moments]
    assert all(alive[:-2]) and not alive[-1]  # however busy, a session ends after its lifetime


# ---------------------------------------------------------------------------------------- accounts
def test_passwords_are_hashed_at_owasp_parameters_and_old_hashes_are_upgraded_at_sign_in(
        app: Any, store: ScenarioStore) -> None:
    from werkzeug.security import generate_password_hash

    assert store.authenticate("alex", PASSWORD) is not None
    with store.engine.begin() as connection:
        stored = connection.execute(UserRow.__table__.select().where(UserRow.username == "alex")).one()
        assert stored.password_hash.startswith(PASSWORD_METHOD + "$")
        connection.execute(update(UserRow).where(UserRow.username == "alex")
                           .values(password_hash=generate_password_hash(PASSWORD, method="scrypt")))
    assert sign_in(app.server.test_client(), "alex", PASSWORD).status_code == 302
    with store.engine.begin() as connection:
        upgraded = connection.execute(UserRow.__table__.select().where(UserRow.username == "alex")).one()
    assert upgraded.password_hash.startswith("scrypt:16384:8:5$")


def test_the_command_line_disables_enables_and_deletes_accounts(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with init_store(url) as store:
        store.create_user("quiet", PASSWORD, Role.VIEWER)
        author = store.create_user("writer", PASSWORD, Role.PLANNER)
        slug = store.create_scenario(author, "Kept plan", contents()[0]).scenario.slug
        token = store.start_session(author)

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return accounts_cli.main(["--database-url", url, *argv], stdout=out), out.getvalue()

    assert run("disable", "--username", "writer") == (0, "writer is disabled\n")
    with init_store(url) as store:
        assert store.authenticate("writer", PASSWORD) is None
        assert store.session_user(token, idle=IDLE_TIMEOUT, lifetime=SESSION_LIFETIME) is None
    assert run("enable", "--username", "writer")[0] == 0
    assert run("delete", "--username", "quiet") == (0, "deleted quiet\n")
    status, said = run("delete", "--username", "writer")
    assert status == 0 and "kept as deleted-" in said
    with init_store(url) as store:
        assert [u.username for u in store.users()] == [f"deleted-{author.user_id}"]
        assert store.authenticate(f"deleted-{author.user_id}", PASSWORD) is None
        admin = store.create_user("boss", PASSWORD, Role.ADMIN)
        assert store.open_version(admin, slug).content == contents()[0]  # nothing saved was lost
    assert run("delete", "--username", "nobody")[0] == 1
