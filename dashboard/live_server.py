"""Start the app in a child process on a free port: for browser tests, screenshots and benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_app(env: dict[str, str] | None = None, *, timeout_s: float = 60.0,
                python: str = sys.executable, root: Path = PROJECT_ROOT) -> Iterator[str]:
    """Run ``python app.py`` on a free loopback port; yield its URL; stop it afterwards.

    ``python`` is the interpreter to run it with (another environment's, say); ``root`` the
    checkout to run (another build of the app, as a benchmark's peer).
    """
    port = free_port()
    child_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **(env or {})}
    url = f"http://127.0.0.1:{port}"
    # The server's output goes to a file: a pipe nobody reads would fill and stall it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([python, "app.py"], cwd=root, env=child_env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_answering(url, process, log, timeout_s)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log: IO[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the app stopped while starting:\n{log.read().decode(errors='replace')}")
        try:
            # The URL is the app's own http://127.0.0.1 address made above, never a file: or other scheme.
            with urllib.request.urlopen(url + "/", timeout=2):  # nosec B310
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not answer at {url} within {timeout_s:.0f} s") from None
            time.sleep(0.25)
