"""Fixtures for the core's tests: a throwaway PostgreSQL server and store URLs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.workspace.store import sqlite_url
from tests.support.pg_server import PostgresServer, PostgresUnavailable, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of its own for the whole session, or skip if not installed."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new empty PostgreSQL database, dropped after the test."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database on each backend in turn."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "instance")
    return str(request.getfixturevalue("postgres_url"))
