"""Fixtures shared by the dashboard tests: an app, its test client and saved scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.config import Settings
from dashboard.store_access import close_stores
from tests.support.saved_scenarios import Saved, saved_world


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Saved]:
    """Accounts and saved scenarios (see saved_scenarios.py), fresh for each test module."""
    yield saved_world(tmp_path_factory.mktemp("instance"))
    close_stores()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app in single-user mode on an instance folder of its own, fresh for each test module."""
    yield create_app(Settings(instance_folder=tmp_path_factory.mktemp("instance")))
    close_stores()


@pytest.fixture(scope="module")
def client(app: Any) -> FlaskClient:
    """A test client of :func:`app`'s server."""
    return app.server.test_client()
