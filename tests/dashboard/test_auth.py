"""Sign-in, single-user mode, the session secret and the per-process store, through Flask's test client."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.auth import LOCAL_USERNAME, begin_session, current_user, secret_key
from dashboard.config import Settings, settings_from_env
from dashboard.store_access import close_stores, scenario_store, store_for, store_url
from geo.errors import PlannerInputError
from geo.workspace.accounts import Role
from geo.workspace.store import sqlite_url

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def accounts_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    instance = tmp_path_factory.mktemp("accounts")
    app = create_app(Settings(instance_folder=instance, auth_mode="accounts"))
    store = store_for(sqlite_url(instance))
    store.create_user("alex", PASSWORD, Role.PLANNER)
    yield app
    close_stores()


@pytest.fixture(scope="module")
def single_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    yield create_app(Settings(instance_folder=tmp_path_factory.mktemp("single")))
    close_stores()


def form_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(client: FlaskClient, username: str = "alex", password: str = PASSWORD, next_path: str = "/"):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"csrf_token": form_token(client), "username": username,
                                       "password": password, "next": next_path})


def test_accounts_mode_sends_strangers_to_sign_in(accounts_app) -> None:  # type: ignore[no-untyped-def]
    client = accounts_app.server.test_client()
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=/")
    assert client.get("/_dash-layout").status_code == 401
    assert client.post("/_dash-update-component", json={}).status_code == 401
    with client.get("/assets/10-app.css") as style:
        assert style.status_code == 200
    assert client.get("/login").status_code == 200


def test_signing_in_with_the_right_password_opens_the_planner(accounts_app) -> None:  # type: ignore[no-untyped-def]
    client = accounts_app.server.test_client()
    assert sign_in(client, password="wrong password here").status_code == 401
    answer = sign_in(client, next_path="/?x=1")
    assert answer.status_code == 302 and answer.headers["Location"] == "/?x=1"
    assert client.get("/").status_code == 200
    with accounts_app.server.test_request_context("/"):
        begin_session(scenario_store().user("alex"))
        user = current_user()
        assert user is not None and user.username == "alex" and user.role is Role.PLANNER


def test_sign_in_refuses_forged_forms_and_outside_redirects(accounts_app) -> None:  # type: ignore[no-untyped-def]
    client = accounts_app.server.test_client()
    form_token(client)
    forged = client.post("/login", data={"csrf_token": "guess", "username": "alex", "password": PASSWORD})
    assert forged.status_code == 400
    cross_site = client.post("/login", headers={"Origin": "https://elsewhere.example"},
                             data={"csrf_token": form_token(client), "username": "alex", "password": PASSWORD})
    assert cross_site.status_code == 403
    for outside in ("https://elsewhere.example/", "//elsewhere.example/", "/\\elsewhere.example"):
        answer = sign_in(client, next_path=outside)
        assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_signing_out_needs_the_form_token_and_ends_the_session(accounts_app) -> None:  # type: ignore[no-untyped-def]
    client = accounts_app.server.test_client()
    sign_in(client)
    assert client.post("/logout", data={"csrf_token": "guess"}).status_code == 400
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": form_token(client, "/logout")}).status_code == 302
    assert client.get("/").status_code == 302


def test_single_user_mode_acts_as_the_local_admin_for_this_computer_only(single_app) -> None:  # type: ignore[no-untyped-def]
    client = single_app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 302
    remote = client.get("/", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert remote.status_code == 403 and "single-user mode" in remote.get_data(as_text=True)
    with single_app.server.test_request_context("/"):
        user = current_user()
        assert user is not None
        assert (user.username, user.role, user.steering_group) == (LOCAL_USERNAME, Role.ADMIN, True)
    with single_app.server.test_request_context("/public/anything"):
        assert current_user() is None


def test_the_session_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(instance_folder=tmp_path)
    first = secret_key(settings)
    assert len(first) == 64 and secret_key(settings) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert secret_key(Settings(instance_folder=tmp_path, secret_key="x" * 40)) == "x" * 40


@pytest.mark.parametrize(("environ", "message"), [
    ({"AUTH_MODE": "open"}, "AUTH_MODE must be one of single-user, accounts"),
    ({"AUTH_MODE": "single-user", "HOST": "0.0.0.0"}, "needs HOST 127.0.0.1"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32"),
])
def test_bad_auth_settings_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        settings_from_env(environ)


def test_auth_mode_defaults_to_single_user_on_loopback_only() -> None:
    assert settings_from_env({}).auth_mode == "single-user"
    assert settings_from_env({"HOST": "0.0.0.0"}).auth_mode == "accounts"
    assert settings_from_env({"AUTH_MODE": "Accounts"}).auth_mode == "accounts"


def test_one_store_per_database_url(tmp_path: Path) -> None:
    settings = Settings(instance_folder=tmp_path)
    assert store_url(settings) == sqlite_url(tmp_path)
    assert store_url(Settings(database_url="postgresql+psycopg://x@y/z")) == "postgresql+psycopg://x@y/z"
    try:
        assert store_for(store_url(settings)) is store_for(sqlite_url(tmp_path))
        assert (tmp_path / "scenarios.sqlite3").exists()
    finally:
        close_stores()
