"""The health check: ``GET /healthz`` says, as JSON, whether this process can serve a workshop.

It answers before sign-in (load balancers and monitors have no account) and shows
nothing private: the locality's name, which data version is loaded, whether the
scenario store and the job backend answer, and how many job workers are alive. It
never shows a database address, a path or an error message (those can hold
passwords); the error's kind is enough to start looking in the server's log.
Status 200 when everything answers, 503 when something does not. It answers within
CHECK_BUDGET_S whatever the database or Redis do: each check runs in its own thread, and
one still waiting then is reported as not reachable ("Timeout").
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as CheckTimeout
from pathlib import Path
from typing import Any

import dash
import flask
from sqlalchemy import text

from dashboard import data_access, store_access
from dashboard.config import Settings
from dashboard.jobs import WatchedCeleryManager, live_workers
from dashboard.logging_setup import LOGGER_NAME
from geo.ingest.datasets import MANIFEST_FILE, VERSION_PATTERN

HEALTH_PATH = "/healthz"
CHECK_BUDGET_S = 1.5  # the checks' share of the 2 s a monitor may wait
# Threads for the checks, per process: a check stuck on a silent server keeps its thread until
# the store's own timeouts end it, so a few spare threads keep the next checks answering.
_CHECKS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health-check")
logger = logging.getLogger(f"{LOGGER_NAME}.health")


def register(server: flask.Flask, settings: Settings, manager: Any) -> None:
    """Answer ``/healthz`` on ``server`` ahead of every other check (sign-in included)."""

    def answer_health_check() -> flask.Response | None:
        if flask.request.path != HEALTH_PATH:
            return None
        report = health_report(settings, manager)
        return flask.Response(flask.json.dumps(report), status=200 if report["status"] == "ok" else 503,
                              mimetype="application/json", headers={"Cache-Control": "no-store"})

    server.before_request_funcs.setdefault(None, []).insert(0, answer_health_check)


def health_report(settings: Settings, manager: Any) -> dict[str, Any]:
    """What /healthz answers: the data, the store and the job backend, each checked now."""
    started = time.perf_counter()
    folder = data_access.planner_folder(settings)
    locality = data_access.locality_for(folder)
    store_check = _CHECKS.submit(_store_check, settings)
    jobs_check = _CHECKS.submit(_jobs_check, manager)
    store = _within_budget(store_check.result, started, {"backend": _backend(settings)})
    jobs = _within_budget(jobs_check.result, started, {"backend": _jobs_backend(manager)})
    healthy = store["reachable"] and jobs["reachable"] and jobs.get("workers", 1) > 0
    return {
        "status": "ok" if healthy else "degraded",
        "data": {"locality": locality.name, "fictional": locality.is_fictional,
                 "version": data_version(Path(folder))},
        "store": store,
        "jobs": jobs,
        "check_ms": round(1000 * (time.perf_counter() - started), 1),
    }


def data_version(folder: Path) -> str:
    """The data version in use: a saved dataset version's name ("v0003"), else a fingerprint of its files."""
    if VERSION_PATTERN.match(folder.name) and (folder / MANIFEST_FILE).is_file():
        return folder.name
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return f"files-{digest.hexdigest()}"


def _within_budget(result: Callable[..., dict[str, Any]], started: float,
                   described: dict[str, Any]) -> dict[str, Any]:
    """A check's answer if it comes within the budget, else "not reachable" with the error Timeout."""
    try:
        return result(timeout=max(0.0, CHECK_BUDGET_S - (time.perf_counter() - started)))
    except CheckTimeout:
        logger.warning("health check: %s did not answer within %.1f s", described["backend"], CHECK_BUDGET_S)
        return {**described, "reachable": False, "error": "Timeout"}


def _backend(settings: Settings) -> str:
    return store_access.store_url(settings).split(":", 1)[0].split("+", 1)[0]


def _jobs_backend(manager: Any) -> str:
    return "celery" if isinstance(manager, dash.CeleryManager) else "diskcache"


def _store_check(settings: Settings) -> dict[str, Any]:
    url = store_access.store_url(settings)
    backend = _backend(settings)
    try:
        store = store_access.store_for(url)
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not reachable"; the log has the details
        logger.warning("health check: scenario store not reachable", exc_info=error)
        return {"backend": backend, "reachable": False, "error": type(error).__name__}
    return {"backend": backend, "reachable": True}


def _jobs_check(manager: Any) -> dict[str, Any]:
    if isinstance(manager, dash.CeleryManager):
        try:
            manager.handle.backend.client.ping()
            workers = live_workers(manager.handle) if isinstance(manager, WatchedCeleryManager) else 1
        except Exception as error:  # Redis down or refusing us
            logger.warning("health check: job queue not reachable", exc_info=error)
            return {"backend": "celery", "reachable": False, "error": type(error).__name__}
        return {"backend": "celery", "reachable": True, "workers": workers}
    try:
        manager.handle.set("dsp-health-probe", time.time(), expire=60)
    except Exception as error:  # the cache folder is gone or read-only
        logger.warning("health check: job cache not writable", exc_info=error)
        return {"backend": "diskcache", "reachable": False, "error": type(error).__name__}
    return {"backend": "diskcache", "reachable": True}
