"""A database that does not answer, plain-English error pages, and the store's files kept private."""

from __future__ import annotations

import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import create_app
from dashboard.config import Settings
from dashboard.error_pages import without_server_paths
from dashboard.store_access import close_stores, store_for
from geo.workspace.store import sqlite_url

HEALTH_ANSWER_S = 2.0


@pytest.fixture
def silent_database() -> Iterator[str]:
    """A server that accepts connections and never says a word: a database that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"postgresql+psycopg://planner@127.0.0.1:{listener.getsockname()[1]}/planner"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


@pytest.mark.timeout(60)
def test_a_silent_database_gives_a_quick_health_answer_and_a_plain_page(tmp_path: Path, silent_database: str) -> None:
    app = create_app(Settings(instance_folder=tmp_path, database_url=silent_database, auth_mode="accounts"))
    client = app.server.test_client()
    for _ in range(3):  # again and again: a stuck check never holds up the next
        started = time.perf_counter()
        health = client.get("/healthz")
        assert time.perf_counter() - started < HEALTH_ANSWER_S
        assert health.status_code == 503
        assert health.get_json()["store"] == {"backend": "postgresql", "reachable": False, "error": "Timeout"}
    started = time.perf_counter()
    page = client.get("/")
    assert time.perf_counter() - started < 10  # the connect timeout, not the worker's death
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and "database is not answering" in text and "Your work is safe" in text
    assert "127.0.0.1" not in text and "Traceback" not in text and "psycopg" not in text
    close_stores()


def test_error_pages_are_plain_english(tmp_path: Path) -> None:
    app = create_app(Settings(instance_folder=tmp_path))
    app.server.add_url_rule("/_test-fault", "fault", lambda: 1 / 0)
    client = app.server.test_client()
    missing = client.get("/export/no-such-plan/briefing.html")
    assert missing.status_code == 404 and "There is nothing here" in missing.get_data(as_text=True)
    refused = client.get("/", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert refused.status_code == 403
    fault = client.get("/_test-fault")
    text = fault.get_data(as_text=True)
    assert fault.status_code == 500 and "Something went wrong in the planner" in text
    assert "ZeroDivisionError" not in text and "Internal Server Error" not in text
    bad = client.get("/export/no-such-plan/briefing.html?version=%C2%B2")  # "²" passes str.isdigit()
    assert bad.status_code == 400 and "versions are numbered 1, 2, 3" in bad.get_data(as_text=True)
    close_stores()


def test_the_store_and_the_secret_key_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    create_app(Settings(instance_folder=instance))
    store = store_for(sqlite_url(instance))
    store.create_user("alex", "correct horse battery", "planner")
    for path in instance.iterdir():
        if path.is_file() and path.name.startswith(("scenarios.sqlite3", "secret_key")):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    close_stores()


def test_messages_never_show_the_servers_folders(tmp_path: Path) -> None:
    from dashboard import data_page
    from dashboard.config import Settings as AppSettings

    settings = AppSettings(instance_folder=tmp_path / "instance")
    app = create_app(settings)
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        ticket = data_page.issue_ticket("switch", version="v9999")  # single-user: the local administrator
    with app.server.app_context():
        outputs = data_page.data_job(ticket, {}, (None, None, None, None), settings)
    shown = str(outputs[2])
    assert "v9999" in shown and str(tmp_path) not in shown and "/instance" not in shown
    assert without_server_paths("cannot read /srv/planner/instance/datasets/v0003/manifest.json") == (
        "cannot read manifest.json")
    close_stores()
