"""The app under gunicorn in a child process, for the serving tests and the load benchmark."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import requests

from dashboard.live_server import free_port
from tests.support.paths import PROJECT_ROOT


@contextlib.contextmanager
def running_gunicorn(env: dict[str, str] | None = None, *, workers: int = 2, log_path: Path | None = None,
                     timeout_s: float = 120.0,
                     root: Path = PROJECT_ROOT) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``gunicorn app:server`` (gunicorn.conf.py) on a free loopback port; yield its URL and process.
    ``root`` is the checkout to serve (another build, as a benchmark's peer).

    The server runs in its own process group; it is stopped with SIGTERM (then SIGKILL)
    at the end unless the caller has already stopped it.
    """
    port = free_port()
    child_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers),
                 **(env or {})}
    url = f"http://127.0.0.1:{port}"
    opened: IO[bytes] = open(log_path, "ab") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    with opened as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server"], cwd=root,
                                   env=child_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_health(url, process, timeout_s)
            yield url, process
        finally:
            stop_group(process)


def wait_for_health(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> dict[str, Any]:
    """Wait until /healthz answers (any status); return its JSON."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped while starting (exit {process.returncode})")
        try:
            answer: dict[str, Any] = requests.get(url + "/healthz", timeout=5).json()
            return answer
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer at {url} within {timeout_s:.0f} s") from None
            time.sleep(0.25)


def stop_group(process: subprocess.Popen[bytes], *, timeout_s: float = 30.0) -> None:
    """Stop a server started in its own process group: TERM, then KILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers: background jobs of the workers
    process.wait()
