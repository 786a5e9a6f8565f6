"""Helpers for the real-browser tests (the fixtures are in tests/browser/conftest.py)."""

from __future__ import annotations

import dataclasses

from playwright.sync_api import Page

PROJECTOR = {"width": 1024, "height": 768}  # the smallest screen a room is shown the planner on


@dataclasses.dataclass(frozen=True)
class ExampleApp:
    """The app serving the three example plans, saved (fixture ``example_app``): its address and their slugs."""

    url: str
    six: str
    four: str  # public
    north: str

    @property
    def all(self) -> str:
        return f"{self.six},{self.four},{self.north}"


def wait_for_map(page: Page) -> None:
    """Wait until the areas are drawn and coloured for the first time.

    Generous: a first load on a busy two-core machine can take most of a minute.
    """
    page.wait_for_function(
        "window.dsp && window.dsp.lastPaint && Object.keys(window.dsp.areaLayers).length > 0",
        timeout=90_000,
    )
