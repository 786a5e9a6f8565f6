"""Helpers for the real-browser tests (the fixtures are in tests/browser/conftest.py)."""

from __future__ import annotations

from playwright.sync_api import Page


def wait_for_map(page: Page) -> None:
    """Wait until the areas are drawn and coloured for the first time.

    Generous: a first load on a busy two-core machine can take most of a minute.
    """
    page.wait_for_function(
        "window.dsp && window.dsp.lastPaint && Object.keys(window.dsp.areaLayers).length > 0",
        timeout=90_000,
    )
