"""Background jobs on Celery with a real Redis server: a job runs end to end, a lost one fails.

The module starts its own ``redis-server`` on a free loopback port, one Celery worker
(``celery -A dashboard.jobs worker``, as the README says) and the web app under gunicorn
with REDIS_URL set, and drives jobs exactly as the browser does: a POST to Dash's
callback endpoint starts the job, further POSTs with the signed handles poll it. The
last test kills the worker, so it runs last.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis
import requests

from dashboard import ids
from dashboard.jobs import (
    HEARTBEAT_TTL_S,
    NO_WORKER,
    WORKER_LOST,
    MatrixRequest,
    celery_app,
    live_workers,
    matrix_summary,
)
from dashboard.live_server import free_port
from geo.locality import DEMO_FOLDER
from tests.support.paths import PROJECT_ROOT
from tests.support.servers import running_gunicorn, stop_group

pytestmark = pytest.mark.slow  # starts Redis, a Celery worker and gunicorn

REPORTED_WITHIN_S = HEARTBEAT_TTL_S + 10  # heartbeat expiry, one poll, slack for a busy machine


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway Redis on a free loopback port, nothing written to disk."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (`make test` installs Debian's redis-server package)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="module")
def worker(redis_url: str, instance: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[bytes]]:
    """One Celery worker (prefork, one child) started the documented way, in its own process group."""
    log = (tmp_path_factory.mktemp("worker") / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dashboard.jobs", "worker", "--loglevel=INFO", "--concurrency=1",
         "--without-mingle", "--without-gossip", "--hostname", f"test-{os.getpid()}@%h"],
        cwd=PROJECT_ROOT, env={**os.environ, **_environment(redis_url, instance)}, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        stop_group(process)
        log.close()


def _environment(redis_url: str, instance: Path) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "INSTANCE_FOLDER": str(instance), "DATA_FOLDER": str(DEMO_FOLDER)}


@pytest.fixture(scope="module")
def web(worker: subprocess.Popen[bytes], redis_url: str, instance: Path) -> Iterator[str]:
    """The web side under gunicorn with REDIS_URL set, so background callbacks go to Celery.

    Started while the worker is still starting (both take several seconds).
    """
    with running_gunicorn(_environment(redis_url, instance), workers=2) as (url, _):
        yield url


@pytest.fixture(scope="module")
def url(web: str, worker: subprocess.Popen[bytes], redis_url: str) -> str:
    """The web address, once the worker has said it is alive."""
    deadline = time.monotonic() + 90
    while live_workers(celery_app(redis_url)) == 0:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start (exit code {worker.poll()})")
        time.sleep(0.2)
    return web


class BrowserJob:
    """Start the analyst job and poll it the way Dash's renderer does (signed handles, endId)."""

    def __init__(self, url: str, request: dict[str, Any]) -> None:
        self.url = url
        self.http = requests.Session()
        page = self.http.get(url + "/", timeout=30).text
        config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                                      page, re.S).group(1))  # type: ignore[union-attr]
        self.end_id = config["end_id"]
        self.body = {
            "output": f"{ids.MATRIX_JOB_RESULT}.data",
            "outputs": {"id": ids.MATRIX_JOB_RESULT, "property": "data"},
            "inputs": [{"id": ids.MATRIX_JOB_REQUEST, "property": "data", "value": request}],
            "changedPropIds": [f"{ids.MATRIX_JOB_REQUEST}.data"],
            "state": [],
        }
        started = self._post({})
        assert started.status_code == 200, started.text
        self.handles = started.json()
        self.task_id = self.handles["job"].split("~", 1)[0]

    def _post(self, handles: dict[str, str]) -> requests.Response:
        return self.http.post(f"{self.url}/_dash-update-component", params={"endId": self.end_id, **handles},
                              json=self.body, timeout=30)

    def poll(self) -> dict[str, Any] | None:
        """The job's result once it has one, else None (still running)."""
        answer = self._post(self.handles)
        assert answer.status_code == 200, f"status {answer.status_code}: {answer.text[:500]}"
        payload = answer.json()
        if "response" not in payload:
            return None
        result: dict[str, Any] = payload["response"][ids.MATRIX_JOB_RESULT]["data"]
        return result

    def wait(self, timeout_s: float) -> tuple[dict[str, Any], float]:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            result = self.poll()
            if result is not None:
                return result, time.monotonic() - started
            time.sleep(0.25)
        raise AssertionError(f"the job gave no result within {timeout_s:.0f} s (left spinning)")


def test_a_matrix_job_runs_on_the_worker_and_returns_its_result(url: str, redis_url: str) -> None:
    job = BrowserJob(url, {"mode": "walk", "n_lattice": 40})
    result, _ = job.wait(60)
    expected = matrix_summary(str(DEMO_FOLDER), MatrixRequest("walk", 40))
    for key in ("status", "mode", "n_areas", "n_sites", "unreachable_pairs", "median_minutes"):
        assert result[key] == expected[key], key
    assert result["status"] == "done" and result["n_areas"] == 505
    # It ran on the worker, through Celery: the task's state is in Redis.
    assert celery_app(redis_url).AsyncResult(job.task_id).state == "SUCCESS"
    health = requests.get(url + "/healthz", timeout=30).json()
    assert health["jobs"] == {"backend": "celery", "reachable": True, "workers": 1}


def test_bad_job_requests_are_answered_with_the_field_named(url: str) -> None:
    result, _ = BrowserJob(url, {"mode": "teleport"}).wait(60)
    assert result["status"] == "failed"
    assert "mode: expected one of drive, walk, bus, found 'teleport'" in result["message"]


def _wait_until_started(redis_url: str, task_id: str) -> None:
    deadline = time.monotonic() + 30
    while celery_app(redis_url).AsyncResult(task_id).state != "STARTED":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)


def test_a_job_whose_pool_process_is_killed_is_reported_failed(url: str, worker: subprocess.Popen[bytes],
                                                               redis_url: str) -> None:
    job = BrowserJob(url, {"mode": "drive", "n_lattice": 2000})
    _wait_until_started(redis_url, job.task_id)
    children = psutil.Process(worker.pid).children()
    assert len(children) == 1
    children[0].send_signal(signal.SIGKILL)
    result, waited = job.wait(REPORTED_WITHIN_S)
    assert result["status"] == "failed" and WORKER_LOST in result["message"]
    assert waited < REPORTED_WITHIN_S
    assert worker.poll() is None  # the worker itself carries on with a new pool process


def test_a_job_whose_worker_is_killed_is_reported_failed_not_left_spinning(url: str, worker: subprocess.Popen[bytes],
                                                                             redis_url: str) -> None:
    job = BrowserJob(url, {"mode": "drive", "n_lattice": 2500})
    _wait_until_started(redis_url, job.task_id)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool process, as if the machine died
    worker.wait(timeout=10)
    result, waited = job.wait(REPORTED_WITHIN_S)
    assert result["status"] == "failed" and WORKER_LOST in result["message"], result
    assert waited < REPORTED_WITHIN_S
    # With no worker left, a new job is refused as soon as the old worker's heartbeat runs out.
    late, _ = BrowserJob(url, {"mode": "bus", "n_lattice": 10}).wait(REPORTED_WITHIN_S)
    assert late["status"] == "failed" and NO_WORKER in late["message"]
    health = requests.get(url + "/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["jobs"]["workers"] == 0
