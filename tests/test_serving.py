"""Serving a room: gunicorn with several workers, the health check, JSON logs, restart after a kill.

One gunicorn (two workers, the project's gunicorn.conf.py) serves the module's
multi-worker tests; the restart test, the last of them, kills it with SIGKILL mid-job
and starts it again on the same instance folder. Health and logging details are checked in
process, without a server.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.util
import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from dashboard import create_app
from dashboard.config import Settings
from dashboard.health import data_version
from dashboard.jobs import WORKER_LOST, WatchedDiskcacheManager, job_failed
from dashboard.logging_setup import audit, configure_logging
from geo.scenarios import Hub, ScenarioContent, hub_label
from geo.workspace.accounts import Role, User
from geo.workspace.store import SaveConflictError, init_store, sqlite_url
from tests.support.paths import PROJECT_ROOT
from tests.support.pg_server import PostgresUnavailable, running_postgres
from tests.support.servers import running_gunicorn, stop_group, wait_for_health
from tests.support.simulated_browser import MATRIX_JOB, ServedPage

pytestmark = pytest.mark.slow  # starts gunicorn, kills it mid-save and mid-job

# ---------------------------------------------------------------------------------------
# A page in a "browser": enough of the renderer to drag a hub and run a job over HTTP
# ---------------------------------------------------------------------------------------
def log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    instance: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Gunicorn with two workers for the module; the restart test (last) kills it."""
    folder = tmp_path_factory.mktemp("served")
    log, instance = folder / "gunicorn.log", folder / "instance"
    with running_gunicorn({"INSTANCE_FOLDER": str(instance)}, workers=2, log_path=log) as (url, process):
        yield Served(url, process, log, instance)


def test_health_check_reports_data_store_and_jobs(served: Served) -> None:
    url = served.url
    answer = requests.get(url + "/healthz", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    report = answer.json()
    assert report["status"] == "ok"
    assert report["data"]["locality"] == "Brackenshire (fictional)" and report["data"]["fictional"] is True
    assert report["data"]["version"].startswith("files-")
    assert report["store"] == {"backend": "sqlite", "reachable": True}
    assert report["jobs"] == {"backend": "diskcache", "reachable": True}


def test_every_worker_gives_the_same_answer_to_the_same_drag(served: Served) -> None:
    url, log = served.url, served.log
    page = ServedPage(url)
    hub_id = page.values["plan.data"]["hubs"][0]["hub_id"]
    body = page.drag_body(hub_id)

    def send(_: int) -> tuple[int, str]:
        answer = requests.post(f"{url}/_dash-update-component", params={"endId": page.end_id}, json=body, timeout=60)
        return answer.status_code, answer.text

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, range(24)))
    assert {status for status, _ in answers} == {200}
    assert len({text for _, text in answers}) == 1  # no worker keeps anyone's state
    assert json.loads(answers[0][1])["response"]["kpi-mean-minutes"]["children"] != "-"
    time.sleep(0.5)  # let the access lines reach the log
    served_by = {line["pid"] for line in log_lines(log)
                 if line.get("logger") == "gunicorn.access" and line.get("path") == "/_dash-update-component"}
    assert len(served_by) == 2, f"expected both workers to serve, found pids {served_by}"


def test_logs_are_json_lines_without_client_addresses(served: Served) -> None:
    url, log = served.url, served.log
    assert requests.get(url + "/_dash-layout", headers={"Accept-Encoding": "gzip"}, timeout=30).status_code == 200
    time.sleep(0.5)
    lines = log_lines(log)  # raises if any line is not JSON
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert access and all({"time", "level", "event", "method", "path", "status", "duration_ms"} <= set(line)
                          for line in access)
    assert not any("127.0.0.1" in json.dumps(line) for line in access)
    assert any(line["path"] == "/_dash-layout" and line["status"] == 200 for line in access)


def test_a_job_started_through_one_worker_is_finished_through_any(served: Served) -> None:
    url = served.url
    result = ServedPage(url).run_job({"mode": "bus", "n_lattice": 30})
    assert result["status"] == "done" and result["mode"] == "bus" and result["n_areas"] == 505


def test_the_app_starts_cleanly_after_being_killed_mid_job(served: Served, tmp_path: Path) -> None:
    url, process = served.url, served.process
    page = ServedPage(url)
    assert requests.get(url + "/healthz", timeout=30).status_code == 200  # the store is open
    page.values["matrix-job-request.data"] = {"mode": "drive", "n_lattice": 2500}
    assert "job" in page.post(MATRIX_JOB, ["matrix-job-request.data"]).json()  # a job is running
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:  # and requests are in flight
        in_flight = [pool.submit(requests.post, f"{url}/_dash-update-component", params={"endId": page.end_id},
                                 json=page.drag_body(hub["hub_id"]), timeout=30)
                     for hub in page.values["plan.data"]["hubs"]]
        os.killpg(process.pid, signal.SIGKILL)  # master, workers and the job: no clean-up at all
        process.wait()
        concurrent.futures.wait(in_flight)
    stop_group(process)  # nothing may outlive it
    left_behind = {path.name for path in served.instance.rglob("*")}
    assert {"scenarios.sqlite3-wal", "cache.db-wal"} & left_behind, left_behind  # journals of the killed run

    env = {"INSTANCE_FOLDER": str(served.instance)}
    with running_gunicorn(env, workers=2, log_path=tmp_path / "again.log") as (url, process):
        report = wait_for_health(url, process, 60)
        assert report["status"] == "ok" and report["store"]["reachable"] and report["jobs"]["reachable"]
        page = ServedPage(url)
        moved = page.http.post(f"{url}/_dash-update-component", params={"endId": page.end_id},
                               json=page.drag_body(page.values["plan.data"]["hubs"][1]["hub_id"]), timeout=60)
        assert moved.status_code == 200 and "kpi-mean-minutes" in moved.json()["response"]
        assert page.run_job({"mode": "walk", "n_lattice": 20})["status"] == "done"


# ---------------------------------------------------------------------------------------
# Killing the whole server while people save: every save it confirmed is kept, whole
# ---------------------------------------------------------------------------------------
SAVE = "..scenario.data..."  # the scenario bar's actions, by their output
SAVED_HUBS = 120  # a big plan, so that a save takes long enough to be cut in half


class Saver:
    """Saves the open plan again and again through the scenario bar, as someone clicking Save would."""

    def __init__(self, url: str) -> None:
        self.page = ServedPage(url)
        plan = self.page.values["plan.data"]
        template = plan["hubs"][0]
        plan["hubs"] = [{**template, "hub_id": f"K{i}", "label": hub_label(i + 1), "name": f"Hub {i}",
                         "x": template["x"] + 10 * i}
                        for i in range(SAVED_HUBS)]
        self.clicks = 0
        self.confirmed = 0  # the newest version the server said it saved
        self.slug = ""

    def save(self) -> bool:
        state = self.page.values.get("scenario.data")
        version = 1 if not state else int(state["version"]) + 1
        self.clicks += 1
        self.page.values.update({"scenario-save.n_clicks": self.clicks, "scenario-title.value": "Crash test",
                                 "scenario-notes.value": f"save of version {version}"})
        answer = self.page.post(SAVE, ["scenario-save.n_clicks"])
        saved = answer.status_code == 200 and answer.json().get("response", {}).get("scenario", {}).get("data")
        if not saved:
            return False
        self.page.values["scenario.data"] = saved
        self.slug, self.confirmed = saved["slug"], int(saved["version"])
        assert self.confirmed == version
        return True


def store_database(backend: str, instance: Path, stack: contextlib.ExitStack) -> dict[str, str]:
    """The environment for a store on ``backend`` (a throwaway PostgreSQL server, or SQLite in ``instance``)."""
    if backend == "sqlite":
        return {}
    try:
        server = stack.enter_context(running_postgres())
    except PostgresUnavailable as error:
        pytest.skip(str(error))
    return {"DATABASE_URL": server.url(server.create_database())}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_killing_the_server_mid_save_keeps_every_confirmed_version_whole(backend: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    with contextlib.ExitStack() as stack:
        env = {"INSTANCE_FOLDER": str(instance), **store_database(backend, instance, stack)}
        with running_gunicorn(env, workers=2, log_path=tmp_path / "killed.log") as (url, process):
            saver = Saver(url)
            while saver.confirmed < 8:
                assert saver.save(), "a save failed before the kill"
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                last = pool.submit(saver.save)  # one more save, cut off somewhere by the kill
                time.sleep(0.02)
                os.killpg(process.pid, signal.SIGKILL)  # master and workers: no clean-up at all
                process.wait()
                concurrent.futures.wait([last])
            stop_group(process)

        store = init_store(env.get("DATABASE_URL") or sqlite_url(instance))
        try:
            user = store.user("local")  # single-user mode's one account
            numbers = [v.version for v in store.versions(user, saver.slug)]
            assert numbers == list(range(1, len(numbers) + 1))  # no gap, nothing half-numbered
            assert len(numbers) >= saver.confirmed  # every save the server confirmed is there
            for number in numbers:  # and whole
                content = store.open_version(user, saver.slug, number).content
                assert content.notes == f"save of version {number}" and len(content.hubs) == SAVED_HUBS
        finally:
            store.close()

        with running_gunicorn(env, workers=2, log_path=tmp_path / "again.log") as (url, process):
            assert wait_for_health(url, process, 60)["status"] == "ok"
            again = Saver(url)
            again.page.values["scenario.data"] = {**saver.page.values["scenario.data"], "version": numbers[-1]}
            again.clicks = saver.clicks
            assert again.save() and again.confirmed == numbers[-1] + 1  # the store takes saves again


# ---------------------------------------------------------------------------------------
# In process: the health check when something is down, and the logs' content
# ---------------------------------------------------------------------------------------
def test_health_check_says_degraded_without_revealing_the_database_address(tmp_path: Path) -> None:
    unreachable = f"postgresql+psycopg://planner:s3cret@/dsp?host={tmp_path}/no-such-socket&port=1"
    app = create_app(Settings(instance_folder=tmp_path / "instance", database_url=unreachable))
    answer = app.server.test_client().get("/healthz")
    assert answer.status_code == 503
    report = answer.get_json()
    assert report["status"] == "degraded"
    assert report["store"]["backend"] == "postgresql" and report["store"]["reachable"] is False
    assert report["store"]["error"]  # the kind of error, to start looking in the log
    assert "s3cret" not in answer.get_data(as_text=True) and str(tmp_path) not in answer.get_data(as_text=True)


def test_data_version_is_the_dataset_version_or_a_fingerprint_of_the_files(tmp_path: Path) -> None:
    (tmp_path / "locality.gpkg").write_bytes(b"one")
    first = data_version(tmp_path)
    assert first.startswith("files-") and data_version(tmp_path) == first
    (tmp_path / "locality.gpkg").write_bytes(b"two, longer")
    assert data_version(tmp_path) != first
    version = tmp_path / "v0003"
    version.mkdir()
    (version / "manifest.json").write_text("{}")
    assert data_version(version) == "v0003"


def test_health_check_needs_no_sign_in(tmp_path: Path) -> None:
    app = create_app(Settings(instance_folder=tmp_path / "instance", auth_mode="accounts"))
    # Only /healthz is asked for: the first other request would hand the process's Dash
    # callbacks to this app (Dash moves them to the first app that serves a page).
    answer = app.server.test_client().get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok"


def test_a_job_finishing_between_dashs_two_looks_is_still_collected(tmp_path: Path) -> None:
    import diskcache

    manager = WatchedDiskcacheManager(diskcache.Cache(str(tmp_path / "jobs")))
    job = subprocess.Popen(["sleep", "30"])
    try:
        assert manager.get_result("key", job.pid) is manager.UNDEFINED  # Dash's first look: no result yet
        job.kill()  # the job ends and writes its result before Dash's second look
        job.wait()
        manager.handle.set("key", {"status": "done"})
        assert manager.job_running(job.pid)  # as the first look saw it: keep polling, do not cancel
        assert manager.get_result("key", job.pid) == {"status": "done"}  # the next poll collects it
    finally:
        job.kill()
        job.wait()


def test_a_disk_cache_job_whose_process_died_is_reported_failed(tmp_path: Path) -> None:
    import diskcache

    manager = WatchedDiskcacheManager(diskcache.Cache(str(tmp_path / "jobs")))
    job = subprocess.Popen(["sleep", "30"])
    job.kill()
    job.wait()
    failed = manager.get_result("key", job.pid)
    assert failed["background_callback_error"]["msg"] == WORKER_LOST
    assert not manager.job_running(job.pid)
    assert job_failed(RuntimeError(failed["background_callback_error"]["msg"]))["status"] == "failed"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(stream=stream)
    yield stream
    configure_logging()


def _events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_audit_logs_who_by_number_and_role_and_refuses_free_text(log_stream: io.StringIO) -> None:
    ann = User(user_id=7, username="ann.jones", role=Role.ANALYST, steering_group=False)
    audit("matrix_job_started", ann, mode="walk", n_lattice=300)
    audit("public_link_opened", None, scenario_id=4)
    first, second = _events(log_stream)
    assert first["event"] == "matrix_job_started" and first["logger"] == "dsp.audit"
    assert (first["user_id"], first["role"], first["mode"], first["n_lattice"]) == (7, "analyst", "walk", 300)
    assert (second["user_id"], second["role"]) == (None, "anonymous")
    assert "ann" not in log_stream.getvalue()
    with pytest.raises(ValueError, match="free text may hold personal data"):
        audit("scenario_renamed", ann, title="Plan for Mrs Smith's group")


def test_every_committed_save_is_logged_with_ids_only(tmp_path: Path, log_stream: io.StringIO) -> None:
    content = ScenarioContent(dataset_version="demo", assumptions_version="default",
                              hubs=(Hub("H1", "Hub at Jane Doe's house", 430_000, 211_000),), notes="call Jane")
    with init_store(sqlite_url(tmp_path)) as store:
        jane = store.create_user("jane", "correct horse battery", Role.PLANNER)
        created = store.create_scenario(jane, "Jane's confidential plan", content)
        slug = created.scenario.slug
        store.save(jane, slug, content, base_version=1, message="moved the hub near Jane")
        with pytest.raises(SaveConflictError):
            store.save(jane, slug, content, base_version=1)  # rolled back: not a save
    saves = [line for line in _events(log_stream) if line["event"] == "scenario_version_saved"]
    assert [(s["user_id"], s["scenario_id"], s["version"]) for s in saves] == [
        (jane.user_id, created.scenario.scenario_id, 1), (jane.user_id, created.scenario.scenario_id, 2)]
    assert all(s["time"].endswith("+00:00") for s in saves)
    assert "jane" not in log_stream.getvalue().lower()


def _gunicorn_conf() -> Any:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", PROJECT_ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_worker_count_comes_from_web_concurrency_or_the_cores() -> None:
    conf = _gunicorn_conf()
    assert conf.workers_from_env({"WEB_CONCURRENCY": "3"}) == 3
    assert conf.default_workers(2) == 5 and conf.default_workers(1) == 3
    assert conf.default_workers(64) == conf.MAX_DEFAULT_WORKERS
    assert conf.workers_from_env({}) == conf.default_workers()
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="WEB_CONCURRENCY must be a whole number"):
            conf.workers_from_env({"WEB_CONCURRENCY": bad})
    assert conf.preload_app is True and conf.worker_class == "sync"
