"""Fixtures shared by the dashboard tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.store_access import close_stores
from tests.dashboard.saved_scenarios import Saved, saved_world


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Saved]:
    """Accounts and saved scenarios (see saved_scenarios.py), fresh for each test module."""
    yield saved_world(tmp_path_factory.mktemp("instance"))
    close_stores()
