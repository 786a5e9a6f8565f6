"""axe-core, the accessibility engine itself, run inside the page under test.

The engine is axe-core's own ``axe.min.js`` as bundled by the axe-playwright-python package
(requirements-test.txt), injected into the page and run against the WCAG 2.0, 2.1 and 2.2
A and AA rules. :func:`blocking_violations` lists every violation axe rates critical or
serious, in words a failing test can print.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
BLOCKING = ("critical", "serious")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every WCAG A and AA violation axe finds in the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        list(WCAG_TAGS))
    return list(result["violations"])


def blocking_violations(page: Page) -> list[str]:
    """The critical and serious violations, each with the rule, what it asks and where: empty when none."""
    return [f"{v['id']} ({v['impact']}): {v['help']}; at " + "; ".join(
                " ".join(node["target"]) + f" {node['html'][:120]}" for node in v["nodes"][:4])
            for v in axe_violations(page) if v["impact"] in BLOCKING]
