"""Background jobs: heavy work (travel-time matrices, sweeps, uploads) off the request path.

Dash background callbacks run in child processes with their results on a disk cache by
default, and on Celery workers with Redis when REDIS_URL is set: the same callbacks and
the same code path, chosen by :func:`background_manager`. A Celery worker is started
with the app's environment (REDIS_URL, DATA_FOLDER, INSTANCE_FOLDER)::

    celery -A dashboard.jobs worker --loglevel=INFO

It builds the same Dash app, so every background callback is registered as a Celery
task under the same name, and runs each job inside the app's context.

A job whose process dies (killed, out of memory, machine gone) is reported as failed
within about ``HEARTBEAT_TTL_S`` seconds instead of leaving the browser waiting for
ever. A Celery worker keeps two short-lived keys in Redis: one per worker while it
runs and one per job while the job runs. A started job without its key, or a queued job
with no worker alive, has failed. On the disk cache a job is a child process: one that
has ended without writing a result has failed.

The analyst job here, :func:`build_matrix`, builds the travel-time matrix from every
area to every candidate hub site for one travel mode (the input of hub placement) and
keeps it in the instance folder's cache; an analyst view asks for it by writing a
request such as ``{"mode": "walk"}`` to ``ids.MATRIX_JOB_REQUEST`` and shows what
arrives in ``ids.MATRIX_JOB_RESULT``.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dash
import numpy as np
from dash import Input, Output, dcc

from dashboard import data_access, ids, limits
from dashboard.callbacks import CallbackRegistry
from dashboard.config import Settings, settings_from_env
from dashboard.engine import router_for
from dashboard.logging_setup import LOGGER_NAME, configure_logging, log_event
from dashboard.store_access import current_settings
from geo.errors import PlannerError, PlannerInputError
from geo.network import MODES, Mode
from geo.placement.candidates import candidate_sites

CALLBACKS = CallbackRegistry()
if TYPE_CHECKING:
    from celery import Celery

# Jobs run at a lower CPU priority than the web workers, so a matrix build on the same
# machine slows the room's dragging as little as possible.
JOB_NICENESS = 10
HEARTBEAT_EVERY_S = 1.0
HEARTBEAT_TTL_S = 5.0  # a job or worker silent this long is taken to be dead
JOB_TIME_LIMIT_S = 30 * 60  # a job still running after this is stopped and reported as failed
RESULT_EXPIRES_S = 24 * 3600
WORKER_KEY = "dsp:worker-alive:"
JOB_KEY = "dsp:job-alive:"
WORKER_LOST = "The computer process running this job stopped before it finished."
NO_WORKER = "No job worker is running to take this job."
CANCELLED = "The job was stopped before it finished."
# Caps on what jobs leave on disk: the job results (oldest evicted first) and the travel-time matrices.
JOB_CACHE_BYTES = 256 * 2**20
MATRIX_CACHE_BYTES = 2 * 2**30
DEFAULT_LATTICE = 300
MAX_LATTICE = 3000

logger = logging.getLogger(f"{LOGGER_NAME}.jobs")


# ---------------------------------------------------------------------------------------
# Choosing the backend
# ---------------------------------------------------------------------------------------
def background_manager(settings: Settings) -> dash.DiskcacheManager | dash.CeleryManager:
    """Background callbacks on a disk cache by default, on Celery with Redis when REDIS_URL is set."""
    if settings.redis_url:
        return WatchedCeleryManager(celery_app(settings.redis_url))
    import diskcache

    settings.cache_folder.mkdir(parents=True, exist_ok=True)
    cache = diskcache.Cache(str(settings.cache_folder / "jobs"), size_limit=JOB_CACHE_BYTES,
                            eviction_policy="least-recently-stored")
    return WatchedDiskcacheManager(cache)


@functools.lru_cache(maxsize=4)
def celery_app(redis_url: str) -> Celery:
    """The Celery app for ``redis_url`` (broker and results), one per process and URL."""
    from celery import Celery

    app = Celery("dsp", broker=redis_url, backend=redis_url)
    app.conf.update(
        task_track_started=True,  # STARTED (with a heartbeat) tells a running job from a lost one
        worker_prefetch_multiplier=1,  # jobs are long: a worker takes one at a time
        task_time_limit=JOB_TIME_LIMIT_S,
        result_expires=RESULT_EXPIRES_S,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={"socket_timeout": 5, "socket_connect_timeout": 3},
        redis_socket_timeout=5,
        redis_socket_connect_timeout=3,
    )
    return app


# Dash asks a manager for a job's result and then, separately, whether the job still runs.
# A job finishing between the two looks would be taken for cancelled and its result never
# shown; so within one poll "still running?" is answered as the result look saw it.
_polls = threading.local()


def _remember_running(job: Any) -> None:
    _polls.running = job


def _forget_running() -> None:
    _polls.running = None


def _was_running(job: Any) -> bool:
    seen = getattr(_polls, "running", None) == job and job is not None
    _polls.running = None
    return seen


class AdmittedJobs:
    """A job manager whose every job starts through :func:`dashboard.limits.admit` (roles, tickets, limits)."""

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        limits.admit(key, args, context, still_running=self._still_running)
        job = super().call_job_fn(key, job_fn, args, context)  # type: ignore[misc]
        limits.started(key, job)
        return job

    def _still_running(self, key: str, handle: str | None, age: timedelta) -> bool:
        """Whether job ``key`` (backend id ``handle``, started ``age`` ago) still takes one of its owner's places."""
        raise NotImplementedError


class WatchedCeleryManager(AdmittedJobs, dash.CeleryManager):
    """Dash's Celery manager, reporting a job whose worker died as failed rather than running."""

    def _still_running(self, key: str, handle: str | None, age: timedelta) -> bool:
        if handle is None:
            return age < limits.NOT_YET_SEEN
        return not self.result_ready(key) and bool(super().job_running(handle)) and self.failure(handle) is None

    def job_running(self, job: Any) -> bool:
        if _was_running(job):
            return True
        return bool(super().job_running(job)) and self.failure(job) is None

    def get_result(self, key: str, job: Any) -> Any:
        _forget_running()
        result = super().get_result(key, job)
        if result is not self.UNDEFINED or job is None:
            limits.finished(key)
            return result
        failure = self.failure(job)
        if failure is None:
            _remember_running(job)  # the next poll collects the result, even if it lands meanwhile
            return result
        result = super().get_result(key, job)  # it may have finished between the two looks
        return _failed_result(failure, job) if result is self.UNDEFINED else result

    def failure(self, job: Any) -> str | None:
        """Why the job cannot finish, or None while it can."""
        state = self.handle.AsyncResult(job).state
        client = self.handle.backend.client
        if state == "REVOKED":
            return CANCELLED
        if state == "FAILURE":  # the pool process died, or the job ran past JOB_TIME_LIMIT_S
            return WORKER_LOST
        if state == "STARTED" and not client.exists(JOB_KEY + str(job)):
            return WORKER_LOST
        if state == "PENDING" and live_workers(self.handle) == 0:
            return NO_WORKER
        return None


class WatchedDiskcacheManager(AdmittedJobs, dash.DiskcacheManager):
    """Dash's disk-cache manager, reporting a job whose process ended without a result as failed."""

    def _still_running(self, key: str, handle: str | None, age: timedelta) -> bool:
        if handle is None:
            return age < limits.NOT_YET_SEEN
        return not self.result_ready(key) and bool(super().job_running(handle))

    def make_job_fn(self, fn: Any, progress: Any, key: Any = None) -> Any:
        job_fn = super().make_job_fn(fn, progress, key)

        @functools.wraps(job_fn)
        def run_politely(result_key: str, *args: Any) -> Any:
            os.nice(JOB_NICENESS)  # runs in the job's own process: people's clicks come first
            started = time.perf_counter()
            log_event(logger, "job_started", job=result_key[:16])
            try:
                return job_fn(result_key, *args)
            finally:
                log_event(logger, "job_finished", job=result_key[:16],
                          duration_ms=round(1000 * (time.perf_counter() - started)))

        return run_politely

    def job_running(self, job: Any) -> bool:
        return _was_running(job) or bool(super().job_running(job))

    def get_result(self, key: str, job: Any) -> Any:
        _forget_running()
        result = super().get_result(key, job)
        if result is not self.UNDEFINED or job is None:
            limits.finished(key)
            return result
        if super().job_running(job):
            _remember_running(job)
            return result
        result = super().get_result(key, job)  # it may have finished between the two looks
        return _failed_result(WORKER_LOST, job) if result is self.UNDEFINED else result


def _failed_result(reason: str, job: Any) -> dict[str, Any]:
    log_event(logger, "job_lost", logging.WARNING, job=str(job), reason=reason)
    return {"background_callback_error": {"msg": reason, "tb": ""}}


def live_workers(celery: Celery) -> int:
    """How many Celery workers have said they are alive in the last HEARTBEAT_TTL_S seconds."""
    return sum(1 for _ in celery.backend.client.scan_iter(match=WORKER_KEY + "*", count=100))


# ---------------------------------------------------------------------------------------
# The worker: ``celery -A dashboard.jobs worker`` finds ``dashboard.jobs.celery``
# ---------------------------------------------------------------------------------------
def __getattr__(name: str) -> Any:
    if name == "celery":
        return worker_celery_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.lru_cache(maxsize=1)
def worker_celery_app() -> Celery:
    """The Celery app a worker runs: the Dash app built from the environment, its jobs as tasks."""
    from celery import signals

    from dashboard import create_app

    settings = settings_from_env()
    if not settings.redis_url:
        raise PlannerInputError("REDIS_URL is not set: a job worker needs the Redis server the app uses")
    signals.setup_logging.connect(_worker_logging, weak=False)
    server = create_app(settings).server  # registers every background callback as a task
    app = celery_app(settings.redis_url)
    heartbeats = _Heartbeats(app, server)
    signals.worker_process_init.connect(_lower_priority, weak=False)
    signals.worker_ready.connect(heartbeats.worker_started, weak=False)
    signals.worker_shutdown.connect(heartbeats.worker_stopped, weak=False)
    signals.task_prerun.connect(heartbeats.job_started, weak=False)
    signals.task_postrun.connect(heartbeats.job_finished, weak=False)
    return app


def _worker_logging(**_: Any) -> None:
    configure_logging(root=True)


def _lower_priority(**_: Any) -> None:
    os.nice(JOB_NICENESS)  # in each pool process: a worker beside the web server yields to it


class _Heartbeats:
    """Short-lived Redis keys saying which workers and jobs are alive, refreshed by threads."""

    def __init__(self, app: Celery, server: Any) -> None:
        self.app = app
        self.server = server  # the Flask app: jobs run in its context, like requests
        self.running: dict[str, tuple[threading.Event, Any, float]] = {}

    def _beat(self, key: str, stop: threading.Event) -> None:
        client = self.app.backend.client
        client.set(key, "1", ex=int(HEARTBEAT_TTL_S))
        thread = threading.Thread(target=self._keep, args=(key, stop), daemon=True, name=f"heartbeat {key}")
        thread.start()

    def _keep(self, key: str, stop: threading.Event) -> None:
        client = self.app.backend.client
        while not stop.wait(HEARTBEAT_EVERY_S):
            try:
                client.set(key, "1", ex=int(HEARTBEAT_TTL_S))
            except Exception:  # Redis gone for a moment: the next beat tries again
                logger.warning("heartbeat for %s missed", key, exc_info=True)

    def worker_started(self, sender: Any = None, **_: Any) -> None:
        self.worker_stop = threading.Event()
        self.worker_key = WORKER_KEY + str(getattr(sender, "hostname", "worker"))
        self._beat(self.worker_key, self.worker_stop)
        log_event(logger, "worker_ready")

    def worker_stopped(self, **_: Any) -> None:
        stop = getattr(self, "worker_stop", None)
        if stop is not None:
            stop.set()
            self.app.backend.client.delete(self.worker_key)

    def job_started(self, task_id: str, **_: Any) -> None:
        stop = threading.Event()
        self._beat(JOB_KEY + task_id, stop)
        context = self.server.app_context()
        context.push()
        self.running[task_id] = (stop, context, time.perf_counter())
        log_event(logger, "job_started", job=task_id)

    def job_finished(self, task_id: str, state: str | None = None, **_: Any) -> None:
        stop, context, started = self.running.pop(task_id, (None, None, time.perf_counter()))
        if stop is not None:
            stop.set()
            self.app.backend.client.delete(JOB_KEY + task_id)
        if context is not None:
            context.pop()
        log_event(logger, "job_finished", job=task_id, state=state,
                  duration_ms=round(1000 * (time.perf_counter() - started)))


# ---------------------------------------------------------------------------------------
# The analyst job: a travel-time matrix to every candidate site
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatrixRequest:
    """Which matrix to build: a travel mode and how many lattice points to add as candidate sites."""

    mode: Mode
    n_lattice: int = DEFAULT_LATTICE


def matrix_request(data: Any) -> MatrixRequest:
    """Read a request sent by the browser, refusing anything but a known mode and a sane size."""
    if not isinstance(data, dict):
        raise PlannerInputError(f"matrix request: expected an object with a mode, found {type(data).__name__}")
    mode = data.get("mode")
    if mode not in MODES:
        raise PlannerInputError(f"matrix request mode: expected one of {', '.join(MODES)}, found {mode!r}")
    n_lattice = data.get("n_lattice", DEFAULT_LATTICE)
    if isinstance(n_lattice, bool) or not isinstance(n_lattice, int) or not 1 <= n_lattice <= MAX_LATTICE:
        raise PlannerInputError(
            f"matrix request n_lattice: expected a whole number from 1 to {MAX_LATTICE}, found {n_lattice!r}")
    return MatrixRequest(mode=mode, n_lattice=n_lattice)


def matrix_summary(folder: str, request: MatrixRequest, *, cache_dir: Path | None = None) -> dict[str, Any]:
    """Build (or read from ``cache_dir``) the area-to-candidate-site matrix and say what it holds."""
    started = time.perf_counter()
    locality = data_access.locality_for(folder)
    router = router_for(folder, request.mode)
    sites = candidate_sites(locality.areas, router.graph, towns=locality.towns, services=locality.services,
                            n_lattice=request.n_lattice)
    matrix = router.matrix(sites[["x", "y"]].to_numpy(), sites["site_id"].tolist(), cache_dir=cache_dir)
    reachable = matrix.minutes[np.isfinite(matrix.minutes)]
    return {
        "status": "done",
        "mode": request.mode,
        "label": matrix.label,
        "n_areas": int(matrix.minutes.shape[0]),
        "n_sites": int(matrix.minutes.shape[1]),
        "unreachable_pairs": int(matrix.minutes.size - reachable.size),
        "median_minutes": round(float(np.median(reachable)), 1) if reachable.size else None,
        "from_cache": matrix.from_cache,
        "seconds": round(time.perf_counter() - started, 2),
    }


def evict_oldest(folder: Path, max_bytes: int) -> int:
    """Delete the least recently written files in ``folder`` until it holds at most ``max_bytes``; how many went."""
    files = sorted((path for path in folder.glob("*") if path.is_file()), key=lambda path: path.stat().st_mtime)
    total = sum(path.stat().st_size for path in files)
    removed = 0
    for path in files:
        if total <= max_bytes:
            break
        total -= path.stat().st_size
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def stores() -> list[dcc.Store]:
    """The request and result of the analyst job, kept in the page (they draw nothing)."""
    return [dcc.Store(id=ids.MATRIX_JOB_REQUEST), dcc.Store(id=ids.MATRIX_JOB_RESULT)]


def job_failed(error: Exception) -> dict[str, str]:
    """What the browser is told when a job fails outside the planner's own checks (or was not let start)."""
    refused = limits.refusal(error)
    if refused is not None:
        return {"status": "refused", "message": refused}
    text = str(error)
    for reason in (WORKER_LOST, NO_WORKER, CANCELLED):
        if reason in text:
            return {"status": "failed", "message": f"{reason} Nothing was changed: please run it again."}
    logger.error("background job failed", exc_info=error)
    return {"status": "failed", "message": "The job failed because of a fault in the planner; "
                                           "the details are in the server's log."}


@CALLBACKS.callback(Output(ids.MATRIX_JOB_RESULT, "data"), Input(ids.MATRIX_JOB_REQUEST, "data"),
                    background=True, prevent_initial_call=True, on_error=job_failed)
def build_matrix(request_data: Any) -> dict[str, Any]:
    try:
        request = matrix_request(request_data)
        cache_dir = current_settings().cache_folder / "matrices"  # where hub placement finds it again
        summary = matrix_summary(data_access.current_folder(), request, cache_dir=cache_dir)
        evict_oldest(cache_dir, MATRIX_CACHE_BYTES)
        return summary
    except PlannerError as error:
        return {"status": "failed", "message": str(error)}


def register(app: dash.Dash) -> None:
    """Attach this module's callbacks to ``app``."""
    CALLBACKS.attach(app)
