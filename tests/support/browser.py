"""Helpers for the real-browser tests (the fixtures are in tests/browser/conftest.py)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

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


def csp_safe(page: Page) -> Page:
    """``page`` with its waits polling on a timer: the app's Content-Security-Policy is on in every test.

    Playwright runs a condition written as a bare expression ("window.x > 0") through eval,
    which the policy's script-src forbids ('unsafe-eval' is not allowed); written as a
    function ("() => window.x > 0") it runs as it is. Everything else about the page is as
    a visitor's browser has it.
    """
    wait = page.wait_for_function

    def wait_for_function(expression: str, **options: Any) -> Any:
        if not FUNCTION_START.match(expression):
            expression = f"() => ({expression})"
        return wait(expression, **options)

    page.wait_for_function = wait_for_function  # type: ignore[method-assign]
    return page


FUNCTION_START = re.compile(r"\s*(async\s+)?(function\b|\(?[\w\s,]*\)?\s*=>)")
