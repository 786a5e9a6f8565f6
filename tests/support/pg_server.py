"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder.

Uses Debian's `postgresql` package binaries (/usr/lib/postgresql/<major>/bin). The
server listens only on a unix socket inside the temporary folder (no TCP), runs
without fsync for speed, and is stopped and removed when the context exits. As root
the server runs as the `postgres` user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or a user to run them as) are not installed."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server reached through the unix socket in `socket_dir`."""

    socket_dir: Path
    port: int
    superuser: str

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL (psycopg 3 driver) of `database` on this server."""
        return (f"postgresql+psycopg://{self.superuser}@/{database}"
                f"?host={self.socket_dir}&port={self.port}")

    def create_database(self) -> str:
        """Create a new empty database and return its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        self._admin_sql(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing any connections still open to it."""
        self._admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), port=self.port, user=self.superuser,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(sql.encode())


def postgres_bin_dir() -> Path:
    """Return the folder holding initdb and pg_ctl of the newest installed PostgreSQL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit()
                   else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql "
        "or on PATH: install Debian's postgresql package (apt-get install -y postgresql)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a fresh PostgreSQL cluster, yield it, then stop it and delete its files."""
    bin_dir = postgres_bin_dir()
    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable(
                "running as root but there is no 'postgres' user to run the server as"
            ) from None
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("running as root but runuser is not installed")
        run_as = [runuser, "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="dsp-pg-"))
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data_dir = base / "data"
    port = _free_port()
    superuser = "postgres"

    def run(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=120)

    started = False
    try:
        try:
            run(str(bin_dir / "initdb"), "-D", str(data_dir), "-U", superuser, "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
            options = (f"-c listen_addresses='' -k {base} -p {port} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            started = True
            run(str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(base / "server.log"),
                "-w", "-t", "60", "-o", options, "start")
        except subprocess.CalledProcessError as exc:
            log = base / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                "could not start a test PostgreSQL server: "
                f"{exc.stderr.decode(errors='replace')}\n{detail}"
            ) from exc
        yield PostgresServer(socket_dir=base, port=port, superuser=superuser)
    finally:
        if started:
            subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m",
                            "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
