"""Gunicorn settings for serving the planner to a room or a region: ``gunicorn app:server``.

Gunicorn reads this file from the folder it starts in. The environment the app reads
(DATA_FOLDER, INSTANCE_FOLDER, DATABASE_URL, REDIS_URL, AUTH_MODE, SECRET_KEY) applies
as usual; HOST and PORT choose the address, as for ``python app.py``, and
WEB_CONCURRENCY the number of worker processes.

Choices, and why:

- Workers: WEB_CONCURRENCY, else 2 x cores + 1 capped at MAX_DEFAULT_WORKERS. Scoring a
  plan is CPU work (numpy and scipy), so more workers than about twice the cores only
  adds memory (each worker keeps its own routers and search cache, up to a few hundred
  MB on a large region). benchmarks/bench_load.py measures latency against the count.
- Sync workers: one request at a time per process. Callbacks are short CPU-bound calls
  where threads would only queue on the GIL; and a background job forks its worker
  (Dash's disk-cache jobs), which is safe only when no other thread holds a lock.
- Preload on: the app (locality, layout) is built once in the master and each worker
  is a fork of it, sharing that memory, starting in a fraction of a second and
  replacing a crashed or recycled worker at once; the routers for every travel mode
  and every other per-locality cache a page load or a drag uses (dashboard/warmup.py)
  are warmed in the master too, so no workshop user waits for them. It is safe because
  the factory opens no connection: the scenario store is opened in each worker on
  first use (dashboard/store_access.py), and the disk cache and Redis client reconnect
  by themselves after a fork. The price: new code needs a full restart, not a HUP.
- Timeouts: a worker silent for TIMEOUT_S is killed and replaced (long work belongs in
  background jobs, which have their own limit); GRACEFUL_TIMEOUT_S lets requests in
  flight finish on a restart.
- Logs: JSON lines on standard output/error (dashboard/logging_setup.py), access lines
  without client addresses.
"""

from __future__ import annotations

import os
from typing import Any

MAX_DEFAULT_WORKERS = 8
TIMEOUT_S = 60
GRACEFUL_TIMEOUT_S = 30


def default_workers(cores: int | None = None) -> int:
    """2 x cores + 1 (gunicorn's rule of thumb), at most MAX_DEFAULT_WORKERS."""
    return min(2 * (cores or os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


def workers_from_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """WEB_CONCURRENCY when set (a whole number from 1), else :func:`default_workers`."""
    text = environ.get("WEB_CONCURRENCY", "").strip()
    if not text:
        return default_workers()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"WEB_CONCURRENCY must be a whole number of workers from 1, found {text!r}")
    return int(text)


bind = [f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"]
workers = workers_from_env()
worker_class = "sync"
preload_app = True
timeout = TIMEOUT_S
graceful_timeout = GRACEFUL_TIMEOUT_S
keepalive = 5
# Recycle workers now and then so slow growth (search caches) cannot build up; with
# preload a replacement is a fork of the warmed master, ready at once.
max_requests = 2000
max_requests_jitter = 200
# The worker heartbeat file lives in memory where there is a memory file system, so a
# slow disk cannot make gunicorn think a worker has hung.
# Gunicorn makes its files there with mkstemp (private, unpredictable names), so a shared folder is safe.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # nosec B108
accesslog = "-"
errorlog = "-"
loglevel = "info"
logger_class = "dashboard.logging_setup.GunicornLogger"
proc_name = "day-services-planner"
# Gunicorn's control socket lives in the home folder: two planners (or a test run) on
# one machine would fight over it. Manage workers with signals (TTIN, TTOU, TERM).
control_socket_disable = True


def when_ready(server: Any) -> None:
    """Warm every per-locality cache in the master (dashboard/warmup.py), so forked workers start with them."""
    from dashboard.config import settings_from_env
    from dashboard.data_access import planner_folder
    from dashboard.warmup import warm_caches
    from geo.network import MODES

    warm_caches(planner_folder(settings_from_env()))
    server.log.info("routers and locality caches ready for %s", ", ".join(MODES))


def post_worker_init(worker: Any) -> None:
    """Open the scenario store in each new worker before it takes requests, not on someone's first page load.

    Opening it checks the database schema (a few hundred milliseconds). The store is opened
    here, after the fork, because a database connection must not be shared between
    processes. A database that cannot be reached is left to the health check to report.
    """
    from dashboard.config import settings_from_env
    from dashboard.store_access import store_for, store_url

    try:
        store_for(store_url(settings_from_env()))
    except Exception:  # the app still starts; /healthz says the store is unreachable
        worker.log.warning("the scenario store could not be opened yet", exc_info=True)
