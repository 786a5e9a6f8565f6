"""Fixtures shared by every test: the demo locality, the shared data folder and a scenario saved in an old format."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.ingest.locality_files import load_locality
from geo.locality import Locality
from tests.support.paths import SHARED_DATA


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what `make check` leaves out, by what a test needs rather than by memory.

    Everything in tests/browser/ drives Chromium (``browser``); a test on the PostgreSQL
    backend starts a database server (``slow``); a test reading ../shared/data uses real,
    larger files (``shared_data``).
    """
    browser_tests = Path(__file__).parent / "browser"
    for item in items:
        if item.path.is_relative_to(browser_tests):
            item.add_marker(pytest.mark.browser)
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgres_server" in fixtures or any(isinstance(v, str) and v == "postgresql" for v in params.values()):
            item.add_marker(pytest.mark.slow)
        if "shared_data" in fixtures:
            item.add_marker(pytest.mark.shared_data)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data beside the project, or skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def scenario_format_1() -> str:
    """A scenario as the planner saved it before the money settings were typed (format 1), as JSON text."""
    return (Path(__file__).parent / "geo" / "data" / "scenario_format_1.json").read_text()


@pytest.fixture(scope="session")
def locality() -> Locality:
    """The embedded demo locality (data/demo), loaded once."""
    return load_locality()
